"""Members of a trust's staff act on its roles through the portal's credential (``x-plr-staff-id``):
their trust and roles come from matching's staff directory (the registry's ``staff.*`` events), never
from the call; each role records who made it and who last changed it."""

from __future__ import annotations

import grpc
import pytest
from plr.matching.v1 import matching_pb2 as pb

from services.common.grpc_client import bearer
from services.common.trust_directory import record_staff_added, record_trust_suspended
from services.matching.tests.integration.conftest import ROLE, MatchingClient, registry_event
from services.matching.tests.integration.test_bad_input import ALL_METHODS, raw_call
from services.matching.tests.integration.test_opportunities_api import change

pytestmark = pytest.mark.integration

Metadata = tuple[tuple[str, str], ...]


@pytest.fixture(scope="module")
def keys(matching: MatchingClient) -> tuple[Metadata, Metadata]:
    return matching.trust("MSA"), matching.trust("MSB")


def get(matching: MatchingClient, metadata: Metadata, opportunity_id: str) -> pb.Opportunity:
    request = pb.GetOpportunityRequest(opportunity_id=opportunity_id)
    return matching.opportunities.GetOpportunity(request, metadata=metadata, timeout=5)


def code_of(call, request, metadata: Metadata) -> grpc.StatusCode:  # type: ignore[no-untyped-def]
    try:
        call(request, metadata=metadata, timeout=10)
    except grpc.RpcError as error:
        return error.code()  # type: ignore[no-any-return]
    return grpc.StatusCode.OK


def test_a_member_of_staff_acts_on_their_trusts_roles_and_is_recorded(
    matching: MatchingClient, keys: tuple[Metadata, Metadata]
) -> None:
    a_key, _ = keys
    recruiter = matching.as_staff(matching.staff("MSA", "recruiter"))
    staff_id = recruiter[-1][1]
    draft = matching.create(recruiter)
    assert draft.trust_ods == "MSA"
    assert (draft.created_by.staff_id, draft.updated_by.staff_id) == (staff_id, staff_id)
    published = matching.publish(recruiter, draft)
    # the trust's own key sees the role its staff made, and who made it
    seen = get(matching, a_key, draft.opportunity_id)
    assert (seen.status, seen.created_by.staff_id) == ("published", staff_id)
    # a key that claims a name changes it next: recorded as a claim, the creator kept
    claimed = (*a_key, ("x-plr-staff", "Pat on the ward"))
    closed = change(matching, claimed, "CloseOpportunity", published)
    assert closed.created_by == pb.Actor(staff_id=staff_id)
    assert closed.updated_by == pb.Actor(claimed_staff="Pat on the ward")
    # and a key naming no one is recorded as that
    filled = change(matching, a_key, "FillOpportunity", closed)
    assert filled.HasField("updated_by") and filled.updated_by == pb.Actor()
    assert get(matching, recruiter, draft.opportunity_id) == filled
    settings = matching.settings.GetMatchingSettings(pb.GetMatchingSettingsRequest(), metadata=recruiter, timeout=5)
    assert [s.code for s in settings.sites] == ["main"]


def test_staff_of_another_trust_cannot_touch_the_roles(
    matching: MatchingClient, keys: tuple[Metadata, Metadata]
) -> None:
    a_key, _ = keys
    role = matching.create(a_key)
    intruder = matching.as_staff(matching.staff("MSB", "trust_admin"))
    for method, request in (
        ("GetOpportunity", pb.GetOpportunityRequest(opportunity_id=role.opportunity_id)),
        ("PublishOpportunity", pb.ChangeOpportunityRequest(opportunity_id=role.opportunity_id, expected_version=1)),
        (
            "UpdateOpportunity",
            pb.UpdateOpportunityRequest(opportunity_id=role.opportunity_id, expected_version=1, details=ROLE),
        ),
        (
            "WithdrawOpportunity",
            pb.WithdrawOpportunityRequest(opportunity_id=role.opportunity_id, expected_version=1, reason="Mine now"),
        ),
    ):
        assert code_of(getattr(matching.opportunities, method), request, intruder) == grpc.StatusCode.NOT_FOUND
    listed = matching.opportunities.ListOpportunities(pb.ListOpportunitiesRequest(), metadata=intruder, timeout=5)
    assert role.opportunity_id not in {o.opportunity_id for o in listed.opportunities}
    assert get(matching, a_key, role.opportunity_id) == role


def test_another_trust_never_learns_who_among_the_owners_staff_made_a_shared_role(matching: MatchingClient) -> None:
    owner, neighbour = matching.trust("MSN"), matching.trust("MSM")
    matching.network("staff-net", "MSN", "MSM")
    recruiter = matching.as_staff(matching.staff("MSN", "recruiter"))
    details = pb.OpportunityDetails()
    details.CopyFrom(ROLE)
    details.network_id = "staff-net"
    shared = matching.publish(recruiter, matching.create(recruiter, details))
    seen = get(matching, neighbour, shared.opportunity_id)
    assert seen.status == "published"
    assert not seen.HasField("created_by") and not seen.HasField("updated_by")
    assert get(matching, owner, shared.opportunity_id).created_by == shared.created_by


def test_a_member_of_staff_does_what_their_roles_allow(
    matching: MatchingClient, keys: tuple[Metadata, Metadata]
) -> None:
    finance = matching.as_staff(matching.staff("MSA", "finance"))
    assert (
        code_of(matching.opportunities.ListOpportunities, pb.ListOpportunitiesRequest(), finance) == grpc.StatusCode.OK
    )
    made = code_of(matching.opportunities.CreateOpportunity, pb.CreateOpportunityRequest(details=ROLE), finance)
    assert made == grpc.StatusCode.PERMISSION_DENIED


def test_a_member_of_staff_who_left_is_refused(matching: MatchingClient, keys: tuple[Metadata, Metadata]) -> None:
    staff_id = matching.staff("MSA", "recruiter")
    portal = matching.as_staff(staff_id)
    role = matching.create(portal)
    matching.staff_left("MSA", staff_id)
    for method, request in (
        ("GetOpportunity", pb.GetOpportunityRequest(opportunity_id=role.opportunity_id)),
        ("CreateOpportunity", pb.CreateOpportunityRequest(details=ROLE)),
    ):
        assert code_of(getattr(matching.opportunities, method), request, portal) == grpc.StatusCode.UNAUTHENTICATED
    # the older staff.added, redelivered after staff.left, does not bring them back
    data = {"staff_id": staff_id, "ods": "MSA", "roles": ["recruiter"]}
    matching.apply_in_scope(record_staff_added, registry_event("added", "staff", staff_id, 1, data, "MSA"))
    assert code_of(matching.opportunities.CreateOpportunity, pb.CreateOpportunityRequest(details=ROLE), portal) == (
        grpc.StatusCode.UNAUTHENTICATED
    )


@pytest.mark.parametrize(
    "staff_header",
    [None, "", "not-a-staff-id", "00000000-0000-4000-8000-000000000000"],
    ids=["none", "empty", "malformed", "unknown"],
)
def test_the_portal_acts_only_for_a_known_member_of_staff(
    matching: MatchingClient, keys: tuple[Metadata, Metadata], staff_header: str | None
) -> None:
    portal = bearer(matching.portal_token)
    metadata = portal if staff_header is None else (*portal, ("x-plr-staff-id", staff_header))
    for method in ALL_METHODS:
        assert raw_call(matching, method, b"", metadata) in {
            grpc.StatusCode.PERMISSION_DENIED,
            grpc.StatusCode.UNAUTHENTICATED,
        }, method


def test_the_portal_never_acts_for_a_leader_here(matching: MatchingClient) -> None:
    metadata = (*bearer(matching.portal_token), ("x-plr-leader", "00000000-0000-4000-8000-000000000001"))
    code = code_of(matching.opportunities.ListOpportunities, pb.ListOpportunitiesRequest(), metadata)
    assert code == grpc.StatusCode.PERMISSION_DENIED


def test_a_trust_key_cannot_act_for_a_member_of_staff(
    matching: MatchingClient, keys: tuple[Metadata, Metadata]
) -> None:
    a_key, _ = keys
    staff_id = matching.staff("MSA", "trust_admin")
    metadata = (*a_key, ("x-plr-staff-id", staff_id))
    code = code_of(matching.opportunities.CreateOpportunity, pb.CreateOpportunityRequest(details=ROLE), metadata)
    assert code == grpc.StatusCode.PERMISSION_DENIED


def test_the_staff_of_a_suspended_trust_cannot_act(matching: MatchingClient) -> None:
    matching.trust("MSS")
    portal = matching.as_staff(matching.staff("MSS", "trust_admin"))
    assert code_of(matching.opportunities.ListOpportunities, pb.ListOpportunitiesRequest(), portal) == (
        grpc.StatusCode.OK
    )
    matching.apply(record_trust_suspended, registry_event("suspended", "trust", "MSS", 3, {"ods": "MSS"}))
    assert code_of(matching.opportunities.ListOpportunities, pb.ListOpportunitiesRequest(), portal) == (
        grpc.StatusCode.UNAUTHENTICATED
    )


def test_a_member_of_staff_and_the_trusts_keys_share_its_idempotency_keys(
    matching: MatchingClient, keys: tuple[Metadata, Metadata]
) -> None:
    """One trust, one set of keys: a retry through the portal of what the trust's system sent answers
    the first result, whoever sends it."""
    a_key, _ = keys
    portal = matching.as_staff(matching.staff("MSA", "recruiter"))
    request = pb.CreateOpportunityRequest(details=ROLE, idempotency_key="staff-and-key")
    first = matching.opportunities.CreateOpportunity(request, metadata=a_key, timeout=10)
    again = matching.opportunities.CreateOpportunity(request, metadata=portal, timeout=10)
    assert (again.created, again.opportunity.opportunity_id) == (False, first.opportunity.opportunity_id)
