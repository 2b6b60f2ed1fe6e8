"""The staff directory through gRPC: the administrator and a trust's own trust admin manage its staff,
with events; a member of staff acts only through the portal, with the trust and roles the directory
holds; a trust's key never manages staff; one trust's admin neither sees nor changes another's."""

from __future__ import annotations

import json
import uuid

import grpc
import pytest
import sqlalchemy as sa
from plr.registry.v1 import leaders_pb2 as lpb
from plr.registry.v1 import registry_pb2 as pb
from plr.registry.v1 import staff_pb2 as spb

from services.common.db import scoped_transaction
from services.common.grpc_client import bearer
from services.common.platform_tables import outbox
from services.common.tenancy import TenantScope
from services.registry.tests.integration.conftest import RegistryClient
from tests.support.infra import PlrStack

pytestmark = pytest.mark.integration


def refused(call, *args, **kwargs) -> grpc.RpcError:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as error:
        call(*args, timeout=10, **kwargs)
    return error.value


def events_of(stack: PlrStack, staff_id: str) -> list[tuple[str, dict[str, object]]]:
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        rows = connection.execute(
            sa.select(outbox.c.event_type, outbox.c.payload, outbox.c.trust_ods)
            .where(outbox.c.aggregate_type == "staff", outbox.c.aggregate_id == staff_id)
            .order_by(outbox.c.id)
        ).all()
    return [(r.event_type, {**json.loads(r.payload)["data"], "trustods": r.trust_ods}) for r in rows]


@pytest.fixture(scope="module")
def keys(registry: RegistryClient) -> dict[str, str]:
    return {ods: registry.onboard(ods).initial_key.key for ods in ("RSFA", "RSFB")}


def test_the_administrator_adds_lists_and_removes_staff_with_events(
    registry: RegistryClient, keys: dict[str, str], stack: PlrStack
) -> None:
    added = registry.add_staff("RSFA", "recruiter", "facilitator", name="Pat Recruiter")
    assert (added.trust_ods, added.name, list(added.roles), added.status) == (
        "RSFA",
        "Pat Recruiter",
        ["facilitator", "recruiter"],
        "active",
    )
    listed = registry.staff.ListStaff(spb.ListStaffRequest(trust_ods="RSFA"), metadata=registry.as_admin(), timeout=10)
    assert added.staff_id in [m.staff_id for m in listed.staff]
    # the member of staff acts through the portal, as their trust
    own = registry.stub.GetTrust(pb.GetTrustRequest(), metadata=registry.as_staff(added.staff_id), timeout=10)
    assert own.ods == "RSFA"
    left = registry.staff.RemoveStaff(
        spb.RemoveStaffRequest(trust_ods="RSFA", staff_id=added.staff_id), metadata=registry.as_admin(), timeout=10
    )
    assert left.status == "left"
    again = registry.staff.RemoveStaff(
        spb.RemoveStaffRequest(trust_ods="RSFA", staff_id=added.staff_id), metadata=registry.as_admin(), timeout=10
    )
    assert (again.status, again.version) == ("left", left.version)  # a no-op
    gone = refused(registry.stub.GetTrust, pb.GetTrustRequest(), metadata=registry.as_staff(added.staff_id))
    assert gone.code() == grpc.StatusCode.UNAUTHENTICATED
    assert events_of(stack, added.staff_id) == [
        (
            "plr.registry.staff.added.v1",
            {"staff_id": added.staff_id, "ods": "RSFA", "roles": ["facilitator", "recruiter"], "trustods": "RSFA"},
        ),
        ("plr.registry.staff.left.v1", {"staff_id": added.staff_id, "ods": "RSFA", "trustods": "RSFA"}),
    ]
    assert "Pat Recruiter" not in str(events_of(stack, added.staff_id))  # thin: never the name


def test_a_trust_admin_manages_only_their_own_trust_s_staff(registry: RegistryClient, keys: dict[str, str]) -> None:
    admin_a = registry.add_staff("RSFA", "trust_admin").staff_id
    b_member = registry.add_staff("RSFB", "facilitator").staff_id
    as_admin_a = registry.as_staff(admin_a)
    made = registry.staff.AddStaff(
        spb.AddStaffRequest(name="New Facilitator", roles=["facilitator"]), metadata=as_admin_a, timeout=10
    )
    assert made.trust_ods == "RSFA"
    listed = registry.staff.ListStaff(spb.ListStaffRequest(), metadata=as_admin_a, timeout=10).staff
    assert {m.trust_ods for m in listed} == {"RSFA"} and b_member not in str(listed)
    for call, request in (
        (registry.staff.AddStaff, spb.AddStaffRequest(trust_ods="RSFB", name="Mallory", roles=["trust_admin"])),
        (registry.staff.ListStaff, spb.ListStaffRequest(trust_ods="RSFB")),
        (registry.staff.RemoveStaff, spb.RemoveStaffRequest(trust_ods="RSFB", staff_id=b_member)),
        (registry.staff.RemoveStaff, spb.RemoveStaffRequest(staff_id=admin_a)),  # not themselves
    ):
        assert refused(call, request, metadata=as_admin_a).code() == grpc.StatusCode.PERMISSION_DENIED
    # another trust's member of staff, named as if it were their own, is unknown there
    nobody = str(uuid.uuid4())
    answers = [
        refused(registry.staff.RemoveStaff, spb.RemoveStaffRequest(staff_id=staff_id), metadata=as_admin_a)
        for staff_id in (b_member, nobody)
    ]
    assert [(e.code(), (e.details() or "").replace(b_member, "?").replace(nobody, "?")) for e in answers] == [
        (grpc.StatusCode.NOT_FOUND, "no member of staff ? at RSFA")
    ] * 2
    b_staff = registry.staff.ListStaff(spb.ListStaffRequest(trust_ods="RSFB"), metadata=registry.as_admin(), timeout=10)
    assert [(m.staff_id, m.status) for m in b_staff.staff] == [(b_member, "active")]


def test_no_trust_key_and_no_other_role_manages_staff(registry: RegistryClient, keys: dict[str, str]) -> None:
    every_key_scope = registry.stub.IssueTrustKey(
        pb.IssueTrustKeyRequest(ods="RSFA", scopes=["read", "people", "checks", "dbs-details"]),
        metadata=registry.as_admin(),
        timeout=10,
    ).key.key
    recruiter = registry.add_staff("RSFA", "recruiter", "facilitator", "finance").staff_id
    for metadata in (bearer(keys["RSFA"]), bearer(every_key_scope), registry.as_staff(recruiter)):
        for call, request in (
            (registry.staff.AddStaff, spb.AddStaffRequest(trust_ods="RSFA", name="Mallory", roles=["trust_admin"])),
            (registry.staff.ListStaff, spb.ListStaffRequest(trust_ods="RSFA")),
        ):
            error = refused(call, request, metadata=metadata)
            assert error.code() == grpc.StatusCode.PERMISSION_DENIED and "staff" in (error.details() or "")
    listed = registry.staff.ListStaff(spb.ListStaffRequest(trust_ods="RSFA"), metadata=registry.as_admin(), timeout=10)
    assert "Mallory" not in str(listed)


def test_only_the_portal_asserts_a_staff_id(registry: RegistryClient, keys: dict[str, str]) -> None:
    admin_a = registry.add_staff("RSFA", "trust_admin").staff_id
    for credential in (keys["RSFA"], keys["RSFB"], registry.admin_token):
        error = refused(
            registry.staff.ListStaff,
            spb.ListStaffRequest(),
            metadata=(*bearer(credential), ("x-plr-staff-id", admin_a)),
        )
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    for staff_id in (str(uuid.uuid4()), "not-an-id"):
        error = refused(registry.stub.GetTrust, pb.GetTrustRequest(), metadata=registry.as_staff(staff_id))
        assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    both = (*registry.as_staff(admin_a), ("x-plr-leader", str(uuid.uuid4())))
    assert (
        refused(registry.stub.GetTrust, pb.GetTrustRequest(), metadata=both).code() == grpc.StatusCode.UNAUTHENTICATED
    )


def test_a_suspended_trust_s_staff_cannot_act(registry: RegistryClient) -> None:
    registry.onboard("RSFS")
    member = registry.add_staff("RSFS", "trust_admin").staff_id
    registry.stub.SuspendTrust(pb.SuspendTrustRequest(ods="RSFS"), metadata=registry.as_admin(), timeout=10)
    error = refused(registry.staff.ListStaff, spb.ListStaffRequest(), metadata=registry.as_staff(member))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED and "suspended" in (error.details() or "")
    registry.stub.ResumeTrust(pb.ResumeTrustRequest(ods="RSFS"), metadata=registry.as_admin(), timeout=10)
    assert registry.staff.ListStaff(spb.ListStaffRequest(), metadata=registry.as_staff(member), timeout=10).staff


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (spb.AddStaffRequest(trust_ods="RSFA", name="Sam", roles=["nurse"]), "roles"),
        (spb.AddStaffRequest(trust_ods="RSFA", name="Sam", roles=[]), "roles"),
        (spb.AddStaffRequest(trust_ods="RSFA", name="Sam", roles=["finance", "finance"]), "roles"),
        (spb.AddStaffRequest(trust_ods="RSFA", name=" ", roles=["finance"]), "name"),
        (spb.AddStaffRequest(trust_ods="RSFA", name="Sam\x00", roles=["finance"]), "name"),
        (spb.AddStaffRequest(trust_ods="rsa", name="Sam", roles=["finance"]), "trust_ods"),
        (spb.AddStaffRequest(name="Sam", roles=["finance"]), "trust_ods"),  # the administrator names it
    ],
)
def test_bad_input_is_invalid_argument_naming_the_field_and_adds_no_one(
    registry: RegistryClient, keys: dict[str, str], request_: spb.AddStaffRequest, field: str
) -> None:
    before = registry.staff.ListStaff(spb.ListStaffRequest(trust_ods="RSFA"), metadata=registry.as_admin(), timeout=10)
    error = refused(registry.staff.AddStaff, request_, metadata=registry.as_admin())
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and field in (error.details() or "")
    after = registry.staff.ListStaff(spb.ListStaffRequest(trust_ods="RSFA"), metadata=registry.as_admin(), timeout=10)
    assert after == before


def test_a_member_of_staff_s_call_is_audited_by_their_staff_id(registry: RegistryClient, keys: dict[str, str]) -> None:
    member = registry.add_staff("RSFA", "facilitator").staff_id
    affiliation = registry.register(keys["RSFA"], f"staff-audit-{uuid.uuid4().hex[:8]}@example.org")
    registry.confirm(affiliation)
    registry.leaders.GetLeader(
        lpb.GetLeaderRequest(leader_id=affiliation.leader_id), metadata=registry.as_staff(member), timeout=10
    )
    entries = registry.leaders.ListAuditEntries(
        lpb.ListAuditEntriesRequest(leader_id=affiliation.leader_id), metadata=bearer(keys["RSFA"]), timeout=10
    ).entries
    assert [e.method for e in entries if e.principal == f"RSFA/staff:{member}"] == ["GetLeader"]
