"""The import API's servicer: translate, call the use case, translate back. Nothing else.

Runs in the platform scope, as RegisterLeader does (finding a person the trust is not yet affiliated
with); the use case decides, before anything is read, which trust the import is for: a trust's key
its own, the administrator the trust named in the request.
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields
from plr.registry.v1 import imports_pb2 as pb

from services.common.grpc_edge import OdsCode, RequestSchema
from services.common.grpc_server import Call
from services.common.metrics import IMPORT_ROWS
from services.common.tenancy import TenantScope
from services.registry.domain import commands
from services.registry.entrypoints.servicer import RegistryServicer
from services.registry.service_layer import imports as use


class Rows(fields.Field):
    """The rows as (row number, cells), each row checked by the use case and reported by number (a
    bad row is a problem of the import, not a refusal of the call). Read without a schema per row: a
    bulk import sends thousands."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[tuple[int, dict[str, str]]]:
        return [(row.row_number, dict(row.cells)) for row in value]


class ImportLeadersSchema(RequestSchema):
    trust_ods = OdsCode(optional=True)  # empty: the caller's own trust (a trust's key)
    rows = Rows()


IMPORT_LEADERS = ImportLeadersSchema()


class ImportApi(RegistryServicer):
    SERVICE = pb.DESCRIPTOR.services_by_name["ImportService"]

    def ImportLeaders(self, request: pb.ImportLeadersRequest, call: Call) -> pb.ImportLeadersResponse:
        values = IMPORT_LEADERS.parse(request)
        cmd = commands.ImportLeaders(values["trust_ods"], tuple(values["rows"]))
        outcome = use.import_leaders(cmd, self.uow(call, TenantScope.platform_wide()), call.principal)
        IMPORT_ROWS.labels("imported").inc(outcome.imported)
        IMPORT_ROWS.labels("unchanged").inc(outcome.unchanged)
        IMPORT_ROWS.labels("refused").inc(len({problem.row_number for problem in outcome.problems}))
        return pb.ImportLeadersResponse(
            imported=outcome.imported,
            unchanged=outcome.unchanged,
            problems=[
                pb.RowProblem(row_number=p.row_number, field=p.field, reason=p.reason, reference=p.reference)
                for p in outcome.problems
            ],
            results=[
                pb.RowResult(
                    row_number=r.row_number,
                    reference=r.reference,
                    outcome=r.outcome,
                    affiliation_id=r.affiliation_id,
                    leader_id=r.leader_id,
                )
                for r in outcome.results
            ],
        )
