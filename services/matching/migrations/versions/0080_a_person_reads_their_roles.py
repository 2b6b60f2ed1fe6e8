"""A person (the portal acting for a signed-in leader) reads what their recommended roles need: their
own row of the candidate projection, the published roles of the trusts that hold them and of the
networks they share their profile with (whose owner is still a member), and those trusts' settings
(sites and travel zones, to say how far a role is). Nothing else, and never another person's rows.

Revision ID: 0080
Revises: 0060
Create Date: 2026-12-02
"""

from alembic import op

from services.common.tenancy import CURRENT_LEADER

revision = "0080"
down_revision = "0060"
branch_labels = None
depends_on = None

OWN = f"leader_id::text = {CURRENT_LEADER}"
HOLDS = (
    "EXISTS (SELECT 1 FROM candidate_trusts t WHERE t.leader_id::text = "
    f"{CURRENT_LEADER} AND t.trust_ods = {{trust}} AND t.status = 'active')"
)
SHARES = (
    f"EXISTS (SELECT 1 FROM candidates c WHERE c.leader_id::text = {CURRENT_LEADER} "
    "AND {network} = ANY(c.shared_networks))"
)
OWNER_IN_NETWORK = (
    "EXISTS (SELECT 1 FROM network_members m WHERE m.network_id = opportunities.network_id "
    "AND m.trust_ods = opportunities.trust_ods AND m.member)"
)
ROLE = (
    f"status = 'published' AND ({HOLDS.format(trust='opportunities.trust_ods')} OR "
    f"(network_id IS NOT NULL AND {SHARES.format(network='opportunities.network_id')} AND {OWNER_IN_NETWORK}))"
)
# the settings of a trust that holds the person, or that is a member of a network they share with
SETTINGS = (
    f"{HOLDS.format(trust='matching_settings.trust_ods')} OR EXISTS (SELECT 1 FROM network_members m "
    f"WHERE m.trust_ods = matching_settings.trust_ods AND m.member AND {SHARES.format(network='m.network_id')})"
)
POLICIES = {
    "candidates_person": ("candidates", OWN),
    "candidate_trusts_person": ("candidate_trusts", OWN),
    "candidate_checks_person": ("candidate_checks", OWN),
    "opportunities_person": ("opportunities", ROLE),
    "matching_settings_person": ("matching_settings", SETTINGS),
}


def upgrade() -> None:
    for name, (table, readable) in POLICIES.items():
        op.execute(f"CREATE POLICY {name} ON {table} FOR SELECT USING ({CURRENT_LEADER} IS NOT NULL AND {readable})")


def downgrade() -> None:
    for name, (table, _) in POLICIES.items():
        op.execute(f"DROP POLICY {name} ON {table}")
