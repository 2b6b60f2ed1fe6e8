"""The leader API's servicer: translate, call a use case, translate back. Nothing else.

Most methods run in the caller's own scope. Three run in the platform scope because the caller
cannot see what the use case must consult, and each answers only what the caller may know:
RegisterLeader (finding a person the trust is not yet affiliated with), GetEqualityReport (answers
are readable only by the leader and the aggregate query) and EraseLeader (every trace of a person).
"""

from __future__ import annotations

import hashlib
from typing import Any

from plr.registry.v1 import leaders_pb2 as pb
from sqlalchemy.engine import Engine

from services.common.errors import InvalidInput
from services.common.grpc_server import Call, Method
from services.common.tenancy import TenantScope
from services.registry.domain.affiliation import Affiliation
from services.registry.domain.consent import ConsentRecord, Purpose
from services.registry.entrypoints import leader_messages as m
from services.registry.entrypoints.grpc_leader_rights import LeaderRightsMethods
from services.registry.service_layer import leaders as use
from services.registry.service_layer.idempotency import Idempotent

SERVICE = pb.DESCRIPTOR.services_by_name["LeaderService"]


def _digest(request: Any) -> str:
    without_key = type(request)()
    without_key.CopyFrom(request)
    without_key.ClearField("idempotency_key")
    return hashlib.sha256(without_key.SerializeToString(deterministic=True)).hexdigest()


def _reason(value: str, field: str = "reason") -> str:
    if len(value) > 500 or not value.isprintable():
        raise InvalidInput({field: "must be at most 500 printable characters"})
    return value


class LeaderApi(LeaderRightsMethods):
    def __init__(self, engine: Engine):
        self.engine = engine

    def RegisterLeader(self, request: pb.RegisterLeaderRequest, call: Call) -> pb.RegisterLeaderResponse:
        principal = call.principal
        idempotent: Idempotent[Affiliation] = Idempotent(
            principal.name,
            "RegisterLeader",
            request.idempotency_key,
            _digest(request),
            principal.trust_ods,
            None,
            render=lambda a: m.affiliation_message(a).SerializeToString(),
            parse=lambda raw: _affiliation_from_bytes(raw),
        )
        affiliation = use.register_leader(
            self.uow(call, TenantScope.platform_wide()),
            principal,
            m.profile_from_message(request.profile),
            idempotent=idempotent,
        )
        return pb.RegisterLeaderResponse(affiliation=m.affiliation_message(affiliation))

    def ConfirmAffiliation(self, request: pb.ConfirmAffiliationRequest, call: Call) -> pb.Affiliation:
        affiliation_id = m.uuid_field("affiliation_id", request.affiliation_id)
        return m.affiliation_message(use.confirm_affiliation(self.uow(call), call.principal, affiliation_id))

    def DeclineAffiliation(self, request: pb.DeclineAffiliationRequest, call: Call) -> pb.Affiliation:
        affiliation_id = m.uuid_field("affiliation_id", request.affiliation_id)
        return m.affiliation_message(use.decline_affiliation(self.uow(call), call.principal, affiliation_id))

    def EndAffiliation(self, request: pb.EndAffiliationRequest, call: Call) -> pb.Affiliation:
        leader_id = m.uuid_field("leader_id", request.leader_id)
        affiliation = use.end_affiliation(self.uow(call), call.principal, leader_id, _reason(request.reason))
        return m.affiliation_message(affiliation)

    def ListAffiliations(self, request: pb.ListAffiliationsRequest, call: Call) -> pb.ListAffiliationsResponse:
        size = m.page_size(request.page_size)
        found = use.list_affiliations(
            self.uow(call), call.principal, m.decode_cursor(request.page_token), m.since(request), size + 1
        )
        token = ""
        if len(found) > size:
            last = found[size - 1]
            assert last.updated_at is not None
            token = m.encode_cursor(last.updated_at, last.affiliation_id)
        return pb.ListAffiliationsResponse(
            affiliations=[m.affiliation_message(a) for a in found[:size]], next_page_token=token
        )

    def GetLeader(self, request: pb.GetLeaderRequest, call: Call) -> pb.Leader:
        leader_id = m.uuid_field("leader_id", request.leader_id)
        return m.leader_message(use.get_leader(self.uow(call), call.principal, leader_id))

    def ListLeaders(self, request: pb.ListLeadersRequest, call: Call) -> pb.ListLeadersResponse:
        size = m.page_size(request.page_size)
        views = use.list_leaders(
            self.uow(call), call.principal, m.decode_cursor(request.page_token), m.since(request), size + 1
        )
        token = ""
        if len(views) > size:
            last = views[size - 1].leader
            assert last.updated_at is not None
            token = m.encode_cursor(last.updated_at, last.leader_id)
        return pb.ListLeadersResponse(leaders=[m.leader_message(v) for v in views[:size]], next_page_token=token)

    def UpdateLeader(self, request: pb.UpdateLeaderRequest, call: Call) -> pb.Leader:
        leader_id = m.uuid_field("leader_id", request.leader_id)
        if request.expected_version < 1:
            raise InvalidInput({"expected_version": "is required: the version you read"})
        view = use.update_leader(
            self.uow(call),
            call.principal,
            leader_id,
            request.expected_version,
            m.profile_from_message(request.profile),
            tuple(request.fields),
        )
        return m.leader_message(view)

    def PauseLeader(self, request: pb.PauseLeaderRequest, call: Call) -> pb.Leader:
        leader_id = m.uuid_field("leader_id", request.leader_id)
        _reason(request.reason)
        until = m.date_field("until", request.until)
        return m.leader_message(use.pause_leader(self.uow(call), call.principal, leader_id, until))

    def ResumeLeader(self, request: pb.ResumeLeaderRequest, call: Call) -> pb.Leader:
        leader_id = m.uuid_field("leader_id", request.leader_id)
        return m.leader_message(use.resume_leader(self.uow(call), call.principal, leader_id))

    def WithdrawLeader(self, request: pb.WithdrawLeaderRequest, call: Call) -> pb.Leader:
        leader_id = m.uuid_field("leader_id", request.leader_id)
        _reason(request.reason)
        return m.leader_message(use.withdraw_leader(self.uow(call), call.principal, leader_id))

    def RecordConsent(self, request: pb.RecordConsentRequest, call: Call) -> pb.ConsentState:
        leader_id = m.uuid_field("leader_id", request.leader_id)
        principal = call.principal
        idempotent: Idempotent[ConsentRecord] = Idempotent(
            principal.name,
            "RecordConsent",
            request.idempotency_key,
            _digest(request),
            principal.trust_ods,
            principal.leader_id,
            render=lambda r: m.consent_message(r).SerializeToString(),
            parse=lambda raw: _consent_from_bytes(raw),
        )
        record = use.record_consent(
            self.uow(call),
            principal,
            leader_id,
            request.purpose,
            request.target,
            request.grant,
            request.wording_version,
            request.evidence,
            idempotent=idempotent,
        )
        return m.consent_message(record)

    def ListConsents(self, request: pb.ListConsentsRequest, call: Call) -> pb.ListConsentsResponse:
        leader_id = m.uuid_field("leader_id", request.leader_id)
        current, history = use.list_consents(self.uow(call), call.principal, leader_id)
        return pb.ListConsentsResponse(
            current=[m.consent_message(c) for c in current], history=[m.consent_message(c) for c in history]
        )

    def ListAuditEntries(self, request: pb.ListAuditEntriesRequest, call: Call) -> pb.ListAuditEntriesResponse:
        leader_id = m.uuid_field("leader_id", request.leader_id)
        size = m.page_size(request.page_size)
        found = use.list_audit_entries(
            self.uow(call),
            call.principal,
            leader_id,
            m.decode_offset(request.page_token),
            m.since(request),
            size + 1,
        )
        token = m.encode_offset(found[size - 1][0]) if len(found) > size else ""
        return pb.ListAuditEntriesResponse(
            entries=[
                pb.AuditEntry(
                    at=m.timestamp(e.at),
                    principal_kind=e.principal_kind,
                    principal=e.principal,
                    trust_ods=e.trust_ods or "",
                    method=e.method,
                    leader_id=e.leader_id,
                    fields=e.fields,
                )
                for _, e in found[:size]
            ],
            next_page_token=token,
        )

    def ListTerms(self, request: pb.ListTermsRequest, call: Call) -> pb.ListTermsResponse:
        if request.kind and request.kind not in ("skill", "interest", "lived_experience"):
            raise InvalidInput({"kind": "must be skill, interest or lived_experience (or empty for all)"})
        terms = use.list_terms(self.uow(call), request.kind)
        return pb.ListTermsResponse(
            terms=[pb.Term(kind=t.kind, code=t.code, label=t.label, trust_ods=t.trust_ods or "") for t in terms]
        )

    def AddTerm(self, request: pb.AddTermRequest, call: Call) -> pb.Term:
        term = use.add_term(self.uow(call), call.principal, request.kind, request.code, request.label)
        return pb.Term(kind=term.kind, code=term.code, label=term.label, trust_ods=term.trust_ods or "")

    def methods(self) -> dict[str, Method]:
        return {method.name: getattr(self, method.name) for method in SERVICE.methods}


def _affiliation_from_bytes(raw: bytes) -> Affiliation:
    message = pb.Affiliation.FromString(raw)
    return Affiliation(
        affiliation_id=message.affiliation_id,
        leader_id=message.leader_id,
        trust_ods=message.trust_ods,
        status=message.status,
        version=message.version,
        created_at=message.created_at.ToDatetime() if message.HasField("created_at") else None,
    )


def _consent_from_bytes(raw: bytes) -> ConsentRecord:
    message = pb.ConsentState.FromString(raw)
    return ConsentRecord(
        purpose=Purpose(message.purpose),
        target=message.target,
        granted=message.granted,
        wording_version=message.wording_version,
        recorded_by_kind=message.recorded_by_kind,
        recorded_by=message.recorded_by,
        recorder_trust=None,
        evidence=message.evidence,
        recorded_at=message.recorded_at.ToDatetime(),
    )
