"""The change history: every write, who made it (principal, staff, correlation id, method), which
fields it changed (names, never values), why and on what evidence.

Append-only as the access audit is, with one exception for erasure: an UPDATE may only blank an
entry's reason and evidence (free text that may name the person), leaving who, when, the method and
the field names as they were. Row security shows the person every entry about them, a trust only
the entries of its own writes, and the platform all.

Revision ID: 0015
Revises: 0010
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.common.tenancy import leader_rls_predicate

revision = "0015"
down_revision = "0010"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "change_history",
        sa.Column("entry_id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("at", TZ, nullable=False, server_default=sa.func.now()),
        sa.Column("principal_kind", sa.Text, nullable=False),
        sa.Column("principal", sa.Text, nullable=False),
        sa.Column("staff", sa.Text),
        # the trust whose key made the write (None for the person, the administrator, a service)
        sa.Column("trust_ods", sa.Text),
        sa.Column("correlation_id", sa.Text),
        sa.Column("method", sa.Text, nullable=False),
        sa.Column("leader_id", postgresql.UUID(as_uuid=False)),
        sa.Column("fields", postgresql.ARRAY(sa.Text), nullable=False),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("evidence", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("change_history_leader", "change_history", ["leader_id", "entry_id"])
    op.create_index("change_history_trust", "change_history", ["trust_ods", "entry_id"])
    predicate = leader_rls_predicate()
    op.execute("ALTER TABLE change_history ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE change_history FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY change_history_tenant ON change_history USING {predicate} WITH CHECK {predicate}")
    op.execute(
        "CREATE FUNCTION change_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF TG_OP = 'UPDATE' AND NEW.reason = '' AND NEW.evidence = '' "
        "AND to_jsonb(NEW) - 'reason' - 'evidence' = to_jsonb(OLD) - 'reason' - 'evidence' THEN RETURN NEW; END IF; "
        "RAISE EXCEPTION 'change_history is append-only: erasure may only blank an entry''s reason and evidence'; "
        "END $$"
    )
    op.execute(
        "CREATE TRIGGER change_history_append_only BEFORE UPDATE OR DELETE ON change_history "
        "FOR EACH ROW EXECUTE FUNCTION change_history_append_only()"
    )
    op.execute(
        "CREATE TRIGGER change_history_no_truncate BEFORE TRUNCATE ON change_history "
        "FOR EACH STATEMENT EXECUTE FUNCTION change_history_append_only()"
    )


def downgrade() -> None:
    op.drop_table("change_history")
    op.execute("DROP FUNCTION change_history_append_only()")
