"""An affiliation: a trust's relationship with a leader, which the leader must confirm."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from services.common.errors import InvalidInput, PreconditionFailed
from services.registry.domain import events
from services.registry.domain.reason import check_reason


@dataclass
class Affiliation:
    affiliation_id: str
    leader_id: str
    trust_ods: str
    status: str = "pending"
    version: int = 0
    created_at: datetime | None = None
    confirmed_at: datetime | None = None
    ended_at: datetime | None = None
    end_reason: str = ""
    updated_at: datetime | None = None
    pending_events: list[events.AffiliationEvent] = field(default_factory=list)

    @classmethod
    def request(cls, affiliation_id: str, leader_id: str, trust_ods: str, now: datetime) -> Affiliation:
        affiliation = cls(affiliation_id, leader_id, trust_ods, created_at=now, updated_at=now)
        affiliation._record(events.LeaderAffiliated, version=1)
        return affiliation

    @property
    def active(self) -> bool:
        return self.status == "active"

    def confirm(self, now: datetime) -> None:
        if self.status == "active":
            return
        if self.status != "pending":
            raise PreconditionFailed(f"affiliation {self.affiliation_id} has ended; the trust must ask again")
        self.status, self.confirmed_at, self.updated_at = "active", now, now
        self._record(events.AffiliationConfirmed, version=self.version + 1)

    def end(self, reason: str, now: datetime) -> None:
        if not reason.strip():
            raise InvalidInput({"reason": "is required: why the relationship ends"})
        check_reason(reason)
        if self.status == "ended":
            return
        self.status, self.ended_at, self.end_reason, self.updated_at = "ended", now, reason.strip(), now
        self._record(events.AffiliationEnded, version=self.version + 1, reason=self.end_reason)

    def reopen(self, now: datetime) -> None:
        """A trust that ended an affiliation may ask again: it is pending the leader's confirmation."""
        if self.status != "ended":
            return
        self.status, self.ended_at, self.end_reason, self.confirmed_at, self.updated_at = "pending", None, "", None, now
        self._record(events.LeaderAffiliated, version=self.version + 1)

    def _record(self, kind: type[events.AffiliationEvent], version: int, **extra: str) -> None:
        self.version = version
        self.pending_events.append(
            kind(
                affiliation_id=self.affiliation_id,
                leader_id=self.leader_id,
                trust_ods=self.trust_ods,
                version=version,
                **extra,
            )  # type: ignore[call-arg]
        )
