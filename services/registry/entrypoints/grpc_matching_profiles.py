"""The matching profile servicer (proto/plr/registry/v1/matching_profiles.proto): translate, call the
use case, translate back."""

from __future__ import annotations

from collections.abc import Callable

from plr.registry.v1 import matching_profiles_pb2 as pb

from services.common.grpc_edge import RequestSchema, Uuid, iso_date
from services.common.grpc_server import Call
from services.common.tenancy import TenantScope
from services.registry.domain.matching_profile import MatchingProfile
from services.registry.entrypoints.servicer import RegistryServicer
from services.registry.service_layer import matching_profiles as use
from services.registry.service_layer.unit_of_work import UnitOfWork


class GetMatchingProfileSchema(RequestSchema):
    leader_id = Uuid()


GET_MATCHING_PROFILE = GetMatchingProfileSchema()


def profile_message(found: MatchingProfile) -> pb.MatchingProfile:
    return pb.MatchingProfile(
        leader_id=found.leader_id,
        version=found.version,
        status=found.status,
        paused_until=iso_date(found.paused_until),
        skills=found.skills,
        interests=found.interests,
        lived_experience=found.lived_experience,
        lived_experience_consent=found.lived_experience_consent,
        hours_per_month=found.hours_per_month,
        days=found.days,
        modes=found.modes,
        postcode_district=found.postcode_district,
        affiliations=[
            pb.MatchingAffiliation(
                affiliation_id=a.affiliation_id,
                ods=a.trust_ods,
                status=a.status,
                paused=a.paused,
                paused_until=iso_date(a.paused_until),
                version=a.version,
            )
            for a in found.affiliations
        ],
        contact_trusts=found.contact_trusts,
        shared_networks=found.shared_networks,
        checks=[
            pb.MatchingCheck(
                check_id=c.check_id,
                check_type=c.check_type,
                ods=c.trust_ods,
                expires_on=iso_date(c.expires_on),
                accepted_by=c.accepted_by,
                version=c.version,
            )
            for c in found.checks
        ],
    )


class MatchingProfileApi(RegistryServicer):
    SERVICE = pb.DESCRIPTOR.services_by_name["MatchingProfileService"]

    def __init__(self, unit_of_work: Callable[[TenantScope, str], UnitOfWork], matching_caller: str):
        super().__init__(unit_of_work)
        self.matching_caller = matching_caller  # the name of matching's ApiCaller in the manifest

    def GetMatchingProfile(self, request: pb.GetMatchingProfileRequest, call: Call) -> pb.MatchingProfile:
        use.require_matching(call.principal, self.matching_caller)
        leader_id = GET_MATCHING_PROFILE.parse(request)["leader_id"]
        # every person, whoever holds them: the platform's scope, for matching's credential alone
        uow = self.uow(call, TenantScope.platform_wide())
        return profile_message(use.get_matching_profile(leader_id, uow, call.principal, self.matching_caller))
