"""The import API's servicer: translate, call the use case, translate back. Nothing else.

Runs in the platform scope, as RegisterLeader does (finding a person the trust is not yet affiliated
with); only the administrator is admitted, and it writes for the trust named in the request.
"""

from __future__ import annotations

from plr.registry.v1 import imports_pb2 as pb
from sqlalchemy.engine import Engine

from services.common.grpc_server import Call, Method
from services.common.tenancy import TenantScope
from services.registry.adapters.unit_of_work import SqlUnitOfWork
from services.registry.service_layer import leader_import as use

SERVICE = pb.DESCRIPTOR.services_by_name["ImportService"]


class ImportApi:
    def __init__(self, engine: Engine):
        self.engine = engine

    def ImportLeaders(self, request: pb.ImportLeadersRequest, call: Call) -> pb.ImportLeadersResponse:
        call.principal.require_administrator()
        outcome = use.import_leaders(
            SqlUnitOfWork(self.engine, TenantScope.platform_wide(), call.correlation_id),
            call.principal,
            request.trust_ods,
            [(row.row_number, dict(row.cells)) for row in request.rows],
        )
        return pb.ImportLeadersResponse(
            imported=outcome.imported,
            unchanged=outcome.unchanged,
            problems=[pb.RowProblem(row_number=p.row_number, field=p.field, reason=p.reason) for p in outcome.problems],
        )

    def methods(self) -> dict[str, Method]:
        return {method.name: getattr(self, method.name) for method in SERVICE.methods}
