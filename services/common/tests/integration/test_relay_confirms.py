"""The relay's publisher on a real broker (a vhost of its own): a batch is sent at once and settled by
the broker's asynchronous confirms, each message once; a returned one is a failure; the relay marks
exactly the confirmed rows published."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.common.relay import ConfirmedPublisher, Outgoing
from tests.support.infra import Infra
from tests.support.probe import PROBE_QUEUE, ProbeSite, probe_site

pytestmark = pytest.mark.integration


@pytest.fixture
def site(infra: Infra) -> Iterator[ProbeSite]:
    with probe_site(infra.pg_admin_url, infra.amqp_uri, infra.management_url) as made:
        yield made


def _to(queue: str, n: int) -> Outgoing:
    # the default exchange routes straight to the queue of that name, and has no alternate exchange
    return Outgoing(b"{}", "", queue, f"00000000-0000-4000-8000-{n:012d}", {"ce-type": "t"})


def test_a_batch_is_confirmed_message_by_message_and_a_returned_one_fails_alone(site: ProbeSite) -> None:
    publisher = ConfirmedPublisher(site.amqp_uri)
    try:
        batch = [_to(PROBE_QUEUE, 1), _to("no-such-queue", 2), *(_to(PROBE_QUEUE, n) for n in range(3, 200))]
        outcome = publisher.publish_many(batch)
        assert list(outcome.failures) == [1] and "returned" in outcome.failures[1]
        assert outcome.broken is None and len(outcome.confirmed) == 198
        again = publisher.publish_many([_to(PROBE_QUEUE, 500)])  # the same channel, its delivery tags going on
        assert again.failures == {} and publisher.reconnects == 1
    finally:
        publisher.close()
    assert site.queue_depth(PROBE_QUEUE) == 199


def test_a_batchs_messages_reach_the_broker_in_a_few_writes_not_one_each(site: ProbeSite) -> None:
    publisher = ConfirmedPublisher(site.amqp_uri)
    try:
        transport = publisher._ensure().connection.transport
        writes: list[int] = []
        sendall = transport._write

        def counted(data: bytes) -> None:
            writes.append(len(data))
            sendall(data)

        transport._write = counted
        outcome = publisher.publish_many([_to(PROBE_QUEUE, n) for n in range(1, 301)])
        assert outcome.failures == {} and len(outcome.confirmed) == 300
        assert len(writes) in (1, 2, 3), writes  # ~40 KB of frames: one write, or a few at FLUSH_AT
    finally:
        publisher.close()
    assert site.queue_depth(PROBE_QUEUE) == 300


def test_acks_and_nacks_settle_each_pending_message_once_including_multiple() -> None:
    publisher = ConfirmedPublisher("amqp://unused")
    publisher._pending = {tag: tag - 1 for tag in range(1, 7)}  # delivery tag -> position
    publisher._on_ack(2, True)  # 1 and 2
    publisher._on_nack(4, False)  # 4 alone
    publisher._on_ack(3, False)
    publisher._on_nack(6, True)  # 5 and 6
    publisher._on_ack(6, True)  # already settled: nothing changes
    assert publisher._pending == {}
    assert publisher._failures == {3: "the broker nacked it", 4: "the broker nacked it", 5: "the broker nacked it"}
