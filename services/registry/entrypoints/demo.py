"""The registry's part of ``make run`` (its manifest's ``demo``): a demo trust to try the system with."""

from __future__ import annotations

from services.common.settings import Settings, SettingsError
from services.registry.entrypoints.cli import onboard, onboarded

DEMO_TRUST = ("RXX", "Example NHS Trust")
# `make run` calls this once the api serves; an api restarting meanwhile is waited for, not refused
API_START_S = 30.0


def run(settings: Settings) -> str:
    """Onboards the demo trust RXX, once: a second run (the next `make run`) changes nothing."""
    if not settings.admin_token:
        raise SettingsError("PLR_ADMIN_TOKEN is not set: the demo onboards its trust as the administrator")
    ods, name = DEMO_TRUST
    return "demo trust: " + onboarded(onboard(settings, ods, name, wait_for_api_s=API_START_S))
