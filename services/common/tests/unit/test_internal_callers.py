"""Each internal caller's own credential, with an allow-list of methods, through a real gRPC server
(the platform's pipeline on a probe service of this test's own): a worker's credential calls only
the methods on its list and acts for no one; the portal's acts only for a signed-in leader or member
of staff; a trust key's scopes decide the rest."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf import message_factory

from services.common.authentication import Authenticator
from services.common.authorization import check_allow_lists
from services.common.errors import Unauthenticated
from services.common.grpc_server import ApiServer, Call, service_handler
from services.common.principals import InternalCaller, Principal
from services.common.tests.unit.test_grpc_edge import PROBE_SERVICE

Probe: Any = message_factory.GetMessageClass(PROBE_SERVICE.methods_by_name["Get"].input_type)
WORKER_TOKEN = "w" * 40
PORTAL_TOKEN = "p" * 40
LEADER = "8c1f4f7e-3a52-4d2b-9b61-2f0e6f4f1a10"
# a worker that needs one read (as matching will need MayPlace), and the portal
WORKER = InternalCaller("matching", WORKER_TOKEN, frozenset({"plr.test.ProbeService/Get"}))
PORTAL = InternalCaller(
    "portal", PORTAL_TOKEN, frozenset({"plr.test.ProbeService/Get", "plr.test.ProbeService/Put"}), frozenset({"leader"})
)


class Keys(Authenticator):
    """The directory of this test: one read-only key of RXX."""

    def _verify(self, key_id: str, secret: str) -> Principal:
        if secret != "s" * 43:
            raise Unauthenticated("the API key is unknown or revoked")
        return Principal("trust", "RXX", "RXX", scopes=frozenset({"read"}))


@pytest.fixture(scope="module")
def target() -> Iterator[str]:
    who: dict[str, str] = {}

    def answer(request: Any, call: Call) -> Any:
        who["last"] = call.principal.name
        return Probe(id=call.principal.name)

    authenticator = Keys(None, None, callers=(WORKER, PORTAL))  # type: ignore[arg-type]
    handler = service_handler(
        PROBE_SERVICE, {"Get": answer, "Put": answer}, authenticator.authenticate, service="probe"
    )
    server = ApiServer("127.0.0.1:0", [PROBE_SERVICE], [handler], max_workers=2, reflection_enabled=False)
    server.start()
    yield f"127.0.0.1:{server.port}"
    server.stop(grace_s=1)


def call(target: str, method: str, *metadata: tuple[str, str]) -> tuple[grpc.StatusCode, str]:
    with grpc.insecure_channel(target) as channel:
        stub = channel.unary_unary(
            f"/plr.test.ProbeService/{method}",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=Probe.FromString,
        )
        try:
            return grpc.StatusCode.OK, stub(Probe(), metadata=metadata, timeout=10).id
        except grpc.RpcError as error:
            return error.code(), error.details() or ""


def test_a_worker_s_credential_calls_only_the_methods_on_its_allow_list(target: str) -> None:
    assert call(target, "Get", ("authorization", f"Bearer {WORKER_TOKEN}")) == (grpc.StatusCode.OK, "matching")
    code, details = call(target, "Put", ("authorization", f"Bearer {WORKER_TOKEN}"))
    assert code == grpc.StatusCode.PERMISSION_DENIED and "matching credential may not call" in details


def test_a_worker_s_credential_acts_for_no_one(target: str) -> None:
    for asserted in (("x-plr-leader", LEADER), ("x-plr-staff-id", LEADER)):
        code, _ = call(target, "Get", ("authorization", f"Bearer {WORKER_TOKEN}"), asserted)
        assert code == grpc.StatusCode.PERMISSION_DENIED


def test_the_portal_acts_for_a_leader_never_as_itself(target: str) -> None:
    portal = ("authorization", f"Bearer {PORTAL_TOKEN}")
    assert call(target, "Put", portal, ("x-plr-leader", LEADER)) == (grpc.StatusCode.OK, f"leader:{LEADER}")
    assert call(target, "Get", portal)[0] == grpc.StatusCode.PERMISSION_DENIED
    assert call(target, "Get", portal, ("x-plr-staff-id", LEADER))[0] == grpc.StatusCode.PERMISSION_DENIED  # not its


def test_a_key_does_what_its_scopes_allow_and_no_one_else_s_credential(target: str) -> None:
    key = ("authorization", "Bearer plrk_aaaaaaaaaaaaaaaa." + "s" * 43)
    assert call(target, "Get", key) == (grpc.StatusCode.OK, "RXX")
    code, details = call(target, "Put", key)
    assert code == grpc.StatusCode.PERMISSION_DENIED and "requires the scope 'people'" in details
    assert call(target, "Get", key, ("x-plr-leader", LEADER))[0] == grpc.StatusCode.PERMISSION_DENIED
    # a token that is almost a caller's is nobody's
    assert call(target, "Get", ("authorization", f"Bearer {WORKER_TOKEN[:-1]}"))[0] == grpc.StatusCode.UNAUTHENTICATED


def test_an_allow_list_naming_a_method_that_is_not_served_is_refused_at_start() -> None:
    check_allow_lists({"matching": ["plr.test.ProbeService/Get"]}, [PROBE_SERVICE])
    with pytest.raises(ValueError, match="caller 'matching' names unknown methods: plr.test.ProbeService/Gte"):
        check_allow_lists({"matching": ["plr.test.ProbeService/Gte"]}, [PROBE_SERVICE])
