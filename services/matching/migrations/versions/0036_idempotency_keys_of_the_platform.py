"""Matching's idempotency keys take the platform's shape (services/common/sql_idempotency.py), as the
registry's: keyed by principal (here the trust), with the trust (never null here), the leader (none) and the stored
response as bytes. The keys kept so far are kept: their trust is their principal, their answer
(an opportunity id) their response.

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-03
"""

from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE idempotency_keys ADD COLUMN principal text")
    op.execute("UPDATE idempotency_keys SET principal = trust_ods")
    op.execute("ALTER TABLE idempotency_keys ALTER COLUMN principal SET NOT NULL")
    op.execute("ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey")
    op.execute("ALTER TABLE idempotency_keys ADD PRIMARY KEY (principal, method, idempotency_key)")
    op.execute("ALTER TABLE idempotency_keys ADD COLUMN leader_id text")
    op.execute("ALTER TABLE idempotency_keys ALTER COLUMN answer TYPE bytea USING convert_to(answer, 'UTF8')")
    op.execute("ALTER TABLE idempotency_keys RENAME COLUMN answer TO response")


def downgrade() -> None:
    op.execute("ALTER TABLE idempotency_keys RENAME COLUMN response TO answer")
    op.execute("ALTER TABLE idempotency_keys ALTER COLUMN answer TYPE text USING convert_from(answer, 'UTF8')")
    op.execute("ALTER TABLE idempotency_keys DROP COLUMN leader_id")
    op.execute("ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey")
    op.execute("ALTER TABLE idempotency_keys ADD PRIMARY KEY (trust_ods, method, idempotency_key)")
    op.execute("ALTER TABLE idempotency_keys DROP COLUMN principal")
