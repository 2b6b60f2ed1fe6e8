"""The outbox relay: publishes committed events with publisher confirms, then marks them published.

One relay publishes for a service at a time (``pg_try_advisory_xact_lock`` per batch: a session
lock would stay held by a pooled connection, and be lost silently on reconnect). Rows are taken
``FOR UPDATE SKIP LOCKED`` in id order, which is each aggregate's version order: version n+1 is only
written after version n committed (the unique (aggregate, version) constraint refuses a second
writer), so its id is larger. A batch is published in that order without waiting between messages;
the broker's confirms (``basic.ack``/``basic.nack``, each possibly ``multiple``) arrive
asynchronously, and exactly the confirmed rows are marked published. A nacked, returned or
unconfirmed message stays unpublished and goes again in the next batch. A crash between publish and
mark re-publishes: consumers are idempotent through their inbox, and version-aware for the rare
case where a nacked version is republished after its successor was confirmed (ADR 0002).
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import amqp
import kombu
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine

from services.common.amqp_writes import frames_sent_together
from services.common.broker_users import connection_user
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

# the header naming an event's aggregate ("type/id", the CloudEvent's subject): consumers keep one
# aggregate's events in one lane (services.common.worker) without reading the body
SUBJECT_HEADER = "ce-subject"
# how long a batch waits for the broker's confirms before the unconfirmed messages count as failed
CONFIRM_TIMEOUT_S = 10.0
# a tick that published follows the events still arriving, a pass every FOLLOW_S (what arrives
# meanwhile goes as one batch), until a pass finds none or FOLLOW_BUDGET_S has passed (then the
# worker's heartbeat and the next tick): under load an event waited for the next tick, 0.2 s
# (PLR_RELAY_INTERVAL_S), before it was published. Not much shorter: each pass is a burst that the
# consumers split into batches, and with several consumer workers 20 ms passes made batches of an
# event or two, each a transaction of its own (docs/performance.md, fifth pass)
FOLLOW_S = 0.05
FOLLOW_BUDGET_S = 1.0


# a relay's statements, built once: a pass runs every FOLLOW_S while events arrive, and building them
# (and their cache keys) per pass, an IN list of every confirmed id among them, was a pass's own cost
TRY_RELAY_LOCK = sa.select(sa.func.pg_try_advisory_xact_lock(sa.bindparam("key", type_=sa.BigInteger)))
NEXT_UNPUBLISHED = (
    sa.select(
        outbox.c.id,
        outbox.c.event_id,
        outbox.c.routing_key,
        outbox.c.event_type,
        outbox.c.aggregate_type,
        outbox.c.aggregate_id,
        outbox.c.payload,
    )
    .where(outbox.c.published_at.is_(None))
    .order_by(outbox.c.id)
    .limit(sa.bindparam("batch", type_=sa.Integer))
    .with_for_update(skip_locked=True)
)
MARK_PUBLISHED = (
    outbox.update()
    .where(outbox.c.id == sa.any_(sa.bindparam("ids", type_=postgresql.ARRAY(sa.BigInteger))))
    .values(published_at=sa.func.now())
)


def advisory_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class PublishFailed(Exception):
    pass


@dataclass(frozen=True)
class Outgoing:
    """One message to publish: persistent and mandatory, with its AMQP properties (by default a
    CloudEvent's content type and encoding)."""

    body: bytes
    exchange: str
    routing_key: str
    message_id: str
    headers: Mapping[str, Any]
    properties: Mapping[str, Any] = field(default_factory=dict)


def amqp_message(outgoing: Outgoing, user_id: str) -> amqp.Message:
    """The one place where a published message's properties are set: ``user_id`` is the publishing
    connection's broker user, which RabbitMQ verifies and consumers check (ADR 0009)."""
    properties = {"content_type": CONTENT_TYPE, "content_encoding": "utf-8", "user_id": user_id, **outgoing.properties}
    return amqp.Message(
        outgoing.body,
        delivery_mode=2,
        message_id=outgoing.message_id,
        application_headers=dict(outgoing.headers),
        **properties,
    )


@dataclass
class Published:
    """What the broker said of a batch: per message (by position), None if confirmed, else why not."""

    failures: dict[int, str]
    count: int
    broken: str | None = None  # the connection failed: the rest went unconfirmed

    @property
    def confirmed(self) -> list[int]:
        return [n for n in range(self.count) if n not in self.failures]


class ConfirmedPublisher:
    """Publishes batches of messages with asynchronous publisher confirms on one channel: every
    message of a batch is sent at once, then the broker's acks and nacks (``multiple`` or not) and
    returns settle them, each message exactly once."""

    def __init__(self, amqp_uri: str, connect_timeout: float = 5.0, confirm_timeout_s: float = CONFIRM_TIMEOUT_S):
        self.amqp_uri = amqp_uri
        self.user = connection_user(amqp_uri)
        self.connect_timeout = connect_timeout
        self.confirm_timeout_s = confirm_timeout_s
        self._connection: kombu.Connection | None = None
        self._channel: Any = None
        self._tag = 0  # the delivery tag of the channel's last publish (confirm mode numbers them from 1)
        self._pending: dict[int, int] = {}  # delivery tag -> position in the batch, in publish order
        self._failures: dict[int, str] = {}
        self._returned: set[str] = set()
        self.reconnects = 0

    def _ensure(self) -> Any:
        if self._channel is None:
            connection = kombu.Connection(
                self.amqp_uri,
                # read/write timeouts: a connection cut without a reset must not hang the relay
                transport_options={"read_timeout": 10, "write_timeout": 10},
                connect_timeout=self.connect_timeout,
                heartbeat=0,
            )
            connection.connect()
            self._connection = connection
            channel = connection.channel()
            channel.events["basic_ack"].add(self._on_ack)
            channel.events["basic_nack"].add(self._on_nack)
            channel.events["basic_return"].add(self._on_return)
            channel.confirm_select()
            self._channel, self._tag = channel, 0
            self.reconnects += 1
        return self._channel

    def _settle(self, tag: int, multiple: bool, failure: str | None) -> None:
        tags = list(itertools.takewhile(lambda t: t <= tag, self._pending)) if multiple else [tag]
        for settled in tags:
            position = self._pending.pop(settled, None)
            if position is not None and failure is not None:
                self._failures[position] = failure

    def _on_ack(self, tag: int, multiple: bool) -> None:
        self._settle(tag, multiple, None)

    def _on_nack(self, tag: int, multiple: bool) -> None:
        self._settle(tag, multiple, "the broker nacked it")

    def _on_return(self, exception: Exception, exchange: str, routing_key: str, message: Any) -> None:
        # a return comes before the message's ack: the ack then finds it among the returned
        self._returned.add(str((getattr(message, "properties", None) or {}).get("message_id")))

    def publish_many(self, messages: Sequence[Outgoing]) -> Published:
        """Send every message, then wait (up to ``confirm_timeout_s``) until each is confirmed or failed."""
        self._pending, self._failures, self._returned = {}, {}, set()
        sent = 0
        broken: str | None = None
        try:
            channel = self._ensure()
            with frames_sent_together(channel.connection):
                for outgoing in messages:
                    channel.basic_publish(
                        amqp_message(outgoing, self.user),
                        exchange=outgoing.exchange,
                        routing_key=outgoing.routing_key,
                        mandatory=True,
                    )
                    self._tag += 1
                    self._pending[self._tag] = sent
                    sent += 1
            deadline = time.monotonic() + self.confirm_timeout_s
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    unconfirmed = len(self._pending)
                    raise TimeoutError(f"{unconfirmed} message(s) unconfirmed after {self.confirm_timeout_s:.0f}s")
                try:
                    self._connection.drain_events(timeout=remaining)  # type: ignore[union-attr]
                except TimeoutError:  # socket.timeout: nothing arrived yet
                    continue
        except Exception as error:  # the connection or channel is unusable: whatever is unsettled failed
            broken = f"{type(error).__name__}: {error}"
            self.close()
        failures = dict(self._failures)
        for position in self._pending.values():
            failures[position] = f"unconfirmed: {broken}"
        for position, outgoing in enumerate(messages):
            if position >= sent:
                failures[position] = f"not sent: {broken}"
            elif position not in failures and outgoing.message_id in self._returned:
                failures[position] = "the broker returned it as unroutable (is the alternate exchange declared?)"
        self._pending = {}
        return Published(failures, len(messages), broken)

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
        """Publish one message with any other AMQP properties; return once confirmed, or raise PublishFailed."""
        published = self.publish_many([Outgoing(body, exchange, routing_key, message_id, headers, properties)])
        if published.failures:
            raise PublishFailed(f"publishing {message_id} failed: {published.failures[0]}")

    def close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
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
        follow_s: float = FOLLOW_S,
        follow_budget_s: float = FOLLOW_BUDGET_S,
    ):
        self.engine = engine
        self.publisher = publisher
        self.service = service
        self.batch_size = batch_size
        self.max_backoff_s = max_backoff_s
        self.follow_s = follow_s
        self.follow_budget_s = follow_budget_s
        self.lock_key = advisory_key(f"plr.outbox.relay.{service}")
        self.stats = RelayStats()
        self._backoff_s = 0.0
        self._next_attempt = 0.0
        self._last_beat = 0.0
        # both exported at 0 from the worker's start: PlrRelayFailing (deploy/prometheus/alerts.yml) needs
        # the published series to say 0 when the relay never published, and increase() sees a first failure
        # only if the series existed before it
        RELAY_PUBLISHED.labels(service)
        RELAY_FAILURES.labels(service)

    def relay_once(self) -> int:
        """Publish one batch. Returns how many were published; raises PublishFailed if any was not
        confirmed (after marking those that were)."""
        with self.engine.begin() as connection:
            locked = connection.execute(TRY_RELAY_LOCK, {"key": self.lock_key}).scalar()
            if not locked:
                return 0
            rows = connection.execute(NEXT_UNPUBLISHED, {"batch": self.batch_size}).all()
            if not rows:
                return 0
            outcome = self.publisher.publish_many(
                [
                    Outgoing(
                        row.payload.encode(),
                        EVENTS_EXCHANGE,
                        row.routing_key,
                        str(row.event_id),
                        {"ce-type": row.event_type, SUBJECT_HEADER: f"{row.aggregate_type}/{row.aggregate_id}"},
                    )
                    for row in rows
                ]
            )
            published = [rows[n].id for n in outcome.confirmed]
            if published:
                connection.execute(MARK_PUBLISHED, {"ids": published})
            for position, why in outcome.failures.items():
                connection.execute(
                    outbox.update()
                    .where(outbox.c.id == rows[position].id)
                    .values(publish_attempts=outbox.c.publish_attempts + 1, last_error=why[:500])
                )
        self.stats.published += len(published)
        RELAY_PUBLISHED.labels(self.service).inc(len(published))
        if outcome.failures:
            first = min(outcome.failures)
            raise PublishFailed(
                f"{len(outcome.failures)} of {len(rows)} not confirmed, first {rows[first].event_id}: "
                f"{outcome.failures[first]}"
            )
        return len(published)

    def tick(self, now: float | None = None) -> int:
        """One timer tick: publish until the outbox is drained, and while events keep arriving follow
        them (a pass every ``follow_s``, for up to ``follow_budget_s``); back off while the broker or
        the database is away (a database outage is a warning, not an error every tick)."""
        now = time.monotonic() if now is None else now
        if now < self._next_attempt:
            return 0
        total = 0
        following_until = time.monotonic() + self.follow_budget_s
        try:
            while True:
                count = self.relay_once()
                total += count
                if count >= self.batch_size:
                    continue
                if count == 0 or time.monotonic() >= following_until:
                    break
                time.sleep(self.follow_s)  # green in a worker: its consumers run meanwhile
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
