"""The registry api, served in-process (a grpcio server in a thread) on this run's stack."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import grpc
import pytest
from plr.registry.v1 import leaders_pb2, leaders_pb2_grpc, registry_pb2_grpc, staff_pb2, staff_pb2_grpc
from plr.registry.v1 import registry_pb2 as pb

from services.common.grpc_client import bearer, open_channel
from services.registry.entrypoints.api import build_server
from tests.support.infra import PlrStack


@dataclass
class RegistryClient:
    stub: registry_pb2_grpc.RegistryServiceStub
    channel: grpc.Channel
    admin_token: str
    portal_token: str = ""

    @property
    def leaders(self) -> leaders_pb2_grpc.LeaderServiceStub:
        return leaders_pb2_grpc.LeaderServiceStub(self.channel)

    def as_admin(self) -> tuple[tuple[str, str], ...]:
        return bearer(self.admin_token)

    @property
    def staff(self) -> staff_pb2_grpc.StaffServiceStub:
        return staff_pb2_grpc.StaffServiceStub(self.channel)

    def as_leader(self, leader_id: str) -> tuple[tuple[str, str], ...]:
        """The portal acting for a signed-in leader: the portal's credential and the leader's id."""
        return (*bearer(self.portal_token), ("x-plr-leader", leader_id))

    def as_staff(self, staff_id: str) -> tuple[tuple[str, str], ...]:
        """The portal acting for a signed-in member of staff: the portal's credential and their staff id."""
        return (*bearer(self.portal_token), ("x-plr-staff-id", staff_id))

    def add_staff(self, ods: str, *roles: str, name: str = "Sam Staff") -> staff_pb2.StaffMember:
        """A member of the trust's staff, added by the administrator."""
        return self.staff.AddStaff(
            staff_pb2.AddStaffRequest(trust_ods=ods, name=name, roles=list(roles)), metadata=self.as_admin(), timeout=10
        )

    def register(
        self, trust_key: str, email: str, given: str = "Ada", family: str = "Leader", **profile: object
    ) -> leaders_pb2.Affiliation:
        request = leaders_pb2.RegisterLeaderRequest(
            profile=leaders_pb2.LeaderProfile(given_name=given, family_name=family, email=email, **profile)  # type: ignore[arg-type]
        )
        return self.leaders.RegisterLeader(request, metadata=bearer(trust_key), timeout=10).affiliation

    def confirm(self, affiliation: leaders_pb2.Affiliation) -> leaders_pb2.Affiliation:
        return self.leaders.ConfirmAffiliation(
            leaders_pb2.ConfirmAffiliationRequest(affiliation_id=affiliation.affiliation_id),
            metadata=self.as_leader(affiliation.leader_id),
            timeout=10,
        )

    def consent(self, leader_id: str, purpose: str, target: str = "", grant: bool = True) -> leaders_pb2.ConsentState:
        return self.leaders.RecordConsent(
            leaders_pb2.RecordConsentRequest(
                leader_id=leader_id, purpose=purpose, target=target, grant=grant, wording_version="2026-11"
            ),
            metadata=self.as_leader(leader_id),
            timeout=10,
        )

    def offboard(self, ods: str) -> pb.OffboardTrustResponse:
        """Both steps, as `plr trust offboard` takes them: the export (kept by the registry), then its
        receipt confirmed with its digest, which erases. The answer has the export and the counts."""
        taken = self.stub.OffboardTrust(
            pb.OffboardTrustRequest(ods=ods, confirm_ods=ods), metadata=self.as_admin(), timeout=60
        )
        done = self.stub.ConfirmOffboardExport(
            pb.ConfirmOffboardExportRequest(ods=ods, export_sha256=taken.export_sha256),
            metadata=self.as_admin(),
            timeout=60,
        )
        done.export_document = taken.export_document
        return done

    def onboard(self, ods: str, name: str | None = None, key_scopes: tuple[str, ...] = ()) -> pb.CreateTrustResponse:
        return self.stub.CreateTrust(
            pb.CreateTrustRequest(ods=ods, name=f"{ods} NHS Trust" if name is None else name, key_scopes=key_scopes),
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
    channel = open_channel(registry_target, stack.settings.grpc_tls)
    yield RegistryClient(
        registry_pb2_grpc.RegistryServiceStub(channel),
        channel,
        stack.env["PLR_ADMIN_TOKEN"],
        stack.env["PLR_REGISTRY_PORTAL_TOKEN"],
    )
    channel.close()
