"""The staff repository on the trust directory's ``staff_members`` table (row security per trust)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from services.common.errors import PreconditionFailed
from services.common.trust_directory import staff_members
from services.registry.domain.staff import ACTIVE, StaffMember
from services.registry.service_layer.ports import StaffRepository


def _member(row: Row) -> StaffMember:  # type: ignore[type-arg]
    return StaffMember(
        row.staff_id, row.trust_ods, row.name, frozenset(row.roles), row.status, row.version, row.created_at
    )


class SqlStaffRepository(StaffRepository):
    def __init__(self, connection: Connection):
        super().__init__()
        self.connection = connection

    def _get(self, staff_id: str, lock: bool) -> StaffMember | None:
        query = sa.select(staff_members).where(staff_members.c.staff_id == staff_id)
        row = self.connection.execute(query.with_for_update() if lock else query).first()
        return _member(row) if row is not None else None

    def _add(self, member: StaffMember) -> None:
        self.connection.execute(
            staff_members.insert().values(
                staff_id=member.staff_id,
                trust_ods=member.trust_ods,
                name=member.name,
                roles=sorted(member.roles),
                status=member.status,
                version=member.version,
                created_at=member.created_at,
                updated_at=member.created_at,
            )
        )

    def save(self, member: StaffMember, expected_version: int) -> None:
        updated = self.connection.execute(
            staff_members.update()
            .where(staff_members.c.staff_id == member.staff_id, staff_members.c.version == expected_version)
            .values(roles=sorted(member.roles), status=member.status, version=member.version, updated_at=sa.func.now())
        ).rowcount
        if updated != 1:
            raise PreconditionFailed(f"member of staff {member.staff_id} changed concurrently")

    def of_trust(self, trust_ods: str) -> list[StaffMember]:
        rows = self.connection.execute(
            sa.select(staff_members)
            .where(staff_members.c.trust_ods == trust_ods)
            .order_by(staff_members.c.status != ACTIVE, staff_members.c.name, staff_members.c.staff_id)
        )
        return [_member(row) for row in rows]
