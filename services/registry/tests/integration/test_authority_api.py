"""Who decides what about a person held by two trusts, through the gRPC API on real PostgreSQL: the
person decides for the person (a trust only on their behalf, with evidence, and the person is told), a
trust decides for its own relationship, withdrawal ends every relationship, and MayPlace answers the
person's standing. No answer a trust gets differs by whether another trust holds the person."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import grpc
import pytest
import sqlalchemy as sa
from plr.registry.v1 import checks_pb2 as cpb
from plr.registry.v1 import checks_pb2_grpc, development_pb2_grpc
from plr.registry.v1 import development_pb2 as dpb
from plr.registry.v1 import leaders_pb2 as lpb

from services.common.db import scoped_transaction
from services.common.grpc_client import bearer
from services.common.platform_tables import outbox
from services.common.tenancy import TenantScope
from services.registry.adapters.tables import changes_on_behalf
from services.registry.adapters.unit_of_work import SqlUnitOfWork
from services.registry.service_layer.leaders import resume_due_leaders
from services.registry.tests.integration.conftest import RegistryClient
from tests.support.infra import PlrStack

pytestmark = pytest.mark.integration

X, Y, Z = "RAUX", "RAUY", "RAUZ"
ASKED = lpb.OnBehalf(staff="Sam at reception", how_asked="by phone, identity checked")


@pytest.fixture(scope="module")
def keys(registry: RegistryClient) -> dict[str, str]:
    return {ods: registry.onboard(ods).initial_key.key for ods in (X, Y, Z)}


def email() -> str:
    return f"authority-{uuid.uuid4().hex[:10]}@example.org"


def held(registry: RegistryClient, keys: dict[str, str], *trusts: str) -> str:
    """A person registered by each trust named and confirmed by them: their id."""
    address = email()
    affiliations = [registry.register(keys[trust], address) for trust in trusts]
    for affiliation in affiliations:
        registry.confirm(affiliation)
    return affiliations[0].leader_id


def as_person(registry: RegistryClient, leader_id: str) -> lpb.Leader:
    return registry.leaders.GetLeader(
        lpb.GetLeaderRequest(leader_id=leader_id), metadata=registry.as_leader(leader_id), timeout=10
    )


def affiliation_of(registry: RegistryClient, key: str, leader_id: str) -> lpb.Affiliation:
    page = registry.leaders.ListAffiliations(
        lpb.ListAffiliationsRequest(page_size=500), metadata=bearer(key), timeout=10
    )
    [found] = [a for a in page.affiliations if a.leader_id == leader_id]
    return found


def answer(call: Callable[..., Any], request: Any, key: str) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as refused:
        call(request, metadata=bearer(key), timeout=10)
    return refused.value.code(), refused.value.details()


def person_level_writes(registry: RegistryClient, leader_id: str, version: int) -> dict[str, tuple[Any, Any]]:
    """Every person-level write method, as a trust would call it for the person (no on_behalf)."""
    api = registry.leaders
    consent = {"leader_id": leader_id, "grant": True, "wording_version": "2026-11", "evidence": "form 12"}
    return {
        "UpdateLeader": (
            api.UpdateLeader,
            lpb.UpdateLeaderRequest(
                leader_id=leader_id, expected_version=version, profile=lpb.LeaderProfile(skills=[]), fields=["skills"]
            ),
        ),
        "PauseLeader": (api.PauseLeader, lpb.PauseLeaderRequest(leader_id=leader_id, until="2099-01-31")),
        "ResumeLeader": (api.ResumeLeader, lpb.ResumeLeaderRequest(leader_id=leader_id)),
        "WithdrawLeader": (api.WithdrawLeader, lpb.WithdrawLeaderRequest(leader_id=leader_id, reason="asked")),
        "RecordConsent lived_experience_matching": (
            api.RecordConsent,
            lpb.RecordConsentRequest(purpose="lived_experience_matching", **consent),
        ),
        "RecordConsent share_profile_with_network": (
            api.RecordConsent,
            lpb.RecordConsentRequest(purpose="share_profile_with_network", target="ics-north", **consent),
        ),
        "SubmitEqualityMonitoring": (api.SubmitEqualityMonitoring, lpb.SubmitEqualityMonitoringRequest(carer="no")),
        "EraseLeader": (api.EraseLeader, lpb.EraseLeaderRequest(leader_id=leader_id, reason="asked")),
    }


def test_no_trust_changes_the_person_and_the_answer_is_the_same_whoever_else_holds_them(
    registry: RegistryClient, keys: dict[str, str]
) -> None:
    shared = held(registry, keys, X, Y)
    alone = held(registry, keys, X)
    registry.leaders.PauseLeader(  # the person's own pause, which a trust's ResumeLeader must not undo
        lpb.PauseLeaderRequest(leader_id=shared, until="2099-01-31"), metadata=registry.as_leader(shared), timeout=10
    )
    before, y_before = as_person(registry, shared), affiliation_of(registry, keys[Y], shared)
    for name, (call, request) in person_level_writes(registry, shared, before.version).items():
        _, lone_request = person_level_writes(registry, alone, as_person(registry, alone).version)[name]
        seen = answer(call, request, keys[X])
        assert seen[0] == grpc.StatusCode.PERMISSION_DENIED, (name, seen)
        assert answer(call, lone_request, keys[X]) == seen, name
        assert answer(call, request, keys[Z]) == seen, name  # a trust that does not hold them at all
    after = as_person(registry, shared)
    assert (after.version, after.status, after.paused_until, after.profile) == (
        before.version,
        "paused",
        "2099-01-31",
        before.profile,
    )
    assert list(after.consents) == list(before.consents)
    assert affiliation_of(registry, keys[Y], shared) == y_before


def test_on_behalf_is_only_for_a_person_the_trust_holds_and_answers_alike_for_anyone_it_does_not(
    registry: RegistryClient, keys: dict[str, str]
) -> None:
    by_y = held(registry, keys, Y)
    nobody = str(uuid.uuid4())
    for leader_id in (by_y, nobody):
        code, _ = answer(
            registry.leaders.PauseLeader, lpb.PauseLeaderRequest(leader_id=leader_id, on_behalf=ASKED), keys[X]
        )
        assert code == grpc.StatusCode.NOT_FOUND
    assert as_person(registry, by_y).status == "active"
    no_how = lpb.PauseLeaderRequest(leader_id=by_y, on_behalf=lpb.OnBehalf(staff="Sam"))
    code, details = answer(registry.leaders.PauseLeader, no_how, keys[Y])
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "on_behalf.how_asked" in details


def outbox_rows(stack: PlrStack, aggregate_id: str, event_type: str) -> list[Any]:
    """The CloudEvents committed for the aggregate, of the type."""
    query = sa.select(outbox.c.payload).where(outbox.c.aggregate_id == aggregate_id, outbox.c.event_type == event_type)
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        return [json.loads(payload) for payload in connection.execute(query).scalars()]


def test_staff_change_the_person_on_their_behalf_with_evidence_kept_and_the_person_told(
    registry: RegistryClient, keys: dict[str, str], stack: PlrStack
) -> None:
    leader_id = held(registry, keys, X, Y)
    paused = registry.leaders.PauseLeader(
        lpb.PauseLeaderRequest(leader_id=leader_id, until="2099-03-01", on_behalf=ASKED),
        metadata=bearer(keys[X]),
        timeout=10,
    )
    assert paused.status == "paused" and as_person(registry, leader_id).status == "paused"
    [told] = outbox_rows(stack, leader_id, "plr.registry.leader.changed_on_behalf.v1")
    assert told["trustods"] == X
    assert told["data"]["fields"] == ["status", "paused_until"] and "Sam" not in str(told)

    def evidence(scope: TenantScope) -> list[str]:
        with scoped_transaction(stack.engine("registry"), scope) as connection:
            query = sa.select(changes_on_behalf.c.how_asked).where(changes_on_behalf.c.leader_id == leader_id)
            return list(connection.execute(query).scalars())

    assert evidence(TenantScope.trust(X)) == [ASKED.how_asked] == evidence(TenantScope.leader(leader_id))
    assert evidence(TenantScope.trust(Y)) == []  # the other trust learns nothing of it
    # the person reverses it themselves
    resumed = registry.leaders.ResumeLeader(
        lpb.ResumeLeaderRequest(leader_id=leader_id), metadata=registry.as_leader(leader_id), timeout=10
    )
    assert resumed.status == "active"


def check_stub(registry: RegistryClient) -> checks_pb2_grpc.CheckServiceStub:
    return checks_pb2_grpc.CheckServiceStub(registry.channel)


def may_place(registry: RegistryClient, key: str, leader_id: str) -> cpb.MayPlaceResponse:
    """May the trust place the person where an identity check is required?"""
    question = cpb.MayPlaceRequest(leader_id=leader_id, requirements=[cpb.CheckRequirement(check_type="identity")])
    return check_stub(registry).MayPlace(question, metadata=bearer(key), timeout=10)


def checked(registry: RegistryClient, keys: dict[str, str], leader_id: str, *trusts: str) -> None:
    """Each trust named verifies the person's identity (so only their standing can refuse a placement)."""
    for trust in trusts:
        check_stub(registry).RecordCheck(
            cpb.RecordCheckRequest(leader_id=leader_id, check_type="identity", evidence="passport seen"),
            metadata=bearer(keys[trust]),
            timeout=10,
        )


def test_a_trust_pauses_and_resumes_its_own_relationship_and_nobody_else_s(
    registry: RegistryClient, keys: dict[str, str], stack: PlrStack
) -> None:
    leader_id = held(registry, keys, X, Y)
    checked(registry, keys, leader_id, X, Y)
    before = as_person(registry, leader_id)
    paused = registry.leaders.PauseAffiliation(
        lpb.PauseAffiliationRequest(leader_id=leader_id, until="2099-02-01", reason="ward closed"),
        metadata=bearer(keys[X]),
        timeout=10,
    )
    assert (paused.status, paused.paused, paused.paused_until) == ("active", True, "2099-02-01")
    after = as_person(registry, leader_id)
    assert (after.version, after.status) == (before.version, "active")
    assert not affiliation_of(registry, keys[Y], leader_id).paused
    exported = registry.leaders.ExportLeaderData(
        lpb.ExportLeaderDataRequest(leader_id=leader_id), metadata=bearer(keys[X]), timeout=10
    )
    [mine] = json.loads(exported.document)["affiliations"]
    assert (mine["trust_ods"], mine["paused_until"]) == (X, "2099-02-01")
    refusal = may_place(registry, keys[X], leader_id)
    assert not refusal.allowed and [(r.check_type, r.problem) for r in refusal.reasons] == [("", "affiliation_paused")]
    assert may_place(registry, keys[Y], leader_id).allowed
    registry.leaders.ResumeAffiliation(
        lpb.ResumeAffiliationRequest(leader_id=leader_id), metadata=bearer(keys[X]), timeout=10
    )
    assert may_place(registry, keys[X], leader_id).allowed
    for name in ("affiliation_paused", "affiliation_resumed"):
        [event] = outbox_rows(stack, paused.affiliation_id, f"plr.registry.leader.{name}.v1")
        assert event["trustods"] == X and event["data"]["ods"] == X
    code, _ = answer(registry.leaders.PauseAffiliation, lpb.PauseAffiliationRequest(leader_id=leader_id), keys[Z])
    assert code == grpc.StatusCode.NOT_FOUND


def test_may_place_refuses_a_paused_person(registry: RegistryClient, keys: dict[str, str]) -> None:
    leader_id = held(registry, keys, X)
    checked(registry, keys, leader_id, X)
    assert may_place(registry, keys[X], leader_id).allowed
    registry.leaders.PauseLeader(
        lpb.PauseLeaderRequest(leader_id=leader_id), metadata=registry.as_leader(leader_id), timeout=10
    )
    refusal = may_place(registry, keys[X], leader_id)
    assert not refusal.allowed and [r.problem for r in refusal.reasons] == ["leader_paused"]


def test_withdrawal_ends_every_relationship_blocks_every_trust_and_the_person_returns_by_confirming(
    registry: RegistryClient, keys: dict[str, str], stack: PlrStack
) -> None:
    address = email()
    first, second = registry.register(keys[X], address), registry.register(keys[Y], address)
    for affiliation in (first, second):
        registry.confirm(affiliation)
    leader_id = first.leader_id
    checked(registry, keys, leader_id, X, Y)
    registry.leaders.WithdrawLeader(
        lpb.WithdrawLeaderRequest(leader_id=leader_id), metadata=registry.as_leader(leader_id), timeout=10
    )
    for trust, affiliation in ((X, first), (Y, second)):
        ended = affiliation_of(registry, keys[trust], leader_id)
        assert (ended.status, ended.end_reason) == ("ended", "leader_withdrew")
        [event] = outbox_rows(stack, affiliation.affiliation_id, "plr.registry.leader.affiliation_ended.v1")
        assert event["trustods"] == trust
        refusal = may_place(registry, keys[trust], leader_id)
        assert not refusal.allowed and [r.problem for r in refusal.reasons] == ["leader_withdrawn"]
    blocked_calls(registry, keys[X], leader_id, registry.add_staff(X, "facilitator").staff_id)
    # a trust asks again: the same answer as any registration, waiting for the person
    again = registry.register(keys[X], address)
    fresh = registry.register(keys[X], email())
    assert again.status == "pending" and [f.name for f, _ in again.ListFields()] == [
        f.name for f, _ in fresh.ListFields()
    ]
    registry.confirm(again)  # the person's confirmation is their return
    assert as_person(registry, leader_id).status == "active"
    assert affiliation_of(registry, keys[Y], leader_id).status == "ended"  # Y asks again


def blocked_calls(registry: RegistryClient, key: str, leader_id: str, facilitator: str) -> None:
    """No trust may see, check, enrol, assign or end for a withdrawn person (NOT_FOUND, as for no one)."""
    development = development_pb2_grpc.DevelopmentServiceStub(registry.channel)
    programme = development.CreateProgramme(
        dpb.CreateProgrammeRequest(title="Patient leadership"), metadata=bearer(key), timeout=10
    )
    calls = [
        (registry.leaders.GetLeader, lpb.GetLeaderRequest(leader_id=leader_id)),
        (
            check_stub(registry).RecordCheck,
            cpb.RecordCheckRequest(leader_id=leader_id, check_type="identity", evidence="seen"),
        ),
        (development.EnrolLeader, dpb.EnrolLeaderRequest(leader_id=leader_id, programme_id=programme.programme_id)),
        (
            development.AssignFacilitator,
            dpb.AssignFacilitatorRequest(leader_id=leader_id, facilitator_staff_id=facilitator),
        ),
        (registry.leaders.PauseAffiliation, lpb.PauseAffiliationRequest(leader_id=leader_id)),
        (registry.leaders.ResumeLeader, lpb.ResumeLeaderRequest(leader_id=leader_id, on_behalf=ASKED)),
    ]
    for call, request in calls:
        assert answer(call, request, key)[0] == grpc.StatusCode.NOT_FOUND, request


def test_a_trust_s_pause_ends_on_its_return_date_by_the_worker_once(
    registry: RegistryClient, keys: dict[str, str], stack: PlrStack
) -> None:
    leader_id = held(registry, keys, X)
    paused = registry.leaders.PauseAffiliation(
        lpb.PauseAffiliationRequest(leader_id=leader_id, until="2097-06-01"), metadata=bearer(keys[X]), timeout=10
    )

    def new_uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(stack.engine("registry"), TenantScope.platform_wide())

    assert resume_due_leaders(new_uow, clock=lambda: datetime(2097, 5, 31, 23, tzinfo=UTC)) == 0
    assert affiliation_of(registry, keys[X], leader_id).paused
    assert resume_due_leaders(new_uow, clock=lambda: datetime(2097, 6, 2, 9, tzinfo=UTC)) >= 1
    assert not affiliation_of(registry, keys[X], leader_id).paused
    resume_due_leaders(new_uow, clock=lambda: datetime(2097, 6, 3, 9, tzinfo=UTC))
    assert len(outbox_rows(stack, paused.affiliation_id, "plr.registry.leader.affiliation_resumed.v1")) == 1
