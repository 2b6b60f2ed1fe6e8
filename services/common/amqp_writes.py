"""AMQP frames written together: one socket write for many frames.

py-amqp writes every frame with a socket write of its own: a relay batch of 500 events was 500
``sendall`` calls, and a consumer batch's acks one each, about a sixth of a worker's CPU in ``make
bench`` (and as many small segments for the broker to read). Within ``frames_sent_together`` the
connection's frames are held in one buffer, sent once it reaches ``FLUSH_AT`` bytes and when the
block ends, in the order they were written: the broker sees the same frames, fewer writes.

Frames from other green threads written meanwhile on the same connection (a heartbeat, another
batch's acks) join the same buffer, whole and in order: py-amqp writes each frame under its own
lock, a green thread cannot switch while appending, and one sender at a time drains the buffer. A
block inside another's, or on a connection already held, writes through the outer one.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

# enough for a burst of frames in one write without holding a large batch back from the broker
FLUSH_AT = 64 * 1024
# a write error that leaves the connection usable (as py-amqp's transport counts them)
_RETRYABLE = {errno.EAGAIN, errno.EINTR, errno.ENOENT, errno.EWOULDBLOCK}


class _HeldWrites:
    def __init__(self, transport: Any, send: Callable[[bytes], Any], flush_at: int):
        self.transport = transport
        self.send = send
        self.flush_at = flush_at
        self.pending = bytearray()
        self.sending = False
        self.released = False  # the block ended: the last drain puts the socket's own write back

    def hold(self, data: Any) -> None:
        self.pending += data  # copied now: py-amqp reuses the buffer it passes for its next frame
        if len(self.pending) >= self.flush_at:
            self.drain()

    def drain(self) -> None:
        if self.sending:  # a sender is between writes: its loop takes what was just added
            return
        self.sending = True
        try:
            while self.pending:
                chunk = bytes(self.pending)
                self.pending.clear()
                self.send(chunk)
        except OSError as error:
            self.pending.clear()
            if not isinstance(error, socket.timeout) and error.errno not in _RETRYABLE:  # as py-amqp's write would
                self.transport.connected = False
            raise
        finally:
            self.sending = False
            if self.released:
                self.transport._write = self.send

    def release(self) -> None:
        # the drain that finds nothing left puts the socket's write back, with no green switch between:
        # this one, or another green thread's already sending
        self.released = True
        self.drain()


@contextmanager
def frames_sent_together(connection: Any, flush_at: int = FLUSH_AT) -> Iterator[None]:
    """Hold ``connection``'s (a py-amqp ``Connection``'s) frames and send them together. A connection
    without a transport (closed, or never opened) is left as it is: its writes fail as they would."""
    transport = getattr(connection, "transport", None)
    send = getattr(transport, "_write", None)
    if transport is None or send is None or isinstance(getattr(send, "__self__", None), _HeldWrites):
        yield
        return
    held = _HeldWrites(transport, send, flush_at)
    transport._write = held.hold
    try:
        yield
    finally:
        held.release()
