"""The leader API's servicer: translate, call a use case, translate back. Nothing else.

Most methods run in the caller's own scope. Three run in the platform scope because the caller
cannot see what the use case must consult, and each answers only what the caller may know:
RegisterLeader (finding a person the trust is not yet affiliated with), GetEqualityReport (answers
are readable only by the leader and the aggregate query), EraseLeader (every trace of a person) and
WithdrawLeader (it ends every trust's affiliation; a caller without authority is refused first) and
VerifyEmailChange (whether another person holds the address; only the person calls it).
"""

from __future__ import annotations

from marshmallow import fields, validate
from plr.registry.v1 import leaders_pb2 as pb

from services.common.grpc_edge import (
    IsoDate,
    PageSize,
    PageToken,
    RequestSchema,
    Time,
    Uuid,
    page_size,
    parse_offset,
    parse_time,
    parse_uuid,
    timestamp,
)
from services.common.grpc_server import Call
from services.common.idempotency import Idempotent
from services.common.tenancy import TenantScope
from services.registry.domain import commands
from services.registry.domain.affiliation import Affiliation
from services.registry.domain.consent import ConsentRecord, Purpose
from services.registry.domain.taxonomy import KINDS
from services.registry.entrypoints import leader_messages as m
from services.registry.entrypoints.grpc_history import ChangeHistoryMethods
from services.registry.entrypoints.grpc_leader_rights import LeaderRightsMethods
from services.registry.entrypoints.leader_messages import OnBehalfEvidence, Profile, Reason
from services.registry.service_layer import email_changes
from services.registry.service_layer import leaders as use


class LeaderRefSchema(RequestSchema):
    leader_id = Uuid()


class AffiliationRefSchema(RequestSchema):
    affiliation_id = Uuid()


class RegisterLeaderSchema(RequestSchema):
    profile = Profile()


class EndAffiliationSchema(RequestSchema):
    leader_id = Uuid()
    reason = Reason()


class ChangesPageSchema(RequestSchema):
    """A page of a listing ordered by last change: resumes after (updated_at, id)."""

    page_size = PageSize()
    page_token = PageToken(parse_time, parse_uuid, bound_to=("updated_since",))
    updated_since = Time()


class UpdateLeaderSchema(RequestSchema):
    leader_id = Uuid()
    expected_version = fields.Integer(validate=validate.Range(min=1, error="is required: the version you read"))
    profile = Profile()
    field_names = fields.List(fields.String(), data_key="fields")  # which profile fields change (the use case's rule)
    on_behalf = OnBehalfEvidence()


class RelationshipPauseSchema(RequestSchema):
    leader_id = Uuid()
    reason = Reason()
    until = IsoDate()


class PauseLeaderSchema(RelationshipPauseSchema):
    on_behalf = OnBehalfEvidence()


class ResumeLeaderSchema(RequestSchema):
    leader_id = Uuid()
    on_behalf = OnBehalfEvidence()


class WithdrawLeaderSchema(RequestSchema):
    leader_id = Uuid()
    reason = Reason()
    on_behalf = OnBehalfEvidence()


class VerifyEmailChangeSchema(RequestSchema):
    token = fields.String()  # its form: the domain's rule (email_change.checked_token)


class RecordConsentSchema(RequestSchema):
    # purpose and target: the domain's rules (consent.parse_purpose, TARGET_RULES), checked by the use case
    leader_id = Uuid()
    purpose = fields.String()
    target = fields.String()
    grant = fields.Boolean()
    wording_version = fields.String()
    evidence = fields.String()
    on_behalf = OnBehalfEvidence()


class ListAuditEntriesSchema(RequestSchema):
    """Resumes after an audit entry's id."""

    leader_id = Uuid()
    page_size = PageSize()
    page_token = PageToken(parse_offset, bound_to=("leader_id", "updated_since"))
    updated_since = Time()


class ListTermsSchema(RequestSchema):
    kind = fields.String(validate=validate.OneOf(("", *KINDS), error=f"must be {', '.join(KINDS)} (or empty for all)"))


class AddTermSchema(RequestSchema):
    # each checked by the domain (taxonomy.new_term)
    kind = fields.String()
    code = fields.String()
    label = fields.String()


LEADER_REF = LeaderRefSchema()
AFFILIATION_REF = AffiliationRefSchema()
REGISTER_LEADER = RegisterLeaderSchema()
END_AFFILIATION = EndAffiliationSchema()
CHANGES_PAGE = ChangesPageSchema()
UPDATE_LEADER = UpdateLeaderSchema()
PAUSE_LEADER = PauseLeaderSchema()
RESUME_LEADER = ResumeLeaderSchema()
PAUSE_AFFILIATION = RelationshipPauseSchema()
WITHDRAW_LEADER = WithdrawLeaderSchema()
RECORD_CONSENT = RecordConsentSchema()
VERIFY_EMAIL_CHANGE = VerifyEmailChangeSchema()
LIST_AUDIT_ENTRIES = ListAuditEntriesSchema()
LIST_TERMS = ListTermsSchema()
ADD_TERM = AddTermSchema()


class LeaderApi(LeaderRightsMethods, ChangeHistoryMethods):
    SERVICE = pb.DESCRIPTOR.services_by_name["LeaderService"]

    def RegisterLeader(self, request: pb.RegisterLeaderRequest, call: Call) -> pb.RegisterLeaderResponse:
        values = REGISTER_LEADER.parse(request)
        idempotent: Idempotent[Affiliation] = m.idempotent(
            call,
            "RegisterLeader",
            request,
            lambda a: m.affiliation_message(a).SerializeToString(),
            _affiliation_from_bytes,
        )
        affiliation = use.register_leader(
            commands.RegisterLeader(values["profile"]),
            self.uow(call, TenantScope.platform_wide()),
            call.principal,
            idempotent=idempotent,
        )
        return pb.RegisterLeaderResponse(affiliation=m.affiliation_message(affiliation))

    def ConfirmAffiliation(self, request: pb.ConfirmAffiliationRequest, call: Call) -> pb.Affiliation:
        cmd = commands.ConfirmAffiliation(**AFFILIATION_REF.parse(request))
        return m.affiliation_message(use.confirm_affiliation(cmd, self.uow(call), call.principal))

    def DeclineAffiliation(self, request: pb.DeclineAffiliationRequest, call: Call) -> pb.Affiliation:
        cmd = commands.DeclineAffiliation(**AFFILIATION_REF.parse(request))
        return m.affiliation_message(use.decline_affiliation(cmd, self.uow(call), call.principal))

    def EndAffiliation(self, request: pb.EndAffiliationRequest, call: Call) -> pb.Affiliation:
        cmd = commands.EndAffiliation(**END_AFFILIATION.parse(request))
        return m.affiliation_message(use.end_affiliation(cmd, self.uow(call), call.principal))

    def PauseAffiliation(self, request: pb.PauseAffiliationRequest, call: Call) -> pb.Affiliation:
        values = PAUSE_AFFILIATION.parse(request)  # the reason: in the change history only (RegistryServicer)
        cmd = commands.PauseAffiliation(values["leader_id"], values["until"])
        return m.affiliation_message(use.pause_affiliation(cmd, self.uow(call), call.principal))

    def ResumeAffiliation(self, request: pb.ResumeAffiliationRequest, call: Call) -> pb.Affiliation:
        cmd = commands.ResumeAffiliation(**LEADER_REF.parse(request))
        return m.affiliation_message(use.resume_affiliation(cmd, self.uow(call), call.principal))

    def ListAffiliations(self, request: pb.ListAffiliationsRequest, call: Call) -> pb.ListAffiliationsResponse:
        values = CHANGES_PAGE.parse(request, call)
        size = page_size(values)
        cmd = commands.ListAffiliations(values["page_token"], values["updated_since"], size + 1)
        found = use.list_affiliations(cmd, self.uow(call), call.principal)
        token = ""
        if len(found) > size:
            last = found[size - 1].affiliation
            assert last.updated_at is not None
            token = CHANGES_PAGE.next_page_token(values, call, last.updated_at, last.affiliation_id)
        return pb.ListAffiliationsResponse(
            affiliations=[m.affiliation_message(a.affiliation, a.trust_name) for a in found[:size]],
            next_page_token=token,
        )

    def GetLeader(self, request: pb.GetLeaderRequest, call: Call) -> pb.Leader:
        cmd = commands.GetLeader(**LEADER_REF.parse(request))
        return m.leader_message(use.get_leader(cmd, self.uow(call), call.principal))

    def ListLeaders(self, request: pb.ListLeadersRequest, call: Call) -> pb.ListLeadersResponse:
        values = CHANGES_PAGE.parse(request, call)
        size = page_size(values)
        cmd = commands.ListLeaders(values["page_token"], values["updated_since"], size + 1)
        views = use.list_leaders(cmd, self.uow(call), call.principal)
        token = ""
        if len(views) > size:
            last = views[size - 1]
            assert last.updated_at is not None
            token = CHANGES_PAGE.next_page_token(values, call, last.updated_at, last.leader.leader_id)
        return pb.ListLeadersResponse(leaders=[m.leader_message(v) for v in views[:size]], next_page_token=token)

    def UpdateLeader(self, request: pb.UpdateLeaderRequest, call: Call) -> pb.Leader:
        values = UPDATE_LEADER.parse(request)
        cmd = commands.UpdateLeader(
            values["leader_id"],
            values["expected_version"],
            values["profile"],
            tuple(values["field_names"]),
            values["on_behalf"],
        )
        return m.leader_message(use.update_leader(cmd, self.uow(call), call.principal))

    def VerifyEmailChange(self, request: pb.VerifyEmailChangeRequest, call: Call) -> pb.Leader:
        cmd = commands.VerifyEmailChange(**VERIFY_EMAIL_CHANGE.parse(request))
        uow = self.uow(call, TenantScope.platform_wide())  # whether anyone else holds the address
        return m.leader_message(email_changes.verify_email_change(cmd, uow, call.principal))

    def PauseLeader(self, request: pb.PauseLeaderRequest, call: Call) -> pb.Leader:
        values = PAUSE_LEADER.parse(request)
        cmd = commands.PauseLeader(values["leader_id"], values["until"], values["on_behalf"])
        return m.leader_message(use.pause_leader(cmd, self.uow(call), call.principal))

    def ResumeLeader(self, request: pb.ResumeLeaderRequest, call: Call) -> pb.Leader:
        cmd = commands.ResumeLeader(**RESUME_LEADER.parse(request))
        uow = self.uow(call, TenantScope.platform_wide())  # reversing a withdrawal restores others' affiliations
        return m.leader_message(use.resume_leader(cmd, uow, call.principal))

    def WithdrawLeader(self, request: pb.WithdrawLeaderRequest, call: Call) -> pb.Leader:
        values = WITHDRAW_LEADER.parse(request)  # the reason: in the change history only (RegistryServicer)
        cmd = commands.WithdrawLeader(values["leader_id"], values["on_behalf"])
        uow = self.uow(call, TenantScope.platform_wide())  # it ends affiliations the caller cannot see
        return m.leader_message(use.withdraw_leader(cmd, uow, call.principal))

    def RecordConsent(self, request: pb.RecordConsentRequest, call: Call) -> pb.ConsentState:
        values = RECORD_CONSENT.parse(request)
        idempotent: Idempotent[ConsentRecord] = m.idempotent(
            call,
            "RecordConsent",
            request,
            lambda r: m.consent_message(r).SerializeToString(),
            _consent_from_bytes,
            call.principal.leader_id,
        )
        cmd = commands.RecordConsent(**values)
        record = use.record_consent(cmd, self.uow(call), call.principal, idempotent=idempotent)
        return m.consent_message(record)

    def ListConsents(self, request: pb.ListConsentsRequest, call: Call) -> pb.ListConsentsResponse:
        cmd = commands.ListConsents(**LEADER_REF.parse(request))
        current, history = use.list_consents(cmd, self.uow(call), call.principal)
        return pb.ListConsentsResponse(
            current=[m.consent_message(c) for c in current], history=[m.consent_message(c) for c in history]
        )

    def ListAuditEntries(self, request: pb.ListAuditEntriesRequest, call: Call) -> pb.ListAuditEntriesResponse:
        values = LIST_AUDIT_ENTRIES.parse(request, call)
        size = page_size(values)
        after = values["page_token"][0] if values["page_token"] else 0
        cmd = commands.ListAuditEntries(values["leader_id"], after, values["updated_since"], size + 1)
        found = use.list_audit_entries(cmd, self.uow(call), call.principal)
        token = LIST_AUDIT_ENTRIES.next_page_token(values, call, found[size - 1][0]) if len(found) > size else ""
        return pb.ListAuditEntriesResponse(
            entries=[
                pb.AuditEntry(
                    at=timestamp(e.at),
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
        terms = use.list_terms(commands.ListTerms(**LIST_TERMS.parse(request)), self.uow(call))
        return pb.ListTermsResponse(
            terms=[pb.Term(kind=t.kind, code=t.code, label=t.label, trust_ods=t.trust_ods or "") for t in terms]
        )

    def AddTerm(self, request: pb.AddTermRequest, call: Call) -> pb.Term:
        term = use.add_term(commands.AddTerm(**ADD_TERM.parse(request)), self.uow(call), call.principal)
        return pb.Term(kind=term.kind, code=term.code, label=term.label, trust_ods=term.trust_ods or "")


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
