"""The inbox consumer's batches on a real database: one transaction for a batch; a failing handler
rolls it back and each event is then retried alone, so only the failing one is dead-lettered, after
the counted attempts in all; a duplicate (redelivered, or twice in one batch) is applied once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.common.events import CloudEvent
from services.common.inbox import DeadLetter, InboxConsumer
from services.common.platform_tables import inbox
from tests.support.infra import Infra
from tests.support.probe import PROBE_EVENT_TYPE, ProbeSite, probe_event, probe_site, probe_state

pytestmark = pytest.mark.integration


@pytest.fixture
def site(infra: Infra) -> Iterator[ProbeSite]:
    with probe_site(infra.pg_admin_url, infra.amqp_uri, infra.management_url) as made:
        yield made


def test_one_failing_handler_cannot_sink_its_neighbours_and_fails_its_counted_attempts(site: ProbeSite) -> None:
    calls: list[str] = []

    def handler(connection: Connection, event: CloudEvent) -> None:
        calls.append(event.aggregate_id)
        if event.aggregate_id == "bad":
            raise RuntimeError("poison")
        row = {"aggregate_id": event.aggregate_id, "version": event.aggregate_version}
        connection.execute(probe_state.insert().values(row))

    consumer = InboxConsumer("batch.test", site.engine, {PROBE_EVENT_TYPE: handler}, handler_backoff_s=0)
    events = [probe_event(name, 1) for name in ("a", "bad", "c")]
    outcomes = consumer.process_batch([e.to_json() for e in events] + [b"not an event"])

    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], DeadLetter) and isinstance(outcomes[3], DeadLetter)
    assert calls.count("bad") == consumer.max_handler_attempts == 3  # the batch's attempt was the first
    assert site.state() == {"a": 1, "c": 1}
    assert consumer.stats.applied == 2 and consumer.stats.dead_lettered == 2


def test_a_batch_commits_once_and_applies_a_duplicate_once(site: ProbeSite) -> None:
    applied: list[str] = []

    def handler(connection: Connection, event: CloudEvent) -> None:
        applied.append(event.id)

    consumer = InboxConsumer("batch.test", site.engine, {PROBE_EVENT_TYPE: handler})
    first, second = probe_event("x", 1), probe_event("y", 1)
    commits: list[object] = []

    def committed(connection: object) -> None:
        commits.append(connection)

    sa.event.listen(site.engine, "commit", committed)
    try:
        assert consumer.process_batch([first.to_json(), second.to_json(), first.to_json()]) == [None] * 3
    finally:
        sa.event.remove(site.engine, "commit", committed)
    assert consumer.process_batch([second.to_json()]) == [None]  # redelivered after its commit
    assert applied == [first.id, second.id] and len(commits) == 1
    assert consumer.stats.applied == 2 and consumer.stats.duplicates == 2
    with site.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(inbox)).scalar_one() == 2
