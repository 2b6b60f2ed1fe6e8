"""Matching's unit of work, as its use cases see it: the repositories and stores it opens."""

from __future__ import annotations

from services.common.unit_of_work import AbstractUnitOfWork
from services.matching.service_layer.ports import (
    CandidatePool,
    IdempotencyKeys,
    NetworkDirectory,
    OpportunityRepository,
    PlacementLoads,
    SettingsStore,
    Taxonomy,
)


class UnitOfWork(AbstractUnitOfWork):
    repositories = ("opportunities",)
    opportunities: OpportunityRepository
    settings: SettingsStore
    networks: NetworkDirectory
    taxonomy: Taxonomy
    idempotency: IdempotencyKeys
    candidates: CandidatePool
    loads: PlacementLoads
