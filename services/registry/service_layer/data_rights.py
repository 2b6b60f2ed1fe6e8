"""Use cases of equality monitoring and of a leader's data protection rights: give equality answers,
report them in aggregate, export everything held about a leader, and erase a leader.

Equality answers are read in two places only: the aggregate report (which returns no leader id) and
the leader's own export. They never reach an event, a log line, a trust's read or a trust's export.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from typing import Any

from services.common.errors import NotFound, PermissionDenied
from services.common.principals import Principal
from services.registry.adapters.development_repository import DevelopmentStore
from services.registry.adapters.records import AuditEntry
from services.registry.domain.affiliation import Affiliation
from services.registry.domain.consent import ConsentRecord, concerns_trust, current_state
from services.registry.domain.equality import Characteristic, report, validate_answers
from services.registry.domain.leader import Leader
from services.registry.domain.retention import ERASURE_RETENTION, RetentionCategory
from services.registry.service_layer.leaders import Clock, LeaderView, utc_now, view_for, visible_leader
from services.registry.service_layer.unit_of_work import SqlUnitOfWork, UnitOfWork

EXPORT_FORMAT = "plr.registry.leader-export.v1"
ERASED_REASON = "leader erased"
# an export answers in one gRPC message (4 MB): past this many, the access audit pages through
# ListAuditEntries, and the export says so
EXPORT_AUDIT_LIMIT = 5000


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
    that concern it and its own staff's audit entries. Audited, by field name."""
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
        document = export_document(principal, view, affiliations, consents, entries, equality, now)
        fields = (*view.fields_shown, "status", "affiliations", "consents", "access_audit")
        if equality is not None:
            fields += ("equality_monitoring",)
        uow.audit.record(
            principal.kind, principal.audit_name, principal.trust_ods, "ExportLeaderData", {leader_id: fields}
        )
        uow.commit()
    return document


def _as_seen_by(trust: str, record: ConsentRecord) -> ConsentRecord:
    """A consent recorded by another trust's staff (lived experience may be) shows neither who
    recorded it nor their evidence: that would tell this trust about the other one."""
    if record.recorded_by_kind == "staff" and record.recorder_trust != trust:
        return replace(record, recorded_by="", recorder_trust=None, evidence="")
    return record


def export_document(
    principal: Principal,
    view: LeaderView,
    affiliations: list[Affiliation],
    consents: list[ConsentRecord],
    audit_entries: list[AuditEntry],
    equality: Mapping[str, str] | None,
    now: datetime,
) -> dict[str, Any]:
    leader = view.leader
    shown_entries = audit_entries[:EXPORT_AUDIT_LIMIT]
    document: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "exported_at": _iso(now),
        "exported_to": {"principal_kind": principal.kind, "trust_ods": principal.trust_ods},
        "leader": {
            "leader_id": leader.leader_id,
            "version": leader.version,
            "status": leader.status,
            "paused_until": _iso(leader.paused_until),
            "created_at": _iso(leader.created_at),
            "updated_at": _iso(leader.updated_at),
            "contactable": view.contactable,
            "profile": _plain(asdict(view.profile)),
        },
        "affiliations": [_affiliation(a) for a in sorted(affiliations, key=lambda a: (a.trust_ods, a.affiliation_id))],
        "consents": {
            "current": [_consent(r, principal) for r in current_state(consents).values()],
            "history": [_consent(r, principal) for r in consents],
        },
        "access_audit": {
            "entries": [_audit_entry(e) for e in shown_entries],
            "complete": len(audit_entries) <= EXPORT_AUDIT_LIMIT,
            **(
                {}
                if len(audit_entries) <= EXPORT_AUDIT_LIMIT
                else {"more": f"the first {EXPORT_AUDIT_LIMIT} entries; ListAuditEntries pages through all"}
            ),
        },
    }
    if principal.kind == "leader":
        document["equality_monitoring"] = dict(equality) if equality else {}
    return document


def _iso(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat()


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _affiliation(affiliation: Affiliation) -> dict[str, Any]:
    return {
        "affiliation_id": affiliation.affiliation_id,
        "trust_ods": affiliation.trust_ods,
        "status": affiliation.status,
        "version": affiliation.version,
        "created_at": _iso(affiliation.created_at),
        "confirmed_at": _iso(affiliation.confirmed_at),
        "ended_at": _iso(affiliation.ended_at),
        "end_reason": affiliation.end_reason,
    }


def _consent(record: ConsentRecord, principal: Principal) -> dict[str, Any]:
    made = {
        "purpose": record.purpose.value,
        "target": record.target,
        "granted": record.granted,
        "wording_version": record.wording_version,
        "recorded_by_kind": record.recorded_by_kind,
        "recorded_by": record.recorded_by,
        "evidence": record.evidence,
        "recorded_at": _iso(record.recorded_at),
    }
    if principal.kind != "trust":
        made["recorder_trust"] = record.recorder_trust
    return made


def _audit_entry(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": _iso(entry.at),
        "principal_kind": entry.principal_kind,
        "principal": entry.principal,
        "trust_ods": entry.trust_ods,
        "method": entry.method,
        "fields": list(entry.fields),
    }


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
        if isinstance(uow, SqlUnitOfWork):  # support and development rows, check-in notes included
            DevelopmentStore(uow.connection).erase_leader(leader.leader_id)
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
