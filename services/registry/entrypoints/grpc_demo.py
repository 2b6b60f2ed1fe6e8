"""The test-people API's servicer: translate, call the use case, translate back. Runs in the platform
scope (it finds people by email across trusts, as RegisterLeader does); the use case admits only the
administrator, and never in production."""

from __future__ import annotations

from collections.abc import Callable

from marshmallow import fields
from plr.registry.v1 import demo_pb2 as pb

from services.common.grpc_edge import RequestSchema
from services.common.grpc_server import Call
from services.common.tenancy import TenantScope
from services.registry.domain import commands
from services.registry.entrypoints.servicer import RegistryServicer
from services.registry.service_layer import demo as use
from services.registry.service_layer.unit_of_work import UnitOfWork


class CreateTestPeopleSchema(RequestSchema):
    trust_ods = fields.String()  # its rule and count's are the use case's
    count = fields.Integer(strict=True)


CREATE_TEST_PEOPLE = CreateTestPeopleSchema()


class DemoApi(RegistryServicer):
    SERVICE = pb.DESCRIPTOR.services_by_name["DemoService"]

    def __init__(self, unit_of_work: Callable[[TenantScope, str], UnitOfWork], production: bool):
        super().__init__(unit_of_work)
        self.production = production

    def CreateTestPeople(self, request: pb.CreateTestPeopleRequest, call: Call) -> pb.CreateTestPeopleResponse:
        values = CREATE_TEST_PEOPLE.parse(request)
        cmd = commands.CreateTestPeople(values["trust_ods"], values["count"])
        people = use.create_test_people(
            cmd, self.uow(call, TenantScope.platform_wide()), call.principal, self.production
        )
        return pb.CreateTestPeopleResponse(
            people=[
                pb.TestPerson(leader_id=p.leader_id, affiliation_id=p.affiliation_id, email=p.email, created=p.created)
                for p in people
            ]
        )
