"""An index of placements by the trust that made them: the concentration report counts a trust's own
placements in its recent window (0085's fix), a query by trust and start date that would otherwise read
every trust's placements.

Revision ID: 0086
Revises: 0085
Create Date: 2026-12-02
"""

from alembic import op

revision = "0086"
down_revision = "0085"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("placements_trust", "placements", ["trust_ods", "started_on"])


def downgrade() -> None:
    op.drop_index("placements_trust", table_name="placements")
