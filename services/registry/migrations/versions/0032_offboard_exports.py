"""Offboarding in two steps: the export a trust's offboarding takes is held here until the
administrator confirms (with its SHA-256) that it reached them; only then is the trust's data erased,
and the document blanked. The platform alone reads and writes it (no tenant sees another's export).

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from services.common.tenancy import PLATFORM

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "offboard_exports",
        sa.Column("trust_ods", sa.Text, primary_key=True),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("taken_at", TZ, nullable=False),
        sa.Column("confirmed_at", TZ),
        sa.Column("leaders_erased", sa.Integer, nullable=False, server_default="0"),
        sa.Column("affiliations_ended", sa.Integer, nullable=False, server_default="0"),
        sa.CheckConstraint("confirmed_at IS NULL OR document = ''", name="offboard_exports_blanked_when_confirmed"),
    )
    op.execute("ALTER TABLE offboard_exports ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE offboard_exports FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY offboard_exports_platform ON offboard_exports USING ({PLATFORM}) WITH CHECK ({PLATFORM})"
    )


def downgrade() -> None:
    op.drop_table("offboard_exports")
