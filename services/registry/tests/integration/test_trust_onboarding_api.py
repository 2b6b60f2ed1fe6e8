"""Onboarding a trust through the registry's gRPC API, on real PostgreSQL."""

from __future__ import annotations

import grpc
import pytest
import sqlalchemy as sa
from plr.registry.v1 import registry_pb2 as pb

from services.common.db import scoped_transaction
from services.common.grpc_client import bearer
from services.common.platform_tables import outbox
from services.common.tenancy import TenantScope
from services.registry.adapters.tables import trusts
from services.registry.tests.integration.conftest import RegistryClient
from tests.support.infra import PlrStack

pytestmark = pytest.mark.integration


def _counts(stack: PlrStack) -> tuple[int, int]:
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        return (
            connection.execute(sa.select(sa.func.count()).select_from(trusts)).scalar_one(),
            connection.execute(sa.select(sa.func.count()).select_from(outbox)).scalar_one(),
        )


def test_onboarding_creates_the_trust_its_first_key_and_two_events(registry: RegistryClient, stack: PlrStack) -> None:
    response = registry.onboard("RA1", "Alpha NHS Trust")
    assert response.created
    assert response.trust.ods == "RA1" and response.trust.name == "Alpha NHS Trust"
    assert response.initial_key.key.startswith(response.initial_key.key_id + ".")
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        types = (
            connection.execute(
                sa.select(outbox.c.event_type)
                .where(outbox.c.aggregate_id == "RA1")
                .order_by(outbox.c.aggregate_version)
            )
            .scalars()
            .all()
        )
    assert types == ["plr.registry.trust.onboarded.v1", "plr.registry.trust.key_issued.v1"]


def test_a_second_onboarding_of_the_same_code_changes_nothing(registry: RegistryClient, stack: PlrStack) -> None:
    registry.onboard("RA2", "Beta NHS Trust")
    before = _counts(stack)
    again = registry.onboard("RA2", "A different name")
    assert not again.created
    assert again.trust.name == "Beta NHS Trust"
    assert not again.HasField("initial_key")
    assert _counts(stack) == before


def test_bad_ods_and_name_are_both_named_and_nothing_is_created(registry: RegistryClient, stack: PlrStack) -> None:
    before = _counts(stack)
    with pytest.raises(grpc.RpcError) as refused:
        registry.onboard("rx x!", "")
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "ods:" in refused.value.details() and "name:" in refused.value.details()
    assert _counts(stack) == before


def test_a_trust_key_reads_its_own_trust(registry: RegistryClient) -> None:
    key = registry.onboard("RA3").initial_key.key
    own = registry.stub.GetTrust(pb.GetTrustRequest(), metadata=bearer(key), timeout=5)
    assert own.ods == "RA3"
    named = registry.stub.GetTrust(pb.GetTrustRequest(ods="RA3"), metadata=bearer(key), timeout=5)
    assert named == own


def test_a_revoked_key_is_refused_and_the_new_one_works(registry: RegistryClient) -> None:
    old = registry.onboard("RA4").initial_key
    new = registry.stub.IssueTrustKey(pb.IssueTrustKeyRequest(ods="RA4"), metadata=registry.as_admin(), timeout=5).key
    registry.stub.RevokeTrustKey(
        pb.RevokeTrustKeyRequest(ods="RA4", key_id=old.key_id), metadata=registry.as_admin(), timeout=5
    )
    with pytest.raises(grpc.RpcError) as refused:
        registry.stub.GetTrust(pb.GetTrustRequest(), metadata=bearer(old.key), timeout=5)
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert registry.stub.GetTrust(pb.GetTrustRequest(), metadata=bearer(new.key), timeout=5).ods == "RA4"
    keys = registry.stub.ListTrustKeys(pb.ListTrustKeysRequest(ods="RA4"), metadata=registry.as_admin(), timeout=5).keys
    assert {k.key_id: k.HasField("revoked_at") for k in keys} == {old.key_id: True, new.key_id: False}


@pytest.mark.parametrize(
    "credential", [None, "Bearer nonsense", "Bearer plrk_aaaaaaaaaaaaaaaa." + "x" * 43, "Basic abc"]
)
def test_calls_without_a_valid_credential_are_unauthenticated(registry: RegistryClient, credential: str | None) -> None:
    metadata = () if credential is None else (("authorization", credential),)
    with pytest.raises(grpc.RpcError) as refused:
        registry.stub.GetTrust(pb.GetTrustRequest(ods="RA1"), metadata=metadata, timeout=5)
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_list_trusts_pages_through_every_trust_in_code_order(registry: RegistryClient) -> None:
    for ods in ("RP1", "RP2", "RP3"):
        registry.onboard(ods)
    seen, token = [], ""
    while True:
        page = registry.stub.ListTrusts(
            pb.ListTrustsRequest(page_size=2, page_token=token), metadata=registry.as_admin(), timeout=5
        )
        seen += [t.ods for t in page.trusts]
        token = page.next_page_token
        if not token:
            break
    assert [o for o in seen if o.startswith("RP")] == ["RP1", "RP2", "RP3"]
    assert seen == sorted(seen)


def test_concurrent_onboardings_of_one_code_make_one_trust_and_one_key(
    registry: RegistryClient, stack: PlrStack
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(lambda _: registry.onboard("RCC", "Concurrent NHS Trust"), range(6)))
    assert sum(r.created for r in responses) == 1
    assert {r.trust.ods for r in responses} == {"RCC"}
    keys = registry.stub.ListTrustKeys(pb.ListTrustKeysRequest(ods="RCC"), metadata=registry.as_admin(), timeout=5)
    assert len(keys.keys) == 1
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        events = connection.execute(
            sa.select(sa.func.count()).select_from(outbox).where(outbox.c.aggregate_id == "RCC")
        ).scalar_one()
    assert events == 2


def test_list_trusts_accepts_updated_since(registry: RegistryClient) -> None:
    from google.protobuf.timestamp_pb2 import Timestamp

    registry.onboard("RUS")
    future, past = Timestamp(), Timestamp()
    future.FromSeconds(4102444800)  # 2100-01-01
    past.FromSeconds(0)
    none = registry.stub.ListTrusts(pb.ListTrustsRequest(updated_since=future), metadata=registry.as_admin(), timeout=5)
    assert list(none.trusts) == []
    every = registry.stub.ListTrusts(
        pb.ListTrustsRequest(updated_since=past, page_size=500), metadata=registry.as_admin(), timeout=5
    )
    assert "RUS" in {t.ods for t in every.trusts}
