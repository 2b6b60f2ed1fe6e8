"""A gRPC client in an eventlet worker (services/common/green_grpc.py): 10 handlers calling at once on
one hub, each call taking 0.3 s at the server. None deadlocks, every answer is its own, the calls
overlap (the whole takes far less than 10 calls one after another), and no handler is kept from
running for more than 100 ms by another's call. The control calls grpcio plainly and is seen to stall
the hub for a whole call: the measure catches what it claims to.

The worker side runs in its own process (eventlet patches it first, as a worker is patched); the server
runs here, unpatched (a grpcio server in a patched process never answers)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import pytest

ROOT = Path(__file__).resolve().parents[4]
HANDLERS, CALL_S = 10, 0.3
STALL_LIMIT_S = 0.1


def _slow(request: bytes, context: grpc.ServicerContext) -> bytes:
    seconds, _, n = request.decode().partition(":")
    time.sleep(float(seconds))
    return f"answer {n}".encode()


@pytest.fixture(scope="module")
def target() -> Iterator[str]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=HANDLERS * 2))
    handler = grpc.unary_unary_rpc_method_handler(_slow, request_deserializer=None, response_serializer=None)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("probe.Probe", {"Slow": handler}),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield f"127.0.0.1:{port}"
    server.stop(grace=None)


def probe(target: str, mode: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.green_grpc_probe", target, mode],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,  # a deadlock fails here
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_ten_concurrent_handlers_neither_deadlock_nor_stall_each_other(target: str) -> None:
    for _ in range(3):  # a deadlock or a stall that comes only now and then
        seen = probe(target, "cooperative")
        assert seen["answers"] == [f"answer {n}" for n in range(HANDLERS)]
        assert seen["elapsed_s"] < 3 * CALL_S, seen  # overlapping: one after another would take 3 s
        assert max(seen["stalls_s"]) < STALL_LIMIT_S, seen


def test_the_plain_call_stalls_the_hub_and_the_measure_sees_it(target: str) -> None:
    seen = probe(target, "blocking")
    assert seen["answers"] == [f"answer {n}" for n in range(HANDLERS)]
    assert max(seen["stalls_s"]) >= CALL_S * 0.9, seen
