"""Networks of trusts through the gRPC API, on real PostgreSQL: the administrator's changes and their
events; a leader's consent to share their profile with a network, which lets its trusts find (never
contact) them."""

from __future__ import annotations

import json
import uuid

import grpc
import pytest
import sqlalchemy as sa
from plr.registry.v1 import leaders_pb2 as lpb
from plr.registry.v1 import networks_pb2 as npb

from services.common.db import scoped_transaction
from services.common.grpc_client import bearer
from services.common.tenancy import TenantScope
from services.registry.adapters.tables import invitations as invitations_table
from services.registry.tests.integration.conftest import RegistryClient
from services.registry.tests.integration.networks_support import (
    active_leader,
    candidates,
    email,
    event_data,
    invitations,
    networks,
    new_network,
    refusal,
)
from tests.support.infra import PlrStack

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def keys(registry: RegistryClient) -> dict[str, str]:
    return {ods: registry.onboard(ods).initial_key.key for ods in ("RNA", "RNB", "RNC")}


def test_the_administrator_creates_a_network_and_adds_and_removes_trusts_each_an_event(
    registry: RegistryClient, keys: dict[str, str], stack: PlrStack
) -> None:
    stub = networks(registry)
    network_id = new_network(registry, "RNA", "RNB")
    again = stub.CreateNetwork(
        npb.CreateNetworkRequest(network_id=network_id, name="Another name"), metadata=registry.as_admin(), timeout=10
    )
    assert not again.created and again.network.name == "Test Integrated Care System"
    removed = stub.RemoveTrustFromNetwork(
        npb.NetworkTrustRequest(network_id=network_id, ods="RNB"), metadata=registry.as_admin(), timeout=10
    )
    assert list(removed.trust_ods) == ["RNA"] and removed.version == 4
    # a second removal changes nothing, and emits nothing
    stub.RemoveTrustFromNetwork(
        npb.NetworkTrustRequest(network_id=network_id, ods="RNB"), metadata=registry.as_admin(), timeout=10
    )
    emitted = [(kind, {"trustods": trust, **data}) for kind, trust, data in event_data(stack, network_id)]
    assert sorted(e for e, _ in emitted) == sorted(
        [
            "plr.registry.network.created.v1",
            "plr.registry.network.trust_added.v1",
            "plr.registry.network.trust_added.v1",
            "plr.registry.network.trust_removed.v1",
        ]
    )
    assert (
        "plr.registry.network.trust_removed.v1",
        {"trustods": "RNB", "network_id": network_id, "ods": "RNB"},
    ) in emitted
    mine = stub.ListNetworks(npb.ListNetworksRequest(), metadata=bearer(keys["RNA"]), timeout=10)
    assert network_id in [n.network_id for n in mine.networks]
    theirs = stub.ListNetworks(npb.ListNetworksRequest(), metadata=bearer(keys["RNB"]), timeout=10)
    assert network_id not in [n.network_id for n in theirs.networks]


def test_network_changes_are_the_administrators_and_bad_input_names_the_field(
    registry: RegistryClient, keys: dict[str, str]
) -> None:
    stub = networks(registry)
    denied = refusal(
        stub.CreateNetwork,
        npb.CreateNetworkRequest(network_id="mine", name="Mine"),
        metadata=bearer(keys["RNA"]),
        timeout=10,
    )
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    bad_id = refusal(
        stub.CreateNetwork,
        npb.CreateNetworkRequest(network_id="Not An Id", name="x"),
        metadata=registry.as_admin(),
        timeout=10,
    )
    assert bad_id.code() == grpc.StatusCode.INVALID_ARGUMENT and "network_id" in bad_id.details()
    bad_ods = refusal(
        stub.AddTrustToNetwork,
        npb.NetworkTrustRequest(network_id=new_network(registry), ods="not-ods"),
        metadata=registry.as_admin(),
        timeout=10,
    )
    assert bad_ods.code() == grpc.StatusCode.INVALID_ARGUMENT and "ods" in bad_ods.details()
    unknown = refusal(
        stub.AddTrustToNetwork,
        npb.NetworkTrustRequest(network_id="no-such-network", ods="RNA"),
        metadata=registry.as_admin(),
        timeout=10,
    )
    assert unknown.code() == grpc.StatusCode.NOT_FOUND


def test_sharing_with_a_network_must_name_one_the_leader_can_see_and_unknown_answers_the_same(
    registry: RegistryClient, keys: dict[str, str]
) -> None:
    leader_id = active_leader(registry, keys["RNA"], email())
    elsewhere = new_network(registry, "RNC")  # exists, but holds no trust of the leader's
    answers = [
        refusal(registry.consent, leader_id, "share_profile_with_network", target)
        for target in (elsewhere, "no-such-network")
    ]
    assert [a.code() for a in answers] == [grpc.StatusCode.INVALID_ARGUMENT] * 2
    assert answers[0].details() == answers[1].details() and "target" in answers[0].details()
    consents = registry.leaders.ListConsents(
        lpb.ListConsentsRequest(leader_id=leader_id), metadata=registry.as_leader(leader_id), timeout=10
    )
    assert not [c for c in consents.history if c.purpose == "share_profile_with_network"]  # nothing changed
    visible = networks(registry).ListNetworks(
        npb.ListNetworksRequest(), metadata=registry.as_leader(leader_id), timeout=10
    )
    assert elsewhere not in [n.network_id for n in visible.networks]
    mine = new_network(registry, "RNA")
    assert registry.consent(leader_id, "share_profile_with_network", mine).granted


def test_a_network_consent_lets_its_trusts_find_but_not_contact_and_withdrawal_hides_again(
    registry: RegistryClient, keys: dict[str, str]
) -> None:
    profile = {"postcode": "LS1 4AP", "skills": ["chairing"], "phone": "07700 900123"}
    leader_id = active_leader(registry, keys["RNA"], email(), **profile)
    network_id = new_network(registry, "RNA", "RNB")
    assert leader_id not in candidates(registry, keys["RNB"])  # no consent: no one finds them
    registry.consent(leader_id, "share_profile_with_network", network_id)

    found = candidates(registry, keys["RNB"])[leader_id]
    assert found.postcode_district == "LS1" and list(found.skills) == ["chairing"]
    assert list(found.network_ids) == [network_id]
    assert {f.name for f, _ in found.ListFields()} <= {
        "leader_id",
        "postcode_district",
        "skills",
        "interests",
        "availability",
        "network_ids",
    }
    assert leader_id in candidates(registry, keys["RNB"], skill="chairing", postcode_district="ls1")
    assert leader_id not in candidates(registry, keys["RNB"], skill="no-such-skill")
    # finding is not contacting: the trust still cannot read the person
    read = refusal(
        registry.leaders.GetLeader, lpb.GetLeaderRequest(leader_id=leader_id), metadata=bearer(keys["RNB"]), timeout=10
    )
    assert read.code() == grpc.StatusCode.NOT_FOUND
    assert leader_id not in candidates(registry, keys["RNC"])  # not of the network

    registry.consent(leader_id, "share_profile_with_network", network_id, grant=False)
    assert leader_id not in candidates(registry, keys["RNB"])


def test_a_trust_removed_from_the_network_stops_finding_its_candidates(
    registry: RegistryClient, keys: dict[str, str]
) -> None:
    leader_id = active_leader(registry, keys["RNA"], email())
    network_id = new_network(registry, "RNA", "RNB")
    registry.consent(leader_id, "share_profile_with_network", network_id)
    assert leader_id in candidates(registry, keys["RNB"])
    networks(registry).RemoveTrustFromNetwork(
        npb.NetworkTrustRequest(network_id=network_id, ods="RNB"), metadata=registry.as_admin(), timeout=10
    )
    assert leader_id not in candidates(registry, keys["RNB"])


def test_a_candidate_is_no_longer_found_once_no_trust_of_the_network_holds_them(
    registry: RegistryClient, keys: dict[str, str]
) -> None:
    leader_id = active_leader(registry, keys["RNA"], email())
    network_id = new_network(registry, "RNA", "RNB")
    registry.consent(leader_id, "share_profile_with_network", network_id)
    assert leader_id in candidates(registry, keys["RNB"])
    registry.leaders.EndAffiliation(
        lpb.EndAffiliationRequest(leader_id=leader_id, reason="moved away"), metadata=bearer(keys["RNA"]), timeout=10
    )
    assert leader_id not in candidates(registry, keys["RNB"])


def test_plr_network_commands_create_add_remove_and_list(
    registry: RegistryClient, keys: dict[str, str], stack: PlrStack, registry_target: str
) -> None:
    stack.env["PLR_REGISTRY_API_TARGET"] = registry_target  # the api served in-process for this session
    network_id = f"cli-{uuid.uuid4().hex[:10]}"
    created = stack.plr("network", "create", network_id, "--name", "Programme North")
    assert created.returncode == 0 and f"Created network {network_id}" in created.stdout, created.stderr
    again = stack.plr("network", "create", network_id, "--name", "Programme North")
    assert again.returncode == 0 and "Already exists" in again.stdout
    added = stack.plr("network", "add-trust", network_id, "RNA")
    assert added.returncode == 0 and "RNA" in added.stdout
    stack.plr("network", "add-trust", network_id, "RNB")
    removed = stack.plr("network", "remove-trust", network_id, "RNA")
    assert removed.returncode == 0 and removed.stdout.strip().endswith("RNB.")
    listed = stack.plr("network", "list", "--json")
    [shown] = [n for n in json.loads(listed.stdout) if n["network_id"] == network_id]
    assert shown == {"network_id": network_id, "name": "Programme North", "trusts": ["RNB"], "version": 4}
    bad = stack.plr("network", "add-trust", network_id, "lower")
    assert bad.returncode != 0 and "ods" in bad.stderr


def test_candidates_come_a_page_at_a_time_and_a_page_token_holds_to_its_filters(
    registry: RegistryClient, keys: dict[str, str]
) -> None:
    network_id = new_network(registry, "RNA", "RNB")
    shared = set()
    for _ in range(3):
        leader_id = active_leader(registry, keys["RNA"], email(), interests=["research"])
        registry.consent(leader_id, "share_profile_with_network", network_id)
        shared.add(leader_id)
    seen: list[str] = []
    token = ""
    while True:
        page = networks(registry).FindNetworkCandidates(
            npb.FindNetworkCandidatesRequest(page_size=1, page_token=token, interest="research"),
            metadata=bearer(keys["RNB"]),
            timeout=10,
        )
        assert len(page.candidates) <= 1
        seen += [c.leader_id for c in page.candidates]
        token = page.next_page_token
        if not token:
            break
        other = refusal(
            networks(registry).FindNetworkCandidates,
            npb.FindNetworkCandidatesRequest(page_size=1, page_token=token, interest="other"),
            metadata=bearer(keys["RNB"]),
            timeout=10,
        )
        assert other.code() == grpc.StatusCode.INVALID_ARGUMENT and "page_token" in other.details()
    assert shared <= set(seen) and len(seen) == len(set(seen)) and seen == sorted(seen)


def test_staff_share_on_the_persons_behalf_only_with_a_network_of_their_own_trust_and_learn_nothing_of_others(
    registry: RegistryClient, keys: dict[str, str]
) -> None:
    address = email()
    leader_id = active_leader(registry, keys["RNA"], address)
    registry.confirm(registry.register(keys["RNC"], address))  # RNC holds the same person
    of_rnc_only, of_rna = new_network(registry, "RNC"), new_network(registry, "RNA")
    asked = lpb.OnBehalf(staff="Sam Jones", how_asked="in person at a drop-in session")

    def share(target: str) -> lpb.ConsentState:
        request = lpb.RecordConsentRequest(
            leader_id=leader_id,
            purpose="share_profile_with_network",
            target=target,
            grant=True,
            wording_version="2026-12",
            evidence="signed form",
            on_behalf=asked,
        )
        return registry.leaders.RecordConsent(request, metadata=bearer(keys["RNA"]), timeout=10)

    # a network of the person's other trust answers as one that does not exist
    answers = [refusal(share, target) for target in (of_rnc_only, "no-such-network")]
    assert [a.code() for a in answers] == [grpc.StatusCode.INVALID_ARGUMENT] * 2
    assert answers[0].details() == answers[1].details()
    assert share(of_rna).granted


def test_an_offboarded_trust_leaves_its_networks_and_its_invitations_go(
    registry: RegistryClient, keys: dict[str, str], stack: PlrStack
) -> None:
    leaving = registry.onboard("RNX").initial_key.key
    network_id = new_network(registry, "RNA", "RNX")
    sent = invitations(registry).InviteLeader(
        npb.InviteLeaderRequest(email=email()), metadata=bearer(leaving), timeout=10
    )
    registry.offboard("RNX")
    listed = networks(registry).ListNetworks(npb.ListNetworksRequest(), metadata=registry.as_admin(), timeout=10)
    [network] = [n for n in listed.networks if n.network_id == network_id]
    assert list(network.trust_ods) == ["RNA"]
    emitted = [(kind, data) for kind, _, data in event_data(stack, network_id)]
    assert emitted[-1] == ("plr.registry.network.trust_removed.v1", {"network_id": network_id, "ods": "RNX"})
    assert [kind for kind, _, _ in event_data(stack, sent.invitation_id)] == ["plr.registry.invitation.sent.v1"]
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        left = connection.execute(sa.select(invitations_table).where(invitations_table.c.trust_ods == "RNX")).all()
    assert left == []
