"""1,000 events through outbox → relay → broker → consumer while everything that can break, breaks.

The relay publishes through a TCP proxy that resets its connections every second or so; the
consumer is SIGKILLed twice at a crash point (right after a commit, before the ack) and restarted;
the relay is SIGKILLed once wherever it is and restarted; a private RabbitMQ node is SIGKILLed and
restarted once, mid-stream. The producer's own record of what it committed is then compared with
the consumer's effects: nothing lost, nothing applied twice, nothing stale applied, every aggregate
at its last version. Every fault is counted, so a run in which a fault did not really happen fails
instead of passing for the wrong reason.
"""

from __future__ import annotations

import random
import signal
import threading
import time
from collections.abc import Callable

import pytest

from tests.faults.conftest import StartWorker
from tests.support.private_broker import PrivateBroker
from tests.support.probe import (
    DELIVERY,
    DUPLICATE,
    PROBE_QUEUE,
    ProbeProducer,
    ProbeSite,
    ProbeWorker,
    check_delivery,
    wait_for_consumers,
)
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.faults

AGGREGATES = 50
VERSIONS = 20
EVENTS = AGGREGATES * VERSIONS
PRODUCER_THREADS = 2
PRODUCE_PAUSE_S = 0.04  # spreads production over ~25 s, so that the faults land mid-stream
CRASH_POINTS = (150, 200)  # applied events after which the 1st and 2nd consumer processes SIGKILL themselves
RELAY_KILL_AT = 300  # effects recorded when the relay process is SIGKILLed (wherever it is)
BROKER_KILL_AT = 500  # effects recorded when the broker is killed
CUT_EVERY_S = (0.5, 1.5)
DEADLINE_S = 150.0


def _produce(producer: ProbeProducer, aggregates: list[str], seed: int, failures: list[BaseException]) -> None:
    chance = random.Random(seed)
    try:
        for _ in range(VERSIONS):
            chance.shuffle(aggregates)
            for aggregate in aggregates:
                producer.produce(aggregate)
                time.sleep(PRODUCE_PAUSE_S)
    except BaseException as error:  # reported by the test, which would otherwise wait for events never made
        failures.append(error)


def test_no_event_is_lost_or_applied_twice_through_cuts_crashes_and_a_broker_kill(
    private_rabbit: PrivateBroker,
    private_site: ProbeSite,
    probe_workers: StartWorker,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def say(line: str) -> None:
        with capsys.disabled():  # the figures are the point of this test: shown even when it passes
            print(f"\n[faults] {line}", end="")

    started = time.monotonic()
    proxy = TcpProxy("127.0.0.1", private_rabbit.amqp_port)
    try:
        _run_under_faults(private_site, private_rabbit, proxy, probe_workers, started, say)
    finally:
        proxy.close()
    say(f"fault run took {time.monotonic() - started:.1f}s (after the broker's first start)\n")


def _run_under_faults(
    site: ProbeSite,
    broker: PrivateBroker,
    proxy: TcpProxy,
    start: StartWorker,
    started: float,
    say: Callable[[str], None],
) -> None:
    relay_uri = site.amqp_uri_via("127.0.0.1", proxy.port)
    relay = start(site, "relay-1", relay=True, relay_amqp_uri=relay_uri)
    crash_points = list(CRASH_POINTS)
    consumers: list[ProbeWorker] = [start(site, "consumer-1", consume=PROBE_QUEUE, crash_after=crash_points.pop(0))]
    wait_for_consumers(site, PROBE_QUEUE, timeout_s=60)

    aggregates = [f"agg-{n:02d}" for n in range(AGGREGATES)]
    producer = ProbeProducer(site.engine)
    producer.seed(aggregates)
    producer_failures: list[BaseException] = []
    threads = [
        threading.Thread(
            target=_produce,
            args=(producer, aggregates[i::PRODUCER_THREADS], i, producer_failures),
            name=f"producer-{i}",
            daemon=True,
        )
        for i in range(PRODUCER_THREADS)
    ]
    for thread in threads:
        thread.start()
    proxy.cut_every(*CUT_EVERY_S, seed=7)

    crashes = 0
    relay_kills = 0
    other_exits: list[int] = []
    broker_restarted = False
    deadline = time.monotonic() + DEADLINE_S
    while True:
        assert not producer_failures, f"the producer failed: {producer_failures[0]!r}"
        assert time.monotonic() < deadline, (
            f"not converged after {DEADLINE_S:.0f}s: {site.effect_count()} effects, {site.unpublished()} unpublished, "
            f"crashes={crashes}, broker restarted={broker_restarted}\n{consumers[-1].log_tail()}"
        )
        exit_code = consumers[-1].exited()
        if exit_code is not None:
            if exit_code == -signal.SIGKILL:
                crashes += 1
            else:
                other_exits.append(exit_code)
                assert len(other_exits) < 5, f"the consumer keeps exiting: {other_exits}\n{consumers[-1].log_tail()}"
            consumers.append(
                start(
                    site,
                    f"consumer-{len(consumers) + 1}",
                    consume=PROBE_QUEUE,
                    crash_after=crash_points.pop(0) if crash_points else None,
                )
            )
        effects = site.effect_count()
        if not relay_kills and effects >= RELAY_KILL_AT:
            relay.process.kill()
            assert relay.wait(10) == -signal.SIGKILL
            relay_kills += 1
            relay = start(site, "relay-2", relay=True, relay_amqp_uri=relay_uri)
        if not broker_restarted and effects >= BROKER_KILL_AT:
            killed_pid = broker.kill()
            say(
                f"broker SIGKILLed (pid {killed_pid}) at {effects} effects, "
                f"{time.monotonic() - started:.1f}s into the run"
            )
            time.sleep(1.0)
            broker.start()
            broker_restarted = True
        producing = any(thread.is_alive() for thread in threads)
        if not producing and broker_restarted:
            proxy.stop_cutting()
        if (
            not producing
            and broker_restarted
            and relay_kills
            and not crash_points
            and effects >= EVENTS
            and site.unpublished() == 0
        ):
            break
        time.sleep(0.2)

    # stop gracefully, so each worker reports its final counters
    relay.stop()
    consumers[-1].stop()
    report = check_delivery(site, producer.produced)
    totals = site.worker_totals()
    deliveries = site.observations(DELIVERY)
    duplicates = site.observations(DUPLICATE)
    dead_letters = site.queue_depth(PROBE_QUEUE + ".dead-letter")
    say(f"checker: {report.summary()}")
    say(f"lost={len(report.lost)} duplicated={len(report.duplicated)} stale-applied={len(report.stale_applied)}")
    say(
        f"faults: proxy cut {proxy.cuts} connections in {proxy.cut_rounds} rounds, relay connected "
        f"{totals['broker_connections']} times ({proxy.accepted} through the proxy, {proxy.refused} refused), "
        f"publish failures {totals['publish_failures']}, relay SIGKILLed {relay_kills} time(s), "
        f"consumer SIGKILLed {crashes} times, "
        f"broker SIGKILLed {broker.kills} time(s); {deliveries} deliveries for {EVENTS} events "
        f"({duplicates} duplicates skipped by the inbox), {dead_letters} dead letters"
    )

    assert len(producer.produced) == EVENTS
    assert report.ok, report.summary()
    assert report.applied + report.ignored == EVENTS
    assert dead_letters == 0
    # the faults really happened
    assert proxy.cuts > 0 and proxy.accepted > 1 and totals["broker_connections"] > 1
    assert totals["publish_failures"] > 0
    assert crashes == len(CRASH_POINTS) and relay_kills == 1
    assert broker.kills == 1 and broker.starts == 2
    assert deliveries > EVENTS and duplicates > 0 and report.recovered > 0
