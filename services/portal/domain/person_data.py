"""The person's own decisions and records as the portal shows them (no I/O): a pause's return date as
typed in three boxes, a withdrawal's reason, the registry's history entries in plain words, and what
the registry keeps after an erasure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from services.common.errors import InvalidInput

RETURN_DATE_YEARS_AHEAD = 5  # a return date further off is almost surely a typing slip
REASON_MAX = 500  # the registry's limit on a request's reason
HISTORY_PAGE_SIZE = 20


@dataclass(frozen=True)
class Standing:
    """The person's own status in the registry: "active", "paused" (maybe until a date) or "withdrawn"."""

    status: str
    paused_until: date | None


@dataclass(frozen=True)
class HistoryEntry:
    """One access or change about the person, as the registry records it (field names, never values)."""

    at: datetime
    principal_kind: str  # "leader", "trust", "administrator", "service"
    trust_ods: str
    staff: str
    method: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class HistoryPage:
    entries: tuple[HistoryEntry, ...]
    next_token: str


@dataclass(frozen=True)
class Retained:
    """A kind of record the registry keeps after erasure, and why (its answer to EraseLeader)."""

    name: str
    reason: str
    period: str
    kept: str


@dataclass(frozen=True)
class TrustInvitation:
    """A trust's invitation to join its pool, as the person sees it."""

    invitation_id: str
    trust_ods: str
    trust_name: str
    status: str  # "sent", "accepted", "declined"
    created_at: datetime


def return_date(day: str, month: str, year: str, today: date) -> date | None:
    """The return date a person typed (each box may be empty: then there is none), or InvalidInput on
    ``until`` saying what is wrong."""
    parts = [part.strip() for part in (day, month, year)]
    if not any(parts):
        return None
    if not all(parts):
        missing = [name for name, part in zip(("a day", "a month", "a year"), parts, strict=True) if not part]
        raise InvalidInput({"until": f"The return date must include {' and '.join(missing)}"})
    if not all(re.fullmatch(r"\d{1,4}", part) for part in parts) or len(parts[2]) != 4:
        raise InvalidInput({"until": "The return date must be a real date, like 27 3 2027"})
    try:
        until = date(int(parts[2]), int(parts[1]), int(parts[0]))
    except ValueError:
        raise InvalidInput({"until": "The return date must be a real date, like 27 3 2027"}) from None
    if until <= today:
        raise InvalidInput({"until": "The return date must be in the future"})
    if until.year > today.year + RETURN_DATE_YEARS_AHEAD:
        raise InvalidInput({"until": f"The return date must be within {RETURN_DATE_YEARS_AHEAD} years"})
    return until


def withdrawal_reason(text: str) -> str:
    reason = text.strip()
    if len(reason) > REASON_MAX:
        raise InvalidInput({"reason": f"Your reason must be {REASON_MAX} characters or fewer"})
    if any(not (ch.isprintable() or ch in "\r\n\t") for ch in reason):
        raise InvalidInput({"reason": "Your reason must be plain text"})
    return reason


# what the registry's methods do, in words a person reads ("a trust ... your record")
_DOINGS = {
    "GetLeader": "looked at your record",
    "ListLeaders": "looked at its list of patient leaders, which includes you",
    "UpdateLeader": "changed your details",
    "RegisterLeader": "added you as a patient leader",
    "ExportLeaderData": "downloaded your data",
    "EraseLeader": "asked for your data to be deleted",
    "ConfirmAffiliation": "confirmed a trust's request",
    "DeclineAffiliation": "declined a trust's request",
    "EndAffiliation": "ended the link with a trust",
    "PauseAffiliation": "paused the link with a trust",
    "ResumeAffiliation": "resumed the link with a trust",
    "PauseLeader": "paused your involvement",
    "ResumeLeader": "resumed your involvement",
    "WithdrawLeader": "withdrew you from all involvement",
    "RecordConsent": "recorded a consent",
    "ListConsents": "looked at your consents",
    "SubmitEqualityMonitoring": "recorded equality answers",
    "VerifyEmailChange": "confirmed a new email address",
    "AcceptInvitation": "accepted a trust's invitation",
    "DeclineInvitation": "declined a trust's invitation",
    "InviteLeader": "invited you to join its patient leaders",
    "RecordCheck": "recorded a check",
    "ListChecks": "looked at your checks",
    "GetSharedRecord": "looked at your shared record",
    "AcceptCheck": "accepted a check another trust made",
    "FindNetworkCandidates": "found you in its network's search",
    "ListAuditEntries": "looked at who accessed your record",
    "ListChanges": "looked at the changes to your record",
}


def doing(method: str) -> str:
    """What an entry's method did, in plain words; an unknown method by its words ("ListEnrolments":
    "list enrolments")."""
    if method in _DOINGS:
        return _DOINGS[method]
    if not method:
        return "an automatic update by the registry"
    return " ".join(word.lower() for word in re.findall(r"[A-Z][a-z]*|[a-z]+", method)) or method


# the registry's names of what changed, in words; anything else shown as its name with spaces
_FIELDS = {
    "given_name": "first name",
    "family_name": "last name",
    "email": "email address",
    "phone": "phone number",
    "postcode": "postcode",
    "status": "your status",
    "paused_until": "your return date",
    "affiliation": "a trust's link with you",
    "affiliation.status": "the status of a trust's link with you",
    "equality_monitoring": "equality answers",
}


def field_words(name: str) -> str:
    if name in _FIELDS:
        return _FIELDS[name]
    if name.startswith("consents."):
        return "consent: " + name.removeprefix("consents.").replace("_", " ")
    return name.replace("_", " ").replace(".", " ")


# what each kind of kept record means to the person (the registry names the kinds on erasure; a kind
# the portal has no words for is shown in the registry's own words)
RETENTION_WORDS = {
    "consent_records": "the consents you gave or withdrew, and when, without any evidence text",
    "access_audit": "who looked at your record and when, without the details they saw",
    "change_history": "who changed your record and when, without what it said or the reasons given",
    "affiliation_history": "which trusts worked with you and when, without your name or contact details",
    "check_records": "the checks trusts made before involving you (such as DBS), without their details",
}
