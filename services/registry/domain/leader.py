"""A patient leader: one person, held once by the registry, whatever trusts they work with."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from services.common.errors import InvalidInput, PreconditionFailed
from services.registry.domain import events
from services.registry.domain.consent import ConsentRecord, Purpose, concerns_every_trust, is_granted
from services.registry.domain.profile import LeaderProfile, normalise_email
from services.registry.domain.reason import check_return_date


class VersionConflict(PreconditionFailed):
    """An update was based on a stale version; the message names the current one."""

    def __init__(self, leader_id: str, expected: int, current: int):
        self.current = current
        super().__init__(f"leader {leader_id} is at version {current}, not {expected}: re-read and try again")


class EmailTaken(InvalidInput):
    """The unique address key collided on save: a confirmation racing another person's for the same
    address (``email_change.AddressInUse`` is what the person is told)."""

    def __init__(self) -> None:
        super().__init__({"email": "is already the address of another leader"})


@dataclass
class Leader:
    leader_id: str
    profile: LeaderProfile
    version: int = 0
    status: str = "active"
    paused_until: date | None = None
    consents: list[ConsentRecord] = field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    erased_at: datetime | None = None
    # what every trust sees changed (profile, status, lived experience consent): ``version`` and
    # ``updated_at`` count every change, a consent about one trust included, and are the person's own
    shared_version: int = 0
    shared_updated_at: datetime | None = None
    pending_events: list[events.LeaderEvent] = field(default_factory=list)

    @property
    def email_key(self) -> str:
        return normalise_email(self.profile.email)

    @classmethod
    def register(cls, leader_id: str, profile: LeaderProfile, now: datetime) -> Leader:
        profile = profile.normalised()
        if profile.lived_experience:
            raise InvalidInput(
                {
                    "lived_experience": "can only be given after the leader's consent "
                    "'lived_experience_matching' is recorded"
                }
            )
        leader = cls(leader_id=leader_id, profile=profile, created_at=now, updated_at=now)
        leader._record(events.LeaderRegistered(leader_id=leader_id, version=1))
        leader._changed_for_every_trust(now)
        return leader

    def as_seen_by_trust(self, trust_ods: str) -> tuple[int, datetime | None]:
        """The version and time of the last change a trust can see: a change for every trust, or a
        consent about this trust (each record, as the trust sees the latest). Never moved by what
        concerns another trust alone, so nothing here tells a trust that another one acted."""
        own = [r.recorded_at for r in self.consents if r.target == trust_ods and not concerns_every_trust(r)]
        times = [t for t in (self.shared_updated_at, *own) if t is not None]
        return self.shared_version + len(own), max(times, default=None)

    def update(
        self, changes: LeaderProfile, names: tuple[str, ...], expected_version: int, now: datetime
    ) -> tuple[str, ...]:
        """Replaces the named fields; returns the names of those whose value changed."""
        self._require_not_erased()
        if expected_version != self.version:
            raise VersionConflict(self.leader_id, expected_version, self.version)
        updated = self.profile.merged(changes.normalised(), names)
        if updated.lived_experience and not is_granted(self.consents, Purpose.LIVED_EXPERIENCE_MATCHING):
            raise PreconditionFailed(
                "lived_experience: the leader has not consented to 'lived_experience_matching', so it cannot be held"
            )
        changed = tuple(n for n in names if getattr(updated, n) != getattr(self.profile, n))
        if not changed:
            return changed
        self.profile = updated
        self._changed_for_every_trust(now)
        self._record(events.LeaderUpdated(leader_id=self.leader_id, version=self.version + 1, fields=changed))
        return changed

    def pause(self, until: date | None, today: date, now: datetime) -> None:
        self._require_not_erased()
        if self.status == "withdrawn":
            raise PreconditionFailed(f"leader {self.leader_id} has withdrawn; they cannot be paused")
        check_return_date(until, today)
        if self.status == "paused" and self.paused_until == until:
            return
        self.status, self.paused_until = "paused", until
        self._changed_for_every_trust(now)
        self._record(
            events.LeaderPaused(
                leader_id=self.leader_id, version=self.version + 1, until=until.isoformat() if until else None
            )
        )

    def resume(self, now: datetime) -> None:
        self._require_not_erased()
        if self.status == "active":
            return
        self.status, self.paused_until = "active", None
        self._changed_for_every_trust(now)
        self._record(events.LeaderResumed(leader_id=self.leader_id, version=self.version + 1))

    def withdraw(self, now: datetime) -> None:
        self._require_not_erased()
        if self.status == "withdrawn":
            return
        self.status, self.paused_until = "withdrawn", None
        self._changed_for_every_trust(now)
        self._record(events.LeaderWithdrawn(leader_id=self.leader_id, version=self.version + 1))

    def record_consent(self, record: ConsentRecord) -> None:
        self._require_not_erased()
        was = is_granted(self.consents, record.purpose, record.target)
        self.consents.append(record)
        self.updated_at = record.recorded_at
        if concerns_every_trust(record):  # every trust sees it (a repeat too: its latest record)
            self._changed_for_every_trust(record.recorded_at)
        if was == record.granted:
            return  # recorded (the evidence trail keeps it) but nothing changes
        self._record(
            events.ConsentChanged(
                leader_id=self.leader_id,
                version=self.version + 1,
                purpose=record.purpose.value,
                target=record.target,
                granted=record.granted,
                recorded_by_kind=record.recorded_by_kind,
            )
        )
        if record.purpose is Purpose.SHARE_RECORD_WITH_TRUST:
            shared = events.RecordShared if record.granted else events.RecordUnshared
            self._record(shared(leader_id=self.leader_id, version=self.version + 1, trust_ods=record.target))
        # special-category data is held only while its consent stands
        if not record.granted and record.purpose is Purpose.LIVED_EXPERIENCE_MATCHING and self.profile.lived_experience:
            self.profile = self.profile.without(["lived_experience"])
            self._record(
                events.LeaderUpdated(leader_id=self.leader_id, version=self.version + 1, fields=("lived_experience",))
            )

    def request_email_change(self, change_id: str, trust_ods: str | None) -> None:
        """Records that a change of the email address was asked for: it changes nothing of the profile
        until the new address confirms it (``domain/email_change.py``)."""
        self._require_not_erased()
        self._record(
            events.LeaderEmailChangeRequested(
                leader_id=self.leader_id, version=self.version + 1, change_id=change_id, trust_ods=trust_ods
            )
        )

    def record_on_behalf(self, trust_ods: str, fields: tuple[str, ...], change_id: str) -> None:
        """Marks the change just made as made by a trust's staff for the person (assisted digital)."""
        self._record(
            events.LeaderChangedOnBehalf(
                leader_id=self.leader_id,
                version=self.version + 1,
                trust_ods=trust_ods,
                fields=fields,
                change_id=change_id,
            )
        )

    def erase(self, now: datetime) -> None:
        if self.erased_at is not None:
            return
        self.profile = LeaderProfile()
        self.status, self.paused_until, self.erased_at = "erased", None, now
        self._changed_for_every_trust(now)
        self._record(events.LeaderErased(leader_id=self.leader_id, version=self.version + 1))

    def resume_if_due(self, today: date, now: datetime) -> None:
        if self.status == "paused" and self.paused_until is not None and self.paused_until <= today:
            self.resume(now)

    def _require_not_erased(self) -> None:
        if self.erased_at is not None:
            raise PreconditionFailed(f"leader {self.leader_id} has been erased")

    def _changed_for_every_trust(self, now: datetime) -> None:
        self.updated_at = self.shared_updated_at = now
        self.shared_version += 1

    def _record(self, event: events.LeaderEvent) -> None:
        self.version = event.version
        self.pending_events.append(event)
