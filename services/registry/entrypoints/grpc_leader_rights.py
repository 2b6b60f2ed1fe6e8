"""Equality monitoring and data subject rights of the leader API: translate, call a use case,
translate back.

GetEqualityReport and EraseLeader run in the platform scope (see grpc_leaders); the use cases decide
who may call them before anything is read.
"""

from __future__ import annotations

import json

from plr.registry.v1 import leaders_pb2 as pb
from sqlalchemy.engine import Engine

from services.common.errors import InvalidInput
from services.common.grpc_server import Call
from services.common.tenancy import TenantScope
from services.registry.adapters.unit_of_work import SqlUnitOfWork
from services.registry.domain.equality import QUESTIONS
from services.registry.entrypoints import leader_messages as m
from services.registry.service_layer import data_rights as rights
from services.registry.service_layer.unit_of_work import UnitOfWork

REASON_MAX = 500


class LeaderRightsMethods:
    engine: Engine

    def uow(self, call: Call, scope: TenantScope | None = None) -> UnitOfWork:
        """A unit of work in the caller's scope, or in ``scope`` where a method needs another."""
        return SqlUnitOfWork(self.engine, scope or call.principal.scope, call.correlation_id)

    def SubmitEqualityMonitoring(
        self, request: pb.SubmitEqualityMonitoringRequest, call: Call
    ) -> pb.SubmitEqualityMonitoringResponse:
        answers = {question: getattr(request, question) for question in QUESTIONS}
        rights.submit_equality_monitoring(self.uow(call), call.principal, answers)
        return pb.SubmitEqualityMonitoringResponse()

    def GetEqualityReport(self, request: pb.GetEqualityReportRequest, call: Call) -> pb.EqualityReport:
        made = rights.equality_report(self.uow(call, TenantScope.platform_wide()), call.principal)
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
            generated_at=m.timestamp(made.generated_at),
        )

    def ExportLeaderData(self, request: pb.ExportLeaderDataRequest, call: Call) -> pb.ExportLeaderDataResponse:
        leader_id = m.uuid_field("leader_id", request.leader_id)
        document = rights.export_leader_data(self.uow(call), call.principal, leader_id)
        return pb.ExportLeaderDataResponse(document=json.dumps(document, ensure_ascii=False))

    def EraseLeader(self, request: pb.EraseLeaderRequest, call: Call) -> pb.EraseLeaderResponse:
        leader_id = m.uuid_field("leader_id", request.leader_id)
        # the reason is checked, not kept: it could say more about the person than the erasure may keep
        if len(request.reason) > REASON_MAX or not request.reason.isprintable():
            raise InvalidInput({"reason": f"must be at most {REASON_MAX} printable characters"})
        retained = rights.erase_leader(self.uow(call, TenantScope.platform_wide()), call.principal, leader_id)
        return pb.EraseLeaderResponse(
            leader_id=leader_id,
            retained=[
                pb.RetentionCategory(name=r.name, reason=r.reason, period=r.period, kept=r.kept) for r in retained
            ],
        )
