"""Matching part 2's fairness acceptance, through the api on PostgreSQL, with a fixed seed: 100 similar
roles ranked in sequence over a trust of 1,000 people projected from registry's events, each role
offered to its top 5 and its first placed, fed in as recruitment's events between rankings. No person
is in the top 5 of more than 20% of the roles, and each top 5's mean skill score is at least 90% of the
top 5 ranked without the rotation penalty (the same people, on the same day)."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from dataclasses import replace
from datetime import date

import pytest
from plr.matching.v1 import matching_pb2 as mpb
from plr.matching.v1 import ranking_pb2 as pb

from services.common.db import scoped_transaction
from services.common.tenancy import TenantScope
from services.matching.adapters.candidates import SqlCandidatePool
from services.matching.adapters.placement_load import SqlPlacementLoads, record_offer_made, record_placement_started
from services.matching.domain.ranking import Factor
from services.matching.domain.rotation import RotationPolicy, rank
from services.matching.domain.settings import MatchingSettings, Site
from services.matching.entrypoints.grpc_opportunities import CREATE, details_from
from services.matching.tests.integration.conftest import SITES, MatchingClient
from services.matching.tests.integration.test_placement_load import offer, placement
from services.matching.tests.integration.test_ranking_api import People
from services.matching.tests.unit.test_rotation import SKILL_POOL

pytestmark = pytest.mark.integration
ODS = "RFA"
PEOPLE, ROLES, TOP = 1000, 100, 5


def person(rng: random.Random) -> dict:  # type: ignore[type-arg]
    return {
        "skills": rng.sample(SKILL_POOL, rng.randint(1, 5)),
        "interests": rng.sample(("maternity", "digital", "cancer", "mental_health"), 2),
        "hours_per_month": rng.choice((0, 8, 12, 16, 24)),
        "modes": rng.sample(("remote", "in_person"), rng.randint(1, 2)),
        "postcode_district": rng.choice(("LS1", "LS6", "LS11", "SE1", "")),
    }


def role_details(n: int, rng: random.Random) -> mpb.OpportunityDetails:
    required = rng.sample(SKILL_POOL[:3], 2)
    desirable = rng.sample([s for s in SKILL_POOL if s not in required], 1)
    return mpb.OpportunityDetails(
        title=f"Working group member {n}",
        level="level_3",
        required_skills=required,
        desirable_skills=desirable,
        interests=["maternity"],
        sites=["main"],
        remote=rng.random() < 0.5,
        hours_per_month=4,
        places=1,
    )


def skill_mean(ranked: tuple) -> float:  # type: ignore[type-arg]
    scores = [next(f.score for f in r.fit.factors if f.factor is Factor.SKILLS) for r in ranked]
    return sum(scores) / len(scores)


def test_a_hundred_similar_roles_over_a_thousand_people_reach_new_people_and_keep_the_skills(
    matching: MatchingClient,
) -> None:
    for code in SKILL_POOL:
        matching.term(f"term-fair-{code}", "skill", code)
    matching.term("term-fair-maternity", "interest", "maternity")
    key = matching.trust(ODS, sites=SITES)
    people = People(matching, ODS)
    rng = random.Random(20261202)
    ids = [people.add(**person(rng)) for _ in range(PEOPLE)]
    settings = MatchingSettings(ODS, sites=(Site("main", "Main site", ("LS1",)),))
    today = date.today()
    in_top: Counter[str] = Counter()
    for n in range(ROLES):
        made = matching.publish(key, matching.create(key, role_details(n, rng)))
        found = matching.ranking.RankCandidates(
            pb.RankCandidatesRequest(opportunity_id=made.opportunity_id, limit=TOP), metadata=key, timeout=30
        )
        top = [c.leader_id for c in found.candidates]
        assert len(top) == TOP
        # the same role ranked without the penalty, on the same people and day (the domain's rules)
        with scoped_transaction(matching.engine, TenantScope.trust(ODS)) as connection:
            pool = SqlCandidatePool(connection).for_trust(ODS, frozenset(), today)
            loads = SqlPlacementLoads(connection).of([c.leader_id for c in pool], today, 12)
        everyone = [replace(c, load=loads[c.leader_id]) if c.leader_id in loads else c for c in pool]
        details = details_from(CREATE.parse(mpb.CreateOpportunityRequest(details=made.details))["details"])
        policy = RotationPolicy.of(settings)
        rotated = rank(details, everyone, settings, policy, today, made.opportunity_id, TOP)
        plain = rank(details, everyone, settings, policy, today, made.opportunity_id, TOP, rotate=False)
        assert [r.fit.leader_id for r in rotated.ranked] == top  # the api ranks as the rules say
        assert skill_mean(rotated.ranked) >= 0.9 * skill_mean(plain.ranked), f"role {n}"
        in_top.update(top)
        # the trust offers the role to its top 5 and places the first: recruitment's events
        for position, leader in enumerate(top):
            matching.apply_in_scope(record_offer_made, offer(leader, today.isoformat(), ods=ODS))
            if position == 0:
                started = placement(leader, str(uuid.uuid4()), today.isoformat(), hours=4)
                matching.apply_in_scope(record_placement_started, started)
    leader, count = in_top.most_common(1)[0]
    assert count <= ROLES // 5, f"{leader} was in the top 5 of {count} of {ROLES} roles"
    assert len(in_top) >= ROLES  # the roles reached many people, not a few
    assert set(in_top) <= set(ids)
