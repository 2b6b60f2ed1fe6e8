"""No trust's key can import for another trust through any ImportService method (a trust imports its
own register; the administrator imports acting for the trust it names). The methods are listed from
the service descriptor; each request is aimed at trust A with a valid row: B's key changes nothing,
and A's own key writes for A alone."""

from __future__ import annotations

import uuid

import grpc
import pytest
import sqlalchemy as sa
from google.protobuf import message_factory
from plr.registry.v1 import imports_pb2 as ipb

from services.common.db import scoped_transaction
from services.common.grpc_client import bearer
from services.common.platform_tables import outbox
from services.common.tenancy import TenantScope
from services.registry.adapters.tables import affiliations, leaders
from services.registry.tests.integration.conftest import RegistryClient
from tests.support.infra import PlrStack

pytestmark = pytest.mark.integration

SERVICE = ipb.DESCRIPTOR.services_by_name["ImportService"]
METHODS = [m.name for m in SERVICE.methods]


@pytest.fixture(scope="module")
def keys(registry: RegistryClient) -> dict[str, str]:
    return {
        "RXA": registry.onboard("RXA", "Import Sweep A").initial_key.key,
        "RXB": registry.onboard("RXB", "Import Sweep B").initial_key.key,
    }


def aimed_at_a(method_name: str) -> object:
    method = SERVICE.methods_by_name[method_name]
    request = message_factory.GetMessageClass(method.input_type)()
    for field in method.input_type.fields:
        if field.name == "trust_ods":
            setattr(request, field.name, "RXA")
        elif field.name == "rows":
            row = request.rows.add(row_number=2)  # type: ignore[attr-defined]
            row.cells.update(
                {"given_name": "Mallory", "family_name": "B", "email": f"m-{uuid.uuid4().hex}@example.org"}
            )
    return request


def state(stack: PlrStack) -> tuple[int, int, int]:
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        return (
            int(connection.execute(sa.select(sa.func.count()).select_from(leaders)).scalar_one()),
            int(
                connection.execute(
                    sa.select(sa.func.count()).select_from(affiliations).where(affiliations.c.trust_ods == "RXA")
                ).scalar_one()
            ),
            int(connection.execute(sa.select(sa.func.count()).select_from(outbox)).scalar_one()),
        )


def test_the_sweep_covers_every_method() -> None:
    assert METHODS == ["ImportLeaders"]


@pytest.mark.parametrize("method_name", METHODS)
def test_a_trust_key_cannot_import_for_another_trust(
    registry: RegistryClient, stack: PlrStack, keys: dict[str, str], method_name: str
) -> None:
    before = state(stack)
    caller = "RXB"
    call = registry.channel.unary_unary(
        f"/{SERVICE.full_name}/{method_name}",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=None,
    )
    with pytest.raises(grpc.RpcError) as refused:
        call(aimed_at_a(method_name), metadata=bearer(keys[caller]), timeout=10)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert state(stack) == before


@pytest.mark.parametrize("method_name", METHODS)
def test_a_trusts_own_import_writes_for_itself_alone(
    registry: RegistryClient, stack: PlrStack, keys: dict[str, str], method_name: str
) -> None:
    before = state(stack)
    call = registry.channel.unary_unary(
        f"/{SERVICE.full_name}/{method_name}",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=None,
    )
    call(aimed_at_a(method_name), metadata=bearer(keys["RXA"]), timeout=10)
    assert state(stack)[1] == before[1] + 1
    with scoped_transaction(stack.engine("registry"), TenantScope.trust("RXB")) as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(affiliations)).scalar_one() == 0


@pytest.mark.parametrize("method_name", METHODS)
def test_the_administrator_imports_for_the_trust_it_names_only(
    registry: RegistryClient, stack: PlrStack, keys: dict[str, str], method_name: str
) -> None:
    call = registry.channel.unary_unary(
        f"/{SERVICE.full_name}/{method_name}",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=None,
    )
    call(aimed_at_a(method_name), metadata=registry.as_admin(), timeout=10)
    with scoped_transaction(stack.engine("registry"), TenantScope.trust("RXB")) as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(affiliations)).scalar_one() == 0
