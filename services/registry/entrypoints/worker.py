"""The registry worker's timers (declared in services/registry/manifest.py): the check expiry scan and
the resumption of paused leaders whose return date has come. The worker also relays the registry's
outbox; it consumes no events yet."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Engine

from services.common.tenancy import TenantScope
from services.registry.adapters.unit_of_work import SqlUnitOfWork
from services.registry.service_layer.checks import scan_check_expiry
from services.registry.service_layer.leaders import resume_due_leaders


def check_expiry_scan(engine: Engine) -> Callable[[], int]:
    return lambda: scan_check_expiry(lambda: SqlUnitOfWork(engine, TenantScope.platform_wide()))


def leader_resumption(engine: Engine) -> Callable[[], int]:
    return lambda: resume_due_leaders(lambda: SqlUnitOfWork(engine, TenantScope.platform_wide()))
