"""The exports of offboardings awaiting the administrator's confirmation (platform scope only)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection

from services.registry.adapters.tables import offboard_exports
from services.registry.domain.offboarding import OffboardExport
from services.registry.service_layer.ports import OffboardExports

COLUMNS = ("trust_ods", "document", "sha256", "taken_at", "confirmed_at", "leaders_erased", "affiliations_ended")


class SqlOffboardExports(OffboardExports):
    def __init__(self, connection: Connection):
        self.connection = connection

    def get(self, trust_ods: str, *, lock: bool = False) -> OffboardExport | None:
        query = sa.select(offboard_exports).where(offboard_exports.c.trust_ods == trust_ods)
        row = self.connection.execute(query.with_for_update() if lock else query).first()
        return None if row is None else OffboardExport(**{c: getattr(row, c) for c in COLUMNS})

    def add(self, export: OffboardExport) -> bool:
        added = self.connection.execute(
            insert(offboard_exports).values(_values(export)).on_conflict_do_nothing(index_elements=["trust_ods"])
        )
        return bool(added.rowcount)

    def save(self, export: OffboardExport) -> None:
        self.connection.execute(
            offboard_exports.update().where(offboard_exports.c.trust_ods == export.trust_ods).values(_values(export))
        )

    def discard_unconfirmed(self, trust_ods: str) -> bool:
        deleted = self.connection.execute(
            offboard_exports.delete().where(
                offboard_exports.c.trust_ods == trust_ods, offboard_exports.c.confirmed_at.is_(None)
            )
        )
        return bool(deleted.rowcount)


def _values(export: OffboardExport) -> dict[str, object]:
    return {c: getattr(export, c) for c in COLUMNS}
