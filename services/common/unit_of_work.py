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
from typing import Any, ClassVar, Protocol, Self

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
    # a use case that reads and then records only its audit asks for this (audited_read)
    each_statement_alone: bool = False

    def audited_read(self) -> Self:
        """For a use case that reads and then writes nothing but its audit: each statement may run, and
        commit, as a transaction of its own in its scope (one round trip each, no BEGIN or COMMIT of
        its own), so the audit is committed once its insert returns. No snapshot spans the reads, and
        commit refuses events (nothing it writes goes to the outbox)."""
        self.each_statement_alone = True
        return self

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.rollback()

    @abc.abstractmethod
    def commit(self) -> None: ...

    @abc.abstractmethod
    def rollback(self) -> None: ...

    def _repositories(self) -> list[Repository]:
        """The declared repositories; a repository that keeps ``seen`` but is not declared would have its
        aggregates' events silently dropped, and a declared one without ``seen`` has nothing to give."""
        undeclared = sorted(
            name
            for name, value in vars(self).items()
            if name not in self.repositories and isinstance(getattr(value, "seen", None), list)
        )
        if undeclared:
            raise TypeError(
                f"{type(self).__name__}: {', '.join(undeclared)} keep(s) `seen` but not in `repositories`: "
                "their aggregates' events would never reach the outbox"
            )
        found = []
        for name in self.repositories:
            repository = self._opened(name)
            if repository is None:
                continue
            if not isinstance(getattr(repository, "seen", None), list):
                raise TypeError(
                    f"{type(self).__name__}.{name} is declared in `repositories` but keeps no `seen` list "
                    "of the aggregates it loaded or added"
                )
            found.append(repository)
        return found

    def _opened(self, name: str) -> Any:
        """The repository declared as ``name``, or None when this unit of work never opened it (it has
        seen nothing)."""
        return getattr(self, name)

    def collect_new_events(self) -> Iterator[Any]:
        """Takes the pending events of every aggregate the declared repositories saw (each once)."""
        taken: set[int] = set()
        for repository in self._repositories():
            for aggregate in repository.seen:
                if id(aggregate) in taken:
                    continue
                taken.add(id(aggregate))
                events, aggregate.pending_events = aggregate.pending_events, []
                yield from events

    def discard_new_events(self) -> None:
        """After a rollback: the changes the pending events describe are undone, so a later commit of the
        same unit of work must not publish them. The aggregates stay seen: what they record next counts."""
        for repository in self._repositories():
            for aggregate in repository.seen:
                aggregate.pending_events = []
