"""RankCandidates and GetConcentrationReport through the api, on people projected from registry's events
(the worker's own handlers) and loads from recruitment's: a ranking explains each factor, changes at once
when the person withdraws their lived-experience consent or pauses, shows a network candidate without
their areas, and lowers the people recently placed."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import grpc
import pytest
import sqlalchemy as sa
from plr.matching.v1 import matching_pb2 as mpb
from plr.matching.v1 import ranking_pb2 as pb
from plr.registry.v1 import matching_profiles_pb2 as rpb

from services.common.db import scoped_transaction
from services.common.grpc_client import bearer
from services.common.inbox import InboxConsumer
from services.common.tenancy import TenantScope
from services.matching.adapters.candidate_projection import candidate_handlers
from services.matching.adapters.placement_load import placement_handlers
from services.matching.tests.integration.conftest import ROLE, MatchingClient
from services.matching.tests.integration.test_candidate_projection import (
    Registry,
    affiliation_event,
    consent_event,
    leader_event,
)
from services.matching.tests.integration.test_placement_load import offer, placement

pytestmark = pytest.mark.integration


class People:
    """People held by one trust (each with an active affiliation and its contact consent), projected as
    the worker projects them, and what recruitment says they already do."""

    def __init__(self, matching: MatchingClient, ods: str):
        self.matching, self.ods = matching, ods
        self.registry = Registry()
        self.consumer = InboxConsumer(
            name=f"test.ranking-{uuid.uuid4().hex[:8]}",
            engine=matching.engine,
            handlers=candidate_handlers(self.registry),
            sleep=lambda _: None,
        )
        self.versions: dict[str, int] = {}

    def add(self, **fields: Any) -> str:
        leader = str(uuid.uuid4())
        defaults: dict[str, Any] = {
            "leader_id": leader,
            "version": 2,
            "status": "active",
            "skills": ["chairing"],
            "hours_per_month": 8,
            "modes": ["in_person"],
            "postcode_district": "LS1",
            "contact_trusts": [self.ods],
            "affiliations": [
                rpb.MatchingAffiliation(affiliation_id=str(uuid.uuid4()), ods=self.ods, status="active", version=2)
            ],
        }
        self.registry.people[leader] = rpb.MatchingProfile(**{**defaults, **fields})
        self.versions[leader] = 2
        self.consumer.apply_once(leader_event("registered", leader, 1))
        self.consumer.apply_once(consent_event(True, leader, 2, "contact_by_trust", self.ods))
        return leader

    def next_version(self, leader: str) -> int:
        self.versions[leader] += 1
        return self.versions[leader]


def role(matching: MatchingClient, key: tuple, **change: Any) -> mpb.Opportunity:  # type: ignore[type-arg]
    details = mpb.OpportunityDetails()
    details.CopyFrom(ROLE)
    details.required_skills.append("chairing")
    for name, value in change.items():
        if isinstance(value, list):
            getattr(details, name).extend(value)
        else:
            setattr(details, name, value)
    return matching.publish(key, matching.create(key, details))


def ranked(matching: MatchingClient, key: tuple, opportunity: mpb.Opportunity) -> pb.RankCandidatesResponse:  # type: ignore[type-arg]
    request = pb.RankCandidatesRequest(opportunity_id=opportunity.opportunity_id)
    return matching.ranking.RankCandidates(request, metadata=key, timeout=10)


def factor(candidate: pb.RankedCandidate, name: str) -> pb.FactorScore:
    return next(f for f in candidate.factors if f.factor == name)


@pytest.fixture
def lived_term(matching: MatchingClient) -> str:
    code = f"lived_{uuid.uuid4().hex[:8]}"
    matching.term(f"term-{code}", "lived_experience", code)
    matching.term(f"term-chairing-{code}", "skill", "chairing")
    return code


def test_a_ranking_explains_each_factor_and_changes_at_once_on_a_consent_withdrawal_or_a_pause(
    matching: MatchingClient, lived_term: str
) -> None:
    key = matching.trust("RKA")
    people = People(matching, "RKA")
    lived = people.add(lived_experience=[lived_term], lived_experience_consent=True)
    other = people.add()
    opportunity = role(matching, key, lived_experience=[lived_term])

    first = ranked(matching, key, opportunity)
    assert [c.leader_id for c in first.candidates] == [lived, other]
    top = first.candidates[0]
    assert (top.position, factor(top, "lived_experience").score) == (1, 1.0)
    assert list(factor(top, "lived_experience").matched) == [lived_term]  # the trust's own person
    assert {f.factor for f in top.factors} == {
        "skills",
        "lived_experience",
        "interests",
        "availability",
        "travel",
        "access",
    }
    assert all(f.reason for f in top.factors) and abs(sum(f.weight for f in top.factors) - 1) < 1e-9

    # the person withdraws the consent: the next ranking, at once, no longer counts it
    people.consumer.apply_once(consent_event(False, lived, people.next_version(lived), "lived_experience_matching"))
    after = ranked(matching, key, opportunity)
    lived_now = next(c for c in after.candidates if c.leader_id == lived)
    assert factor(lived_now, "lived_experience").score == 0 and not factor(lived_now, "lived_experience").matched

    # the person pauses: not ranked, and counted among the trust's people left out
    people.consumer.apply_once(leader_event("paused", lived, people.next_version(lived), until="2099-01-01"))
    paused = ranked(matching, key, opportunity)
    assert [c.leader_id for c in paused.candidates] == [other]
    assert [(e.reason, e.count) for e in paused.excluded] == [("not_active", 1)]


def test_a_trust_that_paused_its_relationship_does_not_rank_the_person(
    matching: MatchingClient, lived_term: str
) -> None:
    key = matching.trust("RKP")
    people = People(matching, "RKP")
    leader = people.add()
    affiliation = people.registry.people[leader].affiliations[0].affiliation_id
    people.consumer.apply_once(
        affiliation_event("affiliation_paused", affiliation, leader, "RKP", 3, until="2099-01-01")
    )
    assert ranked(matching, key, role(matching, key)).candidates == []


def test_recently_placed_and_offered_people_are_lowered_with_the_reasons(
    matching: MatchingClient, lived_term: str
) -> None:
    key = matching.trust("RKR")
    people = People(matching, "RKR")
    busy, fresh = people.add(), people.add()
    # the api ranks on today's date: what recruitment says is dated from it
    started, offered = (date.today() - timedelta(days=days) for days in (40, 10))
    for event in (placement(busy, str(uuid.uuid4()), started.isoformat(), ods="RKR"), offer(busy, offered.isoformat())):
        matching.apply_in_scope(placement_handlers()[event.type], event)
    found = ranked(matching, key, role(matching, key))
    assert [c.leader_id for c in found.candidates] == [fresh, busy]
    assert found.candidates[1].penalty > 0 and list(found.candidates[1].penalty_reasons) == [
        "placed 1 month ago",
        "holds 1 role now",
        "offered 1 role recently",
    ]
    report = matching.ranking.GetConcentrationReport(pb.GetConcentrationReportRequest(), metadata=key, timeout=10)
    assert (report.people, report.placements, report.top_decile_share, report.window_months) == (2, 1, 1.0, 12)


def test_a_network_candidate_is_ranked_without_their_lived_experience_areas(
    matching: MatchingClient, lived_term: str
) -> None:
    owner = matching.trust("RKN")
    matching.trust("RKH")
    network = f"rk-net-{uuid.uuid4().hex[:6]}"
    matching.network(network, "RKN", "RKH")
    people = People(matching, "RKH")
    shared = people.add(lived_experience=[lived_term], lived_experience_consent=True, shared_networks=[network])
    people.consumer.apply_once(consent_event(True, shared, 3, "share_profile_with_network", network))
    opportunity = role(matching, owner, lived_experience=[lived_term], network_id=network)
    found = ranked(matching, owner, opportunity)
    assert [(c.leader_id, c.network_candidate) for c in found.candidates] == [(shared, True)]
    lived = factor(found.candidates[0], "lived_experience")
    assert lived.score == 1.0 and not lived.matched
    assert lived_term.encode() not in found.SerializeToString()
    assert not found.excluded  # another trust's people are not the owner's to count


def test_a_filled_role_is_not_ranked(matching: MatchingClient) -> None:
    key = matching.trust("RKF")
    opportunity = role(matching, key)
    matching.opportunities.FillOpportunity(
        mpb.ChangeOpportunityRequest(opportunity_id=opportunity.opportunity_id, expected_version=opportunity.version),
        metadata=key,
        timeout=5,
    )
    with pytest.raises(grpc.RpcError) as refused:
        ranked(matching, key, opportunity)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION


def as_leader(matching: MatchingClient, leader: str) -> tuple:  # type: ignore[type-arg]
    """The portal's call for a signed-in person."""
    return (*bearer(matching.portal_token), ("x-plr-leader", leader))


def test_a_person_is_recommended_the_open_roles_of_their_trusts_and_networks_and_no_one_elses(
    matching: MatchingClient, lived_term: str
) -> None:
    holder, sharer, stranger = matching.trust("RRA"), matching.trust("RRB"), matching.trust("RRC")
    network = f"rr-net-{uuid.uuid4().hex[:6]}"
    matching.network(network, "RRB")
    people = People(matching, "RRA")
    me = people.add(lived_experience=[lived_term], lived_experience_consent=True, shared_networks=[network])
    people.consumer.apply_once(consent_event(True, me, 3, "share_profile_with_network", network))
    someone = people.add()
    mine = role(matching, holder, title="Holder's role", lived_experience=[lived_term])
    shared = role(matching, sharer, title="Network role", network_id=network)
    role(matching, sharer, title="Sharer's own role")
    role(matching, stranger, title="Stranger's role")
    draft = matching.create(holder)

    found = matching.ranking.RecommendRoles(pb.RecommendRolesRequest(), metadata=as_leader(matching, me), timeout=10)
    # both fit the person fully (a tie, ordered by id): the holder's names their own lived experience
    assert {r.opportunity_id for r in found.roles} == {mine.opportunity_id, shared.opportunity_id}
    by_id = {r.opportunity_id: r for r in found.roles}
    top = by_id[mine.opportunity_id]
    assert (top.trust_ods, top.title, top.score) == ("RRA", "Holder's role", 1.0)
    assert list(factor(top, "lived_experience").matched) == [lived_term]  # the person's own areas
    assert by_id[shared.opportunity_id].network_id == network
    assert draft.opportunity_id not in found.SerializeToString().decode(errors="ignore")

    theirs = matching.ranking.RecommendRoles(
        pb.RecommendRolesRequest(), metadata=as_leader(matching, someone), timeout=10
    )
    assert [r.opportunity_id for r in theirs.roles] == [mine.opportunity_id]
    assert lived_term.encode() not in theirs.SerializeToString()


def test_a_person_reads_only_their_own_row_of_the_projection(matching: MatchingClient) -> None:
    matching.trust("RRD")
    people = People(matching, "RRD")
    me, other = people.add(), people.add()
    table = sa.table("candidates", sa.column("leader_id"))
    with scoped_transaction(matching.engine, TenantScope.leader(me)) as connection:
        seen = connection.execute(sa.select(table.c.leader_id).where(table.c.leader_id.in_([me, other]))).scalars()
        assert [str(s) for s in seen] == [me]


def test_a_trust_key_is_not_recommended_roles(matching: MatchingClient) -> None:
    key = matching.trust("RRE")
    with pytest.raises(grpc.RpcError) as refused:
        matching.ranking.RecommendRoles(pb.RecommendRolesRequest(), metadata=key, timeout=10)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
