"""The change history's read method of the leader API: translate, call the use case, translate back."""

from __future__ import annotations

from plr.registry.v1 import leaders_pb2 as pb

from services.common.grpc_edge import (
    PageSize,
    PageToken,
    RequestSchema,
    Time,
    Uuid,
    page_size,
    parse_offset,
    timestamp,
)
from services.common.grpc_server import Call
from services.registry.domain import commands
from services.registry.domain.history import ChangeEntry
from services.registry.entrypoints.servicer import RegistryServicer
from services.registry.service_layer import history


class ListChangesSchema(RequestSchema):
    """Resumes after an entry's id."""

    leader_id = Uuid(optional=True)
    page_size = PageSize()
    page_token = PageToken(parse_offset, bound_to=("leader_id", "updated_since"))
    updated_since = Time()


LIST_CHANGES = ListChangesSchema()


def change_message(entry: ChangeEntry) -> pb.ChangeEntry:
    actor = entry.actor
    return pb.ChangeEntry(
        entry_id=entry.entry_id,
        at=timestamp(entry.at),
        principal_kind=actor.kind,
        principal=actor.id,
        staff=actor.staff or "",
        trust_ods=actor.trust_ods or "",
        correlation_id=actor.correlation_id or "",
        method=actor.method,
        leader_id=entry.leader_id or "",
        fields=entry.fields,
        reason=actor.reason,
        evidence=actor.evidence,
    )


class ChangeHistoryMethods(RegistryServicer):
    def ListChanges(self, request: pb.ListChangesRequest, call: Call) -> pb.ListChangesResponse:
        values = LIST_CHANGES.parse(request, call)
        size = page_size(values)
        after = values["page_token"][0] if values["page_token"] else 0
        cmd = commands.ListChanges(values["leader_id"], after, values["updated_since"], size + 1)
        found = history.list_changes(cmd, self.uow(call), call.principal)
        token = LIST_CHANGES.next_page_token(values, call, found[size - 1].entry_id) if len(found) > size else ""
        return pb.ListChangesResponse(entries=[change_message(e) for e in found[:size]], next_page_token=token)
