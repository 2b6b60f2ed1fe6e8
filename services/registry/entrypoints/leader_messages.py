"""Translation between the leader API's messages and the domain, and the fields of its requests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from google.protobuf.message import Message
from marshmallow import fields
from plr.registry.v1 import leaders_pb2 as pb

from services.common.grpc_edge import Problem, request_digest, timestamp
from services.common.grpc_server import Call
from services.common.idempotency import Idempotent
from services.registry.domain.affiliation import Affiliation
from services.registry.domain.authority import OnBehalf
from services.registry.domain.consent import ConsentRecord
from services.registry.domain.profile import Availability, LeaderProfile
from services.registry.domain.reason import reason_problem
from services.registry.service_layer.leaders import LeaderView

T = TypeVar("T")


def idempotent(
    call: Call,
    method: str,
    request: Message,
    render: Callable[[T], bytes],
    parse: Callable[[bytes], T],
    leader_id: str | None = None,
) -> Idempotent[T]:
    """The idempotency of a create request: its key, bound to the caller and the request's digest."""
    principal = call.principal
    key: str = request.idempotency_key  # type: ignore[attr-defined]  # read here, checked by Idempotent
    return Idempotent(
        principal.name, method, key, request_digest(request), principal.trust_ods, leader_id, render=render, parse=parse
    )


class Reason(fields.String):
    """Why, as the caller states it: the domain's rule for a reason."""

    def __init__(self, **kwargs: Any):
        super().__init__(validate=Problem(reason_problem), **kwargs)


class Profile(fields.Field):
    """A ``LeaderProfile`` message as the domain's profile (whose rules the domain checks); unset is empty."""

    def __init__(self, **kwargs: Any):
        super().__init__(load_default=lambda: profile_from_message(pb.LeaderProfile()), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> LeaderProfile:
        return profile_from_message(value)


class OnBehalfEvidence(fields.Field):
    """An ``OnBehalf`` message as the domain's evidence (whose rules the domain checks); unset is None."""

    def __init__(self, **kwargs: Any):
        super().__init__(load_default=None, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> OnBehalf:
        return OnBehalf(value.staff, value.how_asked)


def profile_from_message(message: pb.LeaderProfile) -> LeaderProfile:
    return LeaderProfile(
        given_name=message.given_name,
        family_name=message.family_name,
        email=message.email,
        phone=message.phone,
        postcode=message.postcode,
        skills=tuple(message.skills),
        interests=tuple(message.interests),
        lived_experience=tuple(message.lived_experience),
        availability=Availability(
            hours_per_month=message.availability.hours_per_month,
            days=tuple(message.availability.days),
            modes=tuple(message.availability.modes),
        ),
        access_needs=message.access_needs,
        support_needs=message.support_needs,
        preferred_formats=tuple(message.preferred_formats),
        declarations_of_interest=tuple(message.declarations_of_interest),
    )


def profile_message(profile: LeaderProfile) -> pb.LeaderProfile:
    return pb.LeaderProfile(
        given_name=profile.given_name,
        family_name=profile.family_name,
        email=profile.email,
        phone=profile.phone,
        postcode=profile.postcode,
        skills=profile.skills,
        interests=profile.interests,
        lived_experience=profile.lived_experience,
        availability=availability_message(profile.availability),
        access_needs=profile.access_needs,
        support_needs=profile.support_needs,
        preferred_formats=profile.preferred_formats,
        declarations_of_interest=profile.declarations_of_interest,
    )


def affiliation_message(affiliation: Affiliation, trust_name: str = "") -> pb.Affiliation:
    return pb.Affiliation(
        trust_name=trust_name,
        affiliation_id=affiliation.affiliation_id,
        leader_id=affiliation.leader_id,
        trust_ods=affiliation.trust_ods,
        status=affiliation.status,
        version=affiliation.version,
        created_at=timestamp(affiliation.created_at),
        confirmed_at=timestamp(affiliation.confirmed_at),
        ended_at=timestamp(affiliation.ended_at),
        end_reason=affiliation.end_reason,
        paused=affiliation.paused_at is not None,
        paused_until=affiliation.paused_until.isoformat() if affiliation.paused_until else "",
        updated_at=timestamp(affiliation.updated_at),
    )


def consent_message(record: ConsentRecord) -> pb.ConsentState:
    return pb.ConsentState(
        purpose=record.purpose.value,
        target=record.target,
        granted=record.granted,
        wording_version=record.wording_version,
        recorded_by_kind=record.recorded_by_kind,
        recorded_by=record.recorded_by,
        evidence=record.evidence,
        recorded_at=timestamp(record.recorded_at),
    )


def leader_message(view: LeaderView) -> pb.Leader:
    leader = view.leader
    message = pb.Leader(
        leader_id=leader.leader_id,
        version=view.version,
        status=leader.status,
        paused_until=leader.paused_until.isoformat() if leader.paused_until else "",
        profile=profile_message(view.profile),
        contactable=view.contactable,
        consents=[consent_message(c) for c in view.consents],
        updated_at=timestamp(view.updated_at),
        email_change_pending=view.email_change_pending,
    )
    if view.affiliation is not None:
        message.affiliation.CopyFrom(affiliation_message(view.affiliation))
    if view.known is not None:
        known = view.known
        message.known_as.CopyFrom(
            pb.KnownDetails(
                given_name=known.given_name,
                family_name=known.family_name,
                email=known.email,
                phone=known.phone,
                updated_at=timestamp(known.updated_at),
            )
        )
    return message


def availability_message(availability: Availability) -> pb.Availability:
    return pb.Availability(
        hours_per_month=availability.hours_per_month, days=availability.days, modes=availability.modes
    )
