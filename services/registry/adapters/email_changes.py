"""Changes of the person's email address waiting for confirmation, on PostgreSQL; and the notifier's
ledger, each of whose writes commits on a connection of its own."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection, Engine

from services.common.db import apply_scope
from services.common.tenancy import TenantScope
from services.registry.adapters.tables import email_changes, mail_sent
from services.registry.domain.email_change import EmailChange
from services.registry.service_layer.ports import EmailChanges, MailLedger


def email_change_from_row(row: Any) -> EmailChange:
    return EmailChange(
        change_id=str(row.change_id),
        leader_id=str(row.leader_id),
        email=row.email,
        requested_at=row.requested_at,
        expires_at=row.expires_at,
        on_behalf_of=row.on_behalf_of,
        token_sha256=row.token_sha256,
    )


class SqlEmailChanges(EmailChanges):
    def __init__(self, connection: Connection):
        self.connection = connection

    def add(self, change: EmailChange) -> None:
        self.connection.execute(
            email_changes.insert().values(
                change_id=change.change_id,
                leader_id=change.leader_id,
                email=change.email,
                on_behalf_of=change.on_behalf_of,
                requested_at=change.requested_at,
                expires_at=change.expires_at,
            )
        )

    def by_token(self, token_sha256: str) -> EmailChange | None:
        row = self.connection.execute(
            sa.select(email_changes).where(email_changes.c.token_sha256 == token_sha256)
        ).first()
        return None if row is None else email_change_from_row(row)

    def discard(self, leader_id: str) -> int:
        return int(
            self.connection.execute(email_changes.delete().where(email_changes.c.leader_id == leader_id)).rowcount
        )


class SqlMailLedger(MailLedger):
    """Each write in a transaction of its own (platform-scoped), committed before the next message."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def _write(self, statement: Any) -> Any:
        with self.engine.begin() as connection:
            apply_scope(connection, TenantScope.platform_wide())
            return connection.execute(statement)

    def was_sent(self, event_id: str, recipient: str) -> bool:
        found = self._write(
            sa.select(mail_sent.c.event_id).where(mail_sent.c.event_id == event_id, mail_sent.c.recipient == recipient)
        )
        return found.first() is not None

    def mark_sent(self, event_id: str, recipient: str) -> None:
        self._write(
            insert(mail_sent)
            .values(event_id=event_id, recipient=recipient, sent_at=datetime.now(UTC))
            .on_conflict_do_nothing()
        )

    def keep_link(self, change_id: str, token_sha256: str) -> None:
        self._write(
            email_changes.update().where(email_changes.c.change_id == change_id).values(token_sha256=token_sha256)
        )
