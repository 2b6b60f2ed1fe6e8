"""What a bulk import reads set-based (one statement per batch, not one per row), and the per-trust
fingerprints of the rows it imported. The new leaders and affiliations themselves are added through
their repositories (``add_many``), so their events reach the outbox as every other change's do."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.registry.adapters.bulk import write_rows
from services.registry.adapters.leader_repository import affiliation_from_row
from services.registry.adapters.tables import affiliations, import_fingerprints, leaders
from services.registry.domain.affiliation import Affiliation
from services.registry.service_layer.ports import LeaderImportStore


class SqlLeaderImportStore(LeaderImportStore):
    def __init__(self, connection: Connection):
        self.connection = connection

    def fingerprints_seen(self, trust_ods: str, fingerprints: list[str]) -> dict[str, str | None]:
        if not fingerprints:
            return {}
        rows = self.connection.execute(
            sa.select(import_fingerprints.c.fingerprint, import_fingerprints.c.leader_id).where(
                import_fingerprints.c.trust_ods == trust_ods, import_fingerprints.c.fingerprint.in_(fingerprints)
            )
        )
        return {r.fingerprint: (str(r.leader_id) if r.leader_id else None) for r in rows}

    def leaders_by_email(self, email_keys: list[str]) -> dict[str, str]:
        if not email_keys:
            return {}
        rows = self.connection.execute(
            sa.select(leaders.c.email_key, leaders.c.leader_id).where(leaders.c.email_key.in_(email_keys))
        )
        return {r.email_key: str(r.leader_id) for r in rows}

    def affiliations_of(self, trust_ods: str, leader_ids: list[str]) -> dict[str, Affiliation]:
        if not leader_ids:
            return {}
        rows = self.connection.execute(
            sa.select(affiliations).where(
                affiliations.c.trust_ods == trust_ods, affiliations.c.leader_id.in_(leader_ids)
            )
        )
        return {str(r.leader_id): affiliation_from_row(r) for r in rows}

    def add_fingerprints(self, trust_ods: str, fingerprints: list[tuple[str, str]], now: datetime) -> None:
        write_rows(
            self.connection,
            import_fingerprints,
            ("trust_ods", "fingerprint", "imported_at", "leader_id"),
            [(trust_ods, f, now, leader_id) for f, leader_id in fingerprints],
        )

    def forget_leader(self, leader_id: str) -> int:
        deleted = self.connection.execute(
            import_fingerprints.delete().where(import_fingerprints.c.leader_id == leader_id)
        )
        return deleted.rowcount
