"""Each key's version in the trust directory (issue 10, ADR 0009): an older or repeated
``plr.registry.trust.key_issued.v1`` never replaces a key's secret or scopes.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-10
"""

from alembic import op

from services.common.schema import add_key_versions_v3

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_key_versions_v3()


def downgrade() -> None:
    op.drop_column("api_keys", "version")
