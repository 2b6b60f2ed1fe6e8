"""How well a person fits a role, factor by factor, and who is left out before scoring and why.

A ranking is three steps, each with its reason in words:
1. **Hard filters** leave a person out: not active or paused (by the person or with this trust), no
   consent to be contacted by the trust (or found through its network), an eligibility rule a known
   fact fails, too few hours left each month, or the trust's workload cap reached (``rotation.py``).
2. **Fit**: a score from 0 to 1 per factor (``Factor``), weighted (``WEIGHTS``) into one. A factor the
   role does not ask about scores 1 for everyone, so it never reorders people. Checks the person lacks
   do not exclude: they are listed as "to obtain before the start".
3. **Fair rotation** (``rotation.py``) takes a penalty off the fit and breaks ties by a seeded order.

Lived experience is a factor only while the person consents to its use in matching: the projection
holds ``None`` otherwise, and the factor then scores as if nothing matched. Equality data is never an
input: ``Candidate`` has no field for it, by construction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from services.matching.domain.eligibility import Facts, Outcome, Rule, evaluate
from services.matching.domain.opportunity import Details
from services.matching.domain.settings import Distance, MatchingSettings, distance


class Factor(StrEnum):
    SKILLS = "skills"
    LIVED_EXPERIENCE = "lived_experience"
    INTERESTS = "interests"
    AVAILABILITY = "availability"
    TRAVEL = "travel"
    ACCESS = "access"


# how much each factor counts (they add up to 1); skills first, as trusts rank by them
WEIGHTS: Mapping[Factor, float] = {
    Factor.SKILLS: 0.40,
    Factor.LIVED_EXPERIENCE: 0.15,
    Factor.INTERESTS: 0.10,
    Factor.AVAILABILITY: 0.15,
    Factor.TRAVEL: 0.10,
    Factor.ACCESS: 0.10,
}
# of the skills factor: the required skills' share, the desirable ones' the rest
REQUIRED_SHARE = 0.75
# the travel factor by distance in the trust's travel zones
TRAVEL_SCORE: Mapping[Distance, float] = {
    Distance.REMOTE: 1.0,
    Distance.LOCAL: 1.0,
    Distance.SAME_AREA: 0.6,
    Distance.OTHER: 0.2,
}
UNKNOWN_SCORE = 0.5  # a fact the person has not given: neither for nor against them


class Exclusion(StrEnum):
    """Why a person is left out before scoring."""

    NOT_ACTIVE = "not_active"
    NOT_CONTACTABLE = "not_contactable"
    INELIGIBLE = "ineligible"
    NO_HOURS_LEFT = "no_hours_left"
    WORKLOAD_CAP = "workload_cap"


EXCLUSION_WORDS: Mapping[Exclusion, str] = {
    Exclusion.NOT_ACTIVE: "paused or not active",
    Exclusion.NOT_CONTACTABLE: "has not agreed to be contacted by this trust",
    Exclusion.INELIGIBLE: "an eligibility rule rules them out",
    Exclusion.NO_HOURS_LEFT: "has fewer hours left each month than the role needs",
    Exclusion.WORKLOAD_CAP: "would hold more roles at once, or more hours a month in roles, than the trust allows",
}


@dataclass(frozen=True)
class Load:
    """What a person already does: from recruitment's events (offers and placements) once they exist."""

    concurrent_placements: int = 0
    committed_hours: int = 0  # hours a month in current placements
    last_placed: date | None = None
    recent_offers: int = 0  # offers in the trust's recent window


@dataclass(frozen=True)
class Candidate:
    """One person as matching's projection holds them, for one trust's ranking."""

    leader_id: str
    active: bool  # neither paused nor withdrawn, by the person or with the ranking trust
    contactable: bool  # may be contacted by the ranking trust, or found through its network
    # the ranking trust holds the person through an affiliation (False: found through a network, so
    # the trust sees neither who they are nor their lived-experience areas)
    held: bool = True
    skills: frozenset[str] = frozenset()
    interests: frozenset[str] = frozenset()
    lived_experience: frozenset[str] | None = None  # None: no consent to its use in matching
    hours_per_month: int = 0  # 0: not given
    days: frozenset[str] = frozenset()
    modes: frozenset[str] = frozenset()  # "remote", "in_person"; empty: not given
    district: str | None = None
    checks: frozenset[str] = frozenset()  # check types valid on the ranking's date
    load: Load = Load()


@dataclass(frozen=True)
class FactorScore:
    factor: Factor
    score: float  # 0 to 1
    reason: str
    # what of the person's profile matched, by code (lived experience: shown only where allowed)
    matched: tuple[str, ...] = ()


@dataclass(frozen=True)
class Fit:
    leader_id: str
    score: float  # the weighted sum of the factors, 0 to 1
    factors: tuple[FactorScore, ...]
    eligibility: Outcome  # eligible, or what staff still need (a declaration, a screening)
    checks_to_obtain: tuple[str, ...]


def _share(wanted: frozenset[str] | tuple[str, ...], held: frozenset[str]) -> tuple[float, tuple[str, ...]]:
    matched = tuple(sorted(set(wanted) & held))
    return len(matched) / len(wanted), matched


def skills_score(d: Details, c: Candidate) -> FactorScore:
    if not d.required_skills and not d.desirable_skills:
        return FactorScore(Factor.SKILLS, 1.0, "the role asks for no particular skills")
    parts: list[tuple[float, float]] = []
    matched: list[str] = []
    words: list[str] = []
    for wanted, share, name in (
        (d.required_skills, REQUIRED_SHARE, "required"),
        (d.desirable_skills, 1 - REQUIRED_SHARE, "desirable"),
    ):
        if wanted:
            fraction, found = _share(wanted, c.skills)
            parts.append((fraction, share))
            matched.extend(found)
            words.append(f"{len(found)} of {len(wanted)} {name} skills")
    total = sum(share for _, share in parts)
    score = sum(fraction * share for fraction, share in parts) / total
    return FactorScore(Factor.SKILLS, score, "has " + " and ".join(words), tuple(matched))


def lived_experience_score(d: Details, c: Candidate) -> FactorScore:
    if not d.lived_experience:
        return FactorScore(Factor.LIVED_EXPERIENCE, 1.0, "the role names no preferred lived-experience area")
    matched = tuple(sorted(set(d.lived_experience) & (c.lived_experience or frozenset())))
    if matched:
        return FactorScore(Factor.LIVED_EXPERIENCE, 1.0, "matches a preferred lived-experience area", matched)
    # the same words whether the person has no such area or has not agreed to its use
    return FactorScore(Factor.LIVED_EXPERIENCE, 0.0, "no preferred lived-experience area is known to match")


def interests_score(d: Details, c: Candidate) -> FactorScore:
    if not d.interests:
        return FactorScore(Factor.INTERESTS, 1.0, "the role names no particular interests")
    fraction, matched = _share(d.interests, c.interests)
    return FactorScore(Factor.INTERESTS, fraction, f"shares {len(matched)} of {len(d.interests)} interests", matched)


def availability_score(d: Details, c: Candidate) -> FactorScore:
    parts, words = [], []
    if d.hours_per_month:
        if not c.hours_per_month:
            parts.append(UNKNOWN_SCORE)
            words.append("has not said how many hours they can give")
        else:
            parts.append(min(1.0, free_hours(c) / d.hours_per_month))
            words.append(f"has {free_hours(c)} of the {d.hours_per_month} hours a month free")
    if d.days:
        wanted = {day.value for day in d.days}
        if not c.days:
            parts.append(UNKNOWN_SCORE)
            words.append("has not said which days suit them")
        else:
            fraction, found = _share(frozenset(wanted), c.days)
            parts.append(fraction)
            words.append(f"is free on {len(found)} of the role's {len(wanted)} days")
    if not parts:
        return FactorScore(Factor.AVAILABILITY, 1.0, "the role asks for no particular hours or days")
    return FactorScore(Factor.AVAILABILITY, sum(parts) / len(parts), "; ".join(words))


def travel_score(d: Details, c: Candidate, settings: MatchingSettings) -> FactorScore:
    how_far = distance(c.district, d.sites, d.remote, settings)
    words = {
        Distance.REMOTE: "the role can be done remotely",
        Distance.LOCAL: "lives locally to one of the role's sites",
        Distance.SAME_AREA: "lives in the same postcode area as one of the role's sites",
        Distance.OTHER: "lives further from the role's sites, or has not given a postcode",
    }[how_far]
    return FactorScore(Factor.TRAVEL, TRAVEL_SCORE[how_far], words)


def access_score(d: Details, c: Candidate) -> FactorScore:
    """Whether the way the role is done suits the way the person can take part."""
    if not c.modes:
        return FactorScore(Factor.ACCESS, UNKNOWN_SCORE, "has not said whether they take part remotely or in person")
    if d.remote and "remote" in c.modes:
        return FactorScore(Factor.ACCESS, 1.0, "takes part remotely, as this role allows")
    if d.sites and "in_person" in c.modes:
        return FactorScore(Factor.ACCESS, 1.0, "takes part in person, as this role needs")
    return FactorScore(Factor.ACCESS, 0.0, "the way this role is done does not suit how they take part")


def free_hours(c: Candidate) -> int:
    return max(0, c.hours_per_month - c.load.committed_hours)


def exclusion(d: Details, c: Candidate, eligibility: Outcome) -> Exclusion | None:
    """Why the person is left out of this role's ranking, or None (the workload cap is rotation's)."""
    if not c.active:
        return Exclusion.NOT_ACTIVE
    if not c.contactable:
        return Exclusion.NOT_CONTACTABLE
    if eligibility is Outcome.INELIGIBLE:
        return Exclusion.INELIGIBLE
    if d.hours_per_month and c.hours_per_month and free_hours(c) < d.hours_per_month:
        return Exclusion.NO_HOURS_LEFT
    return None


def facts_of(c: Candidate) -> Facts:
    """The eligibility facts matching's projection knows of the person (declarations come with an
    application, screening from staff: unknown here)."""
    return Facts(
        active=c.active,
        skills=c.skills,
        checks=c.checks,
        hours_per_month=c.hours_per_month or None,
    )


def eligibility_of(rules: tuple[Rule, ...], c: Candidate) -> Outcome:
    return evaluate(rules, facts_of(c))[0]


def fit(d: Details, c: Candidate, settings: MatchingSettings) -> Fit | Exclusion:
    """The person's fit for the role, or why they are left out."""
    eligibility = eligibility_of(d.eligibility_rules, c)
    left_out = exclusion(d, c, eligibility)
    if left_out is not None:
        return left_out
    factors = (
        skills_score(d, c),
        lived_experience_score(d, c),
        interests_score(d, c),
        availability_score(d, c),
        travel_score(d, c, settings),
        access_score(d, c),
    )
    score = sum(WEIGHTS[f.factor] * f.score for f in factors)
    to_obtain = tuple(check.value for check in d.required_checks if check.value not in c.checks)
    return Fit(c.leader_id, score, factors, eligibility, to_obtain)
