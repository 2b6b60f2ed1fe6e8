"""In-memory fakes of every port matching's unit of work opens, and a fake unit of work on the same
abstract class as the SQL one: the service layer's tests run on these.

One ``World`` holds what the database would (rows kept as deep copies, without pending events); each
fake unit of work sees it through its tenant scope, as row-level security does: a trust's own
opportunities, and another trust's while it is published to a network both are members of.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from services.common.errors import PreconditionFailed
from services.common.events import CloudEvent
from services.common.idempotency import InMemoryIdempotencyKeys, StoredKeys
from services.common.tenancy import TenantScope
from services.matching.adapters.event_mapping import to_cloudevent
from services.matching.domain.opportunity import OPEN, Opportunity, Status
from services.matching.domain.ranking import Candidate, Load
from services.matching.domain.settings import MatchingSettings
from services.matching.service_layer.ports import (
    CandidatePool,
    NetworkDirectory,
    OpportunityRepository,
    PlacementLoads,
    Reach,
    SettingsStore,
    Taxonomy,
)
from services.matching.service_layer.unit_of_work import UnitOfWork

# a few of the registry's global terms, as its term.added events would have given them
GLOBAL_TERMS = frozenset(
    {
        ("skill", "chairing", None),
        ("skill", "co_design", None),
        ("skill", "governance", None),
        ("interest", "patient_safety_partner", None),
        ("lived_experience", "cancer", None),
        ("lived_experience", "maternity", None),
    }
)


@dataclass
class World:
    opportunities: dict[str, Opportunity] = field(default_factory=dict)
    settings: dict[str, MatchingSettings] = field(default_factory=dict)
    members: set[tuple[str, str]] = field(default_factory=set)  # (network, trust)
    keys: StoredKeys = field(default_factory=dict)
    # (kind, code, trust or None for a global term) of every term not retired
    terms: set[tuple[str, str, str | None]] = field(default_factory=lambda: set(GLOBAL_TERMS))
    # the candidate projection: each person as a trust holding them sees them, by (trust, leader id),
    # and each person sharing their profile with a network, by (network, leader id)
    held: dict[tuple[str, str], Candidate] = field(default_factory=dict)
    shared: dict[tuple[str, str], Candidate] = field(default_factory=dict)
    loads: dict[str, Load] = field(default_factory=dict)  # by leader id, as on the tests' date
    placed: dict[tuple[str, str], int] = field(default_factory=dict)  # (trust, leader id): recent placements

    def networks_of(self, trust: str) -> frozenset[str]:
        return frozenset(n for n, t in self.members if t == trust)

    def visible(self, scope: TenantScope, o: Opportunity) -> bool:
        if scope.platform or o.trust_ods == scope.trust_ods:
            return True
        network = o.details.network_id
        if scope.leader_id is not None:  # a person: published roles of the trusts that hold them and their networks
            holds = (o.trust_ods, scope.leader_id) in self.held
            shares = network is not None and (network, scope.leader_id) in self.shared
            return o.status is Status.PUBLISHED and (holds or (shares and network in self.networks_of(o.trust_ods)))
        return (
            scope.trust_ods is not None
            and o.status is Status.PUBLISHED
            and network is not None
            and network in self.networks_of(scope.trust_ods)
            and network in self.networks_of(o.trust_ods)
        )


def _kept(o: Opportunity) -> Opportunity:
    kept = copy.deepcopy(o)
    kept.pending_events = []
    return kept


class FakeOpportunities(OpportunityRepository):
    def __init__(self, world: World, scope: TenantScope):
        super().__init__()
        self.world, self.scope = world, scope

    def _get(self, opportunity_id: str, lock: bool) -> Opportunity | None:
        found = self.world.opportunities.get(opportunity_id)
        if found is None or not self.world.visible(self.scope, found):
            return None
        if lock and found.trust_ods != self.scope.trust_ods and not self.scope.platform:
            return None  # FOR UPDATE needs the owner's policy, as in PostgreSQL
        return _kept(found)

    def _add(self, opportunity: Opportunity) -> None:
        assert opportunity.trust_ods == self.scope.trust_ods, "RLS: a trust writes its own rows only"
        self.world.opportunities[opportunity.opportunity_id] = _kept(opportunity)

    def save(self, opportunity: Opportunity, expected_version: int) -> None:
        current = self.world.opportunities[opportunity.opportunity_id]
        if current.version != expected_version or current.trust_ods != self.scope.trust_ods:
            raise PreconditionFailed("expected_version: changed meanwhile")
        self.world.opportunities[opportunity.opportunity_id] = _kept(opportunity)

    def list(
        self,
        after_id: str,
        limit: int,
        updated_since: datetime | None,
        status: Status | None,
        owner_ods: str | None,
        not_owner_ods: str | None,
    ) -> list[Opportunity]:
        found = [
            _kept(o)
            for key, o in sorted(self.world.opportunities.items())
            if key > after_id
            and self.world.visible(self.scope, o)
            and (updated_since is None or (o.updated_at is not None and o.updated_at >= updated_since))
            and (status is None or o.status is status)
            and (owner_ods is None or o.trust_ods == owner_ods)
            and (not_owner_ods is None or o.trust_ods != not_owner_ods)
        ]
        return found[:limit]

    def sites_in_use(self, trust_ods: str) -> frozenset[str]:
        return frozenset(
            site
            for o in self.world.opportunities.values()
            if o.trust_ods == trust_ods and o.status in OPEN
            for site in o.details.sites
        )


class FakeSettings(SettingsStore):
    def __init__(self, world: World):
        self.world = world

    def get(self, trust_ods: str) -> MatchingSettings:
        return self.world.settings.get(trust_ods, MatchingSettings(trust_ods))

    def save(self, settings: MatchingSettings, expected_version: int) -> None:
        if self.get(settings.trust_ods).version != expected_version:
            raise PreconditionFailed("expected_version: changed meanwhile")
        self.world.settings[settings.trust_ods] = settings


class FakeNetworks(NetworkDirectory):
    def __init__(self, world: World):
        self.world = world

    def networks_of(self, trust_ods: str) -> frozenset[str]:
        return self.world.networks_of(trust_ods)


class FakeTaxonomy(Taxonomy):
    def __init__(self, world: World):
        self.world = world

    def usable_by(self, trust_ods: str) -> frozenset[tuple[str, str]]:
        return frozenset((kind, code) for kind, code, trust in self.world.terms if trust in (None, trust_ods))


class FakeCandidates(CandidatePool):
    def __init__(self, world: World):
        self.world = world

    def for_trust(self, trust_ods: str, networks: frozenset[str], today: date) -> Iterable[Candidate]:
        own = {lid: c for (t, lid), c in self.world.held.items() if t == trust_ods}
        found = {
            lid: replace(c, held=False) for (n, lid), c in self.world.shared.items() if n in networks and lid not in own
        }
        return [*own.values(), *found.values()]

    def get(self, leader_id: str, trust_ods: str, networks: frozenset[str], today: date) -> Candidate | None:
        return next((c for c in self.for_trust(trust_ods, networks, today) if c.leader_id == leader_id), None)

    def trusts_of(self, leader_id: str) -> Reach | None:
        trusts = frozenset(t for (t, lid) in self.world.held if lid == leader_id)
        networks = frozenset(n for (n, lid) in self.world.shared if lid == leader_id)
        return Reach(trusts, networks) if trusts or networks else None


class FakeLoads(PlacementLoads):
    def __init__(self, world: World):
        self.world = world

    def of(self, leader_ids: Iterable[str], today: date, recent_months: int) -> Mapping[str, Load]:
        return {lid: self.world.loads[lid] for lid in leader_ids if lid in self.world.loads}

    def placed_by(self, trust_ods: str, today: date, recent_months: int) -> Mapping[str, int]:
        return {lid: count for (ods, lid), count in self.world.placed.items() if ods == trust_ods}


class FakeUnitOfWork(UnitOfWork):
    """Commits write the collected events, as CloudEvents, to ``outbox``; the fakes write at once."""

    opportunities: FakeOpportunities

    def __init__(self, world: World, scope: TenantScope):
        self.scope = scope
        self.opportunities = FakeOpportunities(world, scope)
        self.settings = FakeSettings(world)
        self.networks = FakeNetworks(world)
        self.taxonomy = FakeTaxonomy(world)
        self.idempotency = InMemoryIdempotencyKeys(world.keys)
        self.candidates = FakeCandidates(world)
        self.loads = FakeLoads(world)
        self.committed = 0
        self.outbox: list[CloudEvent] = []

    def __enter__(self) -> FakeUnitOfWork:
        self.opportunities.seen = []
        return self

    def commit(self) -> None:
        self.outbox.extend(to_cloudevent(e, self.correlation_id) for e in self.collect_new_events())
        self.committed += 1

    def rollback(self) -> None:
        pass
