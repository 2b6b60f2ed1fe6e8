"""PersonRegistry over the registry's gRPC api: the portal's credential and ``x-plr-leader`` naming the
signed-in person on every call (as ``RegistryClient``), and the registry's refusals as domain errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from plr.registry.v1 import leaders_pb2 as lpb
from plr.registry.v1 import leaders_pb2_grpc, networks_pb2, networks_pb2_grpc

from services.common.errors import InvalidInput, NotFound, PermissionDenied, PreconditionFailed
from services.common.grpc_client import bearer
from services.portal.domain.profile import (
    Availability,
    ChangedSinceOpened,
    Consent,
    Network,
    PersonRecord,
    Profile,
    Term,
    TrustLink,
    registry_problems,
)
from services.portal.service_layer.person import PersonRegistry

DEADLINE_S = 10.0


@contextmanager
def refusals() -> Iterator[None]:
    """The registry's answers the person can act on, as domain errors; anything else (the registry
    unreachable, a bug) stays an RpcError, which the portal answers "try again later"."""
    try:
        yield
    except grpc.RpcError as error:
        code, details = error.code(), error.details() or ""  # type: ignore[attr-defined]
        if code == grpc.StatusCode.INVALID_ARGUMENT:
            raise InvalidInput(registry_problems(details) or {"request": details}) from None
        if code == grpc.StatusCode.FAILED_PRECONDITION and " is at version " in details:
            raise ChangedSinceOpened(details) from None
        if code == grpc.StatusCode.FAILED_PRECONDITION:
            raise PreconditionFailed(details) from None
        if code == grpc.StatusCode.NOT_FOUND:
            raise NotFound(details) from None
        if code == grpc.StatusCode.PERMISSION_DENIED:
            raise PermissionDenied(details) from None
        raise


def _when(stamp: Timestamp) -> datetime | None:
    return stamp.ToDatetime(tzinfo=UTC) if stamp.seconds or stamp.nanos else None


def _consent(state: lpb.ConsentState) -> Consent:
    return Consent(state.purpose, state.target, state.granted, state.recorded_by_kind, _when(state.recorded_at))


def _profile(message: lpb.LeaderProfile) -> Profile:
    a = message.availability
    return Profile(
        given_name=message.given_name,
        family_name=message.family_name,
        email=message.email,
        phone=message.phone,
        postcode=message.postcode,
        skills=tuple(message.skills),
        interests=tuple(message.interests),
        lived_experience=tuple(message.lived_experience),
        availability=Availability(a.hours_per_month, tuple(a.days), tuple(a.modes)),
        access_needs=message.access_needs,
        support_needs=message.support_needs,
        preferred_formats=tuple(message.preferred_formats),
    )


def _message(profile: Profile) -> lpb.LeaderProfile:
    a = profile.availability
    return lpb.LeaderProfile(
        given_name=profile.given_name,
        family_name=profile.family_name,
        email=profile.email,
        phone=profile.phone,
        postcode=profile.postcode,
        skills=list(profile.skills),
        interests=list(profile.interests),
        lived_experience=list(profile.lived_experience),
        availability=lpb.Availability(hours_per_month=a.hours_per_month, days=list(a.days), modes=list(a.modes)),
        access_needs=profile.access_needs,
        support_needs=profile.support_needs,
        preferred_formats=list(profile.preferred_formats),
    )


class GrpcPersonRegistry(PersonRegistry):
    def __init__(self, channel: grpc.Channel, token: str):
        """``channel`` and ``token``: the portal's, as ``RegistryClient`` has them."""
        self.token = token
        self.leaders = leaders_pb2_grpc.LeaderServiceStub(channel)
        self.networks_stub = networks_pb2_grpc.NetworkServiceStub(channel)

    def _call(self, method: Callable[..., object], request: object, leader_id: str) -> object:
        with refusals():
            return method(request, metadata=(*bearer(self.token), ("x-plr-leader", leader_id)), timeout=DEADLINE_S)

    def record(self, leader_id: str) -> PersonRecord:
        leader = self._call(self.leaders.GetLeader, lpb.GetLeaderRequest(leader_id=leader_id), leader_id)
        assert isinstance(leader, lpb.Leader)
        consents = tuple(_consent(c) for c in leader.consents)
        return PersonRecord(leader.version, leader.status, _profile(leader.profile), consents)

    def terms(self, leader_id: str, kind: str) -> list[Term]:
        listed = self._call(self.leaders.ListTerms, lpb.ListTermsRequest(kind=kind), leader_id)
        assert isinstance(listed, lpb.ListTermsResponse)
        return sorted((Term(t.code, t.label) for t in listed.terms), key=lambda t: t.label.lower())

    def update(self, leader_id: str, expected_version: int, profile: Profile, fields: Sequence[str]) -> bool:
        request = lpb.UpdateLeaderRequest(
            leader_id=leader_id, expected_version=expected_version, profile=_message(profile), fields=list(fields)
        )
        updated = self._call(self.leaders.UpdateLeader, request, leader_id)
        assert isinstance(updated, lpb.Leader)
        return updated.email_change_pending

    def consents(self, leader_id: str) -> tuple[list[Consent], list[Consent]]:
        listed = self._call(self.leaders.ListConsents, lpb.ListConsentsRequest(leader_id=leader_id), leader_id)
        assert isinstance(listed, lpb.ListConsentsResponse)
        return [_consent(c) for c in listed.current], [_consent(c) for c in listed.history]

    def record_consent(self, leader_id: str, purpose: str, target: str, grant: bool, wording_version: str) -> None:
        request = lpb.RecordConsentRequest(
            leader_id=leader_id, purpose=purpose, target=target, grant=grant, wording_version=wording_version
        )
        self._call(self.leaders.RecordConsent, request, leader_id)

    def trusts(self, leader_id: str) -> list[TrustLink]:
        listed = self._call(self.leaders.ListAffiliations, lpb.ListAffiliationsRequest(page_size=500), leader_id)
        assert isinstance(listed, lpb.ListAffiliationsResponse)
        held = [a for a in listed.affiliations if a.status in ("pending", "active")]
        return [TrustLink(a.trust_ods, a.trust_name or a.trust_ods, a.status) for a in held]

    def networks(self, leader_id: str) -> list[Network]:
        listed = self._call(self.networks_stub.ListNetworks, networks_pb2.ListNetworksRequest(), leader_id)
        assert isinstance(listed, networks_pb2.ListNetworksResponse)
        return [Network(n.network_id, n.name) for n in listed.networks]

    def submit_equality(self, leader_id: str, answers: Mapping[str, str]) -> None:
        request = lpb.SubmitEqualityMonitoringRequest(**answers)
        self._call(self.leaders.SubmitEqualityMonitoring, request, leader_id)
