"""Platform tables (outbox, inbox, heartbeats) and the trust directory projection.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from alembic import op

from services.common.schema import create_platform_tables_v1, create_trust_directory_v1

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_platform_tables_v1()
    create_trust_directory_v1()


def downgrade() -> None:
    for table in ("api_keys", "trusts", "worker_heartbeats", "inbox", "outbox"):
        op.drop_table(table)
