"""Trust B's key can neither read nor change trust A's checks through any CheckService method (listed
from the service descriptor), even with its own pending affiliation with the same leader, as long as
the leader has not shared their record with B. A method may refuse (PERMISSION_DENIED, NOT_FOUND) or
answer B about B's own affairs; either way nothing of A's shows and nothing of A's changes."""

from __future__ import annotations

import uuid

import grpc
import pytest
import sqlalchemy as sa
from google.protobuf import message_factory
from google.protobuf.descriptor import FieldDescriptor
from plr.registry.v1 import checks_pb2 as cpb
from plr.registry.v1 import checks_pb2_grpc

from services.common.db import scoped_transaction
from services.common.grpc_client import bearer
from services.common.tenancy import TenantScope
from services.registry.adapters.tables import leaders
from services.registry.tests.integration.conftest import RegistryClient
from tests.support.infra import PlrStack

pytestmark = pytest.mark.integration

SERVICE = cpb.DESCRIPTOR.services_by_name["CheckService"]
METHODS = [m.name for m in SERVICE.methods]
# FAILED_PRECONDITION: B's own registration of the person awaits their confirmation (B's own affair)
REFUSED = {grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION}
CANARY = "DBS-CANARY-Sweep-445566"


class TrustA:
    def __init__(self, registry: RegistryClient):
        # a key that reads DBS details, so that the snapshot would show a change to them
        dbs_scopes = ("read", "people", "checks", "dbs-details")
        self.key = registry.onboard("RCKA", "Check Sweep Trust A", key_scopes=dbs_scopes).initial_key.key
        self.email = f"check-sweep-{uuid.uuid4().hex[:8]}@example.org"
        affiliation = registry.register(self.key, self.email)
        registry.confirm(affiliation)
        self.leader_id = affiliation.leader_id
        self.check = checks_pb2_grpc.CheckServiceStub(registry.channel).RecordCheck(
            cpb.RecordCheckRequest(
                leader_id=self.leader_id,
                check_type="dbs",
                dbs_level="enhanced",
                expires_on="2099-01-01",
                evidence="sweep evidence",
                dbs_details=CANARY,
            ),
            metadata=bearer(self.key),
            timeout=10,
        )


@pytest.fixture(scope="module")
def a(registry: RegistryClient) -> TrustA:
    return TrustA(registry)


@pytest.fixture(scope="module")
def b_key(registry: RegistryClient, a: TrustA) -> str:
    key = registry.onboard("RCKB", "Check Sweep Trust B").initial_key.key
    registry.register(key, a.email)  # a pending affiliation with the same person, never shared with
    return key


def aimed_at(method_name: str, a: TrustA) -> object:
    method = SERVICE.methods_by_name[method_name]
    request = message_factory.GetMessageClass(method.input_type)()
    values = {
        "leader_id": a.leader_id,
        "check_id": a.check.check_id,
        "check_type": "dbs",
        "dbs_level": "basic",
        "evidence": "taken over",
        "dbs_details": "overwritten",
    }
    for field in method.input_type.fields:
        if field.type == FieldDescriptor.TYPE_STRING and field.name in values:
            setattr(request, field.name, values[field.name])
        elif field.name == "requirements":
            request.requirements.add(check_type="dbs")  # type: ignore[attr-defined]
    return request


def snapshot(registry: RegistryClient, a: TrustA) -> bytes:
    stub = checks_pb2_grpc.CheckServiceStub(registry.channel)
    found = stub.ListChecks(cpb.ListChecksRequest(leader_id=a.leader_id), metadata=bearer(a.key), timeout=10)
    assert CANARY in str(found)
    return found.SerializeToString(deterministic=True)


def test_the_sweep_covers_every_method() -> None:
    assert {"RecordCheck", "ListChecks", "GetSharedRecord", "AcceptCheck", "MayPlace"} <= set(METHODS)


@pytest.mark.parametrize("method_name", METHODS)
def test_trust_b_cannot_read_or_change_trust_as_checks(
    registry: RegistryClient, a: TrustA, b_key: str, method_name: str
) -> None:
    before = snapshot(registry, a)
    call = getattr(checks_pb2_grpc.CheckServiceStub(registry.channel), method_name)
    try:
        response = call(aimed_at(method_name, a), metadata=bearer(b_key), timeout=10)
    except grpc.RpcError as error:
        assert error.code() in REFUSED, f"{method_name}: {error.code()} {error.details()}"
        assert CANARY not in (error.details() or "") and "RCKA" not in (error.details() or "")
    else:
        shown = str(response)
        assert CANARY not in shown and "RCKA" not in shown and a.check.check_id not in shown, (method_name, shown)
    assert snapshot(registry, a) == before, f"{method_name} changed trust A's checks"


@pytest.mark.parametrize("method_name", METHODS)
def test_the_leader_cannot_act_as_a_trust(registry: RegistryClient, a: TrustA, method_name: str) -> None:
    """The leader, through the portal, reads only their own checks, and writes none."""
    call = getattr(checks_pb2_grpc.CheckServiceStub(registry.channel), method_name)
    try:
        response = call(aimed_at(method_name, a), metadata=registry.as_leader(a.leader_id), timeout=10)
    except grpc.RpcError as error:
        assert error.code() in REFUSED, f"{method_name}: {error.code()} {error.details()}"
    else:
        # their own checks, DBS details included (their own data), never the verifier's evidence
        assert method_name == "ListChecks" and "sweep evidence" not in str(response)


@pytest.mark.parametrize("method_name", ["GetSharedRecord", "AcceptCheck"])
def test_a_trust_the_record_is_not_shared_with_is_refused_without_waiting_for_the_person_s_lock(
    registry: RegistryClient, a: TrustA, b_key: str, stack: PlrStack, method_name: str
) -> None:
    """Permission comes before the row lock: a caller without it never queues on (nor takes) a lock on
    a person it cannot see. Here another transaction holds the lock for the whole call."""
    call = getattr(checks_pb2_grpc.CheckServiceStub(registry.channel), method_name)
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as holder:
        holder.execute(sa.select(leaders.c.leader_id).where(leaders.c.leader_id == a.leader_id).with_for_update())
        with pytest.raises(grpc.RpcError) as refused:
            call(aimed_at(method_name, a), metadata=bearer(b_key), timeout=5)
    # B's own registration awaits the person: said so, as GetLeader says it
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION, refused.value.details()
