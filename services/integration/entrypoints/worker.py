"""The integration worker: keeps its trust directory current from registry's events; relays its outbox."""

from __future__ import annotations

from services.common.projection_worker import run_service_worker
from services.common.settings import Settings
from services.common.trust_directory import projection_handlers
from services.integration.adapters.topology import REGISTRY_EVENTS


def run(settings: Settings) -> None:
    run_service_worker(
        "integration", settings, {REGISTRY_EVENTS.name: ("integration.trust-directory", projection_handlers())}
    )
