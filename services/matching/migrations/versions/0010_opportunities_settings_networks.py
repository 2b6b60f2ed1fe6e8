"""Opportunities, per-trust matching settings, idempotency keys, and the projection of the registry's
networks.

An opportunity is its owning trust's (forced RLS on trust_ods); a second, read-only policy lets a
trust see another trust's opportunity while it is published to a network both trusts are members of.
The network tables are reference data kept from registry events, read by that policy: no RLS.

Revision ID: 0010
Revises: 0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.common.schema import enable_tenant_rls
from services.common.tenancy import CURRENT_TRUST, rls_predicate

revision = "0010"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
STATUSES = "('draft', 'published', 'closed', 'filled', 'withdrawn')"


def _member(trust_column: str) -> str:
    return (
        "EXISTS (SELECT 1 FROM network_members m WHERE m.network_id = opportunities.network_id "
        f"AND m.trust_ods = {trust_column} AND m.member)"
    )


def upgrade() -> None:
    op.create_table(
        "networks",
        sa.Column("network_id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text),  # unknown (NULL) while only a later event has arrived
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "network_members",
        sa.Column("network_id", sa.Text, primary_key=True),
        sa.Column("trust_ods", sa.Text, primary_key=True),
        sa.Column("member", sa.Boolean, nullable=False),
        # the network's version that last said so: an older event (redelivered, reordered) changes nothing
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.create_index("network_members_trust", "network_members", ["trust_ods"])
    # which trusts are in which network is no trust's secret (the opportunities policy reads another
    # trust's membership): every scope reads it; a row is written in its own trust's scope (the
    # projection applies network.trust_added in the added trust's) or the platform's
    op.execute("ALTER TABLE network_members ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE network_members FORCE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY network_members_read ON network_members FOR SELECT USING (true)")
    writer = rls_predicate("trust_ods")
    op.execute(f"CREATE POLICY network_members_write ON network_members USING ({writer}) WITH CHECK ({writer})")
    op.create_table(
        "opportunities",
        sa.Column("opportunity_id", postgresql.UUID(as_uuid=False), primary_key=True),
        sa.Column("trust_ods", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("network_id", sa.Text),
        sa.Column("details", postgresql.JSONB, nullable=False),
        sa.Column("withdrawn_reason", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("published_at", TZ),
        sa.CheckConstraint(f"status IN {STATUSES}", name="opportunities_status"),
    )
    op.create_index("opportunities_trust", "opportunities", ["trust_ods", "opportunity_id"])
    op.create_index(
        "opportunities_network_published",
        "opportunities",
        ["network_id"],
        postgresql_where=sa.text("status = 'published' AND network_id IS NOT NULL"),
    )
    enable_tenant_rls("opportunities")
    shared = (
        "status = 'published' AND network_id IS NOT NULL "
        f"AND {_member(CURRENT_TRUST)} AND {_member('opportunities.trust_ods')}"
    )
    op.execute(f"CREATE POLICY opportunities_network ON opportunities FOR SELECT USING ({shared})")
    op.create_table(
        "matching_settings",
        sa.Column("trust_ods", sa.Text, primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("settings", postgresql.JSONB, nullable=False),
        sa.Column("updated_at", TZ, nullable=False, server_default=sa.func.now()),
    )
    enable_tenant_rls("matching_settings")
    op.create_table(
        "idempotency_keys",
        sa.Column("trust_ods", sa.Text, primary_key=True),
        sa.Column("method", sa.Text, primary_key=True),
        sa.Column("idempotency_key", sa.Text, primary_key=True),
        sa.Column("request_sha256", sa.Text, nullable=False),
        sa.Column("answer", sa.Text),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
    )
    enable_tenant_rls("idempotency_keys")


def downgrade() -> None:
    for table in ("idempotency_keys", "matching_settings", "opportunities", "network_members", "networks"):
        op.drop_table(table)
