"""Idempotent, version-aware event consumption.

A handler's writes and the ``(consumer, event id)`` inbox row commit in one transaction, so a
redelivered event is acknowledged and skipped. Handlers compare the event's aggregate version with
what they hold, so a late or replayed event never undoes a newer state.

Deliveries are applied in batches (``process_batch``): one transaction holds the inbox rows of the
whole batch (one statement) and every handler's writes, in delivery order, and commits once; each
delivery is settled only after that commit. If a handler fails, the batch is rolled back and each of
its events is then retried alone (``process`` semantics: counted attempts, the failing event's
batch attempt its first), so one failing event cannot sink its neighbours. A database outage during
a batch is retried for the batch as a whole, within the same budget as one delivery.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from services.common.broker_users import Sender, SenderCheck
from services.common.db import apply_scope, db_error_summary, is_database_fault
from services.common.events import CloudEvent, InvalidEvent, SchemaRegistry, default_registry
from services.common.logs import correlated
from services.common.metrics import CONSUMER_EVENTS, CONSUMER_LAG, DEAD_LETTERS, HANDLER_LATENCY
from services.common.tenancy import TenantScope

log = logging.getLogger(__name__)

EventHandler = Callable[[Connection, CloudEvent], None]
T = TypeVar("T")


class DeadLetter(Exception):
    """The message can never be handled: reject it to the dead-letter queue with its body intact."""


class HandlerFailed(Exception):
    """A handler raised (the error is this one's cause) while applying ``event`` in a batch."""

    def __init__(self, event: CloudEvent):
        super().__init__(f"the handler of {event.type} failed on {event.id}")
        self.event = event


class OutageOutlasted(Exception):
    """A database outage outlasted the in-process retries (``transient_budget_s``): the message must go
    back to the queue without being counted against its delivery limit.

    The worker publishes a fresh, confirmed copy to the same queue and then acknowledges this delivery
    (ADR 0004): a plain requeue counts toward the quorum queue's delivery limit (20), so an outage of
    some 20 budgets would dead-letter every held message, and holding the delivery for the whole outage
    runs into RabbitMQ's consumer timeout (30 minutes), which closes the channel and counts too. A copy
    published before the ack may be applied twice only if both arrive: the inbox makes the second a
    duplicate. The budget stays well under the consumer timeout."""


# one statement for a batch of any size, built once: a multi-row VALUES was compiled afresh for
# every batch (a new statement per batch size), a few per cent of a consuming worker's CPU
RECEIVE_INTO_INBOX = sa.text(
    "INSERT INTO inbox (consumer, event_id, event_type) "
    "SELECT :consumer, received.event_id, received.event_type "
    "FROM unnest(CAST(:ids AS uuid[]), CAST(:types AS text[])) AS received (event_id, event_type) "
    "ON CONFLICT DO NOTHING RETURNING event_id"
)


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
    # who may send which event (ADR 0009): every worker checks; None only where a test feeds events itself
    senders: SenderCheck | None = None
    max_handler_attempts: int = 3
    handler_backoff_s: float = 0.05
    transient_budget_s: float = 300.0  # per delivery: then the message goes back as a fresh copy
    transient_backoff_max_s: float = 5.0  # capped: the consumer catches up soon after the database returns
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    stats: ConsumerStats = field(default_factory=ConsumerStats)

    def __post_init__(self) -> None:
        # exported at 0 from the worker's start: an alert on its increase() (deploy/prometheus/alerts.yml)
        # sees the first dead letter only if the series existed before it
        DEAD_LETTERS.labels(self.name)

    def apply_once(self, event: CloudEvent) -> bool:
        """One transaction: the inbox row and the handler's writes. False if already applied."""
        return self.apply_batch([event])[0]

    def apply_batch(self, events: Sequence[CloudEvent]) -> list[bool]:
        """One transaction: the inbox rows of every event (one statement) and the handlers of those not
        applied before, each under its event's tenant. Per event: False if a duplicate. A handler's
        error is raised as HandlerFailed, naming its event, from the error.

        Handlers run grouped by aggregate, each aggregate's events in delivery order: consumers of one
        queue then lock aggregates in the same order, so two batches cannot deadlock on them."""
        fresh = [False] * len(events)
        with self.engine.begin() as connection:
            inserted = {
                str(row.event_id)
                for row in connection.execute(
                    RECEIVE_INTO_INBOX,
                    {"consumer": self.name, "ids": [e.id for e in events], "types": [e.type for e in events]},
                )
            }
            scope: TenantScope | None = None
            for n in sorted(range(len(events)), key=lambda n: (events[n].aggregate_type, events[n].aggregate_id, n)):
                event = events[n]
                if event.id not in inserted:  # applied before, or earlier in this batch
                    continue
                inserted.discard(event.id)
                fresh[n] = True
                handler = self.handlers.get(event.type)
                if handler is None:
                    continue
                wanted = TenantScope.trust(event.trust_ods) if event.trust_ods else TenantScope.platform_wide()
                if wanted != scope:
                    apply_scope(connection, wanted)
                    scope = wanted
                try:
                    handler(connection, event)
                except Exception as error:
                    raise HandlerFailed(event) from error
        return fresh

    def parse(self, raw: bytes, sender: Sender | None = None) -> CloudEvent:
        """The one check of a delivery before its handler: an event of a known, valid contract, sent by
        the broker user of the service that owns it (``sender``: its ``user_id``, vouched for by the
        broker, and whether it is a sealed give-back copy), or DeadLetter."""
        try:
            event = self.registry.parse(raw)
        except InvalidEvent as error:
            self._settled("dead_lettered")
            log.error("%s: dead-lettering an invalid event: %s", self.name, error)
            raise DeadLetter(str(error)) from None
        refused = self.senders.refusal(event, sender or Sender(None)) if self.senders is not None else None
        if refused is not None:
            self._settled("dead_lettered")
            log.error(
                "%s: dead-lettering %s %s, not sent by its service: %s",
                self.name,
                event.type,
                event.id,
                refused,
                extra={"event_id": event.id, "event_type": event.type},
            )
            raise DeadLetter(refused)
        return event

    def process(self, raw: bytes, sender: Sender | None = None) -> None:
        """Handle one delivery. Raises DeadLetter or OutageOutlasted; returning means acknowledge."""
        event = self.parse(raw, sender)
        started = time.perf_counter()
        try:
            with correlated(event.correlation_id or event.id):
                self._process_event(event)
        finally:
            HANDLER_LATENCY.labels(self.name).observe(time.perf_counter() - started)

    def process_batch(self, raws: Sequence[bytes], senders: Sequence[Sender] | None = None) -> list[Exception | None]:
        """Handle deliveries together (``senders``: who sent each); per delivery (in order)
        None to acknowledge, or what ``process`` would have raised for it alone (DeadLetter,
        OutageOutlasted, or another error: requeue)."""
        outcomes: list[Exception | None] = [None] * len(raws)
        events: list[tuple[int, CloudEvent]] = []
        unknown: list[Sender | None] = [None] * len(raws)
        for position, (raw, sender) in enumerate(zip(raws, senders or unknown, strict=True)):
            try:
                events.append((position, self.parse(raw, sender)))
            except DeadLetter as dead:
                outcomes[position] = dead
        if not events:
            return outcomes
        started = time.perf_counter()
        try:
            return self._apply_parsed(events, outcomes)
        finally:
            HANDLER_LATENCY.labels(self.name).observe(time.perf_counter() - started)

    def _apply_parsed(
        self, events: list[tuple[int, CloudEvent]], outcomes: list[Exception | None]
    ) -> list[Exception | None]:
        try:
            batch = [e for _, e in events]
            applied = self._through_outages(lambda: self.apply_batch(batch), batch)
        except OutageOutlasted as outage:
            for position, _ in events:
                outcomes[position] = outage
            return outcomes
        except Exception as error:
            failing = error.event if isinstance(error, HandlerFailed) else None
            if failing is not None:
                self.stats.handler_failures += 1
                self._log_handler_failure(failing, 1, error.__cause__ if error.__cause__ else error)
            log.info("%s: a batch of %d failed; each event is retried alone", self.name, len(events))
            for position, event in events:
                try:
                    with correlated(event.correlation_id or event.id):
                        self._process_event(event, failures=1 if event is failing else 0)
                except Exception as alone:
                    outcomes[position] = alone
            return outcomes
        for event, fresh in zip(batch, applied, strict=True):
            self._count(event, fresh)
        return outcomes

    def _count(self, event: CloudEvent, applied: bool) -> None:
        self._settled("applied" if applied else "duplicates")
        if applied:
            CONSUMER_LAG.labels(self.name).observe(max(0.0, _seconds_since(event.time)))

    def _settled(self, outcome: str) -> None:
        """One settled delivery, in the stats and the metrics alike."""
        setattr(self.stats, outcome, getattr(self.stats, outcome) + 1)
        CONSUMER_EVENTS.labels(self.name, outcome).inc()
        if outcome == "dead_lettered":
            DEAD_LETTERS.labels(self.name).inc()

    def _through_outages(self, attempt: Callable[[], T], events: Sequence[CloudEvent]) -> T:
        """Run ``attempt`` (the application of ``events``), retrying with capped backoff while the
        database is at fault, for up to ``transient_budget_s``; then OutageOutlasted, each event's
        give-back logged. Any other error is raised at once."""
        transient_started: float | None = None
        delay = min(self.handler_backoff_s, self.transient_backoff_max_s)
        while True:
            try:
                return attempt()
            except Exception as error:
                if not is_database_fault(error):  # an outage or a refused role is not the message's fault
                    raise
                self.stats.transient_retries += 1
                if transient_started is None:
                    transient_started = self.clock()
                    for event in events:
                        log.warning(
                            "%s: database unavailable, retrying %s with backoff: %s",
                            self.name,
                            event.id,
                            db_error_summary(error),
                            extra={"event_id": event.id, "event_type": event.type},
                        )
                elif self.clock() - transient_started > self.transient_budget_s:
                    for event in events:
                        self._settled("given_back")
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

    def _log_handler_failure(self, event: CloudEvent, failures: int, error: BaseException) -> None:
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

    def _process_event(self, event: CloudEvent, failures: int = 0) -> None:
        """One event alone, its handler tried up to ``max_handler_attempts`` times in all (``failures``
        already counted), through database outages (never counted)."""
        while True:
            try:
                applied = self._through_outages(lambda: self.apply_once(event), [event])
            except OutageOutlasted:
                raise
            except Exception as raised:
                error = raised.__cause__ if isinstance(raised, HandlerFailed) and raised.__cause__ else raised
                failures += 1
                self.stats.handler_failures += 1
                self._log_handler_failure(event, failures, error)
                if failures >= self.max_handler_attempts:
                    self._settled("dead_lettered")
                    raise DeadLetter(f"{type(error).__name__}: {error}") from None
                self.sleep(self.handler_backoff_s * (2 ** (failures - 1)))
                continue
            self._count(event, applied)
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
