"""Trust names for per-trust start pages (/t/<ods>/): a projection of the registry's trust events
(onboarded, suspended, resumed, offboarded) holding each trust's ODS code, name and status only, public
facts about organisations and no person's data (docs/adr/0011). The columns are the trust directory's
(services/common/trust_directory.py), so its projection code applies them; no row-level security: every
visitor may read every trust's name, and no key is kept.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trusts",
        sa.Column("trust_ods", sa.Text, primary_key=True),
        sa.Column("name", sa.Text),  # unknown (NULL) while only a later event of the trust has arrived
        sa.Column("status", sa.Text),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("trusts")
