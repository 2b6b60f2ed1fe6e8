"""Each trust's own record of how it knows a person, on PostgreSQL (row security keeps a trust to its
own rows)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection

from services.common.bulk_insert import BULK_FROM
from services.registry.adapters.bulk import write_rows
from services.registry.adapters.tables import known_details
from services.registry.domain.known_details import KNOWN_FIELDS, KnownDetails
from services.registry.service_layer.ports import KnownDetailsStore

# what a newer record of a (trust, person) replaces: one list for both forms of the upsert below
_CHANGED = (*KNOWN_FIELDS, "updated_at")


def _upsert() -> Any:
    statement = insert(known_details)
    changed = {n: statement.excluded[n] for n in _CHANGED}
    upsert = statement.on_conflict_do_update(
        index_elements=[known_details.c.trust_ods, known_details.c.leader_id], set_=changed
    )
    # RETURNING makes SQLAlchemy send many records as multi-row VALUES ("insertmanyvalues"); without
    # it an upsert goes row by row, a round trip each (SQLAlchemy 2.1, its issue 13130): a bulk
    # import's batch of 1,000 spent ~40% of its time there
    return upsert.returning(known_details.c.leader_id)


_UPSERT = _upsert()
COLUMNS = ("trust_ods", "leader_id", *_CHANGED)
_ON_CONFLICT = "ON CONFLICT (trust_ods, leader_id) DO UPDATE SET " + ", ".join(f"{n} = excluded.{n}" for n in _CHANGED)


def _from_row(row: Any) -> KnownDetails:
    return KnownDetails(
        trust_ods=row.trust_ods,
        leader_id=str(row.leader_id),
        updated_at=row.updated_at,
        **{name: getattr(row, name) for name in KNOWN_FIELDS},
    )


class SqlKnownDetails(KnownDetailsStore):
    def __init__(self, connection: Connection):
        self.connection = connection
        # what another query of this unit of work read already (the hot leader read joins it), until
        # this store writes: (trust, leader) to the record or None
        self._read: dict[tuple[str, str], KnownDetails | None] = {}

    def remember(self, trust_ods: str, leader_id: str, known: KnownDetails | None) -> None:
        self._read[(trust_ods, leader_id)] = known

    def get(self, trust_ods: str, leader_id: str) -> KnownDetails | None:
        if (trust_ods, leader_id) in self._read:
            return self._read[(trust_ods, leader_id)]
        return self.of_trust(trust_ods, [leader_id]).get(leader_id)

    def of_trust(self, trust_ods: str, leader_ids: list[str]) -> dict[str, KnownDetails]:
        if not leader_ids:
            return {}
        rows = self.connection.execute(
            sa.select(known_details).where(
                known_details.c.trust_ods == trust_ods, known_details.c.leader_id.in_(leader_ids)
            )
        )
        return {str(r.leader_id): _from_row(r) for r in rows}

    def of_leader(self, leader_id: str) -> list[KnownDetails]:
        rows = self.connection.execute(
            sa.select(known_details).where(known_details.c.leader_id == leader_id).order_by(known_details.c.trust_ods)
        )
        return [_from_row(r) for r in rows]

    def put_many(self, many: list[KnownDetails]) -> None:
        if not many:
            return
        self._read.clear()
        # one record per (trust, person), the last given winning as if put one by one: a multi-row
        # upsert may not touch a row twice
        latest = {(d.trust_ods, d.leader_id): d for d in many}
        if len(latest) < BULK_FROM:
            self.connection.execute(_UPSERT, [asdict(d) for d in latest.values()])
            return
        # a bulk import's batch: the same rows through the driver (SQLAlchemy's parameter processing
        # per row cost more than the statement)
        rows = [
            (d.trust_ods, d.leader_id, *(getattr(d, n) for n in KNOWN_FIELDS), d.updated_at) for d in latest.values()
        ]
        write_rows(self.connection, known_details, COLUMNS, rows, then=_ON_CONFLICT)

    def erase(self, leader_id: str) -> None:
        self._read.clear()
        self.connection.execute(known_details.delete().where(known_details.c.leader_id == leader_id))

    def forget_trust(self, trust_ods: str) -> None:
        self._read.clear()
        self.connection.execute(known_details.delete().where(known_details.c.trust_ods == trust_ods))
