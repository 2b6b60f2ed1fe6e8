"""Support and development: a trust's training programmes, a leader's enrolments and completions,
the leader's facilitator (or buddy), support check-ins, and a development plan with goals.

Pure rules, no I/O. Each aggregate records thin events (ids, dates, the trust) in ``pending_events``;
check-in notes are never in one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from services.common.errors import InvalidInput, PreconditionFailed, refuse
from services.common.principals import FACILITATOR
from services.registry.domain.staff import StaffMember

GOAL_STATUSES = ("open", "achieved", "dropped")
MAX_MODULES = 50
MAX_GOALS = 50
MAX_NOTES = 10_000


def title_problem(value: str, limit: int = 200) -> str | None:
    if not value.strip() or len(value) > limit or not value.isprintable():
        return f"is required: 1 to {limit} printable characters"
    return None


def completion_problems(on: date, today: date) -> dict[str, str]:
    """What is wrong with a completion's date (use cases check it before they read anything)."""
    return {"completed_on": "cannot be in the future"} if on > today else {}


def check_in_problems(held_on: date, notes: str, today: date) -> dict[str, str]:
    """What is wrong with a check-in's fields, by field (nothing: an empty map)."""
    problems = {}
    if held_on > today:
        problems["held_on"] = "cannot be in the future"
    if len(notes) > MAX_NOTES:
        problems["notes"] = f"must be at most {MAX_NOTES} characters"
    return problems


# --- events -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DevelopmentEvent:
    trust_ods: str
    leader_id: str
    version: int


@dataclass(frozen=True)
class LeaderEnrolled(DevelopmentEvent):
    enrolment_id: str
    programme_id: str


@dataclass(frozen=True)
class TrainingCompleted(DevelopmentEvent):
    enrolment_id: str
    programme_id: str
    # None when the programme as a whole is completed
    module_id: str | None
    completed_on: date


@dataclass(frozen=True)
class FacilitatorAssigned(DevelopmentEvent):
    assignment_id: str
    with_buddy: bool


# --- programmes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Module:
    module_id: str
    title: str


@dataclass
class Programme:
    programme_id: str
    trust_ods: str
    title: str
    modules: list[Module]
    version: int
    created_at: datetime

    @classmethod
    def create(cls, programme_id: str, trust_ods: str, title: str, modules: list[Module], now: datetime) -> Programme:
        problems = {}
        if (problem := title_problem(title)) is not None:
            problems["title"] = problem
        if len(modules) > MAX_MODULES:
            problems["module_titles"] = f"at most {MAX_MODULES} modules"
        elif any(title_problem(m.title) for m in modules):
            problems["module_titles"] = "each is required: 1 to 200 printable characters"
        if problems:
            raise InvalidInput(problems)
        return cls(
            programme_id, trust_ods, title.strip(), [Module(m.module_id, m.title.strip()) for m in modules], 1, now
        )

    def add_module(self, module: Module) -> None:
        if (problem := title_problem(module.title)) is not None:
            raise InvalidInput({"title": problem})
        if len(self.modules) >= MAX_MODULES:
            raise PreconditionFailed(f"a programme has at most {MAX_MODULES} modules")
        self.modules.append(Module(module.module_id, module.title.strip()))
        self.version += 1

    @property
    def module_ids(self) -> tuple[str, ...]:
        return tuple(m.module_id for m in self.modules)


# --- enrolment and completion -------------------------------------------------------------------


@dataclass
class Enrolment:
    enrolment_id: str
    leader_id: str
    trust_ods: str
    programme_id: str
    completed_modules: dict[str, date]
    completed_on: date | None
    version: int
    enrolled_at: datetime
    pending_events: list[DevelopmentEvent] = field(default_factory=list)

    @classmethod
    def enrol(cls, enrolment_id: str, leader_id: str, programme: Programme, now: datetime) -> Enrolment:
        enrolment = cls(enrolment_id, leader_id, programme.trust_ods, programme.programme_id, {}, None, 1, now)
        enrolment.pending_events.append(
            LeaderEnrolled(programme.trust_ods, leader_id, 1, enrolment_id, programme.programme_id)
        )
        return enrolment

    def complete(self, programme: Programme, module_id: str | None, on: date, today: date) -> None:
        """A module (or a programme without modules) completed on a date. Completing the last
        outstanding module completes the programme. A completion already recorded changes nothing."""
        refuse(completion_problems(on, today))
        if programme.programme_id != self.programme_id:
            raise ValueError("not this enrolment's programme")
        if module_id is None:
            if programme.modules:
                raise PreconditionFailed(
                    "this programme has modules: it is completed when its last module is (give module_id)"
                )
            if self.completed_on is None:
                self._completed(None, on)
            return
        if module_id not in programme.module_ids:
            raise InvalidInput({"module_id": "is not a module of this enrolment's programme"})
        if module_id in self.completed_modules:
            return
        self.completed_modules[module_id] = on
        self._completed(module_id, on)
        if self.completed_on is None and all(m in self.completed_modules for m in programme.module_ids):
            self._completed(None, max(self.completed_modules[m] for m in programme.module_ids))

    def _completed(self, module_id: str | None, on: date) -> None:
        self.version += 1
        if module_id is None:
            self.completed_on = on
        self.pending_events.append(
            TrainingCompleted(
                self.trust_ods, self.leader_id, self.version, self.enrolment_id, self.programme_id, module_id, on
            )
        )


@dataclass(frozen=True)
class CompletedTraining:
    """One completed module, or one completed programme (``module_id`` None, ``module`` empty): part of
    the leader's portable record."""

    trust_ods: str
    programme_id: str
    programme: str
    module_id: str | None
    module: str
    completed_on: date


def completed_training(enrolments: list[Enrolment], programmes: dict[str, Programme]) -> list[CompletedTraining]:
    """Each completed programme and each completed module of the enrolments, oldest first."""
    found: list[CompletedTraining] = []
    for e in enrolments:
        programme = programmes.get(e.programme_id)
        title = programme.title if programme else ""
        titles = {m.module_id: m.title for m in programme.modules} if programme else {}
        for module_id, on in e.completed_modules.items():
            module = titles.get(module_id, "")
            found.append(CompletedTraining(e.trust_ods, e.programme_id, title, module_id, module, on))
        if e.completed_on is not None:
            found.append(CompletedTraining(e.trust_ods, e.programme_id, title, None, "", e.completed_on))
    return sorted(
        found, key=lambda t: (t.completed_on, t.trust_ods, t.programme_id, t.module_id is None, t.module_id or "")
    )


# --- facilitator and check-ins ------------------------------------------------------------------


@dataclass
class SupportAssignment:
    assignment_id: str
    leader_id: str
    trust_ods: str
    # a free-text name, as facilitators were once assigned: kept on old assignments, never matched
    facilitator: str
    buddy_leader_id: str | None
    version: int
    assigned_at: datetime
    # the facilitator: a member of the trust's staff (domain/staff.py), by id
    facilitator_staff_id: str | None = None
    pending_events: list[DevelopmentEvent] = field(default_factory=list)

    def assign(self, facilitator: StaffMember, buddy_leader_id: str | None, now: datetime) -> None:
        if facilitator.trust_ods != self.trust_ods or not facilitator.has_role(FACILITATOR):
            raise InvalidInput(
                {"facilitator_staff_id": "must be an active member of your staff with the role facilitator"}
            )
        if buddy_leader_id == self.leader_id:
            raise InvalidInput({"buddy_leader_id": "must be another leader"})
        self.facilitator = ""
        self.facilitator_staff_id = facilitator.staff_id
        self.buddy_leader_id = buddy_leader_id
        self.version += 1
        self.assigned_at = now
        self.pending_events.append(
            FacilitatorAssigned(
                self.trust_ods, self.leader_id, self.version, self.assignment_id, buddy_leader_id is not None
            )
        )

    def is_facilitator(self, trust_ods: str | None, staff_id: str | None) -> bool:
        """The member of staff (by the id the portal asserted) is this leader's facilitator here."""
        return staff_id is not None and trust_ods == self.trust_ods and staff_id == self.facilitator_staff_id


@dataclass(frozen=True)
class CheckIn:
    check_in_id: str
    leader_id: str
    trust_ods: str
    held_on: date
    notes: str
    recorded_at: datetime

    @classmethod
    def record(
        cls,
        check_in_id: str,
        assignment: SupportAssignment | None,
        recorder_staff_id: str | None,
        held_on: date,
        notes: str,
        now: datetime,
    ) -> CheckIn:
        """Only the leader's facilitator records a check-in: the notes are theirs to hold."""
        if assignment is None or not assignment.is_facilitator(assignment.trust_ods, recorder_staff_id):
            raise PreconditionFailed("only the leader's facilitator at this trust records a check-in")
        refuse(check_in_problems(held_on, notes, now.date()))
        return cls(check_in_id, assignment.leader_id, assignment.trust_ods, held_on, notes, now)


@dataclass(frozen=True)
class CheckInSeen:
    """A check-in as one caller may see it: the notes, or that they were withheld."""

    check_in: CheckIn
    notes: str | None

    @property
    def notes_withheld(self) -> bool:
        return self.notes is None


def check_in_as_seen(
    check_in: CheckIn,
    assignment: SupportAssignment | None,
    viewer_kind: str,
    viewer_trust: str | None,
    viewer_staff_id: str | None,
    viewer_leader: str | None,
) -> CheckInSeen:
    """The leader sees their own notes (transparency); at the trust only the current facilitator does;
    everyone else who may see the check-in at all sees only that it happened and when."""
    if viewer_kind == "leader" and viewer_leader == check_in.leader_id:
        return CheckInSeen(check_in, check_in.notes)
    if (
        viewer_kind == "trust"
        and viewer_trust == check_in.trust_ods
        and assignment is not None
        and assignment.leader_id == check_in.leader_id
        and assignment.is_facilitator(viewer_trust, viewer_staff_id)
    ):
        return CheckInSeen(check_in, check_in.notes)
    return CheckInSeen(check_in, None)


# --- the development plan -----------------------------------------------------------------------


@dataclass(frozen=True)
class Goal:
    goal_id: str
    title: str
    status: str
    target_date: date | None


def goal_problems(goals: list[Goal]) -> dict[str, str]:
    """What is wrong with a plan's goals, by field (nothing: an empty map)."""
    problems: dict[str, str] = {}
    if len(goals) > MAX_GOALS:
        problems["goals"] = f"at most {MAX_GOALS} goals"
    for index, goal in enumerate(goals):
        if (problem := title_problem(goal.title)) is not None:
            problems[f"goals[{index}].title"] = problem
        if goal.status not in GOAL_STATUSES:
            problems[f"goals[{index}].status"] = "must be open, achieved or dropped"
    if len({g.goal_id for g in goals}) != len(goals):
        problems["goals"] = "each goal_id at most once"
    return problems


@dataclass
class DevelopmentPlan:
    leader_id: str
    trust_ods: str
    goals: list[Goal]
    version: int
    updated_at: datetime | None

    @classmethod
    def empty(cls, leader_id: str, trust_ods: str) -> DevelopmentPlan:
        return cls(leader_id, trust_ods, [], 0, None)

    def replace_goals(self, goals: list[Goal], expected_version: int, now: datetime) -> None:
        refuse(goal_problems(goals))
        if expected_version != self.version:
            raise PreconditionFailed(
                f"the plan has changed: version {self.version} is current, not {expected_version}; read it again"
            )
        self.goals = [Goal(g.goal_id, g.title.strip(), g.status, g.target_date) for g in goals]
        self.version += 1
        self.updated_at = now
