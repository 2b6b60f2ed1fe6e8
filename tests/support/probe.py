"""The probe: a tiny service built from the platform's own machinery, for reliability proofs and the benchmark.

A *probe site* is one run's probe database (made with a service's own migrations, so it has the real
``outbox`` and ``inbox``, plus a few probe tables made here with plain SQL) and its own vhost with
the platform topology and a probe queue bound to ``diagnostics.probe.recorded``.

The *producer* commits business transactions: each bumps a ``probe_source`` row's version and writes
one ``plr.diagnostics.probe.recorded.v1`` event to the outbox in the same transaction, and keeps its
own list of what it produced (event id, aggregate, version) - the independent record a checker
counts against.

The *worker* (``python -m tests.support.probe_worker``, see there) relays the outbox and/or consumes
the probe queue with ``InboxConsumer``: an event is applied to ``probe_state`` only when its version
is newer, and an effect row (applied or ignored) is written in the same transaction as the inbox
row. Observations that must survive a rolled-back transaction or a SIGKILL (deliveries, duplicates,
handler failures, worker counters) are written in their own transactions.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import kombu
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection, Engine

from services.common.broker_users import ADMIN_USER_SUFFIX, BrokerUsers, Sender, connection_user, uri_as
from services.common.db import make_engine
from services.common.events import CloudEvent
from services.common.inbox import EventHandler, InboxConsumer
from services.common.migrate import bootstrap_database, migrate_database
from services.common.outbox import add_to_outbox
from services.common.platform_tables import outbox
from services.common.settings import ServiceDatabase
from services.common.topology import (
    Management,
    QueueSpec,
    declare_topology,
    delete_broker_users,
    ensure_broker_users,
    service_permissions,
)
from tests.support.infra import SERVICES

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
# any service's migrations give the platform tables (outbox, inbox, heartbeats); matching's are small
PROBE_MIGRATIONS = ROOT / "services" / "matching" / "migrations"

PROBE_EVENT_TYPE = "plr.diagnostics.probe.recorded.v1"
PROBE_ROUTING_KEY = "diagnostics.probe.recorded"
PROBE_SERVICE = "diagnostics"  # the probe's events are this service's (its own broker user sends them)
PROBE_SOURCE = "plr/diagnostics"
PROBE_AGGREGATE_TYPE = "probe"
PROBE_QUEUE = "probe.recorded"
PROBE_CONSUMER = "probe.state"
# a probe event with this note makes the handler raise, until the remedy is recorded in probe_control
POISON_NOTE = "poison"
POISON_REMEDIED = "poison-remedied"

# the probe's own tables, beside the platform ones; plain SQL, made by the site after migrating
PROBE_TABLES_SQL = """
CREATE TABLE probe_source (
    aggregate_id text PRIMARY KEY,
    version bigint NOT NULL DEFAULT 0
);
CREATE TABLE probe_state (
    aggregate_id text PRIMARY KEY,
    version bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE TABLE probe_effects (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consumer text NOT NULL,
    event_id uuid NOT NULL,
    aggregate_id text NOT NULL,
    version bigint NOT NULL,
    outcome text NOT NULL CHECK (outcome IN ('applied', 'ignored')),
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE TABLE probe_observations (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    worker text NOT NULL,
    event_id uuid,
    kind text NOT NULL,
    observed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE TABLE probe_worker_stats (
    worker text PRIMARY KEY,
    published bigint NOT NULL DEFAULT 0,
    publish_failures bigint NOT NULL DEFAULT 0,
    broker_connections bigint NOT NULL DEFAULT 0,
    applied bigint NOT NULL DEFAULT 0,
    duplicates bigint NOT NULL DEFAULT 0,
    handler_failures bigint NOT NULL DEFAULT 0,
    dead_lettered bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE TABLE probe_control (name text PRIMARY KEY);
"""

metadata = sa.MetaData()
probe_source = sa.Table(
    "probe_source",
    metadata,
    sa.Column("aggregate_id", sa.Text, primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
)
probe_state = sa.Table(
    "probe_state",
    metadata,
    sa.Column("aggregate_id", sa.Text, primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True)),
)
probe_effects = sa.Table(
    "probe_effects",
    metadata,
    sa.Column("seq", sa.BigInteger, sa.Identity(always=True), primary_key=True),
    sa.Column("consumer", sa.Text, nullable=False),
    sa.Column("event_id", postgresql.UUID(as_uuid=False), nullable=False),
    sa.Column("aggregate_id", sa.Text, nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("outcome", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True)),
)
probe_observations = sa.Table(
    "probe_observations",
    metadata,
    sa.Column("seq", sa.BigInteger, sa.Identity(always=True), primary_key=True),
    sa.Column("worker", sa.Text, nullable=False),
    sa.Column("event_id", postgresql.UUID(as_uuid=False)),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("observed_at", sa.DateTime(timezone=True)),
)
probe_worker_stats = sa.Table(
    "probe_worker_stats",
    metadata,
    sa.Column("worker", sa.Text, primary_key=True),
    sa.Column("published", sa.BigInteger),
    sa.Column("publish_failures", sa.BigInteger),
    sa.Column("broker_connections", sa.BigInteger),
    sa.Column("applied", sa.BigInteger),
    sa.Column("duplicates", sa.BigInteger),
    sa.Column("handler_failures", sa.BigInteger),
    sa.Column("dead_lettered", sa.BigInteger),
    sa.Column("updated_at", sa.DateTime(timezone=True)),
)
probe_control = sa.Table("probe_control", metadata, sa.Column("name", sa.Text, primary_key=True))

# observation kinds
DELIVERY = "delivery"
DUPLICATE = "duplicate"
HANDLER_FAILURE = "handler-failure"


# ---------------------------------------------------------------------------------------------
# the site: one run's probe database and vhost


def with_path(url: str, path: str, user: str | None = None) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc
    if user is not None:
        netloc = user + "@" + netloc.split("@")[-1]
    return urlunsplit((parts.scheme, netloc, path, "", ""))


@dataclass
class ProbeSite:
    """A probe database (migrated like a service's) and a vhost with the platform topology."""

    pg_admin_url: str
    amqp_base_uri: str  # the broker, without a vhost
    management_url: str
    suffix: str
    queues: tuple[QueueSpec, ...]
    # other services whose routing keys the probe's relay may publish too (its outbox holds their events)
    also_publishes: tuple[str, ...] = ()
    _engine: Engine | None = None
    # the site's broker users' passwords (the probe service's and the administrator's), made with it
    _passwords: dict[str, str] = field(
        default_factory=lambda: {PROBE_SERVICE: secrets.token_urlsafe(24), ADMIN_USER_SUFFIX: secrets.token_urlsafe(24)}
    )

    @property
    def dbname(self) -> str:
        return f"plr_probe_{self.suffix}"

    @property
    def database(self) -> ServiceDatabase:
        return ServiceDatabase(
            "probe",
            app_url=with_path(self.pg_admin_url, "/" + self.dbname, f"{self.dbname}_app"),
            owner_url=with_path(self.pg_admin_url, "/" + self.dbname, f"{self.dbname}_owner"),
        )

    @property
    def vhost(self) -> str:
        return f"/plr-probe-{self.suffix}"

    @property
    def users(self) -> BrokerUsers:
        """The site's own broker users (global in RabbitMQ: uniquely named, deleted with the site)."""
        return BrokerUsers(f"plr-p{self.suffix}-")

    @property
    def amqp_uri(self) -> str:
        """The probe service's own connection (its relay and its consumers), as its broker user."""
        return uri_as(self._vhost_uri, self.users.of(PROBE_SERVICE), self._passwords[PROBE_SERVICE])

    @property
    def admin_amqp_uri(self) -> str:
        """The administrator's connection (``plr``; may publish any routing key and impersonate)."""
        return uri_as(self._vhost_uri, self.users.admin, self._passwords[ADMIN_USER_SUFFIX])

    @property
    def _vhost_uri(self) -> str:
        return with_path(self.amqp_base_uri, "/" + quote(self.vhost, safe=""))

    def amqp_uri_via(self, host: str, port: int) -> str:
        """This vhost's URI through another address (a proxy in front of the broker)."""
        parts = urlsplit(self.amqp_uri)
        credentials = parts.netloc.rpartition("@")[0]
        return urlunsplit((parts.scheme, f"{credentials}@{host}:{port}", parts.path, "", ""))

    @property
    def engine(self) -> Engine:
        """The application role's engine, for the test process (the probe worker makes its own)."""
        if self._engine is None:
            self._engine = make_engine(self.database.app_url, pool_size=6, application_name="plr-probe-test")
        return self._engine

    def management(self) -> Management:
        return Management(self.management_url, self.vhost)

    def plr_env(self) -> dict[str, str]:
        """Settings for the ``plr`` command on this site (every service's database is the probe's)."""
        env = {
            "PLR_ENV_FILE": "/nonexistent/plr.env",
            "PLR_AMQP_URI": self.admin_amqp_uri,
            "PLR_AMQP_MANAGEMENT_URL": self.management_url,
            "PLR_AMQP_USER_PREFIX": self.users.prefix,
            "PLR_LOG_LEVEL": "WARNING",
        }
        for service in SERVICES:
            env[f"PLR_DATABASE_URL_{service.upper()}"] = self.database.app_url
        return env

    def create(self) -> None:
        bootstrap_database(self.pg_admin_url, self.database)
        migrate_database(self.database, PROBE_MIGRATIONS)
        app_role = f"{self.dbname}_app"
        owner = make_engine(self.database.owner_url, pool_size=1, application_name="plr-probe-setup")
        try:
            with owner.begin() as connection:
                connection.exec_driver_sql(PROBE_TABLES_SQL)
                connection.exec_driver_sql(
                    f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{app_role}"'
                )
                connection.exec_driver_sql(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{app_role}"')
        finally:
            owner.dispose()
        ensure_broker_users(self.management(), self.users, self._passwords)
        publisher = (PROBE_SERVICE, self.users.of(PROBE_SERVICE))
        declare_topology(self.management_url, self.vhost, self.queues, publisher)
        if self.also_publishes:
            own = service_permissions(PROBE_SERVICE, self.queues)
            prefixes = "|".join(re.escape(s) for s in (PROBE_SERVICE, *self.also_publishes))
            self.management().permit(publisher[1], replace(own, events_write=f"^({prefixes})\\."))

    def drop(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        try:
            try:
                self.management().delete_vhost()
            finally:
                delete_broker_users(self.management(), self.users, (PROBE_SERVICE,))
        finally:
            admin = make_engine(self.pg_admin_url, pool_size=1, application_name="plr-probe-drop")
            try:
                with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                    connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')
                    for role in (f"{self.dbname}_app", f"{self.dbname}_owner"):
                        connection.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
            finally:
                admin.dispose()

    # --- reading what happened

    def effects(self) -> list[sa.Row[Any]]:
        with self.engine.connect() as connection:
            return list(connection.execute(sa.select(probe_effects).order_by(probe_effects.c.seq)).all())

    def effect_count(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(sa.select(sa.func.count()).select_from(probe_effects)).scalar_one())

    def observations(self, kind: str | None = None, event_id: str | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(probe_observations)
        if kind is not None:
            query = query.where(probe_observations.c.kind == kind)
        if event_id is not None:
            query = query.where(probe_observations.c.event_id == event_id)
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def state(self) -> dict[str, int]:
        with self.engine.connect() as connection:
            return {r.aggregate_id: r.version for r in connection.execute(sa.select(probe_state)).all()}

    def unpublished(self) -> int:
        with self.engine.connect() as connection:
            return int(
                connection.execute(
                    sa.select(sa.func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
                ).scalar_one()
            )

    def outbox_payload(self, event_id: str) -> bytes:
        with self.engine.connect() as connection:
            payload = connection.execute(sa.select(outbox.c.payload).where(outbox.c.event_id == event_id)).scalar_one()
        return str(payload).encode()

    def worker_totals(self) -> dict[str, int]:
        """Counters summed over every worker process that ran (a SIGKILLed one keeps its last report)."""
        columns = (
            "published",
            "publish_failures",
            "broker_connections",
            "applied",
            "duplicates",
            "handler_failures",
            "dead_lettered",
        )
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(*(sa.func.coalesce(sa.func.sum(probe_worker_stats.c[c]), 0) for c in columns))
            ).one()
        return dict(zip(columns, (int(v) for v in row), strict=True))

    def remedy_poison(self) -> None:
        with self.engine.begin() as connection:
            connection.execute(insert(probe_control).values(name=POISON_REMEDIED).on_conflict_do_nothing())

    def queue_depth(self, queue: str) -> int:
        """Messages ready in a queue, from the broker itself (the management API's figures lag)."""
        with kombu.Connection(self.admin_amqp_uri, connect_timeout=5) as connection:
            channel = connection.channel()
            try:
                _, messages, _ = channel.queue_declare(queue=queue, passive=True)
            finally:
                channel.close()
        return int(messages)


@contextmanager
def probe_site(
    pg_admin_url: str,
    amqp_uri: str,
    management_url: str,
    queues: tuple[QueueSpec, ...] = (QueueSpec(PROBE_QUEUE, (PROBE_ROUTING_KEY,)),),
    also_publishes: tuple[str, ...] = (),
) -> Iterator[ProbeSite]:
    """Make a probe site with unique names on these servers; drop it afterwards."""
    site = ProbeSite(
        pg_admin_url, with_path(amqp_uri, "/"), management_url, secrets.token_hex(4), queues, also_publishes
    )
    try:
        site.create()
        yield site
    finally:
        site.drop()


# ---------------------------------------------------------------------------------------------
# the producer


@dataclass(frozen=True)
class Produced:
    event_id: str
    aggregate_id: str
    version: int


def probe_event(aggregate_id: str, version: int, note: str | None = None) -> CloudEvent:
    data: dict[str, Any] = {"probe": aggregate_id, "sequence": version}
    if note is not None:
        data["note"] = note
    return CloudEvent(
        type=PROBE_EVENT_TYPE,
        source=PROBE_SOURCE,
        data=data,
        aggregate_type=PROBE_AGGREGATE_TYPE,
        aggregate_id=aggregate_id,
        aggregate_version=version,
    )


# built once, like the handler's statements below: a producer thread is a business transaction's
# stand-in, and building the statement per call cost a quarter of its CPU
PROBE_NEXT_VERSION = (
    probe_source.update()
    .where(probe_source.c.aggregate_id == sa.bindparam("aggregate"))
    .values(version=probe_source.c.version + 1)
    .returning(probe_source.c.version)
)


def _next_version(connection: Connection, aggregate_id: str, note: str | None) -> Produced:
    """The aggregate's next version and its event in the outbox, in the caller's transaction."""
    version = connection.execute(PROBE_NEXT_VERSION, {"aggregate": aggregate_id}).scalar_one()
    event = probe_event(aggregate_id, version, note)
    add_to_outbox(connection, [event])
    return Produced(event.id, aggregate_id, version)


class ProbeProducer:
    """Commits business transactions (a source row's new version and its event, together) and keeps
    its own list of what it committed. Thread-safe: several threads may produce at once."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.produced: list[Produced] = []
        self._lock = threading.Lock()

    def seed(self, aggregates: Sequence[str]) -> None:
        with self.engine.begin() as connection:
            connection.execute(insert(probe_source), [{"aggregate_id": a, "version": 0} for a in aggregates])

    def produce(self, aggregate_id: str, note: str | None = None) -> Produced:
        with self.engine.begin() as connection:
            produced = _next_version(connection, aggregate_id, note)
        return self._record(produced)

    def produce_backlog(self, aggregate_ids: Sequence[str]) -> list[Produced]:
        """One event per entry (an aggregate may repeat: its versions follow the order given), all
        committed in one transaction: a backlog that appears in the outbox at once."""
        with self.engine.begin() as connection:
            produced = [_next_version(connection, aggregate_id, None) for aggregate_id in aggregate_ids]
        return [self._record(p) for p in produced]

    def produce_event(self, event: CloudEvent) -> Produced:
        """Commit any valid event (another type, say) through the outbox."""
        with self.engine.begin() as connection:
            add_to_outbox(connection, [event])
        return self._record(Produced(event.id, event.aggregate_id, event.aggregate_version))

    def _record(self, produced: Produced) -> Produced:
        # only after the commit returned: a transaction that failed produced nothing
        with self._lock:
            self.produced.append(produced)
        return produced


def publish_raw(
    amqp_uri: str, body: bytes, *, message_id: str, routing_key: str = PROBE_ROUTING_KEY, exchange: str = "plr.events"
) -> None:
    """Publish bytes straight to the bus (confirmed), bypassing the outbox, stamped with the connection's
    broker user as the relay stamps them: for redelivery tests."""
    with kombu.Connection(amqp_uri, transport_options={"confirm_publish": True}, connect_timeout=5) as connection:
        producer = kombu.Producer(connection.channel())
        producer.publish(
            body,
            exchange=exchange,
            routing_key=routing_key,
            content_type="application/cloudevents+json",
            content_encoding="utf-8",
            delivery_mode=2,
            mandatory=True,
            message_id=message_id,
            user_id=connection_user(amqp_uri),
            retry=False,
        )


# ---------------------------------------------------------------------------------------------
# the consumer side (runs inside the probe worker process)


class ProbePoisoned(Exception):
    """The poison rule: this event cannot be handled (until the remedy is recorded)."""


class ObservationLog:
    """Writes observations in their own transactions, so a rollback or a SIGKILL cannot take them back."""

    def __init__(self, engine: Engine, worker: str):
        self.engine = engine
        self.worker = worker

    def record(self, event_id: str | None, kind: str) -> None:
        self.record_many([event_id], kind)

    def record_many(self, event_ids: Sequence[str | None], kind: str) -> None:
        if not event_ids:
            return
        with self.engine.begin() as connection:
            connection.execute(
                probe_observations.insert(), [{"worker": self.worker, "event_id": i, "kind": kind} for i in event_ids]
            )


def _probe_upsert() -> Any:
    statement = insert(probe_state).values(aggregate_id=sa.bindparam("aggregate_id"), version=sa.bindparam("version"))
    return statement.on_conflict_do_update(
        index_elements=[probe_state.c.aggregate_id],
        set_={"version": statement.excluded.version, "updated_at": sa.func.clock_timestamp()},
        where=probe_state.c.version < statement.excluded.version,
    ).returning(probe_state.c.version)


# built once, as a hot handler's statements should be: building an INSERT ... ON CONFLICT for every
# event (and SQLAlchemy's cache key of it) took a third of a consuming worker's CPU in ``make bench``
PROBE_UPSERT = _probe_upsert()
PROBE_EFFECT = probe_effects.insert()


def make_probe_handler(consumer: str, observations: ObservationLog) -> EventHandler:
    def apply_probe(connection: Connection, event: CloudEvent) -> None:
        if event.data.get("note") == POISON_NOTE:
            remedied = connection.execute(
                sa.select(probe_control.c.name).where(probe_control.c.name == POISON_REMEDIED)
            ).first()
            if remedied is None:
                observations.record(event.id, HANDLER_FAILURE)
                raise ProbePoisoned(f"probe event {event.id} is poison")
        newer = connection.execute(
            PROBE_UPSERT, {"aggregate_id": event.aggregate_id, "version": event.aggregate_version}
        ).first()
        connection.execute(
            PROBE_EFFECT,
            {
                "consumer": consumer,
                "event_id": event.id,
                "aggregate_id": event.aggregate_id,
                "version": event.aggregate_version,
                "outcome": "applied" if newer is not None else "ignored",
            },
        )

    return apply_probe


@dataclass
class ProbeConsumer(InboxConsumer):
    """The platform's InboxConsumer, observed: deliveries and duplicates are recorded, and an optional
    crash point SIGKILLs the process right after the batch holding the N-th event it applied committed,
    before its acks."""

    observations: ObservationLog | None = None
    observe_deliveries: bool = True
    crash_after: int | None = None

    def process_batch(self, raws: Sequence[bytes], senders: Sequence[Sender] | None = None) -> list[Exception | None]:
        if self.observe_deliveries and self.observations is not None:
            self.observations.record_many([_event_id(raw) for raw in raws], DELIVERY)
        outcomes = super().process_batch(raws, senders)
        if self.crash_after is not None and self.stats.applied >= self.crash_after:
            log.warning(
                "probe: crash point reached after %d applied events: SIGKILL before the ack", self.stats.applied
            )
            os.kill(os.getpid(), signal.SIGKILL)
        return outcomes

    def apply_batch(self, events: Sequence[CloudEvent]) -> list[bool]:
        applied = super().apply_batch(events)
        if self.observations is not None:
            duplicates = [e.id for e, fresh in zip(events, applied, strict=True) if not fresh]
            self.observations.record_many(duplicates, DUPLICATE)
        return applied


def _event_id(raw: bytes) -> str | None:
    try:
        value = json.loads(raw).get("id")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) and len(value) == 36 else None


# ---------------------------------------------------------------------------------------------
# running probe workers from a test


@dataclass
class ProbeWorker:
    """A probe worker subprocess, its output going to a log file (a pipe nobody reads would fill up)."""

    name: str
    argv: list[str]
    log_path: Path
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid

    def exited(self) -> int | None:
        return self.process.poll()

    def wait(self, timeout_s: float) -> int:
        return self.process.wait(timeout=timeout_s)

    def stop(self, timeout_s: float = 30.0) -> int:
        """SIGTERM (a graceful stop), then SIGKILL if it has not exited in time."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return int(self.process.returncode)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def start_probe_worker(
    site: ProbeSite,
    name: str,
    log_dir: Path,
    *,
    relay: bool = False,
    relay_amqp_uri: str | None = None,
    consume: str | None = None,
    crash_after: int | None = None,
    amqp_uri: str | None = None,
    max_workers: int = 4,
    relay_interval_s: float = 0.05,
    observe_deliveries: bool = True,
    database_url: str | None = None,
    outage_budget_s: float | None = None,
    outage_backoff_max_s: float | None = None,
) -> ProbeWorker:
    argv = [
        sys.executable,
        "-m",
        "tests.support.probe_worker",
        "--name",
        name,
        "--database-url",
        database_url or site.database.app_url,
        "--amqp-uri",
        amqp_uri or site.amqp_uri,
        "--max-workers",
        str(max_workers),
        "--relay-interval-s",
        str(relay_interval_s),
        "--amqp-user-prefix",
        site.users.prefix,
    ]
    if relay:
        argv += ["--relay", "--relay-amqp-uri", relay_amqp_uri or amqp_uri or site.amqp_uri]
    if consume:
        argv += ["--consume", consume]
    if crash_after is not None:
        argv += ["--crash-after", str(crash_after)]
    if not observe_deliveries:
        argv += ["--no-observe-deliveries"]
    if outage_budget_s is not None:
        argv += ["--outage-budget-s", str(outage_budget_s)]
    if outage_backoff_max_s is not None:
        argv += ["--outage-backoff-max-s", str(outage_backoff_max_s)]
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    with log_path.open("ab") as output:
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            start_new_session=True,
        )
    return ProbeWorker(name, argv, log_path, process)


def wait_until(condition: Any, timeout_s: float, what: str, interval_s: float = 0.1) -> Any:
    """Poll until ``condition()`` is truthy and return it; raise naming what was awaited."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s:.0f}s waiting for {what}")
        time.sleep(interval_s)


def wait_for_consumers(site: ProbeSite, queue: str, count: int = 1, timeout_s: float = 60.0) -> None:
    def consuming() -> bool:
        with kombu.Connection(site.amqp_uri, connect_timeout=5) as connection:
            channel = connection.channel()
            try:
                _, _, consumers = channel.queue_declare(queue=queue, passive=True)
            finally:
                channel.close()
        return int(consumers) >= count

    wait_until(consuming, timeout_s, f"{count} consumer(s) on {queue}")


# ---------------------------------------------------------------------------------------------
# the checker: every produced event sorted into lost / duplicated / stale-applied / ...


@dataclass
class DeliveryReport:
    produced: int
    effects: int
    lost: list[str] = field(default_factory=list)  # produced, never applied nor ignored
    duplicated: list[str] = field(default_factory=list)  # produced, with more than one effect
    unexpected: list[str] = field(default_factory=list)  # an effect of an event nobody produced
    stale_applied: list[str] = field(default_factory=list)  # applied while a newer version was held
    wrongly_ignored: list[str] = field(default_factory=list)  # ignored though newer than what was held
    wrong_final_state: list[str] = field(default_factory=list)  # aggregates not at their last version
    applied: int = 0
    ignored: int = 0
    recovered: int = 0  # delivered more than once, applied once

    @property
    def ok(self) -> bool:
        return not (
            self.lost
            or self.duplicated
            or self.unexpected
            or self.stale_applied
            or self.wrongly_ignored
            or self.wrong_final_state
        )

    def summary(self) -> str:
        return (
            f"produced={self.produced} effects={self.effects} applied={self.applied} ignored={self.ignored} "
            f"lost={len(self.lost)} duplicated={len(self.duplicated)} unexpected={len(self.unexpected)} "
            f"stale_applied={len(self.stale_applied)} wrongly_ignored={len(self.wrongly_ignored)} "
            f"wrong_final_state={len(self.wrong_final_state)} recovered={self.recovered}"
        )


def check_delivery(site: ProbeSite, produced: Sequence[Produced]) -> DeliveryReport:
    """Count what the consumer did against what the producer says it committed (not against the inbox)."""
    effects = site.effects()
    report = DeliveryReport(produced=len(produced), effects=len(effects))
    produced_ids = {p.event_id for p in produced}
    effects_per_event = Counter(str(e.event_id) for e in effects)
    report.lost = sorted(i for i in produced_ids if effects_per_event[i] == 0)
    report.duplicated = sorted(i for i in produced_ids if effects_per_event[i] > 1)
    report.unexpected = sorted(i for i in effects_per_event if i not in produced_ids)
    held: dict[str, int] = defaultdict(int)  # per aggregate, the version held after each effect in commit order
    for effect in effects:
        before = held[effect.aggregate_id]
        if effect.outcome == "applied":
            report.applied += 1
            if effect.version <= before:
                report.stale_applied.append(str(effect.event_id))
            held[effect.aggregate_id] = max(before, effect.version)
        else:
            report.ignored += 1
            if effect.version > before:
                report.wrongly_ignored.append(str(effect.event_id))
    last_version: dict[str, int] = defaultdict(int)
    for p in produced:
        last_version[p.aggregate_id] = max(last_version[p.aggregate_id], p.version)
    state = site.state()
    report.wrong_final_state = sorted(a for a, v in last_version.items() if state.get(a) != v)
    with site.engine.connect() as connection:
        report.recovered = int(
            connection.execute(
                sa.select(sa.func.count(sa.distinct(probe_observations.c.event_id))).where(
                    probe_observations.c.kind == DUPLICATE
                )
            ).scalar_one()
        )
    return report
