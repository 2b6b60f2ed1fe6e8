"""Checks, the portable record and the expiry scan through gRPC and the real database.

The acceptance of issue 4: RXX verifies a leader's DBS check; after the leader shares the verified
record with RYY, RYY sees the check and accepts it, and the placement question answers yes for RYY;
after withdrawal RYY no longer sees the shared record (and keeps its acceptance). The DBS content is
a canary: it must appear in no event, no outbox row, and no read by anyone but RXX's staff whose role
needs it (a recruiter), a key of RXX issued with the scope dbs-details, and the leader."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import grpc
import pytest
import sqlalchemy as sa
from plr.registry.v1 import checks_pb2 as cpb
from plr.registry.v1 import checks_pb2_grpc
from plr.registry.v1 import leaders_pb2 as lpb
from plr.registry.v1 import registry_pb2 as pb

from services.common.db import scoped_transaction
from services.common.grpc_client import bearer
from services.common.platform_tables import outbox
from services.common.tenancy import TenantScope
from services.registry.adapters.tables import audit_log, checks, idempotency_keys
from services.registry.adapters.unit_of_work import SqlUnitOfWork
from services.registry.service_layer.checks import scan_check_expiry
from services.registry.tests.integration.conftest import RegistryClient
from tests.support.infra import PlrStack

pytestmark = pytest.mark.integration

CANARY_DBS = "DBS-CANARY-Zanzibar-998877"
TODAY = datetime.now(UTC).date()


def check_stub(registry: RegistryClient) -> checks_pb2_grpc.CheckServiceStub:
    return checks_pb2_grpc.CheckServiceStub(registry.channel)


def staff(key: str, name: str = "j.bloggs") -> tuple[tuple[str, str], ...]:
    """A trust key with a staff name: a claim for the audit, which grants nothing."""
    return (*bearer(key), ("x-plr-staff", name))


@dataclass
class World:
    x_key: str
    y_key: str
    leader_id: str
    y_affiliation: Any
    x_recruiter: str  # staff ids at RCKX, through the portal
    x_facilitator: str


@pytest.fixture(scope="module")
def world(registry: RegistryClient) -> World:
    x_key = registry.onboard("RCKX", "Check Trust X").initial_key.key
    y_key = registry.onboard("RCKY", "Check Trust Y").initial_key.key
    email = f"checks-{uuid.uuid4().hex[:8]}@example.org"
    affiliation = registry.register(x_key, email)
    registry.confirm(affiliation)
    y_affiliation = registry.register(y_key, email)  # pending until the leader confirms
    recruiter = registry.add_staff("RCKX", "recruiter").staff_id
    facilitator = registry.add_staff("RCKX", "facilitator").staff_id
    return World(x_key, y_key, affiliation.leader_id, y_affiliation, recruiter, facilitator)


def record_dbs(registry: RegistryClient, world: World, **extra: Any) -> cpb.Check:
    request = cpb.RecordCheckRequest(
        leader_id=world.leader_id,
        check_type="dbs",
        dbs_level="enhanced",
        issued_on=(TODAY - timedelta(days=30)).isoformat(),
        expires_on=(TODAY + timedelta(days=3 * 365)).isoformat(),
        evidence="certificate seen by the volunteer lead",
        dbs_details=CANARY_DBS,
        **extra,
    )
    return check_stub(registry).RecordCheck(request, metadata=registry.as_staff(world.x_recruiter), timeout=10)


def platform_rows(stack: PlrStack, query: Any) -> list[Any]:
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        return list(connection.execute(query).all())


def test_the_acceptance_flow_shares_accepts_places_and_unshares(
    registry: RegistryClient, world: World, stack: PlrStack
) -> None:
    stub = check_stub(registry)
    verified = record_dbs(registry, world)
    assert verified.dbs_details == CANARY_DBS and verified.verified_by == f"RCKX/staff:{world.x_recruiter}"
    assert verified.verifying_trust == "RCKX"

    # before sharing, RYY (whose affiliation awaits the person) sees nothing of the leader's record
    with pytest.raises(grpc.RpcError) as hidden:
        stub.GetSharedRecord(cpb.GetSharedRecordRequest(leader_id=world.leader_id), metadata=bearer(world.y_key))
    assert hidden.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "has not yet confirmed your trust's affiliation" in hidden.value.details()

    registry.consent(world.leader_id, "share_record_with_trust", "RCKY")
    record = stub.GetSharedRecord(
        cpb.GetSharedRecordRequest(leader_id=world.leader_id), metadata=bearer(world.y_key), timeout=10
    )
    [shared] = [c for c in record.checks if c.check_id == verified.check_id]
    assert (shared.check_type, shared.dbs_level, shared.verifying_trust) == ("dbs", "enhanced", "RCKX")
    assert shared.expires_on == verified.expires_on and list(record.placements) == []
    assert CANARY_DBS not in str(record) and "certificate seen" not in str(record)

    accepted = stub.AcceptCheck(
        cpb.AcceptCheckRequest(leader_id=world.leader_id, check_id=verified.check_id),
        metadata=staff(world.y_key, "s.smith"),
        timeout=10,
    )
    assert (accepted.verifying_trust, accepted.accepting_trust) == ("RCKX", "RCKY")
    assert accepted.accepted_by == "RCKY/claimed-staff:s.smith"  # a claim, recorded as one
    again = stub.AcceptCheck(
        cpb.AcceptCheckRequest(leader_id=world.leader_id, check_id=verified.check_id),
        metadata=bearer(world.y_key),
        timeout=10,
    )
    assert again.acceptance_id == accepted.acceptance_id

    registry.confirm(world.y_affiliation)  # placing needs an active affiliation
    question = cpb.MayPlaceRequest(
        leader_id=world.leader_id, requirements=[cpb.CheckRequirement(check_type="dbs", minimum_dbs_level="enhanced")]
    )
    assert stub.MayPlace(question, metadata=bearer(world.y_key), timeout=10).allowed
    later = cpb.MayPlaceRequest()
    later.CopyFrom(question)
    later.on = (TODAY + timedelta(days=4 * 365)).isoformat()
    answer = stub.MayPlace(later, metadata=bearer(world.y_key), timeout=10)
    assert not answer.allowed and [(r.check_type, r.problem) for r in answer.reasons] == [("dbs", "expired")]

    registry.consent(world.leader_id, "share_record_with_trust", "RCKY", grant=False)
    with pytest.raises(grpc.RpcError) as withdrawn:
        stub.GetSharedRecord(cpb.GetSharedRecordRequest(leader_id=world.leader_id), metadata=bearer(world.y_key))
    assert withdrawn.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as no_more:
        stub.AcceptCheck(
            cpb.AcceptCheckRequest(leader_id=world.leader_id, check_id=verified.check_id), metadata=bearer(world.y_key)
        )
    assert no_more.value.code() == grpc.StatusCode.NOT_FOUND
    # what RYY accepted stays its own record, and still counts for placing
    own = stub.ListChecks(cpb.ListChecksRequest(leader_id=world.leader_id), metadata=bearer(world.y_key), timeout=10)
    assert [a.acceptance_id for a in own.accepted] == [accepted.acceptance_id] and list(own.checks) == []
    assert stub.MayPlace(question, metadata=bearer(world.y_key), timeout=10).allowed

    events = [
        r.event_type
        for r in platform_rows(
            stack, sa.select(outbox.c.event_type).where(sa.func.strpos(outbox.c.payload, world.leader_id) > 0)
        )
    ]
    for expected in (
        "plr.registry.check.verified.v1",
        "plr.registry.record.shared.v1",
        "plr.registry.check.accepted.v1",
        "plr.registry.record.unshared.v1",
    ):
        assert expected in events


def test_dbs_content_is_shown_only_to_the_verifying_trusts_staff_who_need_it_a_dbs_key_and_the_person(
    registry: RegistryClient, world: World, stack: PlrStack
) -> None:
    stub = check_stub(registry)
    verified = record_dbs(registry, world, idempotency_key=f"dbs-{uuid.uuid4()}")
    request = cpb.ListChecksRequest(leader_id=world.leader_id)
    dbs_key = registry.stub.IssueTrustKey(
        pb.IssueTrustKeyRequest(ods="RCKX", scopes=["read", "dbs-details"]), metadata=registry.as_admin(), timeout=10
    ).key
    assert list(dbs_key.scopes) == ["dbs-details", "read"]
    for released in (registry.as_staff(world.x_recruiter), bearer(dbs_key.key)):
        assert CANARY_DBS in [c.dbs_details for c in stub.ListChecks(request, metadata=released, timeout=10).checks]
    y_recruiter = registry.add_staff("RCKY", "recruiter", "trust_admin").staff_id
    for withheld in (
        staff(world.x_key),  # a staff name with a trust key is a claim: it releases nothing
        staff(world.x_key, world.x_recruiter),  # even naming the recruiter's staff id
        bearer(world.x_key),
        registry.as_staff(world.x_facilitator),  # the verifying trust's staff whose role does not need them
        registry.as_staff(y_recruiter),  # another trust's recruiter
    ):
        shown = stub.ListChecks(request, metadata=withheld, timeout=10)
        assert CANARY_DBS not in str(shown), withheld
    assert verified.check_id in str(stub.ListChecks(request, metadata=staff(world.x_key), timeout=10))
    # the person reads their own DBS details, never the verifier's evidence
    as_leader = stub.ListChecks(request, metadata=registry.as_leader(world.leader_id), timeout=10)
    assert CANARY_DBS in str(as_leader) and "certificate seen" not in str(as_leader)
    assert verified.check_id in str(as_leader)
    # the claim is in the audit as a claim
    claims = platform_rows(
        stack,
        sa.select(audit_log.c.principal).where(
            audit_log.c.trust_ods == "RCKX", audit_log.c.principal == "RCKX/claimed-staff:j.bloggs"
        ),
    )
    assert claims

    # the canary is in the checks table and nowhere else: no outbox row, no stored idempotent answer
    payloads = platform_rows(stack, sa.select(outbox.c.payload).where(sa.func.strpos(outbox.c.payload, CANARY_DBS) > 0))
    stored = platform_rows(
        stack,
        sa.select(idempotency_keys.c.method).where(
            sa.func.strpos(sa.func.encode(idempotency_keys.c.response, "escape"), CANARY_DBS) > 0
        ),
    )
    assert payloads == [] and stored == []
    assert platform_rows(stack, sa.select(checks.c.check_id).where(checks.c.dbs_details == CANARY_DBS))


def test_a_check_needs_an_active_affiliation(registry: RegistryClient, world: World) -> None:
    outsider = registry.onboard("RCKZ", "Check Trust Z").initial_key.key
    with pytest.raises(grpc.RpcError) as refused:
        check_stub(registry).RecordCheck(
            cpb.RecordCheckRequest(leader_id=world.leader_id, check_type="identity", evidence="passport seen"),
            metadata=bearer(outsider),
            timeout=10,
        )
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND


def test_a_replayed_record_check_is_audited_as_a_read_and_refused_once_the_affiliation_has_ended(
    registry: RegistryClient, stack: PlrStack
) -> None:
    key = registry.onboard("RCKR", "Check Trust Replay").initial_key.key
    affiliation = registry.register(key, f"replay-{uuid.uuid4().hex[:8]}@example.org")
    registry.confirm(affiliation)
    alone = World(key, "", affiliation.leader_id, None, registry.add_staff("RCKR", "recruiter").staff_id, "")
    idempotency_key = f"replay-{uuid.uuid4()}"

    def audited() -> list[tuple[str, ...]]:
        query = sa.select(audit_log.c.fields).where(
            audit_log.c.leader_id == alone.leader_id, audit_log.c.method == "RecordCheck"
        )
        return [tuple(r.fields) for r in platform_rows(stack, query)]

    first = record_dbs(registry, alone, idempotency_key=idempotency_key)
    reads_before = audited()
    again = record_dbs(registry, alone, idempotency_key=idempotency_key)
    assert again.check_id == first.check_id and again.dbs_details == CANARY_DBS
    assert audited() == [*reads_before, ("checks", "dbs_details")]

    registry.leaders.EndAffiliation(
        lpb.EndAffiliationRequest(leader_id=alone.leader_id, reason="moved away"), metadata=bearer(key), timeout=10
    )
    with pytest.raises(grpc.RpcError) as refused:
        record_dbs(registry, alone, idempotency_key=idempotency_key)
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND
    assert CANARY_DBS not in (refused.value.details() or "")


def test_the_scan_emits_each_notice_once_and_catches_up(
    registry: RegistryClient, world: World, stack: PlrStack
) -> None:
    """Run against the real tables with a fake clock: the notice is recorded with its outbox row."""
    stub = check_stub(registry)
    made = stub.RecordCheck(
        cpb.RecordCheckRequest(
            leader_id=world.leader_id,
            check_type="occupational_health",
            issued_on=TODAY.isoformat(),
            expires_on=(TODAY + timedelta(days=45)).isoformat(),
            evidence="OH clearance letter",
        ),
        metadata=bearer(world.x_key),
        timeout=10,
    )
    engine = stack.engine("registry")

    def run_on(day: date) -> None:
        scan_check_expiry(
            lambda: SqlUnitOfWork(engine, TenantScope.platform_wide()),
            lambda: datetime(day.year, day.month, day.day, 6, tzinfo=UTC),
        )

    def notices() -> list[str]:
        return [
            r.event_type
            for r in platform_rows(
                stack,
                sa.select(outbox.c.event_type)
                .where(sa.func.strpos(outbox.c.payload, made.check_id) > 0)
                .order_by(outbox.c.id),
            )
        ]

    run_on(TODAY)
    run_on(TODAY + timedelta(days=15))
    run_on(TODAY + timedelta(days=16))
    assert notices() == ["plr.registry.check.verified.v1", "plr.registry.check.expiring.v1"]
    run_on(TODAY + timedelta(days=90))  # down through the expiry date: reported on the next run
    run_on(TODAY + timedelta(days=91))
    assert notices() == [
        "plr.registry.check.verified.v1",
        "plr.registry.check.expiring.v1",
        "plr.registry.check.expired.v1",
    ]
    [row] = platform_rows(
        stack, sa.select(checks.c.version, checks.c.expired_noticed_at).where(checks.c.check_id == made.check_id)
    )
    assert row.version == 3 and row.expired_noticed_at is not None


def test_erasure_removes_the_evidence_and_dbs_content(registry: RegistryClient, world: World, stack: PlrStack) -> None:
    from plr.registry.v1 import leaders_pb2 as lpb

    affiliation = registry.register(world.x_key, f"erase-checks-{uuid.uuid4().hex[:8]}@example.org")
    registry.confirm(affiliation)
    erased = World(world.x_key, world.y_key, affiliation.leader_id, None, world.x_recruiter, world.x_facilitator)
    made = record_dbs(registry, erased)
    registry.leaders.EraseLeader(
        lpb.EraseLeaderRequest(leader_id=erased.leader_id), metadata=registry.as_leader(erased.leader_id), timeout=10
    )
    [row] = platform_rows(
        stack, sa.select(checks.c.evidence, checks.c.dbs_details).where(checks.c.check_id == made.check_id)
    )
    assert (row.evidence, row.dbs_details) == ("", "")
