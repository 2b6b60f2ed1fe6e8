"""The registry's staff directory as matching keeps it (services/common/trust_directory.py
``staff_projection_handlers``, from its ``registry.staff.*`` events): whom the portal may act for here
(``x-plr-staff-id``), with their trust and roles. No name (the events carry none). A trust's own rows
(forced RLS, written in the trust's scope as the inbox applies its events); the authenticator reads
them in the platform's scope.

Revision ID: 0050
Revises: 0036
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.common.schema import enable_tenant_rls

revision = "0050"
down_revision = "0036"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "staff_members",
        sa.Column("staff_id", postgresql.UUID(as_uuid=False), primary_key=True),
        sa.Column("trust_ods", sa.Text, nullable=False),
        sa.Column("name", sa.Text),  # never known here
        sa.Column("roles", postgresql.ARRAY(sa.Text), nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        # the member's version that last said something of them: an older or repeated event changes nothing
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("status IN ('active', 'left')", name="staff_members_status"),
    )
    op.create_index("staff_members_trust", "staff_members", ["trust_ods"])
    enable_tenant_rls("staff_members")


def downgrade() -> None:
    op.drop_table("staff_members")
