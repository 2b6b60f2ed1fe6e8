"""A worker that keeps a service's projections current from events and relays its own outbox."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine

from services.common.broker_users import SenderCheck
from services.common.db import process_engine
from services.common.give_back import load_give_back_seal
from services.common.inbox import EventHandler, InboxConsumer
from services.common.metrics import OUTBOX_OBSERVE_S, Every
from services.common.relay import ConfirmedPublisher, OutboxRelay
from services.common.settings import Settings
from services.common.worker import build_worker_service, run_worker

if TYPE_CHECKING:
    from services.common.manifest import ServiceManifest


def run_service_worker(
    service: str,
    settings: Settings,
    consumers: Mapping[str, tuple[str, Mapping[str, EventHandler]]],
    timers: Callable[[Engine], Mapping[str, tuple[float, Callable[[], Any]]]] | None = None,
) -> None:
    """``consumers`` maps a queue name to (inbox consumer name, handlers by event type); ``timers``
    gives, from the worker's engine, its periodic work (name → (interval in seconds, work))."""
    engine = process_engine(settings, service, "worker")
    publisher = ConfirmedPublisher(settings.amqp_uri)
    relay = OutboxRelay(engine, publisher, service)
    senders = SenderCheck(settings.broker_users, own_user=publisher.user)
    inbox_consumers = {
        queue: InboxConsumer(name=name, engine=engine, handlers=handlers, senders=senders)
        for queue, (name, handlers) in consumers.items()
    }
    observe_outbox = Every(OUTBOX_OBSERVE_S, relay.observe_outbox)

    def relay_tick() -> None:
        relay.tick()
        observe_outbox()

    service_class = build_worker_service(
        f"{service}_worker",
        inbox_consumers,
        relay_tick,
        settings.relay_interval_s,
        heartbeat=lambda count: relay.beat(f"{service}-worker", count),
        timers=timers(engine) if timers is not None else None,
        seal=load_give_back_seal(engine) if inbox_consumers else None,
    )

    def on_stop() -> None:
        publisher.close()
        engine.dispose()

    run_worker(service_class, settings.amqp_uri, settings.worker_max_workers, on_stop)


def run_manifest_worker(manifest: ServiceManifest, settings: Settings) -> None:
    """The worker a service's manifest declares: its consumers, its timers, and its outbox relay."""
    consumers = {c.queue.name: (c.inbox_name, c.handlers()) for c in manifest.consumers}

    def timers(engine: Engine) -> Mapping[str, tuple[float, Callable[[], Any]]]:
        return {timer.name: (timer.interval_s, timer.work(engine)) for timer in manifest.timers}

    run_service_worker(manifest.name, settings, consumers, timers=timers if manifest.timers else None)
