"""Who drafted each opportunity and who last changed it: a member of staff acting through the portal
(their staff id), or a trust key (with the staff name it claimed, if any: a claim, not verified).
Roles made before this was recorded keep NULL (unknown).

Revision ID: 0051
Revises: 0050
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0051"
down_revision = "0050"
branch_labels = None
depends_on = None

COLUMNS = ("created_by", "updated_by")


def upgrade() -> None:
    for column in COLUMNS:
        # {"staff_id": ..., "claimed_staff": ...}: one of them, or neither (a key that named no one)
        op.add_column("opportunities", sa.Column(column, postgresql.JSONB))


def downgrade() -> None:
    for column in COLUMNS:
        op.drop_column("opportunities", column)
