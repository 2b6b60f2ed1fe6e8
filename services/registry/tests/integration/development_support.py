"""Two trusts and a leader affiliated with both, for the support and development tests."""

from __future__ import annotations

import uuid

from plr.registry.v1 import development_pb2 as dpb
from plr.registry.v1 import development_pb2_grpc

from services.common.grpc_client import bearer
from services.registry.tests.integration.conftest import RegistryClient


def development(registry: RegistryClient) -> development_pb2_grpc.DevelopmentServiceStub:
    return development_pb2_grpc.DevelopmentServiceStub(registry.channel)


def claiming(key: str, staff: str) -> tuple[tuple[str, str], ...]:
    """A trust key with a staff name (x-plr-staff): a claim for the audit, which grants nothing."""
    return (*bearer(key), ("x-plr-staff", staff))


class Trusts:
    """Trust A has a programme, an enrolment, a facilitator (a member of its staff, by id) and a
    check-in (with `note`) for a leader who is affiliated with trust B too. Both trusts have other
    facilitators, who are not this leader's."""

    def __init__(self, registry: RegistryClient, a: str, b: str, note: str):
        self.a_ods, self.b_ods, self.note = a, b, note
        self.a_key = registry.onboard(a).initial_key.key
        self.b_key = registry.onboard(b).initial_key.key
        self.a_facilitator = registry.add_staff(a, "facilitator", name="Sam Facilitator").staff_id
        self.a_other = registry.add_staff(a, "facilitator", "recruiter", name="Kim Other").staff_id
        self.b_facilitator = registry.add_staff(b, "facilitator", name="Bea Facilitator").staff_id
        self.as_a_facilitator = registry.as_staff(self.a_facilitator)
        self.as_a_other = registry.as_staff(self.a_other)
        self.as_b_facilitator = registry.as_staff(self.b_facilitator)
        email = f"dev-{uuid.uuid4().hex[:10]}@example.org"
        for key in (self.a_key, self.b_key):
            registry.confirm(registry.register(key, email))
        self.leader_id = registry.register(self.a_key, email).leader_id
        api = development(registry)
        self.programme = api.CreateProgramme(
            dpb.CreateProgrammeRequest(title="Patient leadership", module_titles=["Listening", "Chairing"]),
            metadata=bearer(self.a_key),
            timeout=10,
        )
        self.enrolment = api.EnrolLeader(
            dpb.EnrolLeaderRequest(leader_id=self.leader_id, programme_id=self.programme.programme_id),
            metadata=bearer(self.a_key),
            timeout=10,
        )
        api.AssignFacilitator(
            dpb.AssignFacilitatorRequest(leader_id=self.leader_id, facilitator_staff_id=self.a_facilitator),
            metadata=bearer(self.a_key),
            timeout=10,
        )
        self.check_in = api.RecordCheckIn(
            dpb.RecordCheckInRequest(leader_id=self.leader_id, held_on="2026-11-02", notes=note),
            metadata=self.as_a_facilitator,
            timeout=10,
        )
