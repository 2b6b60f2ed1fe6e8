"""A trust's start page in the running portal learns the trust's name from the registry's events: the
administrator onboards a trust, and /t/<ods>/ names it once the portal's worker has applied the event;
suspending the trust takes the page away (a 404 page, as for a code nobody onboarded)."""

from __future__ import annotations

import pytest
import requests

from tests.e2e.conftest import Running
from tests.e2e.test_leader_acceptance import onboard
from tests.support.infra import PlrStack, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


def test_a_trust_onboarded_in_the_registry_has_its_start_page_in_the_portal(system: tuple[PlrStack, Running]) -> None:
    stack, _ = system
    portal = f"http://{stack.env['PLR_PORTAL_WEB_LISTEN']}"
    unknown = requests.get(f"{portal}/t/RTP9/", timeout=10)
    assert unknown.status_code == 404 and "We cannot find this trust" in unknown.text
    onboard(stack, "RTP1")
    page = wait_for(
        lambda: (answer := requests.get(f"{portal}/t/RTP1/", timeout=10)).status_code == 200 and answer,
        timeout=60,
        interval=0.5,
        message="the portal to hear of the trust",
    )
    assert "RTP1 NHS Trust" in page.text.split("<main", 1)[1]
    suspended = stack.plr("trust", "suspend", "RTP1")
    assert suspended.returncode == 0, suspended.stderr
    wait_for(
        lambda: requests.get(f"{portal}/t/RTP1/", timeout=10).status_code == 404,
        timeout=60,
        interval=0.5,
        message="the portal to hear the trust was suspended",
    )
