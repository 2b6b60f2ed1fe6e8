"""Use cases about checks: recording and listing them, the portable record, accepting another trust's
check, the placement question, and the expiry scan.

Who sees what of a check (DBS content is criminal offence data, UK GDPR Art. 10):
- the verifying trust sees everything it recorded, except ``dbs_details``, which only a caller with the
  scope ``dbs-details`` sees: a key issued with it, or a member of its staff whose role needs them
  (recruiter, trust admin; services/common/principals.py ROLE_SCOPES). A staff name sent with a key
  (``x-plr-staff``) is a claim in the audit and releases nothing;
- the leader sees their own checks, DBS details included (their own data), without the evidence or the
  verifier's staff name;
- another trust sees only the shared record (type, DBS level, verifying trust, dates), and only while
  the leader's consent ``share_record_with_trust`` for it stands and it has an active or pending
  affiliation with the leader.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime

from services.common.errors import NotFound, PermissionDenied, PreconditionFailed, refuse
from services.common.idempotency import Idempotent, once
from services.common.principals import DBS_DETAILS, Principal
from services.registry.domain import commands
from services.registry.domain.affiliation import Affiliation
from services.registry.domain.authority import LEADER_WITHDREW, standing_blockers, trusts_may_act
from services.registry.domain.checks import (
    AcceptedCheck,
    Blocker,
    Check,
    HeldCheck,
    check_problems,
    parse_check_type,
    placement_blockers,
)
from services.registry.domain.consent import Purpose, is_granted
from services.registry.domain.development import CompletedTraining, completed_training
from services.registry.domain.leader import Leader
from services.registry.service_layer.leaders import (
    AWAITING_CONFIRMATION,
    Clock,
    IdFactory,
    new_id,
    utc_now,
    visible_leader,
)
from services.registry.service_layer.unit_of_work import UnitOfWork

SCAN_BATCH = 200
SHARED_MEANWHILE = "; until they do, their shared record is yours to read only once they share it with your trust"


@dataclass(frozen=True)
class SharedRecord:
    leader_id: str
    checks: tuple[Check, ...]  # as shared: no evidence, DBS details or staff names
    training: tuple[CompletedTraining, ...]
    placements: tuple[object, ...]  # filled by recruitment once placements exist


def check_as_seen_by(principal: Principal, check: Check) -> Check:
    if principal.kind == "trust" and principal.trust_ods == check.trust_ods:
        return check if principal.has_scope(DBS_DETAILS) else replace(check, dbs_details="")
    if principal.kind == "leader" and principal.leader_id == check.leader_id:
        return replace(shared_view(check), dbs_details=check.dbs_details)
    return shared_view(check)


def shared_view(check: Check) -> Check:
    return replace(check, evidence="", dbs_details="", verified_by="", pending_events=[])


def _audit(uow: UnitOfWork, principal: Principal, method: str, leader_id: str, fields: tuple[str, ...]) -> None:
    uow.audit.record(principal.kind, principal.audit_name, principal.trust_ods, method, {leader_id: fields})


# --- recording and reading --------------------------------------------------------------------


def record_check(
    cmd: commands.RecordCheck,
    uow: UnitOfWork,
    principal: Principal,
    clock: Clock = utc_now,
    ids: IdFactory = new_id,
    idempotent: Idempotent[str] | None = None,
) -> Check:
    """A trust records a check it verified, for a leader it is actively affiliated with. A replay of
    the same idempotency key is checked as the first call was, and audited as the read it is."""
    trust = principal.require_trust()
    # every field is checked before anything is read: a bad request is INVALID_ARGUMENT, whoever it names
    candidate = _verified(cmd, trust, principal.audit_name, ids(), clock())
    recorded: list[Check] = []

    def record() -> str:
        recorded.append(candidate)
        uow.checks.add(candidate)
        return candidate.check_id

    with uow:
        visible_leader(uow, principal, cmd.leader_id)  # NOT_FOUND without an active affiliation, replay too
        # the idempotency store keeps only the id: never DBS content in another table
        check_id = once(uow.idempotency, idempotent, record)
        check = uow.checks.get(check_id)
        if check is None:
            raise NotFound(f"no check {check_id}")
        shown = check_as_seen_by(principal, check)
        if not recorded:
            _audit(uow, principal, "RecordCheck", cmd.leader_id, _fields_read([shown]))
        uow.commit()
    return shown


def _fields_read(shown: list[Check]) -> tuple[str, ...]:
    return ("checks", *(("dbs_details",) if any(c.dbs_details for c in shown) else ()))


def _verified(cmd: commands.RecordCheck, trust: str, verified_by: str, check_id: str, now: datetime) -> Check:
    fields = (cmd.check_type, cmd.dbs_level, cmd.evidence, cmd.dbs_details, cmd.issued_on, cmd.expires_on)
    refuse(check_problems(*fields, now.date()))  # every bad field named at once
    return Check.verify(
        check_id,
        cmd.leader_id,
        trust,
        parse_check_type(cmd.check_type),
        cmd.dbs_level,
        cmd.evidence,
        cmd.dbs_details,
        verified_by,
        cmd.issued_on,
        cmd.expires_on,
        now,
    )


def list_checks(
    cmd: commands.ListChecks, uow: UnitOfWork, principal: Principal
) -> tuple[list[Check], list[AcceptedCheck]]:
    """(checks, accepted): a trust's own verified and accepted checks, or a leader's own checks."""
    if principal.kind not in ("trust", "leader"):
        raise PermissionDenied("a trust's key or the leader lists checks")
    leader_id = cmd.leader_id
    with uow:
        visible_leader(uow, principal, leader_id)
        trust = principal.trust_ods if principal.kind == "trust" else None
        found = [check_as_seen_by(principal, c) for c in uow.checks.of_leader(leader_id, trust)]
        accepted = uow.checks.acceptances(leader_id, trust) if trust is not None else []
        _audit(uow, principal, "ListChecks", leader_id, _fields_read(found))
        uow.commit()
    return found, accepted


def _sharing_leader(uow: UnitOfWork, trust: str, leader_id: str) -> Leader:
    """The leader, if they share their record with the trust and it has an active or pending
    affiliation with them. Runs in the platform scope: the same answer whether the leader does not
    exist or does not share. Permission is checked before the lock, so a caller without it takes no
    lock on a person it cannot see; then again under the lock, so a withdrawal meanwhile wins."""
    affiliation = uow.affiliations.for_trust(trust, leader_id)
    _require_shared(uow.leaders.get(leader_id), affiliation, trust, leader_id)
    return _require_shared(uow.leaders.get(leader_id, lock=True), affiliation, trust, leader_id)


def _require_shared(leader: Leader | None, affiliation: Affiliation | None, trust: str, leader_id: str) -> Leader:
    if (
        leader is None
        or leader.erased_at is not None
        or affiliation is None
        or affiliation.status not in ("active", "pending")
        or not trusts_may_act(leader.status)
        or not is_granted(leader.consents, Purpose.SHARE_RECORD_WITH_TRUST, trust)
    ):
        if affiliation is not None and affiliation.status == "pending":
            # the trust's own registration, not yet confirmed (nor shared): answered as GetLeader answers
            raise PreconditionFailed(AWAITING_CONFIRMATION.format(leader_id=leader_id) + SHARED_MEANWHILE)
        raise NotFound(f"no record of leader {leader_id} shared with {trust}")
    return leader


def get_shared_record(cmd: commands.GetSharedRecord, uow: UnitOfWork, principal: Principal) -> SharedRecord:
    """The portable record as the trust it is shared with sees it. ``uow`` is platform-scoped: only a
    trust may call, and it is refused before anything is read."""
    trust = principal.require_trust()
    leader_id = cmd.leader_id
    with uow:
        _sharing_leader(uow, trust, leader_id)
        shared = tuple(shared_view(c) for c in uow.checks.of_leader(leader_id, None))
        record = SharedRecord(leader_id, shared, tuple(_completed_training(uow, leader_id)), ())
        _audit(uow, principal, "GetSharedRecord", leader_id, ("shared_record",))
        uow.commit()
    return record


def _completed_training(uow: UnitOfWork, leader_id: str) -> list[CompletedTraining]:
    """Every trust's completed training of the leader (the unit of work is platform-scoped)."""
    enrolments = uow.development.enrolments_of(leader_id)
    return completed_training(enrolments, uow.development.programmes_by_id({e.programme_id for e in enrolments}))


def accept_check(
    cmd: commands.AcceptCheck,
    uow: UnitOfWork,
    principal: Principal,
    clock: Clock = utc_now,
    ids: IdFactory = new_id,
) -> AcceptedCheck:
    """The trust the record is shared with accepts one of its checks. ``uow`` is platform-scoped: only
    a trust may call, and it is refused before anything is read."""
    trust = principal.require_trust()
    with uow:
        _sharing_leader(uow, trust, cmd.leader_id)
        check = uow.checks.get(cmd.check_id, lock=True)
        if check is None or check.leader_id != cmd.leader_id:
            raise NotFound(f"no check {cmd.check_id} in the record shared with {trust}")
        earlier = [a for a in uow.checks.acceptances(cmd.leader_id, trust) if a.check_id == cmd.check_id]
        if earlier:
            return earlier[0]
        expected = check.version
        accepted = check.accept(ids(), trust, principal.audit_name, clock())
        uow.checks.save(check, expected)
        uow.checks.add_acceptance(accepted)
        uow.commit()
    return accepted


def may_place(cmd: commands.MayPlace, uow: UnitOfWork, principal: Principal, clock: Clock = utc_now) -> list[Blocker]:
    """The reasons the leader may not be placed by the caller's trust on the date (none: they may):
    their standing (withdrawn, paused, or the trust's relationship paused) first, then its checks."""
    trust = principal.require_trust()
    leader_id, on = cmd.leader_id, cmd.on or clock().date()
    with uow:
        standing = _standing(uow, principal, leader_id, on)
        if any(b.problem == "leader_withdrawn" for b in standing):
            return standing  # their checks do not matter: the trust must ask them again
        held = [
            HeldCheck(c.check_type, c.dbs_level, c.issued_on, c.expires_on)
            for c in uow.checks.of_leader(leader_id, trust)
        ]
        held += [
            HeldCheck(a.check_type, a.dbs_level, a.issued_on, a.expires_on)
            for a in uow.checks.acceptances(leader_id, trust)
        ]
        _audit(uow, principal, "MayPlace", leader_id, ("checks",))
        uow.commit()
    return standing + placement_blockers(list(cmd.requirements), held, on)


def _standing(uow: UnitOfWork, principal: Principal, leader_id: str, on: date) -> list[Blocker]:
    """A trust whose relationship ended because the person withdrew is told so (it learnt that when it
    ended); any other trust not holding the person actively gets NOT_FOUND, as for no one at all."""
    affiliation = uow.affiliations.for_trust(principal.trust_ods or "", leader_id)
    if affiliation is not None and affiliation.status == "ended" and affiliation.end_reason == LEADER_WITHDREW:
        return standing_blockers(None, affiliation, on)
    leader, affiliation = visible_leader(uow, principal, leader_id)
    assert affiliation is not None  # a trust sees a leader only through its active affiliation
    return standing_blockers(leader, affiliation, on)


# --- the expiry scan --------------------------------------------------------------------------


def scan_check_expiry(new_uow: Callable[[], UnitOfWork], clock: Clock = utc_now, batch: int = SCAN_BATCH) -> int:
    """Emits check.expiring (30 days ahead) and check.expired (on the day) for every check owed one,
    to its verifier and to each trust that accepted it and still holds the person, each once: the
    notice is recorded on the check in the same transaction as its outbox rows. What is
    owed is a state, not a window, so a run after downtime catches up (a check that expired meanwhile
    gets ``expired`` only). ``new_uow`` gives platform-scoped units of work, one per batch. Returns the
    number of notices emitted."""
    emitted = 0
    while True:
        now = clock()
        today = now.date()
        with new_uow() as uow:
            due = uow.checks.notices_due(today, batch)
            progressed = 0
            for check in due:
                threshold = check.due_threshold(today)
                if threshold is None:
                    continue
                expected = check.version
                check.notice(threshold, now, uow.checks.acceptors(check.check_id))
                uow.checks.save(check, expected)
                progressed += 1
            uow.commit()
        emitted += progressed
        if len(due) < batch or not progressed:
            return emitted
