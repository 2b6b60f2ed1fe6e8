"""Networks of trusts, and invitations.

``networks`` and ``network_trusts`` hold no personal data: every scope reads them (a leader checks the
network they share their profile with, a trust the networks it belongs to), only the platform writes
them. ``invitations`` are a trust's own rows, and the invited leader's; the platform reads them all.
One invitation per trust and target is pending at a time.

Revision ID: 0025
Revises: 0016
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.common.tenancy import PLATFORM, leader_rls_predicate

revision = "0025"
down_revision = "0016"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def _force_rls(table: str) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")


def upgrade() -> None:
    op.create_table(
        "networks",
        sa.Column("network_id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "network_trusts",
        sa.Column("network_id", sa.Text, sa.ForeignKey("networks.network_id", ondelete="CASCADE"), primary_key=True),
        sa.Column("trust_ods", sa.Text, primary_key=True),
    )
    op.create_index("network_trusts_trust", "network_trusts", ["trust_ods"])
    for table in ("networks", "network_trusts"):
        _force_rls(table)
        op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING (true)")
        op.execute(f"CREATE POLICY {table}_platform ON {table} USING ({PLATFORM}) WITH CHECK ({PLATFORM})")

    op.create_table(
        "invitations",
        sa.Column("invitation_id", postgresql.UUID(as_uuid=False), primary_key=True),
        sa.Column("trust_ods", sa.Text, nullable=False),
        sa.Column("target_key", sa.Text, nullable=False),
        sa.Column("leader_id", postgresql.UUID(as_uuid=False), index=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("answered_at", TZ),
        sa.CheckConstraint("status IN ('sent', 'accepted', 'declined')", name="invitations_status"),
    )
    op.create_index("invitations_trust_created", "invitations", ["trust_ods", "created_at"])
    op.create_index(
        "invitations_one_pending",
        "invitations",
        ["trust_ods", "target_key"],
        unique=True,
        postgresql_where=sa.text("status = 'sent'"),
    )
    _force_rls("invitations")
    predicate = leader_rls_predicate()
    op.execute(f"CREATE POLICY invitations_tenant ON invitations USING {predicate} WITH CHECK {predicate}")


def downgrade() -> None:
    op.drop_table("invitations")
    op.drop_table("network_trusts")
    op.drop_table("networks")
