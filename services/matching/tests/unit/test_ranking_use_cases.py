"""Ranking through the use cases on the fakes: who a trust's ranking holds, what it shows of a person
found through a network, and the concentration report."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from services.common.errors import NotFound, PermissionDenied, PreconditionFailed
from services.common.principals import Principal
from services.matching.domain import commands
from services.matching.domain.eligibility import Kind, Rule
from services.matching.domain.opportunity import Details, Opportunity
from services.matching.domain.ranking import Candidate, Exclusion, Factor, Load
from services.matching.domain.settings import MatchingSettings, Site
from services.matching.domain.terms import Level
from services.matching.service_layer import opportunities, ranking
from services.matching.service_layer.ranking import CandidateRanking
from services.matching.tests.unit.fakes import FakeUnitOfWork, World

NOW = datetime(2026, 12, 2, 10, tzinfo=UTC)
A, B = (Principal("trust", f"key-{t}", trust_ods=t) for t in ("RTA", "RTB"))
ROLE = Details(
    title="Maternity working group",
    level=Level.LEVEL_3,
    required_skills=("chairing",),
    lived_experience=("maternity",),
    sites=("main",),
)
PERSON = Candidate(
    "ldr-1",
    active=True,
    contactable=True,
    skills=frozenset({"chairing"}),
    lived_experience=frozenset({"maternity"}),
    district="LS1",
    modes=frozenset({"in_person"}),
)


@pytest.fixture
def world() -> World:
    w = World()
    for trust in ("RTA", "RTB"):
        w.settings[trust] = MatchingSettings(trust, sites=(Site("main", "Main site", ("LS1",)),), version=1)
    w.members |= {("north", "RTA"), ("north", "RTB")}
    return w


def role(world: World, principal: Principal = A, details: Details = ROLE, publish: bool = True) -> Opportunity:
    unit = FakeUnitOfWork(world, principal.scope)
    made = opportunities.create_opportunity(
        commands.CreateOpportunity(details), unit, principal, lambda: NOW, lambda: f"opp-{len(world.opportunities)}"
    ).opportunity
    if publish:
        command = commands.PublishOpportunity(made.opportunity_id, made.version)
        unit = FakeUnitOfWork(world, principal.scope)
        made = opportunities.publish_opportunity(command, unit, principal, lambda: NOW)
    return made


def ranked(world: World, opportunity: Opportunity, principal: Principal = A, limit: int = 50) -> CandidateRanking:
    command = commands.RankCandidates(opportunity.opportunity_id, limit)
    return ranking.rank_candidates(command, FakeUnitOfWork(world, principal.scope), principal, lambda: NOW)


def test_a_trusts_people_are_ranked_with_each_factor_and_its_lived_experience_areas(world: World) -> None:
    world.held[("RTA", "ldr-1")] = PERSON
    world.held[("RTA", "ldr-2")] = replace(PERSON, leader_id="ldr-2", skills=frozenset())
    found = ranked(world, role(world))
    assert [r.fit.leader_id for r in found.ranked] == ["ldr-1", "ldr-2"]
    lived = next(f for f in found.ranked[0].fit.factors if f.factor is Factor.LIVED_EXPERIENCE)
    assert lived.matched == ("maternity",) and found.network_candidates == frozenset()
    assert found.considered == 2


def test_a_person_found_through_the_roles_network_is_ranked_without_their_lived_experience_areas(
    world: World,
) -> None:
    world.held[("RTB", "ldr-9")] = replace(PERSON, leader_id="ldr-9")  # RTB's person, shared with north
    world.shared[("north", "ldr-9")] = replace(PERSON, leader_id="ldr-9")
    found = ranked(world, role(world, details=replace(ROLE, network_id="north")))
    assert [r.fit.leader_id for r in found.ranked] == ["ldr-9"]
    assert found.network_candidates == {"ldr-9"}
    lived = next(f for f in found.ranked[0].fit.factors if f.factor is Factor.LIVED_EXPERIENCE)
    assert lived.score == 1.0 and lived.matched == () and "matches a preferred" in lived.reason


def test_a_role_not_published_to_a_network_ranks_only_the_trusts_own_people(world: World) -> None:
    world.shared[("north", "ldr-9")] = replace(PERSON, leader_id="ldr-9")
    assert ranked(world, role(world)).ranked == ()


def test_exclusions_count_only_the_trusts_own_people(world: World) -> None:
    world.held[("RTA", "ldr-1")] = replace(PERSON, active=False)
    world.shared[("north", "ldr-9")] = replace(PERSON, leader_id="ldr-9", active=False)
    found = ranked(world, role(world, details=replace(ROLE, network_id="north")))
    assert found.excluded == {Exclusion.NOT_ACTIVE: 1}
    assert found.considered == 1  # nor does the count before the filters say another trust's person is paused


def test_another_trusts_role_cannot_be_ranked_even_one_it_may_see(world: World) -> None:
    shared = role(world, B, replace(ROLE, network_id="north"))
    with pytest.raises(NotFound) as seen:
        ranked(world, shared, A)
    with pytest.raises(NotFound) as unknown:
        ranked(world, replace(shared, opportunity_id="opp-none"), A)
    assert str(seen.value).replace(shared.opportunity_id, "x") == str(unknown.value).replace("opp-none", "x")


def test_a_withdrawn_role_is_not_ranked(world: World) -> None:
    made = role(world)
    command = commands.WithdrawOpportunity(made.opportunity_id, made.version, "no longer needed")
    opportunities.withdraw_opportunity(command, FakeUnitOfWork(world, A.scope), A, lambda: NOW)
    with pytest.raises(PreconditionFailed, match="withdrawn"):
        ranked(world, made)


def test_only_a_trust_ranks(world: World) -> None:
    made = role(world)
    leader = Principal("leader", "portal", leader_id="8c1f4f7e-3a52-4d2b-9b61-2f0e6f4f1a10")
    with pytest.raises(PermissionDenied):
        ranked(world, made, leader)


def test_the_concentration_report_counts_the_trusts_own_peoples_recent_placements(world: World) -> None:
    for n in range(9):
        world.held[("RTA", f"ldr-{n}")] = replace(PERSON, leader_id=f"ldr-{n}")
    world.held[("RTA", "ldr-busy")] = replace(PERSON, leader_id="ldr-busy")
    world.held[("RTB", "ldr-busy")] = replace(PERSON, leader_id="ldr-busy")
    world.placed[("RTA", "ldr-busy")] = 5
    world.placed[("RTB", "ldr-busy")] = 7  # another trust's placements of the person both hold
    world.shared[("north", "ldr-x")] = replace(PERSON, leader_id="ldr-x")
    world.placed[("RTA", "ldr-x")] = 50  # not the trust's own person
    found, window = ranking.concentration_report(
        commands.GetConcentrationReport(), FakeUnitOfWork(world, A.scope), A, lambda: NOW
    )
    assert (found.people, found.placements, found.top_decile_share, window) == (10, 5, 1.0, 12)


def test_what_a_person_already_does_lowers_them_with_its_reasons(world: World) -> None:
    world.held[("RTA", "ldr-1")] = PERSON
    world.held[("RTA", "ldr-2")] = replace(PERSON, leader_id="ldr-2")
    world.loads["ldr-1"] = Load(concurrent_placements=1, recent_offers=1)
    found = ranked(world, role(world))
    assert [r.fit.leader_id for r in found.ranked] == ["ldr-2", "ldr-1"]
    assert found.ranked[1].penalty.reasons == ("holds 1 role now", "offered 1 role recently")


PERSON_ID = "8c1f4f7e-3a52-4d2b-9b61-2f0e6f4f1a10"
ME = Principal("leader", "portal", leader_id=PERSON_ID)


def recommended(world: World, principal: Principal = ME) -> list[str]:
    _, found = ranking.recommend_roles(
        commands.RecommendRoles(20), FakeUnitOfWork(world, principal.scope), principal, lambda: NOW
    )
    return [r.opportunity.details.title for r in found]


def test_a_person_is_recommended_their_trusts_and_networks_open_roles_best_first_with_their_own_areas(
    world: World,
) -> None:
    me = replace(PERSON, leader_id=PERSON_ID, contactable=False)  # recommendations are theirs to see
    world.held[("RTA", PERSON_ID)] = me
    world.shared[("north", PERSON_ID)] = me
    role(world, A, replace(ROLE, title="A: maternity"))
    role(world, A, replace(ROLE, title="A: draft"), publish=False)
    role(world, A, replace(ROLE, title="A: governance", required_skills=("governance",), lived_experience=()))
    role(world, B, replace(ROLE, title="B: network", network_id="north"))
    role(world, B, replace(ROLE, title="B: own"))
    assert recommended(world) == ["A: maternity", "B: network", "A: governance"]
    _, found = ranking.recommend_roles(commands.RecommendRoles(1), FakeUnitOfWork(world, ME.scope), ME, lambda: NOW)
    lived = next(f for f in found[0].fit.factors if f.factor is Factor.LIVED_EXPERIENCE)
    assert lived.matched == ("maternity",)


def test_a_role_whose_rules_rule_the_person_out_or_has_closed_is_not_recommended(world: World) -> None:
    world.held[("RTA", PERSON_ID)] = replace(PERSON, leader_id=PERSON_ID)
    ruled_out = replace(ROLE, title="Welsh only", eligibility_rules=(Rule(Kind.HAS_SKILL, "governance"),))
    role(world, A, ruled_out)
    role(world, A, replace(ROLE, title="Closing", closing_date=NOW.date()))
    assert recommended(world) == ["Closing"]
    later = datetime(2026, 12, 3, 10, tzinfo=UTC)
    _, found = ranking.recommend_roles(commands.RecommendRoles(20), FakeUnitOfWork(world, ME.scope), ME, lambda: later)
    assert found == ()


def test_only_the_person_is_recommended_roles(world: World) -> None:
    with pytest.raises(PermissionDenied):
        recommended(world, A)
