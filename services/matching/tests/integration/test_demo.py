"""`make run`'s matching demo: two published roles for the demo trust, and nothing more when run again."""

from __future__ import annotations

import pytest

from services.common.principals import Principal
from services.common.tenancy import TenantScope
from services.matching.adapters.unit_of_work import SqlUnitOfWork
from services.matching.domain import commands
from services.matching.entrypoints import demo
from services.matching.service_layer import opportunities
from tests.support.infra import PlrStack

pytestmark = pytest.mark.integration


def test_the_demo_publishes_two_roles_once(stack: PlrStack) -> None:
    said = demo.run(stack.settings)
    assert demo.run(stack.settings) == said
    assert said.count("(published)") == 2
    uow = SqlUnitOfWork(stack.engine("matching"), TenantScope.trust(demo.DEMO_TRUST))
    principal = Principal("trust", "test", trust_ods=demo.DEMO_TRUST)
    found = opportunities.list_opportunities(commands.ListOpportunities("", 10), uow, principal)
    assert sorted((o.details.level.value, o.status.value) for o in found) == [
        ("level_3", "published"),
        ("patient_safety_partner", "published"),
    ]
