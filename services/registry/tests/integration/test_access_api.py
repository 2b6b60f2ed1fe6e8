"""Who may call what, through the real gRPC API: a trust key does only what its scopes allow (each
method's `plr.options.v1.required_scope`, read from the descriptors, so a method added later is
covered); the portal's credential acts for a signed-in leader or member of staff, only on the methods
of its allow-list, and never as itself; the old all-powerful service credential is gone."""

from __future__ import annotations

import uuid

import grpc
import pytest
import sqlalchemy as sa
from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor
from plr.registry.v1 import checks_pb2 as cpb
from plr.registry.v1 import (
    checks_pb2_grpc,
    demo_pb2,
    development_pb2,
    imports_pb2,
    leaders_pb2,
    networks_pb2,
    registry_pb2,
    staff_pb2,
)
from plr.registry.v1 import leaders_pb2 as lpb
from plr.registry.v1 import registry_pb2 as pb

from services.common.authorization import full_method_name, required_scope
from services.common.db import scoped_transaction
from services.common.grpc_client import bearer
from services.common.tenancy import TenantScope
from services.registry.adapters.tables import checks
from services.registry.manifest import PORTAL_METHODS
from services.registry.tests.integration.conftest import RegistryClient
from tests.support.infra import PlrStack

pytestmark = pytest.mark.integration

SERVICES = [
    module.DESCRIPTOR.services_by_name[name]
    for module, name in (
        (registry_pb2, "RegistryService"),
        (leaders_pb2, "LeaderService"),
        (imports_pb2, "ImportService"),
        (development_pb2, "DevelopmentService"),
        (cpb, "CheckService"),
        (staff_pb2, "StaffService"),
        (demo_pb2, "DemoService"),
        (networks_pb2, "NetworkService"),
        (networks_pb2, "InvitationService"),
    )
]
METHODS = {full_method_name(m): m for s in SERVICES for m in s.methods}


def raw(registry: RegistryClient, method: MethodDescriptor, metadata: object) -> tuple[grpc.StatusCode, str]:
    """Calls the method with an empty request: a refusal by scope comes before the request is read."""
    call = registry.channel.unary_unary(
        f"/{full_method_name(method)}",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=None,
    )
    try:
        call(message_factory.GetMessageClass(method.input_type)(), metadata=metadata, timeout=10)
    except grpc.RpcError as error:
        return error.code(), error.details() or ""
    return grpc.StatusCode.OK, ""


def refused(call, *args, **kwargs) -> grpc.RpcError:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as error:
        call(*args, timeout=10, **kwargs)
    return error.value


def issue(registry: RegistryClient, ods: str, *scopes: str) -> str:
    key = registry.stub.IssueTrustKey(
        pb.IssueTrustKeyRequest(ods=ods, scopes=list(scopes)), metadata=registry.as_admin(), timeout=10
    ).key
    assert list(key.scopes) == sorted(scopes or ("read", "people", "checks"))
    return str(key.key)


@pytest.fixture(scope="module")
def rac(registry: RegistryClient) -> dict[str, str]:
    """Trust RAC, its first key (the default scopes) and a leader actively affiliated with it."""
    key = registry.onboard("RAC").initial_key.key
    affiliation = registry.register(key, f"access-{uuid.uuid4().hex[:8]}@example.org")
    registry.confirm(affiliation)
    return {"key": key, "leader_id": affiliation.leader_id}


def test_every_method_declares_a_scope_and_the_portal_s_allow_list_names_real_methods() -> None:
    assert {required_scope(m) for m in METHODS.values()} == {"read", "people", "checks", "staff", "administration"}
    assert set(PORTAL_METHODS) <= set(METHODS)
    administration = {n for n, m in METHODS.items() if required_scope(m) == "administration"}
    assert not administration & set(PORTAL_METHODS)  # the portal never does the administrator's work


@pytest.mark.parametrize("name", sorted(METHODS))
def test_a_read_only_key_calls_only_read_methods(registry: RegistryClient, rac: dict[str, str], name: str) -> None:
    read_only = issue(registry, "RAC", "read")
    code, details = raw(registry, METHODS[name], bearer(read_only))
    if required_scope(METHODS[name]) == "read":
        assert "requires the scope" not in details, (name, details)
    else:
        assert code == grpc.StatusCode.PERMISSION_DENIED, (name, code, details)


def test_a_read_only_key_cannot_write_and_changes_nothing(registry: RegistryClient, rac: dict[str, str]) -> None:
    read_only = issue(registry, "RAC", "read")
    leader = registry.leaders.GetLeader(
        lpb.GetLeaderRequest(leader_id=rac["leader_id"]), metadata=bearer(read_only), timeout=10
    )
    for call, request in (
        (registry.leaders.RegisterLeader, lpb.RegisterLeaderRequest(profile=lpb.LeaderProfile(given_name="A"))),
        (registry.leaders.EndAffiliation, lpb.EndAffiliationRequest(leader_id=rac["leader_id"], reason="x")),
        (registry.leaders.PauseLeader, lpb.PauseLeaderRequest(leader_id=rac["leader_id"])),
        (registry.leaders.AddTerm, lpb.AddTermRequest(kind="skill", code="x", label="X")),
    ):
        error = refused(call, request, metadata=bearer(read_only))
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED
        assert "requires the scope 'people'" in (error.details() or "")
    after = registry.leaders.GetLeader(
        lpb.GetLeaderRequest(leader_id=rac["leader_id"]), metadata=bearer(rac["key"]), timeout=10
    )
    assert (after.status, after.version) == (leader.status, leader.version)


def test_a_key_without_the_checks_scope_cannot_record_a_check(
    registry: RegistryClient, rac: dict[str, str], stack: PlrStack
) -> None:
    people = issue(registry, "RAC", "read", "people")
    stub = checks_pb2_grpc.CheckServiceStub(registry.channel)
    request = cpb.RecordCheckRequest(leader_id=rac["leader_id"], check_type="identity", evidence="passport seen")
    for key in (people, issue(registry, "RAC", "read", "dbs-details")):
        error = refused(stub.RecordCheck, request, metadata=bearer(key))
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED and "'checks'" in (error.details() or "")
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        recorded = connection.execute(sa.select(checks.c.check_id).where(checks.c.leader_id == rac["leader_id"]))
        assert recorded.all() == []
    # the same key still does what its scopes allow, and a key with `checks` records it
    question = cpb.MayPlaceRequest(
        leader_id=rac["leader_id"], requirements=[cpb.CheckRequirement(check_type="identity")]
    )
    assert not stub.MayPlace(question, metadata=bearer(people), timeout=10).allowed
    assert stub.RecordCheck(request, metadata=bearer(rac["key"]), timeout=10).check_type == "identity"


def test_a_key_s_scopes_are_chosen_when_it_is_issued_and_listed_with_it(
    registry: RegistryClient, rac: dict[str, str]
) -> None:
    made = registry.onboard("RAD", key_scopes=("read",))
    assert list(made.initial_key.scopes) == ["read"]
    listed = registry.stub.ListTrustKeys(pb.ListTrustKeysRequest(ods="RAC"), metadata=registry.as_admin(), timeout=10)
    first = next(k for k in listed.keys if rac["key"].startswith(k.key_id))
    assert list(first.scopes) == ["checks", "people", "read"]  # the default
    for request, field in (
        (pb.IssueTrustKeyRequest(ods="RAC", scopes=["write"]), "scopes"),
        (pb.IssueTrustKeyRequest(ods="RAC", scopes=["read", "read"]), "scopes"),
        (pb.IssueTrustKeyRequest(ods="RAC", scopes=["staff"]), "scopes"),  # no key manages staff
        (pb.CreateTrustRequest(ods="RAE", name="Trust E", key_scopes=["administration"]), "key_scopes"),
    ):
        call = (
            registry.stub.IssueTrustKey if isinstance(request, pb.IssueTrustKeyRequest) else registry.stub.CreateTrust
        )
        error = refused(call, request, metadata=registry.as_admin())
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and field in (error.details() or "")
    after = registry.stub.ListTrustKeys(pb.ListTrustKeysRequest(ods="RAC"), metadata=registry.as_admin(), timeout=10)
    assert len(after.keys) == len(listed.keys)
    assert refused(registry.stub.GetTrust, pb.GetTrustRequest(ods="RAE"), metadata=registry.as_admin()).code() == (
        grpc.StatusCode.NOT_FOUND
    )


def test_the_portal_acts_for_a_leader_but_never_as_itself_nor_outside_its_allow_list(
    registry: RegistryClient, rac: dict[str, str]
) -> None:
    leader_id = rac["leader_id"]
    own = registry.leaders.GetLeader(lpb.GetLeaderRequest(leader_id=leader_id), metadata=registry.as_leader(leader_id))
    assert own.leader_id == leader_id
    portal_alone = bearer(registry.portal_token)
    error = refused(registry.leaders.GetLeader, lpb.GetLeaderRequest(leader_id=leader_id), metadata=portal_alone)
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    trust_admin = registry.add_staff("RAC", "trust_admin").staff_id
    outside = [n for n in METHODS if n not in PORTAL_METHODS]
    assert outside and {
        "plr.registry.v1.ImportService/ImportLeaders",
        "plr.registry.v1.RegistryService/CreateTrust",
    } <= set(outside)
    for name in outside:
        for metadata in (registry.as_leader(leader_id), registry.as_staff(trust_admin), portal_alone):
            assert raw(registry, METHODS[name], metadata)[0] == grpc.StatusCode.PERMISSION_DENIED, name


def test_the_old_service_credential_is_gone(registry: RegistryClient, stack: PlrStack, rac: dict[str, str]) -> None:
    assert "PLR_SERVICE_TOKEN" not in stack.env
    # only the portal's credential may act for a leader: not a trust key, not the administrator's token
    for credential in (rac["key"], registry.admin_token):
        error = refused(
            registry.leaders.GetLeader,
            lpb.GetLeaderRequest(leader_id=rac["leader_id"]),
            metadata=(*bearer(credential), ("x-plr-leader", rac["leader_id"])),
        )
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED
