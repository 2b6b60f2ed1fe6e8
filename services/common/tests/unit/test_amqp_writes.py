"""Frames written together: one socket write for a block's frames, whole and in order, also when
another writer adds frames while the buffer is being sent; a failed write marks the connection
broken as py-amqp's own would; the socket's own write is always put back."""

from __future__ import annotations

import errno
from typing import Any

import pytest

from services.common.amqp_writes import frames_sent_together


class FakeTransport:
    def __init__(self, fail: OSError | None = None) -> None:
        self.sent: list[bytes] = []
        self.connected = True
        self.fail = fail
        self.during_send: list[Any] = []  # called inside a send: another green thread writing meanwhile
        self._write = self.sendall

    def sendall(self, data: bytes) -> None:
        if self.fail is not None:
            raise self.fail
        self.sent.append(bytes(data))
        while self.during_send:
            self.during_send.pop(0)()

    def write(self, data: Any) -> None:  # py-amqp's transport.write: through _write, looked up per call
        self._write(data)


class FakeConnection:
    def __init__(self, transport: FakeTransport | None) -> None:
        self.transport = transport


def test_a_blocks_frames_go_in_one_write_in_order_and_the_socket_write_is_put_back() -> None:
    transport = FakeTransport()
    own_write = transport._write
    frame = bytearray(b"frame-1")
    with frames_sent_together(FakeConnection(transport)):
        transport.write(memoryview(frame))
        frame[:] = b"reused!"  # py-amqp reuses its frame buffer: what was held must be a copy
        transport.write(b"frame-2")
        assert transport.sent == []
    assert transport.sent == [b"frame-1frame-2"]
    assert transport._write == own_write
    transport.write(b"after")
    assert transport.sent[-1] == b"after"


def test_a_large_block_is_sent_in_chunks_as_it_fills() -> None:
    transport = FakeTransport()
    with frames_sent_together(FakeConnection(transport), flush_at=10):
        for n in range(5):
            transport.write(b"%04d" % n)
    assert transport.sent == [b"000000010002", b"00030004"]


def test_frames_written_while_the_buffer_is_sent_follow_it_whole_and_nothing_is_left_behind() -> None:
    transport = FakeTransport()
    transport.during_send.append(lambda: transport.write(b"<heartbeat>"))
    with frames_sent_together(FakeConnection(transport)):
        transport.write(b"ack-1")
    assert b"".join(transport.sent) == b"ack-1<heartbeat>"
    assert transport.sent[0] == b"ack-1"
    transport.write(b"later")
    assert transport.sent[-1] == b"later"


def test_a_block_inside_another_writes_through_the_outer_one() -> None:
    transport = FakeTransport()
    with frames_sent_together(FakeConnection(transport)):
        transport.write(b"a")
        with frames_sent_together(FakeConnection(transport)):
            transport.write(b"b")
        transport.write(b"c")
        assert transport.sent == []
    assert transport.sent == [b"abc"]


def test_a_connection_without_a_transport_is_left_as_it_is() -> None:
    with frames_sent_together(FakeConnection(None)):
        pass
    with frames_sent_together(None):
        pass


@pytest.mark.parametrize(
    ("error", "still_connected"),
    [(BrokenPipeError(errno.EPIPE, "Broken pipe"), False), (BlockingIOError(errno.EAGAIN, "again"), True)],
    ids=["broken-pipe", "again"],
)
def test_a_failed_write_is_raised_at_the_end_of_the_block_and_marks_the_connection_as_py_amqp_would(
    error: OSError, still_connected: bool
) -> None:
    transport = FakeTransport(fail=error)
    own_write = transport._write
    with pytest.raises(type(error)), frames_sent_together(FakeConnection(transport)):
        transport.write(b"ack-1")
    assert transport.connected is still_connected
    assert transport._write == own_write
