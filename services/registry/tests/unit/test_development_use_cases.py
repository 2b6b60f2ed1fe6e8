"""The support and development use cases on fakes: who may act, what each emits, who reads the notes,
the plan's concurrency, completed training in another trust's view of the shared record, and what
erasure removes."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import pytest

from services.common.errors import InvalidInput, NotFound, PermissionDenied, PreconditionFailed
from services.common.principals import ADMINISTRATOR, Principal
from services.registry.domain import commands
from services.registry.domain.affiliation import Affiliation
from services.registry.domain.consent import ConsentRecord, Purpose
from services.registry.domain.development import Goal
from services.registry.domain.leader import Leader
from services.registry.domain.profile import LeaderProfile
from services.registry.domain.staff import StaffMember
from services.registry.service_layer import checks, development, erasure
from services.registry.tests.unit.fakes import FakeUnitOfWork

NOW = datetime(2026, 11, 26, 10, tzinfo=UTC)
LEADER_ID = "8c1f4f7e-3a52-4d2b-9b61-2f0e6f4f1a10"
BUDDY_ID = "0d9b7a57-6a35-4a8e-bc1f-6f3c1d2e4b55"
TRUST_A = Principal("trust", "RAA", "RAA")
TRUST_B = Principal("trust", "RBB", "RBB")
SAM, JO, KIM = (f"5a000000-0000-4000-8000-00000000000{n}" for n in (1, 2, 3))
FACILITATOR = Principal("trust", "RAA", "RAA", staff_id=SAM, roles=frozenset({"facilitator"}))
OTHER_STAFF = Principal("trust", "RAA", "RAA", staff_id=JO, roles=frozenset({"facilitator"}))
# a trust key claiming to be the facilitator by name: a claim for the audit, granting nothing
CLAIMING = Principal("trust", "RAA", "RAA", claimed_staff=SAM)
LEADER = Principal("leader", f"leader:{LEADER_ID}", leader_id=LEADER_ID)
NOTE = "Canary-Quince-4411 felt unheard"


def clock() -> datetime:
    return NOW


@pytest.fixture
def uow() -> FakeUnitOfWork:
    """The leader, active with RAA and RBB (and sharing her record with RBB); a buddy active with RAA only."""
    made = FakeUnitOfWork()
    for n, (leader_id, trusts) in enumerate(((LEADER_ID, ("RAA", "RBB")), (BUDDY_ID, ("RAA",)))):
        leader = Leader(leader_id, LeaderProfile(given_name="A", family_name="B"), 2, created_at=NOW, updated_at=NOW)
        made.leaders.rows[leader_id] = leader
        for m, ods in enumerate(trusts):
            affiliation_id = f"00000000-0000-4000-8000-0000000{n}{m:04d}"
            made.affiliations.rows[affiliation_id] = Affiliation(
                affiliation_id, leader_id, ods, status="active", version=2, created_at=NOW, updated_at=NOW
            )
    for staff_id, trust in ((SAM, "RAA"), (JO, "RAA"), (KIM, "RBB")):
        made.staff.rows[staff_id] = StaffMember.add(staff_id, trust, "Staff", ("facilitator",), NOW)
        made.staff.rows[staff_id].pending_events.clear()
    made.leaders.rows[LEADER_ID].consents = [
        ConsentRecord(Purpose.SHARE_RECORD_WITH_TRUST, "RBB", True, "1", "leader", "leader", None, "", NOW)
    ]
    return made


def ids() -> development.IdFactory:
    counter = itertools.count(1)
    return lambda: f"10000000-0000-4000-8000-{next(counter):012d}"


def types(uow: FakeUnitOfWork) -> list[str]:
    return [e.type.removeprefix("plr.registry.").removesuffix(".v1") for e in uow.outbox]


def enrolled(uow: FakeUnitOfWork, *modules: str) -> development.EnrolmentView:
    made = ids()
    programme = development.create_programme(
        commands.CreateProgramme("Patient leadership", tuple(modules)), uow, TRUST_A, clock, made
    )
    return development.enrol_leader(commands.EnrolLeader(LEADER_ID, programme.programme_id), uow, TRUST_A, clock, made)


def test_only_a_trust_runs_programmes(uow: FakeUnitOfWork) -> None:
    for principal in (LEADER, ADMINISTRATOR):
        with pytest.raises(PermissionDenied):
            development.create_programme(commands.CreateProgramme("Mine", ()), uow, principal, clock, ids())
    with pytest.raises(InvalidInput):
        development.create_programme(commands.CreateProgramme(" ", ()), uow, TRUST_A, clock, ids())
    assert uow.development.programmes == {}


def test_enrolling_needs_an_active_affiliation_and_happens_once(uow: FakeUnitOfWork) -> None:
    view = enrolled(uow, "Listening")
    assert view.programme_title == "Patient leadership" and types(uow) == ["development.enrolled"]
    again = development.enrol_leader(
        commands.EnrolLeader(LEADER_ID, view.enrolment.programme_id), uow, TRUST_A, clock, ids()
    )
    assert again.enrolment.enrolment_id == view.enrolment.enrolment_id and len(uow.outbox) == 1
    with pytest.raises(NotFound):  # RBB cannot see RAA's programme
        development.enrol_leader(
            commands.EnrolLeader("99999999-0000-4000-8000-000000000000", view.enrolment.programme_id), uow, TRUST_B
        )


def test_completing_the_last_module_completes_the_programme(uow: FakeUnitOfWork) -> None:
    view = enrolled(uow, "Listening", "Chairing")
    programme = uow.development.programmes[view.enrolment.programme_id]
    first, second = (m.module_id for m in programme.modules)
    development.complete_training(
        commands.CompleteTraining(view.enrolment.enrolment_id, first, date(2026, 10, 1)), uow, TRUST_A, clock
    )
    done = development.complete_training(
        commands.CompleteTraining(view.enrolment.enrolment_id, second, None), uow, TRUST_A, clock
    )
    assert done.enrolment.completed_on == NOW.date()
    assert types(uow) == ["development.enrolled"] + ["training.completed"] * 3
    assert uow.development.enrolments[view.enrolment.enrolment_id].completed_on == NOW.date()


def test_another_trust_sees_the_completed_programme_in_the_shared_record(uow: FakeUnitOfWork) -> None:
    view = enrolled(uow, "Listening")
    (module,) = uow.development.programmes[view.enrolment.programme_id].modules
    development.complete_training(
        commands.CompleteTraining(view.enrolment.enrolment_id, module.module_id, date(2026, 11, 2)), uow, TRUST_A, clock
    )
    record = checks.get_shared_record(commands.GetSharedRecord(LEADER_ID), uow, TRUST_B)
    assert [(t.programme, t.module, t.completed_on, t.trust_ods) for t in record.training] == [
        ("Patient leadership", "Listening", date(2026, 11, 2), "RAA"),
        ("Patient leadership", "", date(2026, 11, 2), "RAA"),
    ]
    with pytest.raises(NotFound):  # not shared with RAA
        checks.get_shared_record(commands.GetSharedRecord(LEADER_ID), uow, TRUST_A)


def test_notes_are_the_facilitator_s_and_the_leader_s_only(uow: FakeUnitOfWork) -> None:
    development.assign_facilitator(commands.AssignFacilitator(LEADER_ID, SAM, BUDDY_ID), uow, TRUST_A, clock, ids())
    assert types(uow) == ["support.facilitator_assigned"]
    for not_the_facilitator in (OTHER_STAFF, CLAIMING, TRUST_A):
        with pytest.raises(PreconditionFailed):
            development.record_check_in(
                commands.RecordCheckIn(LEADER_ID, None, NOTE), uow, not_the_facilitator, clock, ids()
            )
    development.record_check_in(commands.RecordCheckIn(LEADER_ID, None, NOTE), uow, FACILITATOR, clock, ids())
    for not_the_facilitator in (OTHER_STAFF, CLAIMING, TRUST_A):
        _, seen = development.get_support(commands.GetSupport(LEADER_ID), uow, not_the_facilitator)
        assert seen[0].notes_withheld and seen[0].notes is None
    assert development.get_support(commands.GetSupport(LEADER_ID), uow, FACILITATOR)[1][0].notes == NOTE
    assert development.get_support(commands.GetSupport(LEADER_ID), uow, LEADER)[1][0].notes == NOTE
    assert all(NOTE not in e.to_json().decode() for e in uow.outbox)
    assert all(NOTE not in str(e) for e in uow.audit.entries)


def test_a_buddy_must_be_actively_affiliated_with_the_trust(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidInput) as refused:
        development.assign_facilitator(commands.AssignFacilitator(LEADER_ID, KIM, BUDDY_ID), uow, TRUST_B, clock, ids())
    assert list(refused.value.fields) == ["buddy_leader_id"] and uow.development.assignments == {}


def test_the_plan_is_per_trust_with_optimistic_concurrency(uow: FakeUnitOfWork) -> None:
    goal = Goal("20000000-0000-4000-8000-000000000001", "Chair a meeting", "open", None)
    plan = development.update_development_plan(
        commands.UpdateDevelopmentPlan(LEADER_ID, "RAA", 0, (goal,)), uow, LEADER, clock
    )
    assert plan.version == 1
    with pytest.raises(PreconditionFailed):
        development.update_development_plan(
            commands.UpdateDevelopmentPlan(LEADER_ID, "", 0, (goal,)), uow, TRUST_A, clock
        )
    assert development.get_development_plan(commands.GetDevelopmentPlan(LEADER_ID, ""), uow, TRUST_B).version == 0
    with pytest.raises(NotFound):
        development.get_development_plan(commands.GetDevelopmentPlan(LEADER_ID, "RAA"), uow, TRUST_B)
    with pytest.raises(InvalidInput):
        development.get_development_plan(commands.GetDevelopmentPlan(LEADER_ID, ""), uow, LEADER)


def test_erasure_removes_development_rows_and_the_evidence_of_checks(uow: FakeUnitOfWork) -> None:
    enrolled(uow, "Listening")
    made = itertools.count(100)
    unique = lambda: f"30000000-0000-4000-8000-{next(made):012d}"  # noqa: E731
    development.assign_facilitator(commands.AssignFacilitator(BUDDY_ID, SAM, LEADER_ID), uow, TRUST_A, clock, unique)
    development.assign_facilitator(commands.AssignFacilitator(LEADER_ID, SAM, None), uow, TRUST_A, clock, unique)
    development.record_check_in(commands.RecordCheckIn(LEADER_ID, None, NOTE), uow, FACILITATOR, clock, unique)
    development.update_development_plan(commands.UpdateDevelopmentPlan(LEADER_ID, "RAA", 0, ()), uow, LEADER, clock)
    checks.record_check(
        commands.RecordCheck(LEADER_ID, "identity", "", None, None, "passport seen", ""), uow, TRUST_A, clock, ids()
    )
    erasure.erase_leader(commands.EraseLeader(LEADER_ID), uow, LEADER, clock)
    store = uow.development
    assert [e for e in store.enrolments.values() if e.leader_id == LEADER_ID] == []
    assert store.check_ins == [] and store.plans == {}
    assert [(a.leader_id, a.buddy_leader_id) for a in store.assignments.values()] == [(BUDDY_ID, None)]
    assert {(c.evidence, c.dbs_details) for c in uow.checks.rows.values()} == {("", "")}
    assert len(uow.checks.rows) == 1  # the fact of the check stays, as the trust's record
