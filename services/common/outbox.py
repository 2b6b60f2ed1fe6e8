"""The transactional outbox: events are written in the same transaction as the state they describe."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.engine import Connection

from services.common.events import CloudEvent, SchemaRegistry, default_registry
from services.common.platform_tables import outbox


def add_to_outbox(connection: Connection, events: Iterable[CloudEvent], registry: SchemaRegistry | None = None) -> int:
    """Validate each event against its contract and stage it; an invalid event fails the transaction."""
    rows = outbox_rows(events, registry)
    if rows:
        connection.execute(outbox.insert(), rows)
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
                "payload": event.to_json().decode(),
            }
        )
    return rows
