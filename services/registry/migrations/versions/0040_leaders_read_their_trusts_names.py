"""A person (acting through the portal, in their own leader scope) may read the row of a trust that
has a pending or active affiliation with them, or an invitation out to them: so that ListAffiliations
names the trust that asks them. Any other trust stays invisible to them, as if it did not exist; the
trust's keys (api_keys) stay invisible to every leader.

Revision ID: 0040
Revises: 0035
Create Date: 2026-12-12
"""

from alembic import op

from services.common.tenancy import CURRENT_LEADER

revision = "0040"
down_revision = "0035"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a permissive policy for reading only, beside the tenant policy (policies are OR'ed); the rows it
    # looks at are themselves under their own RLS, which lets the leader see their own
    op.execute(
        f"""
        CREATE POLICY trusts_leader_reads_its_trusts ON trusts FOR SELECT USING (
            {CURRENT_LEADER} IS NOT NULL AND (
                EXISTS (
                    SELECT 1 FROM affiliations a
                    WHERE a.trust_ods = trusts.trust_ods AND a.leader_id::text = {CURRENT_LEADER}
                      AND a.status IN ('pending', 'active')
                )
                OR EXISTS (
                    SELECT 1 FROM invitations i
                    WHERE i.trust_ods = trusts.trust_ods AND i.leader_id::text = {CURRENT_LEADER}
                      AND i.status = 'sent'
                )
            )
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP POLICY IF EXISTS trusts_leader_reads_its_trusts ON trusts")
