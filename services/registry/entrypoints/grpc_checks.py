"""The check API's servicer: translate, call a use case, translate back.

GetSharedRecord and AcceptCheck run in the platform scope: the trust a record is shared with may
have only a pending affiliation, so row-level security would not show it the leader. The use case
admits only a trust, before anything is read, and answers only the shared view, and only while the
leader's consent stands.
"""

from __future__ import annotations

from typing import Any

import marshmallow
from marshmallow import fields, validate, validates_schema
from plr.registry.v1 import checks_pb2 as pb

from services.common.grpc_edge import (
    Choice,
    IsoDate,
    Message,
    RequestSchema,
    Uuid,
    iso_date,
    timestamp,
)
from services.common.grpc_server import Call
from services.common.idempotency import Idempotent
from services.common.tenancy import TenantScope
from services.registry.domain import commands
from services.registry.domain.checks import AcceptedCheck, Check, CheckType, DbsLevel, Requirement
from services.registry.entrypoints.leader_messages import idempotent as idempotent_request
from services.registry.entrypoints.servicer import RegistryServicer
from services.registry.service_layer import checks as use

REQUIREMENTS_MAX = 10


class RecordCheckSchema(RequestSchema):
    # check type, level, evidence and details: the domain's rules (checks.Check.verify)
    leader_id = Uuid()
    check_type = fields.String()
    dbs_level = fields.String()
    issued_on = IsoDate()
    expires_on = IsoDate()
    evidence = fields.String()
    dbs_details = fields.String()


class LeaderRefSchema(RequestSchema):
    leader_id = Uuid()


class AcceptCheckSchema(RequestSchema):
    leader_id = Uuid()
    check_id = Uuid()


class RequirementSchema(RequestSchema):
    check_type = Choice(CheckType)
    minimum_dbs_level = Choice(DbsLevel, optional=True)

    @validates_schema
    def _level_for_dbs_only(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("minimum_dbs_level") is not None and data.get("check_type") is not CheckType.DBS:
            raise marshmallow.ValidationError("is only for a dbs check", "minimum_dbs_level")


class MayPlaceSchema(RequestSchema):
    leader_id = Uuid()
    requirements = fields.List(
        Message(RequirementSchema()),
        validate=[
            validate.Length(min=1, error="name at least one required check"),
            validate.Length(max=REQUIREMENTS_MAX, error="at most {max}"),
        ],
    )
    on = IsoDate()


RECORD_CHECK = RecordCheckSchema()
LEADER_REF = LeaderRefSchema()
ACCEPT_CHECK = AcceptCheckSchema()
MAY_PLACE = MayPlaceSchema()


def check_message(check: Check) -> pb.Check:
    return pb.Check(
        check_id=check.check_id,
        leader_id=check.leader_id,
        check_type=check.check_type.value,
        dbs_level=check.dbs_level.value if check.dbs_level else "",
        verifying_trust=check.trust_ods,
        verified_by=check.verified_by,
        verified_at=timestamp(check.verified_at),
        issued_on=iso_date(check.issued_on),
        expires_on=iso_date(check.expires_on),
        evidence=check.evidence,
        dbs_details=check.dbs_details,
        version=check.version,
    )


def shared_check_message(check: Check) -> pb.SharedCheck:
    return pb.SharedCheck(
        check_id=check.check_id,
        check_type=check.check_type.value,
        dbs_level=check.dbs_level.value if check.dbs_level else "",
        verifying_trust=check.trust_ods,
        verified_at=timestamp(check.verified_at),
        issued_on=iso_date(check.issued_on),
        expires_on=iso_date(check.expires_on),
    )


def accepted_message(accepted: AcceptedCheck) -> pb.AcceptedCheck:
    return pb.AcceptedCheck(
        acceptance_id=accepted.acceptance_id,
        check_id=accepted.check_id,
        leader_id=accepted.leader_id,
        check_type=accepted.check_type.value,
        dbs_level=accepted.dbs_level.value if accepted.dbs_level else "",
        verifying_trust=accepted.verifying_trust,
        verified_at=timestamp(accepted.verified_at),
        issued_on=iso_date(accepted.issued_on),
        expires_on=iso_date(accepted.expires_on),
        accepting_trust=accepted.accepting_trust,
        accepted_by=accepted.accepted_by,
        accepted_at=timestamp(accepted.accepted_at),
    )


class CheckApi(RegistryServicer):
    # a check's evidence is the verifying trust's own detail of the check (never shown to the leader or
    # another trust): the change history does not repeat it
    EVIDENCE_NOT_RECORDED = frozenset({"RecordCheck"})
    SERVICE = pb.DESCRIPTOR.services_by_name["CheckService"]

    def RecordCheck(self, request: pb.RecordCheckRequest, call: Call) -> pb.Check:
        values = RECORD_CHECK.parse(request)
        idempotent: Idempotent[str] = idempotent_request(call, "RecordCheck", request, str.encode, bytes.decode)
        check = use.record_check(commands.RecordCheck(**values), self.uow(call), call.principal, idempotent=idempotent)
        return check_message(check)

    def ListChecks(self, request: pb.ListChecksRequest, call: Call) -> pb.ListChecksResponse:
        cmd = commands.ListChecks(**LEADER_REF.parse(request))
        found, accepted = use.list_checks(cmd, self.uow(call), call.principal)
        return pb.ListChecksResponse(
            checks=[check_message(c) for c in found], accepted=[accepted_message(a) for a in accepted]
        )

    def GetSharedRecord(self, request: pb.GetSharedRecordRequest, call: Call) -> pb.SharedRecord:
        cmd = commands.GetSharedRecord(**LEADER_REF.parse(request))
        record = use.get_shared_record(cmd, self.uow(call, TenantScope.platform_wide()), call.principal)
        return pb.SharedRecord(
            leader_id=record.leader_id,
            checks=[shared_check_message(c) for c in record.checks],
            training=[
                pb.CompletedTraining(
                    programme=t.programme, module=t.module, completed_on=iso_date(t.completed_on), trust_ods=t.trust_ods
                )
                for t in record.training
            ],
        )

    def AcceptCheck(self, request: pb.AcceptCheckRequest, call: Call) -> pb.AcceptedCheck:
        cmd = commands.AcceptCheck(**ACCEPT_CHECK.parse(request))
        accepted = use.accept_check(cmd, self.uow(call, TenantScope.platform_wide()), call.principal)
        return accepted_message(accepted)

    def MayPlace(self, request: pb.MayPlaceRequest, call: Call) -> pb.MayPlaceResponse:
        values = MAY_PLACE.parse(request)
        requirements = tuple(Requirement(r["check_type"], r["minimum_dbs_level"]) for r in values["requirements"])
        cmd = commands.MayPlace(values["leader_id"], requirements, values["on"])
        blockers = use.may_place(cmd, self.uow(call), call.principal)
        return pb.MayPlaceResponse(
            allowed=not blockers,
            reasons=[
                pb.PlacementBlocker(
                    check_type=b.check_type.value if b.check_type else "", problem=b.problem, detail=b.detail
                )
                for b in blockers
            ],
        )
