"""A trust pauses its own relationship with a person (``affiliations.paused_at`` / ``paused_until``:
the affiliation stays active, so what the trust may see is unchanged), and the evidence of changes a
trust's staff make on a person's behalf (assisted digital) is kept in ``changes_on_behalf``, readable
by the recording trust, the leader and the platform.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.common.tenancy import leader_rls_predicate

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("affiliations", sa.Column("paused_at", TZ))
    op.add_column("affiliations", sa.Column("paused_until", sa.Date))
    # the worker's look for pauses whose return date has come reads only paused rows
    op.create_index(
        "affiliations_paused_until",
        "affiliations",
        ["paused_until"],
        postgresql_where=sa.text("paused_at IS NOT NULL"),
    )
    op.create_table(
        "changes_on_behalf",
        sa.Column("change_id", postgresql.UUID(as_uuid=False), primary_key=True),
        sa.Column("leader_id", postgresql.UUID(as_uuid=False), nullable=False, index=True),
        sa.Column("trust_ods", sa.Text, nullable=False),
        sa.Column("fields", postgresql.ARRAY(sa.Text), nullable=False),
        sa.Column("staff", sa.Text, nullable=False),
        sa.Column("how_asked", sa.Text, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.Column("recorded_at", TZ, nullable=False),
    )
    predicate = leader_rls_predicate()
    op.execute("ALTER TABLE changes_on_behalf ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE changes_on_behalf FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY changes_on_behalf_tenant ON changes_on_behalf USING {predicate} WITH CHECK {predicate}")


def downgrade() -> None:
    op.drop_table("changes_on_behalf")
    op.drop_index("affiliations_paused_until", table_name="affiliations")
    op.drop_column("affiliations", "paused_until")
    op.drop_column("affiliations", "paused_at")
