"""What people already do, kept from recruitment's ``offer.made`` and ``placement.*`` events: the facts
of fair rotation and the workload cap (services/matching/domain/rotation.py).

A person's load counts whatever trust offered or placed them (the cap protects the person), so every
scope reads these rows; the api reads them only as counts per person. A row is written in the scope of
the trust whose event it is (the worker applies an event in its ``trustods``'s scope) or the platform's.

Revision ID: 0070
Revises: 0051
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.common.tenancy import rls_predicate

revision = "0070"
down_revision = "0051"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=False)


def _policies(table: str) -> None:
    writer = rls_predicate()
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING (true)")
    op.execute(f"CREATE POLICY {table}_insert ON {table} FOR INSERT WITH CHECK {writer}")
    op.execute(f"CREATE POLICY {table}_update ON {table} FOR UPDATE USING {writer} WITH CHECK {writer}")
    op.execute(f"CREATE POLICY {table}_delete ON {table} FOR DELETE USING {writer}")


def upgrade() -> None:
    op.create_table(
        "offers_made",
        sa.Column("offer_id", UUID, primary_key=True),
        sa.Column("leader_id", UUID, nullable=False),
        sa.Column("trust_ods", sa.Text, nullable=False),
        sa.Column("made_on", sa.Date, nullable=False),
    )
    op.create_index("offers_made_leader", "offers_made", ["leader_id", "made_on"])
    _policies("offers_made")
    op.create_table(
        "placements",
        sa.Column("placement_id", UUID, primary_key=True),
        sa.Column("leader_id", UUID, nullable=False),
        sa.Column("trust_ods", sa.Text, nullable=False),
        sa.Column("started_on", sa.Date, nullable=False),
        sa.Column("ended_on", sa.Date),
        sa.Column("hours_per_month", sa.Integer, nullable=False),
        # the placement's version that last said so: an older event (redelivered, reordered) changes nothing
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.create_index("placements_leader", "placements", ["leader_id", "started_on"])
    _policies("placements")


def downgrade() -> None:
    op.drop_table("placements")
    op.drop_table("offers_made")
