"""Changes of a person's email address waiting for the new address to confirm them, and the
notifier's ledger of the messages it sent.

``email_changes``: the new address (personal data: erased with the person), who asked on the
person's behalf, when it expires, and the SHA-256 digest of the one-time link's token (the token
itself is never stored). Row security: the person's rows, the rows the asking trust wrote, the
platform (which verifies and mails them).

``mail_sent``: (event id, recipient) of each message sent, committed on its own as soon as it is
sent, so a batch of events retried after a failure never sends a message twice. Ids only; the
platform's alone.

Revision ID: 0030
Revises: 0020
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.common.tenancy import PLATFORM, leader_rls_predicate

revision = "0030"
down_revision = "0020"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def _force_rls(table: str) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")


def upgrade() -> None:
    op.create_table(
        "email_changes",
        sa.Column("change_id", postgresql.UUID(as_uuid=False), primary_key=True),
        sa.Column("leader_id", postgresql.UUID(as_uuid=False), nullable=False, index=True),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("on_behalf_of", sa.Text),
        sa.Column("requested_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("token_sha256", sa.Text, unique=True),
    )
    _force_rls("email_changes")
    predicate = leader_rls_predicate(trust_column="on_behalf_of")
    op.execute(f"CREATE POLICY email_changes_tenant ON email_changes USING {predicate} WITH CHECK {predicate}")

    op.create_table(
        "mail_sent",
        sa.Column("event_id", postgresql.UUID(as_uuid=False), primary_key=True),
        sa.Column("recipient", sa.Text, primary_key=True),
        sa.Column("sent_at", TZ, nullable=False),
    )
    _force_rls("mail_sent")
    op.execute(f"CREATE POLICY mail_sent_platform ON mail_sent USING ({PLATFORM}) WITH CHECK ({PLATFORM})")


def downgrade() -> None:
    op.drop_table("mail_sent")
    op.drop_table("email_changes")
