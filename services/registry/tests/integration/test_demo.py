"""The registry's demo for `make run` (its manifest's ``demo``): the demo trust RXX, onboarded once, with
its confirmed test people; and the test people themselves (`plr demo people`), never in production."""

from __future__ import annotations

import dataclasses

import grpc
import pytest
import sqlalchemy as sa
from plr.registry.v1 import demo_pb2 as dpb
from plr.registry.v1 import demo_pb2_grpc
from plr.registry.v1 import leaders_pb2 as lpb

from services.common.db import scoped_transaction
from services.common.errors import PreconditionFailed
from services.common.grpc_client import bearer
from services.common.manifest import manifest
from services.common.principals import ADMINISTRATOR
from services.common.settings import ApiAddress, SettingsError
from services.common.tenancy import TenantScope
from services.registry.adapters.tables import trusts
from services.registry.adapters.unit_of_work import SqlUnitOfWork
from services.registry.domain import commands
from services.registry.service_layer.demo import create_test_people
from services.registry.tests.integration.conftest import RegistryClient
from services.registry.tests.integration.test_bad_input import NOT_UTF8, UNDECODABLE, raw_call
from tests.support.infra import PlrStack

pytestmark = pytest.mark.integration


def test_the_demo_onboards_the_demo_trust_once_and_says_so(stack: PlrStack, registry_target: str) -> None:
    demo = manifest("registry").demo
    assert demo is not None
    settings = dataclasses.replace(stack.settings, apis={"registry": ApiAddress(registry_target, registry_target)})
    first = demo(settings)
    assert first.startswith("demo trust: Onboarded trust RXX (Example NHS Trust).")
    assert "plrk_" in first  # its first key, shown once
    assert "demo people: 5 have confirmed RXX (5 new;" in first
    second = demo(settings)
    assert second.startswith("demo trust: Trust RXX (Example NHS Trust) already exists; nothing changed.")
    assert "demo people: 5 have confirmed RXX (0 new;" in second
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        count = connection.execute(sa.select(sa.func.count()).where(trusts.c.trust_ods == "RXX")).scalar_one()
    assert count == 1


def test_the_demo_without_the_administrators_token_says_which_setting_it_needs(stack: PlrStack) -> None:
    demo = manifest("registry").demo
    assert demo is not None
    with pytest.raises(SettingsError, match="PLR_ADMIN_TOKEN is not set"):
        demo(dataclasses.replace(stack.settings, admin_token=None))


def test_test_people_have_confirmed_the_trust_which_sees_and_contacts_them(registry: RegistryClient) -> None:
    key = registry.onboard("RDP1").initial_key.key
    demo = demo_pb2_grpc.DemoServiceStub(registry.channel)
    made = demo.CreateTestPeople(dpb.CreateTestPeopleRequest(trust_ods="RDP1", count=3), metadata=registry.as_admin())
    assert [p.created for p in made.people] == [True, True, True]
    for person in made.people:
        seen = registry.leaders.GetLeader(lpb.GetLeaderRequest(leader_id=person.leader_id), metadata=bearer(key))
        assert seen.status == "active" and seen.contactable and seen.profile.email == person.email
    again = demo.CreateTestPeople(dpb.CreateTestPeopleRequest(trust_ods="RDP1", count=4), metadata=registry.as_admin())
    assert [p.leader_id for p in again.people[:3]] == [p.leader_id for p in made.people]
    assert [p.created for p in again.people] == [False, False, False, True]
    with pytest.raises(grpc.RpcError) as refused:
        demo.CreateTestPeople(dpb.CreateTestPeopleRequest(trust_ods="RDP1", count=1), metadata=bearer(key))
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    for request, field in (
        (dpb.CreateTestPeopleRequest(trust_ods="RDP1", count=0), "count"),
        (dpb.CreateTestPeopleRequest(trust_ods="rdp1", count=1), "trust_ods"),
    ):
        with pytest.raises(grpc.RpcError) as bad:
            demo.CreateTestPeople(request, metadata=registry.as_admin())
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT and bad.value.details().startswith(field)


def test_test_people_are_refused_in_production(stack: PlrStack) -> None:
    uow = SqlUnitOfWork(stack.engine("registry"), TenantScope.platform_wide())
    with pytest.raises(PreconditionFailed, match="never made in production"):
        create_test_people(commands.CreateTestPeople("RXX", 1), uow, ADMINISTRATOR, production=True)


@pytest.mark.parametrize("payload", UNDECODABLE + NOT_UTF8, ids=lambda p: p.hex())
def test_undecodable_bytes_are_invalid_argument_for_every_demo_method(registry: RegistryClient, payload: bytes) -> None:
    for method in dpb.DESCRIPTOR.services_by_name["DemoService"].methods:
        path = f"/{method.containing_service.full_name}/{method.name}"
        assert raw_call(registry, path, payload, registry.as_admin()) == grpc.StatusCode.INVALID_ARGUMENT
