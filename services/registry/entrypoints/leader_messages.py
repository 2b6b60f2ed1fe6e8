"""Translation between the leader API's messages and the domain, and the edge's request checks."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, date, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from plr.registry.v1 import leaders_pb2 as pb

from services.common.errors import InvalidInput
from services.registry.domain.affiliation import Affiliation
from services.registry.domain.consent import ConsentRecord
from services.registry.domain.profile import Availability, LeaderProfile
from services.registry.service_layer.leaders import LeaderView


def timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def since(message: object, field: str = "updated_since") -> datetime | None:
    if not message.HasField(field):  # type: ignore[attr-defined]
        return None
    stamp: Timestamp = getattr(message, field)
    try:
        return stamp.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError):
        raise InvalidInput({field: "is not a valid time"}) from None


def uuid_field(name: str, value: str) -> str:
    try:
        parsed = uuid.UUID(value)
    except (ValueError, AttributeError):
        raise InvalidInput({name: "must be an id as returned by this API"}) from None
    if str(parsed) != value.lower():
        raise InvalidInput({name: "must be an id as returned by this API"})
    return str(parsed)


def date_field(name: str, value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput({name: "must be a date, YYYY-MM-DD"}) from None


def page_size(value: int) -> int:
    if not 0 <= value <= 500:
        raise InvalidInput({"page_size": "must be 0 to 500"})
    return value or 100


def encode_cursor(updated_at: datetime, ident: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([updated_at.isoformat(), ident]).encode()).decode()


def decode_cursor(token: str) -> tuple[datetime, str] | None:
    if not token:
        return None
    try:
        stamp, ident = json.loads(base64.urlsafe_b64decode(token.encode()))
        return datetime.fromisoformat(stamp), uuid_field("page_token", ident)
    except (ValueError, TypeError, UnicodeDecodeError, InvalidInput):
        raise InvalidInput({"page_token": "is not a page token from a previous response"}) from None


def encode_offset(entry_id: int) -> str:
    return base64.urlsafe_b64encode(str(entry_id).encode()).decode()


def decode_offset(token: str) -> int:
    if not token:
        return 0
    try:
        return int(base64.urlsafe_b64decode(token.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput({"page_token": "is not a page token from a previous response"}) from None


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
        availability=pb.Availability(
            hours_per_month=profile.availability.hours_per_month,
            days=profile.availability.days,
            modes=profile.availability.modes,
        ),
        access_needs=profile.access_needs,
        support_needs=profile.support_needs,
        preferred_formats=profile.preferred_formats,
        declarations_of_interest=profile.declarations_of_interest,
    )


def affiliation_message(affiliation: Affiliation) -> pb.Affiliation:
    return pb.Affiliation(
        affiliation_id=affiliation.affiliation_id,
        leader_id=affiliation.leader_id,
        trust_ods=affiliation.trust_ods,
        status=affiliation.status,
        version=affiliation.version,
        created_at=timestamp(affiliation.created_at),
        confirmed_at=timestamp(affiliation.confirmed_at),
        ended_at=timestamp(affiliation.ended_at),
        end_reason=affiliation.end_reason,
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
        version=leader.version,
        status=leader.status,
        paused_until=leader.paused_until.isoformat() if leader.paused_until else "",
        profile=profile_message(view.profile),
        contactable=view.contactable,
        consents=[consent_message(c) for c in view.consents],
        updated_at=timestamp(leader.updated_at),
    )
    if view.affiliation is not None:
        message.affiliation.CopyFrom(affiliation_message(view.affiliation))
    return message
