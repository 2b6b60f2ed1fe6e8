"""Support and development: programmes, enrolments, facilitators, check-ins, development plans.

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.common.tenancy import CURRENT_LEADER, leader_rls_predicate, rls_predicate

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=False)
TZ = sa.DateTime(timezone=True)


def _force_rls(table: str, predicate: str) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY {table}_tenant ON {table} USING {predicate} WITH CHECK {predicate}")


def upgrade() -> None:
    op.create_table(
        "enrolments",
        sa.Column("enrolment_id", UUID, primary_key=True),
        sa.Column("leader_id", UUID, nullable=False, index=True),
        sa.Column("trust_ods", sa.Text, nullable=False),
        sa.Column("programme_id", UUID, nullable=False),
        # {module_id: "YYYY-MM-DD"}
        sa.Column("completed_modules", postgresql.JSONB, nullable=False),
        sa.Column("completed_on", sa.Date),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("enrolled_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.UniqueConstraint("programme_id", "leader_id", name="enrolments_once_per_programme"),
    )
    _force_rls("enrolments", leader_rls_predicate())

    op.create_table(
        "programmes",
        sa.Column("programme_id", UUID, primary_key=True),
        sa.Column("trust_ods", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        # [{"module_id": ..., "title": ...}] in order
        sa.Column("modules", postgresql.JSONB, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_index("programmes_trust_created", "programmes", ["trust_ods", "created_at", "programme_id"])
    # the owning trust, and a leader enrolled in it (to read its title and modules)
    _force_rls(
        "programmes",
        f"({rls_predicate()} OR EXISTS (SELECT 1 FROM enrolments e WHERE e.programme_id = programmes.programme_id "
        f"AND e.leader_id::text = {CURRENT_LEADER}))",
    )

    op.create_table(
        "support_assignments",
        sa.Column("assignment_id", UUID, primary_key=True),
        sa.Column("leader_id", UUID, nullable=False, index=True),
        sa.Column("trust_ods", sa.Text, nullable=False),
        sa.Column("facilitator", sa.Text, nullable=False),
        sa.Column("buddy_leader_id", UUID),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("assigned_at", TZ, nullable=False),
        sa.UniqueConstraint("trust_ods", "leader_id", name="support_assignments_one_per_trust"),
    )
    _force_rls("support_assignments", leader_rls_predicate())

    op.create_table(
        "check_ins",
        sa.Column("check_in_id", UUID, primary_key=True),
        sa.Column("leader_id", UUID, nullable=False),
        sa.Column("trust_ods", sa.Text, nullable=False),
        sa.Column("held_on", sa.Date, nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("recorded_at", TZ, nullable=False),
    )
    op.create_index("check_ins_leader", "check_ins", ["leader_id", "held_on"])
    _force_rls("check_ins", leader_rls_predicate())

    op.create_table(
        "development_plans",
        sa.Column("leader_id", UUID, primary_key=True),
        sa.Column("trust_ods", sa.Text, primary_key=True),
        # [{"goal_id", "title", "status", "target_date"}]
        sa.Column("goals", postgresql.JSONB, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    _force_rls("development_plans", leader_rls_predicate())


def downgrade() -> None:
    for table in ("development_plans", "check_ins", "support_assignments", "programmes", "enrolments"):
        op.drop_table(table)
