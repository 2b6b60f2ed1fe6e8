"""Helpers for migrations: the platform tables, the trust directory, and forced row-level security.

Written as explicit operations (not ``create_all``) so that a migration, once released, never
changes when the code's table definitions do.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.common.tenancy import rls_predicate


def create_platform_tables_v1() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("event_id", postgresql.UUID(as_uuid=False), nullable=False, unique=True),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("routing_key", sa.Text, nullable=False),
        sa.Column("trust_ods", sa.Text),
        sa.Column("aggregate_type", sa.Text, nullable=False),
        sa.Column("aggregate_id", sa.Text, nullable=False),
        sa.Column("aggregate_version", sa.BigInteger, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Column("publish_attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        sa.UniqueConstraint("aggregate_type", "aggregate_id", "aggregate_version", name="outbox_aggregate_version"),
    )
    op.create_index("outbox_unpublished", "outbox", ["id"], postgresql_where=sa.text("published_at IS NULL"))
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.Text, primary_key=True),
        sa.Column("event_id", postgresql.UUID(as_uuid=False), primary_key=True),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "worker_heartbeats",
        sa.Column("worker", sa.Text, primary_key=True),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consumers", sa.Integer, nullable=False, server_default="0"),
    )


def create_trust_directory_v1(with_settings: bool = False) -> None:
    """Trusts and their API keys: the registry's own records (``with_settings``), or another service's
    projection of them, where name and status stay unknown (NULL) until the event that says them."""
    columns: list[sa.schema.SchemaItem] = [
        sa.Column("trust_ods", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=not with_settings),
        sa.Column("status", sa.Text, nullable=not with_settings),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    ]
    if with_settings:
        columns.append(sa.Column("settings", postgresql.JSONB, nullable=False, server_default="{}"))
    op.create_table("trusts", *columns)
    enable_tenant_rls("trusts")
    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.Text, primary_key=True),
        sa.Column("trust_ods", sa.Text, nullable=False, index=True),
        sa.Column("secret_sha256", sa.Text, nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    enable_tenant_rls("api_keys")


# what every key issued before scopes existed may do (services/common/principals.py DEFAULT_KEY_SCOPES,
# spelled out: a released migration never changes when the code does)
KEY_SCOPES_BEFORE_SCOPES = "{checks,people,read}"


def add_key_scopes_v2() -> None:
    """Each key's scopes (issue 10): the keys already issued keep working with checks, people and read
    (everything a key did before, except DBS details, which only a key issued with ``dbs-details``
    reads now). Every key issued afterwards states its scopes: the column has no default."""
    op.add_column(
        "api_keys",
        sa.Column("scopes", postgresql.ARRAY(sa.Text), nullable=False, server_default=KEY_SCOPES_BEFORE_SCOPES),
    )
    op.alter_column("api_keys", "scopes", server_default=None)


def add_key_versions_v3() -> None:
    """Each key's version in the trust directory (issue 10, ADR 0009): the trust's version that last
    said something of it, so that an older or repeated ``key_issued`` never replaces its secret. Keys
    projected before keep 0: any later event of theirs is newer."""
    op.add_column("api_keys", sa.Column("version", sa.BigInteger, nullable=False, server_default="0"))


def enable_tenant_rls(table: str, column: str = "trust_ods") -> None:
    """Forced RLS: even the table's owner is subject to it (owners otherwise bypass it)."""
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    predicate = rls_predicate(column)
    op.execute(f"CREATE POLICY {table}_tenant ON {table} USING {predicate} WITH CHECK {predicate}")
