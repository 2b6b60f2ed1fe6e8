"""Matching's unit of work on PostgreSQL: the common SQL unit of work, opening matching's repositories
and stores, with matching's event mapping."""

from __future__ import annotations

from services.common import sql_unit_of_work as common
from services.common.sql_idempotency import SqlIdempotencyKeys
from services.matching.adapters.candidates import SqlCandidatePool
from services.matching.adapters.event_mapping import to_cloudevent
from services.matching.adapters.placement_load import SqlPlacementLoads
from services.matching.adapters.repositories import (
    SqlNetworkDirectory,
    SqlOpportunityRepository,
    SqlSettingsStore,
)
from services.matching.adapters.taxonomy import SqlTaxonomy
from services.matching.service_layer.unit_of_work import UnitOfWork


class SqlUnitOfWork(common.SqlUnitOfWork, UnitOfWork):
    to_cloudevent = staticmethod(to_cloudevent)
    opens = {
        "opportunities": SqlOpportunityRepository,
        "settings": SqlSettingsStore,
        "networks": SqlNetworkDirectory,
        "taxonomy": SqlTaxonomy,
        "idempotency": SqlIdempotencyKeys,
        "loads": SqlPlacementLoads,
        "candidates": SqlCandidatePool,
    }

    def __enter__(self) -> SqlUnitOfWork:
        super().__enter__()
        return self
