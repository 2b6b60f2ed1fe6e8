"""An affiliation that a withdrawal recorded on the person's behalf ended keeps that change's id, so the
person reversing it (ResumeLeader as themselves) gets back exactly the relationships it ended (ADR 0005).
Never answered to a trust: it names a change that only the recording trust and the person may read.

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-13
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("affiliations", sa.Column("ended_by_change", postgresql.UUID(as_uuid=False), nullable=True))


def downgrade() -> None:
    op.drop_column("affiliations", "ended_by_change")
