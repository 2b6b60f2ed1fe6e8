"""What the network and invitation tests share: the stubs, and a network with trusts in it."""

from __future__ import annotations

import json
import uuid
from typing import Any

import grpc
import pytest
import sqlalchemy as sa
from plr.registry.v1 import networks_pb2 as npb
from plr.registry.v1 import networks_pb2_grpc

from services.common.db import scoped_transaction
from services.common.grpc_client import bearer
from services.common.inbox import InboxConsumer
from services.common.platform_tables import outbox
from services.common.tenancy import TenantScope
from services.registry.tests.integration.conftest import RegistryClient
from tests.support.infra import PlrStack


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


def active_leader(registry: RegistryClient, key: str, address: str, **profile: object) -> str:
    """A person the trust registered and who confirmed: the trust holds them actively."""
    affiliation = registry.register(key, address, "Grace", "Leader", **profile)
    registry.confirm(affiliation)
    return affiliation.leader_id


def candidates(registry: RegistryClient, key: str, **filters: str) -> dict[str, npb.NetworkCandidate]:
    """Every candidate the trust finds (every page), by leader id."""
    found: dict[str, npb.NetworkCandidate] = {}
    token = ""
    while True:
        page = networks(registry).FindNetworkCandidates(
            npb.FindNetworkCandidatesRequest(page_size=50, page_token=token, **filters),
            metadata=bearer(key),
            timeout=10,
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


def delivered(stack: PlrStack, consumer: InboxConsumer, aggregate_id: str, event_type: str) -> int:
    """Gives the consumer each outbox event of that type about the aggregate, as the broker would (the
    payload as published); returns how many it was given."""
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        payloads = (
            connection.execute(
                sa.select(outbox.c.payload)
                .where(outbox.c.aggregate_id == aggregate_id, outbox.c.event_type == event_type)
                .order_by(outbox.c.id)
            )
            .scalars()
            .all()
        )
    for payload in payloads:
        consumer.process(payload.encode())
    return len(payloads)


def event_data(stack: PlrStack, aggregate_id: str) -> list[tuple[str, str | None, dict[str, Any]]]:
    """(type, trustods, data) of every outbox event about the aggregate, in order."""
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        rows = connection.execute(
            sa.select(outbox.c.event_type, outbox.c.trust_ods, outbox.c.payload)
            .where(outbox.c.aggregate_id == aggregate_id)
            .order_by(outbox.c.id)
        ).all()
    return [(row.event_type, row.trust_ods, json.loads(row.payload)["data"]) for row in rows]
