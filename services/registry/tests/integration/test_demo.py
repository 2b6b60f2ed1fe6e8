"""The registry's demo for `make run` (its manifest's ``demo``): the demo trust RXX, onboarded once."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa

from services.common.db import scoped_transaction
from services.common.manifest import manifest
from services.common.settings import ApiAddress, SettingsError
from services.common.tenancy import TenantScope
from services.registry.adapters.tables import trusts
from tests.support.infra import PlrStack

pytestmark = pytest.mark.integration


def test_the_demo_onboards_the_demo_trust_once_and_says_so(stack: PlrStack, registry_target: str) -> None:
    demo = manifest("registry").demo
    assert demo is not None
    settings = dataclasses.replace(stack.settings, apis={"registry": ApiAddress(registry_target, registry_target)})
    first = demo(settings)
    assert first.startswith("demo trust: Onboarded trust RXX (Example NHS Trust).")
    assert "plrk_" in first  # its first key, shown once
    second = demo(settings)
    assert second == "demo trust: Trust RXX (Example NHS Trust) already exists; nothing changed."
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        count = connection.execute(sa.select(sa.func.count()).where(trusts.c.trust_ods == "RXX")).scalar_one()
    assert count == 1


def test_the_demo_without_the_administrators_token_says_which_setting_it_needs(stack: PlrStack) -> None:
    demo = manifest("registry").demo
    assert demo is not None
    with pytest.raises(SettingsError, match="PLR_ADMIN_TOKEN is not set"):
        demo(dataclasses.replace(stack.settings, admin_token=None))
