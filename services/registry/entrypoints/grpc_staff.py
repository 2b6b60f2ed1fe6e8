"""The staff directory's servicer: translate, call a use case, translate back."""

from __future__ import annotations

from marshmallow import fields
from plr.registry.v1 import staff_pb2 as pb

from services.common.grpc_edge import OdsCode, RequestSchema, Uuid, timestamp
from services.common.grpc_server import Call
from services.registry.domain import commands
from services.registry.domain.staff import StaffMember
from services.registry.entrypoints.servicer import RegistryServicer
from services.registry.service_layer import staff as use


class AddStaffSchema(RequestSchema):
    trust_ods = OdsCode(optional=True)
    name = fields.String()  # the rules: domain/staff.py
    roles = fields.List(fields.String())


class ListStaffSchema(RequestSchema):
    trust_ods = OdsCode(optional=True)


class RemoveStaffSchema(RequestSchema):
    trust_ods = OdsCode(optional=True)
    staff_id = Uuid()


ADD_STAFF = AddStaffSchema()
LIST_STAFF = ListStaffSchema()
REMOVE_STAFF = RemoveStaffSchema()


def staff_message(member: StaffMember) -> pb.StaffMember:
    return pb.StaffMember(
        staff_id=member.staff_id,
        trust_ods=member.trust_ods,
        name=member.name,
        roles=sorted(member.roles),
        status=member.status,
        version=member.version,
        created_at=timestamp(member.created_at),
    )


class StaffApi(RegistryServicer):
    SERVICE = pb.DESCRIPTOR.services_by_name["StaffService"]

    def AddStaff(self, request: pb.AddStaffRequest, call: Call) -> pb.StaffMember:
        values = ADD_STAFF.parse(request)
        command = commands.AddStaff(values["trust_ods"] or "", values["name"], tuple(values["roles"]))
        return staff_message(use.add_staff(command, self.uow(call), call.principal))

    def ListStaff(self, request: pb.ListStaffRequest, call: Call) -> pb.ListStaffResponse:
        command = commands.ListStaff(LIST_STAFF.parse(request)["trust_ods"] or "")
        return pb.ListStaffResponse(
            staff=[staff_message(m) for m in use.list_staff(command, self.uow(call), call.principal)]
        )

    def RemoveStaff(self, request: pb.RemoveStaffRequest, call: Call) -> pb.StaffMember:
        values = REMOVE_STAFF.parse(request)
        command = commands.RemoveStaff(values["trust_ods"] or "", values["staff_id"])
        return staff_message(use.remove_staff(command, self.uow(call), call.principal))
