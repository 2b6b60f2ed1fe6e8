"""No trust sees another's drafts or settings, nor changes anything of another's, through any matching
method, whether it calls with its key or a member of its staff through the portal; a network trust sees
only the roles published to a network it shares, as published.

The methods are listed from the service descriptors, so a method added later is covered without anyone
remembering to add it here. Each request is aimed at trust A's data through the fields requests use
(``opportunity_id``, ``expected_version``, ``details``, ``reason``, ``settings``): a method naming an
opportunity must answer NOT_FOUND (the same as an id that does not exist); any other answers the
caller about itself, and its answer must hold nothing of A's.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc
import pytest
import sqlalchemy as sa
from google.protobuf import message_factory
from google.protobuf.message import Message
from plr.matching.v1 import matching_pb2 as pb

from services.common.db import scoped_transaction
from services.common.tenancy import TenantScope
from services.matching.tests.integration.conftest import ROLE, SERVICES, SITES, MatchingClient

pytestmark = pytest.mark.integration

METHODS = [(s.name, m.name) for s in SERVICES.values() for m in s.methods]
MUTATIONS = {"UpdateOpportunity", "PublishOpportunity", "CloseOpportunity", "FillOpportunity", "WithdrawOpportunity"}
RANK = ("RankingService", "RankCandidates")  # ranks people for the owner's role only
A_SITE = "A's secret site"
NETWORK = "sweep-net"


@dataclass
class Trusts:
    a: tuple[tuple[str, str], ...]
    b: tuple[tuple[str, str], ...]  # in A's network
    c: tuple[tuple[str, str], ...]  # in no network
    b_staff: tuple[tuple[str, str], ...]  # B's trust admin, through the portal
    draft: pb.Opportunity  # A's draft, naming the network
    shared: pb.Opportunity  # A's role published to the network
    own: pb.Opportunity  # A's role published to A alone


@pytest.fixture(scope="module")
def trusts(matching: MatchingClient) -> Trusts:
    a = matching.trust("MTA", sites=[pb.Site(code="main", name=A_SITE, local_districts=["LS1"])])
    b, c = matching.trust("MTB"), matching.trust("MTC")
    matching.network(NETWORK, "MTA", "MTB")
    networked = pb.OpportunityDetails()
    networked.CopyFrom(ROLE)
    networked.network_id = NETWORK
    draft_details = pb.OpportunityDetails()
    draft_details.CopyFrom(networked)
    draft_details.title = "A's secret draft"
    draft = matching.create(a, draft_details)
    shared = matching.publish(a, matching.create(a, networked))
    own = matching.publish(a, matching.create(a))
    return Trusts(a, b, c, matching.as_staff(matching.staff("MTB", "trust_admin")), draft, shared, own)


def _method(service: str, method: str):  # type: ignore[no-untyped-def]
    return SERVICES[service].methods_by_name[method]


def aimed_at(matching: MatchingClient, service: str, method: str, target: pb.Opportunity, caller: tuple) -> Message:  # type: ignore[type-arg]
    descriptor = _method(service, method)
    request = message_factory.GetMessageClass(descriptor.input_type)()
    names = {f.name for f in descriptor.input_type.fields}
    if "opportunity_id" in names:
        request.opportunity_id = target.opportunity_id
    if "expected_version" in names:
        if method == "UpdateMatchingSettings":
            current = matching.settings.GetMatchingSettings(pb.GetMatchingSettingsRequest(), metadata=caller, timeout=5)
            request.expected_version = current.version
        else:
            request.expected_version = target.version
    if "details" in names:
        request.details.CopyFrom(ROLE)
        request.details.title = "Taken over"
    if "reason" in names:
        request.reason = "Taken over"
    if "settings" in names:
        request.settings.CopyFrom(
            pb.MatchingSettings(recent_placement_months=1, max_concurrent_placements=1, sites=SITES)
        )
    return request


def snapshot(matching: MatchingClient, a: tuple) -> tuple[bytes, bytes]:  # type: ignore[type-arg]
    listed = matching.opportunities.ListOpportunities(pb.ListOpportunitiesRequest(), metadata=a, timeout=5)
    settings = matching.settings.GetMatchingSettings(pb.GetMatchingSettingsRequest(), metadata=a, timeout=5)
    return listed.SerializeToString(deterministic=True), settings.SerializeToString(deterministic=True)


def call(matching: MatchingClient, service: str, method: str, request: Message, metadata: tuple) -> Message:  # type: ignore[type-arg]
    return getattr(matching.stub(service), method)(request, metadata=metadata, timeout=10)  # type: ignore[no-any-return]


def test_the_sweep_covers_every_method() -> None:
    assert len(METHODS) >= 13
    assert {"CreateOpportunity", "ListOpportunities", "GetMatchingSettings", "RankCandidates"} <= {
        m for _, m in METHODS
    }


@pytest.mark.parametrize(("service", "method"), METHODS)
@pytest.mark.parametrize("caller", ["b", "c", "b_staff"])
def test_another_trust_never_sees_a_draft_or_settings_nor_changes_anything(
    matching: MatchingClient, trusts: Trusts, service: str, method: str, caller: str
) -> None:
    metadata = getattr(trusts, caller)
    before = snapshot(matching, trusts.a)
    request = aimed_at(matching, service, method, trusts.draft, metadata)
    if "opportunity_id" in request.DESCRIPTOR.fields_by_name:
        with pytest.raises(grpc.RpcError) as refused:
            response = call(matching, service, method, request, metadata)
            pytest.fail(f"{method} answered {caller} about A's draft: {response}")
        assert refused.value.code() == grpc.StatusCode.NOT_FOUND, refused.value.details()
        assert "secret" not in refused.value.details()
    else:
        answer = call(matching, service, method, request, metadata).SerializeToString()
        for secret in (trusts.draft.opportunity_id, trusts.own.opportunity_id, A_SITE, "A's secret draft"):
            assert secret.encode() not in answer, f"{method} showed {caller} {secret}"
        if caller == "c":
            assert b"MTA" not in answer
    assert snapshot(matching, trusts.a) == before


@pytest.mark.parametrize(("service", "method"), [*(("OpportunityService", m) for m in sorted(MUTATIONS)), RANK])
@pytest.mark.parametrize("caller", ["b", "b_staff"])
def test_a_network_trust_sees_the_shared_role_but_changes_nothing_nor_ranks_for_it(
    matching: MatchingClient, trusts: Trusts, service: str, method: str, caller: str
) -> None:
    before = snapshot(matching, trusts.a)
    metadata = getattr(trusts, caller)
    request = aimed_at(matching, service, method, trusts.shared, metadata)
    with pytest.raises(grpc.RpcError) as refused:
        call(matching, service, method, request, metadata)
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND
    assert snapshot(matching, trusts.a) == before


def test_network_trusts_see_only_published_network_roles_as_published(matching: MatchingClient, trusts: Trusts) -> None:
    get = pb.GetOpportunityRequest(opportunity_id=trusts.shared.opportunity_id)
    seen = matching.opportunities.GetOpportunity(get, metadata=trusts.b, timeout=5)
    assert (seen.trust_ods, seen.status, seen.details) == ("MTA", "published", trusts.shared.details)
    listed = matching.opportunities.ListOpportunities(
        pb.ListOpportunitiesRequest(owner="network"), metadata=trusts.b, timeout=5
    )
    assert [o.opportunity_id for o in listed.opportunities] == [trusts.shared.opportunity_id]
    with pytest.raises(grpc.RpcError) as refused:
        matching.opportunities.GetOpportunity(get, metadata=trusts.c, timeout=5)
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND


def test_a_trust_that_leaves_the_network_no_longer_sees_its_roles(matching: MatchingClient) -> None:
    a, b = matching.trust("MLA"), matching.trust("MLB")
    matching.network("leave-net", "MLA", "MLB")
    details = pb.OpportunityDetails()
    details.CopyFrom(ROLE)
    details.network_id = "leave-net"
    shared = matching.publish(a, matching.create(a, details))
    get = pb.GetOpportunityRequest(opportunity_id=shared.opportunity_id)
    assert matching.opportunities.GetOpportunity(get, metadata=b, timeout=5).opportunity_id == shared.opportunity_id
    matching.leave("leave-net", "MLB")
    with pytest.raises(grpc.RpcError) as refused:
        matching.opportunities.GetOpportunity(get, metadata=b, timeout=5)
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND


def test_row_level_security_lets_a_network_trust_read_the_shared_role_and_write_nothing(
    matching: MatchingClient, trusts: Trusts
) -> None:
    """Below the use cases: the database itself, in B's scope."""
    table = sa.table("opportunities", sa.column("opportunity_id"), sa.column("status"))
    ids = [trusts.draft.opportunity_id, trusts.shared.opportunity_id, trusts.own.opportunity_id]
    with scoped_transaction(matching.engine, TenantScope.trust("MTB")) as connection:
        seen = connection.execute(sa.select(table.c.opportunity_id).where(table.c.opportunity_id.in_(ids))).scalars()
        assert [str(s) for s in seen] == [trusts.shared.opportunity_id]
        changed = connection.execute(
            table.update().where(table.c.opportunity_id.in_(ids)).values(status="withdrawn")
        ).rowcount
        assert changed == 0
        deleted = connection.execute(table.delete().where(table.c.opportunity_id.in_(ids))).rowcount
        assert deleted == 0
