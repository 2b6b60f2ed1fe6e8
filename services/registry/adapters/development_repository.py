"""Support and development rows to domain objects and back, with optimistic concurrency on version.

The tables are declared here, beside the only code that reads them (migration 0004 creates them).
``DevelopmentRepository`` (in ``service_layer/ports.py``) is what the use cases may ask; enrolments
and support assignments record events, so the repository keeps in ``seen`` those it loaded or added,
for the unit of work.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from services.common.errors import PreconditionFailed
from services.registry.domain.development import (
    CheckIn,
    DevelopmentPlan,
    Enrolment,
    Goal,
    Module,
    Programme,
    SupportAssignment,
)
from services.registry.service_layer.ports import DevelopmentRepository

metadata = sa.MetaData()
UUID = postgresql.UUID(as_uuid=False)
TZ = sa.DateTime(timezone=True)

programmes = sa.Table(
    "programmes",
    metadata,
    sa.Column("programme_id", UUID, primary_key=True),
    sa.Column("trust_ods", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("modules", postgresql.JSONB, nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("created_at", TZ, nullable=False),
    sa.Column("updated_at", TZ, nullable=False),
)

enrolments = sa.Table(
    "enrolments",
    metadata,
    sa.Column("enrolment_id", UUID, primary_key=True),
    sa.Column("leader_id", UUID, nullable=False),
    sa.Column("trust_ods", sa.Text, nullable=False),
    sa.Column("programme_id", UUID, nullable=False),
    sa.Column("completed_modules", postgresql.JSONB, nullable=False),
    sa.Column("completed_on", sa.Date),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("enrolled_at", TZ, nullable=False),
    sa.Column("updated_at", TZ, nullable=False),
)

support_assignments = sa.Table(
    "support_assignments",
    metadata,
    sa.Column("assignment_id", UUID, primary_key=True),
    sa.Column("leader_id", UUID, nullable=False),
    sa.Column("trust_ods", sa.Text, nullable=False),
    sa.Column("facilitator", sa.Text, nullable=False),
    sa.Column("facilitator_staff_id", UUID),
    sa.Column("buddy_leader_id", UUID),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("assigned_at", TZ, nullable=False),
)

check_ins = sa.Table(
    "check_ins",
    metadata,
    sa.Column("check_in_id", UUID, primary_key=True),
    sa.Column("leader_id", UUID, nullable=False),
    sa.Column("trust_ods", sa.Text, nullable=False),
    sa.Column("held_on", sa.Date, nullable=False),
    sa.Column("notes", sa.Text, nullable=False),
    sa.Column("recorded_at", TZ, nullable=False),
)

development_plans = sa.Table(
    "development_plans",
    metadata,
    sa.Column("leader_id", UUID, primary_key=True),
    sa.Column("trust_ods", sa.Text, primary_key=True),
    sa.Column("goals", postgresql.JSONB, nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("updated_at", TZ, nullable=False),
)


def _stale(what: str) -> PreconditionFailed:
    return PreconditionFailed(f"the {what} was changed by someone else meanwhile; read it again")


def _programme(row: Any) -> Programme:
    modules = [Module(m["module_id"], m["title"]) for m in row.modules]
    return Programme(row.programme_id, row.trust_ods, row.title, modules, row.version, row.created_at)


def _enrolment(row: Any) -> Enrolment:
    completed = {module: date.fromisoformat(on) for module, on in row.completed_modules.items()}
    return Enrolment(
        row.enrolment_id,
        row.leader_id,
        row.trust_ods,
        row.programme_id,
        completed,
        row.completed_on,
        row.version,
        row.enrolled_at,
    )


def _assignment(row: Any) -> SupportAssignment:
    return SupportAssignment(
        row.assignment_id,
        row.leader_id,
        row.trust_ods,
        row.facilitator,
        row.buddy_leader_id,
        row.version,
        row.assigned_at,
        row.facilitator_staff_id,
    )


def _plan(row: Any) -> DevelopmentPlan:
    goals = [
        Goal(
            g["goal_id"],
            g["title"],
            g["status"],
            date.fromisoformat(g["target_date"]) if g["target_date"] else None,
        )
        for g in row.goals
    ]
    return DevelopmentPlan(row.leader_id, row.trust_ods, goals, row.version, row.updated_at)


class SqlDevelopmentRepository(DevelopmentRepository):
    def __init__(self, connection: Connection):
        super().__init__()
        self.connection = connection

    # programmes

    def add_programme(self, programme: Programme) -> None:
        self.connection.execute(
            programmes.insert().values(
                programme_id=programme.programme_id,
                trust_ods=programme.trust_ods,
                title=programme.title,
                modules=[{"module_id": m.module_id, "title": m.title} for m in programme.modules],
                version=programme.version,
                created_at=programme.created_at,
                updated_at=programme.created_at,
            )
        )

    def programme(self, programme_id: str, *, lock: bool = False) -> Programme | None:
        query = sa.select(programmes).where(programmes.c.programme_id == programme_id)
        row = self.connection.execute(query.with_for_update() if lock else query).one_or_none()
        return None if row is None else _programme(row)

    def programmes_by_id(self, ids: set[str]) -> dict[str, Programme]:
        if not ids:
            return {}
        rows = self.connection.execute(sa.select(programmes).where(programmes.c.programme_id.in_(sorted(ids))))
        return {row.programme_id: _programme(row) for row in rows}

    def save_programme(self, programme: Programme, expected_version: int, now: datetime) -> None:
        done = self.connection.execute(
            programmes.update()
            .where(programmes.c.programme_id == programme.programme_id, programmes.c.version == expected_version)
            .values(
                modules=[{"module_id": m.module_id, "title": m.title} for m in programme.modules],
                version=programme.version,
                updated_at=now,
            )
        )
        if done.rowcount != 1:
            raise _stale("programme")

    def list_programmes(self, offset: int, limit: int) -> list[Programme]:
        query = sa.select(programmes).order_by(programmes.c.created_at, programmes.c.programme_id)
        return [_programme(row) for row in self.connection.execute(query.offset(offset).limit(limit))]

    # enrolments

    def _add_enrolment(self, enrolment: Enrolment) -> None:
        self.connection.execute(
            enrolments.insert().values(
                enrolment_id=enrolment.enrolment_id,
                leader_id=enrolment.leader_id,
                trust_ods=enrolment.trust_ods,
                programme_id=enrolment.programme_id,
                completed_modules={m: on.isoformat() for m, on in enrolment.completed_modules.items()},
                completed_on=enrolment.completed_on,
                version=enrolment.version,
                enrolled_at=enrolment.enrolled_at,
                updated_at=enrolment.enrolled_at,
            )
        )

    def _get_enrolment(self, enrolment_id: str, lock: bool) -> Enrolment | None:
        query = sa.select(enrolments).where(enrolments.c.enrolment_id == enrolment_id)
        row = self.connection.execute(query.with_for_update() if lock else query).one_or_none()
        return None if row is None else _enrolment(row)

    def _get_enrolment_in(self, programme_id: str, leader_id: str) -> Enrolment | None:
        query = sa.select(enrolments).where(
            enrolments.c.programme_id == programme_id, enrolments.c.leader_id == leader_id
        )
        row = self.connection.execute(query).one_or_none()
        return None if row is None else _enrolment(row)

    def enrolments_of(self, leader_id: str) -> list[Enrolment]:
        query = sa.select(enrolments).where(enrolments.c.leader_id == leader_id).order_by(enrolments.c.enrolled_at)
        return [_enrolment(row) for row in self.connection.execute(query)]

    def save_enrolment(self, enrolment: Enrolment, expected_version: int, now: datetime) -> None:
        done = self.connection.execute(
            enrolments.update()
            .where(enrolments.c.enrolment_id == enrolment.enrolment_id, enrolments.c.version == expected_version)
            .values(
                completed_modules={m: on.isoformat() for m, on in enrolment.completed_modules.items()},
                completed_on=enrolment.completed_on,
                version=enrolment.version,
                updated_at=now,
            )
        )
        if done.rowcount != 1:
            raise _stale("enrolment")

    # facilitators and check-ins

    def _get_assignment(self, trust_ods: str, leader_id: str, lock: bool) -> SupportAssignment | None:
        query = sa.select(support_assignments).where(
            support_assignments.c.trust_ods == trust_ods, support_assignments.c.leader_id == leader_id
        )
        row = self.connection.execute(query.with_for_update() if lock else query).one_or_none()
        return None if row is None else _assignment(row)

    def assignments_of(self, leader_id: str) -> list[SupportAssignment]:
        query = sa.select(support_assignments).where(support_assignments.c.leader_id == leader_id)
        return [_assignment(row) for row in self.connection.execute(query.order_by(support_assignments.c.trust_ods))]

    def _save_assignment(self, assignment: SupportAssignment, expected_version: int) -> None:
        values = {
            "facilitator": assignment.facilitator,
            "facilitator_staff_id": assignment.facilitator_staff_id,
            "buddy_leader_id": assignment.buddy_leader_id,
            "version": assignment.version,
            "assigned_at": assignment.assigned_at,
        }
        if expected_version == 0:
            self.connection.execute(
                support_assignments.insert().values(
                    assignment_id=assignment.assignment_id,
                    leader_id=assignment.leader_id,
                    trust_ods=assignment.trust_ods,
                    **values,
                )
            )
            return
        done = self.connection.execute(
            support_assignments.update()
            .where(
                support_assignments.c.assignment_id == assignment.assignment_id,
                support_assignments.c.version == expected_version,
            )
            .values(**values)
        )
        if done.rowcount != 1:
            raise _stale("support assignment")

    def add_check_in(self, check_in: CheckIn) -> None:
        self.connection.execute(
            check_ins.insert().values(
                check_in_id=check_in.check_in_id,
                leader_id=check_in.leader_id,
                trust_ods=check_in.trust_ods,
                held_on=check_in.held_on,
                notes=check_in.notes,
                recorded_at=check_in.recorded_at,
            )
        )

    def check_ins_of(self, leader_id: str) -> list[CheckIn]:
        query = (
            sa.select(check_ins)
            .where(check_ins.c.leader_id == leader_id)
            .order_by(check_ins.c.held_on, check_ins.c.recorded_at)
        )
        return [
            CheckIn(r.check_in_id, r.leader_id, r.trust_ods, r.held_on, r.notes, r.recorded_at)
            for r in self.connection.execute(query)
        ]

    # development plans

    def plan(self, leader_id: str, trust_ods: str, *, lock: bool = False) -> DevelopmentPlan:
        query = sa.select(development_plans).where(
            development_plans.c.leader_id == leader_id, development_plans.c.trust_ods == trust_ods
        )
        row = self.connection.execute(query.with_for_update() if lock else query).one_or_none()
        return DevelopmentPlan.empty(leader_id, trust_ods) if row is None else _plan(row)

    def plans_of(self, leader_id: str) -> list[DevelopmentPlan]:
        query = (
            sa.select(development_plans)
            .where(development_plans.c.leader_id == leader_id)
            .order_by(development_plans.c.trust_ods)
        )
        return [_plan(row) for row in self.connection.execute(query)]

    def save_plan(self, plan: DevelopmentPlan, expected_version: int) -> None:
        goals = [
            {
                "goal_id": g.goal_id,
                "title": g.title,
                "status": g.status,
                "target_date": g.target_date.isoformat() if g.target_date else None,
            }
            for g in plan.goals
        ]
        values = {"goals": goals, "version": plan.version, "updated_at": plan.updated_at}
        statement: sa.Insert | sa.Update
        if expected_version == 0:
            statement = (
                postgresql.insert(development_plans)
                .values(leader_id=plan.leader_id, trust_ods=plan.trust_ods, **values)
                .on_conflict_do_nothing()
            )
        else:
            statement = (
                development_plans.update()
                .where(
                    development_plans.c.leader_id == plan.leader_id,
                    development_plans.c.trust_ods == plan.trust_ods,
                    development_plans.c.version == expected_version,
                )
                .values(**values)
            )
        if self.connection.execute(statement).rowcount != 1:
            raise _stale("development plan")

    # erasure

    def forget_trust(self, trust_ods: str) -> int:
        gone = 0
        for table in (check_ins, development_plans, support_assignments, enrolments, programmes):
            gone += self.connection.execute(table.delete().where(table.c.trust_ods == trust_ods)).rowcount
        return gone

    def erase_leader(self, leader_id: str) -> None:
        for table in (check_ins, development_plans, support_assignments, enrolments):
            self.connection.execute(table.delete().where(table.c.leader_id == leader_id))
        self.connection.execute(
            support_assignments.update()
            .where(support_assignments.c.buddy_leader_id == leader_id)
            .values(buddy_leader_id=None)
        )
