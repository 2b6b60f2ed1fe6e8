"""Issue 15 §1: a trust that registered a person learns that the person has not yet confirmed (not
"no leader"), on every read and action it may try; another trust still gets NOT_FOUND; the answer is
the same whether or not anyone else holds the person."""

from __future__ import annotations

import uuid

import grpc
import pytest
from plr.registry.v1 import checks_pb2 as cpb
from plr.registry.v1 import leaders_pb2 as lpb

from services.common.grpc_client import bearer
from services.registry.tests.integration.conftest import RegistryClient
from services.registry.tests.integration.test_checks_api import check_stub

pytestmark = pytest.mark.integration


def attempts(registry: RegistryClient, key: str, leader_id: str) -> dict[str, grpc.RpcError]:
    """Every call a trust's developer tries first on a person it just registered, and its refusal."""
    checks = check_stub(registry)
    calls = {
        "GetLeader": lambda: registry.leaders.GetLeader(
            lpb.GetLeaderRequest(leader_id=leader_id), metadata=bearer(key)
        ),
        "RecordCheck": lambda: checks.RecordCheck(
            cpb.RecordCheckRequest(leader_id=leader_id, check_type="identity", evidence="passport seen"),
            metadata=bearer(key),
        ),
        "MayPlace": lambda: checks.MayPlace(
            cpb.MayPlaceRequest(leader_id=leader_id, requirements=[cpb.CheckRequirement(check_type="identity")]),
            metadata=bearer(key),
        ),
        "ExportLeaderData": lambda: registry.leaders.ExportLeaderData(
            lpb.ExportLeaderDataRequest(leader_id=leader_id), metadata=bearer(key)
        ),
    }
    refused = {}
    for name, call in calls.items():
        with pytest.raises(grpc.RpcError) as error:
            call()
        refused[name] = error.value
    return refused


def test_a_trust_is_told_its_registration_awaits_the_persons_confirmation(registry: RegistryClient) -> None:
    own = registry.onboard("RAW1").initial_key.key
    stranger = registry.onboard("RAW2").initial_key.key
    holder = registry.onboard("RAW3").initial_key.key
    alone = registry.register(own, f"alone-{uuid.uuid4().hex[:8]}@example.org")
    shared_email = f"shared-{uuid.uuid4().hex[:8]}@example.org"
    registry.confirm(registry.register(holder, shared_email))
    shared = registry.register(own, shared_email)

    answers = {}
    for case, affiliation in (("alone", alone), ("held elsewhere too", shared)):
        refused = attempts(registry, own, affiliation.leader_id)
        for name, error in refused.items():
            assert error.code() == grpc.StatusCode.FAILED_PRECONDITION, (case, name)
            assert "has not yet confirmed your trust's affiliation" in error.details(), (case, name)
        answers[case] = {n: (e.code(), e.details().replace(affiliation.leader_id, "<id>")) for n, e in refused.items()}
    assert answers["alone"] == answers["held elsewhere too"]
    for name, error in attempts(registry, stranger, alone.leader_id).items():
        assert error.code() == grpc.StatusCode.NOT_FOUND, name

    registry.confirm(alone)
    seen = registry.leaders.GetLeader(lpb.GetLeaderRequest(leader_id=alone.leader_id), metadata=bearer(own))
    assert seen.leader_id == alone.leader_id
