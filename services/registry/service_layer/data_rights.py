"""Use cases of equality monitoring and of a leader's data protection rights: give equality answers,
report them in aggregate, export everything held about a leader, and erase a leader.

Equality answers are read in two places only: the aggregate report (which returns no leader id) and
the leader's own export. They never reach an event, a log line, a trust's read or a trust's export.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from services.common.errors import NotFound, PermissionDenied
from services.common.principals import Principal
from services.registry.domain.checks import AcceptedCheck, Check
from services.registry.domain.consent import ConsentRecord, concerns_trust
from services.registry.domain.development import (
    check_in_as_seen,
)
from services.registry.domain.equality import Characteristic, report, validate_answers
from services.registry.domain.leader import Leader
from services.registry.domain.retention import ERASURE_RETENTION, RetentionCategory
from services.registry.service_layer.checks import check_as_seen_by, shared_view
from services.registry.service_layer.export import EXPORT_AUDIT_LIMIT, DevelopmentSeen, leader_export
from services.registry.service_layer.leaders import Clock, utc_now, view_for, visible_leader
from services.registry.service_layer.unit_of_work import UnitOfWork

ERASED_REASON = "leader erased"


# --- equality monitoring ------------------------------------------------------------------------


def submit_equality_monitoring(
    uow: UnitOfWork, principal: Principal, answers: Mapping[str, str], clock: Clock = utc_now
) -> None:
    """The leader gives (or replaces) their answers; giving none takes back any given before.
    Runs in the leader's own scope: the table admits only the leader and the platform."""
    leader_id = principal.require_leader()
    kept = validate_answers(answers)
    with uow:
        leader = uow.leaders.get(leader_id)
        if leader is None or leader.erased_at is not None:
            raise NotFound(f"no leader {leader_id}")
        if kept:
            uow.equality.submit(leader_id, kept, clock())
        else:
            uow.equality.erase(leader_id)
        uow.commit()


@dataclass(frozen=True)
class EqualityReport:
    trust_ods: str
    characteristics: tuple[Characteristic, ...]
    generated_at: datetime


def equality_report(uow: UnitOfWork, principal: Principal, clock: Clock = utc_now) -> EqualityReport:
    """The aggregate of the answers of the leaders actively affiliated with the caller's trust, with
    statistical disclosure control. Runs in the platform scope (no trust can read an answer), and
    the query returns answers without leader ids."""
    trust = principal.require_trust()
    with uow:
        answer_sets = uow.equality.for_trust_report(trust)
    return EqualityReport(trust, report(answer_sets), clock())


# --- export ---------------------------------------------------------------------------------------


def export_leader_data(uow: UnitOfWork, principal: Principal, leader_id: str, clock: Clock = utc_now) -> dict[str, Any]:
    """Everything held about a leader as one document. The leader gets all of it (their equality
    answers included), the administrator all but the equality answers, and a trust with an active
    affiliation only what it may see: its view of the profile, its own affiliation, the consents
    that concern it and its own staff's audit entries. Audited, by field name.

    Checks and support and development are shown as their own reads show them: a trust gets only
    the checks it verified or accepted, as ListChecks gives them (DBS details only to named staff),
    and only its own training, assignment, check-ins and plan (row-level security); the leader and
    the administrator get every trust's checks without evidence, DBS details or staff names, and
    check-in notes only where GetSupport would show them to the caller."""
    if principal.kind not in ("leader", "trust", "administrator"):
        raise PermissionDenied("a leader's data is exported to the leader, a trust or the administrator")
    now = clock()
    with uow:
        leader, affiliation = visible_leader(uow, principal, leader_id)
        view = view_for(principal, leader, affiliation)
        trust = principal.trust_ods if principal.kind == "trust" else None
        if trust is not None:
            assert affiliation is not None
            affiliations = [affiliation]
            consents = [_as_seen_by(trust, r) for r in leader.consents if concerns_trust(r, trust)]
        else:
            affiliations = uow.affiliations.of_leader(leader_id)
            consents = list(leader.consents)
        entries = [e for _, e in uow.audit.list(leader_id, trust, 0, None, EXPORT_AUDIT_LIMIT + 1)]
        equality = uow.equality.answers_of(leader_id) if principal.kind == "leader" else None
        checks, accepted = _checks_seen_by(uow, principal, leader_id)
        development = _development_seen_by(uow, principal, leader_id)
        document = leader_export(
            principal, view, affiliations, consents, entries, equality, now, checks, accepted, development
        )
        fields = (*view.fields_shown, "status", "affiliations", "consents", "access_audit", "checks")
        if any(c.dbs_details for c in checks):
            fields += ("dbs_details",)
        if development is not None:
            fields += ("training", "support", "check_ins", "development_plans")
            if any(not s.notes_withheld for s in development.check_ins):
                fields += ("check_in_notes",)
        if equality is not None:
            fields += ("equality_monitoring",)
        uow.audit.record(
            principal.kind, principal.audit_name, principal.trust_ods, "ExportLeaderData", {leader_id: fields}
        )
        uow.commit()
    return document


def _checks_seen_by(uow: UnitOfWork, principal: Principal, leader_id: str) -> tuple[list[Check], list[AcceptedCheck]]:
    """(checks, acceptances) as ListChecks shows them: a trust its own verified checks (DBS details
    only when staff are named) and its own acceptances; the leader and the administrator every
    trust's, as shared (no evidence, DBS details or staff names)."""
    store = uow.checks
    if principal.kind == "trust":
        trust = principal.require_trust()
        return [check_as_seen_by(principal, c) for c in store.of_leader(leader_id, trust)], store.acceptances(
            leader_id, trust
        )
    return [shared_view(c) for c in store.of_leader(leader_id, None)], [
        replace(a, accepted_by="") for a in store.acceptances_of_leader(leader_id)
    ]


def _development_seen_by(uow: UnitOfWork, principal: Principal, leader_id: str) -> DevelopmentSeen:
    """Read in the caller's scope: row-level security keeps a trust to its own rows."""
    store = uow.development
    enrolments = store.enrolments_of(leader_id)
    assignments = store.assignments_of(leader_id)
    by_trust = {a.trust_ods: a for a in assignments}
    check_ins = [
        check_in_as_seen(
            c, by_trust.get(c.trust_ods), principal.kind, principal.trust_ods, principal.staff, principal.leader_id
        )
        for c in store.check_ins_of(leader_id)
    ]
    programmes = store.programmes_by_id({e.programme_id for e in enrolments})
    return DevelopmentSeen(enrolments, programmes, assignments, check_ins, store.plans_of(leader_id))


def _as_seen_by(trust: str, record: ConsentRecord) -> ConsentRecord:
    """A consent recorded by another trust's staff (lived experience may be) shows neither who
    recorded it nor their evidence: that would tell this trust about the other one."""
    if record.recorded_by_kind == "staff" and record.recorder_trust != trust:
        return replace(record, recorded_by="", recorder_trust=None, evidence="")
    return record


# --- erasure --------------------------------------------------------------------------------------


def erase_leader(
    uow: UnitOfWork, principal: Principal, leader_id: str, clock: Clock = utc_now
) -> tuple[RetentionCategory, ...]:
    """Erases a leader, by the leader or the administrator, in the platform scope (every trace of a
    person, whichever trust it concerns). The profile is blanked and the address freed (the person
    may register again, as someone new); equality answers are deleted; affiliations end; consent
    records are kept minimal (the evidence goes); events already published about the leader leave
    the outbox; leader.erased tells the other services to do the same. What the law requires to be
    kept is named in the answer. Erasing again changes nothing (published events that still
    mention the leader, such as leader.erased itself once relayed, are deleted then)."""
    if principal.kind == "leader":
        if principal.leader_id != leader_id:
            raise NotFound(f"no leader {leader_id}")
    elif principal.kind != "administrator":
        raise PermissionDenied("a leader is erased by the leader or by the administrator")
    now = clock()
    with uow:
        leader = uow.leaders.get(leader_id, lock=True)
        if leader is None:
            raise NotFound(f"no leader {leader_id}")
        erase_person(uow, leader, now)
        uow.commit()
    return ERASURE_RETENTION


def erase_person(uow: UnitOfWork, leader: Leader, now: datetime) -> None:
    """The steps of erasure, inside an open unit of work (EraseLeader, and offboarding a trust)."""
    if leader.erased_at is None:
        staff_evidence = _staff_evidence(leader.consents)
        expected = leader.version
        leader.erase(now)
        uow.leaders.save(leader, expected)
        _end_affiliations(uow, leader.leader_id, now)
        uow.equality.erase(leader.leader_id)
        uow.leaders.remove_consent_evidence(leader.leader_id)
        uow.idempotency.forget_consent_answers(leader.leader_id, staff_evidence)
        uow.development.erase_leader(leader.leader_id)  # support and development, check-in notes included
        uow.checks.erase_leader(leader.leader_id)  # evidence and DBS content of checks
    uow.leaders.delete_published_events(leader.leader_id)


def _end_affiliations(uow: UnitOfWork, leader_id: str, now: datetime) -> None:
    for listed in uow.affiliations.of_leader(leader_id):
        if listed.status == "ended":
            continue
        affiliation = uow.affiliations.get(listed.affiliation_id)  # tracked: its event goes out on commit
        assert affiliation is not None
        expected = affiliation.version
        affiliation.end(ERASED_REASON, now)
        uow.affiliations.save(affiliation, expected)


def _staff_evidence(records: Iterable[ConsentRecord]) -> list[tuple[str, str]]:
    """(trust, evidence) of the consents its staff recorded on the leader's behalf."""
    return [(r.recorder_trust or "", r.evidence) for r in records if r.recorded_by_kind == "staff"]
