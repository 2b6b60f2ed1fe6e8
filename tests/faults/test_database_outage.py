"""A database outage, with every process running on a private PostgreSQL that the test SIGKILLs and
restarts: calls made while it is down are answered UNAVAILABLE (never INTERNAL) and change nothing,
the first calls after the restart succeed, retrying the refused ones succeeds, every accepted change
reaches every consumer once, and no process is restarted. A worker whose database goes away (cut by
a TCP proxy, the rest of the system up) keeps its messages and catches up; nothing is dead-lettered,
however long the outage lasts. A database that goes silent (a partition) fails a call, not hangs it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import grpc
import pytest
import sqlalchemy as sa
from plr.registry.v1 import registry_pb2 as pb
from plr.registry.v1 import registry_pb2_grpc

from services.common.admin.cli import EXIT_TRY_AGAIN
from services.common.admin.operations import dead_letters
from services.common.db import scoped_transaction
from services.common.grpc_client import api_channel, bearer
from services.common.grpc_server import UNAVAILABLE_DATABASE_KEY
from services.common.platform_tables import inbox, outbox
from services.common.tenancy import TenantScope
from services.common.topology import BROKER_DELIVERY_LIMIT
from services.common.trust_directory import api_keys, trusts
from tests.e2e.conftest import Running
from tests.faults.conftest import StartWorker
from tests.faults.test_worker_stop import STOP_LIMIT_S
from tests.support.infra import (
    API_SERVICES,
    SERVICES,
    TRUST_SERVICES,
    WEB_SERVICES,
    Infra,
    PlrStack,
    plr_stack,
    unavailable,
    wait_for,
)
from tests.support.private_postgres import PrivatePostgres, PrivatePostgresUnavailable, new_private_postgres
from tests.support.probe import (
    PROBE_QUEUE,
    ProbeProducer,
    ProbeSite,
    ProbeWorker,
    check_delivery,
    wait_for_consumers,
    wait_until,
)
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.faults

ONBOARDED = "plr.registry.trust.onboarded.v1"
CONSUMERS = tuple(s for s in TRUST_SERVICES if s != "registry")  # the trust directory's projections
DEAD_LETTER_QUEUE = PROBE_QUEUE + ".dead-letter"


@dataclass
class OutageSystem:
    postgres: PrivatePostgres
    stack: PlrStack
    processes: Running
    matching_worker: Running  # reaches its database through the proxy
    matching_proxy: TcpProxy

    def create_trust(self, ods: str) -> pb.CreateTrustResponse:
        with api_channel(self.stack.settings, "registry") as channel:
            return registry_pb2_grpc.RegistryServiceStub(channel).CreateTrust(
                pb.CreateTrustRequest(ods=ods, name=f"{ods} NHS Trust"),
                metadata=bearer(self.stack.env["PLR_ADMIN_TOKEN"]),
                timeout=15,
            )

    def all_processes(self) -> dict[str, object]:
        return {**self.processes.processes, **self.matching_worker.processes}

    def logs(self) -> dict[str, list[str]]:
        return {**self.processes.logs, **self.matching_worker.logs}


@pytest.fixture(scope="module")
def outage_system(infra: Infra) -> Iterator[OutageSystem]:
    """Every process on a private PostgreSQL (the run's broker, in the stack's own vhost); the matching
    worker reaches its database through a TCP proxy."""
    try:
        postgres = new_private_postgres()
    except PrivatePostgresUnavailable as error:
        unavailable(f"no private PostgreSQL for fault tests: {error}")
        raise
    try:
        try:
            postgres.start()
        except PrivatePostgresUnavailable as error:  # only a failed first start is a skip; a restart must work
            unavailable(f"no private PostgreSQL for fault tests: {error}")
        with plr_stack(Infra(postgres.admin_url, infra.amqp_uri, infra.management_url)) as stack:
            proxy = TcpProxy("127.0.0.1", postgres.port)
            matching_url = stack.settings.database("matching").app_url.replace(f":{postgres.port}/", f":{proxy.port}/")
            via_proxy = dataclasses.replace(
                stack, env={**stack.env, "PLR_DATABASE_URL_MATCHING": matching_url}, _engines={}
            )
            processes, matching_worker = Running(stack), Running(via_proxy)
            for service in API_SERVICES:
                processes.start(service, "api")
            for service in WEB_SERVICES:  # `plr health` asks every process, the portal's web too
                processes.start(service, "web")
            for service in SERVICES:
                (matching_worker if service == "matching" else processes).start(service, "worker")
            try:
                wait_for(lambda: stack.plr("health").returncode == 0, timeout=60, interval=0.5, message="health")
                yield OutageSystem(postgres, stack, processes, matching_worker, proxy)
            finally:
                if postgres.pid() is None:  # a test failed during its outage: the stack is dropped from it
                    postgres.start()
                codes = {**processes.stop(), **matching_worker.stop()}
                proxy.close()
                assert all(code == 0 for code in codes.values()), f"processes did not stop cleanly: {codes}"
    finally:
        postgres.remove()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _scalars(stack: PlrStack, service: str, statement: sa.Select) -> list:  # type: ignore[type-arg]
    with scoped_transaction(stack.engine(service), TenantScope.platform_wide()) as connection:
        return list(connection.execute(statement).scalars())


def _onboarded_event_ids(stack: PlrStack, service: str, ods_codes: list[str]) -> list[str]:
    """The onboarding events a consumer applied (each inbox row commits with the handler's writes)."""
    applied = _scalars(stack, service, sa.select(inbox.c.event_id).where(inbox.c.event_type == ONBOARDED))
    published = dict(_registry_onboarding_events(stack))
    return sorted(str(e) for e in applied if published.get(str(e)) in ods_codes)


def _registry_onboarding_events(stack: PlrStack) -> list[tuple[str, str]]:
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        rows = connection.execute(
            sa.select(outbox.c.event_id, outbox.c.payload).where(outbox.c.event_type == ONBOARDED)
        ).all()
    return [(str(r.event_id), json.loads(r.payload)["data"]["ods"]) for r in rows]


def _trusts_held(stack: PlrStack, service: str, ods_codes: list[str]) -> list[str]:
    return sorted(_scalars(stack, service, sa.select(trusts.c.trust_ods).where(trusts.c.trust_ods.in_(ods_codes))))


def _assert_no_process_restarted_or_logged_an_error(system: OutageSystem) -> None:
    for name, process in system.all_processes().items():
        assert process.poll() is None, f"{name} exited with {process.returncode}"  # type: ignore[attr-defined]
    for name, lines in system.logs().items():
        errors = [line for line in lines if '"level": "error"' in line or '"level": "critical"' in line]
        assert not errors, f"{name} logged errors: {errors[:3]}"


def test_calls_during_a_database_outage_are_unavailable_and_every_retried_onboarding_reaches_every_service_once(
    outage_system: OutageSystem,
) -> None:
    system, stack = outage_system, outage_system.stack
    codes = [f"RD{i:02d}" for i in range(30)]
    first, during, after = codes[:10], codes[10:20], codes[20:]

    for ods in first:
        assert system.create_trust(ods).created

    system.postgres.kill()
    refused: dict[str, grpc.StatusCode] = {}
    for ods in during[:-1]:
        with pytest.raises(grpc.RpcError) as raised:
            system.create_trust(ods)
        error = raised.value
        refused[ods] = error.code()
        assert error.details() == "registry database unavailable; the call may be retried"
        assert dict(error.trailing_metadata() or ())[UNAVAILABLE_DATABASE_KEY] == "registry"  # type: ignore[attr-defined]
    assert set(refused.values()) == {grpc.StatusCode.UNAVAILABLE}, refused  # never INTERNAL
    by_plr = stack.plr("trust", "onboard", "--ods", during[-1], "--name", f"{during[-1]} NHS Trust")
    assert by_plr.returncode == EXIT_TRY_AGAIN, by_plr.stderr
    assert by_plr.stderr.startswith("plr: the registry database is unavailable; try again"), by_plr.stderr
    health = stack.plr("health")
    assert health.returncode != 0
    for service in SERVICES:  # one line each, naming the database; none of the driver's hints below it
        assert f"FAIL  {service} worker: the {service} database is unavailable: " in health.stdout, health.stdout
    assert all(line.startswith(("ok  ", "FAIL  ")) for line in health.stdout.splitlines()), health.stdout

    system.postgres.start()
    # the pool's connections died with the server: none is handed out again, so the first calls succeed
    for ods in after:
        assert system.create_trust(ods).created
    for ods in during:  # nothing of a refused call was written: retrying creates the trust and its first key
        assert system.create_trust(ods).created

    # no partial writes: each trust once, with one key and its two events, nothing for anything else
    registry_trusts = _scalars(stack, "registry", sa.select(trusts.c.trust_ods).where(trusts.c.trust_ods.like("RD%")))
    assert sorted(registry_trusts) == codes
    keys = _scalars(stack, "registry", sa.select(api_keys.c.trust_ods).where(api_keys.c.trust_ods.like("RD%")))
    assert sorted(keys) == codes
    events = _registry_onboarding_events(stack)
    assert sorted(ods for _, ods in events if ods.startswith("RD")) == codes

    # every accepted onboarding reaches every service exactly once
    for service in CONSUMERS:
        wait_for(
            lambda service=service: _trusts_held(stack, service, codes) == codes,
            timeout=60,
            interval=0.25,
            message=f"the 30 trusts in {service}",
        )
    expected = sorted(event_id for event_id, ods in events if ods in codes)
    for service in CONSUMERS:
        assert _onboarded_event_ids(stack, service, codes) == expected, service
    assert dead_letters(stack.settings) == []
    wait_for(lambda: stack.plr("health").returncode == 0, timeout=30, interval=0.5, message="plr health green")
    _assert_no_process_restarted_or_logged_an_error(system)


def test_a_worker_whose_database_goes_away_keeps_its_messages_and_catches_up(outage_system: OutageSystem) -> None:
    system, stack, proxy = outage_system, outage_system.stack, outage_system.matching_proxy
    codes = [f"RW{i:02d}" for i in range(10)]
    reachable = proxy.target
    proxy.target = ("127.0.0.1", _closed_port())  # new connections are reset at once
    proxy.cut_all()  # the pooled ones die mid-call
    try:
        for ods in codes:
            assert system.create_trust(ods).created
        wait_for(
            lambda: all(_trusts_held(stack, s, codes) == codes for s in ("recruitment", "integration")),
            timeout=30,
            interval=0.25,
            message="the trusts in recruitment and integration",
        )
        wait_for(
            lambda: any(
                "database unavailable, retrying" in line for line in system.matching_worker.logs["matching-worker"]
            ),
            timeout=30,
            interval=0.25,
            message="the matching worker to meet its outage",
        )
        assert _trusts_held(stack, "matching", codes) == []
        assert dead_letters(stack.settings) == []
    finally:
        proxy.target = reachable

    wait_for(
        lambda: _trusts_held(stack, "matching", codes) == codes,
        timeout=30,
        interval=0.25,
        message="the matching worker to catch up",
    )
    published = sorted(event_id for event_id, ods in _registry_onboarding_events(stack) if ods in codes)
    assert _onboarded_event_ids(stack, "matching", codes) == published
    assert dead_letters(stack.settings) == []
    assert proxy.refused > 0 and proxy.cuts > 0  # the fault happened
    wait_for(lambda: stack.plr("health").returncode == 0, timeout=30, interval=0.5, message="plr health green")
    _assert_no_process_restarted_or_logged_an_error(system)


GIVEN_BACK = "back to the queue uncounted"


def _given_back(worker: ProbeWorker) -> Counter[str]:
    """How many times the worker gave each event back to its queue after an outage outlasted a delivery."""
    counts: Counter[str] = Counter()
    for line in worker.log_path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and GIVEN_BACK in str(entry.get("message")):
            counts[str(entry.get("event_id"))] += 1
    return counts


@pytest.fixture
def probe_database_proxy(shared_site: ProbeSite) -> Iterator[TcpProxy]:
    """A TCP proxy in front of the probe site's PostgreSQL (point ``target`` elsewhere for an outage)."""
    database = urlsplit(shared_site.database.app_url)
    proxy = TcpProxy(database.hostname or "127.0.0.1", database.port or 5432)
    yield proxy
    proxy.close()


def test_an_outage_many_times_longer_than_the_delivery_limit_allows_dead_letters_nothing_and_applies_each_event_once(
    shared_site: ProbeSite, probe_database_proxy: TcpProxy, probe_workers: StartWorker
) -> None:
    """Each delivery is retried for a short budget (0.2 s here, 5 minutes in production) and then given
    back; the outage lasts until every event has been given back more times than the queue's delivery
    limit, and a worker stopped during it is replaced. A plain requeue would have dead-lettered them all.
    The replacement, started during the outage, cannot read the key that seals give-back copies (ADR
    0009): it consumes nothing until the database is back, and the messages wait, uncounted."""
    site, proxy = shared_site, probe_database_proxy
    database = urlsplit(site.database.app_url)
    via_proxy = urlunsplit(database._replace(netloc=database.netloc.replace(f":{database.port}", f":{proxy.port}")))
    start_consumer = partial(
        probe_workers,
        site,
        consume=PROBE_QUEUE,
        database_url=via_proxy,
        observe_deliveries=False,  # an observation is a write of its own, outside the inbox's retries
        outage_budget_s=0.2,
        outage_backoff_max_s=0.05,
    )
    reachable = proxy.target
    first = start_consumer("consumer-1")  # it reads its give-back key while the database is there
    wait_for_consumers(site, PROBE_QUEUE)
    proxy.target = ("127.0.0.1", _closed_port())  # every new connection is reset at once
    proxy.cut_all()  # and every open one
    try:
        probe_workers(site, "relay", relay=True)
        producer = ProbeProducer(site.engine)
        aggregates = [f"outage-{n}" for n in range(4)]
        producer.seed(aggregates)
        for aggregate in aggregates:
            producer.produce(aggregate)
        produced = [p.event_id for p in producer.produced]

        def each_given_back_beyond_the_limit(worker: ProbeWorker) -> bool:
            counts = _given_back(worker)
            return all(counts[event_id] > BROKER_DELIVERY_LIMIT for event_id in produced)

        wait_until(lambda: each_given_back_beyond_the_limit(first), 120, "every event given back beyond the limit")
        assert site.queue_depth(DEAD_LETTER_QUEUE) == 0

        # a worker stopped during the outage still stops on time; its held deliveries are redelivered
        stopping = time.monotonic()
        first.stop(timeout_s=30)
        assert time.monotonic() - stopping < STOP_LIMIT_S, first.log_tail()
        second = start_consumer("consumer-2")
        # for 3 s (long enough to take and give back every event many times over) it takes nothing
        quiet_until = time.monotonic() + 3
        while time.monotonic() < quiet_until:
            assert second.exited() is None and not _given_back(second), second.log_tail()
            time.sleep(0.2)
        assert site.queue_depth(DEAD_LETTER_QUEUE) == 0
    finally:
        proxy.target = reachable

    wait_until(lambda: site.effect_count() >= len(produced), 60, "every event applied once the database is back")
    wait_until(lambda: site.queue_depth(PROBE_QUEUE) == 0, 30, "the queue drained of copies")
    report = check_delivery(site, producer.produced)
    assert report.ok and report.applied == len(produced), report.summary()
    assert site.queue_depth(DEAD_LETTER_QUEUE) == 0
    assert proxy.refused > 0  # the outage happened


def test_a_call_on_a_database_that_vanished_silently_is_answered_unavailable_instead_of_hanging() -> None:
    """A network partition: the pooled connection's server stops answering without closing anything (its
    loopback taken down, in a network namespace of the test's own). The call fails as an outage once
    the connection is found dead (a short dead-peer timeout here, 30 s by default) instead of waiting
    for the kernel's retransmissions to give up, some 15 minutes later."""
    if shutil.which("unshare") is None or shutil.which("ip") is None or os.geteuid() != 0:
        unavailable("a silent database needs root, unshare and ip, for a network namespace of its own")
    ran = subprocess.run(
        ["unshare", "--net", sys.executable, "-m", "tests.support.silent_database", "--dead-peer-timeout-s", "6"],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    ended = json.loads(ran.stdout.strip().splitlines()[-1])

    assert ended["outcome"] == "failed", ended  # neither hung (given up on after 120 s) nor answered
    assert ended["status"] == "UNAVAILABLE", ended
    assert ended["detail"] == "registry database unavailable; the call may be retried"
