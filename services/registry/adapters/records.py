"""Smaller stores of the registry: the access audit, the change history, the taxonomy, equality answers,
idempotency keys.

Each is an interface (what the use cases may ask of it) and its SQL implementation."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection

from services.common import sql_idempotency as common_idempotency
from services.common.bulk_insert import BULK_FROM
from services.registry.adapters.bulk import write_rows
from services.registry.adapters.tables import (
    affiliations,
    audit_log,
    change_history,
    equality_answers,
    idempotency_keys,
    terms,
)
from services.registry.domain.history import Actor, Change, ChangeEntry
from services.registry.domain.taxonomy import Term
from services.registry.service_layer.ports import (
    AuditEntry,
    AuditLog,
    ChangeHistory,
    EqualityStore,
    IdempotencyKeys,
    Taxonomy,
)

log = logging.getLogger(__name__)

# built once: a statement object made per call costs its cache key every time (on the hot read path)
_INSERT_AUDIT_ROW = audit_log.insert()


class SqlAuditLog(AuditLog):
    def __init__(self, connection: Connection):
        self.connection = connection
        # rows a read's own statement wrote and committed (the hot leader read): recorded once
        self._written_with_read: set[tuple[str, str, str | None, str, str, tuple[str, ...]]] = set()

    def written_with_read(
        self, principal_kind: str, principal: str, trust_ods: str, method: str, leader_id: str, fields: tuple[str, ...]
    ) -> None:
        self._written_with_read.add((principal_kind, principal, trust_ods, method, leader_id, fields))

    def record(
        self,
        principal_kind: str,
        principal: str,
        trust_ods: str | None,
        method: str,
        reads: Mapping[str, tuple[str, ...]],
    ) -> None:
        written, self._written_with_read = self._written_with_read, set()
        rows = [
            {
                "principal_kind": principal_kind,
                "principal": principal,
                "trust_ods": trust_ods,
                "method": method,
                "leader_id": leader_id,
                "fields": list(fields),
            }
            for leader_id, fields in reads.items()
            if fields and (principal_kind, principal, trust_ods, method, leader_id, tuple(fields)) not in written
        ]
        if written and rows:
            # the read's statement named other fields than the view shows (its SQL and the view's rule
            # disagree): the view's row is written too, before the answer, and the disagreement logged
            log.error("a read's own audit row differs from what its view shows: %s also recorded", method)
        if len(rows) == 1:
            # one row, one statement (not an executemany: an audited read runs single statements only),
            # and a compiled form SQLAlchemy caches (a multi-row VALUES is compiled afresh every time)
            self.connection.execute(_INSERT_AUDIT_ROW, rows[0])
        elif rows:
            self.connection.execute(_INSERT_AUDIT_ROW, rows)

    def list(
        self, leader_id: str, trust_ods: str | None, after_id: int, updated_since: datetime | None, limit: int
    ) -> list[tuple[int, AuditEntry]]:
        query = sa.select(audit_log).where(audit_log.c.leader_id == leader_id, audit_log.c.entry_id > after_id)
        if trust_ods is not None:
            query = query.where(audit_log.c.trust_ods == trust_ods)
        if updated_since is not None:
            query = query.where(audit_log.c.at >= updated_since)
        rows = self.connection.execute(query.order_by(audit_log.c.entry_id).limit(limit))
        return [
            (
                r.entry_id,
                AuditEntry(r.at, r.principal_kind, r.principal, r.trust_ods, r.method, r.leader_id, tuple(r.fields)),
            )
            for r in rows
        ]


class SqlChangeHistory(ChangeHistory):
    def __init__(self, connection: Connection):
        self.connection = connection

    def record(self, actor: Actor, changes: list[Change]) -> None:
        who = {
            "principal_kind": actor.kind,
            "principal": actor.id,
            "staff": actor.staff,
            "trust_ods": actor.trust_ods,
            "correlation_id": actor.correlation_id,
            "method": actor.method,
            "reason": actor.reason,
            "evidence": actor.evidence,
        }
        if len(changes) >= BULK_FROM:
            # a bulk import's commit: the same rows through the driver (SQLAlchemy's parameter
            # processing per row cost more than the statement)
            values = tuple(who.values())
            rows = [(*values, c.leader_id, list(c.fields)) for c in changes]
            write_rows(self.connection, change_history, (*who, "leader_id", "fields"), rows)
            return
        self.connection.execute(
            change_history.insert(), [{**who, "leader_id": c.leader_id, "fields": list(c.fields)} for c in changes]
        )

    def list(
        self, leader_id: str | None, trust_ods: str | None, after_id: int, updated_since: datetime | None, limit: int
    ) -> list[ChangeEntry]:
        query = sa.select(change_history).where(change_history.c.entry_id > after_id)
        if leader_id is not None:
            query = query.where(change_history.c.leader_id == leader_id)
        if trust_ods is not None:
            query = query.where(change_history.c.trust_ods == trust_ods)
        if updated_since is not None:
            query = query.where(change_history.c.at >= updated_since)
        rows = self.connection.execute(query.order_by(change_history.c.entry_id).limit(limit))
        return [
            ChangeEntry(
                r.entry_id,
                r.at,
                Actor(
                    r.principal_kind,
                    r.principal,
                    r.trust_ods,
                    r.staff,
                    r.correlation_id,
                    r.method,
                    r.reason,
                    r.evidence,
                ),
                None if r.leader_id is None else str(r.leader_id),
                tuple(r.fields),
            )
            for r in rows
        ]

    def blank_personal(self, leader_id: str) -> int:
        blanked = self.connection.execute(
            change_history.update()
            .where(
                change_history.c.leader_id == leader_id,
                sa.or_(change_history.c.reason != "", change_history.c.evidence != ""),
            )
            .values(reason="", evidence="")
        )
        return int(blanked.rowcount)


class SqlTaxonomy(Taxonomy):
    def __init__(self, connection: Connection):
        super().__init__()
        self.connection = connection
        self._known: set[tuple[str, str]] | None = None

    def exists(self, kind: str, code: str) -> bool:
        if self._known is None:
            # RLS: the global terms and the scope's trust's own
            self._known = {(r.kind, r.code) for r in self.connection.execute(sa.select(terms.c.kind, terms.c.code))}
        return (kind, code) in self._known

    def usable_by(self, trust_ods: str) -> set[tuple[str, str]]:
        rows = self.connection.execute(
            sa.select(terms.c.kind, terms.c.code).where(
                sa.or_(terms.c.trust_ods.is_(None), terms.c.trust_ods == trust_ods)
            )
        )
        return {(r.kind, r.code) for r in rows}

    def list(self, kind: str | None) -> list[Term]:
        query = sa.select(terms).order_by(terms.c.kind, terms.c.code)
        if kind:
            query = query.where(terms.c.kind == kind)
        return [Term(r.kind, r.code, r.label, r.trust_ods) for r in self.connection.execute(query)]

    def _insert(self, term: Term) -> str | None:
        inserted = self.connection.execute(
            insert(terms)
            .values(kind=term.kind, code=term.code, label=term.label, trust_ods=term.trust_ods)
            .on_conflict_do_nothing()
            .returning(terms.c.term_id)
        ).scalar()
        self._known = None
        return None if inserted is None else str(inserted)

    def _delete_trust_terms(self, trust_ods: str) -> Sequence[tuple[str, Term]]:
        deleted = self.connection.execute(terms.delete().where(terms.c.trust_ods == trust_ods).returning(terms))
        self._known = None
        return [(str(r.term_id), Term(r.kind, r.code, r.label, r.trust_ods)) for r in deleted]


class SqlEqualityStore(EqualityStore):
    def __init__(self, connection: Connection):
        self.connection = connection

    def submit(self, leader_id: str, answers: Mapping[str, str], now: datetime) -> None:
        statement = insert(equality_answers).values(leader_id=leader_id, answers=dict(answers), submitted_at=now)
        self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=[equality_answers.c.leader_id],
                set_={"answers": statement.excluded.answers, "submitted_at": now},
            )
        )

    def answers_of(self, leader_id: str) -> dict[str, str] | None:
        row = self.connection.execute(
            sa.select(equality_answers.c.answers).where(equality_answers.c.leader_id == leader_id)
        ).first()
        return None if row is None else dict(row.answers)

    def for_trust_report(self, trust_ods: str) -> list[dict[str, str]]:
        """The answers of leaders actively affiliated with the trust: only the aggregate report calls this,
        in the platform scope, and it returns no leader ids."""
        rows = self.connection.execute(
            sa.select(equality_answers.c.answers)
            .join(affiliations, affiliations.c.leader_id == equality_answers.c.leader_id)
            .where(affiliations.c.trust_ods == trust_ods, affiliations.c.status == "active")
        )
        return [dict(r.answers) for r in rows]

    def erase(self, leader_id: str) -> None:
        self.connection.execute(equality_answers.delete().where(equality_answers.c.leader_id == leader_id))


def request_digest(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


class SqlIdempotencyKeys(common_idempotency.SqlIdempotencyKeys, IdempotencyKeys):
    def forget_consent_answers(self, leader_id: str, staff_evidence: Iterable[tuple[str, str]]) -> int:
        """Erasure: deletes the stored answers of RecordConsent about the leader (they repeat the
        evidence text). The leader's own calls carry their id; a trust's carry no leader id, so they
        are found by the trust and the evidence text its staff gave (another answer of that trust
        with the same text goes too: a retry of it then records the same consent once more)."""
        leader_rows = sa.and_(idempotency_keys.c.method == "RecordConsent", idempotency_keys.c.leader_id == leader_id)
        staff_rows = [
            sa.and_(
                idempotency_keys.c.method == "RecordConsent",
                idempotency_keys.c.trust_ods == trust_ods,
                sa.text(f"position(:evidence_{i} IN idempotency_keys.response) > 0").bindparams(
                    sa.bindparam(f"evidence_{i}", evidence.encode(), type_=sa.LargeBinary)
                ),
            )
            for i, (trust_ods, evidence) in enumerate(sorted(set(staff_evidence)))
            if evidence
        ]
        return int(self.connection.execute(idempotency_keys.delete().where(sa.or_(leader_rows, *staff_rows))).rowcount)
