"""Password resets: one-time reset links (their SHA-256 only) and the reset requests counted for the
rate limit (digests of the address and of the client's address, never either in clear).

Revision ID: 0010
Revises: 0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0001"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=False)
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "reset_tokens",
        sa.Column("token_digest", sa.Text, primary_key=True),
        sa.Column("account_id", UUID, sa.ForeignKey("accounts.account_id", ondelete="CASCADE"), nullable=False),
        sa.Column("expires_at", TIME, nullable=False),
    )
    op.create_index("reset_tokens_account", "reset_tokens", ["account_id"])
    op.create_table(
        "reset_requests",
        sa.Column("request_id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("email_digest", sa.Text, nullable=False, index=True),
        sa.Column("client_digest", sa.Text, nullable=False, index=True),
        sa.Column("requested_at", TIME, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("reset_requests")
    op.drop_table("reset_tokens")
