"""``plr staff add|list|remove`` and ``plr trust key issue|rotate --scope``, as the administrator."""

from __future__ import annotations

import json
import subprocess

import pytest
from plr.registry.v1 import registry_pb2 as pb
from plr.registry.v1 import staff_pb2 as spb

from services.registry.tests.integration.conftest import RegistryClient
from tests.support.infra import PlrStack

pytestmark = pytest.mark.integration


def plr(stack: PlrStack, target: str, *args: str) -> subprocess.CompletedProcess[str]:
    stack.env["PLR_REGISTRY_API_TARGET"] = target  # the api served in-process for this session
    return stack.plr(*args)


def test_staff_are_added_listed_and_removed(registry: RegistryClient, registry_target: str, stack: PlrStack) -> None:
    registry.onboard("SCL1")
    added = plr(
        stack,
        registry_target,
        "staff",
        "add",
        "--trust",
        "SCL1",
        "--name",
        "Pat Lee",
        "--role",
        "recruiter",
        "--role",
        "facilitator",
        "--json",
    )
    assert added.returncode == 0, added.stderr
    member = json.loads(added.stdout)
    assert (member["trust_ods"], member["roles"], member["status"]) == ("SCL1", ["facilitator", "recruiter"], "active")
    listed = plr(stack, registry_target, "staff", "list", "--trust", "SCL1")
    assert listed.returncode == 0 and member["staff_id"] in listed.stdout and "Pat Lee" in listed.stdout
    removed = plr(stack, registry_target, "staff", "remove", "--trust", "SCL1", member["staff_id"])
    assert removed.returncode == 0 and "left" in removed.stdout
    bad = plr(stack, registry_target, "staff", "add", "--trust", "SCL1", "--name", "X", "--role", "nurse")
    assert bad.returncode == 2 and "roles" in bad.stderr
    staff = registry.staff.ListStaff(spb.ListStaffRequest(trust_ods="SCL1"), metadata=registry.as_admin(), timeout=10)
    assert [(m.name, m.status) for m in staff.staff] == [("Pat Lee", "left")]


def test_a_key_is_issued_with_its_scopes_and_a_rotation_keeps_them(
    registry: RegistryClient, registry_target: str, stack: PlrStack
) -> None:
    registry.onboard("SCL2", key_scopes=("read", "dbs-details"))
    issued = plr(stack, registry_target, "trust", "key", "issue", "SCL2", "--scope", "read", "--json")
    assert issued.returncode == 0, issued.stderr
    assert json.loads(issued.stdout)["scopes"] == ["read"]
    mixed = plr(stack, registry_target, "trust", "key", "rotate", "SCL2", "--yes")
    assert mixed.returncode == 2 and "--scope" in mixed.stderr  # the old keys disagree: say which
    rotated = plr(stack, registry_target, "trust", "key", "rotate", "SCL2", "--scope", "read,dbs-details", "--yes")
    assert rotated.returncode == 0, rotated.stderr
    assert "(dbs-details, read)" in rotated.stdout
    again = plr(stack, registry_target, "trust", "key", "rotate", "SCL2", "--yes")  # one key left: its scopes
    assert again.returncode == 0 and "(dbs-details, read)" in again.stdout
    keys = registry.stub.ListTrustKeys(pb.ListTrustKeysRequest(ods="SCL2"), metadata=registry.as_admin(), timeout=10)
    valid = [list(k.scopes) for k in keys.keys if not k.HasField("revoked_at")]
    assert valid == [["dbs-details", "read"]]
    unknown = plr(stack, registry_target, "trust", "key", "issue", "SCL2", "--scope", "everything")
    assert unknown.returncode == 2 and "scopes" in unknown.stderr
