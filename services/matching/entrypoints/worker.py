"""The matching worker's consumer of the registry's people (declared in services/matching/manifest.py)."""

from __future__ import annotations

from functools import cache

from plr.registry.v1 import matching_profiles_pb2 as pb

from services.common.inbox import EventHandler
from services.common.settings import load_settings
from services.matching.adapters.candidate_projection import candidate_handlers
from services.matching.adapters.registry_profiles import RegistryProfiles, registry_profiles


@cache
def _registry() -> RegistryProfiles:
    # the worker's settings, with the registry's MATCHING_TOKEN and api address (the manifest's
    # ``worker_reads`` gives this process alone the token); a missing token is a SettingsError naming it
    return registry_profiles(load_settings(services=("matching",), role="worker"))


class WorkerRegistry:
    """The registry as the worker reads it, its channel opened on the first read (the handlers are also
    built where no worker runs, to list them)."""

    def get(self, leader_id: str) -> pb.MatchingProfile | None:
        return _registry().get(leader_id)


def candidate_projection_handlers() -> dict[str, EventHandler]:
    """The candidate projection's handlers, reading the registry with matching's own credential."""
    return candidate_handlers(WorkerRegistry())
