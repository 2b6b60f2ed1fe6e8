"""Matching's part of ``make run`` (its manifest's ``demo``): two published roles for the demo trust.

The demo acts as the demo trust through matching's own use cases on matching's database (the trust's
key is the trust's secret, shown once by the registry: the demo has none to present). Safe to run
again: the settings are set once, and each role is created under an idempotency key and published
only while still a draft. The roles name global terms of the registry's taxonomy, which reach matching
as the registry's events: the demo waits for them (a fresh ``make run`` starts the demos as the
workers start relaying).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from functools import partial

from services.common.db import process_engine
from services.common.principals import Principal
from services.common.settings import Settings
from services.common.tenancy import TenantScope
from services.matching.adapters.unit_of_work import SqlUnitOfWork
from services.matching.domain import commands
from services.matching.domain.eligibility import Kind, Rule
from services.matching.domain.opportunity import Details, Status, Term, terms_named
from services.matching.domain.settings import MatchingSettings, Site
from services.matching.domain.terms import CheckType, Day, Level
from services.matching.service_layer import matching_settings, opportunities

DEMO_TRUST = "RXX"
TAXONOMY_WAIT_S = 60.0
SETTINGS = MatchingSettings(
    DEMO_TRUST,
    sites=(Site("main", "Example General Hospital", ("EX1", "EX2", "EX4")),),
    default_checks={Level.LEVEL_3: (CheckType.REFERENCES,), Level.PATIENT_SAFETY_PARTNER: (CheckType.DBS,)},
)


def demo_roles(today: date) -> dict[str, Details]:
    return {
        "demo-role-maternity-panel": Details(
            title="Maternity and Neonatal Voices Partnership member",
            level=Level.LEVEL_3,
            description="Monthly working group reviewing maternity services with staff.",
            desirable_skills=("co_design", "reviewing_documents"),
            lived_experience=("maternity",),
            sites=("main",),
            hours_per_month=4,
            days=(Day.TUE,),
            places=3,
            closing_date=today + timedelta(days=60),
            payment_rule="involvement_standard",
            eligibility_rules=(Rule(Kind.USED_SERVICE_WITHIN_YEARS, "5"), Rule(Kind.AGED_18_OR_OVER)),
        ),
        "demo-role-psp": Details(
            title="Patient Safety Partner",
            level=Level.PATIENT_SAFETY_PARTNER,
            description="Work alongside the patient safety team on incident reviews and the safety committee.",
            required_skills=("governance",),
            sites=("main",),
            remote=True,
            hours_per_month=16,
            term=Term(start_date=today + timedelta(days=90), extendable=True),
            places=2,
            closing_date=today + timedelta(days=45),
            payment_rule="involvement_standard",
            eligibility_rules=(Rule(Kind.NOT_NHS_EMPLOYEE), Rule(Kind.NOT_PREVIOUS_HOLDER)),
        ),
    }


def await_terms(
    uow: Callable[[], SqlUnitOfWork], roles: Iterable[Details], wait_s: float, sleep: Callable[[float], None]
) -> None:
    """Until matching holds every term the roles name (from the registry's term events), or wait_s."""
    wanted = frozenset().union(*(terms_named(d) for d in roles))
    deadline = time.monotonic() + wait_s
    while True:
        with uow() as unit:
            missing = wanted - unit.taxonomy.usable_by(DEMO_TRUST)
        if not missing:
            return
        if time.monotonic() > deadline:
            named = ", ".join(f"{kind} {code}" for kind, code in sorted(missing))
            raise RuntimeError(
                f"the registry's taxonomy has not reached matching within {wait_s:.0f} s (missing {named}): "
                "are the registry's and matching's workers running?"
            )
        sleep(0.5)


def run(settings: Settings, wait_s: float = TAXONOMY_WAIT_S, sleep: Callable[[float], None] = time.sleep) -> str:
    engine = process_engine(settings, "matching", "demo", pool_size=1)
    try:
        uow = partial(SqlUnitOfWork, engine, TenantScope.trust(DEMO_TRUST))
        trust = Principal("trust", "demo", trust_ods=DEMO_TRUST)
        roles = demo_roles(date.today())
        await_terms(uow, roles.values(), wait_s, sleep)
        if matching_settings.get_matching_settings(commands.GetMatchingSettings(), uow(), trust).version == 0:
            matching_settings.update_matching_settings(commands.UpdateMatchingSettings(SETTINGS, 0), uow(), trust)
        titles = []
        for key, details in roles.items():
            role = opportunities.create_opportunity(
                commands.CreateOpportunity(details, key, key), uow(), trust
            ).opportunity
            if role.status is Status.DRAFT:
                command = commands.PublishOpportunity(role.opportunity_id, role.version)
                role = opportunities.publish_opportunity(command, uow(), trust)
            titles.append(f"{role.details.title} ({role.status.value})")
    finally:
        engine.dispose()
    return f"demo roles of {DEMO_TRUST}: " + "; ".join(titles)
