"""An affiliation: a trust's relationship with a leader, which the leader must confirm."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from services.common.errors import InvalidInput, PreconditionFailed
from services.registry.domain import events
from services.registry.domain.reason import check_reason, check_return_date


def check_end_reason(reason: str) -> None:
    """Why a trust ends its relationship: required (use cases check it before they read anything)."""
    if not reason.strip():
        raise InvalidInput({"reason": "is required: why the relationship ends"})
    check_reason(reason)


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
    # the trust's own pause of its relationship (never the person's status): since when, until when
    paused_at: datetime | None = None
    paused_until: date | None = None
    # the change recorded on the person's behalf (a withdrawal) that ended it: the person may reverse it
    ended_by_change: str | None = None
    pending_events: list[events.AffiliationEvent] = field(default_factory=list)

    @classmethod
    def request(cls, affiliation_id: str, leader_id: str, trust_ods: str, now: datetime) -> Affiliation:
        affiliation = cls(affiliation_id, leader_id, trust_ods, created_at=now, updated_at=now)
        affiliation._record(events.LeaderAffiliated, version=1)
        return affiliation

    @property
    def active(self) -> bool:
        return self.status == "active"

    def paused_on(self, day: date) -> bool:
        """Whether the trust's pause holds on the day (a pause with a return date ends on that date)."""
        return self.paused_at is not None and (self.paused_until is None or self.paused_until > day)

    def pause(self, until: date | None, today: date, now: datetime) -> None:
        """The trust pauses its own relationship; the person and every other trust's view are unchanged."""
        if self.status != "active":
            raise PreconditionFailed(f"affiliation {self.affiliation_id} is {self.status}: only an active one pauses")
        check_return_date(until, today)
        if self.paused_at is not None and self.paused_until == until:
            return
        self.paused_at, self.paused_until, self.updated_at = now, until, now
        self._record(
            events.AffiliationPaused, version=self.version + 1, **({"until": until.isoformat()} if until else {})
        )

    def resume(self, now: datetime) -> None:
        if self.paused_at is None:
            return
        self.paused_at, self.paused_until, self.updated_at = None, None, now
        self._record(events.AffiliationResumed, version=self.version + 1)

    def resume_if_due(self, today: date, now: datetime) -> None:
        if self.paused_at is not None and self.paused_until is not None and self.paused_until <= today:
            self.resume(now)

    def confirm(self, now: datetime) -> None:
        if self.status == "active":
            return
        if self.status != "pending":
            raise PreconditionFailed(f"affiliation {self.affiliation_id} has ended; the trust must ask again")
        self.status, self.confirmed_at, self.updated_at = "active", now, now
        self._record(events.AffiliationConfirmed, version=self.version + 1)

    def decline(self, now: datetime) -> None:
        """The person declines the trust's request: only one still waiting for their answer (a Decline
        from a stale page after they confirmed must not end what they confirmed)."""
        if self.status == "active":
            raise PreconditionFailed(f"affiliation {self.affiliation_id} was confirmed already: it stays confirmed")
        self.end("declined by the leader", now)

    def end(self, reason: str, now: datetime, by_change: str | None = None) -> None:
        """Ends the relationship; ``by_change``: the change on the person's behalf (a withdrawal) that ends
        it, which the person may reverse (``restore``)."""
        check_end_reason(reason)
        if self.status == "ended":
            return
        self.status, self.ended_at, self.end_reason, self.updated_at = "ended", now, reason.strip(), now
        self.paused_at = self.paused_until = None
        self.ended_by_change = by_change
        self._record(events.AffiliationEnded, version=self.version + 1, reason=self.end_reason)

    def restore(self, now: datetime) -> None:
        """The person reverses the change on their behalf that ended it: active again, as the person
        confirmed it before (affiliation.confirmed). The trust's own pause, if any, is not restored."""
        if self.status != "ended" or self.ended_by_change is None:
            return
        self.status, self.ended_at, self.end_reason, self.updated_at = "active", None, "", now
        self.ended_by_change = None
        self._record(events.AffiliationConfirmed, version=self.version + 1)

    def reopen(self, now: datetime) -> None:
        """A trust that ended an affiliation may ask again: it is pending the leader's confirmation."""
        if self.status != "ended":
            return
        self.status, self.ended_at, self.end_reason, self.confirmed_at, self.updated_at = "pending", None, "", None, now
        self.ended_by_change = None
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
