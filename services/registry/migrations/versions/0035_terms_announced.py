"""Every term there is, announced once: a ``term.added`` event in the outbox for each global term and
each trust's own, so the services that keep the taxonomy from the registry's events (matching) learn
the terms that were there before the registry announced its terms. From here on, adding a term and a
trust's offboarding (which retires its terms) announce themselves.

Revision ID: 0035
Revises: 0033
Create Date: 2026-12-03
"""

from alembic import op

from services.common.db import apply_scope
from services.common.outbox import add_to_outbox
from services.common.tenancy import TenantScope

revision = "0035"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from services.registry.adapters.event_mapping import to_cloudevent
    from services.registry.adapters.tables import terms
    from services.registry.domain.taxonomy import Term, TermEntry

    connection = op.get_bind()
    apply_scope(connection, TenantScope.platform_wide())  # terms' RLS is forced: the owner sees every row so
    rows = connection.execute(terms.select().order_by(terms.c.term_id)).all()
    entries = [TermEntry.added(str(r.term_id), Term(r.kind, r.code, r.label, r.trust_ods)) for r in rows]
    add_to_outbox(connection, [to_cloudevent(e, None) for entry in entries for e in entry.pending_events])
    apply_scope(connection, TenantScope.nobody())


def downgrade() -> None:
    pass  # an announcement cannot be taken back; the events may have been published
