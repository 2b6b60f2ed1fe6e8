"""Matching attacked from outside, through the gRPC API only: a hostile trust, a careless administrator
and a confused member of staff. Each answer is the one the API documents (proto/plr/matching/v1): a
bad field is INVALID_ARGUMENT naming it, a change out of order or from a stale version is
FAILED_PRECONDITION, another trust's record is NOT_FOUND as an id that does not exist; never INTERNAL,
and a refused call changes nothing."""

from __future__ import annotations

import base64
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import grpc
import pytest
import sqlalchemy as sa
from plr.matching.v1 import matching_pb2 as pb

from services.common.db import scoped_transaction
from services.common.events import CONTRACTS_DIR, default_registry
from services.common.platform_tables import outbox
from services.common.tenancy import TenantScope
from services.matching.tests.integration.conftest import ROLE, MatchingClient
from services.matching.tests.integration.test_opportunities_api import change, events_of

pytestmark = pytest.mark.integration

Metadata = tuple[tuple[str, str], ...]
TODAY = date.today()


def refused(call, request, metadata: Metadata) -> grpc.RpcError:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as error:
        answer = call(request, metadata=metadata, timeout=10)
        pytest.fail(f"answered {answer}")
    return error.value


def details(**changes: object) -> pb.OpportunityDetails:
    made = pb.OpportunityDetails()
    made.CopyFrom(ROLE)
    term = changes.pop("term", None)
    for name, value in changes.items():
        setattr(made, name, value)
    if term is not None:
        made.term.CopyFrom(term)
    return made


def get(matching: MatchingClient, key: Metadata, opportunity_id: str) -> pb.Opportunity:
    request = pb.GetOpportunityRequest(opportunity_id=opportunity_id)
    return matching.opportunities.GetOpportunity(request, metadata=key, timeout=5)


# ---- lifecycle out of order ----

OUT_OF_ORDER = [
    # (steps that bring the role to its state, the change tried)
    ((), "CloseOpportunity"),
    ((), "FillOpportunity"),
    (("PublishOpportunity",), "PublishOpportunity"),
    (("PublishOpportunity", "CloseOpportunity"), "PublishOpportunity"),
    (("PublishOpportunity", "CloseOpportunity"), "CloseOpportunity"),
    (("PublishOpportunity", "FillOpportunity"), "CloseOpportunity"),
    (("PublishOpportunity", "FillOpportunity"), "FillOpportunity"),
    (("WithdrawOpportunity",), "PublishOpportunity"),
    (("WithdrawOpportunity",), "CloseOpportunity"),
    (("WithdrawOpportunity",), "WithdrawOpportunity"),
    (("PublishOpportunity", "WithdrawOpportunity"), "PublishOpportunity"),
    (("PublishOpportunity", "WithdrawOpportunity"), "FillOpportunity"),
]


@pytest.fixture(scope="module")
def key(matching: MatchingClient) -> Metadata:
    return matching.trust("MAT")


@pytest.mark.parametrize(("steps", "tried"), OUT_OF_ORDER)
def test_a_change_out_of_order_is_failed_precondition_naming_the_state_and_changes_nothing(
    matching: MatchingClient, key: Metadata, steps: tuple[str, ...], tried: str
) -> None:
    role = matching.create(key)
    for step in steps:
        role = change(matching, key, step, role, **({"reason": "No longer needed"} if "Withdraw" in step else {}))
    heard = events_of(matching, role.opportunity_id)
    extra = {"reason": "Again"} if "Withdraw" in tried else {}
    with pytest.raises(grpc.RpcError) as error:
        change(matching, key, tried, role, **extra)
    assert error.value.code() == grpc.StatusCode.FAILED_PRECONDITION, error.value.details()
    assert role.status in error.value.details()
    assert get(matching, key, role.opportunity_id) == role
    assert events_of(matching, role.opportunity_id) == heard


@pytest.mark.parametrize("status", ["closed", "filled", "withdrawn"])
def test_a_role_that_is_no_longer_open_cannot_be_edited(matching: MatchingClient, key: Metadata, status: str) -> None:
    role = matching.publish(key, matching.create(key))
    step = {"closed": "CloseOpportunity", "filled": "FillOpportunity", "withdrawn": "WithdrawOpportunity"}[status]
    role = change(matching, key, step, role, **({"reason": "Gone"} if status == "withdrawn" else {}))
    request = pb.UpdateOpportunityRequest(
        opportunity_id=role.opportunity_id, expected_version=role.version, details=details(title="Reopened?")
    )
    error = refused(matching.opportunities.UpdateOpportunity, request, key)
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION and status in error.details()
    assert get(matching, key, role.opportunity_id) == role


@pytest.mark.parametrize("version", [-1, 0])
def test_an_expected_version_below_one_is_invalid_argument(
    matching: MatchingClient, key: Metadata, version: int
) -> None:
    role = matching.create(key)
    request = pb.ChangeOpportunityRequest(opportunity_id=role.opportunity_id, expected_version=version)
    error = refused(matching.opportunities.PublishOpportunity, request, key)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and "expected_version" in error.details()


@pytest.mark.parametrize("whose", ["another trust's", "no one's"])
def test_a_bad_field_is_named_before_the_id_is_looked_up(matching: MatchingClient, key: Metadata, whose: str) -> None:
    role_id = matching.create(matching.trust("MWO")).opportunity_id if whose == "another trust's" else str(uuid.uuid4())
    request = pb.WithdrawOpportunityRequest(opportunity_id=role_id, expected_version=1, reason="  ")
    error = refused(matching.opportunities.WithdrawOpportunity, request, key)
    assert (error.code(), error.details()) == (grpc.StatusCode.INVALID_ARGUMENT, "reason: is required")
    update = pb.UpdateOpportunityRequest(opportunity_id=role_id, expected_version=1, details=details(places=0))
    error = refused(matching.opportunities.UpdateOpportunity, update, key)
    assert (error.code(), error.details()) == (grpc.StatusCode.INVALID_ARGUMENT, "details.places: must be 1 to 100")


def test_a_version_from_the_future_is_failed_precondition(matching: MatchingClient, key: Metadata) -> None:
    role = matching.create(key)
    request = pb.ChangeOpportunityRequest(opportunity_id=role.opportunity_id, expected_version=2**63 - 1)
    error = refused(matching.opportunities.PublishOpportunity, request, key)
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert get(matching, key, role.opportunity_id).status == "draft"


# ---- dates, numbers and sizes ----

BAD_DETAILS = [
    ({"term": pb.Term(start_date="2027-03-01", end_date="2027-02-01")}, "details.term.end_date"),
    ({"term": pb.Term(start_date="2027-03-01", review_date="2027-03-01")}, "details.term.review_date"),
    (
        {"term": pb.Term(start_date="2027-01-01", end_date="2027-06-30", review_date="2027-09-01")},
        "details.term.review_date",
    ),
    ({"term": pb.Term(end_date="2027-06-30")}, "details.term.start_date"),
    ({"term": pb.Term(start_date="2027-02-30")}, "details.term.start_date"),
    ({"term": pb.Term(start_date="20270201")}, "details.term.start_date"),
    ({"term": pb.Term(start_date="2027-W05-1")}, "details.term.start_date"),
    ({"term": pb.Term(start_date="0001-01-01")}, "details.term.start_date"),
    ({"level": "patient_safety_partner", "term": pb.Term(start_date="9999-12-31")}, "details.term.start_date"),
    ({"closing_date": "9999-12-31"}, "details.closing_date"),
    (
        {"closing_date": "2027-07-01", "term": pb.Term(start_date="2027-01-01", end_date="2027-06-30")},
        "details.closing_date",
    ),
    ({"places": 0}, "details.places"),
    ({"places": -5}, "details.places"),
    ({"places": 2**31 - 1}, "details.places"),
    ({"hours_per_month": -1}, "details.hours_per_month"),
    ({"title": "x" * 100_000}, "details.title"),
    ({"title": "   "}, "details.title"),
    ({"title": "a\x00b"}, "details.title"),
    ({"title": "First line\nSecond line"}, "details.title"),
    ({"payment_rule": "standard\nrate"}, "details.payment_rule"),
    ({"description": "d" * 5001}, "details.description"),
    ({"payment_rule": "p" * 101}, "details.payment_rule"),
    ({"network_id": "n" * 10_000}, "details.network_id"),
    ({"level": "level_5"}, "details.level"),
    ({"level": ""}, "details.level"),
]


@pytest.mark.parametrize(("changes", "field"), BAD_DETAILS, ids=lambda v: str(v)[:60])
def test_bad_details_are_named_on_create_and_update_and_change_nothing(
    matching: MatchingClient, key: Metadata, changes: dict[str, object], field: str
) -> None:
    before = matching.opportunities.ListOpportunities(pb.ListOpportunitiesRequest(), metadata=key, timeout=5)
    bad = details(**changes)
    error = refused(matching.opportunities.CreateOpportunity, pb.CreateOpportunityRequest(details=bad), key)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.details()
    assert field in error.details(), error.details()
    assert len(error.details()) < 2000  # names the field, does not echo a huge value
    after = matching.opportunities.ListOpportunities(pb.ListOpportunitiesRequest(), metadata=key, timeout=5)
    assert after == before
    role = matching.create(key)
    update = pb.UpdateOpportunityRequest(opportunity_id=role.opportunity_id, expected_version=1, details=bad)
    error = refused(matching.opportunities.UpdateOpportunity, update, key)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and field in error.details(), error.details()
    assert get(matching, key, role.opportunity_id) == role


def test_repeated_sites_are_named(matching: MatchingClient, key: Metadata) -> None:
    bad = details()
    bad.sites.append("main")
    error = refused(matching.opportunities.CreateOpportunity, pb.CreateOpportunityRequest(details=bad), key)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and "details.sites" in error.details()


def test_a_published_role_s_closing_date_cannot_be_moved_into_the_past(matching: MatchingClient, key: Metadata) -> None:
    role = matching.publish(key, matching.create(key, details(closing_date=(TODAY + timedelta(days=9)).isoformat())))
    past = details(closing_date=(TODAY - timedelta(days=1)).isoformat())
    request = pb.UpdateOpportunityRequest(
        opportunity_id=role.opportunity_id, expected_version=role.version, details=past
    )
    error = refused(matching.opportunities.UpdateOpportunity, request, key)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and "details.closing_date" in error.details()
    assert get(matching, key, role.opportunity_id) == role


def test_a_draft_may_keep_a_past_closing_date_but_cannot_be_published(matching: MatchingClient, key: Metadata) -> None:
    role = matching.create(key, details(closing_date=(TODAY - timedelta(days=1)).isoformat()))
    with pytest.raises(grpc.RpcError) as error:
        matching.publish(key, role)
    assert error.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "closing date" in error.value.details()
    assert events_of(matching, role.opportunity_id) == []


BAD_RULES = [
    (pb.EligibilityRule(kind="is_famous"), "kind"),
    (pb.EligibilityRule(kind=""), "kind"),
    (pb.EligibilityRule(kind="used_service_within_years", value="abc"), "eligibility_rules"),
    (pb.EligibilityRule(kind="used_service_within_years", value="0"), "eligibility_rules"),
    (pb.EligibilityRule(kind="used_service_within_years", value="\u0663"), "eligibility_rules"),  # an Arabic 3
    (pb.EligibilityRule(kind="used_service_within_years", value=" 5"), "eligibility_rules"),
    (pb.EligibilityRule(kind="min_hours_per_month", value="9" * 400), "eligibility_rules"),
    (pb.EligibilityRule(kind="aged_18_or_over", value="yes"), "eligibility_rules"),
    (pb.EligibilityRule(kind="screening_question", value=""), "eligibility_rules"),
    (pb.EligibilityRule(kind="screening_question", value="q" * 301), "eligibility_rules"),
    (pb.EligibilityRule(kind="holds_check", value="passport"), "eligibility_rules"),
    (pb.EligibilityRule(kind="has_skill", value="no_such_skill"), "eligibility_rules"),
]


@pytest.mark.parametrize(("rule", "field"), BAD_RULES, ids=lambda v: str(v).replace("\n", " ")[:40])
def test_a_malformed_eligibility_rule_is_named(
    matching: MatchingClient, key: Metadata, rule: pb.EligibilityRule, field: str
) -> None:
    bad = details()
    bad.eligibility_rules.append(rule)
    error = refused(matching.opportunities.CreateOpportunity, pb.CreateOpportunityRequest(details=bad), key)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.details()
    assert "details.eligibility_rules" in error.details() and field in error.details(), error.details()


@pytest.mark.parametrize("idempotency_key", ["k" * 201, "line\nbreak", "\x00"], ids=["too-long", "newline", "nul"])
def test_a_malformed_idempotency_key_is_named_and_makes_nothing(
    matching: MatchingClient, key: Metadata, idempotency_key: str
) -> None:
    before = matching.opportunities.ListOpportunities(pb.ListOpportunitiesRequest(), metadata=key, timeout=5)
    request = pb.CreateOpportunityRequest(details=ROLE, idempotency_key=idempotency_key)
    error = refused(matching.opportunities.CreateOpportunity, request, key)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and "idempotency_key" in error.details()
    assert matching.opportunities.ListOpportunities(pb.ListOpportunitiesRequest(), metadata=key, timeout=5) == before


def test_another_trust_using_the_key_first_changes_nothing_of_my_answer(matching: MatchingClient) -> None:
    first, second = matching.trust("MKC"), matching.trust("MKD")
    theirs = pb.CreateOpportunityRequest(details=details(title="Their role"), idempotency_key="collide")
    matching.opportunities.CreateOpportunity(theirs, metadata=first, timeout=10)
    mine = pb.CreateOpportunityRequest(details=details(title="My role"), idempotency_key="collide")
    made = matching.opportunities.CreateOpportunity(mine, metadata=second, timeout=10)
    assert (made.created, made.opportunity.trust_ods, made.opportunity.details.title) == (True, "MKD", "My role")
    # the first trust's replay of its own request is still its own
    again = matching.opportunities.CreateOpportunity(theirs, metadata=first, timeout=10)
    assert (again.created, again.opportunity.trust_ods) == (False, "MKC")


def test_a_retry_storm_on_one_idempotency_key_makes_one_role(matching: MatchingClient) -> None:
    key = matching.trust("MKS")
    request = pb.CreateOpportunityRequest(details=ROLE, idempotency_key="storm")

    def send(_: int) -> tuple[bool, str] | grpc.StatusCode:
        try:
            made = matching.opportunities.CreateOpportunity(request, metadata=key, timeout=20)
        except grpc.RpcError as error:
            return error.code()  # type: ignore[no-any-return]
        return made.created, made.opportunity.opportunity_id

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(send, range(8)))
    assert all(isinstance(a, tuple) for a in answers), answers
    assert sorted(created for created, _ in answers) == [False] * 7 + [True]  # type: ignore[misc]
    assert len({made for _, made in answers}) == 1  # type: ignore[misc]
    listed = matching.opportunities.ListOpportunities(pb.ListOpportunitiesRequest(), metadata=key, timeout=5)
    assert len(listed.opportunities) == 1


# ---- page tokens ----


def _token(matching: MatchingClient, key: Metadata, **filters: object) -> str:
    for _ in range(3):
        matching.create(key)
    listed = matching.opportunities.ListOpportunities(
        pb.ListOpportunitiesRequest(page_size=1, **filters), metadata=key, timeout=5
    )
    assert listed.next_page_token
    return listed.next_page_token


def _edited(token: str, edit) -> str:  # type: ignore[no-untyped-def]
    parts = json.loads(base64.urlsafe_b64decode(token.encode()))
    return base64.urlsafe_b64encode(json.dumps(edit(parts)).encode()).decode()


EDITS = {
    "truncated": lambda token: token[: len(token) // 2],
    "not json": lambda token: base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    "a dict": lambda token: _edited(token, lambda parts: {"a": parts}),
    "a huge id": lambda token: _edited(token, lambda parts: ["9" * 5000, *parts[1:]]),
    "a number for the id": lambda token: _edited(token, lambda parts: [2**70, *parts[1:]]),
    "a null id": lambda token: _edited(token, lambda parts: [None, *parts[1:]]),
    "another digest": lambda token: _edited(token, lambda parts: [*parts[:-2], "0" * 16, parts[-1]]),
    "fewer parts": lambda token: _edited(token, lambda parts: parts[:-1]),
    "10 MB": lambda token: "A" * 1_000_000,
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_an_edited_page_token_is_invalid_argument(matching: MatchingClient, key: Metadata, edit: str) -> None:
    token = EDITS[edit](_token(matching, key))
    request = pb.ListOpportunitiesRequest(page_size=1, page_token=token)
    error = refused(matching.opportunities.ListOpportunities, request, key)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and "page_token" in error.details(), error.details()


def test_a_page_token_holds_to_its_trust_and_its_filters(matching: MatchingClient, key: Metadata) -> None:
    other = matching.trust("MPT")
    token = _token(matching, key, status="draft", owner="own")
    for metadata, filters in (
        (other, {"status": "draft", "owner": "own"}),  # another trust replays it
        (key, {"status": "published", "owner": "own"}),
        (key, {"status": "draft", "owner": ""}),
        (key, {"status": "draft"}),
    ):
        request = pb.ListOpportunitiesRequest(page_size=1, page_token=token, **filters)
        error = refused(matching.opportunities.ListOpportunities, request, metadata)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and "page_token" in error.details()


# ---- networks ----


@pytest.mark.parametrize("step", ["CloseOpportunity", "FillOpportunity", "WithdrawOpportunity", "unshare"])
def test_a_network_trust_stops_seeing_a_role_that_is_no_longer_published_to_it(
    matching: MatchingClient, step: str
) -> None:
    suffix = {"CloseOpportunity": "C", "FillOpportunity": "F", "WithdrawOpportunity": "W", "unshare": "U"}[step]
    owner, neighbour = matching.trust(f"NO{suffix}"), matching.trust(f"NN{suffix}")
    network = f"attack-net-{suffix.lower()}"
    matching.network(network, f"NO{suffix}", f"NN{suffix}")
    role = matching.publish(owner, matching.create(owner, details(network_id=network)))
    assert get(matching, neighbour, role.opportunity_id).status == "published"
    if step == "unshare":
        request = pb.UpdateOpportunityRequest(
            opportunity_id=role.opportunity_id, expected_version=role.version, details=details()
        )
        matching.opportunities.UpdateOpportunity(request, metadata=owner, timeout=10)
    else:
        change(matching, owner, step, role, **({"reason": "Funding ended"} if "Withdraw" in step else {}))
    error = refused(
        matching.opportunities.GetOpportunity, pb.GetOpportunityRequest(opportunity_id=role.opportunity_id), neighbour
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND
    listed = matching.opportunities.ListOpportunities(pb.ListOpportunitiesRequest(), metadata=neighbour, timeout=5)
    assert role.opportunity_id not in {o.opportunity_id for o in listed.opportunities}
    answer = matching.opportunities.CheckEligibility(
        pb.CheckEligibilityRequest(opportunity_id=role.opportunity_id), metadata=owner, timeout=5
    )
    assert answer.outcome  # the owner still reads its own
    with pytest.raises(grpc.RpcError) as hidden:
        matching.opportunities.CheckEligibility(
            pb.CheckEligibilityRequest(opportunity_id=role.opportunity_id), metadata=neighbour, timeout=5
        )
    assert hidden.value.code() == grpc.StatusCode.NOT_FOUND


def test_a_trust_cannot_publish_to_a_network_it_is_not_in_and_the_answer_does_not_say_it_exists(
    matching: MatchingClient,
) -> None:
    outsider = matching.trust("NXO")
    matching.trust("NXM")
    matching.network("attack-closed-net", "NXM")
    answers = []
    for network in ("attack-closed-net", "attack-no-such-net"):
        request = pb.CreateOpportunityRequest(details=details(network_id=network))
        error = refused(matching.opportunities.CreateOpportunity, request, outsider)
        answers.append((error.code(), error.details()))
    assert answers[0] == answers[1]
    assert answers[0][0] == grpc.StatusCode.INVALID_ARGUMENT and "details.network_id" in answers[0][1]


# ---- settings, by a careless administrator ----


def test_a_site_named_by_an_open_role_cannot_be_removed(matching: MatchingClient) -> None:
    key = matching.trust("MSR")
    role = matching.publish(key, matching.create(key))
    current = matching.settings.GetMatchingSettings(pb.GetMatchingSettingsRequest(), metadata=key, timeout=5)
    emptied = pb.MatchingSettings()
    emptied.CopyFrom(current)
    del emptied.sites[:]
    request = pb.UpdateMatchingSettingsRequest(settings=emptied, expected_version=current.version)
    error = refused(matching.settings.UpdateMatchingSettings, request, key)
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION and "main" in error.details(), error.details()
    assert matching.settings.GetMatchingSettings(pb.GetMatchingSettingsRequest(), metadata=key, timeout=5) == current
    # once the role is no longer open, the site may go
    change(matching, key, "CloseOpportunity", role)
    change(matching, key, "FillOpportunity", get(matching, key, role.opportunity_id))
    done = matching.settings.UpdateMatchingSettings(request, metadata=key, timeout=5)
    assert list(done.sites) == []


# ---- events ----


def outbox_bodies(matching: MatchingClient, opportunity_id: str) -> list[dict[str, Any]]:
    with scoped_transaction(matching.engine, TenantScope.platform_wide()) as connection:
        payloads = connection.execute(
            sa.select(outbox.c.payload).where(outbox.c.aggregate_id == opportunity_id).order_by(outbox.c.id)
        ).scalars()
        return [json.loads(p) for p in payloads]


def golden(event_type: str) -> dict[str, Any]:
    return json.loads((CONTRACTS_DIR / "examples" / f"{event_type}.json").read_text())  # type: ignore[no-any-return]


@pytest.mark.parametrize("end", ["FillOpportunity", "WithdrawOpportunity"])
def test_every_change_others_hear_of_is_one_event_shaped_as_its_golden_example(
    matching: MatchingClient, end: str
) -> None:
    owner = "NEF" if end == "FillOpportunity" else "NEW"
    key = matching.trust(owner)
    matching.network(f"events-net-{owner.lower()}", owner)
    shared = details(network_id=f"events-net-{owner.lower()}", closing_date=(TODAY + timedelta(days=5)).isoformat())
    role = matching.create(key, shared)
    role = matching.opportunities.UpdateOpportunity(  # a draft's change: no one hears of it
        pb.UpdateOpportunityRequest(
            opportunity_id=role.opportunity_id,
            expected_version=1,
            details=details(**{"network_id": shared.network_id, "closing_date": shared.closing_date, "places": 4}),
        ),
        metadata=key,
        timeout=10,
    )
    role = matching.publish(key, role)
    role = matching.opportunities.UpdateOpportunity(
        pb.UpdateOpportunityRequest(
            opportunity_id=role.opportunity_id, expected_version=role.version, details=details(places=5)
        ),
        metadata=key,
        timeout=10,
    )
    role = change(matching, key, "CloseOpportunity", role)
    role = change(matching, key, end, role, **({"reason": "Funding ended"} if "Withdraw" in end else {}))
    bodies = outbox_bodies(matching, role.opportunity_id)
    kinds = ["published", "updated", "closed", "filled" if end == "FillOpportunity" else "withdrawn"]
    assert [b["type"] for b in bodies] == [f"plr.matching.opportunity.{k}.v1" for k in kinds]
    assert [b["aggregateversion"] for b in bodies] == [3, 4, 5, 6]
    registry = default_registry()
    for body in bodies:
        registry.validate(body)
        example = golden(body["type"])
        assert set(body) == set(example), body["type"]
        assert (body["trustods"], body["aggregatetype"], body["aggregateid"]) == (
            owner,
            "opportunity",
            role.opportunity_id,
        )
        assert set(body["data"]) <= set(example["data"]) and body["data"]["ods"] == owner
    assert bodies[0]["data"]["network_id"] == shared.network_id
    assert sorted(bodies[1]["data"]["fields"]) == ["closing_date", "network_id", "places"]
