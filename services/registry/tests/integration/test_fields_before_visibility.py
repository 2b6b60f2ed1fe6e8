"""Issue 15 §4: every method a trust key may call checks every field of its request before it looks
at whom or what the ids name. A request with a bad field is INVALID_ARGUMENT naming that field,
whether its ids name nothing, another trust's person (or programme, check, invitation), or the
caller's own person who has not yet confirmed: never NOT_FOUND, PERMISSION_DENIED or
FAILED_PRECONDITION, which would hide what is wrong with the request (and would differ by who the
id names).

The table holds one bad request for every method of every registry service; a method added to a
``.proto`` without an entry here fails ``test_the_table_covers_every_registry_method``."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace

import grpc
import pytest
from google.protobuf import message as protobuf_message
from google.protobuf.descriptor import MethodDescriptor
from plr.registry.v1 import checks_pb2 as cpb
from plr.registry.v1 import checks_pb2_grpc, demo_pb2, staff_pb2
from plr.registry.v1 import development_pb2 as dpb
from plr.registry.v1 import imports_pb2 as ipb
from plr.registry.v1 import leaders_pb2 as lpb
from plr.registry.v1 import networks_pb2 as npb
from plr.registry.v1 import registry_pb2 as pb

from services.common.authorization import full_method_name, required_scope
from services.common.grpc_client import bearer
from services.common.principals import KEY_SCOPES
from services.registry.tests.integration.conftest import RegistryClient
from services.registry.tests.integration.development_support import development
from services.registry.tests.integration.networks_support import invitations

pytestmark = pytest.mark.integration

REGISTRY_PROTOS = (pb, lpb, cpb, dpb, ipb, npb, staff_pb2, demo_pb2)
EVERY_METHOD = {
    full_method_name(m): m for p in REGISTRY_PROTOS for s in p.DESCRIPTOR.services_by_name.values() for m in s.methods
}


@dataclass(frozen=True)
class Target:
    """What a bad request names: a trust, a person, and that person's things (by id)."""

    ods: str
    leader_id: str
    affiliation_id: str
    programme_id: str
    module_id: str
    enrolment_id: str
    check_id: str
    invitation_id: str


def _id() -> str:
    return str(uuid.uuid4())


L, C, D, N, R = (
    "plr.registry.v1.LeaderService/",
    "plr.registry.v1.CheckService/",
    "plr.registry.v1.DevelopmentService/",
    ("plr.registry.v1.InvitationService/"),
    "plr.registry.v1.RegistryService/",
)
BAD_EMAIL = lpb.LeaderProfile(given_name="Ada", family_name="Leader", email="not an address")
TOO_LONG = "x" * 5000

# method -> (the bad request, given the target; the field its refusal must name first)
BAD_REQUESTS: dict[str, tuple[Callable[[Target], protobuf_message.Message], str]] = {
    R + "GetTrust": (lambda t: pb.GetTrustRequest(ods=t.ods.lower()), "ods"),
    R + "ListTrustKeys": (lambda t: pb.ListTrustKeysRequest(ods=t.ods.lower()), "ods"),
    L + "RegisterLeader": (lambda t: lpb.RegisterLeaderRequest(profile=BAD_EMAIL), "email"),
    L + "ConfirmAffiliation": (
        lambda t: lpb.ConfirmAffiliationRequest(affiliation_id=t.affiliation_id[:-1]),
        "affiliation_id",
    ),
    L + "DeclineAffiliation": (
        lambda t: lpb.DeclineAffiliationRequest(affiliation_id=t.affiliation_id[:-1]),
        "affiliation_id",
    ),
    L + "EndAffiliation": (lambda t: lpb.EndAffiliationRequest(leader_id=t.leader_id, reason=TOO_LONG), "reason"),
    L + "PauseAffiliation": (lambda t: lpb.PauseAffiliationRequest(leader_id=t.leader_id, until="soon"), "until"),
    L + "ResumeAffiliation": (lambda t: lpb.ResumeAffiliationRequest(leader_id=t.leader_id[:-1]), "leader_id"),
    L + "ListAffiliations": (lambda t: lpb.ListAffiliationsRequest(page_size=-1), "page_size"),
    L + "GetLeader": (lambda t: lpb.GetLeaderRequest(leader_id=t.leader_id[:-1]), "leader_id"),
    L + "ListLeaders": (lambda t: lpb.ListLeadersRequest(page_token="garbage"), "page_token"),
    L + "UpdateLeader": (
        lambda t: lpb.UpdateLeaderRequest(
            leader_id=t.leader_id, expected_version=1, profile=BAD_EMAIL, fields=["email"]
        ),
        "email",
    ),
    L + "VerifyEmailChange": (lambda t: lpb.VerifyEmailChangeRequest(token=""), "token"),
    L + "PauseLeader": (lambda t: lpb.PauseLeaderRequest(leader_id=t.leader_id, until="soon"), "until"),
    L + "ResumeLeader": (lambda t: lpb.ResumeLeaderRequest(leader_id=t.leader_id[:-1]), "leader_id"),
    L + "WithdrawLeader": (lambda t: lpb.WithdrawLeaderRequest(leader_id=t.leader_id, reason=TOO_LONG), "reason"),
    L + "RecordConsent": (
        lambda t: lpb.RecordConsentRequest(leader_id=t.leader_id, purpose="horoscopes", wording_version="2026-11"),
        "purpose",
    ),
    L + "ListConsents": (lambda t: lpb.ListConsentsRequest(leader_id=t.leader_id[:-1]), "leader_id"),
    L + "SubmitEqualityMonitoring": (lambda t: lpb.SubmitEqualityMonitoringRequest(age_band="ancient"), "age_band"),
    L + "ExportLeaderData": (lambda t: lpb.ExportLeaderDataRequest(leader_id=t.leader_id[:-1]), "leader_id"),
    L + "EraseLeader": (lambda t: lpb.EraseLeaderRequest(leader_id=t.leader_id, reason=TOO_LONG), "reason"),
    L + "ListAuditEntries": (lambda t: lpb.ListAuditEntriesRequest(leader_id=t.leader_id, page_size=-1), "page_size"),
    L + "ListChanges": (lambda t: lpb.ListChangesRequest(leader_id=t.leader_id, page_size=-1), "page_size"),
    L + "ListTerms": (lambda t: lpb.ListTermsRequest(kind="horoscope"), "kind"),
    L + "AddTerm": (lambda t: lpb.AddTermRequest(kind="horoscope", code="aries", label="Aries"), "kind"),
    C + "RecordCheck": (lambda t: cpb.RecordCheckRequest(leader_id=t.leader_id, check_type="identity"), "evidence"),
    C + "ListChecks": (lambda t: cpb.ListChecksRequest(leader_id=t.leader_id[:-1]), "leader_id"),
    C + "GetSharedRecord": (lambda t: cpb.GetSharedRecordRequest(leader_id=t.leader_id[:-1]), "leader_id"),
    C + "AcceptCheck": (lambda t: cpb.AcceptCheckRequest(leader_id=t.leader_id, check_id=t.check_id[:-1]), "check_id"),
    C + "MayPlace": (lambda t: cpb.MayPlaceRequest(leader_id=t.leader_id), "requirements"),
    D + "CreateProgramme": (lambda t: dpb.CreateProgrammeRequest(title=""), "title"),
    D + "AddModule": (lambda t: dpb.AddModuleRequest(programme_id=t.programme_id, title=""), "title"),
    D + "ListProgrammes": (lambda t: dpb.ListProgrammesRequest(page_size=-1), "page_size"),
    D + "EnrolLeader": (lambda t: dpb.EnrolLeaderRequest(leader_id=t.leader_id, programme_id="x"), "programme_id"),
    D + "CompleteTraining": (
        lambda t: dpb.CompleteTrainingRequest(enrolment_id=t.enrolment_id, module_id=t.module_id, completed_on="soon"),
        "completed_on",
    ),
    D + "ListEnrolments": (lambda t: dpb.ListEnrolmentsRequest(leader_id=t.leader_id[:-1]), "leader_id"),
    D + "AssignFacilitator": (
        lambda t: dpb.AssignFacilitatorRequest(leader_id=t.leader_id, facilitator="Sam", buddy_leader_id="x"),
        "buddy_leader_id",
    ),
    D + "RecordCheckIn": (lambda t: dpb.RecordCheckInRequest(leader_id=t.leader_id, held_on="soon"), "held_on"),
    D + "GetSupport": (lambda t: dpb.GetSupportRequest(leader_id=t.leader_id[:-1]), "leader_id"),
    D + "GetDevelopmentPlan": (
        lambda t: dpb.GetDevelopmentPlanRequest(leader_id=t.leader_id, trust_ods=t.ods.lower()),
        "trust_ods",
    ),
    D + "UpdateDevelopmentPlan": (
        lambda t: dpb.UpdateDevelopmentPlanRequest(
            leader_id=t.leader_id, expected_version=1, goals=[dpb.Goal(title="Chair a panel", target_date="soon")]
        ),
        "goals[0].target_date",
    ),
    "plr.registry.v1.ImportService/ImportLeaders": (
        lambda t: ipb.ImportLeadersRequest(trust_ods=t.ods.lower()),
        "trust_ods",
    ),
    "plr.registry.v1.NetworkService/FindNetworkCandidates": (
        lambda t: npb.FindNetworkCandidatesRequest(page_size=-1),
        "page_size",
    ),
    N + "InviteLeader": (
        lambda t: npb.InviteLeaderRequest(leader_id=t.leader_id, email="someone@example.org"),
        "leader_id",  # one of the two, not both
    ),
    N + "ListInvitations": (lambda t: npb.ListInvitationsRequest(page_size=-1), "page_size"),
    N + "AcceptInvitation": (
        lambda t: npb.AnswerInvitationRequest(invitation_id=t.invitation_id[:-1]),
        "invitation_id",
    ),
    N + "DeclineInvitation": (
        lambda t: npb.AnswerInvitationRequest(invitation_id=t.invitation_id[:-1]),
        "invitation_id",
    ),
}
# more bad requests, for rules a use case (not the request's schema) holds
MORE_BAD_REQUESTS: list[tuple[str, Callable[[Target], protobuf_message.Message], str]] = [
    (L + "PauseLeader", lambda t: lpb.PauseLeaderRequest(leader_id=t.leader_id, until="2001-01-01"), "until"),
    (L + "PauseAffiliation", lambda t: lpb.PauseAffiliationRequest(leader_id=t.leader_id, until="2001-01-01"), "until"),
    (
        L + "RecordConsent",
        lambda t: lpb.RecordConsentRequest(leader_id=t.leader_id, purpose="contact_by_trust", target=t.ods),
        "wording_version",
    ),
    (
        L + "RecordConsent",
        lambda t: lpb.RecordConsentRequest(
            leader_id=t.leader_id, purpose="contact_by_trust", target=t.ods, wording_version="1", evidence=TOO_LONG
        ),
        "evidence",
    ),
    (L + "EndAffiliation", lambda t: lpb.EndAffiliationRequest(leader_id=t.leader_id, reason=""), "reason"),
    (
        L + "UpdateLeader",
        lambda t: lpb.UpdateLeaderRequest(leader_id=t.leader_id, expected_version=1, fields=["shoe"]),
        "fields",
    ),
    (
        D + "RecordCheckIn",
        lambda t: dpb.RecordCheckInRequest(leader_id=t.leader_id, held_on="2026-01-01", notes="x" * 20001),
        "notes",
    ),
    (D + "RecordCheckIn", lambda t: dpb.RecordCheckInRequest(leader_id=t.leader_id, held_on="2999-01-01"), "held_on"),
    (
        D + "CompleteTraining",
        lambda t: dpb.CompleteTrainingRequest(enrolment_id=t.enrolment_id, completed_on="2999-01-01"),
        "completed_on",
    ),
    (
        D + "AssignFacilitator",
        lambda t: dpb.AssignFacilitatorRequest(
            leader_id=t.leader_id, facilitator_staff_id=t.check_id, facilitator="Sam"
        ),
        "facilitator",
    ),
    (
        D + "UpdateDevelopmentPlan",
        lambda t: dpb.UpdateDevelopmentPlanRequest(
            leader_id=t.leader_id, expected_version=1, goals=[dpb.Goal(title="", status="open")]
        ),
        "goals[0].title",
    ),
    (
        D + "UpdateDevelopmentPlan",
        lambda t: dpb.UpdateDevelopmentPlanRequest(
            leader_id=t.leader_id, expected_version=1, goals=[dpb.Goal(title="Chair", status="bogus")]
        ),
        "goals[0].status",
    ),
    (
        C + "RecordCheck",
        lambda t: cpb.RecordCheckRequest(leader_id=t.leader_id, check_type="dbs", evidence="seen"),
        "dbs_level",
    ),
    (
        C + "MayPlace",
        lambda t: cpb.MayPlaceRequest(
            leader_id=t.leader_id, requirements=[cpb.CheckRequirement(check_type="dbs")], on="x"
        ),
        "on",
    ),
    (
        L + "ListAuditEntries",
        lambda t: lpb.ListAuditEntriesRequest(leader_id=t.leader_id, page_token="garbage"),
        "page_token",
    ),
    (L + "ListChanges", lambda t: lpb.ListChangesRequest(leader_id=t.leader_id, page_token="garbage"), "page_token"),
]
# methods whose request has no field to get wrong
NO_FIELDS = {L + "GetEqualityReport", "plr.registry.v1.NetworkService/ListNetworks"}


def test_the_table_covers_every_registry_method() -> None:
    """A method a trust key may call has a bad request here or takes no fields; any other method
    requires a scope no key holds (the administrator's, or a trust admin's)."""
    for_keys = {name for name, m in EVERY_METHOD.items() if required_scope(m) in KEY_SCOPES}
    assert set(BAD_REQUESTS) | NO_FIELDS == for_keys, "give each new method a bad request in BAD_REQUESTS"
    for name in NO_FIELDS:
        assert not EVERY_METHOD[name].input_type.fields, name
    for name, (bad, _) in BAD_REQUESTS.items():
        assert bad(_unknown()).DESCRIPTOR is EVERY_METHOD[name].input_type, name


def _unknown() -> Target:
    return Target("RZZZ9", _id(), _id(), _id(), _id(), _id(), _id(), _id())


@dataclass(frozen=True)
class Caller:
    key: str
    targets: dict[str, Target]


@pytest.fixture(scope="module")
def caller(registry: RegistryClient) -> Caller:
    """Trust RFV1 calls. RFV2 holds a confirmed person with a programme, an enrolment, a check and
    an invitation; RFV1 has registered a person who has not yet confirmed."""
    key = registry.onboard("RFV1").initial_key.key
    other = registry.onboard("RFV2").initial_key.key
    theirs = registry.register(other, f"fv-{uuid.uuid4().hex[:10]}@example.org")
    registry.confirm(theirs)
    api = development(registry)
    programme = api.CreateProgramme(
        dpb.CreateProgrammeRequest(title="Induction", module_titles=["One"]), metadata=bearer(other), timeout=10
    )
    enrolment = api.EnrolLeader(
        dpb.EnrolLeaderRequest(leader_id=theirs.leader_id, programme_id=programme.programme_id),
        metadata=bearer(other),
        timeout=10,
    )
    check = checks_pb2_grpc.CheckServiceStub(registry.channel).RecordCheck(
        cpb.RecordCheckRequest(leader_id=theirs.leader_id, check_type="identity", evidence="passport seen"),
        metadata=bearer(other),
        timeout=10,
    )
    invitation = invitations(registry).InviteLeader(
        npb.InviteLeaderRequest(leader_id=theirs.leader_id), metadata=bearer(other), timeout=10
    )
    another = Target(
        "RFV2",
        theirs.leader_id,
        theirs.affiliation_id,
        programme.programme_id,
        programme.modules[0].module_id,
        enrolment.enrolment_id,
        check.check_id,
        invitation.invitation_id,
    )
    pending = registry.register(key, f"fv-{uuid.uuid4().hex[:10]}@example.org")
    own_pending = replace(another, leader_id=pending.leader_id, affiliation_id=pending.affiliation_id)
    return Caller(key, {"unknown": _unknown(), "another trust's": another, "own, not yet confirmed": own_pending})


def _call(registry: RegistryClient, method: MethodDescriptor, request: protobuf_message.Message, key: str) -> None:
    path = f"/{method.containing_service.full_name}/{method.name}"
    unary = registry.channel.unary_unary(
        path, request_serializer=type(request).SerializeToString, response_deserializer=None
    )
    unary(request, metadata=bearer(key), timeout=10)


CASES = [(method, *BAD_REQUESTS[method]) for method in sorted(BAD_REQUESTS)] + MORE_BAD_REQUESTS


@pytest.mark.parametrize(("method", "bad", "field"), CASES, ids=[f"{m.split('/')[1]}-{f}" for m, _, f in CASES])
@pytest.mark.parametrize("target", ["unknown", "another trust's", "own, not yet confirmed"])
def test_a_bad_field_is_named_whoever_the_ids_name(
    registry: RegistryClient,
    caller: Caller,
    method: str,
    bad: Callable[[Target], protobuf_message.Message],
    field: str,
    target: str,
) -> None:
    with pytest.raises(grpc.RpcError) as refused:
        _call(registry, EVERY_METHOD[method], bad(caller.targets[target]), caller.key)
    error = refused.value
    assert (error.code(), error.details().split(": ")[0]) == (grpc.StatusCode.INVALID_ARGUMENT, field), error.details()
