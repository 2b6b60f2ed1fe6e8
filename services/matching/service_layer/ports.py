"""The ports of matching: every repository and store its use cases may open through the unit of work,
as abstract classes. They import no SQLAlchemy (``tests/unit/test_layers.py`` checks); the SQL
implementations are in ``adapters/`` and the in-memory fakes in ``tests/unit/fakes.py``.

The opportunity repository keeps in ``seen`` what it loaded or added, for the unit of work to collect
their events. Which rows a read returns is decided by the tenant scope of the unit of work (row-level
security in PostgreSQL: a trust's own opportunities, and other trusts' roles published to a network
both belong to); the fakes decide the same from the scope they are given.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from services.common.idempotency import IdempotencyKeys as IdempotencyKeys  # the platform's store
from services.matching.domain.opportunity import Opportunity, Status
from services.matching.domain.ranking import Candidate, Load
from services.matching.domain.settings import MatchingSettings
from services.matching.domain.terms import Usable


class OpportunityRepository(abc.ABC):
    def __init__(self) -> None:
        self.seen: list[Opportunity] = []

    def get(self, opportunity_id: str, *, lock: bool = False) -> Opportunity | None:
        """The opportunity if the scope may see it (its owner's, or published to a shared network)."""
        found = self._get(opportunity_id, lock)
        if found is not None:
            self.seen.append(found)
        return found

    def add(self, opportunity: Opportunity) -> None:
        self._add(opportunity)
        self.seen.append(opportunity)

    @abc.abstractmethod
    def _get(self, opportunity_id: str, lock: bool) -> Opportunity | None: ...

    @abc.abstractmethod
    def _add(self, opportunity: Opportunity) -> None: ...

    @abc.abstractmethod
    def save(self, opportunity: Opportunity, expected_version: int) -> None:
        """Write a change; PreconditionFailed if another call changed it since ``expected_version``."""

    @abc.abstractmethod
    def list(
        self,
        after_id: str,
        limit: int,
        updated_since: datetime | None,
        status: Status | None,
        owner_ods: str | None,
        not_owner_ods: str | None,
    ) -> list[Opportunity]:
        """Those the scope may see, by id after ``after_id``; ``owner_ods``/``not_owner_ods`` filter."""

    @abc.abstractmethod
    def sites_in_use(self, trust_ods: str) -> frozenset[str]:
        """The site codes named by the trust's roles still open (draft, published or closed)."""


class SettingsStore(abc.ABC):
    @abc.abstractmethod
    def get(self, trust_ods: str) -> MatchingSettings:
        """The trust's settings, or the defaults (version 0) if it has set none."""

    @abc.abstractmethod
    def save(self, settings: MatchingSettings, expected_version: int) -> None:
        """Write them at ``settings.version``; PreconditionFailed if not at ``expected_version``."""


class NetworkDirectory(abc.ABC):
    """The registry's networks as matching keeps them (from ``registry.network.*`` events)."""

    @abc.abstractmethod
    def networks_of(self, trust_ods: str) -> frozenset[str]: ...


class Taxonomy(abc.ABC):
    """The registry's taxonomy as matching keeps it (from ``registry.term.*`` events)."""

    @abc.abstractmethod
    def usable_by(self, trust_ods: str) -> Usable:
        """(kind, code) of the terms the trust may name: the global ones and its own, none retired."""


@dataclass(frozen=True)
class Reach:
    """Whose roles a person may be recommended: the trusts holding them through a confirmed (active)
    relationship, and the networks they share their profile with."""

    trusts: frozenset[str]
    networks: frozenset[str]


class CandidatePool(abc.ABC):
    """Matching's projection of the registry's people (``adapters/candidates.py``), as one trust's
    rankings see it: each person the trust holds through an affiliation, or may find through one of
    its networks (the person shares their profile with the network), as a ``Candidate`` whose
    ``active`` and ``contactable`` are for that trust and whose checks are those valid on ``today``.
    Lived experience is there only while the person consents to its use in matching."""

    @abc.abstractmethod
    def for_trust(self, trust_ods: str, networks: frozenset[str], today: date) -> Iterable[Candidate]: ...

    @abc.abstractmethod
    def get(self, leader_id: str, trust_ods: str, networks: frozenset[str], today: date) -> Candidate | None:
        """The person as ``for_trust`` would give them, or None if the trust may not rank them."""

    @abc.abstractmethod
    def trusts_of(self, leader_id: str) -> Reach | None:
        """Who holds the person and which networks they share with (the person's own ranking of roles,
        in the platform's scope), or None if the projection does not hold them."""


class PlacementLoads(abc.ABC):
    """What people already do (from recruitment's offer and placement events): each person's ``Load``
    on ``today``, with ``recent_months`` as the recent window. A person with none is absent."""

    @abc.abstractmethod
    def of(self, leader_ids: Iterable[str], today: date, recent_months: int) -> Mapping[str, Load]:
        """Whatever trust offered or placed them: the workload cap and the rotation protect the person."""

    @abc.abstractmethod
    def placed_by(self, trust_ods: str, today: date, recent_months: int) -> Mapping[str, int]:
        """How many placements ``trust_ods`` itself started for each person in the ``recent_months``
        before ``today`` (the trust's concentration report: another trust's placements are not its to
        count). A person it placed in none is absent."""
