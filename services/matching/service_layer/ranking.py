"""Use cases about ranking: a trust's people ranked for one of its roles, with each factor explained,
and how concentrated the trust's placements are.

Who a ranking may hold is the candidate pool's rule (``ports.CandidatePool``): the trust's own people,
and for a role published to a network, the people who share their profile with that network. What the
answer shows of a person the trust found only through a network is less (``shown_to_trust``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from services.common.errors import PreconditionFailed
from services.common.principals import Principal
from services.matching.domain import commands
from services.matching.domain.opportunity import Opportunity, Status
from services.matching.domain.ranking import Candidate, Exclusion, Factor, Fit, fit
from services.matching.domain.rotation import (
    TIE_DECIMALS,
    Concentration,
    Ranked,
    RotationPolicy,
    concentration,
    rank,
)
from services.matching.domain.settings import MatchingSettings
from services.matching.service_layer.opportunities import Clock, own_opportunity, utc_now
from services.matching.service_layer.unit_of_work import UnitOfWork

RANKABLE = (Status.DRAFT, Status.PUBLISHED, Status.CLOSED)
ROLES_SCANNED_MAX = 2000  # the open roles a person's recommendations look through, newest last
PAGE = 500


@dataclass(frozen=True)
class CandidateRanking:
    opportunity_id: str
    ranked_on: date
    ranked: tuple[Ranked, ...]
    network_candidates: frozenset[str]  # the leader ids found through the role's network
    excluded: dict[Exclusion, int]  # of the trust's own people only (``rotation.rank``)
    # the trust's own people before the hard filters: with ``excluded``, nothing of how many of another
    # trust's people (shared with the role's network) are paused, withdrawn or ruled out
    considered: int


def shown_to_trust(fit: Fit, held: bool) -> Fit:
    """A person found through a network: the lived-experience factor keeps its words, never the areas."""
    if held:
        return fit
    factors = tuple(replace(f, matched=()) if f.factor is Factor.LIVED_EXPERIENCE else f for f in fit.factors)
    return replace(fit, factors=factors)


def with_loads(uow: UnitOfWork, people: list[Candidate], today: date, settings: MatchingSettings) -> list[Candidate]:
    """Each person with what they already do (recruitment's offers and placements), on ``today``."""
    loads = uow.loads.of((c.leader_id for c in people), today, settings.recent_placement_months)
    return [replace(c, load=loads[c.leader_id]) if c.leader_id in loads else c for c in people]


def rank_candidates(
    cmd: commands.RankCandidates, uow: UnitOfWork, principal: Principal, clock: Clock = utc_now
) -> CandidateRanking:
    trust = principal.require_trust()
    today = clock().date()
    with uow:
        role = own_opportunity(uow, trust, cmd.opportunity_id)
        if role.status not in RANKABLE:
            raise PreconditionFailed(f"cannot rank candidates for an opportunity that is {role.status.value}")
        settings = uow.settings.get(trust)
        networks = frozenset({role.details.network_id} if role.details.network_id else ())
        people = with_loads(uow, list(uow.candidates.for_trust(trust, networks, today)), today, settings)
    held = {c.leader_id: c.held for c in people}
    ranking = rank(role.details, people, settings, RotationPolicy.of(settings), today, role.opportunity_id, cmd.limit)
    shown = tuple(replace(r, fit=shown_to_trust(r.fit, held[r.fit.leader_id])) for r in ranking.ranked)
    network = frozenset(r.fit.leader_id for r in shown if not held[r.fit.leader_id])
    considered = sum(1 for c in people if c.held)
    return CandidateRanking(role.opportunity_id, today, shown, network, ranking.excluded, considered)


@dataclass(frozen=True)
class Recommendation:
    opportunity: Opportunity
    fit: Fit


def open_roles(uow: UnitOfWork, today: date) -> list[Opportunity]:
    """The published roles the unit of work's scope may see, whose closing date has not passed."""
    found: list[Opportunity] = []
    after = ""
    while len(found) < ROLES_SCANNED_MAX:
        page = uow.opportunities.list(after, PAGE, None, Status.PUBLISHED, None, None)
        found.extend(o for o in page if o.details.closing_date is None or o.details.closing_date >= today)
        if len(page) < PAGE:
            break
        after = page[-1].opportunity_id
    return found


def recommend_roles(
    cmd: commands.RecommendRoles, uow: UnitOfWork, principal: Principal, clock: Clock = utc_now
) -> tuple[date, tuple[Recommendation, ...]]:
    """The person's own recommendations: the roles their scope may see (row security: the published
    roles of the trusts that hold them and of the networks they share with), each scored for them as
    that role's trust would see them, the person's own areas named. No rotation penalty: fairness is a
    trust's ranking's duty; a person may always look."""
    leader = principal.require_leader()
    today = clock().date()
    found = []
    with uow:
        for role in open_roles(uow, today):
            networks = frozenset({role.details.network_id} if role.details.network_id else ())
            person = uow.candidates.get(leader, role.trust_ods, networks, today)
            if person is None:
                continue
            # the person is asking: their own contact consent is theirs to give when they apply
            person = replace(person, contactable=True, held=True)
            scored = fit(role.details, person, uow.settings.get(role.trust_ods))
            if isinstance(scored, Fit):
                found.append(Recommendation(role, scored))
    found.sort(key=lambda r: (-round(r.fit.score, TIE_DECIMALS), r.opportunity.opportunity_id))
    return today, tuple(found[: cmd.limit])


def concentration_report(
    cmd: commands.GetConcentrationReport, uow: UnitOfWork, principal: Principal, clock: Clock = utc_now
) -> tuple[Concentration, int]:
    """How concentrated the trust's own placements are over its own people (recent window), and the
    window. Another trust's placements of a person both hold are not counted: they are not this trust's."""
    trust = principal.require_trust()
    today = clock().date()
    with uow:
        settings = uow.settings.get(trust)
        own = [c.leader_id for c in uow.candidates.for_trust(trust, frozenset(), today) if c.held]
        placed = uow.loads.placed_by(trust, today, settings.recent_placement_months)
    return concentration([placed.get(leader, 0) for leader in own]), settings.recent_placement_months
