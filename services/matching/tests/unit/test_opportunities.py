"""Opportunities: validation, the lifecycle with optimistic concurrency, events, and who sees what,
through the use cases on the fakes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from services.common.errors import InvalidInput, NotFound, PermissionDenied, PreconditionFailed
from services.common.principals import Principal
from services.common.tenancy import TenantScope
from services.matching.domain import commands
from services.matching.domain.eligibility import Kind, Outcome, Rule
from services.matching.domain.opportunity import Actor, Details, Opportunity, Status, Term
from services.matching.domain.settings import MatchingSettings, Site
from services.matching.domain.terms import CheckType, Level
from services.matching.service_layer import matching_settings, opportunities
from services.matching.tests.unit.fakes import FakeUnitOfWork, World

NOW = datetime(2026, 12, 2, 10, tzinfo=UTC)
ROLE = Details(title="Working group member", level=Level.LEVEL_3, sites=("main",))
A, B, C = (Principal("trust", f"key-{t}", trust_ods=t) for t in ("RTA", "RTB", "RTC"))


@pytest.fixture
def world() -> World:
    w = World()
    for trust in ("RTA", "RTB", "RTC"):
        w.settings[trust] = MatchingSettings(
            trust,
            sites=(Site("main", "Main site", ("LS1",)),),
            default_checks={Level.LEVEL_3: (CheckType.REFERENCES,)},
            version=1,
        )
    w.members |= {("north", "RTA"), ("north", "RTB")}
    return w


def uow(world: World, principal: Principal) -> FakeUnitOfWork:
    return FakeUnitOfWork(world, principal.scope)


def create(world: World, principal: Principal = A, details: Details = ROLE, key: str = "") -> Opportunity:
    command = commands.CreateOpportunity(details, key, f"digest-{key}")
    ids = iter(f"00000000-0000-4000-8000-{n:012d}" for n in range(len(world.opportunities) + 1, 10_000))
    return opportunities.create_opportunity(
        command, uow(world, principal), principal, lambda: NOW, lambda: next(ids)
    ).opportunity


def publish(world: World, o: Opportunity, principal: Principal = A) -> tuple[Opportunity, FakeUnitOfWork]:
    unit = uow(world, principal)
    command = commands.PublishOpportunity(o.opportunity_id, o.version)
    return opportunities.publish_opportunity(command, unit, principal, lambda: NOW), unit


def test_a_draft_takes_the_trusts_default_checks_and_emits_nothing(world: World) -> None:
    unit = uow(world, A)
    command = commands.CreateOpportunity(ROLE)
    made = opportunities.create_opportunity(command, unit, A, lambda: NOW).opportunity
    assert (made.status, made.version, made.trust_ods) == (Status.DRAFT, 1, "RTA")
    assert made.details.required_checks == (CheckType.REFERENCES,)
    assert unit.outbox == [] and unit.committed == 1


def test_a_psp_closing_after_its_default_18_months_is_named(world: World) -> None:
    psp = replace(ROLE, level=Level.PATIENT_SAFETY_PARTNER, term=Term(date(2027, 1, 31)), closing_date=date(2028, 8, 1))
    with pytest.raises(InvalidInput) as refused:
        create(world, details=psp)
    assert list(refused.value.fields) == ["details.closing_date"]


def test_each_change_records_who_made_it_and_another_trust_never_sees_it(world: World) -> None:
    staff = Principal("trust", "RTA", trust_ods="RTA", staff_id="7b3e9c10-4f2a-4d61-8e5b-2a9c1d0e6f31")
    made = create(world, staff, replace(ROLE, network_id="north"))
    assert made.created_by == made.updated_by == Actor(staff_id=staff.staff_id)
    claimed = replace(A, claimed_staff="Pat")
    published, _ = publish(world, made, claimed)
    assert (published.created_by, published.updated_by) == (Actor(staff_id=staff.staff_id), Actor(claimed_staff="Pat"))
    get = commands.GetOpportunity(made.opportunity_id)
    seen = opportunities.get_opportunity(get, uow(world, B), B)
    assert (seen.status, seen.created_by, seen.updated_by) == (Status.PUBLISHED, None, None)


def test_a_patient_safety_partner_term_runs_18_months_unless_given(world: World) -> None:
    psp = replace(ROLE, level=Level.PATIENT_SAFETY_PARTNER, term=Term(start_date=date(2027, 1, 31)))
    assert create(world, details=psp).details.term.end_date == date(2028, 7, 31)
    given = replace(psp, term=Term(start_date=date(2027, 1, 31), end_date=date(2027, 12, 31)))
    assert create(world, details=given).details.term.end_date == date(2027, 12, 31)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": " "}, "title"),
        ({"sites": ("elsewhere",)}, "sites"),
        ({"sites": (), "remote": False}, "sites"),
        ({"network_id": "south"}, "network_id"),  # not a network of the trust
        ({"places": 0}, "places"),
        ({"hours_per_month": 201}, "hours_per_month"),
        ({"required_skills": ("Chairing",)}, "required_skills"),
        ({"lived_experience": ("cancer", "cancer")}, "lived_experience"),
        ({"term": Term(end_date=date(2027, 1, 1))}, "term.start_date"),
        ({"term": Term(date(2027, 1, 1), review_date=date(2026, 1, 1))}, "term.review_date"),
        ({"eligibility_rules": (Rule(Kind.HAS_SKILL, "NOPE"),)}, "eligibility_rules[0]"),
        ({"desirable_skills": ("chairing", "no_such_skill")}, "desirable_skills"),
        ({"interests": ("chairing",)}, "interests"),  # a skill, not an interest
        ({"eligibility_rules": (Rule(Kind.HAS_SKILL, "cancer"),)}, "eligibility_rules[0]"),
        ({"term": Term(date(2027, 1, 1), date(2027, 6, 30), date(2027, 7, 1))}, "term.review_date"),
        ({"term": Term(date(1999, 12, 31))}, "term.start_date"),
        ({"closing_date": date(2100, 1, 1)}, "closing_date"),
        ({"closing_date": date(2027, 7, 1), "term": Term(date(2027, 1, 1), date(2027, 6, 30))}, "closing_date"),
        ({"sites": ("main", "main")}, "sites"),
        ({"title": "two\nlines"}, "title"),
    ],
)
def test_bad_details_name_the_field_and_change_nothing(world: World, change: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        create(world, details=replace(ROLE, **change))  # type: ignore[arg-type]
    assert f"details.{field}" in refused.value.fields
    assert world.opportunities == {}


def test_the_lifecycle_emits_each_event_with_the_next_version(world: World) -> None:
    o = create(world, details=replace(ROLE, network_id="north", closing_date=date(2026, 12, 31)))
    o, unit = publish(world, o)
    [published] = unit.outbox
    assert published.type == "plr.matching.opportunity.published.v1"
    assert published.data == {
        "opportunity_id": o.opportunity_id,
        "ods": "RTA",
        "level": "level_3",
        "places": 1,
        "remote": False,
        "network_id": "north",
        "closing_date": "2026-12-31",
    }
    assert (published.aggregate_version, published.trust_ods) == (2, "RTA")
    unit = uow(world, A)
    o = opportunities.close_opportunity(commands.CloseOpportunity(o.opportunity_id, 2), unit, A, lambda: NOW)
    assert [(e.type, e.aggregate_version) for e in unit.outbox] == [("plr.matching.opportunity.closed.v1", 3)]
    unit = uow(world, A)
    o = opportunities.fill_opportunity(commands.FillOpportunity(o.opportunity_id, 3), unit, A, lambda: NOW)
    assert [(e.type, e.aggregate_version) for e in unit.outbox] == [("plr.matching.opportunity.filled.v1", 4)]
    assert (o.status, o.version) == (Status.FILLED, 4)


def test_a_stale_version_or_a_wrong_state_is_refused_and_changes_nothing(world: World) -> None:
    o = create(world)
    with pytest.raises(PreconditionFailed, match="version 1"):
        opportunities.close_opportunity(commands.CloseOpportunity(o.opportunity_id, 7), uow(world, A), A)
    with pytest.raises(PreconditionFailed, match="cannot close an opportunity that is draft"):
        opportunities.close_opportunity(commands.CloseOpportunity(o.opportunity_id, 1), uow(world, A), A)
    assert world.opportunities[o.opportunity_id].version == 1


def test_a_past_closing_date_cannot_be_published(world: World) -> None:
    o = create(world, details=replace(ROLE, closing_date=date(2026, 12, 1)))
    with pytest.raises(PreconditionFailed, match="closing date"):
        publish(world, o)


def test_updates_of_a_published_role_name_the_fields_and_drafts_say_nothing(world: World) -> None:
    o = create(world)
    unit = uow(world, A)
    o = opportunities.update_opportunity(
        commands.UpdateOpportunity(o.opportunity_id, 1, replace(o.details, places=2)), unit, A, lambda: NOW
    )
    assert (o.version, unit.outbox) == (2, [])
    o, _ = publish(world, o)
    unit = uow(world, A)
    changed = replace(o.details, places=3, description="More")
    o = opportunities.update_opportunity(commands.UpdateOpportunity(o.opportunity_id, 3, changed), unit, A, lambda: NOW)
    assert [e.data["fields"] for e in unit.outbox] == [["description", "places"]]
    unit = uow(world, A)
    same = opportunities.update_opportunity(commands.UpdateOpportunity(o.opportunity_id, 4, o.details), unit, A)
    assert (same.version, unit.outbox, unit.committed) == (4, [], 0)


def test_withdrawing_a_draft_is_silent_and_a_published_role_is_heard(world: World) -> None:
    draft, published = create(world), create(world)
    published, _ = publish(world, published)
    for o, events in ((draft, 0), (published, 1)):
        unit = uow(world, A)
        command = commands.WithdrawOpportunity(o.opportunity_id, o.version, "No longer funded")
        done = opportunities.withdraw_opportunity(command, unit, A, lambda: NOW)
        assert (done.status, done.withdrawn_reason, len(unit.outbox)) == (Status.WITHDRAWN, "No longer funded", events)
    with pytest.raises(InvalidInput) as refused:
        opportunities.withdraw_opportunity(commands.WithdrawOpportunity(draft.opportunity_id, 2, " "), uow(world, A), A)
    assert "reason" in refused.value.fields


def test_an_idempotency_key_answers_the_first_result(world: World) -> None:
    first = create(world, key="k1")
    again = opportunities.create_opportunity(commands.CreateOpportunity(ROLE, "k1", "digest-k1"), uow(world, A), A)
    assert (again.created, again.opportunity.opportunity_id) == (False, first.opportunity_id)
    with pytest.raises(PreconditionFailed, match="different request"):
        opportunities.create_opportunity(commands.CreateOpportunity(ROLE, "k1", "other"), uow(world, A), A)
    # another trust's same key is its own
    assert create(world, B, key="k1").trust_ods == "RTB"
    assert len(world.opportunities) == 2


def get(world: World, principal: Principal, o: Opportunity) -> Opportunity:
    return opportunities.get_opportunity(commands.GetOpportunity(o.opportunity_id), uow(world, principal), principal)


def listed(world: World, principal: Principal, owner: str | None = None) -> set[str]:
    command = commands.ListOpportunities("", 100, owner=owner)
    return {o.opportunity_id for o in opportunities.list_opportunities(command, uow(world, principal), principal)}


def test_network_trusts_see_only_published_network_roles_and_change_none(world: World) -> None:
    draft = create(world, details=replace(ROLE, network_id="north"))
    own_only = publish(world, create(world))[0]
    shared = publish(world, create(world, details=replace(ROLE, network_id="north")))[0]
    assert listed(world, A) == {draft.opportunity_id, own_only.opportunity_id, shared.opportunity_id}
    assert listed(world, B) == listed(world, B, "network") == {shared.opportunity_id}
    assert listed(world, B, "own") == set() and listed(world, C) == set()
    assert get(world, B, shared).trust_ods == "RTA"
    for principal, o in ((B, draft), (B, own_only), (C, shared)):
        with pytest.raises(NotFound):
            get(world, principal, o)
    with pytest.raises(NotFound):
        opportunities.close_opportunity(commands.CloseOpportunity(shared.opportunity_id, 2), uow(world, B), B)
    world.members.discard(("north", "RTB"))  # B left the network
    assert listed(world, B) == set()


def test_a_draft_for_a_network_the_trust_left_cannot_be_published(world: World) -> None:
    o = create(world, details=replace(ROLE, network_id="north"))
    world.members.discard(("north", "RTA"))
    with pytest.raises(InvalidInput) as refused:
        publish(world, o)
    assert "network_id" in refused.value.fields


def test_eligibility_answers_on_the_applicants_declarations(world: World) -> None:
    rules = (Rule(Kind.NOT_NHS_EMPLOYEE), Rule(Kind.AGED_18_OR_OVER), Rule(Kind.HAS_SKILL, "chairing"))
    o = create(world, details=replace(ROLE, eligibility_rules=rules))
    command = commands.CheckEligibility(o.opportunity_id, {"not_nhs_employee": True})
    overall, results = opportunities.check_eligibility(command, uow(world, A), A)
    assert overall is Outcome.NEEDS_SCREENING  # the skill is a registry fact matching does not hold yet
    assert [r.outcome for r in results] == [Outcome.ELIGIBLE, Outcome.NEEDS_DECLARATION, Outcome.NEEDS_SCREENING]


def test_only_a_trusts_key_uses_them(world: World) -> None:
    admin = Principal("administrator", "administrator")
    with pytest.raises(PermissionDenied):
        opportunities.create_opportunity(
            commands.CreateOpportunity(ROLE), FakeUnitOfWork(world, TenantScope.platform_wide()), admin
        )
    with pytest.raises(PermissionDenied):
        matching_settings.get_matching_settings(commands.GetMatchingSettings(), uow(world, A), admin)


def test_settings_are_the_callers_own_with_optimistic_concurrency(world: World) -> None:
    wanted = MatchingSettings("RTB", recent_placement_months=6, sites=(Site("north", "North site"),))
    saved = matching_settings.update_matching_settings(commands.UpdateMatchingSettings(wanted, 1), uow(world, A), A)
    assert (saved.trust_ods, saved.version) == ("RTA", 2)  # the caller's trust, whatever the command said
    assert world.settings["RTB"].recent_placement_months == 12
    with pytest.raises(PreconditionFailed, match="version 2"):
        matching_settings.update_matching_settings(commands.UpdateMatchingSettings(wanted, 1), uow(world, A), A)


TERMED = replace(ROLE, required_skills=("chairing",), lived_experience=("cancer",))


def refusal(world: World, principal: Principal, details: Details) -> dict[str, str]:
    with pytest.raises(InvalidInput) as refused:
        create(world, principal, details)
    return refused.value.fields


def test_a_role_names_global_terms_and_its_trusts_own_but_not_another_trusts_own(world: World) -> None:
    world.terms |= {("skill", "rta_board_papers", "RTA"), ("skill", "rtb_secret_panel", "RTB")}
    assert create(world, A, replace(TERMED, desirable_skills=("rta_board_papers",))).details.required_skills == (
        "chairing",
    )
    theirs = refusal(world, A, replace(TERMED, desirable_skills=("rtb_secret_panel",)))
    unknown = refusal(world, A, replace(TERMED, desirable_skills=("rtx_never_made",)))
    assert theirs == {
        "details.desirable_skills": "[0] 'rtb_secret_panel' is not a skill of the registry's taxonomy (ListTerms) "
        "that this trust may use"
    }
    # no oracle: another trust's own term is refused as a code that exists nowhere is
    assert theirs["details.desirable_skills"].replace("rtb_secret_panel", "X") == unknown[
        "details.desirable_skills"
    ].replace("rtx_never_made", "X")
    assert len(world.opportunities) == 1


def test_a_retired_term_is_refused_on_a_new_role_and_kept_on_a_role_that_named_it(world: World) -> None:
    world.terms.add(("skill", "rta_board_papers", "RTA"))
    named = create(world, A, replace(TERMED, desirable_skills=("rta_board_papers",)))
    world.terms.discard(("skill", "rta_board_papers", "RTA"))  # term.retired
    assert "details.desirable_skills" in refusal(world, A, replace(TERMED, desirable_skills=("rta_board_papers",)))
    change = commands.UpdateOpportunity(named.opportunity_id, named.version, replace(named.details, title="Renamed"))
    kept = opportunities.update_opportunity(change, uow(world, A), A, lambda: NOW)
    assert (kept.details.title, kept.details.desirable_skills) == ("Renamed", ("rta_board_papers",))
