"""The registry's taxonomy, kept from its ``registry.term.*`` events.

A global term (no trust) is every trust's to read; a trust's own term is that trust's alone (forced
RLS). A global term is written in the platform's scope, a trust's own in that trust's (the projection
applies an event in its ``trustods``'s scope).

Revision ID: 0035
Revises: 0030
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from services.common.tenancy import rls_predicate

revision = "0035"
down_revision = "0030"
branch_labels = None
depends_on = None

READABLE = f"(trust_ods IS NULL OR {rls_predicate()})"
WRITABLE = rls_predicate()  # a NULL trust_ods (global) matches no trust: the platform scope only


def upgrade() -> None:
    op.create_table(
        "terms",
        sa.Column("term_id", sa.Text, primary_key=True),  # the registry's id of the term
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("trust_ods", sa.Text),
        sa.Column("retired", sa.Boolean, nullable=False),
        # the term's version that last said so: an older event (redelivered, reordered) changes nothing
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.create_index("terms_trust_kind_code", "terms", ["trust_ods", "kind", "code"])
    op.execute("ALTER TABLE terms ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE terms FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY terms_read ON terms FOR SELECT USING {READABLE}")
    op.execute(f"CREATE POLICY terms_insert ON terms FOR INSERT WITH CHECK {WRITABLE}")
    op.execute(f"CREATE POLICY terms_update ON terms FOR UPDATE USING {WRITABLE} WITH CHECK {WRITABLE}")


def downgrade() -> None:
    op.drop_table("terms")
