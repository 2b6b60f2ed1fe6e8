"""Opportunities through the gRPC API: the lifecycle and its events in the outbox (same transaction),
optimistic concurrency, idempotency keys, listing with pages and filters, settings, eligibility."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import grpc
import pytest
import sqlalchemy as sa
from google.protobuf.timestamp_pb2 import Timestamp
from plr.matching.v1 import matching_pb2 as pb

from services.common.db import scoped_transaction
from services.common.platform_tables import outbox
from services.common.tenancy import TenantScope
from services.matching.tests.integration.conftest import ROLE, SITES, MatchingClient

pytestmark = pytest.mark.integration


def events_of(matching: MatchingClient, opportunity_id: str) -> list[tuple[str, int, dict[str, object]]]:
    with scoped_transaction(matching.engine, TenantScope.platform_wide()) as connection:
        rows = connection.execute(
            sa.select(outbox.c.event_type, outbox.c.aggregate_version, outbox.c.payload, outbox.c.trust_ods)
            .where(outbox.c.aggregate_id == opportunity_id)
            .order_by(outbox.c.id)
        ).all()
    return [(r.event_type.split(".")[3], r.aggregate_version, json.loads(r.payload)["data"]) for r in rows]


def change(matching: MatchingClient, key: tuple, method: str, o: pb.Opportunity, **extra: object) -> pb.Opportunity:  # type: ignore[type-arg]
    request_type = pb.WithdrawOpportunityRequest if method == "WithdrawOpportunity" else pb.ChangeOpportunityRequest
    request = request_type(opportunity_id=o.opportunity_id, expected_version=o.version, **extra)
    return getattr(matching.opportunities, method)(request, metadata=key, timeout=10)  # type: ignore[no-any-return]


def test_the_lifecycle_through_the_api_with_its_events(matching: MatchingClient) -> None:
    key = matching.trust("MLC")
    closing = (date.today() + timedelta(days=30)).isoformat()
    details = pb.OpportunityDetails()
    details.CopyFrom(ROLE)
    details.closing_date = closing
    draft = matching.create(key, details)
    assert (draft.status, draft.version, draft.trust_ods) == ("draft", 1, "MLC")
    assert not draft.HasField("published_at")
    published = matching.publish(key, draft)
    edited = pb.OpportunityDetails()
    edited.CopyFrom(published.details)
    edited.places = 5
    updated = matching.opportunities.UpdateOpportunity(
        pb.UpdateOpportunityRequest(opportunity_id=draft.opportunity_id, expected_version=2, details=edited),
        metadata=key,
        timeout=10,
    )
    closed = change(matching, key, "CloseOpportunity", updated)
    filled = change(matching, key, "FillOpportunity", closed)
    assert (filled.status, filled.version, filled.details.places) == ("filled", 5, 5)
    assert events_of(matching, draft.opportunity_id) == [
        (
            "published",
            2,
            {
                "opportunity_id": draft.opportunity_id,
                "ods": "MLC",
                "level": "level_3",
                "places": 2,
                "remote": False,
                "closing_date": closing,
            },
        ),
        ("updated", 3, {"opportunity_id": draft.opportunity_id, "ods": "MLC", "fields": ["places"]}),
        ("closed", 4, {"opportunity_id": draft.opportunity_id, "ods": "MLC"}),
        ("filled", 5, {"opportunity_id": draft.opportunity_id, "ods": "MLC"}),
    ]
    with pytest.raises(grpc.RpcError) as refused:
        change(matching, key, "WithdrawOpportunity", filled, reason="Too late")
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "filled" in refused.value.details()


def test_a_stale_version_is_failed_precondition_and_changes_nothing(matching: MatchingClient) -> None:
    key = matching.trust("MVC")
    draft = matching.create(key)
    matching.publish(key, draft)
    with pytest.raises(grpc.RpcError) as refused:
        change(matching, key, "WithdrawOpportunity", draft, reason="Stale")  # version 1, now 2
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    now = matching.opportunities.GetOpportunity(
        pb.GetOpportunityRequest(opportunity_id=draft.opportunity_id), metadata=key, timeout=5
    )
    assert (now.status, now.version) == ("published", 2)
    assert [e[0] for e in events_of(matching, draft.opportunity_id)] == ["published"]


def test_withdrawing_a_draft_emits_nothing_and_keeps_the_reason_for_the_owner(matching: MatchingClient) -> None:
    key = matching.trust("MWD")
    withdrawn = change(matching, key, "WithdrawOpportunity", matching.create(key), reason="Funding ended")
    assert (withdrawn.status, withdrawn.withdrawn_reason) == ("withdrawn", "Funding ended")
    assert events_of(matching, withdrawn.opportunity_id) == []


def test_an_idempotency_key_answers_the_first_result(matching: MatchingClient) -> None:
    key = matching.trust("MIK")
    request = pb.CreateOpportunityRequest(details=ROLE, idempotency_key="role-1")
    first = matching.opportunities.CreateOpportunity(request, metadata=key, timeout=10)
    again = matching.opportunities.CreateOpportunity(request, metadata=key, timeout=10)
    assert (first.created, again.created) == (True, False)
    assert again.opportunity == first.opportunity
    other = pb.CreateOpportunityRequest(details=ROLE, idempotency_key="role-1")
    other.details.title = "Another role"
    with pytest.raises(grpc.RpcError) as refused:
        matching.opportunities.CreateOpportunity(other, metadata=key, timeout=10)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    listed = matching.opportunities.ListOpportunities(pb.ListOpportunitiesRequest(), metadata=key, timeout=5)
    assert len(listed.opportunities) == 1


def test_another_trusts_same_idempotency_key_is_its_own_and_learns_nothing(matching: MatchingClient) -> None:
    mine, theirs = matching.trust("MKA"), matching.trust("MKB")
    request = pb.CreateOpportunityRequest(details=ROLE, idempotency_key="shared-key")
    first = matching.opportunities.CreateOpportunity(request, metadata=mine, timeout=10)
    other = pb.CreateOpportunityRequest(details=ROLE, idempotency_key="shared-key")
    other.details.title = "Their own role"  # another request under the same key: neither refused nor answered with mine
    made = matching.opportunities.CreateOpportunity(other, metadata=theirs, timeout=10)
    assert made.created and made.opportunity.opportunity_id != first.opportunity.opportunity_id
    assert (made.opportunity.trust_ods, made.opportunity.details.title) == ("MKB", "Their own role")
    again = matching.opportunities.CreateOpportunity(request, metadata=mine, timeout=10)
    assert (again.created, again.opportunity.opportunity_id) == (False, first.opportunity.opportunity_id)


def test_listing_pages_and_filters(matching: MatchingClient) -> None:
    key = matching.trust("MPG")
    made = [matching.create(key) for _ in range(5)]
    matching.publish(key, made[0])
    seen, token = [], ""
    while True:
        page = matching.opportunities.ListOpportunities(
            pb.ListOpportunitiesRequest(page_size=2, page_token=token), metadata=key, timeout=5
        )
        seen += [o.opportunity_id for o in page.opportunities]
        token = page.next_page_token
        if not token:
            break
    assert seen == sorted(o.opportunity_id for o in made)
    drafts = matching.opportunities.ListOpportunities(
        pb.ListOpportunitiesRequest(status="draft"), metadata=key, timeout=5
    )
    assert len(drafts.opportunities) == 4
    future = Timestamp()
    future.FromDatetime(datetime.now(UTC) + timedelta(hours=1))
    later = pb.ListOpportunitiesRequest(updated_since=future)
    assert list(matching.opportunities.ListOpportunities(later, metadata=key, timeout=5).opportunities) == []
    first = matching.opportunities.ListOpportunities(pb.ListOpportunitiesRequest(page_size=1), metadata=key, timeout=5)
    with pytest.raises(grpc.RpcError) as refused:  # a token held to the filters it was issued with
        matching.opportunities.ListOpportunities(
            pb.ListOpportunitiesRequest(page_size=1, page_token=first.next_page_token, status="draft"),
            metadata=key,
            timeout=5,
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "page_token" in refused.value.details()


def test_settings_default_checks_and_concurrency(matching: MatchingClient) -> None:
    key = matching.trust("MST")
    current = matching.settings.GetMatchingSettings(pb.GetMatchingSettingsRequest(), metadata=key, timeout=5)
    assert current.version == 1 and [s.code for s in current.sites] == ["main"]
    wanted = pb.MatchingSettings(
        recent_placement_months=6,
        max_concurrent_placements=2,
        sites=SITES,
        default_checks=[pb.LevelChecks(level="level_4", checks=["dbs", "references"])],
    )
    saved = matching.settings.UpdateMatchingSettings(
        pb.UpdateMatchingSettingsRequest(settings=wanted, expected_version=1), metadata=key, timeout=5
    )
    assert saved.version == 2 and list(saved.default_checks[0].checks) == ["dbs", "references"]
    # added within v1: a request without them (as from an older client) keeps the defaults
    assert (saved.max_hours_per_month, saved.rotation_ceiling_percent) == (40, 12)
    with pytest.raises(grpc.RpcError) as refused:
        matching.settings.UpdateMatchingSettings(
            pb.UpdateMatchingSettingsRequest(settings=wanted, expected_version=1), metadata=key, timeout=5
        )
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    senior = pb.OpportunityDetails()
    senior.CopyFrom(ROLE)
    senior.level = "level_4"
    assert list(matching.create(key, senior).details.required_checks) == ["dbs", "references"]


def test_eligibility_through_the_api(matching: MatchingClient) -> None:
    key = matching.trust("MEL")
    details = pb.OpportunityDetails()
    details.CopyFrom(ROLE)
    details.eligibility_rules.extend(
        [pb.EligibilityRule(kind="not_nhs_employee"), pb.EligibilityRule(kind="used_service_within_years", value="5")]
    )
    role = matching.create(key, details)
    assert [r.source for r in role.details.eligibility_rules] == ["declaration", "declaration"]
    answer = matching.opportunities.CheckEligibility(
        pb.CheckEligibilityRequest(opportunity_id=role.opportunity_id, declarations={"not_nhs_employee": False}),
        metadata=key,
        timeout=5,
    )
    assert answer.outcome == "ineligible"
    assert [(r.outcome, r.rule.kind) for r in answer.rules] == [
        ("ineligible", "not_nhs_employee"),
        ("needs_declaration", "used_service_within_years"),
    ]


def test_concurrent_changes_from_one_version_leave_one_winner(matching: MatchingClient) -> None:
    key = matching.trust("MCC")
    draft = matching.create(key)

    def publish() -> str:
        try:
            matching.publish(key, draft)
        except grpc.RpcError as error:
            return error.code().name
        return "OK"

    with ThreadPoolExecutor(4) as pool:
        answers = sorted(pool.map(lambda _: publish(), range(4)))
    assert answers == ["FAILED_PRECONDITION"] * 3 + ["OK"]
    assert [e[:2] for e in events_of(matching, draft.opportunity_id)] == [("published", 2)]


def test_a_trusts_workload_cap_in_hours_and_rotation_ceiling_are_its_own(matching: MatchingClient) -> None:
    key = matching.trust("MSH")
    wanted = pb.MatchingSettings(
        recent_placement_months=12,
        max_concurrent_placements=3,
        sites=SITES,
        max_hours_per_month=20,
        rotation_ceiling_percent=5,
    )
    saved = matching.settings.UpdateMatchingSettings(
        pb.UpdateMatchingSettingsRequest(settings=wanted, expected_version=1), metadata=key, timeout=5
    )
    assert (saved.max_hours_per_month, saved.rotation_ceiling_percent) == (20, 5)
    read = matching.settings.GetMatchingSettings(pb.GetMatchingSettingsRequest(), metadata=key, timeout=5)
    assert (read.max_hours_per_month, read.rotation_ceiling_percent) == (20, 5)
    wanted.rotation_ceiling_percent = 51
    with pytest.raises(grpc.RpcError) as refused:
        matching.settings.UpdateMatchingSettings(
            pb.UpdateMatchingSettingsRequest(settings=wanted, expected_version=2), metadata=key, timeout=5
        )
    assert (
        refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        and "rotation_ceiling_percent" in refused.value.details()
    )
