"""The unit of work: one transaction, scoped to a tenant, that also writes the outbox.

On commit, the domain events of every trust, leader and affiliation the work touched become
CloudEvents rows in the outbox, in the same transaction as the state they describe.
"""

from __future__ import annotations

import abc
from types import TracebackType

from sqlalchemy.engine import Connection, Engine

from services.common.db import apply_scope
from services.common.events import CloudEvent
from services.common.outbox import add_to_outbox
from services.common.tenancy import TenantScope
from services.registry.adapters.event_mapping import DomainEvent, to_cloudevent
from services.registry.adapters.leader_repository import (
    AffiliationRepository,
    LeaderRepository,
    SqlAffiliationRepository,
    SqlLeaderRepository,
)
from services.registry.adapters.records import AuditLog, EqualityStore, IdempotencyKeys, Taxonomy
from services.registry.adapters.repository import SqlTrustRepository, TrustRepository


class UnitOfWork(abc.ABC):
    trusts: TrustRepository
    leaders: LeaderRepository
    affiliations: AffiliationRepository
    audit: AuditLog
    taxonomy: Taxonomy
    equality: EqualityStore
    idempotency: IdempotencyKeys
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

    def collect_events(self) -> list[DomainEvent]:
        collected: list[DomainEvent] = []
        aggregates = [
            *self.trusts.seen,
            *getattr(self, "leaders", _Empty()).seen,
            *getattr(self, "affiliations", _Empty()).seen,
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

    @property
    def connection(self) -> Connection:
        assert self._connection is not None, "outside the unit of work"
        return self._connection

    def __enter__(self) -> SqlUnitOfWork:
        self._connection = self.engine.connect()
        self._begin()
        self.trusts = SqlTrustRepository(self._connection)
        self.leaders = SqlLeaderRepository(self._connection)
        self.affiliations = SqlAffiliationRepository(self._connection)
        self.audit = AuditLog(self._connection)
        self.taxonomy = Taxonomy(self._connection)
        self.equality = EqualityStore(self._connection)
        self.idempotency = IdempotencyKeys(self._connection)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                if connection.in_transaction():
                    connection.rollback()
            finally:
                connection.close()

    def _begin(self) -> None:
        # every transaction of the unit of work is scoped: a statement after commit or rollback must
        # not run in an autobegun, unscoped transaction (which RLS would show as empty)
        assert self._connection is not None
        self._connection.begin()
        apply_scope(self._connection, self.scope)

    def commit(self) -> None:
        assert self._connection is not None
        events: list[CloudEvent] = [to_cloudevent(e, self.correlation_id) for e in self.collect_events()]
        add_to_outbox(self._connection, events)
        self._connection.commit()
        self._begin()

    def rollback(self) -> None:
        if self._connection is not None:
            if self._connection.in_transaction():
                self._connection.rollback()
            self._begin()
