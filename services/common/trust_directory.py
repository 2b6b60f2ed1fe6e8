"""The trust directory: trusts and their API keys as SQLAlchemy tables, and the projection that
keeps another service's copy current from registry's events (so each ``api`` verifies keys locally).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, UUID, insert
from sqlalchemy.engine import Connection

from services.common.events import CloudEvent
from services.common.inbox import EventHandler
from services.common.principals import DEFAULT_KEY_SCOPES

metadata = sa.MetaData()

trusts = sa.Table(
    "trusts",
    metadata,
    sa.Column("trust_ods", sa.Text, primary_key=True),
    # unknown (NULL) while only a later event of the trust has arrived
    sa.Column("name", sa.Text),
    sa.Column("status", sa.Text),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
    sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("key_id", sa.Text, primary_key=True),
    sa.Column("trust_ods", sa.Text, nullable=False),
    sa.Column("secret_sha256", sa.Text, nullable=False),
    sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
    # what the key may do (services/common/principals.py KEY_SCOPES); added by each service's migration
    # with the default scopes for the keys issued before
    sa.Column("scopes", ARRAY(sa.Text), nullable=False),
    # in a projection, the trust's version that last said something of the key: an older or repeated
    # event changes nothing (the registry's own rows keep 0)
    sa.Column("version", sa.BigInteger, nullable=False, server_default="0"),
)

# the members of a trust's staff who act through the portal (x-plr-staff-id): the registry's own records;
# the authenticator takes a staff member's trust and roles from here, never from the caller
staff_members = sa.Table(
    "staff_members",
    metadata,
    sa.Column("staff_id", UUID(as_uuid=False), primary_key=True),
    sa.Column("trust_ods", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("roles", ARRAY(sa.Text), nullable=False),
    sa.Column("status", sa.Text, nullable=False),  # active, left
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

TRUST_EVENTS = "registry.trust.*"
STAFF_EVENTS = "registry.staff.*"


def record_trust_onboarded(connection: Connection, event: CloudEvent) -> None:
    upsert_trust(connection, event, name=event.data["name"], status="active")


def upsert_trust(connection: Connection, event: CloudEvent, name: str | None = None, status: str | None = None) -> None:
    """Apply what an event says of a trust. Events may arrive out of order: a field is replaced only by
    a newer version, or filled in while still unknown; the version only ever grows."""
    statement = insert(trusts).values(
        trust_ods=event.data["ods"], name=name, status=status, version=event.aggregate_version
    )
    newer = trusts.c.version < statement.excluded.version

    def field(column: sa.Column, incoming: sa.ColumnElement) -> sa.ColumnElement:  # type: ignore[type-arg]
        return sa.case((sa.and_(incoming.is_not(None), sa.or_(newer, column.is_(None))), incoming), else_=column)

    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[trusts.c.trust_ods],
            set_={
                "name": field(trusts.c.name, statement.excluded.name),
                "status": field(trusts.c.status, statement.excluded.status),
                "version": sa.func.greatest(trusts.c.version, statement.excluded.version),
                "updated_at": sa.func.now(),
            },
        )
    )


def record_key_issued(connection: Connection, event: CloudEvent) -> None:
    """A key as issued, unless a newer event of the trust already spoke of it (its revocation, which
    may arrive first): a repeated or older issue never replaces a key's secret or scopes."""
    data = event.data
    # an event from before scopes existed names none: the key has the scopes every such key has
    scopes = sorted(data.get("scopes") or DEFAULT_KEY_SCOPES)
    statement = insert(api_keys).values(
        key_id=data["key_id"],
        trust_ods=data["ods"],
        secret_sha256=data["secret_sha256"],
        issued_at=data["issued_at"],
        scopes=scopes,
        version=event.aggregate_version,
    )
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[api_keys.c.key_id],
            set_={
                "secret_sha256": statement.excluded.secret_sha256,
                "scopes": scopes,
                "version": event.aggregate_version,
            },
            where=api_keys.c.version < statement.excluded.version,
        )
    )
    upsert_trust(connection, event)


def record_key_revoked(connection: Connection, event: CloudEvent) -> None:
    data = event.data
    # revocation may arrive before issue (replay, redelivery): keep it, and never un-revoke
    statement = insert(api_keys).values(
        key_id=data["key_id"],
        trust_ods=data["ods"],
        secret_sha256="",
        issued_at=data["revoked_at"],
        revoked_at=data["revoked_at"],
        scopes=[],  # a revoked key does nothing; its issue, if it comes later, leaves it revoked
        version=event.aggregate_version,
    )
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[api_keys.c.key_id],
            set_={
                "revoked_at": sa.func.coalesce(api_keys.c.revoked_at, statement.excluded.revoked_at),
                "version": sa.func.greatest(api_keys.c.version, statement.excluded.version),
            },
        )
    )
    upsert_trust(connection, event)


def record_trust_suspended(connection: Connection, event: CloudEvent) -> None:
    """The trust's keys stop working here (the authenticator refuses a trust that is not active)."""
    upsert_trust(connection, event, status="suspended")


def record_trust_resumed(connection: Connection, event: CloudEvent) -> None:
    upsert_trust(connection, event, status="active")


def record_trust_offboarded(connection: Connection, event: CloudEvent) -> None:
    # its keys' revocations are events of their own (earlier versions of the same trust)
    upsert_trust(connection, event, status="offboarded")


def projection_handlers() -> dict[str, EventHandler]:
    return {
        "plr.registry.trust.onboarded.v1": record_trust_onboarded,
        "plr.registry.trust.key_issued.v1": record_key_issued,
        "plr.registry.trust.key_revoked.v1": record_key_revoked,
        "plr.registry.trust.suspended.v1": record_trust_suspended,
        "plr.registry.trust.resumed.v1": record_trust_resumed,
        "plr.registry.trust.offboarded.v1": record_trust_offboarded,
    }


def _staff(connection: Connection, event: CloudEvent, status: str, roles: list[str]) -> None:
    """What an event says of a member of staff, unless a newer event of theirs already spoke (a
    ``staff.left`` that arrives before its ``staff.added`` stays left). The projection keeps no name:
    the events carry none."""
    statement = insert(staff_members).values(
        staff_id=event.data["staff_id"],
        trust_ods=event.data["ods"],
        roles=roles,
        status=status,
        version=event.aggregate_version,
        created_at=sa.func.now(),
        updated_at=sa.func.now(),
    )
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[staff_members.c.staff_id],
            set_={
                "status": statement.excluded.status,
                "roles": sa.case(
                    (statement.excluded.status == "left", staff_members.c.roles), else_=statement.excluded.roles
                ),
                "version": statement.excluded.version,
                "updated_at": sa.func.now(),
            },
            where=staff_members.c.version < statement.excluded.version,
        )
    )


def record_staff_added(connection: Connection, event: CloudEvent) -> None:
    _staff(connection, event, "active", sorted(event.data["roles"]))


def record_staff_left(connection: Connection, event: CloudEvent) -> None:
    _staff(connection, event, "left", [])


def staff_projection_handlers() -> dict[str, EventHandler]:
    """For a service whose api lets the portal act for members of staff (``x-plr-staff-id``): the
    staff directory the authenticator reads, kept from the registry's ``staff.*`` events (its table is
    the service's own migration's: staff_id, trust_ods, roles, status, version, and a name left NULL)."""
    return {
        "plr.registry.staff.added.v1": record_staff_added,
        "plr.registry.staff.left.v1": record_staff_left,
    }
