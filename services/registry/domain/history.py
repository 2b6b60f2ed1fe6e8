"""The change history: every write, who made it, which fields it changed, why and on what evidence.

A change is named by field names, never values (as the access audit names what was read). It is
derived from what the aggregates record (their events) and from what a use case notes where a
write records no event (equality answers, a check-in, a plan); the unit of work writes one entry
per person a commit changed (and one without a person for a trust's own things: a programme, a
term), each with the actor of the call. The person reads every entry about them; a trust reads only
the entries of its own writes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from services.registry.domain import checks, development, events, staff, taxonomy

REASON_MAX = 500
EVIDENCE_MAX = 2000


@dataclass(frozen=True)
class Actor:
    """Who makes the changes of a unit of work: the principal (kind and id), the member of staff the
    call names (with a trust key a claim, recorded as such), the call's correlation id, the method,
    and the reason and evidence the call gave."""

    kind: str
    id: str
    trust_ods: str | None = None
    staff: str | None = None
    correlation_id: str | None = None
    method: str = ""
    reason: str = ""
    evidence: str = ""

    @property
    def acting_leader(self) -> str | None:
        """The person, when the person makes the changes: whatever they change is about them."""
        return self.id.removeprefix("leader:") if self.kind == "leader" else None


# the registry's own processes (timers, the import CLI, migrations of data) when no call is behind it
SYSTEM = Actor("service", "registry")


@dataclass(frozen=True)
class Change:
    """What one commit changed of one person (``leader_id``), or of the actor's own things (None)."""

    leader_id: str | None
    fields: tuple[str, ...]


@dataclass(frozen=True)
class ChangeEntry:
    """An entry as it is read back."""

    entry_id: int
    at: datetime
    actor: Actor
    leader_id: str | None
    fields: tuple[str, ...]


# the field names each kind of event changes; an event with its own ``fields`` (leader.updated) names them
_EVENT_FIELDS: dict[type, tuple[str, ...]] = {
    events.TrustOnboarded: ("trust",),
    events.TrustKeyIssued: ("trust.keys",),
    events.TrustKeyRevoked: ("trust.keys",),
    events.TrustSuspended: ("trust.status",),
    events.TrustResumed: ("trust.status",),
    events.TrustOffboarded: ("trust.status",),
    # a registration names the affiliation it asks for, and no more: the entry is the registering trust's
    # to read, and naming the new person ("leader") would tell it, when absent, that someone else already
    # held the address (registration answers alike either way; so must the history)
    events.LeaderRegistered: ("affiliation",),
    events.LeaderPaused: ("status", "paused_until"),
    events.LeaderResumed: ("status", "paused_until"),
    events.LeaderWithdrawn: ("status",),
    events.LeaderErased: ("profile", "status"),
    events.RecordShared: ("consents.share_record_with_trust",),
    events.RecordUnshared: ("consents.share_record_with_trust",),
    events.LeaderChangedOnBehalf: ("changes_on_behalf",),
    events.LeaderEmailChangeRequested: (
        "email_change_requested",
    ),  # leader.updated names "email" once confirmed  # beside leader.updated, which names the fields
    events.LeaderAffiliated: ("affiliation",),
    events.AffiliationPaused: ("affiliation.paused", "affiliation.paused_until"),
    events.AffiliationResumed: ("affiliation.paused", "affiliation.paused_until"),
    events.AffiliationConfirmed: ("affiliation.status",),
    events.AffiliationEnded: ("affiliation.status", "affiliation.end_reason"),
    checks.CheckVerified: ("checks",),
    checks.CheckAccepted: ("checks.accepted",),
    checks.CheckExpiring: ("checks.expiry_notice",),
    checks.CheckExpired: ("checks.expiry_notice",),
    development.LeaderEnrolled: ("enrolments",),
    development.TrainingCompleted: ("enrolments.completed",),
    development.FacilitatorAssigned: ("support.facilitator",),
    events.NetworkCreated: ("network",),
    events.NetworkTrustAdded: ("network.trusts",),
    events.NetworkTrustRemoved: ("network.trusts",),
    events.InvitationSent: ("invitation",),
    events.InvitationAccepted: ("invitation.status",),
    events.InvitationDeclined: ("invitation.status",),
    staff.StaffAdded: ("staff",),
    staff.StaffLeft: ("staff.status",),
    taxonomy.TermAdded: ("terms",),
    taxonomy.TermRetired: ("terms",),
}


def event_kinds() -> tuple[type, ...]:
    """Every kind of event the history names the fields of (a test checks that none is missing)."""
    return (*_EVENT_FIELDS, events.LeaderUpdated, events.ConsentChanged)


def fields_of(event: object) -> tuple[str, ...]:
    if isinstance(event, events.LeaderUpdated):
        return event.fields
    if isinstance(event, events.ConsentChanged):
        return (f"consents.{event.purpose}",)
    # an event not named above still records a change, under its own name (a unit test asks that
    # every event be named above: a write must never fail for want of a history entry's field names)
    return _EVENT_FIELDS.get(type(event)) or (re.sub(r"(?<!^)(?=[A-Z])", "_", type(event).__name__).lower(),)


def _leader_of(event: object) -> str | None:
    leader_id = getattr(event, "leader_id", None)  # a trust's events name none
    return None if leader_id is None else str(leader_id)


def changes_of(
    recorded: Iterable[object], noted: Iterable[Change] = (), acting_leader: str | None = None
) -> list[Change]:
    """One change per person (in the order first changed), each naming its fields once. A change that
    names no person (an invitation's answer) is the acting person's own, when a person acts."""
    by_leader: dict[str | None, dict[str, None]] = {}
    named = [*((_leader_of(e), fields_of(e)) for e in recorded), *((c.leader_id, c.fields) for c in noted)]
    named = [(leader_id or acting_leader, names) for leader_id, names in named]
    for leader_id, names in named:
        by_leader.setdefault(leader_id, {}).update(dict.fromkeys(names))
    return [Change(leader_id, tuple(names)) for leader_id, names in by_leader.items()]


def bounded(actor: Actor) -> Actor:
    """The reason and evidence as kept: stripped and cut to their limits (the edge validates them;
    a caller's free text never makes a write fail here)."""
    return replace(actor, reason=actor.reason.strip()[:REASON_MAX], evidence=actor.evidence.strip()[:EVIDENCE_MAX])


def as_seen_by_leader(entry: ChangeEntry) -> ChangeEntry:
    """The person sees which trust wrote, not which of its staff (as a check shows the person its
    verifying trust, never the member of staff): that is the trust's to tell."""
    if entry.actor.kind != "trust" or entry.actor.staff is None:
        return entry
    return replace(entry, actor=replace(entry.actor, staff=None))
