"""A person's fit for a role, factor by factor, and the hard filters, on tables of cases."""

from __future__ import annotations

from dataclasses import replace

import pytest

from services.matching.domain.eligibility import Kind, Outcome, Rule
from services.matching.domain.opportunity import Details
from services.matching.domain.ranking import (
    WEIGHTS,
    Candidate,
    Exclusion,
    Factor,
    Fit,
    Load,
    access_score,
    availability_score,
    fit,
    interests_score,
    lived_experience_score,
    skills_score,
    travel_score,
)
from services.matching.domain.settings import MatchingSettings, Site
from services.matching.domain.terms import CheckType, Day, Level

SETTINGS = MatchingSettings("RJ1", sites=(Site("stt", "St Thomas'", ("SE1", "SE11")),))
ROLE = Details(
    title="Maternity voices partnership member",
    level=Level.LEVEL_3,
    required_skills=("chairing", "reviewing_documents"),
    desirable_skills=("data_analysis",),
    interests=("maternity", "digital"),
    lived_experience=("maternity_services",),
    sites=("stt",),
    hours_per_month=8,
    days=(Day.MON, Day.TUE),
    required_checks=(CheckType.DBS, CheckType.REFERENCES),
)
PERSON = Candidate(
    "ldr-1",
    active=True,
    contactable=True,
    skills=frozenset({"chairing", "reviewing_documents", "data_analysis"}),
    interests=frozenset({"maternity", "digital"}),
    lived_experience=frozenset({"maternity_services"}),
    hours_per_month=10,
    days=frozenset({"mon", "tue"}),
    modes=frozenset({"in_person"}),
    district="SE1",
    checks=frozenset({"dbs", "references"}),
)


def test_the_weights_add_up_to_one_and_a_perfect_fit_scores_one() -> None:
    assert sum(WEIGHTS.values()) == pytest.approx(1.0)
    found = fit(ROLE, PERSON, SETTINGS)
    assert isinstance(found, Fit)
    assert found.score == pytest.approx(1.0)
    assert [f.factor for f in found.factors] == list(Factor)
    assert found.checks_to_obtain == ()


SKILLS = [
    # person's skills, role (required, desirable), score, words
    ({"chairing", "reviewing_documents", "data_analysis"}, None, 1.0, "2 of 2 required skills and 1 of 1 desirable"),
    ({"chairing"}, None, 0.375, "1 of 2 required skills and 0 of 1 desirable"),
    ({"data_analysis"}, None, 0.25, "0 of 2 required"),
    (set(), ((), ()), 1.0, "asks for no particular skills"),
    ({"chairing"}, (("chairing",), ()), 1.0, "1 of 1 required skills"),
    (set(), ((), ("chairing",)), 0.0, "0 of 1 desirable skills"),
]


@pytest.mark.parametrize(("skills", "role", "score", "words"), SKILLS)
def test_the_skills_factor(skills: set[str], role: tuple | None, score: float, words: str) -> None:
    details = ROLE if role is None else replace(ROLE, required_skills=role[0], desirable_skills=role[1])
    found = skills_score(details, replace(PERSON, skills=frozenset(skills)))
    assert found.score == pytest.approx(score)
    assert words in found.reason


def test_lived_experience_counts_only_what_the_person_consented_to_and_says_the_same_without_consent() -> None:
    matched = lived_experience_score(ROLE, PERSON)
    assert (matched.score, matched.matched) == (1.0, ("maternity_services",))
    assert matched.reason == "matches a preferred lived-experience area"  # names no area: the api decides
    no_consent = lived_experience_score(ROLE, replace(PERSON, lived_experience=None))
    no_match = lived_experience_score(ROLE, replace(PERSON, lived_experience=frozenset({"cancer"})))
    assert no_consent == no_match
    assert no_consent.score == 0.0 and no_consent.matched == ()
    assert lived_experience_score(replace(ROLE, lived_experience=()), replace(PERSON, lived_experience=None)).score == 1


def test_interests_score_the_share_of_the_roles_interests() -> None:
    assert interests_score(ROLE, replace(PERSON, interests=frozenset({"digital"}))).score == 0.5
    assert interests_score(replace(ROLE, interests=()), replace(PERSON, interests=frozenset())).score == 1.0


AVAILABILITY = [
    # hours given, committed, days, score
    (10, 0, {"mon", "tue"}, 1.0),
    (4, 0, {"mon", "tue"}, 0.75),  # half the hours, every day
    (8, 0, {"wed"}, 0.5),  # the hours, no day
    (0, 0, set(), 0.5),  # nothing given: neither for nor against
    (12, 8, {"mon"}, 0.5),  # 4 hours left of 12 (half of 8), one day of two
]


@pytest.mark.parametrize(("hours", "committed", "days", "score"), AVAILABILITY)
def test_the_availability_factor(hours: int, committed: int, days: set[str], score: float) -> None:
    person = replace(PERSON, hours_per_month=hours, days=frozenset(days), load=Load(committed_hours=committed))
    assert availability_score(ROLE, person).score == pytest.approx(score)


TRAVEL = [
    ("SE1", False, 1.0, "locally"),
    ("SE5", False, 0.6, "same postcode area"),
    ("LS6", False, 0.2, "further"),
    (None, False, 0.2, "further"),
    ("not a district", False, 0.2, "further"),
    ("LS6", True, 1.0, "remotely"),
]


@pytest.mark.parametrize(("district", "remote", "score", "words"), TRAVEL)
def test_the_travel_factor_follows_the_trusts_travel_zones(
    district: str | None, remote: bool, score: float, words: str
) -> None:
    found = travel_score(replace(ROLE, remote=remote), replace(PERSON, district=district), SETTINGS)
    assert found.score == score and words in found.reason


ACCESS = [
    # role remote, role sites, person's modes, score
    (False, ("stt",), {"in_person"}, 1.0),
    (False, ("stt",), {"remote"}, 0.0),
    (True, (), {"remote"}, 1.0),
    (True, ("stt",), {"in_person"}, 1.0),
    (True, (), {"in_person"}, 0.0),
    (False, ("stt",), set(), 0.5),
]


@pytest.mark.parametrize(("remote", "sites", "modes", "score"), ACCESS)
def test_the_access_factor(remote: bool, sites: tuple[str, ...], modes: set[str], score: float) -> None:
    details = replace(ROLE, remote=remote, sites=sites)
    assert access_score(details, replace(PERSON, modes=frozenset(modes))).score == score


EXCLUDED = [
    (replace(PERSON, active=False), ROLE, Exclusion.NOT_ACTIVE),
    (replace(PERSON, contactable=False), ROLE, Exclusion.NOT_CONTACTABLE),
    (PERSON, replace(ROLE, eligibility_rules=(Rule(Kind.HAS_SKILL, "welsh"),)), Exclusion.INELIGIBLE),
    (replace(PERSON, hours_per_month=10, load=Load(committed_hours=4)), ROLE, Exclusion.NO_HOURS_LEFT),
]


@pytest.mark.parametrize(("person", "role", "why"), EXCLUDED)
def test_hard_filters_leave_a_person_out_with_a_reason(person: Candidate, role: Details, why: Exclusion) -> None:
    assert fit(role, person, SETTINGS) == why


def test_a_person_who_has_not_given_their_hours_is_not_left_out_for_them() -> None:
    assert isinstance(fit(ROLE, replace(PERSON, hours_per_month=0), SETTINGS), Fit)


def test_missing_checks_do_not_exclude_and_are_listed_to_obtain_before_the_start() -> None:
    found = fit(ROLE, replace(PERSON, checks=frozenset({"references"})), SETTINGS)
    assert isinstance(found, Fit) and found.checks_to_obtain == ("dbs",)


def test_a_rule_needing_a_declaration_or_screening_keeps_the_person_in_with_what_staff_need() -> None:
    rules = (Rule(Kind.NOT_NHS_EMPLOYEE), Rule(Kind.SCREENING_QUESTION, "Attended an induction?"))
    found = fit(replace(ROLE, eligibility_rules=rules), PERSON, SETTINGS)
    assert isinstance(found, Fit) and found.eligibility is Outcome.NEEDS_SCREENING
