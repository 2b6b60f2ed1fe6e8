"""The registry's taxonomy as matching keeps it, from its ``registry.term.*`` events
(proto/events/schemas/plr.registry.term.*): which skills, interests and lived-experience areas exist,
whose they are (global, or one trust's own), and which are retired.

Each term is an aggregate of the registry's, by its id: added at version 1, retired at 2. Events may be
redelivered or arrive out of order: a row changes only for a newer version (a retirement that arrives
first is not undone by the older addition).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection

from services.common.events import CloudEvent
from services.common.inbox import EventHandler
from services.matching.adapters.tables import terms
from services.matching.domain.terms import Usable
from services.matching.service_layer.ports import Taxonomy

TERM_EVENTS = "registry.term.*"


def _record(connection: Connection, event: CloudEvent, retired: bool) -> None:
    data = event.data
    statement = insert(terms).values(
        term_id=data["term_id"],
        kind=data["kind"],
        code=data["code"],
        trust_ods=data.get("ods"),
        retired=retired,
        version=event.aggregate_version,
    )
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[terms.c.term_id],
            set_={"retired": statement.excluded.retired, "version": statement.excluded.version},
            where=terms.c.version < statement.excluded.version,
        )
    )


def record_term_added(connection: Connection, event: CloudEvent) -> None:
    _record(connection, event, retired=False)


def record_term_retired(connection: Connection, event: CloudEvent) -> None:
    _record(connection, event, retired=True)


def term_handlers() -> dict[str, EventHandler]:
    return {
        "plr.registry.term.added.v1": record_term_added,
        "plr.registry.term.retired.v1": record_term_retired,
    }


class SqlTaxonomy(Taxonomy):
    def __init__(self, connection: Connection):
        self.connection = connection

    def usable_by(self, trust_ods: str) -> Usable:
        rows = self.connection.execute(
            sa.select(terms.c.kind, terms.c.code).where(
                ~terms.c.retired, sa.or_(terms.c.trust_ods.is_(None), terms.c.trust_ods == trust_ods)
            )
        )
        return frozenset((r.kind, r.code) for r in rows)
