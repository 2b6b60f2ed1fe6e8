"""Every paged listing of the registry pages through everything exactly once with the tokens it
answers, and refuses a token it did not make (edited, or another listing's) with INVALID_ARGUMENT
naming page_token, changing nothing."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from plr.registry.v1 import development_pb2 as dpb
from plr.registry.v1 import leaders_pb2 as lpb
from plr.registry.v1 import registry_pb2 as pb

from services.common.grpc_client import bearer
from services.registry.tests.integration.conftest import RegistryClient
from services.registry.tests.integration.development_support import development

pytestmark = pytest.mark.integration


def _token(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@pytest.fixture(scope="module")
def trust_key(registry: RegistryClient) -> str:
    return registry.onboard("RTK").initial_key.key


@pytest.fixture(scope="module")
def leader_ids(registry: RegistryClient, trust_key: str) -> list[str]:
    """Three leaders the trust registered, each confirmed (so the trust sees them)."""
    made = []
    for _ in range(3):
        affiliation = registry.register(trust_key, f"page-{uuid.uuid4().hex[:10]}@example.org")
        registry.confirm(affiliation)
        made.append(affiliation.leader_id)
    return made


def _every_page(list_page: Callable[[str], tuple[list[str], str]]) -> list[str]:
    seen: list[str] = []
    token = ""
    for _ in range(50):
        items, token = list_page(token)
        seen += items
        if not token:
            return seen
    raise AssertionError("the listing never ended")


@pytest.mark.parametrize(
    ("method", "request_type", "items"),
    [
        ("ListLeaders", lpb.ListLeadersRequest, "leaders"),
        ("ListAffiliations", lpb.ListAffiliationsRequest, "affiliations"),
    ],
)
def test_a_listing_by_last_change_pages_through_every_leader_once(
    registry: RegistryClient, trust_key: str, leader_ids: list[str], method: str, request_type: type, items: str
) -> None:
    def page(token: str) -> tuple[list[str], str]:
        got = getattr(registry.leaders, method)(
            request_type(page_size=1, page_token=token), metadata=bearer(trust_key), timeout=10
        )
        return [item.leader_id for item in getattr(got, items)], got.next_page_token

    seen = _every_page(page)
    assert len(seen) == len(set(seen)) and set(leader_ids) <= set(seen)


@pytest.mark.parametrize(
    ("method", "request_type"),
    [("ListLeaders", lpb.ListLeadersRequest), ("ListAffiliations", lpb.ListAffiliationsRequest)],
)
def test_a_page_token_sent_with_another_updated_since_is_refused_naming_it(
    registry: RegistryClient, trust_key: str, leader_ids: list[str], method: str, request_type: type
) -> None:
    """A token resumes the listing it came from: under another ``updated_since`` it would skip rows."""
    since = Timestamp()
    since.FromJsonString("2020-01-01T00:00:00Z")
    listing = getattr(registry.leaders, method)
    first = listing(request_type(page_size=1, updated_since=since), metadata=bearer(trust_key), timeout=10)
    assert first.next_page_token
    same = listing(
        request_type(page_size=1, updated_since=since, page_token=first.next_page_token),
        metadata=bearer(trust_key),
        timeout=10,
    )
    assert same is not None
    without = request_type(page_size=1, page_token=first.next_page_token)
    later = request_type(page_size=1, page_token=first.next_page_token)
    later.updated_since.FromJsonString("2021-01-01T00:00:00Z")
    for other in (without, later):
        error = _refused(lambda: listing(other, metadata=bearer(trust_key), timeout=10))  # noqa: B023
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error.details().startswith("page_token: was issued for another updated_since")


def test_a_trust_list_page_token_is_held_to_its_updated_since(registry: RegistryClient) -> None:
    for ods in ("RTL1", "RTL2"):
        registry.onboard(ods)
    first = registry.stub.ListTrusts(pb.ListTrustsRequest(page_size=1), metadata=registry.as_admin(), timeout=5)
    since = Timestamp()
    since.FromJsonString("2020-01-01T00:00:00Z")
    error = _refused(
        lambda: registry.stub.ListTrusts(
            pb.ListTrustsRequest(page_size=1, page_token=first.next_page_token, updated_since=since),
            metadata=registry.as_admin(),
            timeout=5,
        )
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and "page_token: was issued for another" in error.details()


def test_list_audit_entries_pages_through_every_entry_once(
    registry: RegistryClient, trust_key: str, leader_ids: list[str]
) -> None:
    leader_id = leader_ids[0]
    for _ in range(3):
        registry.leaders.GetLeader(lpb.GetLeaderRequest(leader_id=leader_id), metadata=bearer(trust_key), timeout=10)

    def page(token: str) -> tuple[list[str], str]:
        got = registry.leaders.ListAuditEntries(
            lpb.ListAuditEntriesRequest(leader_id=leader_id, page_size=1, page_token=token),
            metadata=registry.as_leader(leader_id),
            timeout=10,
        )
        return [f"{e.method}@{e.at.ToJsonString()}" for e in got.entries], got.next_page_token

    whole = registry.leaders.ListAuditEntries(
        lpb.ListAuditEntriesRequest(leader_id=leader_id, page_size=500),
        metadata=registry.as_leader(leader_id),
        timeout=10,
    )
    assert len(whole.entries) >= 3 and not whole.next_page_token
    assert _every_page(page) == [f"{e.method}@{e.at.ToJsonString()}" for e in whole.entries]


def test_list_programmes_pages_through_every_programme_once(registry: RegistryClient, trust_key: str) -> None:
    api = development(registry)
    titles = {f"Programme {n}" for n in range(3)}
    for title in titles:
        api.CreateProgramme(
            dpb.CreateProgrammeRequest(title=title, module_titles=["One"]), metadata=bearer(trust_key), timeout=10
        )

    def page(token: str) -> tuple[list[str], str]:
        got = api.ListProgrammes(
            dpb.ListProgrammesRequest(page_size=1, page_token=token), metadata=bearer(trust_key), timeout=10
        )
        return [p.programme_id for p in got.programmes], got.next_page_token

    seen = _every_page(page)
    assert len(seen) == len(set(seen)) >= len(titles)


def _refused(call: Callable[[], object]) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as refused:
        call()
    return refused.value


AN_ID = str(uuid.uuid4())
CHANGES_TOKEN = _token(["2026-01-01T00:00:00+00:00", AN_ID])  # the shape of a leader listing's token


@pytest.mark.parametrize(
    "token",
    [
        _token([-1]),  # an offset below zero (read as an entry id before: accepted)
        _token(["12"]),
        CHANGES_TOKEN,  # another listing's token
    ],
    ids=["negative-offset", "offset-as-text", "leaders-token"],
)
def test_an_audit_page_token_it_did_not_make_is_refused_naming_it(
    registry: RegistryClient, leader_ids: list[str], token: str
) -> None:
    leader_id = leader_ids[0]
    error = _refused(
        lambda: registry.leaders.ListAuditEntries(
            lpb.ListAuditEntriesRequest(leader_id=leader_id, page_token=token),
            metadata=registry.as_leader(leader_id),
            timeout=10,
        )
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details() == "page_token: is not a page token from a previous response"


@pytest.mark.parametrize(
    "token",
    [
        base64.urlsafe_b64encode(b"not a code").decode(),  # any text was taken as the code to resume after
        _token(["rxx"]),
        _token(["RXX", "RYY"]),
        CHANGES_TOKEN,
    ],
    ids=["any-text", "lower-case-code", "two-codes", "leaders-token"],
)
def test_a_trust_list_page_token_that_names_no_ods_code_is_refused_naming_it(
    registry: RegistryClient, token: str
) -> None:
    error = _refused(
        lambda: registry.stub.ListTrusts(
            pb.ListTrustsRequest(page_token=token), metadata=registry.as_admin(), timeout=5
        )
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details() == "page_token: is not a page token from a previous response"


@pytest.mark.parametrize("token", [_token([1]), _token(["2026-01-01T00:00:00+00:00", "not-an-id"])])
def test_a_leader_list_page_token_of_another_shape_is_refused_naming_it(
    registry: RegistryClient, trust_key: str, token: str
) -> None:
    error = _refused(
        lambda: registry.leaders.ListLeaders(
            lpb.ListLeadersRequest(page_token=token), metadata=bearer(trust_key), timeout=10
        )
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details() == "page_token: is not a page token from a previous response"


def test_a_programme_page_token_of_another_listing_is_refused_naming_it(
    registry: RegistryClient, trust_key: str
) -> None:
    error = _refused(
        lambda: development(registry).ListProgrammes(
            dpb.ListProgrammesRequest(page_token=CHANGES_TOKEN), metadata=bearer(trust_key), timeout=10
        )
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details() == "page_token: is not a page token from a previous response"


def test_a_trust_carries_updated_at_which_a_change_moves(registry: RegistryClient) -> None:
    made = registry.onboard("RTU1").trust
    assert made.HasField("updated_at")
    suspended = registry.stub.SuspendTrust(pb.SuspendTrustRequest(ods="RTU1"), metadata=registry.as_admin(), timeout=5)
    assert suspended.updated_at.ToDatetime() > made.updated_at.ToDatetime()
    listed = registry.stub.ListTrusts(
        pb.ListTrustsRequest(updated_since=suspended.updated_at, page_size=500), metadata=registry.as_admin(), timeout=5
    )
    assert [(t.ods, t.updated_at) for t in listed.trusts if t.ods == "RTU1"] == [("RTU1", suspended.updated_at)]


def test_a_page_token_is_refused_by_another_listing_and_by_another_trust(
    registry: RegistryClient, trust_key: str, leader_ids: list[str]
) -> None:
    """Issue 15: a ListLeaders token was accepted by ListAffiliations (and by another trust's key)."""
    other_key = registry.onboard("RTK2").initial_key.key
    leaders = registry.leaders.ListLeaders(lpb.ListLeadersRequest(page_size=1), metadata=bearer(trust_key), timeout=10)
    affiliations = registry.leaders.ListAffiliations(
        lpb.ListAffiliationsRequest(page_size=1), metadata=bearer(trust_key), timeout=10
    )
    assert leaders.next_page_token and affiliations.next_page_token
    elsewhere = [
        lambda: registry.leaders.ListAffiliations(
            lpb.ListAffiliationsRequest(page_token=leaders.next_page_token), metadata=bearer(trust_key), timeout=10
        ),
        lambda: registry.leaders.ListLeaders(
            lpb.ListLeadersRequest(page_token=affiliations.next_page_token), metadata=bearer(trust_key), timeout=10
        ),
        lambda: registry.leaders.ListLeaders(
            lpb.ListLeadersRequest(page_token=leaders.next_page_token), metadata=bearer(other_key), timeout=10
        ),
    ]
    for call in elsewhere:
        error = _refused(call)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error.details().startswith("page_token: was issued by another method or to another caller"), (
            error.details()
        )


def test_a_change_history_page_token_is_held_to_its_leader(
    registry: RegistryClient, trust_key: str, leader_ids: list[str]
) -> None:
    first = registry.leaders.ListChanges(lpb.ListChangesRequest(page_size=1), metadata=bearer(trust_key), timeout=10)
    assert first.next_page_token
    error = _refused(
        lambda: registry.leaders.ListChanges(
            lpb.ListChangesRequest(leader_id=leader_ids[0], page_token=first.next_page_token),
            metadata=bearer(trust_key),
            timeout=10,
        )
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details().startswith("page_token: was issued for another leader_id and updated_since")
