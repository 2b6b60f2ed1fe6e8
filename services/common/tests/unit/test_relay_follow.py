"""The relay follows events while they keep arriving (a pass every follow_s after a pass that
published), instead of leaving them in the outbox until its next tick; it stops when a pass finds
none, or when its budget is spent (the worker's heartbeat runs after the tick)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.common import relay as relay_module
from services.common.relay import OutboxRelay


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    made = Clock()
    monkeypatch.setattr(relay_module.time, "monotonic", made.monotonic)
    monkeypatch.setattr(relay_module.time, "sleep", made.sleep)
    return made


def relay_publishing(counts: Iterator[int], **options: float) -> OutboxRelay:
    relay = OutboxRelay(engine=None, publisher=None, service="probe", batch_size=10, **options)  # type: ignore[arg-type]
    relay.relay_once = lambda: next(counts)  # type: ignore[method-assign]
    return relay


def test_a_tick_follows_arriving_events_until_a_pass_finds_none(clock: Clock) -> None:
    relay = relay_publishing(iter([3, 10, 4, 1, 0, 99]), follow_s=0.02)
    assert relay.tick() == 18
    # no pause after a full batch (more is waiting), one after each partial one
    assert clock.slept == [0.02, 0.02, 0.02]


def test_an_idle_tick_makes_one_pass_and_does_not_wait(clock: Clock) -> None:
    relay = relay_publishing(iter([0, 99]))
    assert relay.tick() == 0
    assert clock.slept == []


def test_following_ends_when_its_budget_is_spent(clock: Clock) -> None:
    relay = relay_publishing(iter([1] * 1000), follow_s=0.02, follow_budget_s=0.09)
    assert relay.tick() == 6  # passes at 0, 0.02, ... 0.10 (past 0.09): then the tick returns
    assert len(clock.slept) == 5
