"""Each trust's own record of how it knows a person (the name, email and phone it registered,
imported or updated), apart from the person's own details: a trust's change to them is never a
change to the person, so it is never checked against another person's address (0002's unique
``email_key`` answered a trust's collision with another trust's person as a database error: an
existence oracle). Row security: the trust's own rows, the person's, the platform.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.common.tenancy import leader_rls_predicate

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "known_details",
        sa.Column("trust_ods", sa.Text, primary_key=True),
        sa.Column("leader_id", postgresql.UUID(as_uuid=False), primary_key=True),
        sa.Column("given_name", sa.Text, nullable=False),
        sa.Column("family_name", sa.Text, nullable=False),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("phone", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("known_details_leader", "known_details", ["leader_id"])
    predicate = leader_rls_predicate()
    op.execute("ALTER TABLE known_details ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE known_details FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY known_details_tenant ON known_details USING {predicate} WITH CHECK {predicate}")
    # what each trust registered before this revision: the person's details as they then stood
    op.execute(
        "INSERT INTO known_details (trust_ods, leader_id, given_name, family_name, email, phone, updated_at) "
        "SELECT a.trust_ods, l.leader_id, coalesce(l.given_name, ''), coalesce(l.family_name, ''), "
        "coalesce(l.email, ''), coalesce(l.phone, ''), a.created_at FROM affiliations a "
        "JOIN leaders l ON l.leader_id = a.leader_id WHERE l.erased_at IS NULL"
    )


def downgrade() -> None:
    op.drop_table("known_details")
