"""The matching worker's consumer of the registry's people (declared in services/matching/manifest.py)."""

from __future__ import annotations

from services.common.inbox import EventHandler
from services.common.settings import load_or_exit
from services.matching.adapters.candidate_projection import candidate_handlers
from services.matching.adapters.registry_profiles import registry_profiles


def candidate_projection_handlers() -> dict[str, EventHandler]:
    """The candidate projection's handlers, reading the registry with matching's own credential (the
    registry's MATCHING_TOKEN, which the manifest's ``worker_reads`` gives this process alone)."""
    settings = load_or_exit(services=("matching",), role="worker")
    return candidate_handlers(registry_profiles(settings))
