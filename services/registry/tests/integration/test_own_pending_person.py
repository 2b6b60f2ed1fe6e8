"""Issue 15 §1 and §5: every person-scoped method a trust key may call answers alike for the caller's
own registration that the person has not yet confirmed (FAILED_PRECONDITION, awaiting their
confirmation), and answers an unknown id and another trust's person with the same NOT_FOUND, word for
word but the id: no method is an oracle of who else holds a person.

The relationship methods (EndAffiliation, PauseAffiliation, ResumeAffiliation) act on the trust's
own pending request itself, and InviteLeader asks the person to confirm it: they are not here."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import grpc
import pytest
from google.protobuf import message as protobuf_message
from plr.registry.v1 import checks_pb2 as cpb
from plr.registry.v1 import development_pb2 as dpb
from plr.registry.v1 import leaders_pb2 as lpb

from services.common.grpc_client import bearer
from services.registry.tests.integration.conftest import RegistryClient
from services.registry.tests.integration.test_fields_before_visibility import EVERY_METHOD, _call

pytestmark = pytest.mark.integration

L, C, D = "plr.registry.v1.LeaderService/", "plr.registry.v1.CheckService/", "plr.registry.v1.DevelopmentService/"
ON_BEHALF = lpb.OnBehalf(staff="Sam at reception", how_asked="by phone, identity checked")
AN_ID = str(uuid.uuid4())

# method -> a good request about the person (given their id)
ABOUT_A_PERSON: dict[str, Callable[[str], protobuf_message.Message]] = {
    L + "GetLeader": lambda i: lpb.GetLeaderRequest(leader_id=i),
    L + "UpdateLeader": lambda i: lpb.UpdateLeaderRequest(
        leader_id=i, expected_version=1, profile=lpb.LeaderProfile(phone="07700 900123"), fields=["phone"]
    ),
    L + "PauseLeader": lambda i: lpb.PauseLeaderRequest(leader_id=i, on_behalf=ON_BEHALF),
    L + "ResumeLeader": lambda i: lpb.ResumeLeaderRequest(leader_id=i, on_behalf=ON_BEHALF),
    L + "WithdrawLeader": lambda i: lpb.WithdrawLeaderRequest(leader_id=i, reason="moved", on_behalf=ON_BEHALF),
    L + "RecordConsent": lambda i: lpb.RecordConsentRequest(
        leader_id=i,
        purpose="contact_by_trust",
        target="ROP1",
        grant=True,
        wording_version="1",
        evidence="consent form 12",
        on_behalf=ON_BEHALF,
    ),
    L + "ListConsents": lambda i: lpb.ListConsentsRequest(leader_id=i),
    L + "ExportLeaderData": lambda i: lpb.ExportLeaderDataRequest(leader_id=i),
    C + "RecordCheck": lambda i: cpb.RecordCheckRequest(leader_id=i, check_type="identity", evidence="passport seen"),
    C + "ListChecks": lambda i: cpb.ListChecksRequest(leader_id=i),
    C + "GetSharedRecord": lambda i: cpb.GetSharedRecordRequest(leader_id=i),
    C + "AcceptCheck": lambda i: cpb.AcceptCheckRequest(leader_id=i, check_id=AN_ID),
    C + "MayPlace": lambda i: cpb.MayPlaceRequest(
        leader_id=i, requirements=[cpb.CheckRequirement(check_type="identity")]
    ),
    D + "EnrolLeader": lambda i: dpb.EnrolLeaderRequest(leader_id=i, programme_id=AN_ID),
    D + "ListEnrolments": lambda i: dpb.ListEnrolmentsRequest(leader_id=i),
    D + "AssignFacilitator": lambda i: dpb.AssignFacilitatorRequest(leader_id=i, facilitator_staff_id=AN_ID),
    D + "RecordCheckIn": lambda i: dpb.RecordCheckInRequest(leader_id=i, notes="fine"),
    D + "GetSupport": lambda i: dpb.GetSupportRequest(leader_id=i),
    D + "GetDevelopmentPlan": lambda i: dpb.GetDevelopmentPlanRequest(leader_id=i),
    D + "UpdateDevelopmentPlan": lambda i: dpb.UpdateDevelopmentPlanRequest(leader_id=i, expected_version=0),
}
ABOUT_THE_RELATIONSHIP = {L + "EndAffiliation", L + "PauseAffiliation", L + "ResumeAffiliation"}
ASKS_THE_PERSON = {"plr.registry.v1.InvitationService/InviteLeader"}
# the trust's own records of what it did about the person: its own, whether or not they have confirmed
OWN_RECORDS = {
    L + "ListAuditEntries": lambda i: lpb.ListAuditEntriesRequest(leader_id=i),
    L + "ListChanges": lambda i: lpb.ListChangesRequest(leader_id=i),
}
# the person's (or the administrator's) alone: refused to a trust's key whoever the id names
NOT_A_TRUSTS = {L + "EraseLeader": lambda i: lpb.EraseLeaderRequest(leader_id=i, reason="asked to be forgotten")}


def test_every_method_that_names_a_person_is_here() -> None:
    named = {n for n, m in EVERY_METHOD.items() if "leader_id" in m.input_type.fields_by_name}
    key_methods = {n for n in named if n.split("/")[0] not in ("plr.registry.v1.StaffService",)}
    assert set(ABOUT_A_PERSON) | ABOUT_THE_RELATIONSHIP | ASKS_THE_PERSON | set(OWN_RECORDS) | set(NOT_A_TRUSTS) == (
        key_methods
    )


@pytest.fixture(scope="module")
def people(registry: RegistryClient) -> tuple[str, dict[str, str]]:
    key = registry.onboard("ROP1").initial_key.key
    other = registry.onboard("ROP2").initial_key.key
    theirs = registry.register(other, f"pp-{uuid.uuid4().hex[:10]}@example.org")
    registry.confirm(theirs)
    return key, {"unknown": str(uuid.uuid4()), "another trust's": theirs.leader_id}


def _refusal(registry: RegistryClient, method: str, request: protobuf_message.Message, key: str) -> tuple[object, str]:
    with pytest.raises(grpc.RpcError) as refused:
        _call(registry, EVERY_METHOD[method], request, key)
    return refused.value.code(), refused.value.details()


@pytest.mark.parametrize("method", sorted(ABOUT_A_PERSON))
def test_a_person_is_awaited_when_own_and_not_found_alike_otherwise(
    registry: RegistryClient, people: tuple[str, dict[str, str]], method: str
) -> None:
    key, others = people
    own = registry.register(key, f"pp-{uuid.uuid4().hex[:10]}@example.org").leader_id
    code, details = _refusal(registry, method, ABOUT_A_PERSON[method](own), key)
    assert code == grpc.StatusCode.FAILED_PRECONDITION, details
    assert (
        details == f"leader {own} has not yet confirmed your trust's affiliation" + details.split("affiliation", 1)[1]
    )
    answers = {
        case: _refusal(registry, method, ABOUT_A_PERSON[method](leader_id), key) for case, leader_id in others.items()
    }
    assert {(c, d.replace(others[case], "<id>")) for case, (c, d) in answers.items()} == {
        (grpc.StatusCode.NOT_FOUND, answers["unknown"][1].replace(others["unknown"], "<id>"))
    }, answers


@pytest.mark.parametrize("method", sorted(OWN_RECORDS))
def test_a_trusts_own_records_of_a_person_answer_while_they_have_not_confirmed(
    registry: RegistryClient, people: tuple[str, dict[str, str]], method: str
) -> None:
    """What the trust itself did (registered them, read them) is its own to read, confirmed or not; an
    unknown id and another trust's person answer alike."""
    key, others = people
    own = registry.register(key, f"pp-{uuid.uuid4().hex[:10]}@example.org").leader_id
    unary = registry.channel.unary_unary(
        f"/{EVERY_METHOD[method].containing_service.full_name}/{EVERY_METHOD[method].name}",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=None,
    )
    unary(OWN_RECORDS[method](own), metadata=bearer(key), timeout=10)  # answered, not refused
    answers = {}
    for case, leader_id in others.items():
        try:
            answers[case] = ("OK", unary(OWN_RECORDS[method](leader_id), metadata=bearer(key), timeout=10))
        except grpc.RpcError as error:
            answers[case] = (error.code(), error.details().replace(leader_id, "<id>"))
    assert answers["unknown"] == answers["another trust's"]


def test_erasing_is_refused_to_a_trust_key_whoever_the_id_names(
    registry: RegistryClient, people: tuple[str, dict[str, str]]
) -> None:
    key, others = people
    own = registry.register(key, f"pp-{uuid.uuid4().hex[:10]}@example.org").leader_id
    [(method, request)] = NOT_A_TRUSTS.items()
    answers = {_refusal(registry, method, request(i), key) for i in (own, *others.values())}
    assert len(answers) == 1 and next(iter(answers))[0] == grpc.StatusCode.PERMISSION_DENIED
