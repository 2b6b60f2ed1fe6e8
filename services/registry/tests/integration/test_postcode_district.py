"""A trust sees a person's postcode district only (the outward code, "LS1" of "LS1 4AP") unless the
person lets that trust contact them; the person, and a trust with that consent, see it whole. Through
every read that returns a postcode: GetLeader, ListLeaders, ExportLeaderData and the offboarding
export."""

from __future__ import annotations

import json
import uuid

import pytest
from plr.registry.v1 import leaders_pb2 as lpb

from services.common.grpc_client import bearer
from services.registry.tests.integration.conftest import RegistryClient

pytestmark = pytest.mark.integration

FULL, DISTRICT, INWARD = "LS1 4AP", "LS1", "4AP"


class Held:
    """One person held by trusts "PDA" (no contact consent), "PDB" (contact consent) and "PDC"."""

    def __init__(self, registry: RegistryClient):
        self.keys = {ods: registry.onboard(ods).initial_key.key for ods in ("PDA", "PDB", "PDC")}
        email = f"district-{uuid.uuid4().hex[:10]}@example.org"
        for key in self.keys.values():
            affiliation = registry.register(key, email, postcode="ls14ap")
            registry.confirm(affiliation)
        self.leader_id = affiliation.leader_id
        registry.consent(self.leader_id, "contact_by_trust", "PDB")


@pytest.fixture(scope="module")
def held(registry: RegistryClient) -> Held:
    return Held(registry)


def get(registry: RegistryClient, held: Held, metadata: tuple) -> str:
    request = lpb.GetLeaderRequest(leader_id=held.leader_id)
    return str(registry.leaders.GetLeader(request, metadata=metadata, timeout=10).profile.postcode)


def listed(registry: RegistryClient, held: Held, key: str) -> str:
    found = registry.leaders.ListLeaders(lpb.ListLeadersRequest(page_size=500), metadata=bearer(key), timeout=10)
    (leader,) = [leader for leader in found.leaders if leader.leader_id == held.leader_id]
    return str(leader.profile.postcode)


def exported(registry: RegistryClient, held: Held, metadata: tuple) -> tuple[str, str]:
    request = lpb.ExportLeaderDataRequest(leader_id=held.leader_id)
    document = registry.leaders.ExportLeaderData(request, metadata=metadata, timeout=10).document
    return json.loads(document)["leader"]["profile"]["postcode"], document


def test_a_trust_without_contact_consent_sees_the_district_only(registry: RegistryClient, held: Held) -> None:
    key = held.keys["PDA"]
    assert get(registry, held, bearer(key)) == DISTRICT
    assert listed(registry, held, key) == DISTRICT
    postcode, document = exported(registry, held, bearer(key))
    assert postcode == DISTRICT and INWARD not in document


def test_a_trust_with_contact_consent_and_the_person_see_the_whole_postcode(
    registry: RegistryClient, held: Held
) -> None:
    key = held.keys["PDB"]
    assert get(registry, held, bearer(key)) == FULL
    assert listed(registry, held, key) == FULL
    assert exported(registry, held, bearer(key))[0] == FULL
    assert get(registry, held, registry.as_leader(held.leader_id)) == FULL
    assert exported(registry, held, registry.as_leader(held.leader_id))[0] == FULL


def test_withdrawing_contact_consent_cuts_it_back_to_the_district(registry: RegistryClient, held: Held) -> None:
    registry.consent(held.leader_id, "contact_by_trust", "PDC")
    assert get(registry, held, bearer(held.keys["PDC"])) == FULL
    registry.consent(held.leader_id, "contact_by_trust", "PDC", grant=False)
    assert get(registry, held, bearer(held.keys["PDC"])) == DISTRICT


def test_the_offboarding_export_holds_the_district_only(registry: RegistryClient, held: Held) -> None:
    response = registry.offboard("PDA")
    (leader,) = json.loads(response.export_document)["leaders"]
    assert leader["profile"]["postcode"] == DISTRICT and INWARD not in response.export_document
