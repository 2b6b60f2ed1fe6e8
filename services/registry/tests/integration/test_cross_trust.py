"""Trust B's key can neither read nor change trust A through any registry method.

The methods are listed from the service descriptor, so a method added later is covered without
anyone remembering to add it here; its request is aimed at trust A through the fields every
trust-addressed request uses (``ods``, ``key_id``, ``name``).
"""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import message_factory
from google.protobuf.descriptor import FieldDescriptor
from plr.registry.v1 import registry_pb2 as pb

from services.common.grpc_client import bearer
from services.registry.tests.integration.conftest import RegistryClient

pytestmark = pytest.mark.integration

SERVICE = pb.DESCRIPTOR.services_by_name["RegistryService"]
METHODS = [m.name for m in SERVICE.methods]
REFUSED = {grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.NOT_FOUND}


def aimed_at(method_name: str, ods: str, key_id: str) -> object:
    method = SERVICE.methods_by_name[method_name]
    request = message_factory.GetMessageClass(method.input_type)()
    for field in method.input_type.fields:
        if field.type != FieldDescriptor.TYPE_STRING:
            continue
        value = {"ods": ods, "key_id": key_id, "name": "Taken over"}.get(field.name)
        if value is not None:
            setattr(request, field.name, value)
    return request


def snapshot(registry: RegistryClient, ods: str) -> tuple[object, ...]:
    trust = registry.stub.GetTrust(pb.GetTrustRequest(ods=ods), metadata=registry.as_admin(), timeout=5)
    keys = registry.stub.ListTrustKeys(pb.ListTrustKeysRequest(ods=ods), metadata=registry.as_admin(), timeout=5)
    return trust.SerializeToString(deterministic=True), keys.SerializeToString(deterministic=True)


@pytest.fixture(scope="module")
def trusts_a_and_b(registry: RegistryClient) -> tuple[pb.CreateTrustResponse, pb.CreateTrustResponse]:
    return registry.onboard("RTA", "Trust A"), registry.onboard("RTB", "Trust B")


def test_the_sweep_covers_every_method() -> None:
    assert len(METHODS) >= 6 and "GetTrust" in METHODS and "CreateTrust" in METHODS


@pytest.mark.parametrize("method_name", METHODS)
def test_trust_b_cannot_read_or_change_trust_a(
    registry: RegistryClient, trusts_a_and_b: tuple[pb.CreateTrustResponse, pb.CreateTrustResponse], method_name: str
) -> None:
    a, b = trusts_a_and_b
    before = snapshot(registry, "RTA")
    request = aimed_at(method_name, "RTA", a.initial_key.key_id)
    call = getattr(registry.stub, method_name)
    with pytest.raises(grpc.RpcError) as refused:
        response = call(request, metadata=bearer(b.initial_key.key), timeout=5)
        pytest.fail(f"{method_name} answered B about A: {response}")
    assert refused.value.code() in REFUSED, f"{method_name}: {refused.value.code()} {refused.value.details()}"
    assert "Trust A" not in refused.value.details()
    assert snapshot(registry, "RTA") == before


def test_trust_b_reads_itself_and_never_sees_trust_a(
    registry: RegistryClient, trusts_a_and_b: tuple[pb.CreateTrustResponse, pb.CreateTrustResponse]
) -> None:
    _, b = trusts_a_and_b
    own = registry.stub.GetTrust(pb.GetTrustRequest(), metadata=bearer(b.initial_key.key), timeout=5)
    keys = registry.stub.ListTrustKeys(pb.ListTrustKeysRequest(), metadata=bearer(b.initial_key.key), timeout=5)
    assert own.ods == "RTB"
    assert {k.key_id for k in keys.keys} == {b.initial_key.key_id}
