"""ExportLeaderData holds the leader's checks and their support and development, each caller seeing
only what their own reads (ListChecks, GetSupport) would show them: the leader and the administrator
every trust's checks without evidence, DBS details or staff names; a trust only the checks it
verified or accepted (DBS details only to its named staff) and only its own training, facilitator,
check-ins and plan; check-in notes only to the leader and the trust's facilitator. Never another
trust's DBS content."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from plr.registry.v1 import checks_pb2 as cpb
from plr.registry.v1 import checks_pb2_grpc
from plr.registry.v1 import development_pb2 as dpb
from plr.registry.v1 import leaders_pb2 as lpb

from services.common.grpc_client import bearer
from services.registry.tests.integration.conftest import RegistryClient
from services.registry.tests.integration.development_support import Trusts, claiming, development

pytestmark = pytest.mark.integration

CANARY_DBS = f"DBS-EXPORT-CANARY-{uuid.uuid4().hex[:10]}"
CANARY_EVIDENCE = f"certificate EXPORT-CANARY-{uuid.uuid4().hex[:10]} seen"
A_NOTE = "A-NOTE: finds evening panels tiring"
B_NOTE = "B-NOTE: wants to chair next year"
B_EVIDENCE = "passport seen at DCB1 reception"
TODAY = datetime.now(UTC).date()


@dataclass
class World:
    trusts: Trusts
    dbs_check_id: str
    identity_check_id: str
    acceptance_id: str


def _export(registry: RegistryClient, leader_id: str, metadata: tuple[tuple[str, str], ...]) -> tuple[str, Any]:
    text = registry.leaders.ExportLeaderData(
        lpb.ExportLeaderDataRequest(leader_id=leader_id), metadata=metadata, timeout=10
    ).document
    return text, json.loads(text)


@pytest.fixture(scope="module")
def world(registry: RegistryClient) -> World:
    """DCA1 verified an enhanced DBS check (canary DBS details and evidence), enrolled the leader (one
    module completed), assigned a facilitator who recorded a check-in, and wrote a plan. DCB1
    verified an identity check, has its own facilitator and check-in, and accepted DCA1's check
    from the record the leader shares with it."""
    trusts = Trusts(registry, "DCA1", "DCB1", A_NOTE)
    leader_id = trusts.leader_id
    checks = checks_pb2_grpc.CheckServiceStub(registry.channel)
    api = development(registry)
    dbs = checks.RecordCheck(
        cpb.RecordCheckRequest(
            leader_id=leader_id,
            check_type="dbs",
            dbs_level="enhanced",
            issued_on=(TODAY - timedelta(days=10)).isoformat(),
            expires_on=(TODAY + timedelta(days=700)).isoformat(),
            evidence=CANARY_EVIDENCE,
            dbs_details=CANARY_DBS,
        ),
        metadata=trusts.as_a_other,  # a recruiter of DCA1
        timeout=10,
    )
    identity = checks.RecordCheck(
        cpb.RecordCheckRequest(leader_id=leader_id, check_type="identity", evidence=B_EVIDENCE),
        metadata=claiming(trusts.b_key, "b.verifier"),
        timeout=10,
    )
    api.CompleteTraining(
        dpb.CompleteTrainingRequest(
            enrolment_id=trusts.enrolment.enrolment_id,
            module_id=trusts.programme.modules[0].module_id,
            completed_on="2026-10-01",
        ),
        metadata=bearer(trusts.a_key),
        timeout=10,
    )
    api.UpdateDevelopmentPlan(
        dpb.UpdateDevelopmentPlanRequest(
            leader_id=leader_id,
            expected_version=0,
            goals=[dpb.Goal(title="Chair a patient panel", status="open", target_date="2027-06-30")],
        ),
        metadata=bearer(trusts.a_key),
        timeout=10,
    )
    api.AssignFacilitator(
        dpb.AssignFacilitatorRequest(leader_id=leader_id, facilitator_staff_id=trusts.b_facilitator),
        metadata=bearer(trusts.b_key),
        timeout=10,
    )
    api.RecordCheckIn(
        dpb.RecordCheckInRequest(leader_id=leader_id, held_on="2026-11-03", notes=B_NOTE),
        metadata=trusts.as_b_facilitator,
        timeout=10,
    )
    registry.consent(leader_id, "share_record_with_trust", "DCB1")
    accepted = checks.AcceptCheck(
        cpb.AcceptCheckRequest(leader_id=leader_id, check_id=dbs.check_id),
        metadata=claiming(trusts.b_key, "b.accepter"),
        timeout=10,
    )
    return World(trusts, dbs.check_id, identity.check_id, accepted.acceptance_id)


def test_the_leader_s_export_holds_every_trust_s_checks_with_their_dbs_details_and_all_their_development(
    registry: RegistryClient, world: World
) -> None:
    leader_id = world.trusts.leader_id
    text, document = _export(registry, leader_id, registry.as_leader(leader_id))
    verified = {c["check_id"]: c for c in document["checks"]["verified"]}
    assert set(verified) == {world.dbs_check_id, world.identity_check_id}
    dbs = verified[world.dbs_check_id]
    assert (dbs["check_type"], dbs["dbs_level"], dbs["verifying_trust"]) == ("dbs", "enhanced", "DCA1")
    assert dbs["expires_on"] == (TODAY + timedelta(days=700)).isoformat()
    assert not {"evidence", "verified_by"} & set(dbs) and dbs["dbs_details"] == CANARY_DBS  # their own data
    [accepted] = document["checks"]["accepted"]
    assert (accepted["acceptance_id"], accepted["check_id"]) == (world.acceptance_id, world.dbs_check_id)
    assert (accepted["verifying_trust"], accepted["accepting_trust"]) == ("DCA1", "DCB1")
    assert "accepted_by" not in accepted
    for hidden in (CANARY_EVIDENCE, B_EVIDENCE, world.trusts.a_other, "b.verifier", "b.accepter"):
        assert hidden not in text

    development = document["support_and_development"]
    [enrolment] = development["enrolments"]
    assert (enrolment["trust_ods"], enrolment["programme_title"]) == ("DCA1", "Patient leadership")
    assert [(m["module_title"], m["completed_on"]) for m in enrolment["completed_modules"]] == [
        ("Listening", "2026-10-01")
    ]
    assert {(a["trust_ods"], a["facilitator_staff_id"]) for a in development["support_assignments"]} == {
        ("DCA1", world.trusts.a_facilitator),
        ("DCB1", world.trusts.b_facilitator),
    }
    # the leader reads their own notes (as GetSupport shows them)
    assert {(c["trust_ods"], c.get("notes")) for c in development["check_ins"]} == {
        ("DCA1", A_NOTE),
        ("DCB1", B_NOTE),
    }
    [plan] = development["development_plans"]
    assert plan["trust_ods"] == "DCA1" and [g["title"] for g in plan["goals"]] == ["Chair a patient panel"]


def test_a_trust_s_export_holds_only_its_own_checks_and_development(registry: RegistryClient, world: World) -> None:
    leader_id = world.trusts.leader_id
    text, document = _export(registry, leader_id, bearer(world.trusts.a_key))
    [dbs] = document["checks"]["verified"]
    assert dbs["check_id"] == world.dbs_check_id and dbs["evidence"] == CANARY_EVIDENCE
    assert dbs["verified_by"] == f"DCA1/staff:{world.trusts.a_other}"
    assert "dbs_details" not in dbs and CANARY_DBS not in text  # a key without dbs-details: as ListChecks
    assert document["checks"]["accepted"] == []  # DCB1's acceptance is DCB1's record
    development = document["support_and_development"]
    assert [e["trust_ods"] for e in development["enrolments"]] == ["DCA1"]
    assert [a["trust_ods"] for a in development["support_assignments"]] == ["DCA1"]
    [check_in] = development["check_ins"]
    assert check_in["trust_ods"] == "DCA1" and check_in["notes_withheld"] is True and "notes" not in check_in
    assert [p["trust_ods"] for p in development["development_plans"]] == ["DCA1"]
    for other in ("DCB1", B_NOTE, A_NOTE, B_EVIDENCE, world.trusts.b_facilitator, world.identity_check_id):
        assert other not in text


def test_the_verifying_trust_s_facilitator_and_recruiter_see_what_their_reads_show(
    registry: RegistryClient, world: World
) -> None:
    """The leader's facilitator reads the notes, not the DBS details; a recruiter the DBS details, not
    the notes (they are not this leader's facilitator)."""
    leader_id = world.trusts.leader_id
    text, document = _export(registry, leader_id, world.trusts.as_a_facilitator)
    assert [c.get("dbs_details") for c in document["checks"]["verified"]] == [None]
    assert [c.get("notes") for c in document["support_and_development"]["check_ins"]] == [A_NOTE]
    assert B_NOTE not in text and CANARY_DBS not in text
    text, document = _export(registry, leader_id, world.trusts.as_a_other)
    assert [c.get("dbs_details") for c in document["checks"]["verified"]] == [CANARY_DBS]
    assert A_NOTE not in text and B_NOTE not in text
    entries = registry.leaders.ListAuditEntries(
        lpb.ListAuditEntriesRequest(leader_id=leader_id, page_size=500),
        metadata=registry.as_leader(leader_id),
        timeout=10,
    ).entries
    exports = {e.principal: set(e.fields) for e in entries if e.method == "ExportLeaderData"}
    assert {"training", "check_ins", "check_in_notes"} <= exports[f"DCA1/staff:{world.trusts.a_facilitator}"]
    assert {"checks", "dbs_details"} <= exports[f"DCA1/staff:{world.trusts.a_other}"]
    assert CANARY_DBS not in str(entries) and A_NOTE not in str(entries)


def test_the_trust_the_record_is_shared_with_sees_its_acceptance_never_the_dbs_content(
    registry: RegistryClient, world: World
) -> None:
    leader_id = world.trusts.leader_id
    text, document = _export(registry, leader_id, world.trusts.as_b_facilitator)
    [identity] = document["checks"]["verified"]
    assert identity["check_id"] == world.identity_check_id and identity["evidence"] == B_EVIDENCE
    [accepted] = document["checks"]["accepted"]
    assert accepted["check_id"] == world.dbs_check_id and accepted["verifying_trust"] == "DCA1"
    assert accepted["accepted_by"] == "DCB1/claimed-staff:b.accepter"
    assert [c.get("notes") for c in document["support_and_development"]["check_ins"]] == [B_NOTE]
    assert document["support_and_development"]["enrolments"] == []
    assert document["support_and_development"]["development_plans"] == []
    for hidden in (
        CANARY_DBS,
        CANARY_EVIDENCE,
        A_NOTE,
        world.trusts.a_other,
        "Patient leadership",
        world.trusts.a_facilitator,
    ):
        assert hidden not in text


def test_the_administrator_s_export_has_every_trust_s_records_without_dbs_content_or_notes(
    registry: RegistryClient, world: World
) -> None:
    text, document = _export(registry, world.trusts.leader_id, registry.as_admin())
    assert {c["check_id"] for c in document["checks"]["verified"]} == {world.dbs_check_id, world.identity_check_id}
    assert [a["acceptance_id"] for a in document["checks"]["accepted"]] == [world.acceptance_id]
    assert {c["notes_withheld"] for c in document["support_and_development"]["check_ins"]} == {True}
    for hidden in (CANARY_DBS, CANARY_EVIDENCE, B_EVIDENCE, A_NOTE, B_NOTE):
        assert hidden not in text
