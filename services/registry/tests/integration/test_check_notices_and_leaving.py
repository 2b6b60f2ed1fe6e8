"""Issue 9 §3: who hears of a check's expiry, and what is left of a trust's checks and development
rows once the person is erased or the trust is offboarded. Through the real gRPC API and tables; the
expiry scan runs with a fake clock against the real database."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from plr.registry.v1 import checks_pb2 as cpb
from plr.registry.v1 import leaders_pb2 as lpb

from services.common.db import scoped_transaction
from services.common.grpc_client import bearer
from services.common.platform_tables import outbox
from services.common.tenancy import TenantScope
from services.registry.adapters.development_repository import check_ins, enrolments, programmes, support_assignments
from services.registry.adapters.tables import check_acceptances, checks
from services.registry.adapters.unit_of_work import SqlUnitOfWork
from services.registry.service_layer.checks import scan_check_expiry
from services.registry.tests.integration.conftest import RegistryClient
from services.registry.tests.integration.development_support import Trusts
from services.registry.tests.integration.test_checks_api import check_stub
from tests.support.infra import PlrStack

TODAY = datetime.now(UTC).date()


def scan_on(stack: PlrStack, day: date) -> int:
    engine = stack.engine("registry")
    return scan_check_expiry(
        lambda: SqlUnitOfWork(engine, TenantScope.platform_wide()),
        lambda: datetime(day.year, day.month, day.day, 6, tzinfo=UTC),
    )


def rows(stack: PlrStack, query: Any) -> list[Any]:
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        return list(connection.execute(query).all())


def notices(stack: PlrStack, check_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(event type, trustods, data) of the check's expiry notices, in outbox order."""
    found = rows(
        stack,
        sa.select(outbox.c.event_type, outbox.c.payload)
        .where(sa.func.strpos(outbox.c.payload, check_id) > 0, outbox.c.event_type.like("%.check.expir%"))
        .order_by(outbox.c.id),
    )
    return [(r.event_type, json.loads(r.payload)["trustods"], json.loads(r.payload)["data"]) for r in found]


def record_occupational_health(registry: RegistryClient, key: str, leader_id: str, days_left: int) -> cpb.Check:
    return check_stub(registry).RecordCheck(
        cpb.RecordCheckRequest(
            leader_id=leader_id,
            check_type="occupational_health",
            issued_on=TODAY.isoformat(),
            expires_on=(TODAY + timedelta(days=days_left)).isoformat(),
            evidence="OH clearance letter",
        ),
        metadata=bearer(key),
        timeout=10,
    )


def test_a_trust_that_accepted_a_check_is_told_of_its_expiry_and_one_that_left_is_not(
    registry: RegistryClient, stack: PlrStack
) -> None:
    keys = {ods: registry.onboard(ods).initial_key.key for ods in ("RNV1", "RNA1", "RNL1")}
    email = f"notices-{uuid.uuid4().hex[:8]}@example.org"
    affiliations = {ods: registry.confirm(registry.register(key, email)) for ods, key in keys.items()}
    leader_id = affiliations["RNV1"].leader_id
    made = record_occupational_health(registry, keys["RNV1"], leader_id, days_left=45)
    accepted = {}
    for ods in ("RNA1", "RNL1"):
        registry.consent(leader_id, "share_record_with_trust", ods)
        accepted[ods] = check_stub(registry).AcceptCheck(
            cpb.AcceptCheckRequest(leader_id=leader_id, check_id=made.check_id), metadata=bearer(keys[ods]), timeout=10
        )
    # RNL1's relationship with the person ends: it holds them no more, so it is told nothing more
    registry.leaders.EndAffiliation(
        lpb.EndAffiliationRequest(leader_id=leader_id, reason="moved away"),
        metadata=bearer(keys["RNL1"]),
        timeout=10,
    )

    scan_on(stack, TODAY + timedelta(days=20))
    scan_on(stack, TODAY + timedelta(days=46))
    scan_on(stack, TODAY + timedelta(days=47))

    told = notices(stack, made.check_id)
    assert [(t.split(".")[-2], trust) for t, trust, _ in told] == [
        ("expiring", "RNV1"),
        ("expiring", "RNA1"),
        ("expired", "RNV1"),
        ("expired", "RNA1"),
    ]
    for _, trust, data in told:
        assert data["ods"] == trust
        if trust == "RNA1":
            assert (data["verifying_ods"], data["acceptance_id"]) == ("RNV1", accepted["RNA1"].acceptance_id)
        else:
            assert "acceptance_id" not in data and "verifying_ods" not in data


def test_after_erasure_no_notice_names_the_person(registry: RegistryClient, stack: PlrStack) -> None:
    key = registry.onboard("RNE1").initial_key.key
    affiliation = registry.confirm(registry.register(key, f"erased-{uuid.uuid4().hex[:8]}@example.org"))
    made = record_occupational_health(registry, key, affiliation.leader_id, days_left=10)
    registry.leaders.EraseLeader(
        lpb.EraseLeaderRequest(leader_id=affiliation.leader_id),
        metadata=registry.as_leader(affiliation.leader_id),
        timeout=10,
    )
    [(erased_by,)] = rows(stack, sa.select(sa.func.max(outbox.c.id)))  # the erasure's own events end here
    scan_on(stack, TODAY + timedelta(days=1))
    scan_on(stack, TODAY + timedelta(days=11))
    assert notices(stack, made.check_id) == []
    named_later = rows(
        stack,
        sa.select(outbox.c.event_type).where(
            sa.func.strpos(outbox.c.payload, affiliation.leader_id) > 0, outbox.c.id > erased_by
        ),
    )
    assert named_later == []


def test_offboarding_exports_then_deletes_the_trusts_checks_and_development_rows_for_people_others_hold(
    registry: RegistryClient, stack: PlrStack
) -> None:
    world = Trusts(registry, "RNO1", "RNO2", note="CanaryCheckInNote")
    own = record_occupational_health(registry, world.a_key, world.leader_id, days_left=20)
    kept = record_occupational_health(registry, world.b_key, world.leader_id, days_left=20)
    registry.consent(world.leader_id, "share_record_with_trust", "RNO2")
    accepted_by_b = check_stub(registry).AcceptCheck(
        cpb.AcceptCheckRequest(leader_id=world.leader_id, check_id=own.check_id),
        metadata=bearer(world.b_key),
        timeout=10,
    )

    response = registry.offboard("RNO1")

    # the export carries the trust's own records of the person others still hold
    [record] = json.loads(response.export_document)["records"]
    assert record["leader_id"] == world.leader_id
    assert [c["check_id"] for c in record["checks"]["verified"]] == [own.check_id]
    assert record["checks"]["verified"][0]["evidence"] == "OH clearance letter"
    assert [e["programme_id"] for e in record["enrolments"]] == [world.programme.programme_id]
    assert len(record["check_ins"]) == 1 and "CanaryCheckInNote" not in response.export_document

    # then they are gone, for everyone; the other trust's own check and its acceptance stay
    assert rows(stack, sa.select(checks.c.check_id).where(checks.c.trust_ods == "RNO1")) == []
    for table in (programmes, enrolments, support_assignments, check_ins):
        assert rows(stack, sa.select(table).where(table.c.trust_ods == "RNO1")) == [], table.name
    assert [r.check_id for r in rows(stack, sa.select(checks.c.check_id).where(checks.c.trust_ods == "RNO2"))] == [
        kept.check_id
    ]
    kept_acceptances = rows(
        stack, sa.select(check_acceptances.c.acceptance_id).where(check_acceptances.c.trust_ods == "RNO2")
    )
    assert [r.acceptance_id for r in kept_acceptances] == [accepted_by_b.acceptance_id]
    # and the offboarded trust's check emits nothing any more; the other trust's does
    scan_on(stack, TODAY + timedelta(days=1))
    assert notices(stack, own.check_id) == []
    assert [trust for _, trust, _ in notices(stack, kept.check_id)] == ["RNO2"]
