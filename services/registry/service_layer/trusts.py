"""Use cases about trusts: onboarding, keys, and the lifecycle after onboarding (suspend, resume,
offboard). Each takes a command, the caller and a unit of work, and decides itself who may call it:
changes are the administrator's; a trust reads only itself. Each change is an event through the
outbox, in the transaction that makes it.

Suspending stops the trust's keys at once (every ``api`` refuses a trust whose status is not active)
and keeps its data; resuming lets its unrevoked keys work again; an offboarded trust never comes back.

Offboarding runs in the platform scope, in two steps, so that nothing is erased before its export
has reached the administrator. ``offboard_trust`` takes an export of everything the trust could see
(its record, its own taxonomy terms, its affiliations, and each actively affiliated leader exactly as
``view_for`` shows them to the trust: never equality data; and the checks and support and development
rows it holds on anyone it ever held), keeps it, and suspends the trust (its keys are refused from
then on); asked again, it returns the same export. ``confirm_offboard_export``, given the export's
SHA-256 by the administrator who wrote it to disk, then erases what only that trust held, once, and
blanks the held export: every affiliation of the trust ends; a leader whose non-ended affiliation was with this trust
and who has no affiliation with any other trust is erased; its checks (evidence and DBS details with
them), its acceptances of other trusts' checks and its support and development rows are deleted for
everyone, so they stop emitting; the trust's own terms and idempotency keys go; its keys are revoked
and it is marked offboarded. Resuming the trust before the confirmation cancels the offboarding (the
held export is discarded; nothing was erased).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from services.common.errors import InvalidInput, NotFound, PreconditionFailed
from services.common.principals import NewApiKey, Principal, new_api_key
from services.registry.domain import commands
from services.registry.domain.affiliation import Affiliation
from services.registry.domain.leader import Leader
from services.registry.domain.offboarding import OffboardExport, check_digest
from services.registry.domain.reason import check_reason
from services.registry.domain.trust import Trust, TrustKeyRecord, key_scopes, validate_trust_identity
from services.registry.service_layer.erasure import erase_person
from services.registry.service_layer.export import EXPORT_AUDIT_LIMIT, trust_export, trust_records
from services.registry.service_layer.leaders import view_for
from services.registry.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
KeyFactory = Callable[[], NewApiKey]
# erases one leader inside the open unit of work (the leader is loaded, locked and seen)
LeaderEraser = Callable[[UnitOfWork, Leader, datetime], None]

OFFBOARDED_REASON = "trust offboarded"


def utc_now() -> datetime:
    return datetime.now(UTC)


def _check_ods(ods: str, field: str = "ods") -> None:
    problem = validate_trust_identity(ods, "x").get("ods")
    if problem:
        raise InvalidInput({field: problem})


def _trust(
    cmd: commands.SuspendTrust | commands.ResumeTrust | commands.OffboardTrust | commands.ConfirmOffboardExport,
) -> dict[str, str]:
    return {"trustods": cmd.ods}  # a log line's trust


def _require(uow: UnitOfWork, ods: str) -> Trust:
    trust = uow.trusts.get(ods)
    if trust is None:
        raise NotFound(f"no trust with ODS code {ods}")
    return trust


# --- onboarding and keys ------------------------------------------------------------------------


@dataclass(frozen=True)
class OnboardingResult:
    trust: Trust
    created: bool
    initial_key: NewApiKey | None
    issued_at: datetime | None
    key_scopes: frozenset[str] = frozenset()


def onboard_trust(
    cmd: commands.OnboardTrust,
    uow: UnitOfWork,
    by: Principal,
    new_key: KeyFactory = new_api_key,
    clock: Clock = utc_now,
) -> OnboardingResult:
    by.require_administrator()
    now = clock()
    trust = Trust.onboard(cmd.ods, cmd.name, now)  # validates before anything is read or written
    scopes = key_scopes(cmd.key_scopes, "key_scopes")
    with uow:
        existing = uow.trusts.get(cmd.ods)
        if existing is not None:
            return OnboardingResult(existing, created=False, initial_key=None, issued_at=None)
        key = new_key()
        trust.issue_key(key.key_id, key.secret_sha256, now, scopes)
        if not uow.trusts.add(trust):  # onboarded concurrently by another call: that one wins
            uow.rollback()
            return OnboardingResult(_require(uow, cmd.ods), created=False, initial_key=None, issued_at=None)
        uow.commit()
    return OnboardingResult(trust, created=True, initial_key=key, issued_at=now, key_scopes=scopes)


def get_trust(cmd: commands.GetTrust, uow: UnitOfWork, by: Principal) -> Trust:
    _check_ods(cmd.ods)
    by.require_trust_access(cmd.ods)
    with uow:
        return _require(uow, cmd.ods)


def list_trusts(cmd: commands.ListTrusts, uow: UnitOfWork, by: Principal) -> list[Trust]:
    by.require_administrator()
    with uow:
        return uow.trusts.list(cmd.after_ods, cmd.limit, cmd.updated_since)


def issue_trust_key(
    cmd: commands.IssueTrustKey,
    uow: UnitOfWork,
    by: Principal,
    new_key: KeyFactory = new_api_key,
    clock: Clock = utc_now,
) -> tuple[NewApiKey, TrustKeyRecord]:
    by.require_administrator()
    scopes = key_scopes(cmd.scopes)
    key, now = new_key(), clock()
    issued: list[TrustKeyRecord] = []
    _change(uow, cmd.ods, lambda trust: issued.append(trust.issue_key(key.key_id, key.secret_sha256, now, scopes)))
    return key, issued[0]


def revoke_trust_key(
    cmd: commands.RevokeTrustKey, uow: UnitOfWork, by: Principal, clock: Clock = utc_now
) -> TrustKeyRecord:
    by.require_administrator()
    if not cmd.key_id:
        raise InvalidInput({"key_id": "must not be empty"})
    revoked: list[TrustKeyRecord] = []
    _change(uow, cmd.ods, lambda trust: revoked.append(trust.revoke_key(cmd.key_id, clock())))
    return revoked[0]


def list_trust_keys(cmd: commands.ListTrustKeys, uow: UnitOfWork, by: Principal) -> list[TrustKeyRecord]:
    return list(get_trust(commands.GetTrust(cmd.ods), uow, by).keys)


# --- suspend and resume -------------------------------------------------------------------------


def _change(uow: UnitOfWork, ods: str, change: Callable[[Trust], object]) -> Trust:
    _check_ods(ods)
    with uow:
        trust = _require(uow, ods)
        expected = trust.version
        change(trust)
        if trust.version != expected:
            uow.trusts.save(trust, expected)
            uow.commit()
    return trust


def suspend_trust(cmd: commands.SuspendTrust, uow: UnitOfWork, by: Principal) -> Trust:
    """The trust's keys stop working at once; its data stays. A no-op on a suspended trust."""
    by.require_administrator()
    check_reason(cmd.reason)
    trust = _change(uow, cmd.ods, lambda t: t.suspend())
    log.info("trust %s suspended%s", cmd.ods, f": {cmd.reason}" if cmd.reason else "", extra=_trust(cmd))
    return trust


def resume_trust(cmd: commands.ResumeTrust, uow: UnitOfWork, by: Principal) -> Trust:
    """The trust's unrevoked keys work again. An offboarded trust cannot be resumed."""
    by.require_administrator()

    def resume(trust: Trust) -> None:
        trust.resume()
        if uow.offboard_exports.discard_unconfirmed(trust.ods):
            log.info("trust %s resumed: its offboarding is cancelled, its held export discarded", cmd.ods)

    trust = _change(uow, cmd.ods, resume)
    log.info("trust %s resumed", cmd.ods, extra=_trust(cmd))
    return trust


# --- offboarding --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OffboardingResult:
    trust: Trust
    export_document: str
    export_sha256: str
    leaders_erased: int = 0
    affiliations_ended: int = 0


def erase_leader_record(uow: UnitOfWork, leader: Leader, now: datetime) -> None:
    """Erases a person inside the offboarding's unit of work, exactly as EraseLeader does."""
    erase_person(uow, leader, now)


def offboard_trust(
    cmd: commands.OffboardTrust, uow: UnitOfWork, by: Principal, clock: Clock = utc_now
) -> OffboardingResult:
    """The export, taken and kept (or the one kept already), the trust suspended; nothing erased.
    ``uow`` must be platform-wide: the use case reads across tenants."""
    by.require_administrator()
    _check_ods(cmd.ods)
    if cmd.confirm_ods != cmd.ods:
        raise InvalidInput({"confirm_ods": "must equal ods: offboarding erases data, so state the code twice"})
    now = clock()
    with uow:
        trust = _require(uow, cmd.ods)
        held = uow.offboard_exports.get(cmd.ods)
        if held is not None or trust.status == "offboarded":  # asked again: the same export, or none left
            return _export_result(trust, held)
        expected = trust.version
        affiliations, leaders = _holdings(uow, cmd.ods)
        export = OffboardExport.take(cmd.ods, _export(uow, by, trust, affiliations, leaders, now), now)
        if not uow.offboard_exports.add(export):  # taken at the same moment by another call: that one
            uow.rollback()
            return _export_result(_require(uow, cmd.ods), uow.offboard_exports.get(cmd.ods))
        trust.suspend()  # nothing the trust's keys do can change what the export holds
        if trust.version != expected:
            uow.trusts.save(trust, expected)
        uow.commit()
    log.info("trust %s offboarding: export taken, awaiting confirmation", cmd.ods, extra=_trust(cmd))
    return _export_result(trust, export)


def confirm_offboard_export(
    cmd: commands.ConfirmOffboardExport,
    uow: UnitOfWork,
    by: Principal,
    erase_leader: LeaderEraser = erase_leader_record,
    clock: Clock = utc_now,
) -> OffboardingResult:
    """The administrator holds the export (its digest proves it): erase what only the trust held, then
    mark it offboarded and blank the export, in one transaction; once."""
    by.require_administrator()
    _check_ods(cmd.ods)
    digest = check_digest(cmd.export_sha256)
    now = clock()
    with uow:
        trust = _require(uow, cmd.ods)
        held = uow.offboard_exports.get(cmd.ods, lock=True)  # a second confirmation waits, then sees it done
        if held is None:
            raise PreconditionFailed(f"no export of trust {cmd.ods} awaits confirmation: offboard it first")
        held.require_received(digest)
        if not held.awaiting_confirmation:
            return _result(trust, held)
        expected = trust.version
        erased, ended = _erase_what_only_it_held(uow, cmd.ods, erase_leader, now)
        trust.offboard(now)
        if trust.version != expected:
            uow.trusts.save(trust, expected)
        held.confirm(now, erased, ended)
        uow.offboard_exports.save(held)
        uow.commit()
    log.info("trust %s offboarded: %d affiliations ended, %d leaders erased", cmd.ods, ended, erased, extra=_trust(cmd))
    return _result(trust, held)


def _erase_what_only_it_held(uow: UnitOfWork, ods: str, erase_leader: LeaderEraser, now: datetime) -> tuple[int, int]:
    """(leaders erased, affiliations ended)."""
    affiliations, leaders = _holdings(uow, ods)
    ended = _end_affiliations(uow, affiliations, now)
    erased = _erase_leaders_held_only_here(uow, ods, leaders, erase_leader, now)
    _forget_trust_records(uow, ods)
    _forget_trusts_own_records(uow, ods, now)
    return erased, ended


def _export_result(trust: Trust, held: OffboardExport | None) -> OffboardingResult:
    """What OffboardTrust answers: the held export (blank once confirmed; none for a trust offboarded
    before exports were held), and no counts: it erases nothing."""
    return OffboardingResult(trust, "", "") if held is None else OffboardingResult(trust, held.document, held.sha256)


def _result(trust: Trust, held: OffboardExport) -> OffboardingResult:
    return OffboardingResult(trust, held.document, held.sha256, held.leaders_erased, held.affiliations_ended)


def _forget_trusts_own_records(uow: UnitOfWork, ods: str, now: datetime) -> None:
    """Its own terms, its stored create results, its invitations (none can be accepted any more), and
    its place in every network (each removal an event)."""
    uow.taxonomy.remove_trust_terms(ods)
    uow.trust_holdings.forget_idempotency_keys(ods)
    uow.invitations.forget_trust(ods)
    for listed in uow.networks.list(ods):
        network = uow.networks.get(listed.network_id, lock=True)
        assert network is not None
        expected = network.version
        network.remove_trust(ods, now)
        uow.networks.save(network, expected)


def _holdings(uow: UnitOfWork, ods: str) -> tuple[list[Affiliation], dict[str, Leader]]:
    """The trust's affiliations, and the (unerased) leaders of those not ended, locked: no change to
    the person can slip between the export and the erasure."""
    found = (uow.affiliations.get(i) for i in uow.trust_holdings.affiliation_ids(ods))
    affiliations = [a for a in found if a is not None]
    leaders: dict[str, Leader] = {}
    for affiliation in (a for a in affiliations if a.status != "ended"):
        leader = uow.leaders.get(affiliation.leader_id, lock=True)
        if leader is not None and leader.erased_at is None:
            leaders[leader.leader_id] = leader
    return affiliations, leaders


def _export(
    uow: UnitOfWork,
    by: Principal,
    trust: Trust,
    affiliations: list[Affiliation],
    leaders: dict[str, Leader],
    now: datetime,
) -> str:
    """What the trust could see, as it saw it; the reads audited (field names only)."""
    as_trust = Principal("trust", trust.ods, trust.ods)
    held = [a for a in affiliations if a.active and a.leader_id in leaders]
    known = uow.known.of_trust(trust.ods, [a.leader_id for a in held])
    views = [view_for(as_trust, leaders[a.leader_id], a, known.get(a.leader_id)) for a in held]
    terms = [t for t in uow.taxonomy.list(None) if t.trust_ods == trust.ods]
    records = trust_records(uow, as_trust, [a.leader_id for a in affiliations])
    reads = {v.leader.leader_id: v.fields_audited for v in views}
    for record in records:
        reads[record["leader_id"]] = (*reads.get(record["leader_id"], ()), "checks", "support_and_development")
    uow.audit.record(by.kind, by.audit_name, trust.ods, "OffboardTrust", reads)
    changes = uow.history.list(None, trust.ods, 0, None, EXPORT_AUDIT_LIMIT + 1)
    return trust_export(trust, affiliations, views, terms, now, records, changes)


def _forget_trust_records(uow: UnitOfWork, ods: str) -> None:
    """After the export: the checks the trust verified (with their evidence and DBS details; another
    trust's acceptance stays that trust's own record) and its acceptances, and its support and
    development rows go, for everyone, so nothing of them outlives the trust or emits again."""
    uow.checks.forget_trust(ods)
    uow.development.forget_trust(ods)
    uow.known.forget_trust(ods)  # its own records of how it knew each person


def _end_affiliations(uow: UnitOfWork, affiliations: list[Affiliation], now: datetime) -> int:
    ended = 0
    for affiliation in (a for a in affiliations if a.status != "ended"):
        was = affiliation.version
        affiliation.end(OFFBOARDED_REASON, now)
        uow.affiliations.save(affiliation, was)
        ended += 1
    return ended


def _erase_leaders_held_only_here(
    uow: UnitOfWork, ods: str, leaders: dict[str, Leader], erase_leader: LeaderEraser, now: datetime
) -> int:
    erased = 0
    for leader in leaders.values():
        if not [a for a in uow.affiliations.of_leader(leader.leader_id) if a.trust_ods != ods]:
            erase_leader(uow, leader, now)
            erased += 1
    return erased
