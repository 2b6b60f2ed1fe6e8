"""Whom the notifier writes to: read on the consumer's connection, in the platform scope."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.registry.adapters.email_changes import email_change_from_row
from services.registry.adapters.tables import affiliations, email_changes, invitations, leaders, trusts
from services.registry.domain.email_change import EmailChange
from services.registry.domain.invitation import SENT
from services.registry.service_layer.ports import Recipient, Recipients


class SqlRecipients(Recipients):
    def __init__(self, connection: Connection):
        self.connection = connection

    def invited(self, invitation_id: str, version: int) -> str | None:
        leader_id = self.connection.execute(
            sa.select(invitations.c.leader_id).where(
                invitations.c.invitation_id == invitation_id,
                invitations.c.status == SENT,
                invitations.c.version == version,
            )
        ).scalar()
        return str(leader_id) if leader_id else None

    def leader(self, leader_id: str) -> Recipient | None:
        row = self.connection.execute(
            sa.select(leaders.c.email, leaders.c.given_name).where(
                leaders.c.leader_id == leader_id,
                leaders.c.status != "erased",
                leaders.c.erased_at.is_(None),
            )
        ).first()
        if row is None or not row.email:
            return None
        return Recipient(row.email, row.given_name or "")

    def trust_name(self, ods: str) -> str:
        name = self.connection.execute(sa.select(trusts.c.name).where(trusts.c.trust_ods == ods)).scalar()
        return str(name) if name else ods

    def pending_affiliation(self, affiliation_id: str, version: int) -> str | None:
        leader_id = self.connection.execute(
            sa.select(affiliations.c.leader_id).where(
                affiliations.c.affiliation_id == affiliation_id,
                affiliations.c.status == "pending",
                affiliations.c.version == version,
            )
        ).scalar()
        return str(leader_id) if leader_id else None

    def email_change(self, change_id: str) -> EmailChange | None:
        row = self.connection.execute(
            sa.select(email_changes).where(
                email_changes.c.change_id == change_id, email_changes.c.expires_at > sa.func.now()
            )
        ).first()
        return None if row is None else email_change_from_row(row)
