"""Issue 3's acceptance, with every process running: trusts RXX and RYY onboarded with the `plr`
command, leaders registered, confirmed and consenting through the running registry api."""

from __future__ import annotations

import re
import uuid

import grpc
import pytest
from plr.registry.v1 import leaders_pb2 as lpb
from plr.registry.v1 import leaders_pb2_grpc

from services.common.grpc_client import api_channel, bearer
from tests.e2e.conftest import Running
from tests.support.infra import PlrStack

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


def onboard(stack: PlrStack, ods: str) -> str:
    result = stack.plr("trust", "onboard", "--ods", ods, "--name", f"{ods} NHS Trust")
    assert result.returncode == 0, result.stderr
    found = re.search(r"plrk_\S+", result.stdout)
    if found is None:  # onboarded by an earlier test: issue a key of our own
        rotated = stack.plr("trust", "key", "rotate", ods)
        found = re.search(r"plrk_\S+", rotated.stdout)
    assert found is not None
    return found.group(0)


def test_leaders_are_seen_only_through_confirmed_affiliations_and_consent(system: tuple[PlrStack, Running]) -> None:
    stack, _ = system
    # RXX and RYY of the acceptance text (other codes: the onboarding tests own RXX and RYY)
    rxx, ryy = onboard(stack, "RX1"), onboard(stack, "RY1")
    channel = api_channel(stack.settings, "registry")
    leaders = leaders_pb2_grpc.LeaderServiceStub(channel)

    def as_leader(leader_id: str) -> tuple[tuple[str, str], ...]:
        return (*bearer(stack.env["PLR_REGISTRY_PORTAL_TOKEN"]), ("x-plr-leader", leader_id))

    def read(key: str, leader_id: str) -> lpb.Leader | grpc.StatusCode:
        try:
            return leaders.GetLeader(lpb.GetLeaderRequest(leader_id=leader_id), metadata=bearer(key), timeout=10)
        except grpc.RpcError as error:
            return error.code()

    email = f"acceptance-{uuid.uuid4().hex[:8]}@example.org"
    profile = lpb.LeaderProfile(given_name="Mary", family_name="Seacole", email=email, phone="07700 900777")
    first = leaders.RegisterLeader(lpb.RegisterLeaderRequest(profile=profile), metadata=bearer(rxx), timeout=10)
    leaders.ConfirmAffiliation(
        lpb.ConfirmAffiliationRequest(affiliation_id=first.affiliation.affiliation_id),
        metadata=as_leader(first.affiliation.leader_id),
        timeout=10,
    )
    leader_id = first.affiliation.leader_id
    leaders.RecordConsent(
        lpb.RecordConsentRequest(
            leader_id=leader_id, purpose="contact_by_trust", target="RX1", grant=True, wording_version="2026-11"
        ),
        metadata=as_leader(leader_id),
        timeout=10,
    )

    # registered with RXX: invisible to RYY's key
    seen = read(rxx, leader_id)
    assert isinstance(seen, lpb.Leader) and seen.profile.given_name == "Mary" and seen.contactable
    assert read(ryy, leader_id) == grpc.StatusCode.NOT_FOUND

    # RYY registers the same email: a pending affiliation, and nothing more until the leader confirms
    second = leaders.RegisterLeader(
        lpb.RegisterLeaderRequest(profile=lpb.LeaderProfile(given_name="M", family_name="S", email=email)),
        metadata=bearer(ryy),
        timeout=10,
    )
    assert second.affiliation.status == "pending"
    # RYY is told only that its own registration awaits the person (as for anyone it registers)
    assert read(ryy, leader_id) == grpc.StatusCode.FAILED_PRECONDITION
    leaders.ConfirmAffiliation(
        lpb.ConfirmAffiliationRequest(affiliation_id=second.affiliation.affiliation_id),
        metadata=as_leader(leader_id),
        timeout=10,
    )
    by_ryy = read(ryy, leader_id)
    assert isinstance(by_ryy, lpb.Leader) and by_ryy.profile.given_name == "Mary"
    assert by_ryy.profile.email == "" and not by_ryy.contactable  # RYY has no consent to contact

    # the leader withdraws consent to be contacted by RXX: RXX's next read shows it
    leaders.RecordConsent(
        lpb.RecordConsentRequest(
            leader_id=leader_id, purpose="contact_by_trust", target="RX1", grant=False, wording_version="2026-11"
        ),
        metadata=as_leader(leader_id),
        timeout=10,
    )
    after = read(rxx, leader_id)
    assert isinstance(after, lpb.Leader) and not after.contactable and after.profile.email == ""
    channel.close()
