"""`make run`'s matching demo: two published roles for the demo trust, named in real terms of the
registry's taxonomy (waited for until they arrive), and nothing more when run again."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from services.common.db import scoped_transaction
from services.common.events import default_registry
from services.common.platform_tables import outbox
from services.common.principals import Principal
from services.common.tenancy import TenantScope
from services.matching.adapters.taxonomy import term_handlers
from services.matching.adapters.unit_of_work import SqlUnitOfWork
from services.matching.domain import commands
from services.matching.entrypoints import demo
from services.matching.service_layer import opportunities
from services.matching.tests.integration.conftest import MatchingClient
from tests.support.infra import PlrStack

pytestmark = pytest.mark.integration


def deliver_the_registrys_global_terms(stack: PlrStack, matching: MatchingClient) -> int:
    """What the registry's migration put in its outbox (term.added of every term it held; the global
    ones, not the terms other tests' trusts add), applied as matching's worker applies it."""
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        payloads = connection.execute(
            sa.select(outbox.c.payload).where(
                outbox.c.event_type == "plr.registry.term.added.v1", outbox.c.trust_ods.is_(None)
            )
        ).scalars()
        events = [default_registry().parse(p.encode()) for p in payloads]
    for event in events:
        matching.apply_in_scope(term_handlers()[event.type], event)
    return len(events)


def test_the_demo_waits_for_the_taxonomy_then_publishes_two_roles_once(
    stack: PlrStack, matching: MatchingClient
) -> None:
    with pytest.raises(RuntimeError, match="skill governance"):
        demo.run(stack.settings, wait_s=0, sleep=lambda _: None)
    assert deliver_the_registrys_global_terms(stack, matching) >= 30
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
