"""The hot read (GetLeader as a trust) is two statements: the prepared read of the leader, their
consents, the trust's affiliation and its own record of how it knows them, then the audit insert with
its commit. Two trusts hold the same person and each knows them by another name: each sees its own,
and the joined read never shows one trust's record to the other."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from plr.registry.v1 import leaders_pb2 as lpb

from services.common.grpc_client import bearer
from services.registry.tests.integration.conftest import RegistryClient

pytestmark = pytest.mark.integration

A, B = "RRTA", "RRTB"


@pytest.fixture
def keys(registry: RegistryClient) -> dict[str, str]:
    return {ods: registry.onboard(ods).initial_key.key for ods in (A, B)}


def test_a_trust_s_leader_read_is_one_read_and_one_audit_insert_with_its_own_known_details(
    registry: RegistryClient, keys: dict[str, str]
) -> None:
    address = f"round-trips-{uuid.uuid4().hex[:10]}@example.org"
    first = registry.register(keys[A], address, given="Ada")
    second = registry.register(keys[B], address, given="Adaline")
    assert first.leader_id == second.leader_id  # the same person, held by both
    for affiliation in (first, second):
        registry.confirm(affiliation)
    sent: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement)

    request = lpb.GetLeaderRequest(leader_id=first.leader_id)
    seen: dict[str, str] = {}
    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        for ods in (A, B, A):
            sent.clear()
            answer = registry.leaders.GetLeader(request, metadata=bearer(keys[ods]), timeout=10)
            seen[ods] = answer.known_as.given_name
            mine = [s for s in sent if "PREPARE" not in s]  # a connection prepares the read once
            reads = [s for s in mine if "EXECUTE plr_leader_with_affiliation" in s]
            audits = [s for s in mine if "INSERT INTO audit_log" in s]
            assert len(reads) == 1 and len(audits) == 1, mine
            assert not [s for s in mine if "FROM known_details" in s], mine  # no query of its own
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)
    assert seen == {A: "Ada", B: "Adaline"}
