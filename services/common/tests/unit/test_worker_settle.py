"""Settling a delivery on a connection that died under it leaves the delivery to the broker (which
redelivers it) instead of crashing the worker: the cause of the lost copies of issue 8. A message given
back after a database outage goes as a copy that starts its delivery count again."""

from __future__ import annotations

from typing import Any

import amqp.exceptions
import pytest

from services.common.worker import RawQueueConsumer, fresh_copy


class DeadConnectionMessage:
    """A delivery whose channel still looks open but whose socket is gone."""

    def __init__(self, error: BaseException):
        self.error = error
        self.channel = type("Channel", (), {"connection": object()})()
        self.properties = {"message_id": "e-1"}
        self.settled: list[str] = []

    def _fail(self, how: str, **_: Any) -> None:
        self.settled.append(how)
        raise self.error

    def ack(self) -> None:
        self._fail("ack")

    def requeue(self) -> None:
        self._fail("requeue")

    def reject(self, requeue: bool) -> None:
        self._fail("reject" if not requeue else "reject-requeue")


@pytest.mark.parametrize(
    "error",
    [
        ConnectionResetError(104, "Connection reset by peer"),
        BrokenPipeError(32, "Broken pipe"),
        amqp.exceptions.RecoverableConnectionError("connection already closed"),
    ],
    ids=["reset", "broken-pipe", "amqp-closed"],
)
def test_a_delivery_settled_on_a_dead_connection_is_left_to_the_broker_not_a_crash(
    error: BaseException, caplog: pytest.LogCaptureFixture
) -> None:
    consumer = RawQueueConsumer()
    message = DeadConnectionMessage(error)

    consumer.ack_message(message)
    consumer.requeue_message(message)
    consumer.reject_message(message)

    assert message.settled == ["ack", "requeue", "reject"]
    assert sum("the broker will redeliver it" in r.getMessage() for r in caplog.records) == 3


def test_any_other_error_while_settling_is_not_hidden() -> None:
    message = DeadConnectionMessage(ValueError("a bug"))

    with pytest.raises(ValueError):
        RawQueueConsumer().ack_message(message)


def test_a_message_given_back_after_an_outage_is_copied_whole_but_for_the_brokers_delivery_count() -> None:
    delivery = type(
        "Delivery",
        (),
        {
            "body": b'{"id": "e-1"}',
            "properties": {
                "message_id": "e-1",
                "content_type": "application/cloudevents+json",
                "content_encoding": "utf-8",
                "correlation_id": "c-1",
                "delivery_mode": 2,
            },
            "headers": {"ce-type": "plr.diagnostics.probe.recorded.v1", "x-delivery-count": 19, "x-death": [{}]},
        },
    )()

    assert fresh_copy(delivery) == {
        "body": b'{"id": "e-1"}',
        "message_id": "e-1",
        "headers": {"ce-type": "plr.diagnostics.probe.recorded.v1", "x-death": [{}]},
        "content_type": "application/cloudevents+json",
        "content_encoding": "utf-8",
        "correlation_id": "c-1",
    }


class HeldTransport:
    def __init__(self, fail: OSError | None = None) -> None:
        self.sent: list[bytes] = []
        self.connected = True
        self.fail = fail
        self._write = self.sendall

    def sendall(self, data: bytes) -> None:
        if self.fail is not None:
            raise self.fail
        self.sent.append(bytes(data))


class WritingMessage:
    """A delivery whose settling writes a frame, as py-amqp's basic_ack does, on its connection's transport."""

    def __init__(self, transport: HeldTransport, tag: int):
        self.channel = type("Channel", (), {"connection": type("Connection", (), {"transport": transport})()})()
        self.transport, self.tag = transport, tag
        self.properties = {"message_id": f"e-{tag}"}

    def ack(self) -> None:
        self.transport._write(b"ack-%d;" % self.tag)

    def reject(self, requeue: bool) -> None:
        self.transport._write(b"reject-%d;" % self.tag)

    def requeue(self) -> None:
        self.transport._write(b"requeue-%d;" % self.tag)


def _consumer() -> Any:
    from services.common.give_back import GiveBackSeal
    from services.common.worker import CloudEventConsumer, Lane

    consumer = CloudEventConsumer("q", GiveBackSeal(b"k" * 32))
    consumer.queue_consumer = RawQueueConsumer()
    return consumer, Lane(running=True)


def test_a_batchs_deliveries_are_settled_by_outcome_in_one_write() -> None:
    from services.common.inbox import DeadLetter

    transport = HeldTransport()
    batch = [WritingMessage(transport, n) for n in range(1, 5)]
    consumer, lane = _consumer()

    consumer.handle_result(lane, batch, None, [None, DeadLetter("bad"), RuntimeError("retry"), None])

    assert transport.sent == [b"ack-1;reject-2;requeue-3;ack-4;"]
    assert lane.running is False


def test_a_batchs_settling_on_a_connection_that_died_is_left_to_the_broker_not_a_crash(
    caplog: pytest.LogCaptureFixture,
) -> None:
    transport = HeldTransport(fail=BrokenPipeError(32, "Broken pipe"))
    consumer, lane = _consumer()

    consumer.handle_result(lane, [WritingMessage(transport, 1), WritingMessage(transport, 2)], None, [None, None])

    assert transport.sent == [] and lane.running is False
    assert any("the broker will redeliver it" in r.getMessage() for r in caplog.records)
