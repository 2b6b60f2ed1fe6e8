"""NHS login: the accounts an NHS login subject signs in to, and the sign-ins under way (a state, its
nonce and PKCE verifier, bound to the browser's session, used once).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=False)
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "nhs_logins",
        sa.Column("subject", sa.Text, primary_key=True),  # the id token's verified `sub`
        sa.Column(
            "account_id",
            UUID,
            sa.ForeignKey("accounts.account_id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column("linked_at", TIME, nullable=False),
    )
    op.create_table(
        "oidc_attempts",
        sa.Column("state_digest", sa.Text, primary_key=True),
        sa.Column("session_digest", sa.Text, nullable=False),
        sa.Column("nonce", sa.Text, nullable=False),
        sa.Column("code_verifier", sa.Text, nullable=False),
        sa.Column("expires_at", TIME, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("oidc_attempts")
    op.drop_table("nhs_logins")
