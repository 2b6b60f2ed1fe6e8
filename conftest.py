"""Fixtures shared by every test: the servers of this run and a migrated plr stack on them."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings as hypothesis_settings

from tests.support.infra import Infra, PlrStack, discover_infra, plr_stack

# 2 cores in CI: no per-example deadlines, so a slow moment is not a failure
hypothesis_settings.register_profile("ci", deadline=None, max_examples=60)
hypothesis_settings.register_profile("dev", deadline=None, max_examples=40)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") == "true" else "dev")


@pytest.fixture(scope="session")
def infra() -> Infra:
    return discover_infra()


@pytest.fixture(scope="session")
def stack(infra: Infra) -> Iterator[PlrStack]:
    with plr_stack(infra) as made:
        yield made
