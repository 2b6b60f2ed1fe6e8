"""Tables every service database has: the outbox, the inbox, worker heartbeats and the give-back key.

These are platform infrastructure, not tenant data, so they carry the trust as a column but no
row-level security: the relay publishes every trust's events.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

metadata = sa.MetaData()

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("event_id", postgresql.UUID(as_uuid=False), nullable=False, unique=True),
    sa.Column("event_type", sa.Text, nullable=False),
    sa.Column("routing_key", sa.Text, nullable=False),
    sa.Column("trust_ods", sa.Text),
    sa.Column("aggregate_type", sa.Text, nullable=False),
    sa.Column("aggregate_id", sa.Text, nullable=False),
    sa.Column("aggregate_version", sa.BigInteger, nullable=False),
    # the exact bytes that go on the wire, so what was committed is what is published
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("published_at", sa.DateTime(timezone=True)),
    sa.Column("publish_attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    # two writers of one aggregate version: the second fails instead of publishing a lost update
    sa.UniqueConstraint("aggregate_type", "aggregate_id", "aggregate_version", name="outbox_aggregate_version"),
)
sa.Index("outbox_unpublished", outbox.c.id, postgresql_where=outbox.c.published_at.is_(None))

inbox = sa.Table(
    "inbox",
    metadata,
    sa.Column("consumer", sa.Text, primary_key=True),
    sa.Column("event_id", postgresql.UUID(as_uuid=False), primary_key=True),
    sa.Column("event_type", sa.Text, nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

worker_heartbeats = sa.Table(
    "worker_heartbeats",
    metadata,
    sa.Column("worker", sa.Text, primary_key=True),
    sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("consumers", sa.Integer, nullable=False, server_default="0"),
)

# the key that seals a worker's give-back copies (services/common/give_back.py): one row, made by
# ``migrate`` (not by a revision: every service's database gets it the same way), read by the worker
give_back_key = sa.Table(
    "give_back_key",
    metadata,
    sa.Column("id", sa.SmallInteger, primary_key=True),
    sa.Column("key", sa.Text, nullable=False),
    sa.CheckConstraint("id = 1", name="give_back_key_one_row"),
)
