"""``unshare --net python -m tests.support.silent_database``: a database that vanishes without a word.

Run in a network namespace of its own (so nothing here touches the machine's network), it starts a
private PostgreSQL on that namespace's loopback, opens a pooled connection with ``make_engine``, then
takes the loopback down: every packet to the server now goes nowhere and nothing answers, not even a
reset, as in a network partition or a host that lost power. It then makes one call on the pooled
connection and prints, as one JSON object, how it ended and after how long; a call still waiting after
``--give-up-after-s`` is reported as hung (the loopback comes back up and the server is removed, so a
hung call leaves nothing running).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import threading
import time

import sqlalchemy as sa

from services.common.db import make_engine
from services.common.grpc_server import database_status
from tests.support.private_postgres import new_private_postgres


def _loopback(state: str) -> None:
    subprocess.run(["ip", "link", "set", "lo", state], check=True, capture_output=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="silent_database")
    parser.add_argument("--dead-peer-timeout-s", type=int, required=True)
    parser.add_argument("--connect-timeout-s", type=int, default=2)
    parser.add_argument("--give-up-after-s", type=float, default=120.0)
    options = parser.parse_args(argv)

    _loopback("up")
    postgres = new_private_postgres()
    try:
        postgres.start()
        engine = make_engine(
            postgres.admin_url,
            pool_size=1,
            connect_timeout_s=options.connect_timeout_s,
            dead_peer_timeout_s=options.dead_peer_timeout_s,
            application_name="plr-silent-peer",
        )
        with engine.connect() as connection:  # the pool now holds a live connection
            connection.execute(sa.text("SELECT 1"))
        _loopback("down")
        started = time.monotonic()
        result: dict[str, object] = {}

        def call() -> None:
            try:
                with engine.connect() as connection:
                    connection.execute(sa.text("SELECT 1"))
                result.update(outcome="answered")
            except Exception as error:
                answer = database_status(error, "registry")
                result.update(
                    outcome="failed",
                    status=answer[0].name if answer else None,
                    detail=answer[1] if answer else None,
                    error=f"{type(error).__name__}: {(str(error).splitlines() or [''])[0]}",
                )
            result["seconds"] = round(time.monotonic() - started, 1)

        caller = threading.Thread(target=call, daemon=True)
        caller.start()
        caller.join(timeout=options.give_up_after_s)
        ended = {"outcome": "hung", "seconds": options.give_up_after_s} if caller.is_alive() else dict(result)
        _loopback("up")  # a hung call gets its answer now, and the engine can be disposed of
        caller.join(timeout=60)
        engine.dispose()
    finally:
        _loopback("up")
        postgres.remove()
    print(json.dumps(ended), flush=True)


if __name__ == "__main__":
    main()
