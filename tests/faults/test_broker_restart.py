"""Trusts onboarded while the broker is SIGKILLed and restarted all reach every service, once, in time;
and ``plr health`` is green again within 30 s of the restart.

The whole system runs as processes (registry api and every worker) on this run's PostgreSQL and a
private RabbitMQ node. Each cycle onboards 40 trusts through the api; after a third of them the
broker is SIGKILLed, after two thirds it is started again. The same processes live through every
cycle, so each cycle also proves that they recovered from the one before. Every (trust, service)
copy in matching, recruitment and integration is then checked, and three kinds of failure are
reported apart: lost (never arrived), duplicated (an event applied twice) and late (arrived more
than ``LATE_AFTER_S`` after the broker was back, or after the trust was onboarded if that was later).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa

from proto.gen.python.plr.registry.v1 import registry_pb2 as pb
from proto.gen.python.plr.registry.v1 import registry_pb2_grpc
from services.common.admin.operations import health_checks
from services.common.db import scoped_transaction
from services.common.grpc_client import api_channel, bearer
from services.common.platform_tables import inbox, outbox
from services.common.tenancy import TenantScope
from services.common.topology import TopologyError
from services.common.trust_directory import api_keys, trusts
from tests.e2e.conftest import Running
from tests.support.infra import API_SERVICES, SERVICES, WEB_SERVICES, Infra, PlrStack, plr_stack, wait_for
from tests.support.private_broker import PrivateBroker

pytestmark = pytest.mark.faults

CYCLES = 5
TRUSTS_PER_CYCLE = 40
CONSUMERS = ("matching", "recruitment", "integration")
EVENTS_PER_TRUST = 2  # trust.onboarded and trust.key_issued
LATE_AFTER_S = 20.0
LOST_AFTER_S = 60.0  # after the later of the restart and the last onboarding
HEALTHY_WITHIN_S = 30.0


class System(Running):
    """The registry api and every worker, as processes, with their output kept for the report."""

    def exited(self) -> dict[str, int]:
        return {name: p.returncode for name, p in self.processes.items() if p.poll() is not None}

    def tails(self, lines: int = 8) -> str:
        return "\n".join(f"--- {name}\n" + "".join(log[-lines:]) for name, log in self.logs.items())


@pytest.fixture
def system(infra: Infra, private_rabbit: PrivateBroker) -> Iterator[System]:
    private = Infra(infra.pg_admin_url, private_rabbit.amqp_uri, private_rabbit.management_url)
    try:
        with plr_stack(private) as stack:
            stack.env["PLR_DB_POOL_SIZE"] = "3"  # the machine's PostgreSQL is shared: 100 connections in all
            running = System(stack)
            for service in API_SERVICES:
                running.start(service, "api")
            for service in WEB_SERVICES:  # `plr health` asks every process, the portal's web too
                running.start(service, "web")
            for service in SERVICES:
                running.start(service, "worker")
            try:
                yield running
            finally:
                running.stop()
    except TopologyError:  # a failed restart leaves the broker down: its vhost goes with its folder
        if private_rabbit.pid() is not None:
            raise


@dataclass
class Cycle:
    number: int
    onboarded_at: dict[str, float] = field(default_factory=dict)
    broker_back_at: float = 0.0
    arrived_at: dict[tuple[str, str], float] = field(default_factory=dict)
    healthy_after_s: float | None = None
    unhealthy: list[str] = field(default_factory=list)

    def due(self, ods: str) -> float:
        """When a copy of this trust can be expected: once it exists and the broker is back."""
        return max(self.onboarded_at[ods], self.broker_back_at)

    def copies(self) -> list[tuple[str, str]]:
        return [(ods, service) for ods in self.onboarded_at for service in CONSUMERS]


def ods_code(cycle: int, n: int) -> str:
    return f"B{cycle}{n:03d}"


def arrived(stack: PlrStack, codes: list[str]) -> set[tuple[str, str]]:
    """(trust, service) copies complete in a service: the trust at version 2 with its key."""
    found: set[tuple[str, str]] = set()
    for service in CONSUMERS:
        with scoped_transaction(stack.engine(service), TenantScope.platform_wide()) as connection:
            rows = connection.execute(
                sa.select(trusts.c.trust_ods)
                .where(trusts.c.trust_ods.in_(codes), trusts.c.version >= EVENTS_PER_TRUST)
                .where(sa.exists().where(api_keys.c.trust_ods == trusts.c.trust_ods))
            ).scalars()
            found.update((ods, service) for ods in rows)
    return found


def duplicated(stack: PlrStack, codes: list[str]) -> list[str]:
    """Copies in which a trust's events were applied more often than registry wrote them."""
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        events = connection.execute(
            sa.select(outbox.c.event_id, outbox.c.trust_ods).where(outbox.c.trust_ods.in_(codes))
        ).all()
    trust_of = {str(event_id): ods for event_id, ods in events}
    written = {ods: sum(1 for o in trust_of.values() if o == ods) for ods in codes}
    found = []
    for service in CONSUMERS:
        with scoped_transaction(stack.engine(service), TenantScope.platform_wide()) as connection:
            applied = [str(e) for e in connection.execute(sa.select(inbox.c.event_id)).scalars()]
            rows = connection.execute(
                sa.select(trusts.c.trust_ods, sa.func.count())
                .where(trusts.c.trust_ods.in_(codes))
                .group_by(trusts.c.trust_ods)
            ).all()
        per_trust: dict[str, int] = {}
        for event_id in applied:
            if event_id in trust_of:
                per_trust[trust_of[event_id]] = per_trust.get(trust_of[event_id], 0) + 1
        found += [f"{ods}@{service}: {n} applied of {written[ods]}" for ods, n in per_trust.items() if n > written[ods]]
        found += [f"{ods}@{service}: {n} rows" for ods, n in rows if n > 1]
    return found


def run_cycle(number: int, system: System, broker: PrivateBroker, create: Callable[[str], None]) -> Cycle:
    cycle = Cycle(number)
    codes = [ods_code(number, n) for n in range(TRUSTS_PER_CYCLE)]
    third = TRUSTS_PER_CYCLE // 3
    for n, ods in enumerate(codes):
        if n == third:
            broker.kill()
        if n == 2 * third:
            broker.start()
            cycle.broker_back_at = time.monotonic()
        create(ods)
        cycle.onboarded_at[ods] = time.monotonic()

    # one loop: copies are timed as they arrive, health as it turns green (the checks `plr health` runs)
    give_up = max(cycle.due(ods) for ods in codes) + LOST_AFTER_S
    while time.monotonic() < give_up:
        assert not system.exited(), f"a process exited: {system.exited()}\n{system.tails(30)}"
        now = time.monotonic()
        for copy in arrived(system.stack, codes) - cycle.arrived_at.keys():
            cycle.arrived_at[copy] = now
        if cycle.healthy_after_s is None:
            failing = [f"{c.name}: {c.detail}" for c in health_checks(system.stack.settings) if not c.ok]
            if not failing:
                cycle.healthy_after_s = time.monotonic() - cycle.broker_back_at
            cycle.unhealthy = failing
        if cycle.healthy_after_s is not None and len(cycle.arrived_at) == len(cycle.copies()):
            break
        time.sleep(0.2)  # the clock's resolution, not a wait for an outcome: the loop has its deadline
    return cycle


def test_no_onboarding_is_lost_duplicated_or_late_when_the_broker_is_killed_and_restarted(
    system: System, private_rabbit: PrivateBroker, capsys: pytest.CaptureFixture[str]
) -> None:
    def say(line: str) -> None:
        with capsys.disabled():  # the figures are the point of this test: shown even when it passes
            print(f"\n[broker-restart] {line}", end="")

    stack = system.stack
    wait_for(lambda: stack.plr("health").returncode == 0, timeout=60, interval=0.5, message="the system to be healthy")
    channel = api_channel(stack.settings, "registry")
    stub = registry_pb2_grpc.RegistryServiceStub(channel)
    metadata = bearer(stack.settings.admin_token or "")

    def create(ods: str) -> None:
        response = stub.CreateTrust(pb.CreateTrustRequest(ods=ods, name=f"Trust {ods}"), metadata=metadata, timeout=10)
        assert response.created, ods

    failures: list[str] = []
    try:
        for number in range(CYCLES):
            cycle = run_cycle(number, system, private_rabbit, create)
            lost = [c for c in cycle.copies() if c not in cycle.arrived_at]
            late = [
                f"{ods}@{service} after {at - cycle.due(ods):.1f}s"
                for (ods, service), at in cycle.arrived_at.items()
                if at - cycle.due(ods) > LATE_AFTER_S
            ]
            twice = duplicated(stack, list(cycle.onboarded_at))
            slowest = max((at - cycle.due(ods) for (ods, _), at in cycle.arrived_at.items()), default=0.0)
            health = "never green" if cycle.healthy_after_s is None else f"green {cycle.healthy_after_s:.1f}s after"
            say(
                f"cycle {number + 1}: {len(cycle.copies())} copies, lost {len(lost)}, duplicated {len(twice)}, "
                f"late {len(late)}; slowest {slowest:.1f}s after due; health {health} the restart"
            )
            if lost or twice or late:
                failures.append(f"cycle {number + 1}: lost {lost[:10]}, duplicated {twice[:10]}, late {late[:10]}")
            if cycle.healthy_after_s is None or cycle.healthy_after_s > HEALTHY_WITHIN_S:
                failures.append(f"cycle {number + 1}: plr health {health} the restart: {cycle.unhealthy}")
        # and the command itself says so
        result = stack.plr("health")
        assert result.returncode == 0, result.stdout + result.stderr
    finally:
        channel.close()
    assert private_rabbit.kills == CYCLES and private_rabbit.starts == CYCLES + 1
    assert not failures, "\n".join(failures) + "\n" + system.tails()
