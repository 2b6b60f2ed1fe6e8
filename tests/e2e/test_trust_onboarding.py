"""The slice end to end, with every process running: onboard a trust with the `plr` command and see
it reach registry, matching, recruitment and integration through the outbox, the broker and the
inboxes; then the operations commands."""

from __future__ import annotations

import json
import signal
import time

import pytest
import sqlalchemy as sa

from services.common.db import scoped_transaction
from services.common.platform_tables import inbox, outbox
from services.common.tenancy import TenantScope
from services.common.trust_directory import api_keys, trusts
from tests.e2e.conftest import Running
from tests.support.infra import SERVICES, TRUST_SERVICES, PlrStack, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


def trust_lists(stack: PlrStack) -> dict[str, list[dict[str, object]]]:
    listed = {}
    for service in TRUST_SERVICES:
        result = stack.plr("trust", "list", "--service", service, "--json")
        assert result.returncode == 0, result.stderr
        listed[service] = json.loads(result.stdout)
    return listed


def row_counts(stack: PlrStack) -> dict[str, tuple[int, ...]]:
    counts = {}
    for service in TRUST_SERVICES:
        with scoped_transaction(stack.engine(service), TenantScope.platform_wide()) as connection:
            counts[service] = tuple(
                connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                for table in (trusts, outbox, inbox)
            )
    return counts


def test_onboarding_reaches_every_service_within_five_seconds(system: tuple[PlrStack, Running]) -> None:
    stack, _ = system
    result = stack.plr("trust", "onboard", "--ods", "RXX", "--name", "Example NHS Trust")
    assert result.returncode == 0, result.stderr
    assert "plrk_" in result.stdout
    started = time.monotonic()
    wait_for(
        lambda: all(any(t["ods"] == "RXX" for t in rows) for rows in trust_lists(stack).values()),
        timeout=5,
        interval=0.2,
        message="RXX in every service's trust list",
    )
    print(f"RXX reached all four services in {time.monotonic() - started:.2f}s")
    for rows in trust_lists(stack).values():
        assert [t for t in rows if t["ods"] == "RXX"] == [
            {"ods": "RXX", "name": "Example NHS Trust", "status": "active", "version": 2}
        ]


def test_a_second_onboarding_creates_nothing_anywhere(system: tuple[PlrStack, Running]) -> None:
    stack, _ = system
    assert stack.plr("trust", "onboard", "--ods", "RYY", "--name", "Second NHS Trust").returncode == 0
    wait_for(
        lambda: all(any(t["ods"] == "RYY" for t in rows) for rows in trust_lists(stack).values()),
        timeout=5,
        interval=0.2,
        message="RYY everywhere",
    )
    wait_for(lambda: stack.plr("outbox", "status", "--json").stdout.count('"pending": 0') == len(SERVICES), timeout=5)
    before = row_counts(stack)
    again = stack.plr("trust", "onboard", "--ods", "RYY", "--name", "Second NHS Trust")
    assert again.returncode == 0 and "already exists" in again.stdout
    # an event is written to the registry's outbox in the call's own transaction (and kept there once
    # published), so counting at once is enough: nothing new there means nothing can reach the others
    assert row_counts(stack) == before


def test_bad_input_names_both_fields_and_creates_nothing_anywhere(system: tuple[PlrStack, Running]) -> None:
    stack, _ = system
    before = row_counts(stack)
    result = stack.plr("trust", "onboard", "--ods", "rx x!", "--name", "")
    assert result.returncode != 0
    assert "ods" in result.stderr and "name" in result.stderr
    assert row_counts(stack) == before


def test_health_outbox_and_dead_letter_commands(system: tuple[PlrStack, Running]) -> None:
    stack, _ = system
    health = stack.plr("health", "--json")
    assert health.returncode == 0, health.stdout
    checks = json.loads(health.stdout)
    assert {c["name"] for c in checks} >= {"registry api", *(f"{s} worker" for s in SERVICES)}
    status = json.loads(stack.plr("outbox", "status", "--json").stdout)
    assert {row["service"] for row in status} == set(SERVICES)
    dead = stack.plr("dlq", "list", "--json")
    assert dead.returncode == 0 and json.loads(dead.stdout) == []


def test_rotating_a_key_revokes_the_old_one_in_every_service(system: tuple[PlrStack, Running]) -> None:
    stack, _ = system
    assert stack.plr("trust", "onboard", "--ods", "RKR", "--name", "Rotating NHS Trust").returncode == 0
    refused = stack.plr("trust", "key", "rotate", "RKR", input="n\n")
    assert refused.returncode == 0 and "New API key" in refused.stdout
    rotated = stack.plr("trust", "key", "rotate", "RKR", "--yes")
    assert rotated.returncode == 0 and "Revoked" in rotated.stdout

    def keys_everywhere() -> bool:
        for service in TRUST_SERVICES:
            with scoped_transaction(stack.engine(service), TenantScope.trust("RKR")) as connection:
                rows = connection.execute(sa.select(api_keys.c.revoked_at)).all()
            if len(rows) != 3 or sum(r.revoked_at is None for r in rows) != 1:
                return False
        return True

    wait_for(keys_everywhere, timeout=5, interval=0.2, message="3 keys, 1 valid, in every service")


def test_health_fails_when_a_worker_stops(system: tuple[PlrStack, Running]) -> None:
    stack, running = system
    worker = running.processes["integration-worker"]
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0
    failing = wait_for(
        lambda: (r := stack.plr("health")).returncode != 0 and r,
        timeout=10,
        interval=0.5,
        message="health to notice the stopped worker",
    )
    assert "FAIL  queue integration.registry-events" in failing.stdout
    running.start("integration", "worker")
    wait_for(lambda: stack.plr("health").returncode == 0, timeout=30, interval=0.5, message="health again")
