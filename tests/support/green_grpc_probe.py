"""``python -m tests.support.green_grpc_probe TARGET MODE``: 10 handlers on eventlet's hub, each making
one gRPC call to TARGET's ``/probe.Probe/Slow`` (which answers after CALL_S) while a heartbeat of its
own measures how long it is kept from running. Prints one JSON line: the calls' answers, the wall time
of the whole, and each handler's longest stall.

MODE ``cooperative`` calls through ``services.common.green_grpc``; ``blocking`` calls grpcio plainly,
the way that blocks the hub (the control, so the measure is seen to catch a stall).

eventlet patches the process first, before anything else is imported, as ``plr-process`` does.
"""

from __future__ import annotations

from services.common.green import monkey_patch

monkey_patch()

import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import eventlet  # noqa: E402
import grpc  # noqa: E402

from services.common.green_grpc import call_cooperatively, cooperative_grpc  # noqa: E402

HANDLERS = 10
CALL_S = 0.3
HEARTBEAT_S = 0.005


def main(target: str, mode: str) -> None:
    if mode == "cooperative":
        cooperative_grpc()  # before the channel, as a worker's client does
    channel = grpc.insecure_channel(target)
    slow = channel.unary_unary("/probe.Probe/Slow")
    stalls = [0.0] * HANDLERS
    running = [True] * HANDLERS

    def heartbeat(n: int) -> None:
        last = time.monotonic()
        while running[n]:
            eventlet.sleep(HEARTBEAT_S)
            now = time.monotonic()
            stalls[n] = max(stalls[n], now - last - HEARTBEAT_S)
            last = now

    def handler(n: int) -> str:
        beat = eventlet.spawn(heartbeat, n)
        eventlet.sleep(0.02)  # the heartbeats are all going before any call starts
        try:
            request = f"{CALL_S}:{n}".encode()
            if mode == "cooperative":
                answer = call_cooperatively(slow, request, timeout=10)
            else:
                answer = slow(request, timeout=10)
            return bytes(answer).decode()
        finally:
            eventlet.sleep(0.02)
            running[n] = False
            beat.wait()

    started = time.monotonic()
    answers = list(eventlet.GreenPool(HANDLERS).imap(handler, range(HANDLERS)))
    elapsed = time.monotonic() - started
    channel.close()
    print(json.dumps({"answers": answers, "elapsed_s": elapsed, "stalls_s": stalls}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
