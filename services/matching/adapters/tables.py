"""Matching's tables (migrations/versions/0010_...), as SQLAlchemy sees them."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

metadata = sa.MetaData()
TZ = sa.DateTime(timezone=True)

opportunities = sa.Table(
    "opportunities",
    metadata,
    sa.Column("opportunity_id", postgresql.UUID(as_uuid=False), primary_key=True),
    sa.Column("trust_ods", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("network_id", sa.Text),
    sa.Column("details", postgresql.JSONB, nullable=False),
    sa.Column("withdrawn_reason", sa.Text, nullable=False),
    sa.Column("created_at", TZ, nullable=False),
    sa.Column("updated_at", TZ, nullable=False),
    sa.Column("published_at", TZ),
    sa.Column("created_by", postgresql.JSONB),  # migration 0051: documents.actor_document
    sa.Column("updated_by", postgresql.JSONB),
)

matching_settings = sa.Table(
    "matching_settings",
    metadata,
    sa.Column("trust_ods", sa.Text, primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("settings", postgresql.JSONB, nullable=False),
    sa.Column("updated_at", TZ, nullable=False, server_default=sa.func.now()),
)


networks = sa.Table(
    "networks",
    metadata,
    sa.Column("network_id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text),
    sa.Column("version", sa.BigInteger, nullable=False),
)

network_members = sa.Table(
    "network_members",
    metadata,
    sa.Column("network_id", sa.Text, primary_key=True),
    sa.Column("trust_ods", sa.Text, primary_key=True),
    sa.Column("member", sa.Boolean, nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
)

# the registry's taxonomy, kept from its term events (adapters/taxonomy.py)
terms = sa.Table(
    "terms",
    metadata,
    sa.Column("term_id", sa.Text, primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("code", sa.Text, nullable=False),
    sa.Column("trust_ods", sa.Text),
    sa.Column("retired", sa.Boolean, nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
)

# what people already do, from recruitment's events (adapters/placement_load.py)
offers_made = sa.Table(
    "offers_made",
    metadata,
    sa.Column("offer_id", postgresql.UUID(as_uuid=False), primary_key=True),
    sa.Column("leader_id", postgresql.UUID(as_uuid=False), nullable=False),
    sa.Column("trust_ods", sa.Text, nullable=False),
    sa.Column("made_on", sa.Date, nullable=False),
)

placements = sa.Table(
    "placements",
    metadata,
    sa.Column("placement_id", postgresql.UUID(as_uuid=False), primary_key=True),
    sa.Column("leader_id", postgresql.UUID(as_uuid=False), nullable=False),
    sa.Column("trust_ods", sa.Text, nullable=False),
    sa.Column("started_on", sa.Date, nullable=False),
    sa.Column("ended_on", sa.Date),
    sa.Column("hours_per_month", sa.Integer, nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
)

# the projection of the registry's people (migration 0060; adapters/candidate_projection.py)
TEXTS = postgresql.ARRAY(sa.Text)
candidates = sa.Table(
    "candidates",
    metadata,
    sa.Column("leader_id", postgresql.UUID(as_uuid=False), primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("paused_until", sa.Date),
    sa.Column("skills", TEXTS, nullable=False),
    sa.Column("interests", TEXTS, nullable=False),
    sa.Column("lived_experience", TEXTS),
    sa.Column("hours_per_month", sa.Integer, nullable=False),
    sa.Column("days", TEXTS, nullable=False),
    sa.Column("modes", TEXTS, nullable=False),
    sa.Column("district", sa.Text),
    sa.Column("contact_trusts", TEXTS, nullable=False),
    sa.Column("shared_networks", TEXTS, nullable=False),
)
candidate_trusts = sa.Table(
    "candidate_trusts",
    metadata,
    sa.Column("leader_id", postgresql.UUID(as_uuid=False), primary_key=True),
    sa.Column("trust_ods", sa.Text, primary_key=True),
    sa.Column("affiliation_id", postgresql.UUID(as_uuid=False), nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("paused", sa.Boolean, nullable=False),
    sa.Column("paused_until", sa.Date),
    sa.Column("version", sa.BigInteger, nullable=False),
)
candidate_checks = sa.Table(
    "candidate_checks",
    metadata,
    sa.Column("check_id", postgresql.UUID(as_uuid=False), primary_key=True),
    sa.Column("holder_ods", sa.Text, primary_key=True),
    sa.Column("leader_id", postgresql.UUID(as_uuid=False), nullable=False),
    sa.Column("check_type", sa.Text, nullable=False),
    sa.Column("expires_on", sa.Date),
    sa.Column("version", sa.BigInteger, nullable=False),
)
