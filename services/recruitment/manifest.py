"""The recruitment service, as the platform sees it (services/common/manifest.py; docs/adding-a-service.md):
for now a worker that keeps its trust directory current from registry's events, and relays its outbox."""

from __future__ import annotations

from pathlib import Path

from services.common.manifest import Consumer, ServiceManifest
from services.common.trust_directory import projection_handlers
from services.recruitment.adapters.topology import REGISTRY_EVENTS

MANIFEST = ServiceManifest(
    name="recruitment",
    migrations=Path(__file__).parent / "migrations",
    consumers=(Consumer(REGISTRY_EVENTS, "recruitment.trust-directory", projection_handlers),),
)
