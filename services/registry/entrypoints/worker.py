"""The registry worker's timers (declared in services/registry/manifest.py): the check expiry scan and
the resumption of paused leaders whose return date has come. The worker also relays the registry's
outbox; it consumes no events yet."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from sqlalchemy.engine import Engine

from services.common.tenancy import TenantScope
from services.registry.adapters.unit_of_work import SqlUnitOfWork
from services.registry.domain.history import SYSTEM
from services.registry.service_layer.checks import scan_check_expiry
from services.registry.service_layer.leaders import resume_due_leaders


def timer_unit_of_work(engine: Engine, timer: str) -> Callable[[], SqlUnitOfWork]:
    """Units of work of a timer (platform-wide): the change history names the timer as the method."""

    def made() -> SqlUnitOfWork:
        uow = SqlUnitOfWork(engine, TenantScope.platform_wide())
        uow.actor = replace(SYSTEM, method=timer)
        return uow

    return made


def check_expiry_scan(engine: Engine) -> Callable[[], int]:
    return lambda: scan_check_expiry(timer_unit_of_work(engine, "scan_check_expiry"))


def leader_resumption(engine: Engine) -> Callable[[], int]:
    return lambda: resume_due_leaders(timer_unit_of_work(engine, "resume_due_leaders"))
