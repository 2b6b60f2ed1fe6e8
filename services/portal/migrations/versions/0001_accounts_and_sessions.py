"""Platform tables (outbox, inbox, heartbeats), accounts, one-time tokens, sessions, used links and
failed sign-ins.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.common.schema import create_platform_tables_v1

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=False)
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    create_platform_tables_v1()
    op.create_table(
        "accounts",
        sa.Column("account_id", UUID, primary_key=True),
        sa.Column("email_key", sa.Text, nullable=False, unique=True),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("verified_at", TIME),
        sa.Column("leader_id", UUID, unique=True),
        sa.Column("created_at", TIME, nullable=False),
    )
    op.create_table(
        "email_tokens",
        sa.Column("token_digest", sa.Text, primary_key=True),
        sa.Column("account_id", UUID, sa.ForeignKey("accounts.account_id", ondelete="CASCADE"), nullable=False),
        sa.Column("expires_at", TIME, nullable=False),
    )
    op.create_table(
        "sessions",
        sa.Column("session_digest", sa.Text, primary_key=True),
        sa.Column("account_id", UUID, sa.ForeignKey("accounts.account_id", ondelete="CASCADE")),
        sa.Column("csrf_token", sa.Text, nullable=False),
        sa.Column("confirm_link", sa.Text),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("last_seen_at", TIME, nullable=False),
    )
    op.create_table(
        "used_links",
        sa.Column("link_digest", sa.Text, primary_key=True),
        sa.Column("used_at", TIME, nullable=False),
    )
    op.create_table(
        "sign_in_failures",
        sa.Column("failure_id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("email_key", sa.Text, nullable=False, index=True),
        sa.Column("failed_at", TIME, nullable=False),
    )


def downgrade() -> None:
    for table in ("sign_in_failures", "used_links", "sessions", "email_tokens", "accounts"):
        op.drop_table(table)
    for table in ("worker_heartbeats", "inbox", "outbox"):
        op.drop_table(table)
