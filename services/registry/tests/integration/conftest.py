"""The registry api, served in-process (a grpcio server in a thread) on this run's stack."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import grpc
import pytest
from plr.registry.v1 import registry_pb2 as pb
from plr.registry.v1 import registry_pb2_grpc

from services.common.grpc_client import bearer
from services.registry.entrypoints.api import build_server
from tests.support.infra import PlrStack


@dataclass
class RegistryClient:
    stub: registry_pb2_grpc.RegistryServiceStub
    channel: grpc.Channel
    admin_token: str

    def as_admin(self) -> tuple[tuple[str, str], ...]:
        return bearer(self.admin_token)

    def onboard(self, ods: str, name: str | None = None) -> pb.CreateTrustResponse:
        return self.stub.CreateTrust(
            pb.CreateTrustRequest(ods=ods, name=f"{ods} NHS Trust" if name is None else name),
            metadata=self.as_admin(),
            timeout=10,
        )


@pytest.fixture(scope="session")
def registry_target(stack: PlrStack) -> Iterator[str]:
    server = build_server(stack.settings, "127.0.0.1:0")
    server.start()
    yield f"127.0.0.1:{server.port}"
    server.stop(grace_s=1)


@pytest.fixture(scope="session")
def registry(stack: PlrStack, registry_target: str) -> Iterator[RegistryClient]:
    channel = grpc.insecure_channel(registry_target)
    yield RegistryClient(registry_pb2_grpc.RegistryServiceStub(channel), channel, stack.env["PLR_ADMIN_TOKEN"])
    channel.close()
