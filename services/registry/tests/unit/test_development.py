"""Support and development rules: completion, facilitator-only notes, the plan's concurrency."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.common.errors import InvalidInput, PreconditionFailed
from services.registry.adapters.development_events import development_cloudevent
from services.registry.domain.development import (
    CheckIn,
    DevelopmentPlan,
    Enrolment,
    Goal,
    Module,
    Programme,
    SupportAssignment,
    TrainingCompleted,
    check_in_as_seen,
)
from services.registry.domain.staff import StaffMember

NOW = datetime(2026, 11, 26, 10, tzinfo=UTC)
TODAY = NOW.date()
LEADER = "8c1f4f7e-3a52-4d2b-9b61-2f0e6f4f1a10"


def programme(*modules: str) -> Programme:
    return Programme.create("p1", "RXX", "Patient leadership", [Module(m, m.upper()) for m in modules], NOW)


def enrolled(p: Programme) -> Enrolment:
    enrolment = Enrolment.enrol("e1", LEADER, p, NOW)
    enrolment.pending_events.clear()
    return enrolment


def completions(enrolment: Enrolment) -> list[tuple[str | None, date]]:
    return [(e.module_id, e.completed_on) for e in enrolment.pending_events if isinstance(e, TrainingCompleted)]


def test_completing_the_last_module_completes_the_programme() -> None:
    p = programme("m1", "m2")
    e = enrolled(p)
    e.complete(p, "m1", date(2026, 11, 1), TODAY)
    assert e.completed_on is None and completions(e) == [("m1", date(2026, 11, 1))]
    e.complete(p, "m2", date(2026, 10, 5), TODAY)
    assert e.completed_on == date(2026, 11, 1)  # the day its last outstanding module was done
    assert completions(e)[1:] == [("m2", date(2026, 10, 5)), (None, date(2026, 11, 1))]


def test_a_completion_recorded_twice_changes_nothing() -> None:
    p = programme("m1", "m2")
    e = enrolled(p)
    e.complete(p, "m1", TODAY, TODAY)
    version = e.version
    e.complete(p, "m1", TODAY, TODAY)
    assert e.version == version and len(completions(e)) == 1


def test_a_programme_with_modules_is_not_completed_directly() -> None:
    p = programme("m1")
    with pytest.raises(PreconditionFailed):
        enrolled(p).complete(p, None, TODAY, TODAY)


def test_a_programme_without_modules_is_completed_directly_once() -> None:
    p = programme()
    e = enrolled(p)
    e.complete(p, None, TODAY, TODAY)
    e.complete(p, None, TODAY, TODAY)
    assert e.completed_on == TODAY and completions(e) == [(None, TODAY)]


def test_a_module_of_another_programme_or_a_future_date_is_refused() -> None:
    p = programme("m1")
    with pytest.raises(InvalidInput) as error:
        enrolled(p).complete(p, "other", TODAY, TODAY)
    assert "module_id" in error.value.fields
    with pytest.raises(InvalidInput) as error:
        enrolled(p).complete(p, "m1", date(2099, 1, 1), TODAY)
    assert "completed_on" in error.value.fields


def test_a_module_added_later_must_be_completed_too() -> None:
    p = programme("m1")
    e = enrolled(p)
    p.add_module(Module("m2", "Later"))
    e.complete(p, "m1", TODAY, TODAY)
    assert e.completed_on is None


def test_training_completed_is_thin() -> None:
    p = programme("m1")
    e = enrolled(p)
    e.complete(p, "m1", TODAY, TODAY)
    event = development_cloudevent(e.pending_events[0])
    assert event.type == "plr.registry.training.completed.v1"
    assert set(event.data) == {"enrolment_id", "leader_id", "programme_id", "module_id", "ods", "completed_on"}


SAM, KIM, JO = (f"5a000000-0000-4000-8000-00000000000{n}" for n in (1, 2, 3))


def staff(staff_id: str = SAM, roles: tuple[str, ...] = ("facilitator",), trust: str = "RXX") -> StaffMember:
    return StaffMember.add(staff_id, trust, "Sam", roles, NOW)


def assignment(facilitator: StaffMember | None = None) -> SupportAssignment:
    a = SupportAssignment("a1", LEADER, "RXX", "", None, 0, NOW)
    a.assign(facilitator or staff(), None, NOW)
    return a


def test_only_the_facilitator_records_a_check_in() -> None:
    with pytest.raises(PreconditionFailed):
        CheckIn.record("c1", assignment(), JO, TODAY, "notes", NOW)
    with pytest.raises(PreconditionFailed):
        CheckIn.record("c1", None, SAM, TODAY, "notes", NOW)
    with pytest.raises(PreconditionFailed):
        CheckIn.record("c1", assignment(), None, TODAY, "notes", NOW)
    assert CheckIn.record("c1", assignment(), SAM, TODAY, "notes", NOW).notes == "notes"


def test_notes_are_seen_by_the_facilitator_and_the_leader_only() -> None:
    a = assignment()
    c = CheckIn.record("c1", a, SAM, TODAY, "private words", NOW)
    assert check_in_as_seen(c, a, "trust", "RXX", SAM, None).notes == "private words"
    assert check_in_as_seen(c, a, "leader", None, None, LEADER).notes == "private words"
    for kind, trust, staff_id, leader in [
        ("trust", "RXX", JO, None),
        ("trust", "RXX", None, None),
        ("trust", "RYY", SAM, None),  # the facilitator's id asserted for another trust's call
        ("leader", None, None, "11111111-1111-4111-8111-111111111111"),
        ("service", None, SAM, None),
    ]:
        seen = check_in_as_seen(c, a, kind, trust, staff_id, leader)
        assert seen.notes is None and seen.notes_withheld and seen.check_in.held_on == TODAY


def test_a_new_facilitator_reads_the_notes_and_the_old_one_no_longer_does() -> None:
    a = assignment()
    c = CheckIn.record("c1", a, SAM, TODAY, "private words", NOW)
    a.assign(staff(KIM), None, NOW)
    assert check_in_as_seen(c, a, "trust", "RXX", KIM, None).notes == "private words"
    assert check_in_as_seen(c, a, "trust", "RXX", SAM, None).notes_withheld


def test_a_leader_is_not_their_own_buddy_and_the_facilitator_is_an_active_facilitator_of_the_trust() -> None:
    left = staff(KIM)
    left.leave()
    for refused in (staff(roles=("recruiter",)), staff(trust="RYY"), left):
        with pytest.raises(InvalidInput) as error:
            assignment(refused)
        assert list(error.value.fields) == ["facilitator_staff_id"]
    a = assignment()
    with pytest.raises(InvalidInput):
        a.assign(staff(), LEADER, NOW)


def test_the_plan_refuses_a_stale_version_and_bad_goals() -> None:
    plan = DevelopmentPlan.empty(LEADER, "RXX")
    plan.replace_goals([Goal("g1", "Chair a meeting", "open", None)], 0, NOW)
    assert plan.version == 1
    with pytest.raises(PreconditionFailed, match="version 1"):
        plan.replace_goals([], 0, NOW)
    with pytest.raises(InvalidInput) as error:
        plan.replace_goals([Goal("g1", "", "done", None)], 1, NOW)
    assert {"goals[0].title", "goals[0].status"} <= set(error.value.fields)
