"""The hot read (GetLeader as a trust) is one statement: the prepared read of the leader, their
consents, the trust's affiliation and its own record of how it knows them, with the audit row of the
read inserted and committed in the same statement (ADR 0006). The row's fields are computed in SQL
from the view's own definitions; the view checks them, and writes its own row too if they ever
differ. Two trusts hold the same person and each knows them by another name: each sees its own."""

from __future__ import annotations

import uuid
from typing import Any

import grpc
import pytest
import sqlalchemy as sa
from plr.registry.v1 import leaders_pb2 as lpb

from services.common.db import scoped_transaction
from services.common.grpc_client import bearer
from services.common.tenancy import TenantScope
from services.registry.adapters.tables import audit_log
from services.registry.tests.integration.conftest import RegistryClient
from tests.support.infra import PlrStack

pytestmark = pytest.mark.integration

A, B, C = "RRTA", "RRTB", "RRTC"
TRUSTS = {"one statement": (A, B), "audit rows": ("RRTD", "RRTE", "RRTF")}


@pytest.fixture
def keys(registry: RegistryClient, request: pytest.FixtureRequest) -> dict[str, str]:
    """Each test its own trusts (a trust is onboarded once in a run): named A, B, C here."""
    made = TRUSTS["one statement" if "one_statement" in request.node.name else "audit rows"]
    return {name: registry.onboard(ods).initial_key.key for name, ods in zip((A, B, C), made, strict=False)}


def audit_rows(stack: PlrStack, leader_id: str, trust: str) -> list[list[str]]:
    ods = dict(zip((A, B, C), TRUSTS["audit rows"], strict=True))[trust]
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        query = sa.select(audit_log.c.fields).where(audit_log.c.leader_id == leader_id, audit_log.c.trust_ods == ods)
        return [list(f) for f in connection.execute(query.order_by(audit_log.c.entry_id)).scalars()]


def shown(answer: lpb.Leader) -> list[str]:
    """The profile fields the answer carries (as the view names them: availability always)."""
    profile = answer.profile
    return [
        name
        for name in (
            "given_name",
            "family_name",
            "email",
            "phone",
            "postcode",
            "skills",
            "interests",
            "lived_experience",
            "availability",
            "access_needs",
            "support_needs",
            "preferred_formats",
            "declarations_of_interest",
        )
        if name == "availability" or (getattr(profile, name) not in ("", []) and len(getattr(profile, name)) > 0)
    ]


def test_a_trust_s_leader_read_is_one_statement_with_its_audit_row_and_its_own_known_details(
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
            reads = [s for s in mine if "EXECUTE plr_audited_leader_read" in s]
            assert len(reads) == 1, mine
            assert not [s for s in mine if "INSERT INTO audit_log" in s or "FROM known_details" in s], mine
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)
    assert seen == {A: "Ada", B: "Adaline"}


def test_the_audit_row_written_with_the_read_names_what_the_view_shows_and_nothing_when_refused(
    registry: RegistryClient, keys: dict[str, str], stack: PlrStack
) -> None:
    address = f"audited-{uuid.uuid4().hex[:10]}@example.org"
    held = [registry.register(keys[ods], address, phone="01234 567890", postcode="LS1 4AP") for ods in (A, B)]
    leader_id = held[0].leader_id
    for affiliation in held:
        registry.confirm(affiliation)
    pending = registry.register(keys[C], address)  # C's registration, not confirmed
    me = registry.as_leader(leader_id)
    registry.consent(leader_id, "lived_experience_matching")
    version = registry.leaders.GetLeader(lpb.GetLeaderRequest(leader_id=leader_id), metadata=me, timeout=10).version
    registry.leaders.UpdateLeader(
        lpb.UpdateLeaderRequest(
            leader_id=leader_id,
            expected_version=version,
            profile=lpb.LeaderProfile(lived_experience=["cancer"]),
            fields=["lived_experience"],
        ),
        metadata=me,
        timeout=10,
    )
    expected: dict[str, list[list[str]]] = {A: [], B: [], C: []}

    def read(ods: str) -> None:
        answer = registry.leaders.GetLeader(lpb.GetLeaderRequest(leader_id=leader_id), metadata=bearer(keys[ods]))
        expected[ods].append(shown(answer))
        # one row per read (a second would mean the SQL and the view disagreed), naming what was shown
        assert audit_rows(stack, leader_id, ods) == expected[ods]

    # each state: contact consent to A only (B sees the district, no contact fields), lived experience
    # granted then withdrawn, A's consent withdrawn
    a_ods = TRUSTS["audit rows"][0]
    registry.consent(leader_id, "contact_by_trust", target=a_ods)
    read(A)
    read(B)
    assert "email" in expected[A][-1] and "lived_experience" in expected[A][-1]
    assert "email" not in expected[B][-1] and "postcode" in expected[B][-1]
    registry.consent(leader_id, "lived_experience_matching", grant=False)
    read(A)
    assert "lived_experience" not in expected[A][-1]
    registry.consent(leader_id, "contact_by_trust", target=a_ods, grant=False)
    read(A)
    assert "email" not in expected[A][-1]

    def refused(ods: str) -> grpc.StatusCode:
        with pytest.raises(grpc.RpcError) as caught:
            registry.leaders.GetLeader(lpb.GetLeaderRequest(leader_id=leader_id), metadata=bearer(keys[ods]))
        return caught.value.code()

    assert refused(C) == grpc.StatusCode.FAILED_PRECONDITION and pending.status == "pending"
    registry.leaders.EndAffiliation(
        lpb.EndAffiliationRequest(leader_id=leader_id, reason="moved_away"), metadata=bearer(keys[B]), timeout=10
    )
    assert refused(B) == grpc.StatusCode.NOT_FOUND
    registry.leaders.WithdrawLeader(lpb.WithdrawLeaderRequest(leader_id=leader_id), metadata=me, timeout=10)
    assert refused(A) == grpc.StatusCode.NOT_FOUND
    # a refused read shows nothing and records nothing
    assert [audit_rows(stack, leader_id, ods) for ods in (A, B, C)] == [expected[A], expected[B], []]
