"""Use cases about leaders, their affiliations and consent: one function per command
(``domain/commands.py``), each given the command, a unit of work and the caller.

Who may do what is decided here from the caller's principal; what a trust may see of a leader is
decided by ``view_for`` from the leader's consent. Row-level security enforces the same boundary
underneath: a trust-scoped unit of work cannot read a leader without an active affiliation.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import partial

from services.common.errors import (
    AlreadyExists,
    ConcurrentChange,
    InvalidInput,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    refuse,
)
from services.common.idempotency import Idempotent, once
from services.common.principals import Principal
from services.registry.domain import authority, commands
from services.registry.domain.affiliation import Affiliation, check_end_reason
from services.registry.domain.authority import ChangeOnBehalf, Decider, OnBehalf
from services.registry.domain.consent import (
    ConsentRecord,
    Purpose,
    as_seen_by_trust,
    check_recorder,
    concerns_trust,
    current_state,
    is_granted,
    parse_purpose,
)
from services.registry.domain.email_change import EmailChange
from services.registry.domain.known_details import KNOWN_FIELDS, KnownDetails
from services.registry.domain.leader import Leader, VersionConflict
from services.registry.domain.profile import (
    CONTACT_FIELDS,
    LeaderProfile,
    TermExists,
    hidden_from_trust,
    normalise_email,
    profile_problems,
)
from services.registry.domain.reason import check_return_date
from services.registry.domain.taxonomy import Term, new_term
from services.registry.service_layer.networks import check_shareable
from services.registry.service_layer.ports import AuditEntry
from services.registry.service_layer.unit_of_work import UnitOfWork

Clock = Callable[[], datetime]
IdFactory = Callable[[], str]


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


# an audit row names at least one field: a read that showed no profile field showed the status
AUDITED_WHEN_NOTHING_SHOWN = ("status",)


@dataclass(frozen=True)
class LeaderView:
    """A leader as one caller may see them."""

    leader: Leader
    profile: LeaderProfile
    contactable: bool
    consents: tuple[ConsentRecord, ...]
    affiliation: Affiliation | None
    known: KnownDetails | None = None  # a trust's own record of how it knows the person
    email_change_pending: bool = False  # this call asked for a change of the person's address
    # the version and time of the last change this caller can see (a trust: ``Leader.as_seen_by_trust``)
    version: int = 0
    updated_at: datetime | None = None

    @property
    def fields_shown(self) -> tuple[str, ...]:
        return tuple(name for name in LeaderProfile.field_names() if getattr(self.profile, name) not in ("", ()))

    @property
    def fields_audited(self) -> tuple[str, ...]:
        """What the audit row of this view names: the fields shown, or the status when none was."""
        return self.fields_shown or AUDITED_WHEN_NOTHING_SHOWN


def view_for(
    principal: Principal, leader: Leader, affiliation: Affiliation | None, known: KnownDetails | None = None
) -> LeaderView:
    state = current_state(leader.consents)
    if principal.kind == "trust":
        trust = principal.trust_ods or ""
        may_contact = is_granted(leader.consents, Purpose.CONTACT_BY_TRUST, trust)
        contactable = may_contact and leader.status == "active"
        hidden = hidden_from_trust(may_contact, is_granted(leader.consents, Purpose.LIVED_EXPERIENCE_MATCHING))
        consents = tuple(as_seen_by_trust(r, trust) for r in state.values() if concerns_trust(r, trust))
        profile = leader.profile.without(hidden)
        seen = profile if may_contact else profile.district_only()
        version, updated_at = leader.as_seen_by_trust(trust)
        return LeaderView(
            leader, seen, contactable, consents, affiliation, known, version=version, updated_at=updated_at
        )
    return LeaderView(
        leader,
        leader.profile,
        leader.status == "active",
        tuple(state.values()),
        affiliation,
        version=leader.version,
        updated_at=leader.updated_at,
    )


def _expected_version(principal: Principal, leader: Leader, expected: int) -> int:
    """The leader's own version an update expects: a trust sends the version it sees (which counts no
    other trust's consents), refused as stale naming that one, never the person's own."""
    if principal.kind != "trust":
        return expected
    seen, _ = leader.as_seen_by_trust(principal.trust_ods or "")
    if expected != seen:
        raise VersionConflict(leader.leader_id, expected, seen)
    return leader.version


def _audit_reads(uow: UnitOfWork, principal: Principal, method: str, views: list[LeaderView]) -> None:
    uow.audit.record(
        principal.kind,
        principal.audit_name,
        principal.trust_ods,
        method,
        {v.leader.leader_id: v.fields_audited for v in views},
    )


def _validate(
    profile: LeaderProfile,
    term_exists: TermExists,
    names: tuple[str, ...] | None = None,
    also: dict[str, str] | None = None,
) -> None:
    """InvalidInput naming every bad field of the profile at once, with ``also`` (the request's other problems)."""
    refuse({**(also or {}), **profile_problems(profile, term_exists, names)})


# --- registration and affiliations ------------------------------------------------------------


def register_leader(
    cmd: commands.RegisterLeader,
    uow: UnitOfWork,
    principal: Principal,
    clock: Clock = utc_now,
    ids: IdFactory = new_id,
    idempotent: Idempotent[Affiliation] | None = None,
) -> Affiliation:
    """Runs in the platform scope (the trust cannot see, so could not find, a person it is not yet
    affiliated with); it answers the trust with nothing but its own pending affiliation."""
    trust = principal.require_trust()
    now = clock()
    register = partial(_register_in, uow, idempotent, trust, cmd.profile, now, ids)
    try:
        return register()
    except ConcurrentChange:
        # the same person registered by another call between our look-up and our insert: looking
        # again finds them, and the answer is the one any registration gets (nothing is revealed)
        return register()


def _register_in(
    uow: UnitOfWork,
    idempotent: Idempotent[Affiliation] | None,
    trust: str,
    profile: LeaderProfile,
    now: datetime,
    ids: IdFactory,
) -> Affiliation:
    with uow:
        affiliation = once(uow.idempotency, idempotent, lambda: _register(uow, trust, profile, now, ids))
        uow.commit()
    return affiliation


def _register(uow: UnitOfWork, trust: str, profile: LeaderProfile, now: datetime, ids: IdFactory) -> Affiliation:
    # the platform scope sees every trust's terms: the trust may use the global ones and its own only
    usable = uow.taxonomy.usable_by(trust)
    _validate(profile, lambda kind, code: (kind, code) in usable)
    if profile.lived_experience:
        raise InvalidInput(
            {"lived_experience": "can only be given after the leader's consent 'lived_experience_matching' is recorded"}
        )
    leader_id = uow.leaders.find_by_email_key(normalise_email(profile.email))
    if leader_id is None:
        leader = Leader.register(ids(), profile, now)
        uow.leaders.add(leader)
        leader_id = leader.leader_id
    affiliation = uow.affiliations.for_trust(trust, leader_id)
    if affiliation is None:
        affiliation = Affiliation.request(ids(), leader_id, trust, now)
        uow.affiliations.add(affiliation)
    elif affiliation.status == "ended":
        expected = affiliation.version
        affiliation.reopen(now)
        uow.affiliations.save(affiliation, expected)
    # how this trust knows the person, as it gave it: its own, whatever the person's own details are
    uow.known.put(KnownDetails.recorded(trust, leader_id, profile, now))
    return affiliation


def _own_affiliation(uow: UnitOfWork, leader_id: str, affiliation_id: str) -> Affiliation:
    affiliation = uow.affiliations.get(affiliation_id)
    if affiliation is None or affiliation.leader_id != leader_id:
        raise NotFound(f"no affiliation {affiliation_id}")
    return affiliation


def _change_affiliation(uow: UnitOfWork, affiliation: Affiliation, change: Callable[[Affiliation], None]) -> None:
    """Inside an open unit of work: saved and committed only if the change changed something."""
    expected = affiliation.version
    change(affiliation)
    if affiliation.version != expected:
        uow.affiliations.save(affiliation, expected)
        uow.commit()


def confirm_affiliation(
    cmd: commands.ConfirmAffiliation, uow: UnitOfWork, principal: Principal, clock: Clock = utc_now
) -> Affiliation:
    leader_id = principal.require_leader()
    with uow:
        affiliation = _own_affiliation(uow, leader_id, cmd.affiliation_id)
        leader, _ = visible_leader(uow, principal, leader_id, lock=True)
        was = leader.version, affiliation.version
        authority.confirm(leader, affiliation, clock())  # a withdrawn person's confirmation is their return
        _save_changed(uow, leader, was[0])
        _save_changed_affiliations(uow, [affiliation], [was[1]])
        uow.commit()
    return affiliation


def _save_changed(uow: UnitOfWork, leader: Leader, expected: int) -> None:
    if leader.version != expected:
        uow.leaders.save(leader, expected)


def _save_changed_affiliations(uow: UnitOfWork, affiliations: list[Affiliation], expected: list[int]) -> None:
    for affiliation, version in zip(affiliations, expected, strict=True):
        if affiliation.version != version:
            uow.affiliations.save(affiliation, version)


def decline_affiliation(
    cmd: commands.DeclineAffiliation, uow: UnitOfWork, principal: Principal, clock: Clock = utc_now
) -> Affiliation:
    leader_id = principal.require_leader()
    with uow:
        affiliation = _own_affiliation(uow, leader_id, cmd.affiliation_id)
        _change_affiliation(uow, affiliation, lambda a: a.decline(clock()))
    return affiliation


def end_affiliation(
    cmd: commands.EndAffiliation, uow: UnitOfWork, principal: Principal, clock: Clock = utc_now
) -> Affiliation:
    trust = principal.require_trust()
    check_end_reason(cmd.reason)  # bad input, refused before anything is read
    with uow:
        affiliation = uow.affiliations.for_trust(trust, cmd.leader_id)
        if affiliation is None:
            raise NotFound(f"no leader {cmd.leader_id} affiliated with {trust}")
        _change_affiliation(uow, affiliation, lambda a: a.end(cmd.reason, clock()))
    return affiliation


def pause_affiliation(
    cmd: commands.PauseAffiliation, uow: UnitOfWork, principal: Principal, clock: Clock = utc_now
) -> Affiliation:
    """The trust pauses its own relationship (the person's status and other trusts' views unchanged)."""
    now = clock()
    check_return_date(cmd.until, now.date())  # bad input, refused before anything is read
    return _change_relationship(uow, principal, cmd.leader_id, lambda a: a.pause(cmd.until, now.date(), now))


def resume_affiliation(
    cmd: commands.ResumeAffiliation, uow: UnitOfWork, principal: Principal, clock: Clock = utc_now
) -> Affiliation:
    return _change_relationship(uow, principal, cmd.leader_id, lambda a: a.resume(clock()))


def _change_relationship(
    uow: UnitOfWork, principal: Principal, leader_id: str, change: Callable[[Affiliation], None]
) -> Affiliation:
    """A trust's change to its own ACTIVE affiliation: NOT_FOUND as for any person it does not hold."""
    trust = principal.require_trust()
    with uow:
        visible_leader(uow, principal, leader_id)  # NOT_FOUND as for anyone the trust does not hold
        affiliation = uow.affiliations.for_trust(trust, leader_id)  # loaded to change: its events go out
        assert affiliation is not None
        _change_affiliation(uow, affiliation, change)
    return affiliation


@dataclass(frozen=True)
class ListedAffiliation:
    affiliation: Affiliation
    # the trust's name while the affiliation is pending or active ("" once it has ended): what a person
    # needs to know who asks them, and no more (a trust they never had anything to do with stays unnamed)
    trust_name: str


def list_affiliations(cmd: commands.ListAffiliations, uow: UnitOfWork, principal: Principal) -> list[ListedAffiliation]:
    if principal.kind not in ("trust", "leader"):
        raise PermissionDenied("a trust's key or a leader lists affiliations")
    with uow:
        # the scope (RLS) limits this to the trust's own, or the leader's own
        found = uow.affiliations.page(cmd.after, cmd.updated_since, cmd.limit, leader_id=principal.leader_id)
        names: dict[str, str] = {}
        for ods in {a.trust_ods for a in found if a.status in ("pending", "active")}:
            trust = uow.trusts.get(ods)
            names[ods] = trust.name if trust is not None else ""
        return [ListedAffiliation(a, names.get(a.trust_ods, "")) for a in found]


# --- reading and changing a leader ------------------------------------------------------------


AWAITING_CONFIRMATION = (
    "leader {leader_id} has not yet confirmed your trust's affiliation: a trust sees a person, and acts"
    " for them, once they confirm (see docs/trust-integration.md, 'The confirmation journey')"
)


def visible_leader(
    uow: UnitOfWork, principal: Principal, leader_id: str, *, lock: bool = False
) -> tuple[Leader, Affiliation | None]:
    if principal.kind == "leader" and principal.leader_id != leader_id:
        raise NotFound(f"no leader {leader_id}")
    affiliation = None
    if principal.kind == "trust" and not lock:
        leader, affiliation = uow.leader_for_trust(leader_id, principal.trust_ods or "")
    else:
        leader = uow.leaders.get(leader_id, lock=lock)
        if principal.kind == "trust":
            affiliation = uow.affiliations.for_trust(principal.trust_ods or "", leader_id)
    if principal.kind == "trust" and leader is None and affiliation is None:
        # row security hides a person the trust does not hold actively: its own pending registration
        # is still its own to know of (the not-found path only: the hot read needs no second query)
        affiliation = uow.affiliations.for_trust(principal.trust_ods or "", leader_id)
    if principal.kind == "trust" and affiliation is not None and affiliation.status == "pending":
        # the trust's own registration, not yet confirmed: saying so tells it nothing of other trusts
        raise PreconditionFailed(AWAITING_CONFIRMATION.format(leader_id=leader_id))
    if principal.kind == "trust" and (affiliation is None or not affiliation.active):
        leader = None
    if leader is not None and principal.kind == "trust" and not authority.trusts_may_act(leader.status):
        leader = None
    if leader is None or leader.erased_at is not None:
        # the same answer whether the person does not exist or is not this caller's to see
        raise NotFound(f"no leader {leader_id}")
    return leader, affiliation


def get_leader(cmd: commands.GetLeader, uow: UnitOfWork, principal: Principal) -> LeaderView:
    # the audit row is committed before the answer: written with the read, in its statement, when the
    # unit of work can (a trust's read; ADR 0006), else by the next statement
    with uow.audited_read():
        uow.audit_with_read(principal.kind, principal.audit_name, principal.trust_ods, "GetLeader")
        leader, affiliation = visible_leader(uow, principal, cmd.leader_id)
        known = uow.known.get(principal.trust_ods, leader.leader_id) if principal.trust_ods else None
        view = view_for(principal, leader, affiliation, known)
        _audit_reads(uow, principal, "GetLeader", [view])
        uow.commit()
    return view


def list_leaders(cmd: commands.ListLeaders, uow: UnitOfWork, principal: Principal) -> list[LeaderView]:
    trust = principal.require_trust()
    with uow:
        leaders = uow.leaders.list_visible(trust, cmd.after, cmd.updated_since, cmd.limit)
        known = uow.known.of_trust(trust, [leader.leader_id for leader in leaders])
        views = [
            view_for(
                principal, leader, uow.affiliations.for_trust(trust, leader.leader_id), known.get(leader.leader_id)
            )
            for leader in leaders
        ]
        _audit_reads(uow, principal, "ListLeaders", views)
        uow.commit()
    return views


def update_leader(
    cmd: commands.UpdateLeader, uow: UnitOfWork, principal: Principal, clock: Clock = utc_now, ids: IdFactory = new_id
) -> LeaderView:
    """The person changes their own fields (a trust's staff only on their behalf). A trust's name and
    contact fields without ``on_behalf`` change its own record of how it knows the person
    (``known_details``), never the person's: so its answer cannot depend on whether anyone else
    holds the person or the address. The person's own address changes only once the new address
    confirms it (``email_changes.py``): asking answers the same whatever the address."""
    names, names_problem = _changed_fields(cmd.names)
    own_record, for_person = _split_for_trust(principal, cmd.on_behalf, names)
    decider = authority.person_decision(principal.kind, cmd.on_behalf, "the person's profile") if for_person else None
    with uow:
        # every bad field is named at once, whoever the id names
        _validate(cmd.changes, uow.taxonomy.exists, names, names_problem)
        leader, affiliation = visible_leader(uow, principal, cmd.leader_id, lock=True)
        _check_may_change_contact(principal, leader, for_person)
        now = clock()
        at_once = tuple(n for n in for_person if n != "email")
        expected = _expected_version(principal, leader, cmd.expected_version)
        changed = leader.update(cmd.changes, at_once, expected, now)
        if changed:
            _mark_on_behalf(uow, principal, leader, decider, cmd.on_behalf, changed, ids, now)
        asked = "email" in for_person and ask_email_change(uow, principal, leader, cmd, ids, now)
        if changed or asked:
            uow.leaders.save(leader, expected)
        known = _keep_known(uow, principal, leader.leader_id, cmd.changes, own_record, now)
        view = replace(view_for(principal, leader, affiliation, known), email_change_pending=asked)
        uow.commit()
    return view


def _split_for_trust(
    principal: Principal, on_behalf: OnBehalf | None, names: tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the trust's own record's fields, the person's fields) of an update."""
    if principal.kind != "trust" or on_behalf is not None:
        return (), names
    return tuple(n for n in names if n in KNOWN_FIELDS), tuple(n for n in names if n not in KNOWN_FIELDS)


def ask_email_change(
    uow: UnitOfWork, principal: Principal, leader: Leader, cmd: commands.UpdateLeader, ids: IdFactory, now: datetime
) -> bool:
    """The person's new address waits for its confirmation (``domain/email_change.py``); whether anyone
    holds it is not looked at, so the answer is the same for any address. False if it is theirs already."""
    address = cmd.changes.normalised().email
    if normalise_email(address) == leader.email_key:
        return False
    trust = principal.trust_ods if cmd.on_behalf is not None else None
    change = EmailChange.asked(ids(), leader.leader_id, address, now, trust)
    uow.email_changes.add(change)
    leader.request_email_change(change.change_id, trust)
    if trust is not None and cmd.on_behalf is not None:  # the evidence, kept as for any change on their behalf
        fields = ("email_change_requested",)
        asked = ChangeOnBehalf(
            change.change_id, leader.leader_id, trust, fields, cmd.on_behalf, principal.audit_name, now
        )
        uow.leaders.record_change_on_behalf(asked)
    return True


def _keep_known(
    uow: UnitOfWork, principal: Principal, leader_id: str, given: LeaderProfile, names: tuple[str, ...], now: datetime
) -> KnownDetails | None:
    """The calling trust's own record, with the named fields changed (None for any other caller)."""
    if principal.kind != "trust" or principal.trust_ods is None:
        return None
    trust = principal.trust_ods
    current = uow.known.get(trust, leader_id) or KnownDetails(trust, leader_id, updated_at=now)
    updated, changed = current.changed(given, names, now)
    if changed:
        uow.known.put(updated)
        uow.note_change(leader_id, *(f"known_details.{name}" for name in changed))
    return updated


def _mark_on_behalf(
    uow: UnitOfWork,
    principal: Principal,
    leader: Leader,
    decider: Decider | None,
    on_behalf: OnBehalf | None,
    fields: tuple[str, ...],
    ids: IdFactory,
    now: datetime,
) -> None:
    """After a change to the person: if a trust's staff made it for them, the person is told (event) and
    the evidence is kept."""
    if decider is not Decider.ON_BEHALF or on_behalf is None:
        return
    change = ChangeOnBehalf(
        ids(), leader.leader_id, principal.require_trust(), fields, on_behalf, principal.audit_name, now
    )
    leader.record_on_behalf(change.trust_ods, fields, change.change_id)
    uow.leaders.record_change_on_behalf(change)


def _check_may_change_contact(principal: Principal, leader: Leader, names: tuple[str, ...]) -> None:
    if (
        principal.kind == "trust"
        and any(n in CONTACT_FIELDS for n in names)
        and not is_granted(leader.consents, Purpose.CONTACT_BY_TRUST, principal.trust_ods or "")
    ):
        raise PermissionDenied("contact details can be changed by a trust only while it may contact the leader")


def _changed_fields(names: tuple[str, ...]) -> tuple[tuple[str, ...], dict[str, str]]:
    """(the profile fields an update names, all when none; the problem of any it names that are none)."""
    unknown = [n for n in names if n not in LeaderProfile.field_names()]
    known = tuple(n for n in names if n not in unknown)
    problem = {"fields": f"unknown profile field(s): {', '.join(unknown[:5])}"} if unknown else {}
    return (known or (() if unknown else LeaderProfile.field_names())), problem


def pause_leader(
    cmd: commands.PauseLeader, uow: UnitOfWork, principal: Principal, clock: Clock = utc_now, ids: IdFactory = new_id
) -> LeaderView:
    check_return_date(cmd.until, clock().date())  # bad input, refused before anything is read (or who asks)
    decider = authority.person_decision(principal.kind, cmd.on_behalf, "pausing the person")
    pause = lambda leader, now, _: leader.pause(cmd.until, now.date(), now)  # noqa: E731
    change = _StatusChange(decider, cmd.on_behalf, ("status", "paused_until"), pause)
    return _change_status(uow, principal, cmd.leader_id, change, clock, ids)


def resume_leader(
    cmd: commands.ResumeLeader, uow: UnitOfWork, principal: Principal, clock: Clock = utc_now, ids: IdFactory = new_id
) -> LeaderView:
    decider = authority.person_decision(principal.kind, cmd.on_behalf, "resuming the person")

    def resume(leader: Leader, now: datetime, _: str) -> None:
        if decider is not Decider.PERSON:  # staff resume a paused person; only the person reverses a withdrawal
            leader.resume(now)
            return
        found = _affiliations_of(uow, leader.leader_id)
        was = [a.version for a in found]
        authority.reverse_withdrawal(leader, found, now)
        _save_changed_affiliations(uow, found, was)

    change = _StatusChange(decider, cmd.on_behalf, ("status", "paused_until"), resume)
    return _change_status(uow, principal, cmd.leader_id, change, clock, ids)


def _affiliations_of(uow: UnitOfWork, leader_id: str) -> list[Affiliation]:
    """Every affiliation of the person, loaded to change (``uow`` platform-scoped: other trusts' too)."""
    loaded = [uow.affiliations.get(a.affiliation_id) for a in uow.affiliations.of_leader(leader_id)]
    return [a for a in loaded if a is not None]


def withdraw_leader(
    cmd: commands.WithdrawLeader, uow: UnitOfWork, principal: Principal, clock: Clock = utc_now, ids: IdFactory = new_id
) -> LeaderView:
    """The person withdraws, and every trust's relationship with them ends (``uow`` is platform-scoped:
    it ends affiliations the caller cannot see; the caller is refused before anything is read)."""
    decider = authority.person_decision(principal.kind, cmd.on_behalf, "withdrawing the person")

    def withdraw(leader: Leader, now: datetime, change_id: str) -> None:
        found = _affiliations_of(uow, leader.leader_id)
        was = [a.version for a in found]
        authority.withdraw(leader, found, now, change_id or None)
        _save_changed_affiliations(uow, found, was)

    return _change_status(
        uow, principal, cmd.leader_id, _StatusChange(decider, cmd.on_behalf, ("status",), withdraw), clock, ids
    )


@dataclass(frozen=True)
class _StatusChange:
    decider: Decider
    on_behalf: OnBehalf | None
    fields: tuple[str, ...]
    # (the person, now, the id the change on their behalf will have: "" when the person acts)
    change: Callable[[Leader, datetime, str], None]


def _change_status(
    uow: UnitOfWork, principal: Principal, leader_id: str, status: _StatusChange, clock: Clock, ids: IdFactory
) -> LeaderView:
    with uow:
        leader, affiliation = visible_leader(uow, principal, leader_id, lock=True)
        expected, now = leader.version, clock()
        change_id = ids() if status.decider is Decider.ON_BEHALF else ""
        status.change(leader, now, change_id)
        if leader.version != expected:
            mark = _mark_on_behalf
            mark(uow, principal, leader, status.decider, status.on_behalf, status.fields, lambda: change_id, now)
            uow.leaders.save(leader, expected)
        if affiliation is not None:  # a withdrawal on the person's behalf ended it too
            affiliation = uow.affiliations.for_trust(affiliation.trust_ods, leader_id)
        view = view_for(principal, leader, affiliation)
        uow.commit()
    return view


# --- consent ------------------------------------------------------------------------------------


def record_consent(
    cmd: commands.RecordConsent,
    uow: UnitOfWork,
    principal: Principal,
    clock: Clock = utc_now,
    idempotent: Idempotent[ConsentRecord] | None = None,
    ids: IdFactory = new_id,
) -> ConsentRecord:
    purpose, decider = _checked_consent(cmd, principal)

    def record() -> ConsentRecord:
        leader = _consenting_leader(uow, principal, cmd, purpose)
        authority.check_trust_may_grant(decider, cmd.grant, current_state(leader.consents).get((purpose, cmd.target)))
        expected = leader.version
        made = _new_consent(cmd, purpose, decider, principal, clock())
        leader.record_consent(made)
        if leader.version != expected:
            fields = (f"consent.{purpose.value}",)
            _mark_on_behalf(uow, principal, leader, decider, cmd.on_behalf, fields, ids, made.recorded_at)
        uow.leaders.save(leader, expected)
        uow.note_change(leader.leader_id, f"consents.{purpose.value}")  # recorded even when nothing changes
        return made

    with uow:
        made = once(uow.idempotency, idempotent, record)
        uow.commit()
    return made


def _consenting_leader(uow: UnitOfWork, principal: Principal, cmd: commands.RecordConsent, purpose: Purpose) -> Leader:
    """The leader, locked; a grant of network sharing must name a network they can see."""
    leader, _ = visible_leader(uow, principal, cmd.leader_id, lock=True)
    if purpose is Purpose.SHARE_PROFILE_WITH_NETWORK and cmd.grant:
        check_shareable(uow, leader.leader_id, cmd.target)
    return leader


def _new_consent(
    cmd: commands.RecordConsent, purpose: Purpose, decider: Decider, principal: Principal, now: datetime
) -> ConsentRecord:
    return ConsentRecord(
        purpose,
        cmd.target,
        cmd.grant,
        cmd.wording_version.strip(),
        "leader" if decider is Decider.PERSON else "staff",
        principal.audit_name,
        principal.trust_ods,
        cmd.evidence.strip(),
        now,
    )


def _checked_consent(cmd: commands.RecordConsent, principal: Principal) -> tuple[Purpose, Decider]:
    """The purpose, and who decides it (``authority.consent_decision``): refused before anything is read."""
    purpose = parse_purpose(cmd.purpose, cmd.target)
    wording = cmd.wording_version
    if not wording.strip() or len(wording) > 50 or not wording.isprintable():
        raise InvalidInput({"wording_version": "is required (at most 50 characters): the version of the words agreed"})
    if len(cmd.evidence) > 2000:
        raise InvalidInput({"evidence": "must be at most 2000 characters"})
    decider = authority.consent_decision(purpose, cmd.target, principal.kind, principal.trust_ods, cmd.on_behalf)
    check_recorder("leader" if decider is Decider.PERSON else "staff", cmd.evidence)
    return purpose, decider


def list_consents(
    cmd: commands.ListConsents, uow: UnitOfWork, principal: Principal
) -> tuple[list[ConsentRecord], list[ConsentRecord]]:
    """(current, history) of the consents that concern the caller."""
    with uow:
        leader, _ = visible_leader(uow, principal, cmd.leader_id)
    history = leader.consents
    if principal.kind == "trust":
        trust = principal.trust_ods or ""
        history = [as_seen_by_trust(r, trust) for r in history if concerns_trust(r, trust)]
    return list(current_state(history).values()), list(history)


# --- the access audit and the taxonomy --------------------------------------------------------


def list_audit_entries(
    cmd: commands.ListAuditEntries, uow: UnitOfWork, principal: Principal
) -> list[tuple[int, AuditEntry]]:
    page = (cmd.after_id, cmd.updated_since, cmd.limit)
    with uow:
        if principal.kind == "leader":
            if principal.leader_id != cmd.leader_id:
                raise NotFound(f"no leader {cmd.leader_id}")
            return uow.audit.list(cmd.leader_id, None, *page)
        trust = principal.require_trust()
        if uow.affiliations.for_trust(trust, cmd.leader_id) is None:
            raise NotFound(f"no leader {cmd.leader_id}")
        return uow.audit.list(cmd.leader_id, trust, *page)


def list_terms(cmd: commands.ListTerms, uow: UnitOfWork) -> list[Term]:
    """Anyone with a key reads the taxonomy (the scope adds the caller's trust's own terms)."""
    with uow:
        return uow.taxonomy.list(cmd.kind or None)


def add_term(cmd: commands.AddTerm, uow: UnitOfWork, principal: Principal) -> Term:
    trust = principal.require_trust()
    term = new_term(cmd.kind, cmd.code, cmd.label, trust)
    with uow:
        # the terms the trust sees: the global ones and its own (no other trust's)
        held = next((t for t in uow.taxonomy.list(cmd.kind) if t.code == cmd.code), None)
        if held is not None:
            if held.label != term.label:
                raise AlreadyExists(f"{cmd.kind} term {cmd.code!r} exists already, labelled {held.label!r}")
            return held  # the same term again: nothing to do
        uow.taxonomy.add(term)  # announced: term.added (the change history records it)
        uow.commit()
    return term


def resume_due_leaders(new_uow: Callable[[], UnitOfWork], clock: Clock = utc_now, batch: int = 200) -> int:
    """Resumes every paused leader, and every trust's paused relationship, whose return date has come
    (a worker timer; platform-scoped units of work, one per batch). Each resumption emits
    leader.resumed or leader.affiliation_resumed. Returns how many were resumed."""
    leaders_due = _resume_due(
        new_uow, clock, batch, lambda uow, day: uow.leaders.paused_until_due(day, batch), _resume_if_due
    )
    return leaders_due + _resume_due(
        new_uow, clock, batch, lambda uow, day: uow.affiliations.paused_until_due(day, batch), _resume_affiliation
    )


def _resume_due(
    new_uow: Callable[[], UnitOfWork],
    clock: Clock,
    batch: int,
    due_on: Callable[[UnitOfWork, date], list[str]],
    resume: Callable[[UnitOfWork, str, datetime], bool],
) -> int:
    resumed = 0
    while True:
        now = clock()
        with new_uow() as uow:
            due = due_on(uow, now.date())
            resumed += sum(resume(uow, aggregate_id, now) for aggregate_id in due)
            uow.commit()
        if len(due) < batch:
            return resumed


def _resume_if_due(uow: UnitOfWork, leader_id: str, now: datetime) -> bool:
    leader = uow.leaders.get(leader_id, lock=True)
    if leader is None:
        return False
    expected = leader.version
    leader.resume_if_due(now.date(), now)
    if leader.version == expected:
        return False
    uow.leaders.save(leader, expected)
    return True


def _resume_affiliation(uow: UnitOfWork, affiliation_id: str, now: datetime) -> bool:
    affiliation = uow.affiliations.get(affiliation_id)
    if affiliation is None:
        return False
    expected = affiliation.version
    affiliation.resume_if_due(now.date(), now)
    _save_changed_affiliations(uow, [affiliation], [expected])
    return affiliation.version != expected
