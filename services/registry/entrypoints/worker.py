"""The registry worker: relays the registry's outbox (it consumes no events yet) and, on timers, runs
the check expiry scan and resumes paused leaders whose return date has come."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.engine import Engine

from services.common.projection_worker import run_service_worker
from services.common.settings import Settings
from services.common.tenancy import TenantScope
from services.registry.adapters.unit_of_work import SqlUnitOfWork
from services.registry.service_layer.checks import scan_check_expiry
from services.registry.service_layer.leaders import resume_due_leaders

# a notice is owed per day; hourly runs send it early in the day, and the first run at start-up
# catches up whatever fell due while the worker was down
CHECK_SCAN_INTERVAL_S = 3600.0


def registry_timers(engine: Engine) -> Mapping[str, tuple[float, Callable[[], Any]]]:
    def scan() -> int:
        return scan_check_expiry(lambda: SqlUnitOfWork(engine, TenantScope.platform_wide()))

    def resume() -> int:
        return resume_due_leaders(lambda: SqlUnitOfWork(engine, TenantScope.platform_wide()))

    return {"scan_check_expiry": (CHECK_SCAN_INTERVAL_S, scan), "resume_due_leaders": (CHECK_SCAN_INTERVAL_S, resume)}


def run(settings: Settings) -> None:
    run_service_worker("registry", settings, {}, timers=registry_timers)
