"""The registry's part of ``make run`` (its manifest's ``demo``): a demo trust to try the system with."""

from __future__ import annotations

from services.common.settings import Settings
from services.registry.entrypoints.cli import onboard, onboarded

DEMO_TRUST = ("RXX", "Example NHS Trust")
# `make run` calls this as soon as it has started the api: wait for it to listen rather than fail
API_START_S = 30.0


def run(settings: Settings) -> str:
    """Onboards the demo trust RXX, once: a second run (the next `make run`) changes nothing."""
    ods, name = DEMO_TRUST
    return "demo trust: " + onboarded(onboard(settings, ods, name, wait_for_api_s=API_START_S))
