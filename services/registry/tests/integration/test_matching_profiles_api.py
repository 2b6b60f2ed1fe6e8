"""GetMatchingProfile: matching's one read of a person, with matching's own credential alone. It carries
what matching ranks by (skills, interests, availability, the postcode district, statuses, each trust's
relationship, contact consents, network shares, checks with their acceptances), lived experience only
while the person consents to its use in matching, and never a name, contact detail or equality answer.
Every read is audited."""

from __future__ import annotations

import uuid

import grpc
import pytest
import sqlalchemy as sa
from plr.registry.v1 import checks_pb2 as cpb
from plr.registry.v1 import checks_pb2_grpc, matching_profiles_pb2_grpc
from plr.registry.v1 import leaders_pb2 as lpb
from plr.registry.v1 import matching_profiles_pb2 as mpb

from services.common.db import scoped_transaction
from services.common.grpc_client import bearer
from services.common.tenancy import TenantScope
from services.registry.adapters.tables import audit_log
from services.registry.tests.integration.conftest import RegistryClient
from tests.support.infra import PlrStack

pytestmark = pytest.mark.integration

NAME, PHONE, FULL_POSTCODE = "Zebedee-Sentinel", "07700 900123", "LS1 4AP"


class Person:
    """One person held by RMPA (contact consent, a DBS check) and RMPB (paused; it accepted the DBS)."""

    def __init__(self, registry: RegistryClient):
        self.keys = {ods: registry.onboard(ods).initial_key.key for ods in ("RMPA", "RMPB")}
        email = f"matching-{uuid.uuid4().hex[:10]}@example.org"
        for key in self.keys.values():
            affiliation = registry.register(
                key,
                email,
                given=NAME,
                family=NAME,
                phone=PHONE,
                postcode=FULL_POSTCODE,
                skills=["chairing"],
                availability=lpb.Availability(hours_per_month=8, days=["mon", "tue"], modes=["remote"]),
            )
            registry.confirm(affiliation)
        self.leader_id = affiliation.leader_id
        registry.consent(self.leader_id, "contact_by_trust", "RMPA")
        registry.consent(self.leader_id, "lived_experience_matching")
        me = registry.as_leader(self.leader_id)
        current = registry.leaders.GetLeader(lpb.GetLeaderRequest(leader_id=self.leader_id), metadata=me, timeout=10)
        registry.leaders.UpdateLeader(
            lpb.UpdateLeaderRequest(
                leader_id=self.leader_id,
                expected_version=current.version,
                profile=lpb.LeaderProfile(lived_experience=["cancer"]),
                fields=["lived_experience"],
            ),
            metadata=me,
            timeout=10,
        )
        checks = checks_pb2_grpc.CheckServiceStub(registry.channel)
        self.check = checks.RecordCheck(
            cpb.RecordCheckRequest(
                leader_id=self.leader_id,
                check_type="dbs",
                dbs_level="enhanced",
                expires_on="2099-01-01",
                evidence="seen",
                dbs_details="DBS-SENTINEL-778899",
            ),
            metadata=bearer(self.keys["RMPA"]),
            timeout=10,
        )
        registry.consent(self.leader_id, "share_record_with_trust", "RMPB")
        checks.AcceptCheck(
            cpb.AcceptCheckRequest(leader_id=self.leader_id, check_id=self.check.check_id),
            metadata=bearer(self.keys["RMPB"]),
            timeout=10,
        )
        registry.leaders.SubmitEqualityMonitoring(
            lpb.SubmitEqualityMonitoringRequest(religion="buddhist", age_band="65_74", ethnicity="prefer_not_to_say"),
            metadata=me,
            timeout=10,
        )
        registry.leaders.PauseAffiliation(
            lpb.PauseAffiliationRequest(leader_id=self.leader_id, until="2099-02-01"),
            metadata=bearer(self.keys["RMPB"]),
            timeout=10,
        )


@pytest.fixture(scope="module")
def person(registry: RegistryClient) -> Person:
    return Person(registry)


@pytest.fixture(scope="module")
def profiles(registry: RegistryClient) -> matching_profiles_pb2_grpc.MatchingProfileServiceStub:
    return matching_profiles_pb2_grpc.MatchingProfileServiceStub(registry.channel)


def as_matching(stack: PlrStack) -> tuple[tuple[str, str], ...]:
    return bearer(stack.env["PLR_REGISTRY_MATCHING_TOKEN"])


def read(
    profiles: matching_profiles_pb2_grpc.MatchingProfileServiceStub, leader_id: str, metadata: tuple
) -> mpb.MatchingProfile:
    return profiles.GetMatchingProfile(
        mpb.GetMatchingProfileRequest(leader_id=leader_id), metadata=metadata, timeout=10
    )


def test_matching_reads_what_it_ranks_by_and_nothing_personal(
    person: Person, profiles: matching_profiles_pb2_grpc.MatchingProfileServiceStub, stack: PlrStack
) -> None:
    found = read(profiles, person.leader_id, as_matching(stack))
    assert found.leader_id == person.leader_id and found.status == "active" and found.version > 0
    assert list(found.skills) == ["chairing"] and list(found.lived_experience) == ["cancer"]
    assert found.lived_experience_consent
    assert (found.hours_per_month, list(found.days), list(found.modes)) == (8, ["mon", "tue"], ["remote"])
    assert found.postcode_district == "LS1"
    by_trust = {a.ods: a for a in found.affiliations}
    assert (by_trust["RMPA"].status, by_trust["RMPA"].paused, by_trust["RMPA"].paused_until) == ("active", False, "")
    assert (by_trust["RMPB"].status, by_trust["RMPB"].paused, by_trust["RMPB"].paused_until) == (
        "active",
        True,
        "2099-02-01",
    )
    assert all(a.version > 0 for a in found.affiliations)
    assert list(found.contact_trusts) == ["RMPA"] and list(found.shared_networks) == []
    [check] = found.checks
    assert (check.check_id, check.check_type, check.ods, check.expires_on) == (
        person.check.check_id,
        "dbs",
        "RMPA",
        "2099-01-01",
    )
    assert list(check.accepted_by) == ["RMPB"]
    shown = str(found)
    for personal in (NAME, PHONE, FULL_POSTCODE, "4AP", "example.org", "DBS-SENTINEL", "seen", "buddhist", "65_74"):
        assert personal not in shown, personal


def test_lived_experience_goes_with_the_consent(
    person: Person,
    registry: RegistryClient,
    profiles: matching_profiles_pb2_grpc.MatchingProfileServiceStub,
    stack: PlrStack,
) -> None:
    registry.consent(person.leader_id, "lived_experience_matching", grant=False)
    found = read(profiles, person.leader_id, as_matching(stack))
    assert not found.lived_experience_consent and list(found.lived_experience) == []
    assert "cancer" not in str(found)


def test_only_matchings_credential_may_read(
    person: Person, registry: RegistryClient, profiles: matching_profiles_pb2_grpc.MatchingProfileServiceStub
) -> None:
    for metadata in (
        bearer(person.keys["RMPA"]),
        bearer(registry.portal_token),
        registry.as_leader(person.leader_id),
        registry.as_admin(),
    ):
        for leader_id in (person.leader_id, "not-an-id"):
            with pytest.raises(grpc.RpcError) as refused:
                read(profiles, leader_id, metadata)
            assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED, metadata


def test_an_unknown_person_and_a_bad_id(
    profiles: matching_profiles_pb2_grpc.MatchingProfileServiceStub, stack: PlrStack
) -> None:
    with pytest.raises(grpc.RpcError) as unknown:
        read(profiles, str(uuid.uuid4()), as_matching(stack))
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as bad:
        read(profiles, "not-an-id", as_matching(stack))
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "leader_id" in bad.value.details()


def test_each_read_is_audited_with_the_fields_returned(
    person: Person, profiles: matching_profiles_pb2_grpc.MatchingProfileServiceStub, stack: PlrStack
) -> None:
    read(profiles, person.leader_id, as_matching(stack))
    engine = stack.engine("registry")
    with scoped_transaction(engine, TenantScope.platform_wide()) as connection:
        rows = connection.execute(
            sa.select(
                audit_log.c.principal_kind, audit_log.c.principal, audit_log.c.trust_ods, audit_log.c.fields
            ).where(audit_log.c.leader_id == person.leader_id, audit_log.c.method == "GetMatchingProfile")
        ).all()
    assert rows and all(row[:3] == ("service", "matching", None) for row in rows)
    assert "skills" in rows[-1].fields and "postcode_district" in rows[-1].fields
