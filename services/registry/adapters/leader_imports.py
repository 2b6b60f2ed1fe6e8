"""Set-based reads and writes for a bulk import: one statement per table per batch, not one per row.

The rows written are exactly those the per-row repositories write (the same columns, through the same
``profile_to_row``), so an imported leader reads back as a registered one. Writes use psycopg2's
``execute_values`` on the unit of work's own connection, inside its transaction: the tenant scope
the unit of work set for that transaction applies to them (row-level security's WITH CHECK refuses a
write the scope does not allow), and the outbox rows are committed with them.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import psycopg2
import sqlalchemy as sa
from psycopg2.extras import execute_values
from sqlalchemy.engine import Connection

from services.common.errors import PreconditionFailed
from services.registry.adapters.leader_repository import affiliation_from_row
from services.registry.adapters.tables import affiliations, import_fingerprints, leaders, terms
from services.registry.domain.affiliation import Affiliation
from services.registry.domain.leader import Leader
from services.registry.domain.profile import LeaderProfile

PAGE_SIZE = 1000

LEADER_COLUMNS = (
    "leader_id",
    "version",
    "status",
    "paused_until",
    "given_name",
    "family_name",
    "email",
    "email_key",
    "phone",
    "postcode",
    "profile",
    "created_at",
    "updated_at",
)
LEADER_TEMPLATE = "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s)"
AFFILIATION_COLUMNS = (
    "affiliation_id",
    "leader_id",
    "trust_ods",
    "status",
    "version",
    "created_at",
    "confirmed_at",
    "ended_at",
    "end_reason",
    "updated_at",
)
OUTBOX_COLUMNS = (
    "event_id",
    "event_type",
    "routing_key",
    "trust_ods",
    "aggregate_type",
    "aggregate_id",
    "aggregate_version",
    "payload",
)
CONSENT_COLUMNS = (
    "leader_id",
    "purpose",
    "target",
    "granted",
    "wording_version",
    "recorded_by_kind",
    "recorded_by",
    "recorder_trust",
    "evidence",
    "recorded_at",
)


class LeaderImportStore(abc.ABC):
    @abc.abstractmethod
    def terms(self, trust_ods: str) -> set[tuple[str, str]]:
        """(kind, code) of the terms a row of this trust may use: the global ones and its own."""

    @abc.abstractmethod
    def fingerprints_seen(self, trust_ods: str, fingerprints: list[str]) -> set[str]: ...

    @abc.abstractmethod
    def leaders_by_email(self, email_keys: list[str]) -> dict[str, str]:
        """email key to leader id, of the people already registered (by any trust)."""

    @abc.abstractmethod
    def affiliations_of(self, trust_ods: str, leader_ids: list[str]) -> dict[str, Affiliation]: ...

    @abc.abstractmethod
    def add_leaders(self, new: list[Leader]) -> None: ...

    @abc.abstractmethod
    def add_affiliations(self, new: list[Affiliation]) -> None: ...

    @abc.abstractmethod
    def add_fingerprints(self, trust_ods: str, fingerprints: list[str], now: datetime) -> None: ...

    @abc.abstractmethod
    def add_events(self, rows: list[dict[str, Any]]) -> None:
        """Outbox rows (``services.common.outbox.outbox_rows``: validated), in this transaction."""


def profile_document(profile: LeaderProfile) -> str:
    """The ``profile`` column's JSON, as ``profile_to_row`` makes it, without its deep copy (which cost
    more than the insert itself in bulk)."""
    a = profile.availability
    return json.dumps(
        {
            "skills": list(profile.skills),
            "interests": list(profile.interests),
            "lived_experience": list(profile.lived_experience),
            "availability": {"hours_per_month": a.hours_per_month, "days": list(a.days), "modes": list(a.modes)},
            "access_needs": profile.access_needs,
            "support_needs": profile.support_needs,
            "preferred_formats": list(profile.preferred_formats),
            "declarations_of_interest": list(profile.declarations_of_interest),
        }
    )


def leader_rows(new: Iterable[Leader]) -> list[tuple[Any, ...]]:
    return [
        (
            leader.leader_id,
            leader.version,
            leader.status,
            leader.paused_until,
            leader.profile.given_name or None,
            leader.profile.family_name or None,
            leader.profile.email or None,
            leader.email_key or None,
            leader.profile.phone or None,
            leader.profile.postcode or None,
            profile_document(leader.profile),
            leader.created_at,
            leader.updated_at,
        )
        for leader in new
    ]


def consent_rows(new: Iterable[Leader]) -> list[tuple[Any, ...]]:
    return [
        (
            leader.leader_id,
            c.purpose.value,
            c.target,
            c.granted,
            c.wording_version,
            c.recorded_by_kind,
            c.recorded_by,
            c.recorder_trust,
            c.evidence,
            c.recorded_at,
        )
        for leader in new
        for c in leader.consents
    ]


def affiliation_rows(new: Iterable[Affiliation]) -> list[tuple[Any, ...]]:
    return [
        (
            a.affiliation_id,
            a.leader_id,
            a.trust_ods,
            a.status,
            a.version,
            a.created_at,
            a.confirmed_at,
            a.ended_at,
            a.end_reason,
            a.updated_at,
        )
        for a in new
    ]


def insert_values(
    cursor: Any, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]], template: str | None = None
) -> None:
    if rows:
        execute_values(cursor, f"INSERT INTO {table} ({', '.join(columns)}) VALUES %s", rows, template, PAGE_SIZE)


class SqlLeaderImportStore(LeaderImportStore):
    def __init__(self, connection: Connection):
        self.connection = connection

    def _cursor(self) -> Any:
        # a statement through SQLAlchemy first, so that the unit of work has scoped this transaction
        # (it does so as the transaction's first statement runs); the raw cursor then shares it
        self.connection.execute(sa.select(sa.literal(1)))
        return self.connection.connection.cursor()

    def _write(
        self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]], template: str | None = None
    ) -> None:
        if not rows:
            return
        cursor = self._cursor()
        try:
            insert_values(cursor, table, columns, rows, template)
        except psycopg2.IntegrityError:
            # another registration of the same person committed between our read and this write
            raise PreconditionFailed(
                "a person in this batch was registered at the same moment by another call; send the batch again"
            ) from None
        finally:
            cursor.close()

    def terms(self, trust_ods: str) -> set[tuple[str, str]]:
        rows = self.connection.execute(
            sa.select(terms.c.kind, terms.c.code).where(
                sa.or_(terms.c.trust_ods.is_(None), terms.c.trust_ods == trust_ods)
            )
        )
        return {(r.kind, r.code) for r in rows}

    def fingerprints_seen(self, trust_ods: str, fingerprints: list[str]) -> set[str]:
        if not fingerprints:
            return set()
        rows = self.connection.execute(
            sa.select(import_fingerprints.c.fingerprint).where(
                import_fingerprints.c.trust_ods == trust_ods, import_fingerprints.c.fingerprint.in_(fingerprints)
            )
        )
        return {r.fingerprint for r in rows}

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

    def add_leaders(self, new: list[Leader]) -> None:
        self._write("leaders", LEADER_COLUMNS, leader_rows(new), LEADER_TEMPLATE)
        self._write("consent_records", CONSENT_COLUMNS, consent_rows(new))

    def add_affiliations(self, new: list[Affiliation]) -> None:
        self._write("affiliations", AFFILIATION_COLUMNS, affiliation_rows(new))

    def add_fingerprints(self, trust_ods: str, fingerprints: list[str], now: datetime) -> None:
        self._write(
            "import_fingerprints",
            ("trust_ods", "fingerprint", "imported_at"),
            [(trust_ods, f, now) for f in fingerprints],
        )

    def add_events(self, rows: list[dict[str, Any]]) -> None:
        self._write("outbox", OUTBOX_COLUMNS, [tuple(row[c] for c in OUTBOX_COLUMNS) for row in rows])
