"""Who recorded a consent, and on what evidence, is kept apart from the consent record, readable by a
trust only when its own staff recorded it (or the leader did).

0002's policy on ``consent_records`` let any trust affiliated with the leader read every record,
evidence text of other trusts' staff included; only the service layer blanked them. Row security
cannot hide columns, so ``recorded_by``, ``recorder_trust`` and ``evidence`` move to
``consent_recorders`` (one row per consent record), whose policy shows a trust what the service
layer shows it: the records its staff made and those the leader made. The leader and the platform
read them all.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.common.tenancy import CURRENT_LEADER, CURRENT_TRUST, PLATFORM

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# a leader's own record is shown to a trust affiliated with them (consent_records' own policy: the
# subquery is filtered by it); a staff record only to the recording trust
READABLE = (
    f"(leader_id::text = {CURRENT_LEADER} OR {PLATFORM} OR recorder_trust = {CURRENT_TRUST} "
    "OR (recorder_trust IS NULL AND EXISTS (SELECT 1 FROM consent_records c "
    "WHERE c.record_id = consent_recorders.record_id AND c.recorded_by_kind = 'leader')))"
)
MOVED = ("recorded_by", "recorder_trust", "evidence")


def upgrade() -> None:
    op.create_table(
        "consent_recorders",
        sa.Column(
            "record_id",
            sa.BigInteger,
            sa.ForeignKey("consent_records.record_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("leader_id", postgresql.UUID(as_uuid=False), nullable=False, index=True),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.Column("recorder_trust", sa.Text),
        sa.Column("evidence", sa.Text, nullable=False),
    )
    op.execute(
        "INSERT INTO consent_recorders (record_id, leader_id, recorded_by, recorder_trust, evidence) "
        "SELECT record_id, leader_id, recorded_by, recorder_trust, evidence FROM consent_records"
    )
    for column in MOVED:
        op.drop_column("consent_records", column)
    op.execute("ALTER TABLE consent_recorders ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE consent_recorders FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY consent_recorders_tenant ON consent_recorders USING {READABLE} WITH CHECK {READABLE}")


def downgrade() -> None:
    op.add_column("consent_records", sa.Column("recorded_by", sa.Text, nullable=False, server_default=""))
    op.add_column("consent_records", sa.Column("recorder_trust", sa.Text))
    op.add_column("consent_records", sa.Column("evidence", sa.Text, nullable=False, server_default=""))
    op.execute(
        "UPDATE consent_records c SET recorded_by = r.recorded_by, recorder_trust = r.recorder_trust, "
        "evidence = r.evidence FROM consent_recorders r WHERE r.record_id = c.record_id"
    )
    op.drop_table("consent_recorders")
