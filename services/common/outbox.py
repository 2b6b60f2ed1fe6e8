"""The transactional outbox: events are written in the same transaction as the state they describe."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.common.bulk_insert import BULK_FROM, insert_rows_in
from services.common.db import PreparedQuery
from services.common.events import CloudEvent, SchemaRegistry, body_json, default_registry
from services.common.platform_tables import outbox

COLUMNS = (
    "event_id",
    "event_type",
    "routing_key",
    "trust_ods",
    "aggregate_type",
    "aggregate_id",
    "aggregate_version",
    "payload",
)


# every business transaction stages its events through it: prepared once per connection (PostgreSQL
# parsed and planned the eight-column insert for every transaction) and sent on the driver's cursor,
# the events of one commit in one round trip; no RETURNING of an id nothing reads
STAGE_EVENT = PreparedQuery("plr_stage_event", outbox.insert().inline().values({c: sa.bindparam(c) for c in COLUMNS}))


def add_to_outbox(connection: Connection, events: Iterable[CloudEvent], registry: SchemaRegistry | None = None) -> int:
    """Validate each event against its contract and stage it; an invalid event fails the transaction."""
    rows = outbox_rows(events, registry)
    if len(rows) >= BULK_FROM:
        insert_rows_in(connection, outbox, COLUMNS, [tuple(row[c] for c in COLUMNS) for row in rows])
    elif rows:
        STAGE_EVENT.send_all(connection, rows)
    return len(rows)


def outbox_rows(events: Iterable[CloudEvent], registry: SchemaRegistry | None = None) -> list[dict[str, Any]]:
    """The outbox rows of the events, each validated against its contract (InvalidEvent if not): for
    add_to_outbox, and for a bulk writer that inserts them set-based in its own transaction."""
    registry = registry or default_registry()
    rows = []
    for event in events:
        body = event.to_dict()
        registry.validate(body)
        rows.append(
            {
                "event_id": event.id,
                "event_type": event.type,
                "routing_key": event.routing_key,
                "trust_ods": event.trust_ods,
                "aggregate_type": event.aggregate_type,
                "aggregate_id": event.aggregate_id,
                "aggregate_version": event.aggregate_version,
                # the body validated, as its wire text (CloudEvent.to_json), not made a second time
                "payload": body_json(body),
            }
        )
    return rows


def outbox_backlog(connection: Connection) -> tuple[int, float, str | None]:
    """What waits in a service's outbox: unpublished events, the age in seconds of the oldest (0 when
    none), and the last publishing error among them (``plr outbox status`` and the worker's metrics)."""
    pending, oldest, now, last_error = connection.execute(
        sa.select(
            sa.func.count(), sa.func.min(outbox.c.created_at), sa.func.now(), sa.func.max(outbox.c.last_error)
        ).where(outbox.c.published_at.is_(None))
    ).one()
    return int(pending), (now - oldest).total_seconds() if oldest else 0.0, last_error
