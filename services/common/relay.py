"""The outbox relay: publishes committed events with publisher confirms, then marks them published.

One relay publishes for a service at a time (``pg_try_advisory_xact_lock`` per batch: a session
lock would stay held by a pooled connection, and be lost silently on reconnect). Rows are taken
``FOR UPDATE SKIP LOCKED`` in id order, which is each aggregate's version order: version n+1 is only
written after version n committed (the unique (aggregate, version) constraint refuses a second
writer), so its id is larger. A crash between publish and mark re-publishes: consumers are
idempotent through their inbox.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import kombu
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from services.common.db import db_error_summary, is_database_fault
from services.common.events import CONTENT_TYPE
from services.common.metrics import (
    OUTBOX_OLDEST_AGE,
    OUTBOX_PENDING,
    RELAY_FAILURES,
    RELAY_PUBLISHED,
    WORKER_HEARTBEAT,
)
from services.common.outbox import outbox_backlog
from services.common.platform_tables import outbox, worker_heartbeats
from services.common.topology import EVENTS_EXCHANGE

log = logging.getLogger(__name__)


def advisory_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class PublishFailed(Exception):
    pass


class ConfirmedPublisher:
    """Publishes one message at a time and returns only when the broker has confirmed it."""

    def __init__(self, amqp_uri: str, connect_timeout: float = 5.0):
        self.amqp_uri = amqp_uri
        self.connect_timeout = connect_timeout
        self._connection: kombu.Connection | None = None
        self._producer: kombu.Producer | None = None
        self._returned: set[str] = set()
        self.reconnects = 0

    def _ensure(self) -> kombu.Producer:
        if self._producer is None:
            connection = kombu.Connection(
                self.amqp_uri,
                # read/write timeouts: a connection cut without a reset must not hang the relay
                transport_options={"confirm_publish": True, "read_timeout": 10, "write_timeout": 10},
                connect_timeout=self.connect_timeout,
                heartbeat=0,
            )
            connection.connect()
            self._connection = connection
            self._producer = kombu.Producer(
                connection.channel(),
                exchange=kombu.Exchange(EVENTS_EXCHANGE, type="topic", no_declare=True),
                auto_declare=False,
                on_return=self._on_return,
            )
            self.reconnects += 1
        return self._producer

    def _on_return(self, exception: Exception, exchange: str, routing_key: str, message: object) -> None:
        properties = getattr(message, "properties", {}) or {}
        self._returned.add(str(properties.get("message_id")))

    def publish(
        self, body: bytes, *, message_id: str, routing_key: str, event_type: str, exchange: str = EVENTS_EXCHANGE
    ) -> None:
        self.send(
            body, exchange=exchange, routing_key=routing_key, message_id=message_id, headers={"ce-type": event_type}
        )

    def send(
        self,
        body: bytes,
        *,
        exchange: str,
        routing_key: str,
        message_id: str,
        headers: Mapping[str, Any],
        **properties: Any,
    ) -> None:
        """Publish persistent and mandatory, with any other AMQP properties (by default a CloudEvent's
        content type and encoding); return once confirmed, or raise PublishFailed."""
        properties = {"content_type": CONTENT_TYPE, "content_encoding": "utf-8", **properties}
        try:
            producer = self._ensure()
            producer.publish(
                body,
                # as an Exchange: kombu reads a bare "" (the default exchange, straight to a queue) as "none
                # given" and would publish to the producer's own exchange instead
                exchange=kombu.Exchange(exchange, no_declare=True),
                routing_key=routing_key,
                delivery_mode=2,
                mandatory=True,
                message_id=message_id,
                headers=dict(headers),
                retry=False,
                **properties,
            )
        except Exception as error:
            self.close()
            raise PublishFailed(f"publishing {message_id} failed: {type(error).__name__}: {error}") from error
        if message_id in self._returned:
            self._returned.discard(message_id)
            raise PublishFailed(f"the broker returned {message_id} as unroutable (is the alternate exchange declared?)")

    def close(self) -> None:
        connection, self._connection, self._producer = self._connection, None, None
        if connection is not None:
            try:
                connection.release()
            except Exception as error:  # the connection is already broken; nothing more to release
                log.debug("closing a broken broker connection: %s", error)


@dataclass
class RelayStats:
    published: int = 0
    failures: int = 0


class OutboxRelay:
    def __init__(
        self,
        engine: Engine,
        publisher: ConfirmedPublisher,
        service: str,
        batch_size: int = 500,
        # short: a retry is one connection attempt, and events wait in the outbox until it succeeds
        max_backoff_s: float = 3.0,
    ):
        self.engine = engine
        self.publisher = publisher
        self.service = service
        self.batch_size = batch_size
        self.max_backoff_s = max_backoff_s
        self.lock_key = advisory_key(f"plr.outbox.relay.{service}")
        self.stats = RelayStats()
        self._backoff_s = 0.0
        self._next_attempt = 0.0
        self._last_beat = 0.0

    def relay_once(self) -> int:
        """Publish one batch. Returns how many were published; raises PublishFailed on a broker fault."""
        published: list[int] = []
        error: PublishFailed | None = None
        with self.engine.begin() as connection:
            locked = connection.execute(sa.select(sa.func.pg_try_advisory_xact_lock(self.lock_key))).scalar()
            if not locked:
                return 0
            rows = connection.execute(
                sa.select(outbox.c.id, outbox.c.event_id, outbox.c.routing_key, outbox.c.event_type, outbox.c.payload)
                .where(outbox.c.published_at.is_(None))
                .order_by(outbox.c.id)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                try:
                    self.publisher.publish(
                        row.payload.encode(),
                        message_id=str(row.event_id),
                        routing_key=row.routing_key,
                        event_type=row.event_type,
                    )
                except PublishFailed as failure:
                    error = failure
                    connection.execute(
                        outbox.update()
                        .where(outbox.c.id == row.id)
                        .values(publish_attempts=outbox.c.publish_attempts + 1, last_error=str(failure)[:500])
                    )
                    break
                published.append(row.id)
            if published:
                connection.execute(outbox.update().where(outbox.c.id.in_(published)).values(published_at=sa.func.now()))
        self.stats.published += len(published)
        RELAY_PUBLISHED.labels(self.service).inc(len(published))
        if error is not None:
            raise error
        return len(published)

    def tick(self, now: float | None = None) -> int:
        """One timer tick: publish until the outbox is drained, backing off while the broker or the
        database is away (a database outage is a warning, not an error every tick)."""
        now = time.monotonic() if now is None else now
        if now < self._next_attempt:
            return 0
        total = 0
        try:
            while True:
                count = self.relay_once()
                total += count
                if count < self.batch_size:
                    break
            self._backoff_s = 0.0
        except PublishFailed as failure:
            self.stats.failures += 1
            self._back_off(f"broker unavailable: {failure}")
        except Exception as error:
            if not is_database_fault(error):
                raise
            self.stats.failures += 1
            self._back_off(f"{self.service} database unavailable: {db_error_summary(error)}")
        return total

    def observe_outbox(self) -> None:
        """Refresh the outbox gauges (pending, oldest age) from the service's database."""
        try:
            with self.engine.connect() as connection:
                pending, oldest_age_s, _ = outbox_backlog(connection)
        except Exception as error:  # the gauges keep their last values; the relay's warning says why
            if not is_database_fault(error):
                raise
            return
        OUTBOX_PENDING.labels(self.service).set(pending)
        OUTBOX_OLDEST_AGE.labels(self.service).set(oldest_age_s)

    def _back_off(self, why: str) -> None:
        RELAY_FAILURES.labels(self.service).inc()
        self._backoff_s = min(self.max_backoff_s, max(0.2, self._backoff_s * 2))
        self._next_attempt = time.monotonic() + self._backoff_s
        log.warning("relay: %s; retrying in %.1fs", why, self._backoff_s)

    def beat(self, worker: str, consumers: int, every_s: float = 2.0) -> None:
        now = time.monotonic()
        if now - self._last_beat < every_s:
            return
        self._last_beat = now
        from sqlalchemy.dialects.postgresql import insert

        statement = insert(worker_heartbeats).values(worker=worker, beat_at=sa.func.now(), consumers=consumers)
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    statement.on_conflict_do_update(
                        index_elements=[worker_heartbeats.c.worker],
                        set_={"beat_at": sa.func.now(), "consumers": consumers},
                    )
                )
            WORKER_HEARTBEAT.labels(self.service).set_to_current_time()
        except Exception as error:  # a missed beat shows in `plr health`; the next tick beats again
            if not is_database_fault(error):
                raise
            log.warning("heartbeat of %s not recorded: database unavailable: %s", worker, db_error_summary(error))
