"""What a trust sees of a person changes only when something it may see changed: the version and time
of the last change every trust sees (profile, status, lived experience consent) are kept apart from
the person's own, which count a consent about one trust too. A trust's view adds its own consents to
these (``Leader.as_seen_by_trust``), so another trust's consent never moves it.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("leaders", sa.Column("shared_version", sa.BigInteger))
    op.add_column("leaders", sa.Column("shared_updated_at", sa.DateTime(timezone=True)))
    op.execute("SELECT set_config('plr.platform', 'on', true)")  # row security: the platform sees every leader
    op.execute("UPDATE leaders SET shared_version = version, shared_updated_at = updated_at")
    op.alter_column("leaders", "shared_version", nullable=False)
    op.alter_column("leaders", "shared_updated_at", nullable=False)


def downgrade() -> None:
    op.drop_column("leaders", "shared_updated_at")
    op.drop_column("leaders", "shared_version")
