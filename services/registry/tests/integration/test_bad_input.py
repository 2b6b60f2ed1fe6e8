"""Bad input through the API gets INVALID_ARGUMENT naming the field, or RESOURCE_EXHAUSTED when
oversized, or succeeds; never INTERNAL or UNKNOWN, and a refused call changes nothing."""

from __future__ import annotations

import uuid

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from plr.registry.v1 import leaders_pb2 as lpb
from plr.registry.v1 import registry_pb2 as pb

from services.common.grpc_client import bearer
from services.registry.tests.integration.conftest import RegistryClient

pytestmark = pytest.mark.integration

SERVICE = pb.DESCRIPTOR.services_by_name["RegistryService"]
LEADERS = lpb.DESCRIPTOR.services_by_name["LeaderService"]
ALL_METHODS = [(s, m) for s in (SERVICE, LEADERS) for m in s.methods]
NEVER = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}


def raw_call(registry: RegistryClient, method: str, payload: bytes, metadata: object = None) -> grpc.StatusCode:
    """Send bytes as they are, without a stub's serializer (which would refuse to make bad ones)."""
    path = method if method.startswith("/") else f"/{SERVICE.full_name}/{method}"
    call = registry.channel.unary_unary(path, request_serializer=None, response_deserializer=None)
    try:
        call(payload, metadata=metadata or registry.as_admin(), timeout=10)
    except grpc.RpcError as error:
        return error.code()
    return grpc.StatusCode.OK


UNDECODABLE = [
    b"\xff\xff\xff\xff",  # an invalid tag
    b"\x0a\x05ab",  # a length running past the end
    b"\x0f",  # a wire type that does not exist
]
NOT_UTF8 = [
    b"\x0a\x02\xc3\x28",  # field 1 (a string here) that is not UTF-8
    b"\x0a\x03\xed\xa0\x80",  # field 1 holding a UTF-16 surrogate
]
FIELD_1_IS_TEXT = [
    f"/{s.full_name}/{m.name}"
    for s, m in ALL_METHODS
    if m.input_type.fields_by_number.get(1) is not None
    and m.input_type.fields_by_number[1].type == m.input_type.fields_by_number[1].TYPE_STRING
]


@pytest.mark.parametrize("method", [f"/{s.full_name}/{m.name}" for s, m in ALL_METHODS])
@pytest.mark.parametrize("payload", UNDECODABLE, ids=lambda p: p.hex())
def test_undecodable_bytes_are_invalid_argument_for_every_method(
    registry: RegistryClient, method: str, payload: bytes
) -> None:
    assert raw_call(registry, method, payload) == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize("method", FIELD_1_IS_TEXT)
@pytest.mark.parametrize("payload", NOT_UTF8, ids=lambda p: p.hex())
def test_text_that_is_not_utf8_is_invalid_argument(registry: RegistryClient, method: str, payload: bytes) -> None:
    assert raw_call(registry, method, payload) == grpc.StatusCode.INVALID_ARGUMENT


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.binary(max_size=300))
def test_arbitrary_bytes_never_cause_an_internal_error(registry: RegistryClient, payload: bytes) -> None:
    for method in ("CreateTrust", "GetTrust", "RevokeTrustKey"):
        assert raw_call(registry, method, payload) not in NEVER


def test_an_oversized_request_is_resource_exhausted(registry: RegistryClient) -> None:
    big = pb.CreateTrustRequest(ods="RBG", name="x" * (5 * 1024 * 1024)).SerializeToString()
    assert raw_call(registry, "CreateTrust", big) == grpc.StatusCode.RESOURCE_EXHAUSTED


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ods=st.text(max_size=8), name=st.text(max_size=250))
def test_any_text_in_create_trust_is_refused_by_field_or_accepted(
    registry: RegistryClient, ods: str, name: str
) -> None:
    try:
        response = registry.stub.CreateTrust(
            pb.CreateTrustRequest(ods=ods, name=name), metadata=registry.as_admin(), timeout=10
        )
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, (error.code(), error.details())
        assert error.details().startswith(("ods:", "name:")), error.details()
        return
    assert response.trust.ods == ods


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (pb.ListTrustsRequest(page_size=-1), "page_size"),
        (pb.ListTrustsRequest(page_size=100000), "page_size"),
        (pb.ListTrustsRequest(page_token="%%%not-a-token"), "page_token"),
    ],
)
def test_bad_paging_is_named(registry: RegistryClient, request_: pb.ListTrustsRequest, field: str) -> None:
    with pytest.raises(grpc.RpcError) as refused:
        registry.stub.ListTrusts(request_, metadata=registry.as_admin(), timeout=5)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.value.details().startswith(field)


@pytest.mark.parametrize("key_id", ["", "nope", "plrk_" + "A" * 16, "x" * 5000])
def test_a_bad_key_id_is_named(registry: RegistryClient, key_id: str) -> None:
    with pytest.raises(grpc.RpcError) as refused:
        registry.stub.RevokeTrustKey(
            pb.RevokeTrustKeyRequest(ods="RXX", key_id=key_id), metadata=registry.as_admin(), timeout=5
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "key_id" in refused.value.details()


@pytest.fixture(scope="module")
def trust_key(registry: RegistryClient) -> str:
    return registry.onboard("RFZ", "Fuzzing NHS Trust").initial_key.key


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.binary(max_size=400))
def test_arbitrary_bytes_never_cause_an_internal_error_in_the_leader_api(
    registry: RegistryClient, trust_key: str, payload: bytes
) -> None:
    for method in ("RegisterLeader", "UpdateLeader", "RecordConsent", "ListLeaders", "GetLeader"):
        code = raw_call(registry, f"/{LEADERS.full_name}/{method}", payload, bearer(trust_key))
        assert code not in NEVER, (method, code)


TEXT = st.text(max_size=120)
TERMS = st.lists(st.text(max_size=30), max_size=4)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    given_name=TEXT,
    family_name=TEXT,
    email=st.one_of(TEXT, st.emails()),
    phone=TEXT,
    postcode=TEXT,
    skills=TERMS,
    formats=TERMS,
    needs=st.text(max_size=3000),
    hours=st.integers(-(2**31), 2**31 - 1),
)
def test_any_profile_is_refused_by_field_or_accepted(
    registry: RegistryClient,
    trust_key: str,
    given_name: str,
    family_name: str,
    email: str,
    phone: str,
    postcode: str,
    skills: list[str],
    formats: list[str],
    needs: str,
    hours: int,
) -> None:
    profile = lpb.LeaderProfile(
        given_name=given_name,
        family_name=family_name,
        email=email,
        phone=phone,
        postcode=postcode,
        skills=skills,
        preferred_formats=formats,
        access_needs=needs,
        availability=lpb.Availability(hours_per_month=hours),
    )
    try:
        response = registry.leaders.RegisterLeader(
            lpb.RegisterLeaderRequest(profile=profile), metadata=bearer(trust_key), timeout=10
        )
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, (error.code(), error.details())
        known = set(lpb.LeaderProfile.DESCRIPTOR.fields_by_name) | {"availability.hours_per_month"}
        assert error.details().split(":")[0] in known, error.details()
        return
    assert response.affiliation.status == "pending"


@pytest.mark.parametrize(
    ("method", "request_", "field"),
    [
        ("GetLeader", lpb.GetLeaderRequest(leader_id="not-an-id"), "leader_id"),
        ("ListLeaders", lpb.ListLeadersRequest(page_size=501), "page_size"),
        ("ListLeaders", lpb.ListLeadersRequest(page_token="garbage"), "page_token"),
        ("ConfirmAffiliation", lpb.ConfirmAffiliationRequest(affiliation_id="x"), "affiliation_id"),
        ("PauseLeader", lpb.PauseLeaderRequest(leader_id=str(uuid.uuid4()), until="tomorrow"), "until"),
        ("PauseAffiliation", lpb.PauseAffiliationRequest(leader_id=str(uuid.uuid4()), until="tomorrow"), "until"),
        ("PauseAffiliation", lpb.PauseAffiliationRequest(leader_id=str(uuid.uuid4()), until="2001-01-01"), "until"),
        ("ResumeAffiliation", lpb.ResumeAffiliationRequest(leader_id="x"), "leader_id"),
        (
            "ResumeLeader",
            lpb.ResumeLeaderRequest(leader_id=str(uuid.uuid4()), on_behalf=lpb.OnBehalf(how_asked="by phone")),
            "on_behalf.staff",
        ),
        (
            "WithdrawLeader",
            lpb.WithdrawLeaderRequest(
                leader_id=str(uuid.uuid4()), on_behalf=lpb.OnBehalf(staff="Sam", how_asked="x" * 501)
            ),
            "on_behalf.how_asked",
        ),
        ("RecordConsent", lpb.RecordConsentRequest(leader_id=str(uuid.uuid4()), purpose="everything"), "purpose"),
        (
            "RecordConsent",
            lpb.RecordConsentRequest(leader_id=str(uuid.uuid4()), purpose="contact_by_trust", target="nope"),
            "target",
        ),
        ("UpdateLeader", lpb.UpdateLeaderRequest(leader_id=str(uuid.uuid4())), "expected_version"),
        ("ListAuditEntries", lpb.ListAuditEntriesRequest(leader_id=str(uuid.uuid4()), page_token="%%"), "page_token"),
        ("AddTerm", lpb.AddTermRequest(kind="spell", code="x", label=""), "code"),
        ("ListTerms", lpb.ListTermsRequest(kind="spells"), "kind"),
    ],
)
def test_bad_leader_api_fields_are_named(
    registry: RegistryClient, trust_key: str, method: str, request_: object, field: str
) -> None:
    with pytest.raises(grpc.RpcError) as refused:
        getattr(registry.leaders, method)(request_, metadata=bearer(trust_key), timeout=10)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, refused.value.details()
    assert field in refused.value.details()


def test_an_oversized_leader_request_is_resource_exhausted(registry: RegistryClient, trust_key: str) -> None:
    big = lpb.RegisterLeaderRequest(
        profile=lpb.LeaderProfile(given_name="A", family_name="B", email="a@b.org", access_needs="x" * (5 << 20))
    ).SerializeToString()
    code = raw_call(registry, f"/{LEADERS.full_name}/RegisterLeader", big, bearer(trust_key))
    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED


def _every_registry_method() -> list[str]:
    from plr.registry.v1 import checks_pb2, development_pb2, imports_pb2

    modules = (pb, lpb, checks_pb2, development_pb2, imports_pb2)
    return [
        f"/{s.full_name}/{m.name}"
        for module in modules
        for s in module.DESCRIPTOR.services_by_name.values()
        for m in s.methods
    ]


EVERY_METHOD = _every_registry_method()


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.binary(max_size=300))
def test_arbitrary_bytes_never_cause_an_internal_error_in_any_method(
    registry: RegistryClient, trust_key: str, payload: bytes
) -> None:
    assert len(EVERY_METHOD) >= 40
    for method in EVERY_METHOD:
        code = raw_call(registry, method, payload, bearer(trust_key))
        assert code not in NEVER, (method, code)


def test_a_missing_email_is_required_not_malformed(registry: RegistryClient) -> None:
    key = registry.onboard("RBEM").initial_key.key
    with pytest.raises(grpc.RpcError) as refused:
        registry.register(key, "")
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "email: is required" in refused.value.details()
