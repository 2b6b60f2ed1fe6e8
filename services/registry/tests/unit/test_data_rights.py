"""The use cases of equality monitoring, export and erasure, on in-memory fakes: who may call them,
what each caller gets, and what erasure removes, keeps and announces."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from services.common.errors import InvalidInput, NotFound, PermissionDenied, PreconditionFailed
from services.common.events import default_registry
from services.common.principals import ADMINISTRATOR, Principal
from services.registry.domain import commands
from services.registry.domain.affiliation import Affiliation
from services.registry.domain.consent import ConsentRecord, Purpose
from services.registry.domain.leader import Leader
from services.registry.domain.profile import LeaderProfile
from services.registry.domain.retention import ERASURE_RETENTION
from services.registry.service_layer import equality, erasure, export
from services.registry.tests.unit.fakes import FakeUnitOfWork

NOW = datetime(2026, 11, 26, 10, tzinfo=UTC)
LEADER_ID = "8c1f4f7e-3a52-4d2b-9b61-2f0e6f4f1a10"
OTHER_ID = "0d9b7a57-6a35-4a8e-bc1f-6f3c1d2e4b55"
PROFILE = LeaderProfile(given_name="Ada", family_name="Lovelace", email="ada@example.org", phone="07700 900123")

LEADER = Principal("leader", f"leader:{LEADER_ID}", leader_id=LEADER_ID)
TRUST_A = Principal("trust", "RAA", "RAA")
TRUST_B = Principal("trust", "RBB", "RBB")
SERVICE = Principal("service", "internal")


def clock() -> datetime:
    return NOW


def staff_consent(trust: str, purpose: Purpose, target: str, evidence: str) -> ConsentRecord:
    return ConsentRecord(purpose, target, True, "2026-11", "staff", f"{trust}/J Smith", trust, evidence, NOW)


def leader_consent(purpose: Purpose, target: str) -> ConsentRecord:
    return ConsentRecord(purpose, target, True, "2026-11", "leader", f"leader:{LEADER_ID}", None, "", NOW)


@pytest.fixture
def uow() -> FakeUnitOfWork:
    """Ada: active with RAA (contact consented, lived experience recorded by RBB's staff), active
    with RBB (which may share her record), pending with RCC; equality answers given."""
    made = FakeUnitOfWork()
    leader = Leader(LEADER_ID, PROFILE, version=5, created_at=NOW, updated_at=NOW)
    leader.consents = [
        leader_consent(Purpose.CONTACT_BY_TRUST, "RAA"),
        leader_consent(Purpose.SHARE_RECORD_WITH_TRUST, "RBB"),
        staff_consent("RBB", Purpose.LIVED_EXPERIENCE_MATCHING, "", "form 17 signed at RBB"),
    ]
    made.leaders.rows[LEADER_ID] = leader
    for n, (ods, status) in enumerate((("RAA", "active"), ("RBB", "active"), ("RCC", "pending")), 1):
        affiliation_id = f"00000000-0000-4000-8000-00000000000{n}"
        made.affiliations.rows[affiliation_id] = Affiliation(
            affiliation_id, LEADER_ID, ods, status=status, version=2, created_at=NOW, updated_at=NOW
        )
    made.equality.answers[LEADER_ID] = {"religion": "sikh", "age_band": "75_plus"}
    return made


# --- equality monitoring ------------------------------------------------------------------------


def test_only_the_leader_gives_equality_answers(uow: FakeUnitOfWork) -> None:
    for principal in (TRUST_A, ADMINISTRATOR, SERVICE):
        with pytest.raises(PermissionDenied):
            equality.submit_equality_monitoring(
                commands.SubmitEqualityMonitoring({"sex": "female"}), uow, principal, clock
            )
    assert uow.committed == 0


def test_a_bad_answer_is_refused_by_question_before_anything_is_stored(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidInput) as refused:
        equality.submit_equality_monitoring(
            commands.SubmitEqualityMonitoring({"sex": "female", "ethnicity": "martian"}), uow, LEADER, clock
        )
    assert set(refused.value.fields) == {"ethnicity"}
    assert uow.equality.answers[LEADER_ID] == {"religion": "sikh", "age_band": "75_plus"}


def test_answers_are_replaced_whole_emit_nothing_and_none_takes_them_back(uow: FakeUnitOfWork) -> None:
    equality.submit_equality_monitoring(
        commands.SubmitEqualityMonitoring({"sex": "female", "carer": ""}), uow, LEADER, clock
    )
    assert uow.equality.answers[LEADER_ID] == {"sex": "female"}
    equality.submit_equality_monitoring(commands.SubmitEqualityMonitoring({}), uow, LEADER, clock)
    assert LEADER_ID not in uow.equality.answers
    assert uow.outbox == []


def test_the_report_is_for_a_trust_and_counts_its_active_leaders_only(uow: FakeUnitOfWork) -> None:
    for principal in (LEADER, ADMINISTRATOR, SERVICE):
        with pytest.raises(PermissionDenied):
            equality.equality_report(commands.GetEqualityReport(), uow, principal, clock)
    made = equality.equality_report(commands.GetEqualityReport(), uow, TRUST_A, clock)
    assert made.trust_ods == "RAA" and made.generated_at == NOW
    religion = next(c for c in made.characteristics if c.name == "religion")
    assert all(cell.suppressed for cell in religion.cells)  # one leader: nothing to read off
    pending = equality.equality_report(commands.GetEqualityReport(), uow, Principal("trust", "RCC", "RCC"), clock)
    assert all(cell.count == 0 for c in pending.characteristics for cell in c.cells)


# --- export ---------------------------------------------------------------------------------------


def test_the_leader_s_export_holds_all_of_it_and_is_audited(uow: FakeUnitOfWork) -> None:
    document = export.export_leader_data(commands.ExportLeaderData(LEADER_ID), uow, LEADER, clock)
    assert document["leader"]["profile"]["email"] == "ada@example.org"
    assert {a["trust_ods"] for a in document["affiliations"]} == {"RAA", "RBB", "RCC"}
    assert len(document["consents"]["history"]) == 3
    assert "form 17 signed at RBB" in {c["evidence"] for c in document["consents"]["history"]}
    assert document["equality_monitoring"] == {"religion": "sikh", "age_band": "75_plus"}
    (entry,) = uow.audit.entries
    assert (entry.principal_kind, entry.method, entry.leader_id) == ("leader", "ExportLeaderData", LEADER_ID)
    assert {"given_name", "email", "affiliations", "consents", "equality_monitoring"} <= set(entry.fields)
    assert "Ada" not in str(entry) and "sikh" not in str(entry)


def test_a_trust_s_export_is_its_own_view_only(uow: FakeUnitOfWork) -> None:
    export.export_leader_data(commands.ExportLeaderData(LEADER_ID), uow, TRUST_B, clock)  # an audit entry of RBB's
    document = export.export_leader_data(commands.ExportLeaderData(LEADER_ID), uow, TRUST_A, clock)
    text = str(document)
    assert document["leader"]["profile"]["email"] == "ada@example.org"  # contact consented to RAA
    assert [a["trust_ods"] for a in document["affiliations"]] == ["RAA"]
    assert "RBB" not in text and "RCC" not in text
    assert "equality_monitoring" not in document and "sikh" not in text and "75_plus" not in text
    lived = [c for c in document["consents"]["history"] if c["purpose"] == "lived_experience_matching"]
    assert lived == [
        {
            "purpose": "lived_experience_matching",
            "target": "",
            "granted": True,
            "wording_version": "2026-11",
            "recorded_by_kind": "staff",
            "recorded_by": "",
            "evidence": "",
            "recorded_at": NOW.isoformat(),
        }
    ]
    assert {e["trust_ods"] for e in document["access_audit"]["entries"]} == set()  # RBB's entry is not RAA's
    assert uow.audit.entries[-1].trust_ods == "RAA"
    assert "equality_monitoring" not in uow.audit.entries[-1].fields


def test_a_trust_without_contact_consent_gets_no_contact_details(uow: FakeUnitOfWork) -> None:
    document = export.export_leader_data(commands.ExportLeaderData(LEADER_ID), uow, TRUST_B, clock)
    assert document["leader"]["profile"]["email"] == "" and document["leader"]["profile"]["phone"] == ""
    assert document["leader"]["profile"]["given_name"] == "Ada"


def test_an_export_is_not_found_without_an_active_affiliation_or_for_another_leader(uow: FakeUnitOfWork) -> None:
    with pytest.raises(PreconditionFailed, match="not yet confirmed"):  # RCC's own registration, pending
        export.export_leader_data(commands.ExportLeaderData(LEADER_ID), uow, Principal("trust", "RCC", "RCC"), clock)
    with pytest.raises(NotFound):
        export.export_leader_data(commands.ExportLeaderData(LEADER_ID), uow, Principal("trust", "RDD", "RDD"), clock)
    with pytest.raises(NotFound):
        export.export_leader_data(
            commands.ExportLeaderData(LEADER_ID), uow, Principal("leader", "x", leader_id=OTHER_ID), clock
        )
    with pytest.raises(PermissionDenied):
        export.export_leader_data(commands.ExportLeaderData(LEADER_ID), uow, SERVICE, clock)
    assert uow.audit.entries == []


def test_the_administrator_s_export_is_full_but_without_equality_answers(uow: FakeUnitOfWork) -> None:
    document = export.export_leader_data(commands.ExportLeaderData(LEADER_ID), uow, ADMINISTRATOR, clock)
    assert len(document["affiliations"]) == 3 and "equality_monitoring" not in document
    assert "sikh" not in str(document)


def test_a_long_audit_is_cut_and_says_so(uow: FakeUnitOfWork) -> None:
    for _ in range(export.EXPORT_AUDIT_LIMIT + 3):
        uow.audit.record("trust", "RAA", "RAA", "GetLeader", {LEADER_ID: ("given_name",)})
    audit = export.export_leader_data(commands.ExportLeaderData(LEADER_ID), uow, LEADER, clock)["access_audit"]
    assert len(audit["entries"]) == export.EXPORT_AUDIT_LIMIT and audit["complete"] is False
    assert "ListAuditEntries" in audit["more"]


# --- erasure --------------------------------------------------------------------------------------


def test_erasure_blanks_the_person_ends_every_affiliation_and_announces_it(uow: FakeUnitOfWork) -> None:
    retained = erasure.erase_leader(commands.EraseLeader(LEADER_ID), uow, LEADER, clock)
    assert retained == ERASURE_RETENTION
    assert {r.name for r in retained} == {
        "consent_records",
        "access_audit",
        "change_history",
        "affiliation_history",
        "check_records",
    }
    assert all(r.reason and r.period and r.kept for r in retained)
    leader = uow.leaders.rows[LEADER_ID]
    assert leader.profile == LeaderProfile() and leader.email_key == "" and leader.status == "erased"
    assert {(a.trust_ods, a.status, a.end_reason) for a in uow.affiliations.rows.values()} == {
        ("RAA", "ended", "leader erased"),
        ("RBB", "ended", "leader erased"),
        ("RCC", "ended", "leader erased"),
    }
    assert LEADER_ID not in uow.equality.answers
    assert {c.evidence for c in leader.consents} == {""} and len(leader.consents) == 3
    assert uow.idempotency.forgotten == [(LEADER_ID, [("RBB", "form 17 signed at RBB")])]
    assert uow.leaders.events_deleted == [LEADER_ID]
    types = [e.type for e in uow.outbox]
    assert types == ["plr.registry.leader.erased.v1"] + ["plr.registry.leader.affiliation_ended.v1"] * 3
    for event in uow.outbox:
        default_registry().validate(event.to_dict())
        assert "Ada" not in event.to_json().decode() and "sikh" not in event.to_json().decode()


def test_an_ended_affiliation_is_left_as_it_ended(uow: FakeUnitOfWork) -> None:
    first = uow.affiliations.rows["00000000-0000-4000-8000-000000000001"]
    first.status, first.end_reason = "ended", "moved away"
    erasure.erase_leader(commands.EraseLeader(LEADER_ID), uow, ADMINISTRATOR, clock)
    assert uow.affiliations.rows[first.affiliation_id].end_reason == "moved away"
    assert [e.type for e in uow.outbox].count("plr.registry.leader.affiliation_ended.v1") == 2


def test_erasing_twice_changes_nothing_and_emits_nothing(uow: FakeUnitOfWork) -> None:
    first = erasure.erase_leader(commands.EraseLeader(LEADER_ID), uow, LEADER, clock)
    emitted, state = len(uow.outbox), copy.deepcopy(uow.leaders.rows[LEADER_ID])
    assert erasure.erase_leader(commands.EraseLeader(LEADER_ID), uow, ADMINISTRATOR, clock) == first
    assert len(uow.outbox) == emitted and uow.leaders.rows[LEADER_ID] == state


def test_only_the_leader_themselves_or_the_administrator_erases(uow: FakeUnitOfWork) -> None:
    for principal in (TRUST_A, SERVICE):
        with pytest.raises(PermissionDenied):
            erasure.erase_leader(commands.EraseLeader(LEADER_ID), uow, principal, clock)
    with pytest.raises(NotFound):
        erasure.erase_leader(commands.EraseLeader(LEADER_ID), uow, Principal("leader", "x", leader_id=OTHER_ID), clock)
    with pytest.raises(NotFound):
        erasure.erase_leader(commands.EraseLeader(OTHER_ID), uow, ADMINISTRATOR, clock)
    assert uow.leaders.rows[LEADER_ID].status == "active" and uow.outbox == []


def test_after_erasure_the_leader_can_neither_be_exported_nor_give_answers(uow: FakeUnitOfWork) -> None:
    erasure.erase_leader(commands.EraseLeader(LEADER_ID), uow, LEADER, clock)
    for principal in (LEADER, ADMINISTRATOR):
        with pytest.raises(NotFound):
            export.export_leader_data(commands.ExportLeaderData(LEADER_ID), uow, principal, clock)
    with pytest.raises(NotFound):
        equality.submit_equality_monitoring(commands.SubmitEqualityMonitoring({"sex": "female"}), uow, LEADER, clock)
