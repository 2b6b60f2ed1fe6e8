"""Support and development events to CloudEvents (``proto/events/schemas/plr.registry.{development,
training,support}.*``). Thin: ids, dates and the trust; never a check-in note, a facilitator's name
or a goal."""

from __future__ import annotations

from typing import Any

from services.common.events import CloudEvent
from services.registry.domain import development as d

SOURCE = "plr/registry"


def development_cloudevent(event: d.DevelopmentEvent, correlation_id: str | None = None) -> CloudEvent:
    data: dict[str, Any] = {"leader_id": event.leader_id, "ods": event.trust_ods}
    match event:
        case d.LeaderEnrolled():
            kind, aggregate, aggregate_id = "development.enrolled", "enrolment", event.enrolment_id
            data |= {"enrolment_id": event.enrolment_id, "programme_id": event.programme_id}
        case d.TrainingCompleted():
            kind, aggregate, aggregate_id = "training.completed", "enrolment", event.enrolment_id
            data |= {
                "enrolment_id": event.enrolment_id,
                "programme_id": event.programme_id,
                "completed_on": event.completed_on.isoformat(),
            }
            if event.module_id is not None:
                data["module_id"] = event.module_id
        case d.FacilitatorAssigned():
            kind, aggregate, aggregate_id = "support.facilitator_assigned", "support_assignment", event.assignment_id
            data |= {"assignment_id": event.assignment_id, "with_buddy": event.with_buddy}
        case _:
            raise TypeError(f"no CloudEvent mapping for {type(event).__name__}")
    return CloudEvent(
        type=f"plr.registry.{kind}.v1",
        source=SOURCE,
        data=data,
        aggregate_type=aggregate,
        aggregate_id=aggregate_id,
        aggregate_version=event.version,
        trust_ods=event.trust_ods,
        correlation_id=correlation_id,
    )
