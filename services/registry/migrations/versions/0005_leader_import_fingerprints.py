"""Bulk import of a trust's register: the fingerprints of the rows imported, so a re-run adds nothing.

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from services.common.tenancy import rls_predicate

revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a SHA-256 of a row's cells, per trust: it identifies a row already imported without keeping it
    op.create_table(
        "import_fingerprints",
        sa.Column("trust_ods", sa.Text, primary_key=True),
        sa.Column("fingerprint", sa.Text, primary_key=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.execute("ALTER TABLE import_fingerprints ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE import_fingerprints FORCE ROW LEVEL SECURITY")
    predicate = rls_predicate()
    op.execute(
        f"CREATE POLICY import_fingerprints_tenant ON import_fingerprints USING {predicate} WITH CHECK {predicate}"
    )


def downgrade() -> None:
    op.drop_table("import_fingerprints")
