"""The registry worker: relays the registry's outbox (it consumes no events yet)."""

from __future__ import annotations

from services.common.projection_worker import run_service_worker
from services.common.settings import Settings


def run(settings: Settings) -> None:
    run_service_worker("registry", settings, {})
