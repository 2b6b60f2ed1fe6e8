"""The one way a unit of work collects new events: from what its declared repositories saw."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.common.unit_of_work import AbstractUnitOfWork


@dataclass(eq=False)
class Thing:
    pending_events: list[Any] = field(default_factory=list)


@dataclass
class Seen:
    seen: list[Thing] = field(default_factory=list)


class TwoRepositories(AbstractUnitOfWork):
    repositories = ("first", "second")

    def __init__(self) -> None:
        self.first, self.second, self.undeclared = Seen(), Seen(), Seen()

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


def test_events_come_from_every_declared_repository_in_order_each_aggregate_once() -> None:
    uow = TwoRepositories()
    a, b, hidden = Thing(["a1", "a2"]), Thing(["b1"]), Thing(["h1"])
    uow.first.seen += [a, a]
    uow.second.seen += [b, a]
    uow.undeclared.seen.append(hidden)
    assert list(uow.collect_new_events()) == ["a1", "a2", "b1"]
    assert a.pending_events == [] and b.pending_events == [] and hidden.pending_events == ["h1"]
    a.pending_events.append("a3")
    assert list(uow.collect_new_events()) == ["a3"]  # collected once: only what is new since
