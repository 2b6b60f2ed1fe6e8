"""What the administrator's command reads and does, apart from its argument parsing and printing."""

from __future__ import annotations

import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import amqp.exceptions
import grpc
import kombu
import sqlalchemy as sa
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.common.admin.console import misconfigured_database, short
from services.common.db import is_database_fault, is_db_configuration_error, process_engine, scoped_transaction
from services.common.grpc_client import open_channel
from services.common.healthcheck import HEARTBEAT_STALE_S
from services.common.manifest import manifests
from services.common.outbox import outbox_backlog
from services.common.platform_tables import worker_heartbeats
from services.common.settings import GrpcTls, Settings
from services.common.tenancy import TenantScope
from services.common.topology import DEAD_LETTER_SUFFIX, UNROUTED_QUEUE, Management
from services.common.trust_directory import trusts


def _engine(settings: Settings, service: str) -> sa.engine.Engine:
    return process_engine(settings, service, "admin", pool_size=1)


def list_trusts(settings: Settings, service: str) -> list[dict[str, Any]]:
    engine = _engine(settings, service)
    try:
        with scoped_transaction(engine, TenantScope.platform_wide()) as connection:
            rows = connection.execute(
                sa.select(trusts.c.trust_ods, trusts.c.name, trusts.c.status, trusts.c.version).order_by(
                    trusts.c.trust_ods
                )
            ).all()
    finally:
        engine.dispose()
    return [{"ods": r.trust_ods, "name": r.name, "status": r.status, "version": r.version} for r in rows]


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def api_health(name: str, target: str, tls: GrpcTls, server_name: str | None = None) -> Check:
    """The standard gRPC health service of one api, as its container's health check asks it (over TLS
    when the settings say so; ``server_name``: the name its certificate carries, when ``target`` is not)."""
    channel = open_channel(target, tls, server_name=server_name)
    try:
        response = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=3)
        serving = response.status == health_pb2.HealthCheckResponse.SERVING
        return Check(f"{name} api", serving, health_pb2.HealthCheckResponse.ServingStatus.Name(response.status))
    except grpc.RpcError as error:
        return Check(f"{name} api", False, f"{error.code().name}: {target}")
    finally:
        channel.close()


def web_health(name: str, listen: str) -> Check:
    """A web application answers ``GET /healthz`` with 200."""
    url = f"http://{listen.replace('0.0.0.0', '127.0.0.1')}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 (http only: a local address)
            return Check(f"{name} web", answer.status == 200, f"{answer.status}: {url}")
    except (OSError, ValueError) as error:
        return Check(f"{name} web", False, f"{type(error).__name__}: {url}")


def worker_health(settings: Settings, service: str) -> Check:
    """A service's worker is healthy while its heartbeat (written every 2 s by its relay) is fresh."""
    engine = _engine(settings, service)
    try:
        with engine.connect() as connection:
            beat = connection.execute(
                sa.select(worker_heartbeats.c.beat_at, sa.func.now()).where(
                    worker_heartbeats.c.worker == f"{service}-worker"
                )
            ).first()
    finally:
        engine.dispose()
    if beat is None:
        return Check(f"{service} worker", False, "has never run")
    age = (beat[1] - beat[0]).total_seconds()
    return Check(f"{service} worker", age < HEARTBEAT_STALE_S, f"last heartbeat {age:.1f}s ago")


def health_checks(settings: Settings) -> list[Check]:
    """Every service's api (those that have one), every worker's heartbeat, a consumer on every queue."""
    services = manifests()
    checks = [
        api_health(name, settings.api(name).target, settings.grpc_tls)
        for name, m in services.items()
        if m.api is not None
    ]
    checks += [web_health(name, settings.web_targets[name]) for name, m in services.items() if m.web is not None]
    management = Management(settings.management_url(), settings.amqp_vhost, timeout=5)
    for service, manifest in services.items():
        try:
            checks.append(worker_health(settings, service))
        except Exception as error:
            if not is_database_fault(error):
                raise
            # one line: the driver's message goes on with hints ("Is the server running on that host ...")
            why = (
                misconfigured_database(service)
                if is_db_configuration_error(error)
                else f"the {service} database is unavailable"
            )
            checks.append(Check(f"{service} worker", False, f"{why}: {short(error)}"))
        for spec in manifest.queues:
            try:
                info = management.queue_info(spec.name)
            except Exception as error:
                checks.append(Check(f"queue {spec.name}", False, str(error)))
                continue
            if info is None:
                checks.append(Check(f"queue {spec.name}", False, "not declared (run migrate)"))
                continue
            consumers = int(str(info.get("consumers", 0)))
            checks.append(
                Check(
                    f"queue {spec.name}",
                    consumers > 0,
                    f"{consumers} consumer(s), {info.get('messages', 0)} message(s) waiting",
                )
            )
    return checks


def outbox_status(settings: Settings, service: str) -> dict[str, Any]:
    """One service's outbox: pending events, the age of the oldest, the last publishing error."""
    engine = _engine(settings, service)
    try:
        with engine.connect() as connection:
            pending, oldest_age_s, last_error = outbox_backlog(connection)
    finally:
        engine.dispose()
    return {"service": service, "pending": pending, "oldest_age_s": round(oldest_age_s, 1), "last_error": last_error}


def dead_letters(settings: Settings, limit: int = 100) -> list[dict[str, Any]]:
    management = Management(settings.management_url(), settings.amqp_vhost)
    letters = []
    for queue in management.queues():
        name = str(queue["name"])
        # every dead-letter queue is read: the API's message counts lag by the statistics interval
        if not name.endswith(DEAD_LETTER_SUFFIX):
            continue
        response = management.request(
            "POST",
            f"/queues/{management.v}/{quote(name, safe='')}/get",
            {"count": limit, "ackmode": "ack_requeue_true", "encoding": "auto", "truncate": 2000},
        )
        for message in response.json():
            properties = message.get("properties", {})
            headers = properties.get("headers", {}) or {}
            deaths = headers.get("x-death") or [{}]
            letters.append(
                {
                    "dead_letter_queue": name,
                    "queue": name.removesuffix(DEAD_LETTER_SUFFIX),
                    "event_id": properties.get("message_id"),
                    "type": headers.get("ce-type"),
                    "reason": headers.get("x-first-death-reason") or deaths[0].get("reason"),
                    "deaths": sum(int(d.get("count", 1)) for d in deaths),
                    "dead_lettered_at": _death_time(deaths[0].get("time")),
                }
            )
    return letters


def unrouted_events(settings: Settings, limit: int = 1000) -> tuple[list[dict[str, Any]], int]:
    """The events kept in ``plr.unrouted`` (oldest first, up to ``limit``), which event and never its
    data (the payload is not even fetched), and how many it holds in all."""
    management = Management(settings.management_url(), settings.amqp_vhost)
    messages = management.request(
        "POST",
        f"/queues/{management.v}/{quote(UNROUTED_QUEUE, safe='')}/get",
        {"count": limit, "ackmode": "ack_requeue_true", "encoding": "auto", "truncate": 0},
    ).json()
    rows = [
        {
            "event_id": message.get("properties", {}).get("message_id"),
            "type": (message.get("properties", {}).get("headers") or {}).get("ce-type"),
            "routing_key": message.get("routing_key"),
        }
        for message in messages
    ]
    # each message says how many were left behind it
    return rows, (int(messages[0].get("message_count", 0)) + 1 if messages else 0)


def purge_unrouted(settings: Settings) -> int:
    """Empties ``plr.unrouted``; returns how many events it held."""
    with kombu.Connection(settings.amqp_uri, connect_timeout=10) as connection:
        channel = connection.channel()
        try:
            return int(channel.queue_purge(UNROUTED_QUEUE) or 0)
        finally:
            channel.close()


def _death_time(value: Any) -> str | None:
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, UTC).isoformat()
    return None if value is None else str(value)


class ReplayRefused(Exception):
    """The broker refused a replay (the message says why): that dead letter stays in its queue."""


def replay_dead_letters(settings: Settings, queue: str, event_id: str | None = None) -> int:
    """Send dead letters back to the queue they came from, each once: publish (confirmed), then ack.

    Each keeps the ``user_id`` it was first published with (its service's broker user, which its
    consumer checks): ``PLR_AMQP_URI`` must be the administrator's broker user, tagged ``impersonator``
    (RabbitMQ refuses another user's ``user_id`` from anyone else; ADR 0009)."""
    queue = queue.removesuffix(DEAD_LETTER_SUFFIX)
    management = Management(settings.management_url(), settings.amqp_vhost)
    if management.queue_info(queue) is None:
        raise LookupError(f"no queue {queue!r} on vhost {settings.amqp_vhost}")
    try:
        return _replay(settings, queue, event_id)
    except amqp.exceptions.AccessRefused as refused:
        raise ReplayRefused(
            f"the broker refused the replay ({refused}): PLR_AMQP_URI must be the administrator's broker user"
        ) from None


def _replay(settings: Settings, queue: str, event_id: str | None) -> int:
    replayed = 0
    with kombu.Connection(settings.amqp_uri, transport_options={"confirm_publish": True}) as connection:
        channel = connection.channel()
        producer = kombu.Producer(channel)
        dead_letter_queue = kombu.Queue(queue + DEAD_LETTER_SUFFIX, no_declare=True, channel=channel)
        kept = []
        while True:
            message = dead_letter_queue.get(no_ack=False, accept=None)
            if message is None:
                break
            if event_id is not None and message.properties.get("message_id") != event_id:
                kept.append(message)  # left unacknowledged: back in the queue when the channel closes
                continue
            try:
                _republish(producer, message, queue)
            except amqp.exceptions.PreconditionFailed as refused:  # the dead letter stays where it is
                raise ReplayRefused(
                    f"the broker refused to send {message.properties.get('message_id')} with its original user_id "
                    f"({refused}): PLR_AMQP_URI must be the administrator's broker user, tagged impersonator"
                ) from None
            message.ack()
            replayed += 1
        channel.close()
    return replayed


def _republish(producer: kombu.Producer, message: Any, queue: str) -> None:
    """The dead letter again, to its queue through the default exchange, as its service first sent it."""
    user_id = message.properties.get("user_id")
    producer.publish(
        message.body,
        exchange="",
        routing_key=queue,
        content_type=message.content_type,
        content_encoding=message.content_encoding,
        delivery_mode=2,
        message_id=message.properties.get("message_id"),
        headers={k: v for k, v in (message.headers or {}).items() if k != "x-delivery-count"},
        retry=False,
        **({"user_id": str(user_id)} if user_id else {}),
    )
