"""Domain events to CloudEvents (``proto/events/schemas/plr.registry.*``). Thin: ids, versions,
states and field names; never a name, contact detail, lived experience or equality answer."""

from __future__ import annotations

from typing import Any

from services.common.events import CloudEvent
from services.registry.adapters.development_events import development_cloudevent
from services.registry.domain import checks, development, events, staff, taxonomy

SOURCE = "plr/registry"
TRUST_TARGETED = ("contact_by_trust", "share_record_with_trust")

DomainEvent = (
    events.TrustEvent
    | events.LeaderEvent
    | events.AffiliationEvent
    | checks.CheckEvent
    | development.DevelopmentEvent
    | events.NetworkEvent
    | events.InvitationEvent
    | staff.StaffEvent
    | taxonomy.TermEvent
)


def _iso(value: Any) -> str:
    return str(value.isoformat())


def _trust_event(event: events.TrustEvent) -> tuple[str, dict[str, Any]]:
    match event:
        case events.TrustOnboarded():
            return "onboarded", {"ods": event.ods, "name": event.name}
        case events.TrustKeyIssued():
            return "key_issued", {
                "ods": event.ods,
                "key_id": event.key_id,
                "secret_sha256": event.secret_sha256,
                "issued_at": _iso(event.issued_at),
                "scopes": list(event.scopes),
            }
        case events.TrustKeyRevoked():
            return "key_revoked", {"ods": event.ods, "key_id": event.key_id, "revoked_at": _iso(event.revoked_at)}
        case events.TrustSuspended():
            return "suspended", {"ods": event.ods}
        case events.TrustResumed():
            return "resumed", {"ods": event.ods}
        case events.TrustOffboarded():
            return "offboarded", {"ods": event.ods}
    raise TypeError(f"no CloudEvent mapping for {type(event).__name__}")


def _leader_event(event: events.LeaderEvent) -> tuple[str, str, dict[str, Any], str | None]:
    """(family, name, data, trust) of a leader-aggregate event."""
    data: dict[str, Any] = {"leader_id": event.leader_id}
    match event:
        case events.LeaderRegistered():
            return "leader", "registered", data, None
        case events.LeaderUpdated():
            return "leader", "updated", {**data, "fields": list(event.fields)}, None
        case events.LeaderPaused():
            return "leader", "paused", {**data, **({"until": event.until} if event.until else {})}, None
        case events.LeaderResumed():
            return "leader", "resumed", data, None
        case events.LeaderWithdrawn():
            return "leader", "withdrawn", data, None
        case events.LeaderErased():
            return "leader", "erased", data, None
        case events.LeaderChangedOnBehalf():
            changed = {"ods": event.trust_ods, "fields": list(event.fields), "change_id": event.change_id}
            return "leader", "changed_on_behalf", {**data, **changed}, event.trust_ods
        case events.LeaderEmailChangeRequested():
            on_behalf = {"ods": event.trust_ods} if event.trust_ods else {}
            return "leader", "email_change_requested", {**data, "change_id": event.change_id, **on_behalf}, None
        case events.ConsentChanged():
            name = "granted" if event.granted else "withdrawn"
            trust = event.target if event.purpose in TRUST_TARGETED else None
            return (
                "consent",
                name,
                {**data, "purpose": event.purpose, "target": event.target, "recorded_by_kind": event.recorded_by_kind},
                trust,
            )
        case events.RecordShared() | events.RecordUnshared():
            name = "shared" if isinstance(event, events.RecordShared) else "unshared"
            return "record", name, {**data, "ods": event.trust_ods}, event.trust_ods
    raise TypeError(f"no CloudEvent mapping for {type(event).__name__}")


def _affiliation_event(event: events.AffiliationEvent) -> tuple[str, dict[str, Any]]:
    data: dict[str, Any] = {
        "affiliation_id": event.affiliation_id,
        "leader_id": event.leader_id,
        "ods": event.trust_ods,
    }
    match event:
        case events.LeaderAffiliated():
            return "affiliated", data
        case events.AffiliationConfirmed():
            return "affiliation_confirmed", data
        case events.AffiliationEnded():
            return "affiliation_ended", data
        case events.AffiliationPaused():
            return "affiliation_paused", {**data, **({"until": event.until} if event.until else {})}
        case events.AffiliationResumed():
            return "affiliation_resumed", data
    raise TypeError(f"no CloudEvent mapping for {type(event).__name__}")


def _check_event(event: checks.CheckEvent) -> tuple[str, dict[str, Any]]:
    """Thin: ids, type, level and dates; never the evidence or DBS details."""
    data: dict[str, Any] = {
        "check_id": event.check_id,
        "leader_id": event.leader_id,
        "ods": event.trust_ods,
        "check_type": event.check_type,
    }
    if event.dbs_level:
        data["dbs_level"] = event.dbs_level
    if event.expires_on is not None:
        data["expires_on"] = event.expires_on.isoformat()
    match event:
        case checks.CheckVerified():
            return "verified", {**data, **({"issued_on": event.issued_on.isoformat()} if event.issued_on else {})}
        case checks.CheckAccepted():
            return "accepted", {**data, "verifying_ods": event.verifying_trust, "acceptance_id": event.acceptance_id}
        case checks.CheckExpiring() | checks.CheckExpired():
            name = "expiring" if isinstance(event, checks.CheckExpiring) else "expired"
            if event.acceptance_id is None:
                return name, data
            return name, {**data, "verifying_ods": event.verifying_trust, "acceptance_id": event.acceptance_id}
    raise TypeError(f"no CloudEvent mapping for {type(event).__name__}")


def _staff_event(event: staff.StaffEvent) -> tuple[str, dict[str, Any]]:
    """Thin: the id, the trust and the roles; never the name."""
    data: dict[str, Any] = {"staff_id": event.staff_id, "ods": event.trust_ods}
    match event:
        case staff.StaffAdded():
            return "added", {**data, "roles": list(event.roles)}
        case staff.StaffLeft():
            return "left", data
    raise TypeError(f"no CloudEvent mapping for {type(event).__name__}")


def _network_event(event: events.NetworkEvent) -> tuple[str, dict[str, Any], str | None]:
    match event:
        case events.NetworkCreated():
            return "created", {"network_id": event.network_id, "name": event.name}, None
        case events.NetworkTrustAdded():
            return "trust_added", {"network_id": event.network_id, "ods": event.trust_ods}, event.trust_ods
        case events.NetworkTrustRemoved():
            return "trust_removed", {"network_id": event.network_id, "ods": event.trust_ods}, event.trust_ods
    raise TypeError(f"no CloudEvent mapping for {type(event).__name__}")


INVITATION_EVENTS = {
    events.InvitationSent: "sent",
    events.InvitationAccepted: "accepted",
    events.InvitationDeclined: "declined",
}


def _registry_event(
    family: str,
    name: str,
    data: dict[str, Any],
    aggregate_id: str,
    version: int,
    trust: str | None,
    correlation_id: str | None,
) -> CloudEvent:
    return CloudEvent(
        type=f"plr.registry.{family}.{name}.v1",
        source=SOURCE,
        data=data,
        aggregate_type=family,
        aggregate_id=aggregate_id,
        aggregate_version=version,
        trust_ods=trust,
        correlation_id=correlation_id,
    )


def to_cloudevent(event: DomainEvent, correlation_id: str | None = None) -> CloudEvent:
    if isinstance(event, taxonomy.TermEvent):
        name = "added" if isinstance(event, taxonomy.TermAdded) else "retired"
        data = {"term_id": event.term_id, "kind": event.kind, "code": event.code}
        if event.trust_ods is not None:
            data["ods"] = event.trust_ods
        return _registry_event("term", name, data, event.term_id, event.version, event.trust_ods, correlation_id)
    if isinstance(event, staff.StaffEvent):
        name, data = _staff_event(event)
        return _registry_event("staff", name, data, event.staff_id, event.version, event.trust_ods, correlation_id)
    if isinstance(event, events.NetworkEvent):
        name, data, trust = _network_event(event)
        return _registry_event("network", name, data, event.network_id, event.version, trust, correlation_id)
    if isinstance(event, events.InvitationEvent):
        data = {"invitation_id": event.invitation_id, "ods": event.trust_ods}
        name = INVITATION_EVENTS[type(event)]
        return _registry_event(
            "invitation", name, data, event.invitation_id, event.version, event.trust_ods, correlation_id
        )
    if isinstance(event, development.DevelopmentEvent):
        return development_cloudevent(event, correlation_id)
    if isinstance(event, checks.CheckEvent):
        name, data = _check_event(event)
        return CloudEvent(
            type=f"plr.registry.check.{name}.v1",
            source=SOURCE,
            data=data,
            aggregate_type="check",
            aggregate_id=event.check_id,
            aggregate_version=event.version,
            trust_ods=event.trust_ods,
            correlation_id=correlation_id,
        )
    if isinstance(event, events.TrustEvent):
        name, data = _trust_event(event)
        return CloudEvent(
            type=f"plr.registry.trust.{name}.v1",
            source=SOURCE,
            data=data,
            aggregate_type="trust",
            aggregate_id=event.ods,
            aggregate_version=event.version,
            trust_ods=event.ods,
            correlation_id=correlation_id,
        )
    if isinstance(event, events.LeaderEvent):
        family, name, data, trust = _leader_event(event)
        return CloudEvent(
            type=f"plr.registry.{family}.{name}.v1",
            source=SOURCE,
            data=data,
            aggregate_type="leader",
            aggregate_id=event.leader_id,
            aggregate_version=event.version,
            trust_ods=trust,
            correlation_id=correlation_id,
        )
    name, data = _affiliation_event(event)
    return CloudEvent(
        type=f"plr.registry.leader.{name}.v1",
        source=SOURCE,
        data=data,
        aggregate_type="affiliation",
        aggregate_id=event.affiliation_id,
        aggregate_version=event.version,
        trust_ods=event.trust_ods,
        correlation_id=correlation_id,
    )
