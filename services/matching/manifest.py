"""The matching service, as the platform sees it (services/common/manifest.py; docs/adding-a-service.md):
a worker that keeps its trust directory, the registry's networks, its taxonomy and its projection of the
registry's people (reading the registry with its own credential) current from registry's events (and
what people already do from recruitment's), and relays its outbox; and an api for a trust's
opportunities, matching settings and rankings."""

from __future__ import annotations

from pathlib import Path

from services.common.manifest import Api, Consumer, Ref, ServiceManifest
from services.common.trust_directory import projection_handlers
from services.matching.adapters.networks import network_handlers
from services.matching.adapters.placement_load import placement_handlers
from services.matching.adapters.taxonomy import term_handlers
from services.matching.adapters.topology import (
    CANDIDATE_QUEUE,
    NETWORK_QUEUE,
    PLACEMENT_QUEUE,
    REGISTRY_EVENTS,
    TERM_QUEUE,
)

MANIFEST = ServiceManifest(
    name="matching",
    migrations=Path(__file__).parent / "migrations",
    consumers=(
        Consumer(REGISTRY_EVENTS, "matching.trust-directory", projection_handlers),
        Consumer(NETWORK_QUEUE, "matching.networks", network_handlers),
        Consumer(TERM_QUEUE, "matching.taxonomy", term_handlers),
        Consumer(PLACEMENT_QUEUE, "matching.placement-load", placement_handlers),
        Consumer(
            CANDIDATE_QUEUE,
            "matching.candidates",
            Ref("services.matching.entrypoints.worker:candidate_projection_handlers"),
        ),
    ),
    # the registry's credential for matching (its MATCHING caller), read by the worker alone
    worker_reads=(("registry", "MATCHING_TOKEN"),),
    # trust keys only: it holds no administrator token (services/matching/entrypoints/api.py)
    api=Api(default_port=50052, run=Ref("services.matching.entrypoints.api:run"), requires=()),
    demo=Ref("services.matching.entrypoints.demo:run"),
)
