"""Idempotent, version-aware event consumption.

A handler's writes and the ``(consumer, event id)`` inbox row commit in one transaction, so a
redelivered event is acknowledged and skipped. Handlers compare the event's aggregate version with
what they hold, so a late or replayed event never undoes a newer state.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection, Engine

from services.common.db import db_error_summary, is_database_fault, scoped_transaction
from services.common.events import CloudEvent, InvalidEvent, SchemaRegistry, default_registry
from services.common.logs import correlated
from services.common.metrics import CONSUMER_EVENTS, CONSUMER_LAG, DEAD_LETTERS, HANDLER_LATENCY
from services.common.platform_tables import inbox
from services.common.tenancy import TenantScope

log = logging.getLogger(__name__)

EventHandler = Callable[[Connection, CloudEvent], None]


class DeadLetter(Exception):
    """The message can never be handled: reject it to the dead-letter queue with its body intact."""


class OutageOutlasted(Exception):
    """A database outage outlasted the in-process retries (``transient_budget_s``): the message must go
    back to the queue without being counted against its delivery limit.

    The worker publishes a fresh, confirmed copy to the same queue and then acknowledges this delivery
    (ADR 0004): a plain requeue counts toward the quorum queue's delivery limit (20), so an outage of
    some 20 budgets would dead-letter every held message, and holding the delivery for the whole outage
    runs into RabbitMQ's consumer timeout (30 minutes), which closes the channel and counts too. A copy
    published before the ack may be applied twice only if both arrive: the inbox makes the second a
    duplicate. The budget stays well under the consumer timeout."""


@dataclass
class ConsumerStats:
    applied: int = 0
    duplicates: int = 0
    ignored: int = 0
    handler_failures: int = 0
    transient_retries: int = 0
    given_back: int = 0  # outages that outlasted a delivery's budget
    dead_lettered: int = 0


@dataclass
class InboxConsumer:
    """Applies each event once. ``handlers`` maps event type to handler; other types are acknowledged."""

    name: str
    engine: Engine
    handlers: Mapping[str, EventHandler]
    registry: SchemaRegistry = field(default_factory=default_registry)
    max_handler_attempts: int = 3
    handler_backoff_s: float = 0.05
    transient_budget_s: float = 300.0  # per delivery: then the message goes back as a fresh copy
    transient_backoff_max_s: float = 5.0  # capped: the consumer catches up soon after the database returns
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    stats: ConsumerStats = field(default_factory=ConsumerStats)

    def apply_once(self, event: CloudEvent) -> bool:
        """One transaction: the inbox row and the handler's writes. False if already applied."""
        handler = self.handlers.get(event.type)
        scope = TenantScope.trust(event.trust_ods) if event.trust_ods else TenantScope.platform_wide()
        with scoped_transaction(self.engine, scope) as connection:
            inserted = connection.execute(
                insert(inbox)
                .values(consumer=self.name, event_id=event.id, event_type=event.type)
                .on_conflict_do_nothing()
                .returning(inbox.c.event_id)
            ).first()
            if inserted is None:
                return False
            if handler is not None:
                handler(connection, event)
        return True

    def process(self, raw: bytes) -> None:
        """Handle one delivery. Raises DeadLetter or OutageOutlasted; returning means acknowledge."""
        try:
            event = self.registry.parse(raw)
        except InvalidEvent as error:
            self._count("dead_lettered")
            log.error("%s: dead-lettering an invalid event: %s", self.name, error)
            raise DeadLetter(str(error)) from None
        started = time.perf_counter()
        try:
            with correlated(event.correlation_id or event.id):
                self._process_event(event)
        finally:
            HANDLER_LATENCY.labels(self.name).observe(time.perf_counter() - started)
        CONSUMER_LAG.labels(self.name).observe(max(0.0, _seconds_since(event.time)))

    def _count(self, outcome: str) -> None:
        """One settled delivery, in the stats and the metrics alike."""
        setattr(self.stats, outcome, getattr(self.stats, outcome) + 1)
        CONSUMER_EVENTS.labels(self.name, outcome).inc()
        if outcome == "dead_lettered":
            DEAD_LETTERS.labels(self.name).inc()

    def _process_event(self, event: CloudEvent) -> None:
        failures = 0
        transient_started: float | None = None
        delay = min(self.handler_backoff_s, self.transient_backoff_max_s)
        while True:
            try:
                applied = self.apply_once(event)
            except Exception as error:
                if is_database_fault(error):  # an outage or a refused role is not the message's fault: never counted
                    self.stats.transient_retries += 1
                    if transient_started is None:
                        transient_started = self.clock()
                        log.warning(
                            "%s: database unavailable, retrying %s with backoff: %s",
                            self.name,
                            event.id,
                            db_error_summary(error),
                            extra={"event_id": event.id, "event_type": event.type},
                        )
                    elif self.clock() - transient_started > self.transient_budget_s:
                        self._count("given_back")
                        log.warning(
                            "%s: database still unavailable after %.0fs, giving %s back to the queue uncounted",
                            self.name,
                            self.transient_budget_s,
                            event.id,
                            extra={"event_id": event.id, "event_type": event.type},
                        )
                        raise OutageOutlasted(db_error_summary(error)) from None
                    self.sleep(delay)
                    delay = min(delay * 2, self.transient_backoff_max_s)
                    continue
                failures += 1
                self.stats.handler_failures += 1
                log.warning(
                    "%s: handler failed on %s (attempt %d of %d): %s: %s",
                    self.name,
                    event.type,
                    failures,
                    self.max_handler_attempts,
                    type(error).__name__,
                    error,
                    extra={"event_id": event.id, "event_type": event.type, "attempt": failures},
                )
                if failures >= self.max_handler_attempts:
                    self._count("dead_lettered")
                    raise DeadLetter(f"{type(error).__name__}: {error}") from None
                self.sleep(self.handler_backoff_s * (2 ** (failures - 1)))
                continue
            self._count("applied" if applied else "duplicates")
            return


def _seconds_since(timestamp: str) -> float:
    """Seconds from an event's ``time`` (RFC 3339) to now; 0 when it cannot be read."""
    try:
        then = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    return (datetime.now(UTC) - then).total_seconds()
