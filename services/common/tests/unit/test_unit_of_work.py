"""The one way a unit of work collects new events: from what its declared repositories saw; and a
repository it would not collect from is refused, not silently ignored."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from services.common.events import CloudEvent
from services.common.sql_unit_of_work import SqlUnitOfWork
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
        self.first, self.second = Seen(), Seen()

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


def test_events_come_from_every_declared_repository_in_order_each_aggregate_once() -> None:
    uow = TwoRepositories()
    a, b = Thing(["a1", "a2"]), Thing(["b1"])
    uow.first.seen += [a, a]
    uow.second.seen += [b, a]
    assert list(uow.collect_new_events()) == ["a1", "a2", "b1"]
    assert a.pending_events == [] and b.pending_events == []
    a.pending_events.append("a3")
    assert list(uow.collect_new_events()) == ["a3"]  # collected once: only what is new since


def test_a_repository_keeping_seen_but_not_declared_is_refused_instead_of_losing_its_events() -> None:
    uow = TwoRepositories()
    uow.forgotten = Seen([Thing(["lost"])])  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match="forgotten keep.*not in `repositories`"):
        list(uow.collect_new_events())


def test_a_declared_repository_without_seen_is_refused_naming_it() -> None:
    uow = TwoRepositories()
    uow.second = object()  # type: ignore[assignment]
    with pytest.raises(TypeError, match="TwoRepositories.second is declared .* no `seen`"):
        list(uow.collect_new_events())


def test_events_discarded_after_a_rollback_are_not_collected_but_later_ones_are() -> None:
    uow = TwoRepositories()
    a = Thing(["undone"])
    uow.first.seen.append(a)
    uow.discard_new_events()
    a.pending_events.append("after")
    assert list(uow.collect_new_events()) == ["after"]


def test_a_sql_unit_of_work_that_does_not_open_a_declared_repository_is_refused_when_defined() -> None:
    with pytest.raises(TypeError, match="declares repositories it does not open: second"):

        class HalfOpen(SqlUnitOfWork):
            repositories = ("first", "second")
            opens = {"first": lambda connection: Seen()}

            @staticmethod
            def to_cloudevent(event: Any, correlation_id: str | None) -> CloudEvent:
                raise NotImplementedError
