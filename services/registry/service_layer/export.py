"""Exports: the documents, built in one place, of everything held about a leader (the use case
``export_leader_data``: to the leader, a trust or the administrator) and of everything a trust could
see (built for offboarding, in ``trusts.py``). One JSON shape for each part (an affiliation, a
consent, a check, ...), whichever document holds it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from typing import Any

from services.common.errors import PermissionDenied
from services.common.principals import Principal
from services.registry.domain import commands
from services.registry.domain.affiliation import Affiliation
from services.registry.domain.checks import AcceptedCheck, Check
from services.registry.domain.consent import ConsentRecord, concerns_trust, current_state
from services.registry.domain.development import (
    CheckInSeen,
    DevelopmentPlan,
    Enrolment,
    Programme,
    SupportAssignment,
)
from services.registry.domain.history import ChangeEntry, as_seen_by_leader
from services.registry.domain.known_details import KnownDetails
from services.registry.domain.trust import Trust
from services.registry.service_layer.checks import check_as_seen_by
from services.registry.service_layer.development import check_ins_seen_by
from services.registry.service_layer.leaders import Clock, LeaderView, utc_now, view_for, visible_leader
from services.registry.service_layer.ports import AuditEntry
from services.registry.service_layer.unit_of_work import UnitOfWork

LEADER_EXPORT_FORMAT = "plr.registry.leader-export.v1"
TRUST_EXPORT_FORMAT = "plr.registry.trust-export.v1"
# an export answers in one gRPC message (4 MB): past this many, the access audit pages through
# ListAuditEntries, and the export says so
EXPORT_AUDIT_LIMIT = 5000


@dataclass(frozen=True)
class DevelopmentSeen:
    """The leader's support and development rows as the export's caller may see them."""

    enrolments: list[Enrolment]
    programmes: dict[str, Programme]
    assignments: list[SupportAssignment]
    check_ins: list[CheckInSeen]
    plans: list[DevelopmentPlan]


def leader_export(
    principal: Principal,
    view: LeaderView,
    affiliations: list[Affiliation],
    consents: list[ConsentRecord],
    audit_entries: list[AuditEntry],
    equality: Mapping[str, str] | None,
    now: datetime,
    checks: list[Check] | None = None,
    accepted: list[AcceptedCheck] | None = None,
    development: DevelopmentSeen | None = None,
    changes: list[ChangeEntry] | None = None,
    known: list[KnownDetails] | None = None,
) -> dict[str, Any]:
    not_a_trust = principal.kind != "trust"
    document: dict[str, Any] = {
        "format": LEADER_EXPORT_FORMAT,
        "exported_at": iso(now),
        "exported_to": {"principal_kind": principal.kind, "trust_ods": principal.trust_ods},
        "leader": _leader_json(view),
        "affiliations": [
            affiliation_json(a) for a in sorted(affiliations, key=lambda a: (a.trust_ods, a.affiliation_id))
        ],
        "consents": {
            "current": [consent_json(r, not_a_trust) for r in current_state(consents).values()],
            "history": [consent_json(r, not_a_trust) for r in consents],
        },
        "access_audit": _access_audit_json(audit_entries),
        **_writes_json(changes or [], known or []),
        # the verifying trust's own staff detail; what the others see of a check has none of it
        "checks": _checks_json(checks or [], accepted or [], own=principal.kind == "trust"),
    }
    if development is not None:
        document["support_and_development"] = _development(development)
    if principal.kind == "leader":
        document["equality_monitoring"] = dict(equality) if equality else {}
    return document


def _leader_json(view: LeaderView) -> dict[str, Any]:
    leader = view.leader
    return {
        "leader_id": leader.leader_id,
        "version": view.version,
        "status": leader.status,
        "paused_until": iso(leader.paused_until),
        "created_at": iso(leader.created_at),
        "updated_at": iso(view.updated_at),
        "contactable": view.contactable,
        "profile": _plain(asdict(view.profile)),
    }


def _access_audit_json(entries: list[AuditEntry]) -> dict[str, Any]:
    complete = len(entries) <= EXPORT_AUDIT_LIMIT
    return {
        "entries": [_audit_entry(e) for e in entries[:EXPORT_AUDIT_LIMIT]],
        "complete": complete,
        **({} if complete else {"more": f"the first {EXPORT_AUDIT_LIMIT} entries; ListAuditEntries pages through all"}),
    }


def _writes_json(changes: list[ChangeEntry], known: list[KnownDetails]) -> dict[str, Any]:
    """The change history (the leader's and the administrator's: every write; a trust's: its own
    writes only) and how trusts know the person (every trust's record for the leader, its own for a
    trust)."""
    return {
        "change_history": _change_history_json(changes),
        "known_details": [known_details_json(k) for k in known],
    }


def known_details_json(known: KnownDetails) -> dict[str, Any]:
    return {
        "trust_ods": known.trust_ods,
        "given_name": known.given_name,
        "family_name": known.family_name,
        "email": known.email,
        "phone": known.phone,
        "updated_at": iso(known.updated_at),
    }


def _change_history_json(entries: list[ChangeEntry]) -> dict[str, Any]:
    complete = len(entries) <= EXPORT_AUDIT_LIMIT
    return {
        "entries": [_change_entry(e) for e in entries[:EXPORT_AUDIT_LIMIT]],
        "complete": complete,
        **({} if complete else {"more": f"the first {EXPORT_AUDIT_LIMIT} entries; ListChanges pages through all"}),
    }


def _change_entry(entry: ChangeEntry) -> dict[str, Any]:
    actor = entry.actor
    return {
        "at": iso(entry.at),
        "principal_kind": actor.kind,
        "principal": actor.id,
        "staff": actor.staff,
        "trust_ods": actor.trust_ods,
        "correlation_id": actor.correlation_id,
        "method": actor.method,
        "fields": list(entry.fields),
        "reason": actor.reason,
        "evidence": actor.evidence,
    }


def _checks_json(checks: list[Check], accepted: list[AcceptedCheck], own: bool) -> dict[str, Any]:
    return {"verified": [_check(c, own) for c in checks], "accepted": [_accepted_check(a, own) for a in accepted]}


def iso(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat()


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def affiliation_json(affiliation: Affiliation) -> dict[str, Any]:
    return {
        "affiliation_id": affiliation.affiliation_id,
        "leader_id": affiliation.leader_id,
        "trust_ods": affiliation.trust_ods,
        "status": affiliation.status,
        "version": affiliation.version,
        "created_at": iso(affiliation.created_at),
        "confirmed_at": iso(affiliation.confirmed_at),
        "ended_at": iso(affiliation.ended_at),
        "end_reason": affiliation.end_reason,
        "paused_at": iso(affiliation.paused_at),  # the trust's own pause of the relationship
        "paused_until": iso(affiliation.paused_until),
    }


def consent_json(record: ConsentRecord, with_recorder_trust: bool) -> dict[str, Any]:
    """A consent record; a trust is not told which trust's staff recorded it (``with_recorder_trust``)."""
    made = {
        "purpose": record.purpose.value,
        "target": record.target,
        "granted": record.granted,
        "wording_version": record.wording_version,
        "recorded_by_kind": record.recorded_by_kind,
        "recorded_by": record.recorded_by,
        "evidence": record.evidence,
        "recorded_at": iso(record.recorded_at),
    }
    if with_recorder_trust:
        made["recorder_trust"] = record.recorder_trust
    return made


def _check(check: Check, own: bool) -> dict[str, Any]:
    made: dict[str, Any] = {
        "check_id": check.check_id,
        "check_type": check.check_type.value,
        "dbs_level": check.dbs_level.value if check.dbs_level else None,
        "verifying_trust": check.trust_ods,
        "verified_at": iso(check.verified_at),
        "issued_on": iso(check.issued_on),
        "expires_on": iso(check.expires_on),
        "expiring_noticed_at": iso(check.expiring_noticed_at),
        "expired_noticed_at": iso(check.expired_noticed_at),
    }
    if own:
        made["verified_by"] = check.verified_by
        made["evidence"] = check.evidence
    if check.dbs_details:  # only to whom ListChecks shows them (check_as_seen_by): the leader, or the scope
        made["dbs_details"] = check.dbs_details
    return made


def _accepted_check(accepted: AcceptedCheck, own: bool) -> dict[str, Any]:
    made: dict[str, Any] = {
        "acceptance_id": accepted.acceptance_id,
        "check_id": accepted.check_id,
        "check_type": accepted.check_type.value,
        "dbs_level": accepted.dbs_level.value if accepted.dbs_level else None,
        "verifying_trust": accepted.verifying_trust,
        "verified_at": iso(accepted.verified_at),
        "issued_on": iso(accepted.issued_on),
        "expires_on": iso(accepted.expires_on),
        "accepting_trust": accepted.accepting_trust,
        "accepted_at": iso(accepted.accepted_at),
    }
    if own:
        made["accepted_by"] = accepted.accepted_by
    return made


def _development(seen: DevelopmentSeen) -> dict[str, Any]:
    return {
        "enrolments": [_enrolment_json(e, seen.programmes.get(e.programme_id)) for e in seen.enrolments],
        "support_assignments": [
            {
                "trust_ods": a.trust_ods,
                "facilitator": a.facilitator,
                "facilitator_staff_id": a.facilitator_staff_id,
                "buddy_leader_id": a.buddy_leader_id,
                "assigned_at": iso(a.assigned_at),
            }
            for a in seen.assignments
        ],
        "check_ins": [_check_in_json(s) for s in seen.check_ins],
        "development_plans": [_plan_json(p) for p in seen.plans],
    }


def _enrolment_json(e: Enrolment, programme: Programme | None) -> dict[str, Any]:
    titles = {m.module_id: m.title for m in programme.modules} if programme else {}
    return {
        "enrolment_id": e.enrolment_id,
        "trust_ods": e.trust_ods,
        "programme_id": e.programme_id,
        "programme_title": programme.title if programme else "",
        "enrolled_at": iso(e.enrolled_at),
        "completed_on": iso(e.completed_on),
        "completed_modules": [
            {"module_id": module_id, "module_title": titles.get(module_id, ""), "completed_on": iso(on)}
            for module_id, on in sorted(e.completed_modules.items(), key=lambda item: (item[1], item[0]))
        ],
    }


def _check_in_json(seen: CheckInSeen) -> dict[str, Any]:
    return {
        "check_in_id": seen.check_in.check_in_id,
        "trust_ods": seen.check_in.trust_ods,
        "held_on": iso(seen.check_in.held_on),
        "recorded_at": iso(seen.check_in.recorded_at),
        "notes_withheld": seen.notes_withheld,
        **({} if seen.notes is None else {"notes": seen.notes}),
    }


def _plan_json(plan: DevelopmentPlan) -> dict[str, Any]:
    return {
        "trust_ods": plan.trust_ods,
        "version": plan.version,
        "updated_at": iso(plan.updated_at),
        "goals": [
            {"goal_id": g.goal_id, "title": g.title, "status": g.status, "target_date": iso(g.target_date)}
            for g in plan.goals
        ],
    }


def _audit_entry(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": iso(entry.at),
        "principal_kind": entry.principal_kind,
        "principal": entry.principal,
        "trust_ods": entry.trust_ods,
        "method": entry.method,
        "fields": list(entry.fields),
    }


def trust_json(trust: Trust) -> dict[str, Any]:
    return {
        "ods": trust.ods,
        "name": trust.name,
        "status": trust.status,
        "version": trust.version,
        "created_at": iso(trust.created_at),
        # ids and dates: never a secret or its hash
        "keys": [
            {"key_id": k.key_id, "issued_at": iso(k.issued_at), "revoked_at": iso(k.revoked_at)} for k in trust.keys
        ],
    }


def leader_view_json(view: LeaderView) -> dict[str, Any]:
    leader = view.leader
    profile = asdict(view.profile)
    return {
        "leader_id": leader.leader_id,
        "version": view.version,
        "status": leader.status,
        "paused_until": iso(leader.paused_until),
        "updated_at": iso(view.updated_at),
        "contactable": view.contactable,
        # only the fields the trust may see (the others are blank in the view)
        "profile": {name: profile[name] for name in view.fields_shown},
        "consents": [consent_json(c, False) for c in view.consents],
        "affiliation_id": view.affiliation.affiliation_id if view.affiliation else None,
        "known_as": known_details_json(view.known) if view.known else None,
    }


def trust_export(
    trust: Trust,
    affiliations: list[Affiliation],
    views: list[LeaderView],
    terms: list[Any],
    now: datetime,
    records: list[dict[str, Any]] | None = None,
    changes: list[ChangeEntry] | None = None,
) -> str:
    document = {
        "format": TRUST_EXPORT_FORMAT,
        "generated_at": iso(now),
        "trust": trust_json(trust),
        "terms": [{"kind": t.kind, "code": t.code, "label": t.label} for t in terms],
        "affiliations": [affiliation_json(a) for a in affiliations],
        "leaders": [leader_view_json(v) for v in views],
        "records": records or [],
        "change_history": _change_history_json(changes or []),  # the trust's own writes
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def trust_records(uow: UnitOfWork, trust: Principal, leader_ids: list[str]) -> list[dict[str, Any]]:
    """Offboarding: the checks the trust verified or accepted and its support and development rows,
    per person it ever held, as the trust's own reads show them (no DBS details or check-in notes:
    those go to named people, not to an organisation's export). Read in the platform scope, so the
    rows are filtered to the trust here; a person with none is left out."""
    ods = trust.require_trust()
    made = []
    for leader_id in sorted(set(leader_ids)):
        checks = [check_as_seen_by(trust, c) for c in uow.checks.of_leader(leader_id, ods)]
        accepted = uow.checks.acceptances(leader_id, ods)
        seen = _development_seen_by(uow, trust, leader_id)
        own = DevelopmentSeen(
            [e for e in seen.enrolments if e.trust_ods == ods],
            {i: p for i, p in seen.programmes.items() if p.trust_ods == ods},
            [a for a in seen.assignments if a.trust_ods == ods],
            [c for c in seen.check_ins if c.check_in.trust_ods == ods],
            [p for p in seen.plans if p.trust_ods == ods],
        )
        if checks or accepted or any((own.enrolments, own.assignments, own.check_ins, own.plans)):
            made.append(
                {"leader_id": leader_id, "checks": _checks_json(checks, accepted, own=True), **_development(own)}
            )
    return made


# --- the leader's export (ExportLeaderData) -----------------------------------------------------


@dataclass(frozen=True)
class _Held:
    """What the export's caller may see of the leader, read in one unit of work."""

    view: LeaderView
    affiliations: list[Affiliation]
    consents: list[ConsentRecord]
    audit_entries: list[AuditEntry]
    changes: list[ChangeEntry]
    known: list[KnownDetails]
    equality: Mapping[str, str] | None
    checks: list[Check]
    accepted: list[AcceptedCheck]
    development: DevelopmentSeen


def export_leader_data(
    cmd: commands.ExportLeaderData, uow: UnitOfWork, principal: Principal, clock: Clock = utc_now
) -> dict[str, Any]:
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
        held = _held(uow, principal, cmd.leader_id)
        document = leader_export(
            principal,
            held.view,
            held.affiliations,
            held.consents,
            held.audit_entries,
            held.equality,
            now,
            held.checks,
            held.accepted,
            held.development,
            held.changes,
            held.known,
        )
        reads = {cmd.leader_id: _fields_read(held)}
        uow.audit.record(principal.kind, principal.audit_name, principal.trust_ods, "ExportLeaderData", reads)
        uow.commit()
    return document


def _held(uow: UnitOfWork, principal: Principal, leader_id: str) -> _Held:
    leader, affiliation = visible_leader(uow, principal, leader_id)
    trust = principal.trust_ods if principal.kind == "trust" else None
    if trust is not None:
        assert affiliation is not None
        affiliations = [affiliation]
        consents = [_as_seen_by(trust, r) for r in leader.consents if concerns_trust(r, trust)]
    else:
        affiliations = uow.affiliations.of_leader(leader_id)
        consents = list(leader.consents)
    checks, accepted = _checks_seen_by(uow, principal, leader_id)
    return _Held(
        view_for(principal, leader, affiliation),
        affiliations,
        consents,
        [e for _, e in uow.audit.list(leader_id, trust, 0, None, EXPORT_AUDIT_LIMIT + 1)],
        _changes_seen_by(uow, principal, leader_id, trust),
        [k for k in uow.known.of_leader(leader_id) if trust in (None, k.trust_ods)],
        uow.equality.answers_of(leader_id) if principal.kind == "leader" else None,
        checks,
        accepted,
        _development_seen_by(uow, principal, leader_id),
    )


def _changes_seen_by(uow: UnitOfWork, principal: Principal, leader_id: str, trust: str | None) -> list[ChangeEntry]:
    found = uow.history.list(leader_id, trust, 0, None, EXPORT_AUDIT_LIMIT + 1)
    return [as_seen_by_leader(e) for e in found] if principal.kind == "leader" else found


def _fields_read(held: _Held) -> tuple[str, ...]:
    """The field names the export showed, for the access audit."""
    fields = (*held.view.fields_shown, "status", "affiliations", "consents", "access_audit", "change_history", "checks")
    if any(c.dbs_details for c in held.checks):
        fields += ("dbs_details",)
    fields += ("training", "support", "check_ins", "development_plans")
    if any(not s.notes_withheld for s in held.development.check_ins):
        fields += ("check_in_notes",)
    if held.equality is not None:
        fields += ("equality_monitoring",)
    return fields


def _checks_seen_by(uow: UnitOfWork, principal: Principal, leader_id: str) -> tuple[list[Check], list[AcceptedCheck]]:
    """(checks, acceptances) as ListChecks shows them: a trust its own verified checks (DBS details
    only with the scope dbs-details) and its own acceptances; the leader every trust's, with their DBS
    details, and the administrator every trust's, as shared (no evidence, DBS details or staff names)."""
    store = uow.checks
    if principal.kind == "trust":
        trust = principal.require_trust()
        return [check_as_seen_by(principal, c) for c in store.of_leader(leader_id, trust)], store.acceptances(
            leader_id, trust
        )
    return [check_as_seen_by(principal, c) for c in store.of_leader(leader_id, None)], [
        replace(a, accepted_by="") for a in store.acceptances_of_leader(leader_id)
    ]


def _development_seen_by(uow: UnitOfWork, principal: Principal, leader_id: str) -> DevelopmentSeen:
    """Read in the caller's scope: row-level security keeps a trust to its own rows."""
    store = uow.development
    enrolments = store.enrolments_of(leader_id)
    assignments = store.assignments_of(leader_id)
    check_ins = check_ins_seen_by(principal, assignments, store.check_ins_of(leader_id))
    programmes = store.programmes_by_id({e.programme_id for e in enrolments})
    return DevelopmentSeen(enrolments, programmes, assignments, check_ins, store.plans_of(leader_id))


def _as_seen_by(trust: str, record: ConsentRecord) -> ConsentRecord:
    """A consent recorded by another trust's staff (lived experience may be) shows neither who
    recorded it nor their evidence: that would tell this trust about the other one."""
    if record.recorded_by_kind == "staff" and record.recorder_trust != trust:
        return replace(record, recorded_by="", recorder_trust=None, evidence="")
    return record
