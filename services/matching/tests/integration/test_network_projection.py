"""The registry's network events as matching applies them: redelivered or out of order, the newest
version of each membership wins."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from services.common.db import scoped_transaction
from services.common.events import CONTRACTS_DIR, default_registry
from services.common.tenancy import TenantScope
from services.matching.adapters.networks import network_handlers, record_trust_added, record_trust_removed
from services.matching.adapters.tables import network_members
from services.matching.tests.integration.conftest import MatchingClient, registry_event

pytestmark = pytest.mark.integration


def member(matching: MatchingClient, network: str, ods: str) -> bool | None:
    with scoped_transaction(matching.engine, TenantScope.platform_wide()) as connection:
        found: bool | None = connection.execute(
            sa.select(network_members.c.member).where(
                network_members.c.network_id == network, network_members.c.trust_ods == ods
            )
        ).scalar()
    return found


def membership(network: str, ods: str, kind: str, version: int):  # type: ignore[no-untyped-def]
    return registry_event(kind, "network", network, version, {"network_id": network, "ods": ods})


def test_a_removal_that_arrives_first_is_not_undone_by_the_older_addition(matching: MatchingClient) -> None:
    matching.apply(record_trust_removed, membership("order-net", "MOA", "trust_removed", 3))
    matching.apply(record_trust_added, membership("order-net", "MOA", "trust_added", 2))
    assert member(matching, "order-net", "MOA") is False
    matching.apply(record_trust_added, membership("order-net", "MOA", "trust_added", 4))
    matching.apply(record_trust_added, membership("order-net", "MOA", "trust_added", 4))  # redelivered
    assert member(matching, "order-net", "MOA") is True


def test_the_registrys_golden_network_events_apply(matching: MatchingClient) -> None:
    """The registry's own contract (proto/events/examples), parsed and validated as the worker does."""
    registry = default_registry()
    handlers = network_handlers()
    for name in ("created", "trust_added", "trust_removed"):
        event_type = f"plr.registry.network.{name}.v1"
        event = registry.parse((CONTRACTS_DIR / "examples" / f"{event_type}.json").read_bytes())
        matching.apply(handlers[event_type], event)
    assert member(matching, "north-ics", "RXX") is False  # added at version 2, removed at 3
