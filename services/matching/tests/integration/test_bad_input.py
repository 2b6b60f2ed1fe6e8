"""Bad input to every matching method gets INVALID_ARGUMENT naming the field (or succeeds); never
INTERNAL or UNKNOWN; and a refused call changes nothing. Raw bytes are sent as they are, without a
stub's serializer (which would refuse to make bad ones)."""

from __future__ import annotations

import uuid

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from plr.matching.v1 import matching_pb2 as pb
from plr.matching.v1 import ranking_pb2

from services.common.grpc_client import bearer
from services.matching.tests.integration.conftest import ROLE, SERVICES, MatchingClient
from tests.support.infra import PlrStack

pytestmark = pytest.mark.integration

ALL_METHODS = [f"/{s.full_name}/{m.name}" for s in SERVICES.values() for m in s.methods]
NEVER = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}
UNDECODABLE = [b"\xff\xff\xff\xff", b"\x0a\x05ab", b"\x0f"]
NOT_UTF8 = [b"\x0a\x02\xc3\x28", b"\x0a\x03\xed\xa0\x80"]
FIELD_1_IS_TEXT = [
    f"/{s.full_name}/{m.name}"
    for s in SERVICES.values()
    for m in s.methods
    if (f := m.input_type.fields_by_number.get(1)) is not None and f.type == f.TYPE_STRING
]


@pytest.fixture(scope="module")
def key(matching: MatchingClient) -> tuple[tuple[str, str], ...]:
    return matching.trust("MBI")


def raw_call(matching: MatchingClient, method: str, payload: bytes, metadata: tuple) -> grpc.StatusCode:  # type: ignore[type-arg]
    call = matching.channel.unary_unary(method, request_serializer=None, response_deserializer=None)
    try:
        call(payload, metadata=metadata, timeout=10)
    except grpc.RpcError as error:
        return error.code()  # type: ignore[no-any-return]
    return grpc.StatusCode.OK


def test_the_lists_cover_the_services() -> None:
    assert len(ALL_METHODS) >= 11 and len(FIELD_1_IS_TEXT) >= 7


@pytest.mark.parametrize("method", ALL_METHODS)
@pytest.mark.parametrize("payload", UNDECODABLE, ids=lambda p: p.hex())
def test_undecodable_bytes_are_invalid_argument_for_every_method(
    matching: MatchingClient,
    key: tuple,
    method: str,
    payload: bytes,  # type: ignore[type-arg]
) -> None:
    assert raw_call(matching, method, payload, key) == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize("method", FIELD_1_IS_TEXT)
@pytest.mark.parametrize("payload", NOT_UTF8, ids=lambda p: p.hex())
def test_text_that_is_not_utf8_is_invalid_argument(
    matching: MatchingClient,
    key: tuple,
    method: str,
    payload: bytes,  # type: ignore[type-arg]
) -> None:
    assert raw_call(matching, method, payload, key) == grpc.StatusCode.INVALID_ARGUMENT


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.binary(max_size=300))
def test_arbitrary_bytes_never_cause_an_internal_error(matching: MatchingClient, key: tuple, payload: bytes) -> None:  # type: ignore[type-arg]
    for method in ALL_METHODS:
        assert raw_call(matching, method, payload, key) not in NEVER, method


def details(**change: object) -> pb.OpportunityDetails:
    d = pb.OpportunityDetails()
    d.CopyFrom(ROLE)
    for name, value in change.items():
        if isinstance(value, list):
            getattr(d, name).extend(value)
        elif isinstance(value, pb.Term):
            d.term.CopyFrom(value)
        else:
            setattr(d, name, value)
    return d


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (pb.CreateOpportunityRequest(), "details"),
        (pb.CreateOpportunityRequest(details=details(title="")), "details.title"),
        (pb.CreateOpportunityRequest(details=details(level="level_9")), "details.level"),
        (pb.CreateOpportunityRequest(details=details(days=["someday"])), "details.days"),
        (pb.CreateOpportunityRequest(details=details(required_checks=["passport"])), "details.required_checks"),
        (pb.CreateOpportunityRequest(details=details(closing_date="31/12/2026")), "details.closing_date"),
        (pb.CreateOpportunityRequest(details=details(term=pb.Term(start_date="tomorrow"))), "details.term.start_date"),
        (
            pb.CreateOpportunityRequest(details=details(eligibility_rules=[pb.EligibilityRule(kind="vibes")])),
            "details.eligibility_rules[0].kind",
        ),
        (
            pb.CreateOpportunityRequest(
                details=details(eligibility_rules=[pb.EligibilityRule(kind="has_skill", value="X")])
            ),
            "eligibility_rules[0]",
        ),
        (pb.CreateOpportunityRequest(details=details(sites=["nowhere"])), "sites"),
        (pb.CreateOpportunityRequest(details=details(network_id="not-mine")), "network_id"),
        (pb.CreateOpportunityRequest(details=details(places=0)), "places"),
        (pb.CreateOpportunityRequest(details=details(), idempotency_key="\x00"), "idempotency_key"),
    ],
)
def test_a_bad_create_names_the_field_and_makes_nothing(
    matching: MatchingClient,
    key: tuple,
    request_: pb.CreateOpportunityRequest,
    field: str,  # type: ignore[type-arg]
) -> None:
    before = matching.opportunities.ListOpportunities(pb.ListOpportunitiesRequest(), metadata=key, timeout=5)
    with pytest.raises(grpc.RpcError) as refused:
        matching.opportunities.CreateOpportunity(request_, metadata=key, timeout=5)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in refused.value.details(), refused.value.details()
    assert matching.opportunities.ListOpportunities(pb.ListOpportunitiesRequest(), metadata=key, timeout=5) == before


@pytest.mark.parametrize(
    ("method", "request_", "field"),
    [
        ("GetOpportunity", pb.GetOpportunityRequest(opportunity_id="nope"), "opportunity_id"),
        (
            "PublishOpportunity",
            pb.ChangeOpportunityRequest(opportunity_id="nope", expected_version=1),
            "opportunity_id",
        ),
        ("CloseOpportunity", pb.ChangeOpportunityRequest(expected_version=0), "expected_version"),
        ("ListOpportunities", pb.ListOpportunitiesRequest(page_size=501), "page_size"),
        ("ListOpportunities", pb.ListOpportunitiesRequest(page_token="%%%"), "page_token"),
        ("ListOpportunities", pb.ListOpportunitiesRequest(status="lost"), "status"),
        ("ListOpportunities", pb.ListOpportunitiesRequest(owner="theirs"), "owner"),
        ("CheckEligibility", pb.CheckEligibilityRequest(declarations={"has_skill": True}), "declarations"),
    ],
)
def test_bad_fields_are_named(matching: MatchingClient, key: tuple, method: str, request_: object, field: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(grpc.RpcError) as refused:
        getattr(matching.opportunities, method)(request_, metadata=key, timeout=5)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in refused.value.details(), refused.value.details()


@pytest.mark.parametrize(
    ("settings_", "field"),
    [
        (pb.MatchingSettings(recent_placement_months=99, max_concurrent_placements=1), "recent_placement_months"),
        (pb.MatchingSettings(max_concurrent_placements=0), "max_concurrent_placements"),
        (pb.MatchingSettings(max_concurrent_placements=1, sites=[pb.Site(code="ok", name="")]), "sites[0].name"),
        (
            pb.MatchingSettings(
                max_concurrent_placements=1, sites=[pb.Site(code="ok", name="A", local_districts=["leeds"])]
            ),
            "sites[0].local_districts",
        ),
        (pb.MatchingSettings(max_concurrent_placements=1, default_checks=[pb.LevelChecks(level="level_0")]), "level"),
    ],
)
def test_bad_settings_are_named_and_change_nothing(
    matching: MatchingClient,
    key: tuple,
    settings_: pb.MatchingSettings,
    field: str,  # type: ignore[type-arg]
) -> None:
    before = matching.settings.GetMatchingSettings(pb.GetMatchingSettingsRequest(), metadata=key, timeout=5)
    request = pb.UpdateMatchingSettingsRequest(settings=settings_, expected_version=before.version)
    with pytest.raises(grpc.RpcError) as refused:
        matching.settings.UpdateMatchingSettings(request, metadata=key, timeout=5)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in refused.value.details(), refused.value.details()
    assert matching.settings.GetMatchingSettings(pb.GetMatchingSettingsRequest(), metadata=key, timeout=5) == before


@pytest.mark.parametrize("credential", ["nope", "admin", "service"])
def test_only_a_trust_key_is_a_credential_here(matching: MatchingClient, stack: PlrStack, credential: str) -> None:
    """The api holds no administrator or service token: they are as unknown as any other text."""
    token = {"admin": stack.env["PLR_ADMIN_TOKEN"], "service": stack.env["PLR_REGISTRY_PORTAL_TOKEN"]}.get(
        credential, credential
    )
    with pytest.raises(grpc.RpcError) as refused:
        matching.settings.GetMatchingSettings(pb.GetMatchingSettingsRequest(), metadata=bearer(token), timeout=5)
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (ranking_pb2.RankCandidatesRequest(), "opportunity_id"),
        (ranking_pb2.RankCandidatesRequest(opportunity_id="nope"), "opportunity_id"),
        (ranking_pb2.RankCandidatesRequest(opportunity_id=str(uuid.uuid4()), limit=201), "limit"),
        (ranking_pb2.RankCandidatesRequest(opportunity_id=str(uuid.uuid4()), limit=-1), "limit"),
    ],
)
def test_a_bad_ranking_request_names_the_field(
    matching: MatchingClient,
    key: tuple,
    request_: ranking_pb2.RankCandidatesRequest,
    field: str,  # type: ignore[type-arg]
) -> None:
    with pytest.raises(grpc.RpcError) as refused:
        matching.ranking.RankCandidates(request_, metadata=key, timeout=5)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in refused.value.details(), refused.value.details()
