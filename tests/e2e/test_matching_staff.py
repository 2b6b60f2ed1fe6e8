"""A member of staff the registry adds acts on their trust's roles in matching through the portal's
credential once the registry's staff.added event reaches matching's worker, and is refused there once
the registry says they left: every process running, through the outbox, the broker and the inbox."""

from __future__ import annotations

import grpc
import pytest
from plr.matching.v1 import matching_pb2, matching_pb2_grpc
from plr.registry.v1 import registry_pb2, registry_pb2_grpc, staff_pb2, staff_pb2_grpc

from services.common.grpc_client import api_channel, bearer
from tests.e2e.conftest import Running
from tests.support.infra import PlrStack, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

REMOTE_ROLE = matching_pb2.OpportunityDetails(title="Remote reader panel", level="level_1", remote=True, places=3)


def test_a_member_of_staff_acts_in_matching_until_they_leave(system: tuple[PlrStack, Running]) -> None:
    stack, _ = system
    admin = bearer(stack.env["PLR_ADMIN_TOKEN"])
    with (
        api_channel(stack.settings, "registry") as registry_channel,
        api_channel(stack.settings, "matching") as channel,
    ):
        registry_pb2_grpc.RegistryServiceStub(registry_channel).CreateTrust(
            registry_pb2.CreateTrustRequest(ods="RMS", name="Matching Staff NHS Trust"), metadata=admin, timeout=10
        )
        staff = staff_pb2_grpc.StaffServiceStub(registry_channel)
        member = staff.AddStaff(
            staff_pb2.AddStaffRequest(trust_ods="RMS", name="Robin Recruiter", roles=["recruiter"]),
            metadata=admin,
            timeout=10,
        )
        portal = (*bearer(stack.env["PLR_MATCHING_PORTAL_TOKEN"]), ("x-plr-staff-id", member.staff_id))
        opportunities = matching_pb2_grpc.OpportunityServiceStub(channel)

        def create() -> matching_pb2.CreateOpportunityResponse | grpc.StatusCode:
            try:
                request = matching_pb2.CreateOpportunityRequest(details=REMOTE_ROLE)
                return opportunities.CreateOpportunity(request, metadata=portal, timeout=10)
            except grpc.RpcError as error:
                return error.code()  # type: ignore[no-any-return]

        made: list[matching_pb2.CreateOpportunityResponse] = []

        def reached() -> bool:
            answer = create()
            if isinstance(answer, grpc.StatusCode):
                return False
            made.append(answer)
            return True

        wait_for(
            reached,
            timeout=10,
            interval=0.2,
            message="the member of staff to reach matching",
        )
        role = made[0].opportunity
        assert (role.trust_ods, role.created_by.staff_id) == ("RMS", member.staff_id)

        staff.RemoveStaff(
            staff_pb2.RemoveStaffRequest(trust_ods="RMS", staff_id=member.staff_id), metadata=admin, timeout=10
        )
        wait_for(
            lambda: create() == grpc.StatusCode.UNAUTHENTICATED,
            timeout=10,
            interval=0.2,
            message="matching to refuse the member who left",
        )
