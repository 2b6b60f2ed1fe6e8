"""The registry's part of ``make run`` (its manifest's ``demo``): a demo trust to try the system with."""

from __future__ import annotations

from services.common.settings import Settings, SettingsError
from services.registry.entrypoints.cli import create_test_people, onboard, onboarded

DEMO_TRUST = ("RXX", "Example NHS Trust")
DEMO_PEOPLE = 5  # confirmed test people of the demo trust, so a trust's developer sees someone at once
# `make run` calls this once the api serves; an api restarting meanwhile is waited for, not refused
API_START_S = 30.0


def run(settings: Settings) -> str:
    """Onboards the demo trust RXX and its confirmed test people, once: a second run (the next `make
    run`) changes nothing."""
    if not settings.admin_token:
        raise SettingsError("PLR_ADMIN_TOKEN is not set: the demo onboards its trust as the administrator")
    ods, name = DEMO_TRUST
    trust = onboarded(onboard(settings, ods, name, wait_for_api_s=API_START_S))
    people = create_test_people(settings, ods, DEMO_PEOPLE, wait_for_api_s=API_START_S).people
    made = sum(p.created for p in people)
    listed = f"`plr demo people --trust {ods} --json` lists them"
    return f"demo trust: {trust}\ndemo people: {len(people)} have confirmed {ods} ({made} new; {listed})"
