"""Each trust key's scopes in the trust directory (issue 10), projected from
``plr.registry.trust.key_issued.v1``: keys issued before keep the default scopes checks, people, read.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from alembic import op

from services.common.schema import add_key_scopes_v2

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_key_scopes_v2()


def downgrade() -> None:
    op.drop_column("api_keys", "scopes")
