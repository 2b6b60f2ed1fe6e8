"""The unit of work: one transaction, scoped to a tenant, that also writes the outbox.

On commit, the domain events of every trust, leader and affiliation the work touched become
CloudEvents rows in the outbox, in the same transaction as the state they describe.
"""

from __future__ import annotations

import abc
from types import TracebackType
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from services.common.db import SCOPE_SQL, scope_parameters
from services.common.events import CloudEvent
from services.common.outbox import add_to_outbox
from services.common.tenancy import TenantScope
from services.registry.adapters.check_repository import CheckRepository, SqlCheckRepository
from services.registry.adapters.event_mapping import DomainEvent, to_cloudevent
from services.registry.adapters.leader_repository import (
    AffiliationRepository,
    LeaderRepository,
    SqlAffiliationRepository,
    SqlLeaderRepository,
)
from services.registry.adapters.records import AuditLog, EqualityStore, IdempotencyKeys, Taxonomy
from services.registry.adapters.repository import SqlTrustRepository, TrustRepository
from services.registry.domain.affiliation import Affiliation
from services.registry.domain.leader import Leader

# the scope's set_config with parameter names of its own, to go before a statement's in one query
SCOPED_PREFIX = SCOPE_SQL.replace("%(", "%(plr_scope_")


class UnitOfWork(abc.ABC):
    trusts: TrustRepository
    leaders: LeaderRepository
    affiliations: AffiliationRepository
    audit: AuditLog
    taxonomy: Taxonomy
    equality: EqualityStore
    idempotency: IdempotencyKeys
    checks: CheckRepository
    scope: TenantScope
    correlation_id: str | None = None

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.rollback()

    @abc.abstractmethod
    def commit(self) -> None: ...

    @abc.abstractmethod
    def rollback(self) -> None: ...

    def leader_for_trust(self, leader_id: str, trust_ods: str) -> tuple[Leader | None, Affiliation | None]:
        """The leader (as the scope may see them) and the trust's affiliation with them, for a read."""
        return self.leaders.get(leader_id), self.affiliations.for_trust(trust_ods, leader_id)

    def track(self, aggregate: object) -> None:
        """Any other aggregate the work changed: its pending events go to the outbox on commit."""
        self.__dict__.setdefault("tracked", []).append(aggregate)

    def collect_events(self) -> list[DomainEvent]:
        collected: list[DomainEvent] = []
        aggregates = [
            *self.trusts.seen,
            *getattr(self, "leaders", _Empty()).seen,
            *getattr(self, "affiliations", _Empty()).seen,
            *getattr(self, "checks", _Empty()).seen,
            *self.__dict__.get("tracked", []),
        ]
        seen_ids: set[int] = set()
        for aggregate in aggregates:
            if id(aggregate) in seen_ids:
                continue
            seen_ids.add(id(aggregate))
            collected.extend(aggregate.pending_events)
            aggregate.pending_events.clear()
        return collected


class _Empty:
    seen: list[object] = []


class SqlUnitOfWork(UnitOfWork):
    def __init__(self, engine: Engine, scope: TenantScope, correlation_id: str | None = None):
        self.engine = engine
        self.scope = scope
        self.correlation_id = correlation_id
        self._connection: Connection | None = None
        self._unscoped = False

    @property
    def connection(self) -> Connection:
        assert self._connection is not None, "outside the unit of work"
        return self._connection

    def __enter__(self) -> SqlUnitOfWork:
        self._connection = self.engine.connect()
        self._scope_every_transaction(self._connection)
        self.trusts = SqlTrustRepository(self._connection)
        self.leaders = SqlLeaderRepository(self._connection)
        self.affiliations = SqlAffiliationRepository(self._connection)
        self.audit = AuditLog(self._connection)
        self.taxonomy = Taxonomy(self._connection)
        self.equality = EqualityStore(self._connection)
        self.idempotency = IdempotencyKeys(self._connection)
        self.checks = SqlCheckRepository(self._connection)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                if connection.in_transaction():
                    connection.rollback()
            finally:
                connection.close()
        # the connection's event listeners hold this unit of work, and its repositories hold the
        # connection: a reference cycle that only the garbage collector frees. Letting go of the
        # aggregates now frees them at once (a bulk import tracks thousands per transaction).
        self.__dict__.pop("tracked", None)

    def leader_for_trust(self, leader_id: str, trust_ods: str) -> tuple[Leader | None, Affiliation | None]:
        assert isinstance(self.leaders, SqlLeaderRepository) and isinstance(self.affiliations, SqlAffiliationRepository)
        leader, row = self.leaders.get_with_affiliation(leader_id, trust_ods)
        return leader, (None if row is None else self.affiliations.found(row))

    def _scope_every_transaction(self, connection: Connection) -> None:
        """Every transaction of the unit of work is scoped, and lazily: a transaction begins (explicitly,
        or autobegun by the first statement after commit or rollback) marked unscoped, and the scope is
        set (SET LOCAL) on the same DBAPI connection just before its first statement runs, inside SQLAlchemy's
        error handling. No statement can run unscoped (which RLS would show as empty), and a unit of
        work that ends with a commit does not begin another transaction only to roll it back."""
        parameters = scope_parameters(self.scope)
        prefixed = {f"plr_scope_{name}": value for name, value in parameters.items()}

        def on_begin(conn: Connection) -> None:
            self._unscoped = True

        def before_cursor_execute(
            conn: Connection, cursor: Any, statement: str, params: Any, context: Any, executemany: bool
        ) -> tuple[str, Any]:
            if not self._unscoped:
                return statement, params
            self._unscoped = False
            if not executemany and isinstance(params, dict) and getattr(cursor, "name", None) is None:
                # in the same round trip as the statement: "SELECT set_config(...); <statement>"
                # (psycopg2 sends both as one simple query, in order, in this transaction; the
                # statement's result is the last one, so the cursor answers for the statement alone)
                return f"{SCOPED_PREFIX}; {statement}", {**params, **prefixed}
            with cursor.connection.cursor() as own:  # its own cursor: the statement's may be a named one
                own.execute(SCOPE_SQL, parameters)
            return statement, params

        event.listen(connection, "begin", on_begin)
        event.listen(connection, "before_cursor_execute", before_cursor_execute, retval=True)
        connection.begin()

    def commit(self) -> None:
        assert self._connection is not None
        events: list[CloudEvent] = [to_cloudevent(e, self.correlation_id) for e in self.collect_events()]
        add_to_outbox(self._connection, events)
        self._connection.commit()
        # the next statement, if any, autobegins a transaction: scoped by _scope_every_transaction

    def rollback(self) -> None:
        if self._connection is not None and self._connection.in_transaction():
            self._connection.rollback()
