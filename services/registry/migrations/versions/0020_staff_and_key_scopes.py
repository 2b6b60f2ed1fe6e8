"""Staff records, trust key scopes, and facilitators by staff id (issues 9 and 10).

- ``api_keys.scopes``: what each key may do. Keys issued before keep working with the default scopes
  ``checks``, ``people`` and ``read``: everything they did, except reading DBS details (released
  until now by any ``x-plr-staff`` name sent with the key; now only by a key issued with the scope
  ``dbs-details``, or to a member of staff whose role needs them).
- ``staff_members``: a trust's staff (id, trust, name, roles, status active/left), under forced
  row-level security per trust; the authenticator reads it in the platform scope to find the trust
  and roles of the member of staff the portal asserts.
- ``support_assignments.facilitator_staff_id``: the facilitator, by staff id. Assignments made by a
  free-text name keep it in ``facilitator`` but have no staff id, so no member of staff reads their
  check-in notes until a facilitator is assigned again by id (the leader still reads them).

Revision ID: 0020
Revises: 0025
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.common.schema import add_key_scopes_v2, enable_tenant_rls

revision = "0020"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_key_scopes_v2()
    op.create_table(
        "staff_members",
        sa.Column("staff_id", postgresql.UUID(as_uuid=False), primary_key=True),
        sa.Column("trust_ods", sa.Text, sa.ForeignKey("trusts.trust_ods"), nullable=False, index=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("roles", postgresql.ARRAY(sa.Text), nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('active', 'left')", name="staff_members_status"),
    )
    enable_tenant_rls("staff_members")
    op.add_column("support_assignments", sa.Column("facilitator_staff_id", postgresql.UUID(as_uuid=False)))


def downgrade() -> None:
    op.drop_column("support_assignments", "facilitator_staff_id")
    op.drop_table("staff_members")
    op.drop_column("api_keys", "scopes")
