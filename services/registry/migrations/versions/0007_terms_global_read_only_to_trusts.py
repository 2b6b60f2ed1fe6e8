"""The global terms are read-only to a trust: a trust-scoped transaction reads them and writes only
its own terms; the platform scope writes any.

0002 gave ``terms`` one policy for every command, so its ``trust_ods IS NULL`` (there to let every
trust read the global terms) let a trust-scoped transaction insert, change or delete them too.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from alembic import op

from services.common.tenancy import rls_predicate

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

READABLE = f"(trust_ods IS NULL OR {rls_predicate()})"
WRITABLE = rls_predicate()  # a NULL trust_ods (global) matches no trust: the platform scope only


def upgrade() -> None:
    op.execute("DROP POLICY terms_tenant ON terms")
    op.execute(f"CREATE POLICY terms_read ON terms FOR SELECT USING {READABLE}")
    op.execute(f"CREATE POLICY terms_insert ON terms FOR INSERT WITH CHECK {WRITABLE}")
    op.execute(f"CREATE POLICY terms_update ON terms FOR UPDATE USING {WRITABLE} WITH CHECK {WRITABLE}")
    op.execute(f"CREATE POLICY terms_delete ON terms FOR DELETE USING {WRITABLE}")


def downgrade() -> None:
    for policy in ("terms_read", "terms_insert", "terms_update", "terms_delete"):
        op.execute(f"DROP POLICY {policy} ON terms")
    op.execute(f"CREATE POLICY terms_tenant ON terms USING {READABLE} WITH CHECK {READABLE}")
