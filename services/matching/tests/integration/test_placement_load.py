"""Recruitment's offer and placement events as matching keeps them, and each person's load read back
on a date: redelivered or out of order, the newest version of each placement wins."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from services.common.db import scoped_transaction
from services.common.events import CONTRACTS_DIR, CloudEvent, default_registry
from services.common.tenancy import TenantScope
from services.matching.adapters.placement_load import (
    SqlPlacementLoads,
    placement_handlers,
    record_offer_made,
    record_placement_ended,
    record_placement_started,
)
from services.matching.domain.ranking import Load
from services.matching.tests.integration.conftest import MatchingClient

pytestmark = pytest.mark.integration
TODAY = date(2026, 12, 2)


def recruitment_event(kind: str, aggregate: str, aggregate_id: str, version: int, data: dict) -> CloudEvent:
    return CloudEvent(
        type=f"plr.recruitment.{aggregate}.{kind}.v1",
        source="plr/recruitment",
        data=data,
        aggregate_type=aggregate,
        aggregate_id=aggregate_id,
        aggregate_version=version,
        trust_ods=data["ods"],
    )


def offer(leader: str, made_on: str, ods: str = "PLA") -> CloudEvent:
    offer_id = str(uuid.uuid4())
    data = {
        "offer_id": offer_id,
        "opportunity_id": str(uuid.uuid4()),
        "leader_id": leader,
        "ods": ods,
        "made_on": made_on,
    }
    return recruitment_event("made", "offer", offer_id, 1, data)


def placement(
    leader: str, placement_id: str, started: str, ended: str | None = None, hours: int = 8, ods: str = "PLB"
) -> CloudEvent:
    data = {
        "placement_id": placement_id,
        "opportunity_id": "3d4a2b8e-5f61-4c7a-9e0b-7a1c2d3e4f50",
        "leader_id": leader,
        "ods": ods,
        "started_on": started,
        "hours_per_month": hours,
    }
    if ended is None:
        return recruitment_event("started", "placement", placement_id, 1, data)
    return recruitment_event("ended", "placement", placement_id, 2, {**data, "ended_on": ended, "reason": "term ended"})


def loads(matching: MatchingClient, *leaders: str, today: date = TODAY, months: int = 12) -> dict[str, Load]:
    # any trust's scope reads a person's load, whoever placed them: the cap protects the person
    with scoped_transaction(matching.engine, TenantScope.trust("PLC")) as connection:
        return dict(SqlPlacementLoads(connection).of(leaders, today, months))


def test_a_persons_load_counts_current_placements_recent_ones_and_recent_offers(matching: MatchingClient) -> None:
    leader = str(uuid.uuid4())
    for event in (
        placement(leader, str(uuid.uuid4()), "2026-11-01", hours=8),  # current, recent
        placement(leader, str(uuid.uuid4()), "2025-06-01", "2026-06-01"),  # ended, before the window
        placement(leader, str(uuid.uuid4()), "2027-01-01"),  # not started yet
        offer(leader, "2026-10-01"),
        offer(leader, "2025-10-01"),  # before the window
    ):
        matching.apply_in_scope(placement_handlers()[event.type], event)
    assert loads(matching, leader)[leader] == Load(
        concurrent_placements=1, committed_hours=8, last_placed=date(2026, 11, 1), recent_offers=1
    )
    assert loads(matching, str(uuid.uuid4())) == {}


def test_an_end_that_arrives_before_its_start_is_not_undone_and_an_offer_counts_once(matching: MatchingClient) -> None:
    leader, placement_id = str(uuid.uuid4()), str(uuid.uuid4())
    matching.apply_in_scope(record_placement_ended, placement(leader, placement_id, "2026-01-05", "2026-11-30"))
    matching.apply_in_scope(record_placement_started, placement(leader, placement_id, "2026-01-05"))
    made = offer(leader, "2026-11-20")
    matching.apply_in_scope(record_offer_made, made)
    matching.apply_in_scope(record_offer_made, made)  # redelivered
    found = loads(matching, leader)[leader]
    assert (found.concurrent_placements, found.committed_hours, found.recent_offers) == (0, 0, 1)
    assert found.last_placed == date(2026, 1, 5)


def test_recruitments_golden_events_apply(matching: MatchingClient) -> None:
    """Recruitment's contract (proto/events/examples), parsed and validated as the worker does."""
    registry = default_registry()
    handlers = placement_handlers()
    for name in ("offer.made", "placement.ended", "placement.started"):
        event_type = f"plr.recruitment.{name}.v1"
        event = registry.parse((CONTRACTS_DIR / "examples" / f"{event_type}.json").read_bytes())
        matching.apply_in_scope(handlers[event_type], event)
    leader = "8c1f4f7e-3a52-4d2b-9b61-2f0e6f4f1a10"
    found = loads(matching, leader, today=date(2027, 1, 1))[leader]
    assert found.concurrent_placements == 1 and found.recent_offers == 1  # the end (2028) was applied first


def test_a_trust_cannot_write_another_trusts_placement(matching: MatchingClient) -> None:
    event = placement(str(uuid.uuid4()), str(uuid.uuid4()), "2026-11-01")  # PLB's
    refused = pytest.raises(Exception, match="row-level security")
    with refused, scoped_transaction(matching.engine, TenantScope.trust("PLC")) as connection:
        record_placement_started(connection, event)
