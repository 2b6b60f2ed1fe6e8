"""The registry's tables (SQLAlchemy Core). Schema changes are Alembic migrations, never create_all."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from services.common.trust_directory import api_keys

metadata = sa.MetaData()

trusts = sa.Table(
    "trusts",
    metadata,
    sa.Column("trust_ods", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("settings", postgresql.JSONB, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

__all__ = ["api_keys", "metadata", "trusts"]
