"""Pre-placement checks with expiry (and the expiry notices emitted), and checks accepted by another trust.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.common.tenancy import leader_rls_predicate

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=False)
TZ = sa.DateTime(timezone=True)
CHECK_TYPES = "('dbs', 'occupational_health', 'references', 'identity', 'mandatory_training')"
DBS_LEVELS = "('basic', 'standard', 'enhanced')"


def _force_rls(table: str, predicate: str) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY {table}_tenant ON {table} USING {predicate} WITH CHECK {predicate}")


def upgrade() -> None:
    op.create_table(
        "checks",
        sa.Column("check_id", UUID, primary_key=True),
        sa.Column("leader_id", UUID, nullable=False, index=True),
        sa.Column("trust_ods", sa.Text, nullable=False),  # the verifying trust
        sa.Column("check_type", sa.Text, nullable=False),
        sa.Column("dbs_level", sa.Text),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("dbs_details", sa.Text, nullable=False, server_default=""),
        sa.Column("verified_by", sa.Text, nullable=False),
        sa.Column("verified_at", TZ, nullable=False),
        sa.Column("issued_on", sa.Date),
        sa.Column("expires_on", sa.Date),
        sa.Column("version", sa.BigInteger, nullable=False),
        # the expiry notices already emitted: each threshold once, set in the outbox's transaction
        sa.Column("expiring_noticed_at", TZ),
        sa.Column("expired_noticed_at", TZ),
        sa.CheckConstraint(f"check_type IN {CHECK_TYPES}", name="checks_type"),
        sa.CheckConstraint(
            f"(check_type = 'dbs') = (dbs_level IS NOT NULL) AND (dbs_level IS NULL OR dbs_level IN {DBS_LEVELS})",
            name="checks_dbs_level",
        ),
    )
    op.create_index("checks_trust_leader", "checks", ["trust_ods", "leader_id"])
    # the expiry scan's work list: checks with an expiry whose "expired" notice is still owed
    op.create_index(
        "checks_notice_due",
        "checks",
        ["expires_on"],
        postgresql_where=sa.text("expires_on IS NOT NULL AND expired_noticed_at IS NULL"),
    )
    _force_rls("checks", leader_rls_predicate())

    op.create_table(
        "check_acceptances",
        sa.Column("acceptance_id", UUID, primary_key=True),
        sa.Column("check_id", UUID, nullable=False),
        sa.Column("leader_id", UUID, nullable=False, index=True),
        sa.Column("trust_ods", sa.Text, nullable=False),  # the accepting trust: its own record
        sa.Column("check_type", sa.Text, nullable=False),
        sa.Column("dbs_level", sa.Text),
        sa.Column("verifying_trust", sa.Text, nullable=False),
        sa.Column("verified_at", TZ, nullable=False),
        sa.Column("issued_on", sa.Date),
        sa.Column("expires_on", sa.Date),
        sa.Column("accepted_by", sa.Text, nullable=False),
        sa.Column("accepted_at", TZ, nullable=False),
        sa.UniqueConstraint("check_id", "trust_ods", name="check_acceptances_once_per_trust"),
    )
    _force_rls("check_acceptances", leader_rls_predicate())


def downgrade() -> None:
    op.drop_table("check_acceptances")
    op.drop_table("checks")
