"""The columnar projection and its fused scorer answer what the domain's ``rotation.rank`` answers: the
same people in the same order with the same fit, penalty and score, and the same exclusions, for random
people and roles (hypothesis), and after a person's row is changed or removed."""

from __future__ import annotations

import math
import random
from dataclasses import replace
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.matching.adapters.columnar import ColumnarCandidates, ColumnarRanking, hundredths, top_for_role
from services.matching.domain.eligibility import Kind, Rule
from services.matching.domain.opportunity import Details
from services.matching.domain.ranking import Candidate, Load
from services.matching.domain.rotation import Ranking, RotationPolicy, rank
from services.matching.domain.settings import MatchingSettings, Site
from services.matching.domain.terms import CheckType, Day, Level

TODAY = date(2026, 12, 1)
SETTINGS = MatchingSettings(
    "RJ1",
    sites=(
        Site("stt", "St Thomas'", ("SE1", "SE11")),
        Site("guys", "Guy's", ("SE1", "SE16")),
        Site("lgi", "Leeds General", ("LS1", "LS6")),
    ),
)
# more than 64 terms of each kind, so that people's terms span several words
SKILLS = [f"skill_{n}" for n in range(70)]
INTERESTS = [f"interest_{n}" for n in range(70)]
AREAS = [f"area_{n}" for n in range(70)]
DISTRICTS = ["SE1", "SE11", "SE16", "SE2", "LS6", "LS99", "ls6 ", "M1", "N1", "bad", ""]
DAYS = [d.value for d in Day] + ["someday"]
MODES = ["remote", "in_person", "by_letter"]
CHECKS = [c.value for c in CheckType]


def subset(pool: list[str], most: int) -> st.SearchStrategy[frozenset[str]]:
    return st.frozensets(st.sampled_from(pool), max_size=most)


def codes(pool: list[str], most: int) -> st.SearchStrategy[tuple[str, ...]]:
    # a role may name a term nobody holds (unknown to the projection): it counts, and never matches
    return st.lists(st.sampled_from([*pool[:12], "nobody_has_this"]), max_size=most, unique=True).map(tuple)


loads = st.builds(
    Load,
    concurrent_placements=st.integers(0, 4),
    committed_hours=st.integers(0, 50),
    last_placed=st.none() | st.integers(-30, 800).map(lambda days: TODAY - timedelta(days=days)),
    recent_offers=st.integers(0, 4),
)


@st.composite
def people(draw: st.DrawFn) -> list[Candidate]:
    count = draw(st.integers(0, 30))
    found = []
    for n in range(count):
        found.append(
            Candidate(
                f"ldr-{n}-{draw(st.text('abcdef0123456789', min_size=1, max_size=6))}",
                active=draw(st.booleans()),
                contactable=draw(st.booleans()),
                held=draw(st.booleans()),
                skills=draw(subset(SKILLS[:12], 6)),
                interests=draw(subset(INTERESTS[:12], 4)),
                lived_experience=draw(st.none() | subset(AREAS[:12], 3)),
                hours_per_month=draw(st.sampled_from([0, 0, 2, 4, 8, 16, 40, 60])),
                days=draw(subset(DAYS, 4)),
                modes=draw(subset(MODES, 2)),
                district=draw(st.none() | st.sampled_from(DISTRICTS)),
                checks=draw(subset(CHECKS, 5)),
                load=draw(loads),
            )
        )
    if draw(st.booleans()):  # one who holds every term, left out and not the trust's own: wide words
        found.append(
            Candidate(
                "ldr-everything",
                active=False,
                contactable=True,
                held=False,
                skills=frozenset(SKILLS),
                interests=frozenset(INTERESTS),
                lived_experience=frozenset(AREAS),
            )
        )
    return found


rules = st.lists(
    st.sampled_from(
        [
            Rule(Kind.LEADER_ACTIVE),
            Rule(Kind.HAS_SKILL, "skill_1"),
            Rule(Kind.HAS_SKILL, "skill_2"),
            Rule(Kind.HAS_SKILL, "nobody_has_this"),
            Rule(Kind.HOLDS_CHECK, "dbs"),
            Rule(Kind.HOLDS_CHECK, "references"),
            Rule(Kind.MIN_HOURS_PER_MONTH, "4"),
            Rule(Kind.MIN_HOURS_PER_MONTH, "10"),
            Rule(Kind.AGED_18_OR_OVER),
            Rule(Kind.NOT_NHS_EMPLOYEE),
            Rule(Kind.USED_SERVICE_WITHIN_YEARS, "3"),
            Rule(Kind.NOT_PREVIOUS_HOLDER),
            Rule(Kind.SCREENING_QUESTION, "Can you travel to Leeds?"),
        ]
    ),
    max_size=4,
    unique=True,
).map(tuple)


@st.composite
def roles(draw: st.DrawFn) -> Details:
    remote = draw(st.booleans())
    sites = tuple(draw(st.lists(st.sampled_from(["stt", "guys", "lgi"]), max_size=2, unique=True)))
    return Details(
        title="A role",
        level=Level.LEVEL_3,
        required_skills=draw(codes(SKILLS, 4)),
        desirable_skills=draw(codes(SKILLS, 3)),
        interests=draw(codes(INTERESTS, 3)),
        lived_experience=draw(codes(AREAS, 2)),
        sites=sites,
        remote=remote,
        hours_per_month=draw(st.sampled_from([0, 0, 2, 4, 8, 20])),
        days=tuple(draw(st.lists(st.sampled_from(list(Day)), max_size=3, unique=True))),
        eligibility_rules=draw(rules),
    )


policies = st.builds(
    RotationPolicy,
    recent_months=st.integers(0, 24),
    recent_placement_penalty=st.sampled_from([0.0, 0.15, 0.3]),
    concurrent_penalty=st.sampled_from([0.0, 0.05, 0.125]),
    offer_penalty=st.sampled_from([0.0, 0.04, 0.375]),
    max_penalty=st.sampled_from([0.0, 0.12, 0.5, 1.0]),
    max_concurrent_placements=st.integers(1, 5),
    max_hours_per_month=st.sampled_from([10, 40, 100]),
)


def assert_same(found: ColumnarRanking, expected: Ranking) -> None:
    assert [r.leader_id for r in found.ranked] == [r.fit.leader_id for r in expected.ranked]
    for mine, theirs in zip(found.ranked, expected.ranked, strict=True):
        assert math.isclose(mine.fit_score, theirs.fit.score, rel_tol=0, abs_tol=1e-9)
        assert math.isclose(mine.penalty, theirs.penalty.amount, rel_tol=0, abs_tol=1e-9)
        assert math.isclose(mine.score, theirs.score, rel_tol=0, abs_tol=1e-9)
    assert found.excluded == expected.excluded


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    people(),
    roles(),
    policies,
    st.text(max_size=8),
    st.integers(0, 12),
    st.booleans(),
    st.integers(1, 50),
    st.integers(1, 12),
)
def test_the_fused_scorer_ranks_as_the_domain_does(
    pool: list[Candidate],
    role: Details,
    policy: RotationPolicy,
    seed: str,
    limit: int,
    rotate: bool,
    chunk: int,
    buffer: int,
) -> None:
    projection = ColumnarCandidates.of(pool, TODAY, chunk=chunk)  # built a chunk at a time, as the bench's
    # a small buffer and blocks of 8: the kernel sets its floor, prunes by it and compacts among a few people
    found = top_for_role(projection, role, SETTINGS, policy, seed, limit, rotate, buffer, block=8)
    assert_same(found, rank(role, pool, SETTINGS, policy, TODAY, seed, limit, rotate))


def test_ties_at_the_last_place_are_broken_by_the_seeded_rotation_over_many_people() -> None:
    """More tied people than the kernel's first buffer holds: its floor, and the hash among the ties."""
    pool = [Candidate(f"ldr-{n}", active=True, contactable=True, district="SE1") for n in range(10_000)]
    role = Details(title="Anyone", level=Level.LEVEL_1, sites=("stt",))
    policy = RotationPolicy.of(SETTINGS)
    for seed in ("a", "b"):
        found = top_for_role(ColumnarCandidates.of(pool, TODAY), role, SETTINGS, policy, seed, 50)
        assert_same(found, rank(role, pool, SETTINGS, policy, TODAY, seed, 50))
        assert found.survivors == len(pool)


def test_a_wide_random_pool_ranks_as_the_domain_does() -> None:
    """Enough people for the kernel to raise its floor several times while it reads."""
    rnd = random.Random(7)
    pool = [
        Candidate(
            f"ldr-{n}",
            active=rnd.random() < 0.95,
            contactable=rnd.random() < 0.95,
            held=rnd.random() < 0.9,
            skills=frozenset(rnd.sample(SKILLS, rnd.randint(0, 6))),
            interests=frozenset(rnd.sample(INTERESTS, rnd.randint(0, 4))),
            lived_experience=frozenset(rnd.sample(AREAS, 2)) if rnd.random() < 0.7 else None,
            hours_per_month=rnd.choice([0, 8, 16, 30]),
            days=frozenset(rnd.sample(DAYS[:7], rnd.randint(0, 4))),
            modes=frozenset(rnd.sample(MODES[:2], rnd.randint(0, 2))),
            district=rnd.choice([*DISTRICTS, None]),
            load=Load(
                concurrent_placements=rnd.choice([0, 0, 0, 1, 2]),
                committed_hours=rnd.choice([0, 0, 4, 8]),
                last_placed=TODAY - timedelta(days=rnd.randint(0, 700)) if rnd.random() < 0.3 else None,
                recent_offers=rnd.choice([0, 0, 1]),
            ),
        )
        for n in range(20_000)
    ]
    role = Details(
        title="Working group",
        level=Level.LEVEL_3,
        required_skills=tuple(SKILLS[:3]),
        desirable_skills=tuple(SKILLS[60:62]),
        interests=tuple(INTERESTS[:2]),
        lived_experience=(AREAS[5],),
        sites=("stt",),
        hours_per_month=4,
        days=(Day.MON, Day.WED),
    )
    policy = RotationPolicy.of(SETTINGS)
    found = top_for_role(ColumnarCandidates.of(pool, TODAY), role, SETTINGS, policy, "opp-1", 200)
    assert_same(found, rank(role, pool, SETTINGS, policy, TODAY, "opp-1", 200))
    assert found.survivors < 2_000


def test_rules_of_declaration_and_screening_never_leave_anyone_out() -> None:
    pool = [Candidate(f"ldr-{n}", active=True, contactable=True) for n in range(5)]
    role = Details(
        title="Board",
        level=Level.LEVEL_4,
        remote=True,
        eligibility_rules=(Rule(Kind.AGED_18_OR_OVER), Rule(Kind.SCREENING_QUESTION, "Why this board?")),
    )
    found = top_for_role(ColumnarCandidates.of(pool, TODAY), role, SETTINGS, RotationPolicy(), "s", 50)
    assert sorted(r.leader_id for r in found.ranked) == [f"ldr-{n}" for n in range(5)]
    assert found.excluded == {}


def test_lived_experience_without_consent_holds_no_bits() -> None:
    consenting = Candidate("a", active=True, contactable=True, lived_experience=frozenset({"area_1"}))
    not_consenting = Candidate("b", active=True, contactable=True, lived_experience=None)
    projection = ColumnarCandidates.of([consenting, not_consenting], TODAY)
    assert projection.lived_experience.words[:, 0].any()
    assert not projection.lived_experience.words[:, 1].any()


def test_a_changed_or_removed_person_ranks_as_the_domain_does_after_the_change() -> None:
    pool = [
        Candidate(f"ldr-{n}", active=True, contactable=True, skills=frozenset({SKILLS[n % 5]}), district="SE1")
        for n in range(30)
    ]
    role = Details(title="Chair", level=Level.LEVEL_3, required_skills=(SKILLS[0], "skill_69"), sites=("stt",))
    policy = RotationPolicy.of(SETTINGS)
    projection = ColumnarCandidates.of(pool, TODAY)
    # a new skill past the first word (the projection knew 5 skills), a withdrawn consent, a new person
    changed = replace(pool[3], skills=frozenset(SKILLS), lived_experience=None)
    newcomer = Candidate("ldr-new", active=True, contactable=True, skills=frozenset({"skill_69"}), district="SE11")
    pool[3] = changed
    projection.put(changed)
    projection.put(newcomer)
    pool.append(newcomer)
    projection.remove("ldr-0")
    pool = [c for c in pool if c.leader_id != "ldr-0"]
    found = top_for_role(projection, role, SETTINGS, policy, "opp-9", 10)
    assert_same(found, rank(role, pool, SETTINGS, policy, TODAY, "opp-9", 10))
    assert found.ranked[0].leader_id == "ldr-3"
    assert projection.skills.words.shape[0] == 2


def test_the_kernel_rounds_to_hundredths_exactly_as_python_does() -> None:
    rnd = random.Random(3)
    values = [rnd.uniform(-0.2, 1.1) for _ in range(20_000)]
    # the midpoints between hundredths and their neighbours: 0.125 is exact in binary, 0.285 is not
    for n in range(-25, 221):
        middle = n / 200
        values += [middle, math.nextafter(middle, -1), math.nextafter(middle, 2)]
    values += [0.0, -0.0, 1.0, -0.12, 0.875, 1.0000000000000002]
    for x in values:
        assert hundredths(x) / 100 == round(x, 2), x


def test_people_whose_best_possible_score_is_the_floor_are_still_ranked() -> None:
    """A remote role asking only for skills, of people taking part remotely: each person's bound (the
    other factors full, no penalty) is their score, so a bound pruned a hundredth too eagerly shows."""
    rnd = random.Random(11)
    pool = [
        Candidate(
            f"ldr-{n}",
            active=True,
            contactable=True,
            skills=frozenset(rnd.sample(SKILLS[:4], rnd.randint(0, 4))),
            modes=frozenset({"remote"}),
        )
        for n in range(60)
    ]
    role = Details(title="Remote reviewer", level=Level.LEVEL_2, required_skills=tuple(SKILLS[:4]), remote=True)
    for limit in (1, 3, 10, 40):
        projection = ColumnarCandidates.of(pool, TODAY)
        found = top_for_role(projection, role, SETTINGS, RotationPolicy(), "s", limit, buffer=1, block=8)
        assert_same(found, rank(role, pool, SETTINGS, RotationPolicy(), TODAY, "s", limit))
