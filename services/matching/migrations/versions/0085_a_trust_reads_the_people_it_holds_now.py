"""A trust reads a person's row of the candidate projection only while it holds them through a confirmed
(active) relationship, or one of its networks is among those the person shares their profile with:
0060's policy admitted any relationship row, so a trust whose relationship is pending or has ended could
still read the person's facts (lived experience among them) in its scope. The api never asked (the
candidate pool holds only active relationships); row security now says the same.

Revision ID: 0085
Revises: 0080
Create Date: 2026-12-02
"""

from alembic import op

from services.common.tenancy import CURRENT_TRUST, PLATFORM

revision = "0085"
down_revision = "0080"
branch_labels = None
depends_on = None

IN_A_NETWORK = (
    "shared_networks && ARRAY(SELECT m.network_id FROM network_members m "
    f"WHERE m.trust_ods = {CURRENT_TRUST} AND m.member)"
)


def _held(status: str) -> str:
    return (
        "EXISTS (SELECT 1 FROM candidate_trusts t WHERE t.leader_id = candidates.leader_id "
        f"AND t.trust_ods = {CURRENT_TRUST}{status})"
    )


def _read(held: str) -> None:
    op.execute("DROP POLICY candidates_read ON candidates")
    op.execute(f"CREATE POLICY candidates_read ON candidates FOR SELECT USING ({PLATFORM} OR {held} OR {IN_A_NETWORK})")


def upgrade() -> None:
    _read(_held(" AND t.status = 'active'"))


def downgrade() -> None:
    _read(_held(""))
