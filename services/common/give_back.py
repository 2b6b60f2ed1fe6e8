"""The seal on a give-back copy (ADR 0004, ADR 0009): proof that the consuming service's own worker put a
message back in its queue, which no one holding only the service's broker password can make.

When a database outage outlasts a delivery, the worker publishes a fresh copy of it to its own queue
through the default exchange (services/common/worker.py); the copy is stamped with the worker's own
broker user. That user may write the default exchange, so the ``user_id`` alone does not tell a
give-back copy from an event the holder of the password forged into the service's queue. The worker
therefore seals each copy: an HMAC-SHA256, in the ``SEAL_HEADER`` header, over the queue it goes back
to, its message id (the event's id) and its body, with a key of the service's own. ``migrate`` makes
the key once, in the service's database (``give_back_key``, readable and never writable by the
application role); the worker reads it at start. A consumer accepts its own user's ``user_id`` only on
a delivery whose seal holds for the queue it consumes (``SenderCheck``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection, Engine

from services.common.db import db_error_summary, is_transient_db_error
from services.common.platform_tables import give_back_key

log = logging.getLogger(__name__)

SEAL_HEADER = "plr-give-back-seal"
KEY_BYTES = 32
# how often a worker starting while its database is unavailable asks again for the key
KEY_RETRY_S = 2.0


@dataclass(frozen=True)
class GiveBackSeal:
    """Seals a give-back copy and checks a delivery's seal, with the service's key."""

    key: bytes

    def of(self, queue: str, message_id: str | None, body: bytes | str) -> str:
        """``body`` as delivered: bytes, or text where the client decoded it by its content encoding."""
        raw = body.encode() if isinstance(body, str) else body
        return hmac.new(self.key, f"{queue}\n{message_id or ''}\n".encode() + raw, hashlib.sha256).hexdigest()

    def holds(self, seal: object, queue: str, message_id: str | None, body: bytes | str) -> bool:
        """Whether ``seal`` (a delivery's header, whatever its type) is this key's seal of the message
        going back to ``queue``."""
        return isinstance(seal, str) and hmac.compare_digest(seal, self.of(queue, message_id, body))


def ensure_give_back_key(connection: Connection) -> None:
    """The service's give-back key, made once (``migrate``, as the database's owner): its table if
    missing, and a random key if it holds none. An existing key is kept: copies sealed with it may
    still be in the queues."""
    give_back_key.create(connection, checkfirst=True)
    connection.execute(insert(give_back_key).values(id=1, key=secrets.token_hex(KEY_BYTES)).on_conflict_do_nothing())


def read_give_back_seal(connection: Connection) -> GiveBackSeal:
    key = connection.execute(sa.select(give_back_key.c.key).where(give_back_key.c.id == 1)).scalar()
    if not key:
        raise LookupError("the service's database holds no give-back key: run its migrate")
    return GiveBackSeal(bytes.fromhex(key))


def load_give_back_seal(engine: Engine, sleep: Callable[[float], None] = time.sleep) -> GiveBackSeal:
    """The worker's seal, read before it consumes: a worker started while its database is unavailable
    waits and asks again, consuming nothing meanwhile (its queues keep their messages, uncounted, ADR
    0004; a worker that was running keeps giving its deliveries back). A stop signal while it waits ends
    the process at once, cleanly."""
    stopped = {s: signal.signal(s, _exit_cleanly) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        while True:
            try:
                with engine.connect() as connection:
                    return read_give_back_seal(connection)
            except Exception as error:
                if not is_transient_db_error(error):
                    raise
                log.warning("database unavailable, waiting for the give-back key: %s", db_error_summary(error))
                sleep(KEY_RETRY_S)
    finally:
        for number, handler in stopped.items():
            signal.signal(number, handler)


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)
