"""The unit of work of every service: one transaction, scoped to a tenant, that also writes the outbox.

A service's abstract unit of work declares the repositories and stores its use cases may open (as
annotations, and by name in ``repositories``: those whose aggregates record events). One way of
collecting what changed, as in *Architecture Patterns with Python*: each repository keeps in ``seen``
every aggregate it loaded or added, and on commit the unit of work takes the pending events of each.

This module imports no SQLAlchemy, so a service layer built on it loads without it; the SQL
implementation is ``services.common.sql_unit_of_work.SqlUnitOfWork``.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from types import TracebackType
from typing import Any, ClassVar, Protocol

from services.common.tenancy import TenantScope


class Aggregate(Protocol):
    pending_events: list[Any]


class Repository(Protocol):
    seen: list[Any]  # the aggregates loaded or added in this unit of work


class AbstractUnitOfWork(abc.ABC):
    # the attributes holding repositories whose aggregates' events go to the outbox, in this order
    repositories: ClassVar[tuple[str, ...]] = ()
    scope: TenantScope
    correlation_id: str | None = None

    def __enter__(self) -> AbstractUnitOfWork:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.rollback()

    @abc.abstractmethod
    def commit(self) -> None: ...

    @abc.abstractmethod
    def rollback(self) -> None: ...

    def collect_new_events(self) -> Iterator[Any]:
        """Takes the pending events of every aggregate the declared repositories saw (each once)."""
        taken: set[int] = set()
        for name in self.repositories:
            for aggregate in getattr(self, name).seen:
                if id(aggregate) in taken:
                    continue
                taken.add(id(aggregate))
                events, aggregate.pending_events = aggregate.pending_events, []
                yield from events
