"""``make bench``: what the reliable pipeline costs, against raw confirmed publishing.

1. The pipeline: N business transactions from P concurrent producer threads, each committing one
   ``probe_source`` row and one outbox event; a probe worker process (the platform's relay and
   ``InboxConsumer`` under nameko, as a service's worker runs them) relays them with publisher
   confirms and applies each once through its inbox. Rate = N / (last effect committed - first
   producer start), end to end.
2. Raw kombu: the same N bodies published one at a time with publisher confirms (durable queue,
   persistent messages) while a consumer acknowledges them. Rate = N / (last ack - first publish).
   Then the pipeline again from a backlog: N events committed in one transaction while the worker
   waits, so that no producer is on the clock. Rate = N / (last effect committed - the backlog's
   commit): the pipeline's own rate, which 1's end-to-end rate can reach only if the producers can.

3. Latency: the pipeline again, its producers paced at half the rate measured in 1 (a steady load
   it can carry): commit -> applied p50 and p99 of those events.
4. Scale-out: one relay worker and 4 consumer workers on the one queue (each a process of its own),
   the same N events: events per second end to end.

1 and 2 run as interleaved windows (pipeline, raw, backlog, pipeline, raw, backlog, ... ``--windows`` pairs, 3 by
default), so a drift of the machine's load hits both sides; each window's ratio is printed with the
load average, and the ratio reported is the median of the windows' ratios.

Prints figures; asserts nothing. Runs on the servers named by PLR_TEST_* (as ``make test`` does),
defaulting to the local ones, in a database and vhost of its own that are dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import kombu
import sqlalchemy as sa

from services.common.platform_tables import outbox
from services.common.topology import QueueSpec
from tests.support.probe import (
    PROBE_QUEUE,
    PROBE_ROUTING_KEY,
    ProbeProducer,
    ProbeSite,
    probe_effects,
    probe_site,
    start_probe_worker,
    wait_for_consumers,
)

RAW_QUEUE = "bench.raw"
DEFAULTS = {
    "PLR_TEST_DATABASE_ADMIN_URL": "postgresql://postgres@127.0.0.1:5432/postgres",
    "PLR_TEST_AMQP_URI": "amqp://guest:guest@127.0.0.1:5672/",
    "PLR_TEST_AMQP_MANAGEMENT_URL": "http://guest:guest@127.0.0.1:15672",
}


def setting(name: str) -> str:
    return os.environ.get(name) or DEFAULTS[name]


def say(message: str) -> None:
    print(message, flush=True)


def load_average() -> str:
    """What ``uptime`` says of the machine's load: only ratios measured under the same load compare."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f}"


def median_ratio(ratios: Sequence[float]) -> float:
    """The ratio a benchmark reports: the median of its windows' ratios (the issue's acceptance)."""
    return statistics.median(ratios)


@dataclass
class PipelineResult:
    events: int
    seconds: float
    producer_seconds: float
    latency_ms: tuple[float, float, float]  # p50, p99, max: outbox commit to effect commit

    @property
    def rate(self) -> float:
        return self.events / self.seconds


@dataclass
class RawResult:
    events: int
    seconds: float
    publish_seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds


def _counts(site: ProbeSite) -> tuple[int, int]:
    with site.engine.connect() as connection:
        unpublished = connection.execute(
            sa.select(sa.func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
        ).scalar_one()
        applied = connection.execute(sa.select(sa.func.count()).select_from(probe_effects)).scalar_one()
    return int(unpublished), int(applied)


def run_pipeline(
    site: ProbeSite,
    events: int,
    producers: int,
    max_workers: int,
    log_dir: Path,
    timeout_s: float,
    *,
    consumers: int = 1,
    pace_per_s: float | None = None,
    backlog: bool = False,
    label: str = "pipeline",
) -> PipelineResult:
    """``consumers`` 1: one worker relays and consumes, as a service's worker does; more: one relay
    worker and that many consumer workers. ``pace_per_s``: the producers together commit at this rate.
    ``backlog``: every event is committed in one transaction before the clock starts, so the rate is
    the pipeline's own (outbox -> relay -> broker -> inbox), not the producers' commit rate."""
    if consumers == 1:
        workers = [
            start_probe_worker(
                site,
                f"{label}-worker",
                log_dir,
                relay=True,
                consume=PROBE_QUEUE,
                max_workers=max_workers,
                relay_interval_s=0.2,
                observe_deliveries=False,
            )
        ]
    else:
        workers = [start_probe_worker(site, f"{label}-relay", log_dir, relay=True, relay_interval_s=0.2)] + [
            start_probe_worker(
                site,
                f"{label}-consumer-{n}",
                log_dir,
                consume=PROBE_QUEUE,
                max_workers=max_workers,
                observe_deliveries=False,
            )
            for n in range(consumers)
        ]
    try:
        wait_for_consumers(site, PROBE_QUEUE, count=consumers, timeout_s=60)
        with site.engine.connect() as connection:
            first_id = int(connection.execute(sa.select(sa.func.coalesce(sa.func.max(outbox.c.id), 0))).scalar_one())
            applied_before = int(connection.execute(sa.select(sa.func.count()).select_from(probe_effects)).scalar_one())
        per_producer = events // producers
        aggregates_per_producer = 25
        producer = ProbeProducer(site.engine)
        aggregates = [[f"{label}-p{p}-a{a:02d}" for a in range(aggregates_per_producer)] for p in range(producers)]
        producer.seed([a for group in aggregates for a in group])
        failures: list[BaseException] = []
        interval_s = producers / pace_per_s if pace_per_s else 0.0

        def produce(own: Sequence[str]) -> None:
            try:
                began = time.monotonic()
                for n in range(per_producer):
                    if interval_s:
                        time.sleep(max(0.0, began + n * interval_s - time.monotonic()))
                    producer.produce(own[n % len(own)])
            except BaseException as error:  # reported below; the run would otherwise wait for nothing
                failures.append(error)

        threads = [threading.Thread(target=produce, args=(group,), daemon=True) for group in aggregates]
        if backlog:
            threads = []
            say(f"{label}: a backlog of {per_producer * producers} events committed in one transaction")
            producer.produce_backlog([group[n % len(group)] for n in range(per_producer) for group in aggregates])
        else:
            pace = f" at {pace_per_s:.0f}/s" if pace_per_s else ""
            say(f"{label}: {producers} producers x {per_producer} transactions{pace}, {consumers} consumer worker(s)")
        started_wall = time.time()
        started = time.monotonic()
        for thread in threads:
            thread.start()
        producer_seconds = 0.0
        deadline = started + timeout_s
        last_report = started
        total = per_producer * producers
        while True:
            if failures:
                raise RuntimeError(f"a producer failed: {failures[0]!r}")
            for worker in workers:
                if worker.exited() is not None:
                    raise RuntimeError(f"a worker exited ({worker.exited()}):\n{worker.log_tail()}")
            if not producer_seconds and not any(t.is_alive() for t in threads):
                producer_seconds = time.monotonic() - started
            unpublished, applied = _counts(site)
            applied -= applied_before
            now = time.monotonic()
            if now - last_report >= 2.0 or applied >= total:
                say(
                    f"  {now - started:5.1f}s  committed {len(producer.produced):>6}  "
                    f"published {len(producer.produced) - unpublished:>6}  applied {applied:>6}"
                )
                last_report = now
            if applied >= total:
                break
            if now > deadline:
                raise TimeoutError(f"{label}: only {applied} of {total} applied after {timeout_s:.0f}s")
            time.sleep(0.2)
        with site.engine.connect() as connection:
            last_effect = connection.execute(sa.select(sa.func.max(probe_effects.c.recorded_at))).scalar_one()
            p50, p99, worst = connection.execute(
                sa.text(
                    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), percentile_cont(0.99) WITHIN GROUP "
                    "(ORDER BY ms), max(ms) FROM (SELECT extract(epoch FROM e.recorded_at - o.created_at) * 1000 AS ms "
                    "FROM probe_effects e JOIN outbox o ON o.event_id = e.event_id WHERE o.id > :first) latencies"
                ),
                {"first": first_id},
            ).one()
        seconds = last_effect.timestamp() - started_wall
        return PipelineResult(total, seconds, producer_seconds, (float(p50), float(p99), float(worst)))
    finally:
        for worker in workers:
            worker.stop()


def run_raw(site: ProbeSite, bodies: Sequence[tuple[str, bytes]], prefetch: int, timeout_s: float) -> RawResult:
    expected = len(bodies)
    consumed = 0
    done = threading.Event()
    ready = threading.Event()
    finished_at = 0.0
    consumer_error: list[BaseException] = []

    def consume() -> None:
        nonlocal consumed, finished_at
        try:
            with kombu.Connection(site.amqp_uri, connect_timeout=5) as connection:
                channel = connection.channel()

                def on_message(message: kombu.Message) -> None:
                    nonlocal consumed, finished_at
                    message.ack()
                    consumed += 1
                    if consumed >= expected:
                        finished_at = time.monotonic()
                        done.set()

                consumer = kombu.Consumer(
                    channel,
                    queues=[kombu.Queue(RAW_QUEUE, no_declare=True)],
                    on_message=on_message,
                    prefetch_count=prefetch,
                    accept=None,
                )
                with consumer:
                    ready.set()
                    while not done.is_set():
                        try:
                            connection.drain_events(timeout=1)
                        except TimeoutError:
                            continue
        except BaseException as error:
            consumer_error.append(error)
            ready.set()
            done.set()

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    if not ready.wait(30):
        raise TimeoutError("raw: the consumer did not start")
    say(f"raw: publishing {expected} bodies one at a time with confirms, a consumer acking (prefetch {prefetch})")
    started = time.monotonic()
    with kombu.Connection(site.amqp_uri, transport_options={"confirm_publish": True}, connect_timeout=5) as connection:
        producer = kombu.Producer(connection.channel())
        last_report = started
        for n, (event_id, body) in enumerate(bodies, start=1):
            producer.publish(
                body,
                exchange="",
                routing_key=RAW_QUEUE,
                content_type="application/cloudevents+json",
                content_encoding="utf-8",
                delivery_mode=2,
                message_id=event_id,
                retry=False,
            )
            now = time.monotonic()
            if now - last_report >= 2.0:
                say(f"  {now - started:5.1f}s  published {n:>6}  consumed {consumed:>6}")
                last_report = now
    publish_seconds = time.monotonic() - started
    if not done.wait(timeout_s):
        raise TimeoutError(f"raw: only {consumed} of {expected} consumed")
    if consumer_error:
        raise RuntimeError(f"raw: the consumer failed: {consumer_error[0]!r}")
    thread.join(10)
    say(f"  {finished_at - started:5.1f}s  published {expected:>6}  consumed {consumed:>6}")
    return RawResult(expected, finished_at - started, publish_seconds)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.pipeline", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2_000, help="events per window (and for the scale-out run)")
    parser.add_argument("--windows", type=int, default=3, help="interleaved pipeline/raw windows; the median counts")
    parser.add_argument("--producers", type=int, default=4)
    parser.add_argument("--max-workers", type=int, default=4, help="the worker's nameko max_workers (= prefetch)")
    parser.add_argument("--timeout-s", type=float, default=600.0)
    parser.add_argument("--steady-s", type=float, default=10.0, help="how long the paced latency run produces")
    options = parser.parse_args(argv)
    if options.events % options.producers:
        parser.error("--events must be a multiple of --producers")

    queues = (QueueSpec(PROBE_QUEUE, (PROBE_ROUTING_KEY,)), QueueSpec(RAW_QUEUE))
    say(
        f"bench: PostgreSQL {setting('PLR_TEST_DATABASE_ADMIN_URL').rpartition('@')[2]}, "
        f"RabbitMQ {setting('PLR_TEST_AMQP_URI').rpartition('@')[2]}, {os.cpu_count()} cores"
    )
    windows: list[tuple[PipelineResult, RawResult, str]] = []
    drained: list[PipelineResult] = []
    with (
        tempfile.TemporaryDirectory(prefix="plr-bench-") as scratch,
        probe_site(
            setting("PLR_TEST_DATABASE_ADMIN_URL"),
            setting("PLR_TEST_AMQP_URI"),
            setting("PLR_TEST_AMQP_MANAGEMENT_URL"),
            queues=queues,
        ) as site,
    ):
        say(f"bench: database {site.dbname}, vhost {site.vhost} (both dropped at the end)")
        for window in range(1, options.windows + 1):
            with site.engine.connect() as connection:
                last_id = int(connection.execute(sa.select(sa.func.coalesce(sa.func.max(outbox.c.id), 0))).scalar_one())
            pipeline = run_pipeline(
                site,
                options.events,
                options.producers,
                options.max_workers,
                Path(scratch),
                options.timeout_s,
                label=f"pipeline-w{window}",
            )
            with site.engine.connect() as connection:
                bodies = [
                    (str(r.event_id), str(r.payload).encode())
                    for r in connection.execute(
                        sa.select(outbox.c.event_id, outbox.c.payload)
                        .where(outbox.c.id > last_id)
                        .order_by(outbox.c.id)
                    )
                ]
            raw = run_raw(site, bodies, options.max_workers, options.timeout_s)
            backlog = run_pipeline(
                site,
                options.events,
                options.producers,
                options.max_workers,
                Path(scratch),
                options.timeout_s,
                backlog=True,
                label=f"backlog-w{window}",
            )
            load = load_average()
            windows.append((pipeline, raw, load))
            drained.append(backlog)
            say(
                f"window {window}: pipeline {pipeline.rate:.0f} events/s, raw {raw.rate:.0f} messages/s, "
                f"ratio {pipeline.rate / raw.rate:.2f}; a committed backlog drained at {backlog.rate:.0f} events/s, "
                f"ratio {backlog.rate / raw.rate:.2f} ({load})"
            )
        half = statistics.median(p.rate for p, _, _ in windows) / 2
        steady = run_pipeline(
            site,
            max(options.producers, int(half * options.steady_s) // options.producers * options.producers),
            options.producers,
            options.max_workers,
            Path(scratch),
            options.timeout_s,
            pace_per_s=half,
            label="steady",
        )
        steady_load = load_average()
        scaled = run_pipeline(
            site,
            options.events,
            options.producers,
            options.max_workers,
            Path(scratch),
            options.timeout_s,
            consumers=4,
            label="scaled",
        )
        scaled_load = load_average()

    say("")
    say(
        f"pipeline (outbox -> relay -> broker -> inbox consumer) against raw kombu (confirmed publish one at a "
        f"time + consume with ack), {options.events} events a window, {len(windows)} interleaved windows:"
    )
    for window, (pipeline, raw, load) in enumerate(windows, start=1):
        p50, p99, worst = pipeline.latency_ms
        say(
            f"  window {window}: pipeline {pipeline.rate:6.0f} events/s ({pipeline.seconds:.1f}s; producers "
            f"committed all in {pipeline.producer_seconds:.1f}s = {pipeline.events / pipeline.producer_seconds:.0f} "
            f"tx/s; commit -> applied, backlog included, p50 {p50:.0f} ms, p99 {p99:.0f} ms, max {worst:.0f} ms)"
        )
        say(
            f"            raw {raw.rate:6.0f} messages/s ({raw.seconds:.1f}s; publishing alone "
            f"{raw.publish_seconds:.1f}s)   ratio {pipeline.rate / raw.rate:.2f}   ({load})"
        )
    ratio = median_ratio([p.rate / r.rate for p, r, _ in windows])
    say(f"ratio pipeline/raw (median of {len(windows)} windows): {ratio:.2f}")
    say(
        "  (end to end: the clock runs from the producers' first transaction, so the ratio is at most their "
        "commit rate / raw)"
    )
    say("a backlog committed in one transaction, then drained (the pipeline alone, no producer on the clock):")
    for window, (backlog, (_, raw, _)) in enumerate(zip(drained, windows, strict=True), start=1):
        say(
            f"  window {window}: {backlog.rate:6.0f} events/s ({backlog.seconds:.1f}s)   raw {raw.rate:6.0f} "
            f"messages/s   ratio {backlog.rate / raw.rate:.2f}"
        )
    drain_ratio = median_ratio([b.rate / r.rate for b, (_, r, _) in zip(drained, windows, strict=True)])
    say(f"ratio pipeline (backlog drained)/raw (median of {len(windows)} windows): {drain_ratio:.2f}")
    s50, s99, sworst = steady.latency_ms
    say(
        f"latency commit -> applied at a steady {half:.0f} events/s (half the pipeline's median rate), "
        f"{steady.events} events: p50 {s50:.0f} ms, p99 {s99:.0f} ms, max {sworst:.0f} ms ({steady_load})"
    )
    say(
        f"4 consumer workers on one queue (and a relay worker), {scaled.events} events: {scaled.rate:.0f} events/s "
        f"({scaled_load})"
    )


if __name__ == "__main__":
    main()
