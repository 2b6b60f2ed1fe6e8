"""Who may decide what about a person whom several trusts hold: the one rule every use case asks.

A leader is one person, seen by several trusts. Two kinds of decision, and only two:

- **The person decides for the person**: their global status (pause, resume, withdraw), every field
  of their profile (name, contact details, skills, interests, availability, access needs, lived
  experience, ...) and every consent not scoped to one trust (``PERSON_CONSENTS``). Only the leader
  principal (the portal's credential acting for the signed-in leader) decides these.
- **Assisted digital**: a trust's staff may record such a decision on the person's behalf, with
  evidence (``OnBehalf``: who recorded it, how the person asked), only for a person their trust holds
  through an ACTIVE affiliation. The change emits ``leader.changed_on_behalf`` (field names only) so
  the person is told; the person reverses it by making the change back themselves.
- **A trust decides for its relationship**: its own affiliation (pause with a return date, resume,
  end with a reason), its notes and its checks; never the person, never another trust's view.

Any other caller (a trust without ``on_behalf``, the administrator, an internal service) is refused
before anything is read, with the same message whoever else holds the person.

A withdrawn person is held by no trust: withdrawal ends every affiliation (``LEADER_WITHDREW``) and
no trust may act for them (``trusts_may_act``) until they return, which they do by confirming a
trust's new request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from services.common.errors import InvalidInput, PermissionDenied
from services.registry.domain.affiliation import Affiliation
from services.registry.domain.checks import Blocker
from services.registry.domain.consent import ConsentRecord, Purpose
from services.registry.domain.leader import Leader

# the consents that are the person's own, not one trust's: only the person (or staff on their behalf)
PERSON_CONSENTS = frozenset({Purpose.LIVED_EXPERIENCE_MATCHING, Purpose.SHARE_PROFILE_WITH_NETWORK})
LEADER_WITHDREW = "leader_withdrew"  # the end reason of every affiliation of a person who withdraws
ON_BEHALF_MAX = 500

RELATIONSHIP_METHODS = "PauseAffiliation, ResumeAffiliation or EndAffiliation"


class Decider(StrEnum):
    PERSON = "person"  # the leader, through the portal
    ON_BEHALF = "on_behalf"  # a trust's staff, recording the person's own request (assisted digital)
    TRUST = "trust"  # a trust, about its own relationship (or a consent that concerns only it)


@dataclass(frozen=True)
class OnBehalf:
    """The evidence of an assisted-digital change: who recorded it and how the person asked."""

    staff: str
    how_asked: str

    def __post_init__(self) -> None:
        problems = {
            f"on_behalf.{name}": f"is required (at most {ON_BEHALF_MAX} printable characters): {what}"
            for name, what in (("staff", "who records the change"), ("how_asked", "how the person asked for it"))
            if not _fits(getattr(self, name))
        }
        if problems:
            raise InvalidInput(problems)


@dataclass(frozen=True)
class ChangeOnBehalf:
    """What is kept of an assisted-digital change: the evidence, beside the thin event."""

    change_id: str
    leader_id: str
    trust_ods: str
    fields: tuple[str, ...]
    on_behalf: OnBehalf
    recorded_by: str  # the trust's key (and staff named on the call)
    recorded_at: datetime


def _fits(text: str) -> bool:
    return bool(text.strip()) and len(text) <= ON_BEHALF_MAX and text.isprintable()


def person_decision(caller_kind: str, on_behalf: OnBehalf | None, what: str) -> Decider:
    """Who decides ``what`` (one of the person's own decisions) on this call, or PERMISSION_DENIED.
    Depends on the caller alone, so it answers before anything about the person is read."""
    if caller_kind == "leader":
        if on_behalf is not None:
            raise InvalidInput(
                {"on_behalf": "is for a trust's staff acting for the person; the person acts as themselves"}
            )
        return Decider.PERSON
    if caller_kind == "trust" and on_behalf is not None:
        return Decider.ON_BEHALF
    if caller_kind == "trust":
        raise PermissionDenied(
            f"{what} is the person's own decision: a trust records it only on their behalf (on_behalf: who, "
            f"how they asked); a trust's own relationship changes with {RELATIONSHIP_METHODS}"
        )
    raise PermissionDenied(f"{what} is the person's own decision, made through the portal")


def consent_decision(
    purpose: Purpose, target: str, caller_kind: str, caller_trust: str | None, on_behalf: OnBehalf | None
) -> Decider:
    """Who decides a consent: the person's own consents as ``person_decision``; a trust may record only
    "contact by this trust" for itself (its staff, with evidence; with ``on_behalf`` as the person's own
    request, of which the person is told); any other is the leader's alone."""
    if purpose in PERSON_CONSENTS or caller_kind == "leader":
        return person_decision(caller_kind, on_behalf, f"consent to {purpose.value}")
    if caller_kind == "trust" and purpose is Purpose.CONTACT_BY_TRUST and target == caller_trust:
        return Decider.TRUST if on_behalf is None else Decider.ON_BEHALF
    raise PermissionDenied(f"only the leader can record consent for {purpose.value} {target}".strip())


def check_trust_may_grant(decider: Decider, grant: bool, current: ConsentRecord | None) -> None:
    """A trust's own grant of "contact by this trust" may not silently take back what the person decided:
    after the person themselves withdrew it, the trust records a grant again only on their behalf
    (``on_behalf``: who, how the person asked), and the person is told (``leader.changed_on_behalf``).
    The record asked about concerns the caller's trust alone, so the answer reveals no other trust."""
    if decider is Decider.TRUST and grant and current is not None and _withdrawn_by_person(current):
        raise PermissionDenied(
            "the person withdrew their consent to contact by your trust themselves: a grant again is their "
            "decision, recorded by your staff only on their behalf (on_behalf: who, how they asked), and the "
            "person is told"
        )


def _withdrawn_by_person(record: ConsentRecord) -> bool:
    return not record.granted and record.recorded_by_kind == "leader"


# a withdrawn (or erased) person is held by no trust: none may affiliate, enrol, assign or check
TRUSTS_MAY_NOT_ACT = ("withdrawn", "erased")


def trusts_may_act(leader_status: str) -> bool:
    return leader_status not in TRUSTS_MAY_NOT_ACT


def withdraw(
    leader: Leader, affiliations: list[Affiliation], now: datetime, on_behalf_change: str | None = None
) -> list[Affiliation]:
    """The person withdraws: their status, and the end of every relationship a trust has with them
    (pending ones too). Recorded on their behalf (``on_behalf_change``), each ended relationship keeps
    that change, so the person can reverse exactly it (``reverse_withdrawal``). Returns the affiliations
    that changed."""
    leader.withdraw(now)
    ending = [a for a in affiliations if a.status != "ended"]
    for affiliation in ending:
        affiliation.end(LEADER_WITHDREW, now, by_change=on_behalf_change)
    return ending


def reverse_withdrawal(leader: Leader, affiliations: list[Affiliation], now: datetime) -> list[Affiliation]:
    """The person resumes as themselves after a withdrawal: if that withdrawal was recorded on their
    behalf (a trust's staff), the relationships it ended come back, confirmed as before; a withdrawal of
    their own ended them for good (those trusts ask again). Only the latest withdrawal counts: the
    relationships ended with it, no older ones. Returns the affiliations that changed."""
    was_withdrawn = leader.status == "withdrawn"
    leader.resume(now)
    withdrawn = [a for a in affiliations if a.status == "ended" and a.end_reason == LEADER_WITHDREW]
    if not was_withdrawn or not withdrawn:
        return []
    latest = max(a.ended_at for a in withdrawn if a.ended_at is not None)
    restoring = [a for a in withdrawn if a.ended_at == latest and a.ended_by_change is not None]
    for affiliation in restoring:
        affiliation.restore(now)
    return restoring


def confirm(leader: Leader, affiliation: Affiliation, now: datetime) -> None:
    """The person confirms a trust's request; from a withdrawn person that is their return (the
    relationships that withdrawal ended stay ended: those trusts ask again)."""
    affiliation.confirm(now)
    if leader.status == "withdrawn":
        leader.resume(now)


def standing_blockers(leader: Leader | None, affiliation: Affiliation, on: date) -> list[Blocker]:
    """Why the person may not be placed by this trust on the day whatever their checks: they withdrew
    (the trust learnt it when its affiliation ended), they paused, or the trust paused its own
    relationship. ``leader`` is None when the trust may no longer see them."""
    if affiliation.end_reason == LEADER_WITHDREW or (leader is not None and leader.status == "withdrawn"):
        return [Blocker(None, "leader_withdrawn", "the leader has withdrawn; the relationship ended")]
    blockers = []
    if leader is not None and leader.status == "paused" and (leader.paused_until is None or leader.paused_until > on):
        until = f" until {leader.paused_until.isoformat()}" if leader.paused_until else ""
        blockers.append(Blocker(None, "leader_paused", f"the leader has paused{until}"))
    if affiliation.paused_on(on):
        until = f" until {affiliation.paused_until.isoformat()}" if affiliation.paused_until else ""
        blockers.append(Blocker(None, "affiliation_paused", f"your trust paused its relationship{until}"))
    return blockers
