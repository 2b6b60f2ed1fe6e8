"""What the network and invitation tests share: the stubs, and a network with trusts in it."""

from __future__ import annotations

import uuid

import grpc
import pytest
from plr.registry.v1 import networks_pb2 as npb
from plr.registry.v1 import networks_pb2_grpc

from services.common.grpc_client import bearer
from services.registry.tests.integration.conftest import RegistryClient


def networks(registry: RegistryClient) -> networks_pb2_grpc.NetworkServiceStub:
    return networks_pb2_grpc.NetworkServiceStub(registry.channel)


def invitations(registry: RegistryClient) -> networks_pb2_grpc.InvitationServiceStub:
    return networks_pb2_grpc.InvitationServiceStub(registry.channel)


def new_network(registry: RegistryClient, *members: str) -> str:
    """A network of its own for one test (the database is shared by the session), with ``members``."""
    network_id = f"net-{uuid.uuid4().hex[:12]}"
    stub = networks(registry)
    stub.CreateNetwork(
        npb.CreateNetworkRequest(network_id=network_id, name="Test Integrated Care System"),
        metadata=registry.as_admin(),
        timeout=10,
    )
    for ods in members:
        stub.AddTrustToNetwork(
            npb.NetworkTrustRequest(network_id=network_id, ods=ods), metadata=registry.as_admin(), timeout=10
        )
    return network_id


def candidates(registry: RegistryClient, key: str, **filters: str) -> dict[str, npb.NetworkCandidate]:
    """Every candidate the trust finds (every page), by leader id."""
    found: dict[str, npb.NetworkCandidate] = {}
    token = ""
    while True:
        page = networks(registry).FindNetworkCandidates(
            npb.FindNetworkCandidatesRequest(page_size=50, page_token=token, **filters), metadata=bearer(key), timeout=10
        )
        found.update((c.leader_id, c) for c in page.candidates)
        token = page.next_page_token
        if not token:
            return found


def refusal(call, *args, **kwargs) -> grpc.RpcError:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as error:
        call(*args, **kwargs)
    return error.value


def email() -> str:
    return f"leader-{uuid.uuid4().hex[:10]}@example.org"
