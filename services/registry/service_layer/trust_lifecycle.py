"""A trust's lifecycle after onboarding: suspend, resume, offboard. Administrator only (the entrypoint
checks). Each change is an event through the outbox, in the transaction that makes it.

Suspending stops the trust's keys at once (every ``api`` refuses a trust whose status is not active)
and keeps its data; resuming lets its unrevoked keys work again; an offboarded trust never comes back.

Offboarding runs in the platform scope, in one transaction: it first takes an export of everything
the trust could see (its record, its own taxonomy terms, its affiliations, and each actively
affiliated leader exactly as ``view_for`` shows them to the trust: never equality data), then erases
what only that trust held: every affiliation of the trust ends; a leader whose non-ended affiliation
was with this trust and who has no affiliation with any other trust is erased; the trust's own terms
and idempotency keys go; its keys are revoked and it is marked offboarded.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from services.common.errors import InvalidInput, NotFound
from services.common.principals import Principal
from services.registry.domain.affiliation import Affiliation
from services.registry.domain.consent import ConsentRecord
from services.registry.domain.leader import Leader
from services.registry.domain.trust import Trust, validate_trust_identity
from services.registry.service_layer.data_rights import erase_person
from services.registry.service_layer.leaders import LeaderView, view_for
from services.registry.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
# erases one leader inside the open unit of work (the leader is loaded, locked and tracked)
LeaderEraser = Callable[[UnitOfWork, Leader, datetime], None]

OFFBOARDED_REASON = "trust offboarded"
REASON_MAX = 500
EXPORT_FORMAT = "plr.registry.trust-export.v1"


def utc_now() -> datetime:
    return datetime.now(UTC)


def _check_ods(ods: str, field: str = "ods") -> None:
    problem = validate_trust_identity(ods, "x").get("ods")
    if problem:
        raise InvalidInput({field: problem})


def _require(uow: UnitOfWork, ods: str) -> Trust:
    trust = uow.trusts.get(ods)
    if trust is None:
        raise NotFound(f"no trust with ODS code {ods}")
    return trust


def _change(uow: UnitOfWork, ods: str, change: Callable[[Trust], None]) -> Trust:
    _check_ods(ods)
    with uow:
        trust = _require(uow, ods)
        expected = trust.version
        change(trust)
        if trust.version != expected:
            uow.trusts.save(trust, expected)
            uow.commit()
    return trust


def suspend_trust(uow: UnitOfWork, ods: str, reason: str = "") -> Trust:
    """The trust's keys stop working at once; its data stays. A no-op on a suspended trust."""
    if len(reason) > REASON_MAX or not reason.isprintable():
        raise InvalidInput({"reason": f"must be at most {REASON_MAX} printable characters"})
    trust = _change(uow, ods, lambda t: t.suspend())
    log.info("trust %s suspended%s", ods, f": {reason}" if reason else "", extra={"trustods": ods})
    return trust


def resume_trust(uow: UnitOfWork, ods: str) -> Trust:
    """The trust's unrevoked keys work again. An offboarded trust cannot be resumed."""
    trust = _change(uow, ods, lambda t: t.resume())
    log.info("trust %s resumed", ods, extra={"trustods": ods})
    return trust


# --- offboarding ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OffboardingResult:
    trust: Trust
    export_document: str
    leaders_erased: int
    affiliations_ended: int


def erase_leader_record(uow: UnitOfWork, leader: Leader, now: datetime) -> None:
    """Erases a person inside the offboarding's unit of work, exactly as EraseLeader does."""
    erase_person(uow, leader, now)


def offboard_trust(
    uow: UnitOfWork,
    actor: Principal,
    ods: str,
    confirm_ods: str,
    erase_leader: LeaderEraser = erase_leader_record,
    clock: Clock = utc_now,
) -> OffboardingResult:
    """Export, then erase what only the trust held, then mark it offboarded: one transaction, in the
    platform scope (``uow`` must be platform-wide: the use case reads across tenants)."""
    _check_ods(ods)
    if confirm_ods != ods:
        raise InvalidInput({"confirm_ods": "must equal ods: offboarding erases data, so state the code twice"})
    now = clock()
    as_trust = Principal("trust", ods, ods)
    with uow:
        trust = _require(uow, ods)
        expected = trust.version
        found = uow.trust_holdings
        affiliations = [a for a in (uow.affiliations.get(i) for i in found.affiliation_ids(ods)) if a is not None]
        leaders: dict[str, Leader] = {}
        for affiliation in affiliations:
            if affiliation.status != "ended":
                # locked: no change to the person can slip between the export and the erasure
                leader = uow.leaders.get(affiliation.leader_id, lock=True)
                if leader is not None and leader.erased_at is None:
                    leaders[leader.leader_id] = leader
        views = [
            view_for(as_trust, leaders[a.leader_id], a) for a in affiliations if a.active and a.leader_id in leaders
        ]
        terms = [t for t in uow.taxonomy.list(None) if t.trust_ods == ods]
        document = _export_document(trust, affiliations, views, terms, now)
        uow.audit.record(
            actor.kind,
            actor.audit_name,
            ods,
            "OffboardTrust",
            {v.leader.leader_id: v.fields_shown or ("status",) for v in views},
        )

        ended = 0
        for affiliation in affiliations:
            if affiliation.status == "ended":
                continue
            was = affiliation.version
            affiliation.end(OFFBOARDED_REASON, now)
            uow.affiliations.save(affiliation, was)
            ended += 1
        erased = 0
        for leader in leaders.values():
            others = [a for a in uow.affiliations.of_leader(leader.leader_id) if a.trust_ods != ods]
            if not others:
                erase_leader(uow, leader, now)
                erased += 1
        uow.taxonomy.remove_trust_terms(ods)
        found.forget_idempotency_keys(ods)
        trust.offboard(now)
        if trust.version != expected:
            uow.trusts.save(trust, expected)
        uow.commit()
    log.info(
        "trust %s offboarded: %d affiliations ended, %d leaders erased",
        ods,
        ended,
        erased,
        extra={"trustods": ods},
    )
    return OffboardingResult(trust, document, erased, ended)


# --- the export document ----------------------------------------------------------------------


def _iso(value: Any) -> str | None:
    return None if value is None else str(value.isoformat())


def _trust_json(trust: Trust) -> dict[str, Any]:
    return {
        "ods": trust.ods,
        "name": trust.name,
        "status": trust.status,
        "version": trust.version,
        "created_at": _iso(trust.created_at),
        # ids and dates: never a secret or its hash
        "keys": [
            {"key_id": k.key_id, "issued_at": _iso(k.issued_at), "revoked_at": _iso(k.revoked_at)} for k in trust.keys
        ],
    }


def _affiliation_json(affiliation: Affiliation) -> dict[str, Any]:
    return {
        "affiliation_id": affiliation.affiliation_id,
        "leader_id": affiliation.leader_id,
        "status": affiliation.status,
        "version": affiliation.version,
        "created_at": _iso(affiliation.created_at),
        "confirmed_at": _iso(affiliation.confirmed_at),
        "ended_at": _iso(affiliation.ended_at),
        "end_reason": affiliation.end_reason,
    }


def _consent_json(record: ConsentRecord) -> dict[str, Any]:
    return {
        "purpose": record.purpose.value,
        "target": record.target,
        "granted": record.granted,
        "wording_version": record.wording_version,
        "recorded_by_kind": record.recorded_by_kind,
        "recorded_by": record.recorded_by,
        "evidence": record.evidence,
        "recorded_at": _iso(record.recorded_at),
    }


def _leader_json(view: LeaderView) -> dict[str, Any]:
    leader = view.leader
    profile = asdict(view.profile)
    return {
        "leader_id": leader.leader_id,
        "version": leader.version,
        "status": leader.status,
        "paused_until": _iso(leader.paused_until),
        "updated_at": _iso(leader.updated_at),
        "contactable": view.contactable,
        # only the fields the trust may see (the others are blank in the view)
        "profile": {name: profile[name] for name in view.fields_shown},
        "consents": [_consent_json(c) for c in view.consents],
        "affiliation_id": view.affiliation.affiliation_id if view.affiliation else None,
    }


def _export_document(
    trust: Trust, affiliations: list[Affiliation], views: list[LeaderView], terms: list[Any], now: datetime
) -> str:
    document = {
        "format": EXPORT_FORMAT,
        "generated_at": _iso(now),
        "trust": _trust_json(trust),
        "terms": [{"kind": t.kind, "code": t.code, "label": t.label} for t in terms],
        "affiliations": [_affiliation_json(a) for a in affiliations],
        "leaders": [_leader_json(v) for v in views],
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))
