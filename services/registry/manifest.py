"""The registry, as the platform sees it (services/common/manifest.py; docs/adding-a-service.md)."""

from __future__ import annotations

from pathlib import Path

from services.common.manifest import Api, Ref, ServiceManifest, Timer

WORKER = "services.registry.entrypoints.worker"

# a notice is owed per day; hourly runs send it early in the day, and the first run at start-up
# catches up whatever fell due while the worker was down
CHECK_SCAN_INTERVAL_S = 3600.0

MANIFEST = ServiceManifest(
    name="registry",
    migrations=Path(__file__).parent / "migrations",
    # it only publishes: no queue of its own yet
    consumers=(),
    timers=(
        Timer("scan_check_expiry", CHECK_SCAN_INTERVAL_S, Ref(f"{WORKER}:check_expiry_scan")),
        Timer("resume_due_leaders", CHECK_SCAN_INTERVAL_S, Ref(f"{WORKER}:leader_resumption")),
    ),
    api=Api(default_port=50051, run=Ref("services.registry.entrypoints.api:run")),
    commands=Ref("services.registry.entrypoints.cli:register"),
)
