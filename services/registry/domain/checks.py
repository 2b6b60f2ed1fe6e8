"""Pre-placement checks with expiry, their acceptance by another trust, and the placement question.

A check is valid on a date D when it was issued on or before D and D is before its expiry date: it
has expired ON its expiry date (the day ``check.expired`` is emitted). DBS details (criminal offence
data, UK GDPR Art. 10) live on the check but leave it only for the verifying trust's named staff.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from services.common.errors import InvalidInput, PreconditionFailed, refuse

EXPIRING_NOTICE_DAYS = 30
EVIDENCE_MAX = 500
DBS_DETAILS_MAX = 2000


class CheckType(StrEnum):
    DBS = "dbs"
    OCCUPATIONAL_HEALTH = "occupational_health"
    REFERENCES = "references"
    IDENTITY = "identity"
    MANDATORY_TRAINING = "mandatory_training"


class DbsLevel(StrEnum):
    BASIC = "basic"
    STANDARD = "standard"
    ENHANCED = "enhanced"

    @property
    def rank(self) -> int:
        return list(DbsLevel).index(self)


class Threshold(StrEnum):
    EXPIRING = "expiring"
    EXPIRED = "expired"


# --- events (thin: ids, versions, types and dates; never evidence or DBS details) ----------------


@dataclass(frozen=True)
class CheckEvent:
    check_id: str
    leader_id: str
    trust_ods: str  # the trust the event is for: the verifier, or for check.accepted the acceptor
    version: int
    check_type: str
    dbs_level: str
    expires_on: date | None


@dataclass(frozen=True)
class CheckVerified(CheckEvent):
    issued_on: date | None


@dataclass(frozen=True)
class CheckAccepted(CheckEvent):
    verifying_trust: str
    acceptance_id: str


@dataclass(frozen=True)
class CheckExpiring(CheckEvent):
    # set when the notice is for a trust that accepted the check (trust_ods), not its verifier
    acceptance_id: str | None = None
    verifying_trust: str | None = None


@dataclass(frozen=True)
class CheckExpired(CheckEvent):
    acceptance_id: str | None = None
    verifying_trust: str | None = None


# --- parsing requests ------------------------------------------------------------------------


CHECK_TYPE_RULE = f"must be one of {', '.join(t.value for t in CheckType)}"
DBS_LEVEL_RULE = f"must be one of {', '.join(level.value for level in DbsLevel)}"


def parse_check_type(value: str, field_name: str = "check_type") -> CheckType:
    try:
        return CheckType(value)
    except ValueError:
        raise InvalidInput({field_name: CHECK_TYPE_RULE}) from None


def parse_dbs_level(value: str, field_name: str = "dbs_level") -> DbsLevel:
    try:
        return DbsLevel(value)
    except ValueError:
        raise InvalidInput({field_name: DBS_LEVEL_RULE}) from None


def _printable_problem(value: str, limit: int, required: bool) -> str | None:
    if required and not value.strip():
        return "is required"
    if len(value) > limit or not all(c.isprintable() or c in "\n\t" for c in value):
        return f"must be at most {limit} printable characters"
    return None


def check_problems(
    check_type: str,
    dbs_level: str,
    evidence: str,
    dbs_details: str,
    issued_on: date | None,
    expires_on: date | None,
    today: date,
) -> dict[str, str]:
    """What is wrong with each field of a check to record (none: an empty map), every field at once."""
    problems: dict[str, str] = {}
    known_type = check_type in {t.value for t in CheckType}
    is_dbs = check_type == CheckType.DBS.value
    if not known_type:
        problems["check_type"] = CHECK_TYPE_RULE
    elif is_dbs and not dbs_level:
        problems["dbs_level"] = f"is required for a dbs check: it {DBS_LEVEL_RULE}"
    elif is_dbs and dbs_level not in {level.value for level in DbsLevel}:
        problems["dbs_level"] = DBS_LEVEL_RULE
    elif not is_dbs and dbs_level:
        problems["dbs_level"] = "is only for a dbs check"
    if known_type and not is_dbs and dbs_details:
        problems["dbs_details"] = "is only for a dbs check"
    for name, value, limit, required in (
        ("evidence", evidence, EVIDENCE_MAX, True),
        ("dbs_details", dbs_details, DBS_DETAILS_MAX, False),
    ):
        found = _printable_problem(value, limit, required)
        if found is not None:
            problems.setdefault(name, found)
    if issued_on is not None and issued_on > today:
        problems["issued_on"] = "cannot be in the future: a check is recorded once it is done"
    if expires_on is not None and issued_on is not None and expires_on <= issued_on:
        problems["expires_on"] = "must be after issued_on"
    return problems


@dataclass(frozen=True)
class CheckAcceptor:
    """A trust that accepted a check, by its acceptance."""

    trust_ods: str
    acceptance_id: str


# --- the aggregate -----------------------------------------------------------------------------


@dataclass
class Check:
    check_id: str
    leader_id: str
    trust_ods: str  # the verifying trust
    check_type: CheckType
    dbs_level: DbsLevel | None
    evidence: str
    dbs_details: str
    verified_by: str
    verified_at: datetime
    issued_on: date | None
    expires_on: date | None
    version: int = 0
    expiring_noticed_at: datetime | None = None
    expired_noticed_at: datetime | None = None
    pending_events: list[CheckEvent] = field(default_factory=list)

    @classmethod
    def verify(
        cls,
        check_id: str,
        leader_id: str,
        trust_ods: str,
        check_type: CheckType,
        dbs_level: str,
        evidence: str,
        dbs_details: str,
        verified_by: str,
        issued_on: date | None,
        expires_on: date | None,
        now: datetime,
    ) -> Check:
        refuse(check_problems(check_type.value, dbs_level, evidence, dbs_details, issued_on, expires_on, now.date()))
        level = DbsLevel(dbs_level) if check_type is CheckType.DBS else None
        check = cls(
            check_id,
            leader_id,
            trust_ods,
            check_type,
            level,
            evidence.strip(),
            dbs_details.strip(),
            verified_by,
            now,
            issued_on,
            expires_on,
        )
        check._record(CheckVerified, issued_on=issued_on)
        return check

    def valid_on(self, day: date) -> bool:
        return _valid_on(self.issued_on, self.expires_on, day)

    def due_threshold(self, today: date) -> Threshold | None:
        """The notice this check is owed today, if any: once per threshold, and a check found already
        expired (say after downtime) is owed only ``expired``, never a late ``expiring``."""
        if self.expires_on is None or self.expired_noticed_at is not None:
            return None
        if self.expires_on <= today:
            return Threshold.EXPIRED
        if self.expiring_noticed_at is None and self.expires_on <= today + timedelta(days=EXPIRING_NOTICE_DAYS):
            return Threshold.EXPIRING
        return None

    def notice(self, threshold: Threshold, now: datetime, acceptors: Sequence[CheckAcceptor] = ()) -> None:
        """Records the notice for the verifying trust and for every trust that accepted the check as
        its own record (``acceptors``: the caller names those still holding the person), one event each."""
        kind: type[CheckExpiring | CheckExpired]
        if threshold is Threshold.EXPIRED:
            self.expired_noticed_at = now
            kind = CheckExpired
        else:
            self.expiring_noticed_at = now
            kind = CheckExpiring
        self._record(kind)
        for acceptor in acceptors:
            self._record(
                kind, trust=acceptor.trust_ods, acceptance_id=acceptor.acceptance_id, verifying_trust=self.trust_ods
            )

    def accept(self, acceptance_id: str, accepting_trust: str, accepted_by: str, now: datetime) -> AcceptedCheck:
        """Another trust takes this verification as its own record (the caller has checked consent)."""
        if accepting_trust == self.trust_ods:
            raise PreconditionFailed(f"check {self.check_id} was verified by {accepting_trust} itself")
        if not self.valid_on(now.date()):
            raise PreconditionFailed(f"check {self.check_id} is not valid today: it cannot be accepted")
        accepted = AcceptedCheck(
            acceptance_id,
            self.check_id,
            self.leader_id,
            self.check_type,
            self.dbs_level,
            self.trust_ods,
            self.verified_at,
            self.issued_on,
            self.expires_on,
            accepting_trust,
            accepted_by,
            now,
        )
        self._record(CheckAccepted, trust=accepting_trust, verifying_trust=self.trust_ods, acceptance_id=acceptance_id)
        return accepted

    def _record(self, kind: type[CheckEvent], trust: str | None = None, **extra: object) -> None:
        self.version += 1
        self.pending_events.append(
            kind(
                check_id=self.check_id,
                leader_id=self.leader_id,
                trust_ods=trust or self.trust_ods,
                version=self.version,
                check_type=self.check_type.value,
                dbs_level=self.dbs_level.value if self.dbs_level else "",
                expires_on=self.expires_on,
                **extra,  # type: ignore[arg-type]
            )
        )


@dataclass(frozen=True)
class AcceptedCheck:
    """A trust's own record that it accepted another trust's verification: a copy of what it relied
    on, so it stays the trust's record after the leader withdraws the sharing consent."""

    acceptance_id: str
    check_id: str
    leader_id: str
    check_type: CheckType
    dbs_level: DbsLevel | None
    verifying_trust: str
    verified_at: datetime
    issued_on: date | None
    expires_on: date | None
    accepting_trust: str
    accepted_by: str
    accepted_at: datetime

    def valid_on(self, day: date) -> bool:
        return _valid_on(self.issued_on, self.expires_on, day)


def _valid_on(issued_on: date | None, expires_on: date | None, day: date) -> bool:
    return (issued_on is None or issued_on <= day) and (expires_on is None or day < expires_on)


# --- the placement question -------------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    check_type: CheckType
    minimum_dbs_level: DbsLevel | None = None


@dataclass(frozen=True)
class Blocker:
    check_type: CheckType | None  # none: the person's or the relationship's standing, not a check
    problem: str  # missing | expired | insufficient_level | leader_withdrawn | leader_paused | affiliation_paused
    detail: str


@dataclass(frozen=True)
class HeldCheck:
    """What the placement question needs of a check a trust verified or accepted."""

    check_type: CheckType
    dbs_level: DbsLevel | None
    issued_on: date | None
    expires_on: date | None

    def valid_on(self, day: date) -> bool:
        return _valid_on(self.issued_on, self.expires_on, day)


def placement_blockers(requirements: list[Requirement], held: list[HeldCheck], on: date) -> list[Blocker]:
    """One reason per requirement the held checks do not meet on the date (none: the leader may be placed)."""
    blockers: list[Blocker] = []
    for requirement in requirements:
        of_type = [h for h in held if h.check_type is requirement.check_type]
        minimum = requirement.minimum_dbs_level if requirement.check_type is CheckType.DBS else None
        if minimum is None and requirement.check_type is CheckType.DBS:
            minimum = DbsLevel.BASIC
        enough = [
            h for h in of_type if minimum is None or (h.dbs_level is not None and h.dbs_level.rank >= minimum.rank)
        ]
        if any(h.valid_on(on) for h in enough):
            continue
        kind = requirement.check_type
        if any(h.valid_on(on) for h in of_type):
            blockers.append(Blocker(kind, "insufficient_level", f"a valid dbs check below {minimum} is held"))
        elif any(h.expires_on is not None and h.expires_on <= on for h in enough):
            latest = max(h.expires_on for h in enough if h.expires_on is not None)
            blockers.append(Blocker(kind, "expired", f"expired on {latest.isoformat()}"))
        elif enough:
            blockers.append(Blocker(kind, "missing", f"not yet issued on {on.isoformat()}"))
        else:
            blockers.append(Blocker(kind, "missing", "no verified or accepted check"))
    return blockers
