"""Use cases of support and development: one function per command (``domain/commands.py``).

A trust acts only on leaders it is actively affiliated with (``visible_leader``), and row-level
security keeps every read to its own programmes, enrolments, assignments, check-ins and plans. Who
may read a check-in's notes is decided by the domain (``check_in_as_seen``).
"""

from __future__ import annotations

from dataclasses import dataclass

from services.common.errors import InvalidInput, NotFound, PermissionDenied, refuse
from services.common.principals import Principal
from services.registry.domain import commands
from services.registry.domain.development import (
    CheckIn,
    CheckInSeen,
    DevelopmentPlan,
    Enrolment,
    Module,
    Programme,
    SupportAssignment,
    check_in_as_seen,
    check_in_problems,
    completion_problems,
    goal_problems,
)
from services.registry.domain.staff import StaffMember
from services.registry.service_layer.leaders import Clock, IdFactory, new_id, utc_now, visible_leader
from services.registry.service_layer.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class EnrolmentView:
    enrolment: Enrolment
    programme_title: str


def _affiliated_leader(uow: UnitOfWork, principal: Principal, leader_id: str) -> None:
    """NOT_FOUND unless the caller may act on this leader (a trust: through an active affiliation)."""
    visible_leader(uow, principal, leader_id)


def _trust_of(principal: Principal, named: str) -> str:
    """A leader names the trust; a trust is itself (a name other than its own is someone else's plan)."""
    if principal.kind == "trust":
        if named and named != principal.trust_ods:
            raise NotFound(f"no development plan at {named}")
        return principal.require_trust()
    principal.require_leader()
    if not named:
        raise InvalidInput({"trust_ods": "is required: the trust whose plan"})
    return named


# --- programmes ---------------------------------------------------------------------------------


def create_programme(
    cmd: commands.CreateProgramme,
    uow: UnitOfWork,
    principal: Principal,
    clock: Clock = utc_now,
    ids: IdFactory = new_id,
) -> Programme:
    trust = principal.require_trust()
    programme = Programme.create(ids(), trust, cmd.title, [Module(ids(), t) for t in cmd.module_titles], clock())
    with uow:
        uow.development.add_programme(programme)
        uow.note_change(None, "programmes")
        uow.commit()
    return programme


def add_module(
    cmd: commands.AddModule,
    uow: UnitOfWork,
    principal: Principal,
    clock: Clock = utc_now,
    ids: IdFactory = new_id,
) -> Programme:
    principal.require_trust()
    with uow:
        programme = uow.development.programme(cmd.programme_id, lock=True)
        if programme is None:
            raise NotFound(f"no programme {cmd.programme_id}")
        expected = programme.version
        programme.add_module(Module(ids(), cmd.title))
        uow.development.save_programme(programme, expected, clock())
        uow.note_change(None, "programmes.modules")
        uow.commit()
    return programme


def list_programmes(cmd: commands.ListProgrammes, uow: UnitOfWork, principal: Principal) -> list[Programme]:
    principal.require_trust()
    with uow:
        return uow.development.list_programmes(cmd.offset, cmd.limit)


# --- enrolment and completion -------------------------------------------------------------------


def enrol_leader(
    cmd: commands.EnrolLeader,
    uow: UnitOfWork,
    principal: Principal,
    clock: Clock = utc_now,
    ids: IdFactory = new_id,
) -> EnrolmentView:
    principal.require_trust()
    with uow:
        _affiliated_leader(uow, principal, cmd.leader_id)
        programme = uow.development.programme(cmd.programme_id)
        if programme is None:
            raise NotFound(f"no programme {cmd.programme_id}")
        enrolment = uow.development.enrolment_in(cmd.programme_id, cmd.leader_id)
        if enrolment is None:
            enrolment = Enrolment.enrol(ids(), cmd.leader_id, programme, clock())
            uow.development.add_enrolment(enrolment)
            uow.commit()
    return EnrolmentView(enrolment, programme.title)


def complete_training(
    cmd: commands.CompleteTraining, uow: UnitOfWork, principal: Principal, clock: Clock = utc_now
) -> EnrolmentView:
    principal.require_trust()
    now = clock()
    refuse(completion_problems(cmd.completed_on or now.date(), now.date()))  # before anything is read
    with uow:
        enrolment = uow.development.enrolment(cmd.enrolment_id, lock=True)
        if enrolment is None:
            raise NotFound(f"no enrolment {cmd.enrolment_id}")
        # the leader may have ended the affiliation since enrolling
        _affiliated_leader(uow, principal, enrolment.leader_id)
        programme = uow.development.programme(enrolment.programme_id)
        assert programme is not None, "an enrolment's programme belongs to the same trust"
        expected = enrolment.version
        enrolment.complete(programme, cmd.module_id, cmd.completed_on or now.date(), now.date())
        if enrolment.version != expected:
            uow.development.save_enrolment(enrolment, expected, now)
            uow.commit()
    return EnrolmentView(enrolment, programme.title)


def list_enrolments(cmd: commands.ListEnrolments, uow: UnitOfWork, principal: Principal) -> list[EnrolmentView]:
    with uow:
        _affiliated_leader(uow, principal, cmd.leader_id)
        found = uow.development.enrolments_of(cmd.leader_id)
        titles = uow.development.programmes_by_id({e.programme_id for e in found})
    return [EnrolmentView(e, titles[e.programme_id].title if e.programme_id in titles else "") for e in found]


# --- facilitator and check-ins ------------------------------------------------------------------


def assign_facilitator(
    cmd: commands.AssignFacilitator,
    uow: UnitOfWork,
    principal: Principal,
    clock: Clock = utc_now,
    ids: IdFactory = new_id,
) -> SupportAssignment:
    trust = principal.require_trust()
    now = clock()
    with uow:
        _affiliated_leader(uow, principal, cmd.leader_id)
        _check_buddy(uow, principal, cmd)
        facilitator = _facilitator(uow, trust, cmd.facilitator_staff_id)
        assignment = uow.development.assignment(trust, cmd.leader_id, lock=True) or SupportAssignment(
            ids(), cmd.leader_id, trust, "", None, 0, now
        )
        expected = assignment.version
        assignment.assign(facilitator, cmd.buddy_leader_id, now)
        uow.development.save_assignment(assignment, expected)
        uow.commit()
    return assignment


def _facilitator(uow: UnitOfWork, trust: str, staff_id: str) -> StaffMember:
    """The member of the trust's staff named (another trust's is out of the scope: as unknown)."""
    member = uow.staff.get(staff_id)
    if member is None or member.trust_ods != trust:
        raise InvalidInput({"facilitator_staff_id": "must be an active member of your staff with the role facilitator"})
    return member


def _check_buddy(uow: UnitOfWork, principal: Principal, cmd: commands.AssignFacilitator) -> None:
    """A buddy is another leader the trust is actively affiliated with (a bad one is bad input)."""
    if cmd.buddy_leader_id is None or cmd.buddy_leader_id == cmd.leader_id:
        return
    try:
        _affiliated_leader(uow, principal, cmd.buddy_leader_id)
    except NotFound:
        raise InvalidInput({"buddy_leader_id": "must be a leader actively affiliated with your trust"}) from None


def record_check_in(
    cmd: commands.RecordCheckIn,
    uow: UnitOfWork,
    principal: Principal,
    clock: Clock = utc_now,
    ids: IdFactory = new_id,
) -> CheckInSeen:
    trust = principal.require_trust()
    now = clock()
    leader_id = cmd.leader_id
    refuse(check_in_problems(cmd.held_on or now.date(), cmd.notes, now.date()))  # before anything is read
    with uow:
        _affiliated_leader(uow, principal, leader_id)
        assignment = uow.development.assignment(trust, leader_id)
        check_in = CheckIn.record(ids(), assignment, principal.staff_id, cmd.held_on or now.date(), cmd.notes, now)
        uow.development.add_check_in(check_in)
        uow.note_change(leader_id, "check_ins")
        uow.audit.record(principal.kind, principal.audit_name, trust, "RecordCheckIn", {leader_id: ("check_in",)})
        uow.commit()
    return CheckInSeen(check_in, check_in.notes)


def get_support(
    cmd: commands.GetSupport, uow: UnitOfWork, principal: Principal
) -> tuple[list[SupportAssignment], list[CheckInSeen]]:
    if principal.kind not in ("trust", "leader"):
        raise PermissionDenied("a trust's key or the leader reads a leader's support")
    leader_id = cmd.leader_id
    with uow:
        _affiliated_leader(uow, principal, leader_id)
        # the scope (RLS) limits both to the caller's trust, or to the leader's own
        assignments = uow.development.assignments_of(leader_id)
        seen = check_ins_seen_by(principal, assignments, uow.development.check_ins_of(leader_id))
        fields = ("check_ins", "check_in_notes") if any(not s.notes_withheld for s in seen) else ("check_ins",)
        uow.audit.record(principal.kind, principal.audit_name, principal.trust_ods, "GetSupport", {leader_id: fields})
        uow.commit()
    return assignments, seen


def check_ins_seen_by(
    principal: Principal, assignments: list[SupportAssignment], check_ins: list[CheckIn]
) -> list[CheckInSeen]:
    """Each check-in as the caller may see it (the notes decided by the domain): GetSupport and the
    leader's export show them alike."""
    by_trust = {a.trust_ods: a for a in assignments}
    return [
        check_in_as_seen(
            c, by_trust.get(c.trust_ods), principal.kind, principal.trust_ods, principal.staff_id, principal.leader_id
        )
        for c in check_ins
    ]


# --- the development plan -----------------------------------------------------------------------


def get_development_plan(cmd: commands.GetDevelopmentPlan, uow: UnitOfWork, principal: Principal) -> DevelopmentPlan:
    trust = _trust_of(principal, cmd.trust_ods)
    with uow:
        _affiliated_leader(uow, principal, cmd.leader_id)
        return uow.development.plan(cmd.leader_id, trust)


def update_development_plan(
    cmd: commands.UpdateDevelopmentPlan, uow: UnitOfWork, principal: Principal, clock: Clock = utc_now
) -> DevelopmentPlan:
    trust = _trust_of(principal, cmd.trust_ods)
    refuse(goal_problems(list(cmd.goals)))  # before anything is read
    with uow:
        _affiliated_leader(uow, principal, cmd.leader_id)
        if principal.kind == "leader":
            affiliation = uow.affiliations.for_trust(trust, cmd.leader_id)
            if affiliation is None or not affiliation.active:
                raise NotFound(f"no active affiliation with {trust}")
        plan = uow.development.plan(cmd.leader_id, trust, lock=True)
        plan.replace_goals(list(cmd.goals), cmd.expected_version, clock())
        uow.development.save_plan(plan, cmd.expected_version)
        uow.note_change(cmd.leader_id, "development_plan")
        uow.commit()
    return plan
