"""In-memory fakes of the registry's repository and unit of work, for the service layer's tests."""

from __future__ import annotations

import copy
from datetime import datetime

from services.common.errors import PreconditionFailed
from services.common.events import CloudEvent
from services.registry.adapters.event_mapping import to_cloudevent
from services.registry.adapters.repository import TrustRepository
from services.registry.domain.trust import Trust
from services.registry.service_layer.unit_of_work import UnitOfWork


class FakeTrustRepository(TrustRepository):
    def __init__(self, trusts: dict[str, Trust] | None = None):
        super().__init__()
        self.rows: dict[str, Trust] = trusts if trusts is not None else {}

    def _get(self, ods: str) -> Trust | None:
        found = self.rows.get(ods)
        return copy.deepcopy(found) if found else None

    def _add(self, trust: Trust) -> bool:
        if trust.ods in self.rows:
            return False
        self.rows[trust.ods] = trust
        return True

    def save(self, trust: Trust, expected_version: int) -> None:
        if self.rows[trust.ods].version != expected_version:
            raise PreconditionFailed(f"trust {trust.ods} changed concurrently")
        self.rows[trust.ods] = trust

    def list(self, after_ods: str, limit: int, updated_since: datetime | None = None) -> list[Trust]:
        return [self.rows[o] for o in sorted(self.rows) if o > after_ods][:limit]


class FakeUnitOfWork(UnitOfWork):
    trusts: FakeTrustRepository

    def __init__(self) -> None:
        self.trusts = FakeTrustRepository()
        self.committed = 0
        self.outbox: list[CloudEvent] = []

    def __enter__(self) -> FakeUnitOfWork:
        self.trusts.seen = []
        return self

    def commit(self) -> None:
        self.outbox.extend(to_cloudevent(e) for e in self.collect_events())
        self.committed += 1

    def rollback(self) -> None:
        pass
