"""The registry's networks as matching keeps them, from its ``registry.network.*`` events
(proto/events/schemas/plr.registry.network.*): which trusts are members of which network.

Events may be redelivered or arrive out of order: each membership row keeps the network's version that
last said it, and only a newer event changes it (a trust added at version 2 and removed at 3 stays
removed whichever arrives first).
"""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection

from services.common.events import CloudEvent
from services.common.inbox import EventHandler
from services.matching.adapters.tables import network_members, networks

NETWORK_EVENTS = "registry.network.*"


def record_network_created(connection: Connection, event: CloudEvent) -> None:
    statement = insert(networks).values(
        network_id=event.data["network_id"], name=event.data["name"], version=event.aggregate_version
    )
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[networks.c.network_id],
            set_={"name": statement.excluded.name, "version": statement.excluded.version},
            where=networks.c.version < statement.excluded.version,
        )
    )


def _membership(connection: Connection, event: CloudEvent, member: bool) -> None:
    statement = insert(network_members).values(
        network_id=event.data["network_id"], trust_ods=event.data["ods"], member=member, version=event.aggregate_version
    )
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[network_members.c.network_id, network_members.c.trust_ods],
            set_={"member": statement.excluded.member, "version": statement.excluded.version},
            where=network_members.c.version < statement.excluded.version,
        )
    )


def record_trust_added(connection: Connection, event: CloudEvent) -> None:
    _membership(connection, event, member=True)


def record_trust_removed(connection: Connection, event: CloudEvent) -> None:
    _membership(connection, event, member=False)


def network_handlers() -> dict[str, EventHandler]:
    return {
        "plr.registry.network.created.v1": record_network_created,
        "plr.registry.network.trust_added.v1": record_trust_added,
        "plr.registry.network.trust_removed.v1": record_trust_removed,
    }
