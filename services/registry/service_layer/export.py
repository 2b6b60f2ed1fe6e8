"""The export documents, built in one place: everything held about a leader (``ExportLeaderData``:
to the leader, a trust or the administrator) and everything a trust could see (offboarding). One
JSON shape for each part (an affiliation, a consent, a check, ...), whichever document holds it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from services.common.principals import Principal
from services.registry.domain.affiliation import Affiliation
from services.registry.domain.checks import AcceptedCheck, Check
from services.registry.domain.consent import ConsentRecord, current_state
from services.registry.domain.development import (
    CheckInSeen,
    DevelopmentPlan,
    Enrolment,
    Programme,
    SupportAssignment,
)
from services.registry.domain.trust import Trust
from services.registry.service_layer.leaders import LeaderView
from services.registry.service_layer.ports import AuditEntry

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
) -> dict[str, Any]:
    leader = view.leader
    not_a_trust = principal.kind != "trust"
    shown_entries = audit_entries[:EXPORT_AUDIT_LIMIT]
    document: dict[str, Any] = {
        "format": LEADER_EXPORT_FORMAT,
        "exported_at": iso(now),
        "exported_to": {"principal_kind": principal.kind, "trust_ods": principal.trust_ods},
        "leader": {
            "leader_id": leader.leader_id,
            "version": leader.version,
            "status": leader.status,
            "paused_until": iso(leader.paused_until),
            "created_at": iso(leader.created_at),
            "updated_at": iso(leader.updated_at),
            "contactable": view.contactable,
            "profile": _plain(asdict(view.profile)),
        },
        "affiliations": [
            affiliation_json(a) for a in sorted(affiliations, key=lambda a: (a.trust_ods, a.affiliation_id))
        ],
        "consents": {
            "current": [consent_json(r, not_a_trust) for r in current_state(consents).values()],
            "history": [consent_json(r, not_a_trust) for r in consents],
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
    # the verifying trust's own staff detail; what the others see of a check has none of it
    own_checks = principal.kind == "trust"
    document["checks"] = {
        "verified": [_check(c, own_checks) for c in checks or []],
        "accepted": [_accepted_check(a, own_checks) for a in accepted or []],
    }
    if development is not None:
        document["support_and_development"] = _development(development)
    if principal.kind == "leader":
        document["equality_monitoring"] = dict(equality) if equality else {}
    return document


def _by_trust(affiliation: Affiliation) -> tuple[str, str]:
    return affiliation.trust_ods, affiliation.affiliation_id


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
        if check.dbs_details:  # only when the trust's call named its staff, as ListChecks
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
    def enrolment(e: Enrolment) -> dict[str, Any]:
        programme = seen.programmes.get(e.programme_id)
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

    return {
        "enrolments": [enrolment(e) for e in seen.enrolments],
        "support_assignments": [
            {
                "trust_ods": a.trust_ods,
                "facilitator": a.facilitator,
                "buddy_leader_id": a.buddy_leader_id,
                "assigned_at": iso(a.assigned_at),
            }
            for a in seen.assignments
        ],
        "check_ins": [
            {
                "check_in_id": s.check_in.check_in_id,
                "trust_ods": s.check_in.trust_ods,
                "held_on": iso(s.check_in.held_on),
                "recorded_at": iso(s.check_in.recorded_at),
                "notes_withheld": s.notes_withheld,
                **({} if s.notes is None else {"notes": s.notes}),
            }
            for s in seen.check_ins
        ],
        "development_plans": [
            {
                "trust_ods": p.trust_ods,
                "version": p.version,
                "updated_at": iso(p.updated_at),
                "goals": [
                    {"goal_id": g.goal_id, "title": g.title, "status": g.status, "target_date": iso(g.target_date)}
                    for g in p.goals
                ],
            }
            for p in seen.plans
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
        "version": leader.version,
        "status": leader.status,
        "paused_until": iso(leader.paused_until),
        "updated_at": iso(leader.updated_at),
        "contactable": view.contactable,
        # only the fields the trust may see (the others are blank in the view)
        "profile": {name: profile[name] for name in view.fields_shown},
        "consents": [consent_json(c, False) for c in view.consents],
        "affiliation_id": view.affiliation.affiliation_id if view.affiliation else None,
    }


def trust_export(
    trust: Trust, affiliations: list[Affiliation], views: list[LeaderView], terms: list[Any], now: datetime
) -> str:
    document = {
        "format": TRUST_EXPORT_FORMAT,
        "generated_at": iso(now),
        "trust": trust_json(trust),
        "terms": [{"kind": t.kind, "code": t.code, "label": t.label} for t in terms],
        "affiliations": [affiliation_json(a) for a in affiliations],
        "leaders": [leader_view_json(v) for v in views],
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))
