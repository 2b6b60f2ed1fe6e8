"""Domain events to CloudEvents (``proto/events/schemas/plr.matching.opportunity.*``). Thin: ids,
versions, level, network and dates; the role's text is read through the API."""

from __future__ import annotations

from typing import Any

from services.common.events import CloudEvent
from services.matching.domain import events

SOURCE = "plr/matching"


def _name_and_data(event: events.OpportunityEvent) -> tuple[str, dict[str, Any]]:
    data: dict[str, Any] = {"opportunity_id": event.opportunity_id, "ods": event.trust_ods}
    match event:
        case events.OpportunityPublished():
            published = {"level": event.level, "places": event.places, "remote": event.remote}
            if event.network_id is not None:
                published["network_id"] = event.network_id
            if event.closing_date is not None:
                published["closing_date"] = event.closing_date.isoformat()
            return "published", {**data, **published}
        case events.OpportunityUpdated():
            return "updated", {**data, "fields": list(event.fields)}
        case events.OpportunityClosed():
            return "closed", data
        case events.OpportunityFilled():
            return "filled", data
        case events.OpportunityWithdrawn():
            return "withdrawn", data
    raise TypeError(f"no CloudEvent mapping for {type(event).__name__}")


def to_cloudevent(event: events.OpportunityEvent, correlation_id: str | None = None) -> CloudEvent:
    name, data = _name_and_data(event)
    return CloudEvent(
        type=f"plr.matching.opportunity.{name}.v1",
        source=SOURCE,
        data=data,
        aggregate_type="opportunity",
        aggregate_id=event.opportunity_id,
        aggregate_version=event.version,
        trust_ods=event.trust_ods,
        correlation_id=correlation_id,
    )
