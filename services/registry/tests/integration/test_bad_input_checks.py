"""Bad input to CheckService gets INVALID_ARGUMENT naming the field, never INTERNAL or UNKNOWN."""

from __future__ import annotations

import uuid

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from plr.registry.v1 import checks_pb2 as cpb
from plr.registry.v1 import checks_pb2_grpc

from services.common.grpc_client import bearer
from services.registry.tests.integration.conftest import RegistryClient
from services.registry.tests.integration.test_bad_input import NEVER, NOT_UTF8, UNDECODABLE, raw_call

pytestmark = pytest.mark.integration

SERVICE = cpb.DESCRIPTOR.services_by_name["CheckService"]
PATHS = [f"/{SERVICE.full_name}/{m.name}" for m in SERVICE.methods]


@pytest.fixture(scope="module")
def trust_key(registry: RegistryClient) -> str:
    return registry.onboard("RCKF", "Check Fuzzing Trust").initial_key.key


@pytest.mark.parametrize("method", PATHS)
@pytest.mark.parametrize("payload", UNDECODABLE + NOT_UTF8, ids=lambda p: p.hex())
def test_undecodable_bytes_are_invalid_argument_for_every_check_method(
    registry: RegistryClient, trust_key: str, method: str, payload: bytes
) -> None:
    assert raw_call(registry, method, payload, bearer(trust_key)) == grpc.StatusCode.INVALID_ARGUMENT


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.binary(max_size=300))
def test_arbitrary_bytes_never_cause_an_internal_error_in_the_check_api(
    registry: RegistryClient, trust_key: str, payload: bytes
) -> None:
    for method in PATHS:
        assert raw_call(registry, method, payload, bearer(trust_key)) not in NEVER, method


SOMEONE = str(uuid.uuid4())


@pytest.mark.parametrize(
    ("method", "request_", "field"),
    [
        ("RecordCheck", cpb.RecordCheckRequest(leader_id="nope"), "leader_id"),
        ("RecordCheck", cpb.RecordCheckRequest(leader_id=SOMEONE, check_type="horoscope"), "check_type"),
        ("RecordCheck", cpb.RecordCheckRequest(leader_id=SOMEONE, check_type="dbs", issued_on="soon"), "issued_on"),
        (
            "RecordCheck",
            cpb.RecordCheckRequest(leader_id=SOMEONE, check_type="dbs", expires_on="2026-13-01"),
            "expires_on",
        ),
        ("ListChecks", cpb.ListChecksRequest(leader_id=""), "leader_id"),
        ("GetSharedRecord", cpb.GetSharedRecordRequest(leader_id="x"), "leader_id"),
        ("AcceptCheck", cpb.AcceptCheckRequest(leader_id=SOMEONE, check_id="x"), "check_id"),
        ("MayPlace", cpb.MayPlaceRequest(leader_id=SOMEONE), "requirements"),
        (
            "MayPlace",
            cpb.MayPlaceRequest(leader_id=SOMEONE, requirements=[cpb.CheckRequirement(check_type="x")]),
            "requirements[0].check_type",
        ),
        (
            "MayPlace",
            cpb.MayPlaceRequest(
                leader_id=SOMEONE, requirements=[cpb.CheckRequirement(check_type="identity", minimum_dbs_level="basic")]
            ),
            "requirements[0].minimum_dbs_level",
        ),
        (
            "MayPlace",
            cpb.MayPlaceRequest(leader_id=SOMEONE, requirements=[cpb.CheckRequirement(check_type="dbs")], on="today"),
            "on",
        ),
    ],
)
def test_bad_check_fields_are_named(
    registry: RegistryClient, trust_key: str, method: str, request_: object, field: str
) -> None:
    with pytest.raises(grpc.RpcError) as refused:
        getattr(checks_pb2_grpc.CheckServiceStub(registry.channel), method)(
            request_, metadata=bearer(trust_key), timeout=10
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, refused.value.details()
    assert refused.value.details().startswith(field), refused.value.details()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"evidence": ""}, "evidence"),
        ({"check_type": "dbs", "dbs_level": "super"}, "dbs_level"),
        ({"check_type": "x"}, "check_type"),
    ],
)
def test_a_bad_check_for_someone_the_trust_cannot_see_is_refused_for_its_field_not_as_not_found(
    registry: RegistryClient, trust_key: str, changes: dict[str, str], field: str
) -> None:
    """Fields are validated before visibility (issue 15 §4): a developer sees what is wrong with the
    request, and the answer is the same whoever the id names."""
    values = {"leader_id": str(uuid.uuid4()), "check_type": "identity", "evidence": "passport seen", **changes}
    with pytest.raises(grpc.RpcError) as refused:
        checks_pb2_grpc.CheckServiceStub(registry.channel).RecordCheck(
            cpb.RecordCheckRequest(**values), metadata=bearer(trust_key), timeout=10
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.value.details().startswith(f"{field}: ")
