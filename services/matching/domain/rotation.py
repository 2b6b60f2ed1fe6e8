"""Fair rotation: so that the same few people are not asked again and again.

A ranking's order is the fit (``ranking.py``) less a **rotation penalty** for what the person already
does: a placement that started recently (the penalty shrinks to nothing over the trust's recent
window), each placement they hold now, and each offer made to them in the recent window, up to a
ceiling (``max_penalty``) so that a role still goes to people with the skills it needs. A person at
the trust's **workload cap** (roles at once, or hours a month in placements) is left out. Scores equal
to ``TIE_DECIMALS`` places are ordered by a **seeded rotation**: a hash of the seed and the person's id,
so a tie is broken differently for every role, and the same way each time for one role.

The parameters are the trust's (``MatchingSettings``); ``RotationPolicy``'s defaults are documented in
docs/matching.md. The concentration report says how concentrated a trust's placements are: the share
held by the top 10% of people, and the Gini coefficient (0: every person holds as many; near 1: one
person holds them all).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from services.matching.domain.opportunity import Details
from services.matching.domain.ranking import Candidate, Exclusion, Fit, fit
from services.matching.domain.settings import (
    DEFAULT_MAX_CONCURRENT,
    DEFAULT_MAX_HOURS,
    DEFAULT_ROTATION_CEILING_PERCENT,
    MatchingSettings,
)

DAYS_A_MONTH = 30.44
TIE_DECIMALS = 2
RANKED_MAX = 200


@dataclass(frozen=True)
class RotationPolicy:
    recent_months: int = 12  # a placement counts as recent for this long
    recent_placement_penalty: float = 0.15  # for a placement that started today; none after recent_months
    concurrent_penalty: float = 0.05  # for each placement held now
    offer_penalty: float = 0.04  # for each offer in the recent window
    # the most a penalty takes off: a fresh person overtakes one whose fit is at most this much better,
    # so rotation reaches new people without trading away the skills a role needs
    max_penalty: float = DEFAULT_ROTATION_CEILING_PERCENT / 100
    max_concurrent_placements: int = DEFAULT_MAX_CONCURRENT  # the workload cap in roles
    max_hours_per_month: int = DEFAULT_MAX_HOURS  # the workload cap in hours a month of placements

    @classmethod
    def of(cls, settings: MatchingSettings) -> RotationPolicy:
        return cls(
            recent_months=settings.recent_placement_months,
            max_concurrent_placements=settings.max_concurrent_placements,
            max_hours_per_month=settings.max_hours_per_month,
            max_penalty=settings.rotation_ceiling_percent / 100,
        )


@dataclass(frozen=True)
class Penalty:
    amount: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Ranked:
    fit: Fit
    penalty: Penalty
    score: float  # the fit less the penalty


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def roles(count: int) -> str:
    return plural(count, "role")


def penalty(c: Candidate, today: date, policy: RotationPolicy) -> Penalty:
    load, amount, reasons = c.load, 0.0, []
    if load.last_placed is not None and policy.recent_months > 0:
        months = max(0.0, (today - load.last_placed).days / DAYS_A_MONTH)
        if months < policy.recent_months:
            amount += policy.recent_placement_penalty * (1 - months / policy.recent_months)
            reasons.append("placed this month" if months < 1 else f"placed {plural(int(months), 'month')} ago")
    if load.concurrent_placements:
        amount += policy.concurrent_penalty * load.concurrent_placements
        reasons.append(f"holds {roles(load.concurrent_placements)} now")
    if load.recent_offers:
        amount += policy.offer_penalty * load.recent_offers
        reasons.append(f"offered {roles(load.recent_offers)} recently")
    return Penalty(min(amount, policy.max_penalty), tuple(reasons))


def at_workload_cap(details: Details, c: Candidate, policy: RotationPolicy) -> bool:
    hours = c.load.committed_hours + details.hours_per_month
    return c.load.concurrent_placements >= policy.max_concurrent_placements or hours > policy.max_hours_per_month


def tie_breaker(seed: str, leader_id: str) -> bytes:
    return hashlib.blake2b(f"{seed}\x00{leader_id}".encode(), digest_size=8).digest()


def order_key(seed: str, ranked: Ranked) -> tuple[float, bytes]:
    return (-round(ranked.score, TIE_DECIMALS), tie_breaker(seed, ranked.fit.leader_id))


@dataclass(frozen=True)
class Ranking:
    ranked: tuple[Ranked, ...]
    excluded: dict[Exclusion, int]  # how many of the trust's own people each hard filter left out


def rank(
    details: Details,
    candidates: Iterable[Candidate],
    settings: MatchingSettings,
    policy: RotationPolicy,
    today: date,
    seed: str,
    limit: int = 50,
    rotate: bool = True,
) -> Ranking:
    """The ``limit`` best people for a role, in order, each with their fit, penalty and reasons.
    ``rotate=False`` ranks by fit alone (what the fairness report compares against)."""
    ranked: list[Ranked] = []
    excluded: dict[Exclusion, int] = {}
    for c in candidates:
        found = fit(details, c, settings)
        if isinstance(found, Fit) and at_workload_cap(details, c, policy):
            found = Exclusion.WORKLOAD_CAP
        if isinstance(found, Exclusion):
            if c.held:  # people found through a network are another trust's to count
                excluded[found] = excluded.get(found, 0) + 1
            continue
        cost = penalty(c, today, policy) if rotate else Penalty(0.0, ())
        ranked.append(Ranked(found, cost, found.score - cost.amount))
    ranked.sort(key=lambda r: order_key(seed, r))
    return Ranking(tuple(ranked[: min(limit, RANKED_MAX)]), excluded)


@dataclass(frozen=True)
class Concentration:
    people: int
    placements: int
    top_decile_share: float  # of all placements, the share the top 10% of people hold
    gini: float


def concentration(placements_per_person: Sequence[int]) -> Concentration:
    """How concentrated placements are over a trust's people (each person's count, zeros included)."""
    counts = sorted(placements_per_person)
    people, total = len(counts), sum(counts)
    if people == 0 or total == 0:
        return Concentration(people, total, 0.0, 0.0)
    top = max(1, round(people / 10))
    share = sum(counts[-top:]) / total
    # Gini from the sorted counts: sum((2i - n - 1) x_i) / (n * sum x), i from 1
    gini = sum((2 * i - people - 1) * x for i, x in enumerate(counts, start=1)) / (people * total)
    return Concentration(people, total, share, gini)
