"""Merge the three branches that grew side by side from 0002 (checks, development, imports) into one head.

0003, 0004 and 0005 are released and touch separate tables, so they are joined here rather than
rewritten; from now on each service keeps one head (services/common/tests/unit/test_migration_heads.py).

Revision ID: 0006
Revises: 0003, 0004, 0005
Create Date: 2026-11-27
"""

revision = "0006"
down_revision = ("0003", "0004", "0005")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
