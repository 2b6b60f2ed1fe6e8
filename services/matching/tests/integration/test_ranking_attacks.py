"""Issue 12's ranking attacked from outside: a hostile trust, a careless administrator, a confused leader
and events as the registry and recruitment would send them (late, out of order, about a person two
trusts hold). No answer may differ by whether another trust holds a person or what it does with them."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import grpc
import pytest
from plr.matching.v1 import ranking_pb2 as pb
from plr.registry.v1 import matching_profiles_pb2 as rpb

from services.common.events import CloudEvent
from services.matching.adapters.placement_load import placement_handlers
from services.matching.tests.integration.conftest import MatchingClient
from services.matching.tests.integration.test_candidate_projection import affiliation_event, consent_event, leader_event
from services.matching.tests.integration.test_placement_load import recruitment_event
from services.matching.tests.integration.test_ranking_api import (  # noqa: F401 (a fixture)
    People,
    as_leader,
    lived_term,
    ranked,
    role,
)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("lived_term")]


def started(leader: str, ods: str, days_ago: int = 20, hours: int = 4) -> CloudEvent:
    placement_id = str(uuid.uuid4())
    data = {
        "placement_id": placement_id,
        "opportunity_id": str(uuid.uuid4()),
        "leader_id": leader,
        "ods": ods,
        "started_on": (date.today() - timedelta(days=days_ago)).isoformat(),
        "hours_per_month": hours,
    }
    return recruitment_event("started", "placement", placement_id, 1, data)


def report(matching: MatchingClient, key: tuple) -> pb.ConcentrationReport:  # type: ignore[type-arg]
    return matching.ranking.GetConcentrationReport(pb.GetConcentrationReportRequest(), metadata=key, timeout=10)


def also_held_by(people: People, leader: str, ods: str) -> str:
    """The person affiliates with a second trust (and lets it contact them): the new affiliation's id."""
    affiliation = str(uuid.uuid4())
    profile = people.registry.people[leader]
    profile.affiliations.append(
        rpb.MatchingAffiliation(affiliation_id=affiliation, ods=ods, status="active", version=2)
    )
    profile.contact_trusts.append(ods)
    people.consumer.apply_once(affiliation_event("affiliation_confirmed", affiliation, leader, ods, 2))
    people.consumer.apply_once(consent_event(True, leader, people.next_version(leader), "contact_by_trust", ods))
    return affiliation


def test_a_trusts_concentration_report_counts_only_its_own_placements(matching: MatchingClient) -> None:
    mine, theirs = matching.trust("QZA"), matching.trust("QZB")
    people = People(matching, "QZA")
    shared, own = people.add(), people.add()
    also_held_by(people, shared, "QZB")
    before = report(matching, mine)
    # the other trust places the person both hold, twice: nothing of it is the first trust's to count
    for _ in range(2):
        matching.apply_in_scope(placement_handlers()["plr.recruitment.placement.started.v1"], started(shared, "QZB"))
    assert report(matching, mine) == before
    assert (before.people, before.placements) == (2, 0)
    matching.apply_in_scope(placement_handlers()["plr.recruitment.placement.started.v1"], started(own, "QZA"))
    after = report(matching, mine)
    assert (after.people, after.placements, after.top_decile_share) == (2, 1, 1.0)
    assert (report(matching, theirs).people, report(matching, theirs).placements) == (1, 2)


def test_considered_does_not_count_network_people_the_ranking_leaves_out(matching: MatchingClient) -> None:
    owner = matching.trust("QZN")
    matching.trust("QZH")
    network = f"qz-net-{uuid.uuid4().hex[:6]}"
    matching.network(network, "QZN", "QZH")
    opportunity = role(matching, owner, network_id=network)
    before = ranked(matching, owner, opportunity)
    # another trust's person shares with the network, then pauses: the owner's answer is as before
    people = People(matching, "QZH")
    sharer = people.add(shared_networks=[network])
    people.consumer.apply_once(
        consent_event(True, sharer, people.next_version(sharer), "share_profile_with_network", network)
    )
    assert [c.leader_id for c in ranked(matching, owner, opportunity).candidates] == [sharer]
    people.consumer.apply_once(leader_event("paused", sharer, people.next_version(sharer), until="2099-01-01"))
    after = ranked(matching, owner, opportunity)
    assert (after.considered, list(after.excluded), list(after.candidates)) == (
        before.considered,
        list(before.excluded),
        list(before.candidates),
    )


def test_a_pause_that_arrives_before_its_relationships_confirmation_holds(matching: MatchingClient) -> None:
    matching.trust("QZP")
    second = matching.trust("QZQ")
    people = People(matching, "QZP")
    leader = people.add()
    profile = people.registry.people[leader]
    profile.contact_trusts.append("QZQ")  # the person lets the second trust contact them, then joins it
    people.consumer.apply_once(consent_event(True, leader, people.next_version(leader), "contact_by_trust", "QZQ"))
    affiliation = str(uuid.uuid4())
    profile.affiliations.append(
        rpb.MatchingAffiliation(
            affiliation_id=affiliation, ods="QZQ", status="active", paused=True, paused_until="2099-01-01", version=3
        )
    )
    # the second trust confirms (version 2) then pauses (3): the pause is delivered first
    people.consumer.apply_once(
        affiliation_event("affiliation_paused", affiliation, leader, "QZQ", 3, until="2099-01-01")
    )
    people.consumer.apply_once(affiliation_event("affiliation_confirmed", affiliation, leader, "QZQ", 2))
    found = ranked(matching, second, role(matching, second))
    assert list(found.candidates) == [] and [(e.reason, e.count) for e in found.excluded] == [("not_active", 1)]


def test_two_trusts_holding_one_person_keep_their_own_pause_and_checks(matching: MatchingClient) -> None:
    first, second = matching.trust("QZC"), matching.trust("QZD")
    people = People(matching, "QZC")
    leader = people.add()
    affiliation = also_held_by(people, leader, "QZD")
    check = str(uuid.uuid4())
    verified = {"check_id": check, "leader_id": leader, "ods": "QZC", "check_type": "dbs", "expires_on": "2099-01-01"}
    people.consumer.apply_once(
        CloudEvent(
            type="plr.registry.check.verified.v1",
            source="plr/registry",
            data=verified,
            aggregate_type="check",
            aggregate_id=check,
            aggregate_version=1,
            trust_ods="QZC",
        )
    )
    first_role = role(matching, first, required_checks=["dbs"])
    second_role = role(matching, second, required_checks=["dbs"])
    assert [list(c.checks_to_obtain) for c in ranked(matching, first, first_role).candidates] == [[]]
    assert [list(c.checks_to_obtain) for c in ranked(matching, second, second_role).candidates] == [["dbs"]]
    # the second trust pauses its relationship: the first still ranks them, and its answer is as before
    before = ranked(matching, first, first_role)
    people.consumer.apply_once(
        affiliation_event("affiliation_paused", affiliation, leader, "QZD", 3, until="2099-01-01")
    )
    assert ranked(matching, second, second_role).candidates == []
    assert ranked(matching, first, first_role) == before


def test_another_trusts_role_is_not_found_in_the_same_words_as_no_role(matching: MatchingClient) -> None:
    owner, hostile = matching.trust("QZO"), matching.trust("QZX")
    network = f"qz-net-{uuid.uuid4().hex[:6]}"
    matching.network(network, "QZO", "QZX")
    roles = [matching.create(owner).opportunity_id, role(matching, owner).opportunity_id]
    roles.append(role(matching, owner, network_id=network).opportunity_id)
    answers = set()
    for opportunity_id in [*roles, str(uuid.uuid4())]:
        with pytest.raises(grpc.RpcError) as refused:
            matching.ranking.RankCandidates(
                pb.RankCandidatesRequest(opportunity_id=opportunity_id), metadata=hostile, timeout=10
            )
        answers.add((refused.value.code(), refused.value.details().replace(opportunity_id, "ID")))
    assert answers == {(grpc.StatusCode.NOT_FOUND, "no opportunity ID")}


def test_an_odd_limit_is_named(matching: MatchingClient) -> None:
    key = matching.trust("QZL")
    for limit in (-1, 201, 2**31 - 1, -(2**31)):
        with pytest.raises(grpc.RpcError) as refused:
            request = pb.RankCandidatesRequest(opportunity_id=str(uuid.uuid4()), limit=limit)
            matching.ranking.RankCandidates(request, metadata=key, timeout=10)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "limit" in refused.value.details()


def test_a_role_needing_more_hours_than_the_cap_explains_the_hours(matching: MatchingClient) -> None:
    key = matching.trust("QZW")
    people = People(matching, "QZW")
    people.add(hours_per_month=100)
    found = ranked(matching, key, role(matching, key, hours_per_month=60))  # the trust's cap: 40 hours a month
    assert [(e.reason, e.count) for e in found.excluded] == [("workload_cap", 1)]
    assert "hours" in found.excluded[0].words


def test_a_person_paused_ended_or_withdrawn_is_recommended_nothing_of_that_trust(matching: MatchingClient) -> None:
    key = matching.trust("QZR")
    people = People(matching, "QZR")
    paused, ended, withdrawn, fine = people.add(), people.add(), people.add(), people.add()
    opportunity = role(matching, key)

    def recommended(leader: str) -> list[str]:
        found = matching.ranking.RecommendRoles(
            pb.RecommendRolesRequest(), metadata=as_leader(matching, leader), timeout=10
        )
        return [r.opportunity_id for r in found.roles]

    assert all(recommended(p) == [opportunity.opportunity_id] for p in (paused, ended, withdrawn, fine))
    affiliation = people.registry.people[paused].affiliations[0].affiliation_id
    people.consumer.apply_once(
        affiliation_event("affiliation_paused", affiliation, paused, "QZR", 3, until="2099-01-01")
    )
    affiliation = people.registry.people[ended].affiliations[0].affiliation_id
    people.consumer.apply_once(affiliation_event("affiliation_ended", affiliation, ended, "QZR", 3))
    people.consumer.apply_once(leader_event("withdrawn", withdrawn, people.next_version(withdrawn)))
    assert [recommended(p) for p in (paused, ended, withdrawn, fine)] == [[], [], [], [opportunity.opportunity_id]]


def test_a_resumption_delivered_first_leaves_the_relationship_active(matching: MatchingClient) -> None:
    matching.trust("QZS")
    second = matching.trust("QZT")
    people = People(matching, "QZS")
    leader = people.add()
    profile = people.registry.people[leader]
    profile.contact_trusts.append("QZT")
    people.consumer.apply_once(consent_event(True, leader, people.next_version(leader), "contact_by_trust", "QZT"))
    affiliation = str(uuid.uuid4())
    profile.affiliations.append(
        rpb.MatchingAffiliation(affiliation_id=affiliation, ods="QZT", status="active", version=4)
    )
    # confirmed (2), paused (3), resumed (4), delivered newest first
    people.consumer.apply_once(affiliation_event("affiliation_resumed", affiliation, leader, "QZT", 4))
    people.consumer.apply_once(
        affiliation_event("affiliation_paused", affiliation, leader, "QZT", 3, until="2099-01-01")
    )
    people.consumer.apply_once(affiliation_event("affiliation_confirmed", affiliation, leader, "QZT", 2))
    assert [c.leader_id for c in ranked(matching, second, role(matching, second)).candidates] == [leader]
