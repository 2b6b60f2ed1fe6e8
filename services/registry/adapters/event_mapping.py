"""Domain events to CloudEvents (``proto/events/schemas/plr.registry.*``)."""

from __future__ import annotations

from typing import Any

from services.common.events import CloudEvent
from services.registry.domain import events

SOURCE = "plr/registry"


def _iso(value: Any) -> str:
    return str(value.isoformat())


def to_cloudevent(event: events.TrustEvent, correlation_id: str | None = None) -> CloudEvent:
    data: dict[str, Any]
    match event:
        case events.TrustOnboarded():
            kind, data = "onboarded", {"ods": event.ods, "name": event.name}
        case events.TrustKeyIssued():
            kind, data = (
                "key_issued",
                {
                    "ods": event.ods,
                    "key_id": event.key_id,
                    "secret_sha256": event.secret_sha256,
                    "issued_at": _iso(event.issued_at),
                },
            )
        case events.TrustKeyRevoked():
            kind, data = "key_revoked", {"ods": event.ods, "key_id": event.key_id, "revoked_at": _iso(event.revoked_at)}
        case _:
            raise TypeError(f"no CloudEvent mapping for {type(event).__name__}")
    return CloudEvent(
        type=f"plr.registry.trust.{kind}.v1",
        source=SOURCE,
        data=data,
        aggregate_type="trust",
        aggregate_id=event.ods,
        aggregate_version=event.version,
        trust_ods=event.ods,
        correlation_id=correlation_id,
    )
