"""Issue 4's acceptance, with every process running: RXX verifies a leader's DBS check; after the
leader shares the verified record with RYY, RYY sees the check and accepts it, and the placement
question answers yes for RYY; after withdrawal RYY no longer sees the shared record, and still may
place the leader on the check it accepted. The check events leave the registry's outbox for the
broker (the registry worker relays them)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
import sqlalchemy as sa
from plr.registry.v1 import checks_pb2 as cpb
from plr.registry.v1 import checks_pb2_grpc, leaders_pb2_grpc
from plr.registry.v1 import leaders_pb2 as lpb

from services.common.db import scoped_transaction
from services.common.grpc_client import api_channel, bearer
from services.common.platform_tables import outbox
from services.common.tenancy import TenantScope
from tests.e2e.conftest import Running
from tests.e2e.test_leader_acceptance import onboard
from tests.support.infra import PlrStack, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

Metadata = tuple[tuple[str, str], ...]
TODAY = datetime.now(UTC).date()
CHECK_EVENTS = (
    "plr.registry.check.verified.v1",
    "plr.registry.record.shared.v1",
    "plr.registry.check.accepted.v1",
    "plr.registry.record.unshared.v1",
)


def registry_outbox_drained(stack: PlrStack) -> bool:
    status = json.loads(stack.plr("outbox", "status", "--json").stdout)
    return [row["pending"] for row in status if row["service"] == "registry"] == [0]


def test_a_verified_dbs_check_is_shared_accepted_placed_on_and_unshared(system: tuple[PlrStack, Running]) -> None:
    stack, _ = system
    # RXX and RYY of the acceptance text (the onboarding tests own RXX and RYY)
    rxx, ryy = onboard(stack, "RX2"), onboard(stack, "RY2")
    channel = api_channel(stack.settings, "registry")
    leaders = leaders_pb2_grpc.LeaderServiceStub(channel)
    checks = checks_pb2_grpc.CheckServiceStub(channel)

    def as_leader(leader_id: str) -> Metadata:
        return (*bearer(stack.env["PLR_REGISTRY_PORTAL_TOKEN"]), ("x-plr-leader", leader_id))

    def share(leader_id: str, grant: bool) -> None:
        leaders.RecordConsent(
            lpb.RecordConsentRequest(
                leader_id=leader_id,
                purpose="share_record_with_trust",
                target="RY2",
                grant=grant,
                wording_version="2026-11",
            ),
            metadata=as_leader(leader_id),
            timeout=10,
        )

    # a leader of both trusts, each affiliation confirmed by the leader
    email = f"checks-acceptance-{uuid.uuid4().hex[:8]}@example.org"
    leader_id = ""
    for key in (rxx, ryy):
        made = leaders.RegisterLeader(
            lpb.RegisterLeaderRequest(profile=lpb.LeaderProfile(given_name="Ada", family_name="Byron", email=email)),
            metadata=bearer(key),
            timeout=10,
        ).affiliation
        leader_id = made.leader_id
        leaders.ConfirmAffiliation(
            lpb.ConfirmAffiliationRequest(affiliation_id=made.affiliation_id), metadata=as_leader(leader_id), timeout=10
        )

    # RXX verifies an enhanced DBS check
    verified = checks.RecordCheck(
        cpb.RecordCheckRequest(
            leader_id=leader_id,
            check_type="dbs",
            dbs_level="enhanced",
            issued_on=(TODAY - timedelta(days=20)).isoformat(),
            expires_on=(TODAY + timedelta(days=3 * 365)).isoformat(),
            evidence="certificate seen by the volunteer lead",
            dbs_details="no information disclosed",
        ),
        metadata=(*bearer(rxx), ("x-plr-staff", "v.lead")),
        timeout=10,
    )
    assert (verified.verifying_trust, verified.check_type, verified.dbs_level) == ("RX2", "dbs", "enhanced")

    def shared_record() -> cpb.SharedRecord | grpc.StatusCode:
        try:
            return checks.GetSharedRecord(
                cpb.GetSharedRecordRequest(leader_id=leader_id), metadata=bearer(ryy), timeout=10
            )
        except grpc.RpcError as error:
            return error.code()

    question = cpb.MayPlaceRequest(
        leader_id=leader_id, requirements=[cpb.CheckRequirement(check_type="dbs", minimum_dbs_level="enhanced")]
    )
    # before sharing: RYY sees no record, and may not place the leader
    assert shared_record() == grpc.StatusCode.NOT_FOUND
    before = checks.MayPlace(question, metadata=bearer(ryy), timeout=10)
    assert not before.allowed and [(r.check_type, r.problem) for r in before.reasons] == [("dbs", "missing")]

    # the leader shares the verified record with RYY: RYY sees the check (not its DBS content)
    share(leader_id, True)
    record = shared_record()
    assert isinstance(record, cpb.SharedRecord)
    [seen] = [c for c in record.checks if c.check_id == verified.check_id]
    assert (seen.check_type, seen.dbs_level, seen.verifying_trust) == ("dbs", "enhanced", "RX2")
    assert seen.expires_on == verified.expires_on
    assert "no information disclosed" not in str(record) and "certificate seen" not in str(record)

    # RYY accepts the check instead of repeating it, and the placement question answers yes
    accepted = checks.AcceptCheck(
        cpb.AcceptCheckRequest(leader_id=leader_id, check_id=verified.check_id),
        metadata=(*bearer(ryy), ("x-plr-staff", "s.smith")),
        timeout=10,
    )
    assert (accepted.verifying_trust, accepted.accepting_trust) == ("RX2", "RY2")
    assert accepted.accepted_by == "RY2/claimed-staff:s.smith"  # a claim, recorded as one
    assert checks.MayPlace(question, metadata=bearer(ryy), timeout=10).allowed

    # the leader withdraws: the record is hidden from RYY at once; its acceptance stays its own
    share(leader_id, False)
    assert shared_record() == grpc.StatusCode.NOT_FOUND
    assert checks.MayPlace(question, metadata=bearer(ryy), timeout=10).allowed
    own = checks.ListChecks(cpb.ListChecksRequest(leader_id=leader_id), metadata=bearer(ryy), timeout=10)
    assert [a.acceptance_id for a in own.accepted] == [accepted.acceptance_id]
    channel.close()

    # the registry worker relays the events: the outbox drains, each check event published once
    wait_for(lambda: registry_outbox_drained(stack), timeout=30, interval=0.3, message="the registry outbox to drain")
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        published = connection.execute(
            sa.select(outbox.c.event_type, outbox.c.published_at)
            .where(sa.func.strpos(outbox.c.payload, leader_id) > 0)
            .order_by(outbox.c.id)
        ).all()
    by_type = [row.event_type for row in published if row.event_type in CHECK_EVENTS]
    assert by_type == list(CHECK_EVENTS)
    assert all(row.published_at is not None for row in published)
