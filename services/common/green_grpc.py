"""gRPC calls from an eventlet worker that never block its hub (ARCHITECTURE.md, gRPC).

Under eventlet's monkey patch, grpcio's Python layer builds its threads and locks from the patched
``threading``: its channel's polling thread becomes a green thread that blocks the whole hub inside
grpcio's C core for as long as a call takes (a plain call blocks it the same way), and running calls
in real threads (``eventlet.tpool``) then meets green locks from two OS threads and deadlocks
("Cannot switch to a different thread"). So grpcio is given the real ``threading`` back: its polling
thread is an OS thread that waits in C with the GIL released, and its locks are real locks, held only
for moments and never across a green switch. A call is then started as a future and its completion
polled with a (green) sleep, so other green threads run meanwhile and many calls overlap
(services/common/tests/unit/test_green_grpc.py proves it with 10 concurrent handlers).

``cooperative_grpc()`` must run before the process opens its first channel (a channel keeps the
locks it was made with); ``call_cooperatively`` calls it. In a process that is not monkey-patched
both are plain: the call simply blocks its (real) thread.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import grpc

# the first poll comes soon (most calls are quick), then less often, never more than this apart
FIRST_POLL_S = 0.001
MAX_POLL_S = 0.02

_prepared = False


def _monkey_patched() -> bool:
    try:
        from eventlet import patcher
    except ImportError:  # pragma: no cover - eventlet is a dependency of every worker
        return False
    return bool(patcher.is_monkey_patched("thread"))


def cooperative_grpc() -> None:
    """Give grpcio's Python layer the real ``threading`` if eventlet has patched it (idempotent)."""
    global _prepared
    if _prepared or not _monkey_patched():
        return
    import grpc._channel
    import grpc._common
    import grpc._utilities
    from eventlet.patcher import original
    from grpc._cython import cygrpc

    real = original("threading")
    for module in (grpc._channel, grpc._common, grpc._utilities, cygrpc):
        module.threading = real  # type: ignore[attr-defined]
    _prepared = True


def call_cooperatively(
    method: grpc.UnaryUnaryMultiCallable,
    request: Any,
    *,
    timeout: float,
    metadata: Sequence[tuple[str, str]] = (),
) -> Any:
    """``method(request)`` with a deadline of ``timeout`` seconds, letting other green threads run while
    it is in flight. Raises what the call raises (``grpc.RpcError``)."""
    if not _monkey_patched():
        return method(request, timeout=timeout, metadata=tuple(metadata))
    cooperative_grpc()
    future = method.future(request, timeout=timeout, metadata=tuple(metadata))
    pause = FIRST_POLL_S
    while not future.done():
        time.sleep(pause)  # eventlet's sleep under the patch: the hub runs other green threads
        pause = min(pause * 2, MAX_POLL_S)
    return future.result()
