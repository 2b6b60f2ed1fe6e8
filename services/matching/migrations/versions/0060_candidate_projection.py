"""Matching's projection of the registry's people it may rank (adapters/candidate_projection.py keeps
it from registry's events; adapters/candidates.py reads it).

``candidates``: one row per person: their own facts (status and pause, skills, interests, lived
experience only while they consent to its use in matching (NULL otherwise), availability, postcode
district, the trusts they let contact them, the networks they share their profile with) at the
person's ``version``. No name, contact detail, full postcode or equality data: there is no column for
them. ``candidate_trusts``: one row per (person, trust holding them): the affiliation's state at its
``version``. ``candidate_checks``: one row per (check, trust it counts for: the verifying trust and
each trust that accepted it), at the check's ``version``.

Tenancy (forced RLS): a trust reads its own ``candidate_trusts`` and ``candidate_checks`` rows, and a
person's ``candidates`` row while it holds them or one of its networks is among those the person shares
their profile with. Only the platform's scope writes (the projection applies every event in it).

Revision ID: 0060
Revises: 0070
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.common.tenancy import CURRENT_TRUST, PLATFORM, rls_predicate

revision = "0060"
down_revision = "0070"
branch_labels = None
depends_on = None

TEXTS = postgresql.ARRAY(sa.Text)
HELD = (
    "EXISTS (SELECT 1 FROM candidate_trusts t WHERE t.leader_id = candidates.leader_id "
    f"AND t.trust_ods = {CURRENT_TRUST})"
)
IN_A_NETWORK = (
    "shared_networks && ARRAY(SELECT m.network_id FROM network_members m "
    f"WHERE m.trust_ods = {CURRENT_TRUST} AND m.member)"
)


def _platform_writes(table: str, readable: str) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING ({readable})")
    op.execute(f"CREATE POLICY {table}_insert ON {table} FOR INSERT WITH CHECK ({PLATFORM})")
    op.execute(f"CREATE POLICY {table}_update ON {table} FOR UPDATE USING ({PLATFORM}) WITH CHECK ({PLATFORM})")
    op.execute(f"CREATE POLICY {table}_delete ON {table} FOR DELETE USING ({PLATFORM})")


def upgrade() -> None:
    op.create_table(
        "candidates",
        sa.Column("leader_id", postgresql.UUID(as_uuid=False), primary_key=True),
        # the person's version that last said so: an older event (redelivered, reordered) changes nothing
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("paused_until", sa.Date),
        sa.Column("skills", TEXTS, nullable=False, server_default="{}"),
        sa.Column("interests", TEXTS, nullable=False, server_default="{}"),
        sa.Column("lived_experience", TEXTS),  # NULL: no consent to its use in matching
        sa.Column("hours_per_month", sa.Integer, nullable=False, server_default="0"),
        sa.Column("days", TEXTS, nullable=False, server_default="{}"),
        sa.Column("modes", TEXTS, nullable=False, server_default="{}"),
        sa.Column("district", sa.Text),
        sa.Column("contact_trusts", TEXTS, nullable=False, server_default="{}"),
        sa.Column("shared_networks", TEXTS, nullable=False, server_default="{}"),
        sa.CheckConstraint("status IN ('active', 'paused', 'withdrawn')", name="candidates_status"),
    )
    op.create_index("candidates_shared_networks", "candidates", ["shared_networks"], postgresql_using="gin")
    op.create_table(
        "candidate_trusts",
        sa.Column("leader_id", postgresql.UUID(as_uuid=False), primary_key=True),
        sa.Column("trust_ods", sa.Text, primary_key=True),
        sa.Column("affiliation_id", postgresql.UUID(as_uuid=False), nullable=False),
        sa.Column("status", sa.Text, nullable=False),  # pending, active, ended
        sa.Column("paused", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("paused_until", sa.Date),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.create_index("candidate_trusts_trust", "candidate_trusts", ["trust_ods", "leader_id"])
    op.create_table(
        "candidate_checks",
        sa.Column("check_id", postgresql.UUID(as_uuid=False), primary_key=True),
        sa.Column("holder_ods", sa.Text, primary_key=True),  # the verifying trust, or one that accepted it
        sa.Column("leader_id", postgresql.UUID(as_uuid=False), nullable=False),
        sa.Column("check_type", sa.Text, nullable=False),
        sa.Column("expires_on", sa.Date),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.create_index("candidate_checks_leader", "candidate_checks", ["leader_id", "holder_ods"])
    _platform_writes("candidates", f"{PLATFORM} OR {HELD} OR {IN_A_NETWORK}")
    _platform_writes("candidate_trusts", rls_predicate("trust_ods"))
    _platform_writes("candidate_checks", rls_predicate("holder_ods"))


def downgrade() -> None:
    for table in ("candidate_checks", "candidate_trusts", "candidates"):
        op.drop_table(table)
