"""The check API's servicer: translate, call a use case, translate back.

GetSharedRecord and AcceptCheck run in the platform scope: the trust a record is shared with may
have only a pending affiliation, so row-level security would not show it the leader. The use case
answers only the shared view, and only while the leader's consent stands.
"""

from __future__ import annotations

import hashlib

from plr.registry.v1 import checks_pb2 as pb
from sqlalchemy.engine import Engine

from services.common.errors import InvalidInput
from services.common.grpc_server import Call, Method
from services.common.tenancy import TenantScope
from services.registry.adapters.unit_of_work import SqlUnitOfWork
from services.registry.domain.checks import (
    AcceptedCheck,
    Check,
    CheckType,
    Requirement,
    parse_check_type,
    parse_dbs_level,
)
from services.registry.entrypoints import leader_messages as m
from services.registry.service_layer import checks as use
from services.registry.service_layer.idempotency import Idempotent
from services.registry.service_layer.unit_of_work import UnitOfWork

SERVICE = pb.DESCRIPTOR.services_by_name["CheckService"]
REQUIREMENTS_MAX = 10


def _iso(value: object) -> str:
    return "" if value is None else value.isoformat()  # type: ignore[attr-defined]


def check_message(check: Check) -> pb.Check:
    return pb.Check(
        check_id=check.check_id,
        leader_id=check.leader_id,
        check_type=check.check_type.value,
        dbs_level=check.dbs_level.value if check.dbs_level else "",
        verifying_trust=check.trust_ods,
        verified_by=check.verified_by,
        verified_at=m.timestamp(check.verified_at),
        issued_on=_iso(check.issued_on),
        expires_on=_iso(check.expires_on),
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
        verified_at=m.timestamp(check.verified_at),
        issued_on=_iso(check.issued_on),
        expires_on=_iso(check.expires_on),
    )


def accepted_message(accepted: AcceptedCheck) -> pb.AcceptedCheck:
    return pb.AcceptedCheck(
        acceptance_id=accepted.acceptance_id,
        check_id=accepted.check_id,
        leader_id=accepted.leader_id,
        check_type=accepted.check_type.value,
        dbs_level=accepted.dbs_level.value if accepted.dbs_level else "",
        verifying_trust=accepted.verifying_trust,
        verified_at=m.timestamp(accepted.verified_at),
        issued_on=_iso(accepted.issued_on),
        expires_on=_iso(accepted.expires_on),
        accepting_trust=accepted.accepting_trust,
        accepted_by=accepted.accepted_by,
        accepted_at=m.timestamp(accepted.accepted_at),
    )


def _requirements(request: pb.MayPlaceRequest) -> list[Requirement]:
    if not request.requirements:
        raise InvalidInput({"requirements": "name at least one required check"})
    if len(request.requirements) > REQUIREMENTS_MAX:
        raise InvalidInput({"requirements": f"at most {REQUIREMENTS_MAX}"})
    found: list[Requirement] = []
    for i, given in enumerate(request.requirements):
        kind = parse_check_type(given.check_type, f"requirements[{i}].check_type")
        level = None
        if given.minimum_dbs_level:
            if kind is not CheckType.DBS:
                raise InvalidInput({f"requirements[{i}].minimum_dbs_level": "is only for a dbs check"})
            level = parse_dbs_level(given.minimum_dbs_level, f"requirements[{i}].minimum_dbs_level")
        found.append(Requirement(kind, level))
    return found


class CheckApi:
    def __init__(self, engine: Engine):
        self.engine = engine

    def uow(self, call: Call, scope: TenantScope | None = None) -> UnitOfWork:
        return SqlUnitOfWork(self.engine, scope or call.principal.scope, call.correlation_id)

    def RecordCheck(self, request: pb.RecordCheckRequest, call: Call) -> pb.Check:
        leader_id = m.uuid_field("leader_id", request.leader_id)
        without_key = pb.RecordCheckRequest()
        without_key.CopyFrom(request)
        without_key.ClearField("idempotency_key")
        principal = call.principal
        idempotent: Idempotent[str] = Idempotent(
            principal.name,
            "RecordCheck",
            request.idempotency_key,
            hashlib.sha256(without_key.SerializeToString(deterministic=True)).hexdigest(),
            principal.trust_ods,
            None,
            render=str.encode,
            parse=bytes.decode,
        )
        check = use.record_check(
            self.uow(call),
            principal,
            leader_id,
            request.check_type,
            request.dbs_level,
            m.date_field("issued_on", request.issued_on),
            m.date_field("expires_on", request.expires_on),
            request.evidence,
            request.dbs_details,
            idempotent=idempotent,
        )
        return check_message(check)

    def ListChecks(self, request: pb.ListChecksRequest, call: Call) -> pb.ListChecksResponse:
        leader_id = m.uuid_field("leader_id", request.leader_id)
        found, accepted = use.list_checks(self.uow(call), call.principal, leader_id)
        return pb.ListChecksResponse(
            checks=[check_message(c) for c in found], accepted=[accepted_message(a) for a in accepted]
        )

    def GetSharedRecord(self, request: pb.GetSharedRecordRequest, call: Call) -> pb.SharedRecord:
        leader_id = m.uuid_field("leader_id", request.leader_id)
        call.principal.require_trust()
        record = use.get_shared_record(self.uow(call, TenantScope.platform_wide()), call.principal, leader_id)
        return pb.SharedRecord(
            leader_id=record.leader_id,
            checks=[shared_check_message(c) for c in record.checks],
            training=[
                pb.CompletedTraining(
                    programme=t.programme, module=t.module, completed_on=_iso(t.completed_on), trust_ods=t.trust_ods
                )
                for t in record.training
            ],
        )

    def AcceptCheck(self, request: pb.AcceptCheckRequest, call: Call) -> pb.AcceptedCheck:
        leader_id = m.uuid_field("leader_id", request.leader_id)
        check_id = m.uuid_field("check_id", request.check_id)
        call.principal.require_trust()
        accepted = use.accept_check(self.uow(call, TenantScope.platform_wide()), call.principal, leader_id, check_id)
        return accepted_message(accepted)

    def MayPlace(self, request: pb.MayPlaceRequest, call: Call) -> pb.MayPlaceResponse:
        leader_id = m.uuid_field("leader_id", request.leader_id)
        requirements = _requirements(request)
        on = m.date_field("on", request.on)
        blockers = use.may_place(self.uow(call), call.principal, leader_id, requirements, on)
        return pb.MayPlaceResponse(
            allowed=not blockers,
            reasons=[
                pb.PlacementBlocker(check_type=b.check_type.value, problem=b.problem, detail=b.detail) for b in blockers
            ],
        )

    def methods(self) -> dict[str, Method]:
        return {method.name: getattr(self, method.name) for method in SERVICE.methods}
