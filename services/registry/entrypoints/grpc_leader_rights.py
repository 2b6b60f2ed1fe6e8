"""Equality monitoring and data subject rights of the leader API: translate, call a use case,
translate back.

GetEqualityReport and EraseLeader run in the platform scope (see grpc_leaders); the use cases decide
who may call them before anything is read.
"""

from __future__ import annotations

import json
from typing import cast

from marshmallow import fields
from plr.registry.v1 import leaders_pb2 as pb

from services.common.grpc_edge import RequestSchema, Uuid, timestamp
from services.common.grpc_server import Call
from services.common.tenancy import TenantScope
from services.registry.domain import commands
from services.registry.domain.equality import QUESTIONS
from services.registry.entrypoints.leader_messages import Reason
from services.registry.entrypoints.servicer import RegistryServicer
from services.registry.service_layer import equality, erasure, export

# each answer is checked by the domain (equality.accepted_answers)
EqualityMonitoringSchema = cast(
    type[RequestSchema],
    RequestSchema.from_dict({question: fields.String() for question in QUESTIONS}, name="EqualityMonitoringSchema"),
)


class ExportLeaderDataSchema(RequestSchema):
    leader_id = Uuid()


class EraseLeaderSchema(RequestSchema):
    leader_id = Uuid()
    reason = Reason()  # checked, not kept: it could say more about the person than the erasure may keep


EQUALITY_MONITORING = EqualityMonitoringSchema()
EXPORT_LEADER_DATA = ExportLeaderDataSchema()
ERASE_LEADER = EraseLeaderSchema()


class LeaderRightsMethods(RegistryServicer):
    def SubmitEqualityMonitoring(
        self, request: pb.SubmitEqualityMonitoringRequest, call: Call
    ) -> pb.SubmitEqualityMonitoringResponse:
        cmd = commands.SubmitEqualityMonitoring(EQUALITY_MONITORING.parse(request))
        equality.submit_equality_monitoring(cmd, self.uow(call), call.principal)
        return pb.SubmitEqualityMonitoringResponse()

    def GetEqualityReport(self, request: pb.GetEqualityReportRequest, call: Call) -> pb.EqualityReport:
        # the request has no fields: nothing to read
        made = equality.equality_report(
            commands.GetEqualityReport(), self.uow(call, TenantScope.platform_wide()), call.principal
        )
        return pb.EqualityReport(
            trust_ods=made.trust_ods,
            characteristics=[
                pb.EqualityCharacteristic(
                    characteristic=c.name,
                    cells=[
                        pb.EqualityCell(category=x.category, count=x.count, suppressed=x.suppressed) for x in c.cells
                    ],
                    total=c.total,
                )
                for c in made.characteristics
            ],
            generated_at=timestamp(made.generated_at),
        )

    def ExportLeaderData(self, request: pb.ExportLeaderDataRequest, call: Call) -> pb.ExportLeaderDataResponse:
        cmd = commands.ExportLeaderData(**EXPORT_LEADER_DATA.parse(request))
        document = export.export_leader_data(cmd, self.uow(call), call.principal)
        return pb.ExportLeaderDataResponse(document=json.dumps(document, ensure_ascii=False))

    def EraseLeader(self, request: pb.EraseLeaderRequest, call: Call) -> pb.EraseLeaderResponse:
        cmd = commands.EraseLeader(ERASE_LEADER.parse(request)["leader_id"])  # the reason: checked, not kept
        retained = erasure.erase_leader(cmd, self.uow(call, TenantScope.platform_wide()), call.principal)
        return pb.EraseLeaderResponse(
            leader_id=cmd.leader_id,
            retained=[
                pb.RetentionCategory(name=r.name, reason=r.reason, period=r.period, kept=r.kept) for r in retained
            ],
        )
