"""The support and development API's servicer: translate, call a use case, translate back.

Every method runs in the caller's own scope (a trust, or the leader acting for themselves).
"""

from __future__ import annotations

from datetime import date

from plr.registry.v1 import development_pb2 as pb
from sqlalchemy.engine import Engine

from services.common.errors import InvalidInput
from services.common.grpc_server import Call, Method
from services.common.tenancy import ODS_CODE
from services.registry.adapters.unit_of_work import SqlUnitOfWork
from services.registry.domain.development import CheckInSeen, DevelopmentPlan, Goal, SupportAssignment
from services.registry.entrypoints import leader_messages as m
from services.registry.service_layer import development as use
from services.registry.service_layer.development import EnrolmentView
from services.registry.service_layer.leaders import new_id

SERVICE = pb.DESCRIPTOR.services_by_name["DevelopmentService"]


def _iso(value: date | None) -> str:
    return value.isoformat() if value is not None else ""


def _ods(field: str, value: str) -> str:
    if value and not ODS_CODE.fullmatch(value):
        raise InvalidInput({field: "must be an ODS code (3 to 5 capital letters or digits)"})
    return value


def _optional_uuid(field: str, value: str) -> str | None:
    return m.uuid_field(field, value) if value else None


def programme_message(programme: use.Programme) -> pb.Programme:
    return pb.Programme(
        programme_id=programme.programme_id,
        trust_ods=programme.trust_ods,
        title=programme.title,
        modules=[pb.Module(module_id=x.module_id, title=x.title) for x in programme.modules],
        version=programme.version,
        created_at=m.timestamp(programme.created_at),
    )


def enrolment_message(view: EnrolmentView) -> pb.Enrolment:
    e = view.enrolment
    return pb.Enrolment(
        enrolment_id=e.enrolment_id,
        leader_id=e.leader_id,
        trust_ods=e.trust_ods,
        programme_id=e.programme_id,
        programme_title=view.programme_title,
        completed_modules=[
            pb.ModuleCompletion(module_id=module, completed_on=on.isoformat())
            for module, on in sorted(e.completed_modules.items(), key=lambda item: (item[1], item[0]))
        ],
        completed_on=_iso(e.completed_on),
        version=e.version,
        enrolled_at=m.timestamp(e.enrolled_at),
    )


def assignment_message(a: SupportAssignment) -> pb.SupportAssignment:
    return pb.SupportAssignment(
        leader_id=a.leader_id,
        trust_ods=a.trust_ods,
        facilitator=a.facilitator,
        buddy_leader_id=a.buddy_leader_id or "",
        version=a.version,
        assigned_at=m.timestamp(a.assigned_at),
    )


def check_in_message(seen: CheckInSeen) -> pb.CheckIn:
    c = seen.check_in
    return pb.CheckIn(
        check_in_id=c.check_in_id,
        leader_id=c.leader_id,
        trust_ods=c.trust_ods,
        held_on=c.held_on.isoformat(),
        notes=seen.notes or "",
        notes_withheld=seen.notes_withheld,
        recorded_at=m.timestamp(c.recorded_at),
    )


def plan_message(plan: DevelopmentPlan) -> pb.DevelopmentPlan:
    return pb.DevelopmentPlan(
        leader_id=plan.leader_id,
        trust_ods=plan.trust_ods,
        goals=[
            pb.Goal(goal_id=g.goal_id, title=g.title, status=g.status, target_date=_iso(g.target_date))
            for g in plan.goals
        ],
        version=plan.version,
        updated_at=m.timestamp(plan.updated_at),
    )


def _goals(goals: list[pb.Goal]) -> list[Goal]:
    return [
        Goal(
            _optional_uuid(f"goals[{i}].goal_id", g.goal_id) or new_id(),
            g.title,
            g.status,
            m.date_field(f"goals[{i}].target_date", g.target_date),
        )
        for i, g in enumerate(goals)
    ]


class DevelopmentApi:
    def __init__(self, engine: Engine):
        self.engine = engine

    def uow(self, call: Call) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, call.principal.scope, call.correlation_id)

    def CreateProgramme(self, request: pb.CreateProgrammeRequest, call: Call) -> pb.Programme:
        programme = use.create_programme(self.uow(call), call.principal, request.title, list(request.module_titles))
        return programme_message(programme)

    def AddModule(self, request: pb.AddModuleRequest, call: Call) -> pb.Programme:
        programme_id = m.uuid_field("programme_id", request.programme_id)
        return programme_message(use.add_module(self.uow(call), call.principal, programme_id, request.title))

    def ListProgrammes(self, request: pb.ListProgrammesRequest, call: Call) -> pb.ListProgrammesResponse:
        size = m.page_size(request.page_size)
        offset = m.decode_offset(request.page_token)
        if offset < 0:
            raise InvalidInput({"page_token": "is not a page token from a previous response"})
        found = use.list_programmes(self.uow(call), call.principal, offset, size + 1)
        token = m.encode_offset(offset + size) if len(found) > size else ""
        return pb.ListProgrammesResponse(programmes=[programme_message(p) for p in found[:size]], next_page_token=token)

    def EnrolLeader(self, request: pb.EnrolLeaderRequest, call: Call) -> pb.Enrolment:
        leader_id = m.uuid_field("leader_id", request.leader_id)
        programme_id = m.uuid_field("programme_id", request.programme_id)
        return enrolment_message(use.enrol_leader(self.uow(call), call.principal, leader_id, programme_id))

    def CompleteTraining(self, request: pb.CompleteTrainingRequest, call: Call) -> pb.Enrolment:
        enrolment_id = m.uuid_field("enrolment_id", request.enrolment_id)
        module_id = _optional_uuid("module_id", request.module_id)
        on = m.date_field("completed_on", request.completed_on)
        return enrolment_message(use.complete_training(self.uow(call), call.principal, enrolment_id, module_id, on))

    def ListEnrolments(self, request: pb.ListEnrolmentsRequest, call: Call) -> pb.ListEnrolmentsResponse:
        leader_id = m.uuid_field("leader_id", request.leader_id)
        found = use.list_enrolments(self.uow(call), call.principal, leader_id)
        return pb.ListEnrolmentsResponse(enrolments=[enrolment_message(v) for v in found])

    def AssignFacilitator(self, request: pb.AssignFacilitatorRequest, call: Call) -> pb.SupportAssignment:
        leader_id = m.uuid_field("leader_id", request.leader_id)
        buddy = _optional_uuid("buddy_leader_id", request.buddy_leader_id)
        assignment = use.assign_facilitator(self.uow(call), call.principal, leader_id, request.facilitator, buddy)
        return assignment_message(assignment)

    def RecordCheckIn(self, request: pb.RecordCheckInRequest, call: Call) -> pb.CheckIn:
        leader_id = m.uuid_field("leader_id", request.leader_id)
        held_on = m.date_field("held_on", request.held_on)
        return check_in_message(use.record_check_in(self.uow(call), call.principal, leader_id, held_on, request.notes))

    def GetSupport(self, request: pb.GetSupportRequest, call: Call) -> pb.Support:
        leader_id = m.uuid_field("leader_id", request.leader_id)
        assignments, check_ins = use.get_support(self.uow(call), call.principal, leader_id)
        return pb.Support(
            assignments=[assignment_message(a) for a in assignments],
            check_ins=[check_in_message(c) for c in check_ins],
        )

    def GetDevelopmentPlan(self, request: pb.GetDevelopmentPlanRequest, call: Call) -> pb.DevelopmentPlan:
        leader_id = m.uuid_field("leader_id", request.leader_id)
        trust = _ods("trust_ods", request.trust_ods)
        return plan_message(use.get_development_plan(self.uow(call), call.principal, leader_id, trust))

    def UpdateDevelopmentPlan(self, request: pb.UpdateDevelopmentPlanRequest, call: Call) -> pb.DevelopmentPlan:
        leader_id = m.uuid_field("leader_id", request.leader_id)
        trust = _ods("trust_ods", request.trust_ods)
        if request.expected_version < 0:
            raise InvalidInput({"expected_version": "is the version you read (0 for a plan not yet started)"})
        plan = use.update_development_plan(
            self.uow(call), call.principal, leader_id, trust, request.expected_version, _goals(list(request.goals))
        )
        return plan_message(plan)

    def methods(self) -> dict[str, Method]:
        return {method.name: getattr(self, method.name) for method in SERVICE.methods}
