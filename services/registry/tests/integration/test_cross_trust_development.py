"""Trust B (its key claiming A's facilitator's staff id, or B's own facilitator) can neither read nor change trust A's
programmes, enrolments, facilitator, check-ins or plan through any DevelopmentService method. The
methods are listed from the service descriptor; each request is aimed at A's objects. A method may
refuse (PERMISSION_DENIED, NOT_FOUND, FAILED_PRECONDITION, INVALID_ARGUMENT) or answer B about B's own affairs; either
way nothing of A's shows and nothing of A's changes. Also: bad bytes are INVALID_ARGUMENT for every
method."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import message_factory
from google.protobuf.descriptor import FieldDescriptor
from plr.registry.v1 import development_pb2 as dpb

from services.common.grpc_client import bearer
from services.registry.tests.integration.conftest import RegistryClient
from services.registry.tests.integration.development_support import Trusts, claiming, development

pytestmark = pytest.mark.integration

SERVICE = dpb.DESCRIPTOR.services_by_name["DevelopmentService"]
METHODS = [m.name for m in SERVICE.methods]
# INVALID_ARGUMENT: A's facilitator named by B is no member of B's staff (as an unknown id is)
REFUSED = {
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.INVALID_ARGUMENT,
}
NOTE = "Canary-Sweep-5521 notes"


@pytest.fixture(scope="module")
def trusts(registry: RegistryClient) -> Trusts:
    return Trusts(registry, "RDS", "RDT", NOTE)


def aimed_at(method_name: str, t: Trusts) -> object:
    method = SERVICE.methods_by_name[method_name]
    request = message_factory.GetMessageClass(method.input_type)()
    values = {
        "leader_id": t.leader_id,
        "programme_id": t.programme.programme_id,
        "enrolment_id": t.enrolment.enrolment_id,
        "module_id": t.programme.modules[0].module_id,
        "trust_ods": t.a_ods,
        "facilitator_staff_id": t.a_facilitator,
        "title": "Taken over",
        "notes": "from B",
    }
    for field in method.input_type.fields:
        if field.type == FieldDescriptor.TYPE_STRING and field.name in values:
            setattr(request, field.name, values[field.name])
        elif field.name == "expected_version":
            setattr(request, field.name, 0)
    return request


def snapshot(registry: RegistryClient, t: Trusts) -> tuple[bytes, ...]:
    api = development(registry)
    as_a = t.as_a_facilitator
    found = (
        api.ListProgrammes(dpb.ListProgrammesRequest(), metadata=as_a, timeout=10),
        api.ListEnrolments(dpb.ListEnrolmentsRequest(leader_id=t.leader_id), metadata=as_a, timeout=10),
        api.GetSupport(dpb.GetSupportRequest(leader_id=t.leader_id), metadata=as_a, timeout=10),
        api.GetDevelopmentPlan(dpb.GetDevelopmentPlanRequest(leader_id=t.leader_id), metadata=as_a, timeout=10),
    )
    return tuple(m.SerializeToString(deterministic=True) for m in found)


def test_the_sweep_covers_every_method() -> None:
    assert len(METHODS) == 11 and {"GetSupport", "RecordCheckIn", "CompleteTraining"} <= set(METHODS)


@pytest.mark.parametrize("as_b", ["claiming", "staff"])
@pytest.mark.parametrize("method_name", METHODS)
def test_trust_b_cannot_read_or_change_trust_as_development(
    registry: RegistryClient, trusts: Trusts, method_name: str, as_b: str
) -> None:
    before = snapshot(registry, trusts)
    call = getattr(development(registry), method_name)
    metadata = claiming(trusts.b_key, trusts.a_facilitator) if as_b == "claiming" else trusts.as_b_facilitator
    try:
        response = call(aimed_at(method_name, trusts), metadata=metadata, timeout=10)
    except grpc.RpcError as error:
        assert error.code() in REFUSED, f"{method_name}: {error.code()} {error.details()}"
        assert NOTE not in (error.details() or "")
    else:
        shown = str(response)
        assert NOTE not in shown and trusts.a_ods not in shown, (method_name, shown)
        assert trusts.programme.programme_id not in shown and trusts.enrolment.enrolment_id not in shown
        assert trusts.check_in.check_in_id not in shown
    assert snapshot(registry, trusts) == before, f"{method_name} changed trust A's development records"


def raw_call(registry: RegistryClient, path: str, payload: bytes, metadata: object) -> grpc.StatusCode:
    call = registry.channel.unary_unary(path, request_serializer=None, response_deserializer=None)
    try:
        call(payload, metadata=metadata, timeout=10)
    except grpc.RpcError as error:
        return error.code()
    return grpc.StatusCode.OK


UNDECODABLE = [b"\xff\xff\xff\xff", b"\x0a\x05ab", b"\x0f"]
NOT_UTF8 = b"\x0a\x02\xc3\x28"  # field 1, as text that is not UTF-8
FIELD_1_IS_TEXT = [
    m.name for m in SERVICE.methods if m.input_type.fields_by_number[1].type == FieldDescriptor.TYPE_STRING
]


@pytest.mark.parametrize("method_name", METHODS)
@pytest.mark.parametrize("payload", UNDECODABLE, ids=lambda p: p.hex())
def test_undecodable_bytes_are_invalid_argument(
    registry: RegistryClient, trusts: Trusts, method_name: str, payload: bytes
) -> None:
    path = f"/{SERVICE.full_name}/{method_name}"
    assert raw_call(registry, path, payload, bearer(trusts.a_key)) == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize("method_name", FIELD_1_IS_TEXT)
def test_text_that_is_not_utf8_is_invalid_argument(registry: RegistryClient, trusts: Trusts, method_name: str) -> None:
    assert len(FIELD_1_IS_TEXT) >= 9
    path = f"/{SERVICE.full_name}/{method_name}"
    assert raw_call(registry, path, NOT_UTF8, bearer(trusts.a_key)) == grpc.StatusCode.INVALID_ARGUMENT
