"""An import fingerprint names the leader its row imported, so erasing the leader deletes it.

0005 kept only (trust, fingerprint): an unsalted hash of the row's name, email and lived experience
that outlived the person's erasure. Fingerprints stored before this revision have no leader id
(nothing links them to a person) and stay until their trust is offboarded.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("import_fingerprints", sa.Column("leader_id", postgresql.UUID(as_uuid=False)))
    op.create_index("import_fingerprints_leader", "import_fingerprints", ["leader_id"])


def downgrade() -> None:
    op.drop_index("import_fingerprints_leader", table_name="import_fingerprints")
    op.drop_column("import_fingerprints", "leader_id")
