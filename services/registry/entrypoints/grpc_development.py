"""The support and development API's servicer: translate, call a use case, translate back.

Every method runs in the caller's own scope (a trust, or the leader acting for themselves).
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate
from plr.registry.v1 import development_pb2 as pb

from services.common.grpc_edge import (
    IsoDate,
    Message,
    OdsCode,
    PageSize,
    PageToken,
    Problem,
    RequestSchema,
    Uuid,
    iso_date,
    page_size,
    parse_offset,
    timestamp,
)
from services.common.grpc_server import Call
from services.registry.domain import commands
from services.registry.domain.development import CheckInSeen, DevelopmentPlan, Goal, SupportAssignment, title_problem
from services.registry.entrypoints.servicer import RegistryServicer
from services.registry.service_layer import development as use
from services.registry.service_layer.development import EnrolmentView
from services.registry.service_layer.leaders import new_id

# titles, facilitators, notes and goals' titles and statuses: the domain's rules (domain/development.py)


class CreateProgrammeSchema(RequestSchema):
    title = fields.String()
    module_titles = fields.List(fields.String())


class AddModuleSchema(RequestSchema):
    programme_id = Uuid()
    title = fields.String(validate=Problem(title_problem))  # checked before the programme is looked for


class ListProgrammesSchema(RequestSchema):
    page_size = PageSize()
    page_token = PageToken(parse_offset)


class EnrolLeaderSchema(RequestSchema):
    leader_id = Uuid()
    programme_id = Uuid()


class CompleteTrainingSchema(RequestSchema):
    enrolment_id = Uuid()
    module_id = Uuid(optional=True)
    completed_on = IsoDate()


class LeaderRefSchema(RequestSchema):
    leader_id = Uuid()


class AssignFacilitatorSchema(RequestSchema):
    leader_id = Uuid()
    # facilitators were once named by free text: refused, so that a caller still sending one learns it
    facilitator = fields.String(
        validate=validate.Length(max=0, error="is no longer accepted: send facilitator_staff_id")
    )
    facilitator_staff_id = Uuid()
    buddy_leader_id = Uuid(optional=True)


class RecordCheckInSchema(RequestSchema):
    leader_id = Uuid()
    held_on = IsoDate()
    notes = fields.String()


class PlanRefSchema(RequestSchema):
    leader_id = Uuid()
    trust_ods = OdsCode(optional=True)  # whether it may be empty is the use case's rule (who asks)


class GoalSchema(RequestSchema):
    goal_id = Uuid(optional=True)  # empty: a new goal
    title = fields.String()
    status = fields.String()
    target_date = IsoDate()


class UpdateDevelopmentPlanSchema(PlanRefSchema):
    expected_version = fields.Integer(
        validate=validate.Range(min=0, error="is the version you read (0 for a plan not yet started)")
    )
    goals = fields.List(Message(GoalSchema()))


CREATE_PROGRAMME = CreateProgrammeSchema()
ADD_MODULE = AddModuleSchema()
LIST_PROGRAMMES = ListProgrammesSchema()
ENROL_LEADER = EnrolLeaderSchema()
COMPLETE_TRAINING = CompleteTrainingSchema()
LEADER_REF = LeaderRefSchema()
ASSIGN_FACILITATOR = AssignFacilitatorSchema()
RECORD_CHECK_IN = RecordCheckInSchema()
PLAN_REF = PlanRefSchema()
UPDATE_DEVELOPMENT_PLAN = UpdateDevelopmentPlanSchema()


def programme_message(programme: use.Programme) -> pb.Programme:
    return pb.Programme(
        programme_id=programme.programme_id,
        trust_ods=programme.trust_ods,
        title=programme.title,
        modules=[pb.Module(module_id=x.module_id, title=x.title) for x in programme.modules],
        version=programme.version,
        created_at=timestamp(programme.created_at),
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
        completed_on=iso_date(e.completed_on),
        version=e.version,
        enrolled_at=timestamp(e.enrolled_at),
    )


def assignment_message(a: SupportAssignment) -> pb.SupportAssignment:
    return pb.SupportAssignment(
        leader_id=a.leader_id,
        trust_ods=a.trust_ods,
        facilitator=a.facilitator,
        buddy_leader_id=a.buddy_leader_id or "",
        version=a.version,
        assigned_at=timestamp(a.assigned_at),
        facilitator_staff_id=a.facilitator_staff_id or "",
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
        recorded_at=timestamp(c.recorded_at),
    )


def plan_message(plan: DevelopmentPlan) -> pb.DevelopmentPlan:
    return pb.DevelopmentPlan(
        leader_id=plan.leader_id,
        trust_ods=plan.trust_ods,
        goals=[
            pb.Goal(goal_id=g.goal_id, title=g.title, status=g.status, target_date=iso_date(g.target_date))
            for g in plan.goals
        ],
        version=plan.version,
        updated_at=timestamp(plan.updated_at),
    )


def _goals(goals: list[dict[str, Any]]) -> list[Goal]:
    return [Goal(g["goal_id"] or new_id(), g["title"], g["status"], g["target_date"]) for g in goals]


class DevelopmentApi(RegistryServicer):
    SERVICE = pb.DESCRIPTOR.services_by_name["DevelopmentService"]

    def CreateProgramme(self, request: pb.CreateProgrammeRequest, call: Call) -> pb.Programme:
        values = CREATE_PROGRAMME.parse(request)
        programme = use.create_programme(
            commands.CreateProgramme(values["title"], tuple(values["module_titles"])), self.uow(call), call.principal
        )
        return programme_message(programme)

    def AddModule(self, request: pb.AddModuleRequest, call: Call) -> pb.Programme:
        values = ADD_MODULE.parse(request)
        return programme_message(
            use.add_module(commands.AddModule(values["programme_id"], values["title"]), self.uow(call), call.principal)
        )

    def ListProgrammes(self, request: pb.ListProgrammesRequest, call: Call) -> pb.ListProgrammesResponse:
        values = LIST_PROGRAMMES.parse(request, call)
        size = page_size(values)
        offset = values["page_token"][0] if values["page_token"] else 0
        found = use.list_programmes(commands.ListProgrammes(offset, size + 1), self.uow(call), call.principal)
        token = LIST_PROGRAMMES.next_page_token(values, call, offset + size) if len(found) > size else ""
        return pb.ListProgrammesResponse(programmes=[programme_message(p) for p in found[:size]], next_page_token=token)

    def EnrolLeader(self, request: pb.EnrolLeaderRequest, call: Call) -> pb.Enrolment:
        values = ENROL_LEADER.parse(request)
        enrolment = use.enrol_leader(
            commands.EnrolLeader(values["leader_id"], values["programme_id"]), self.uow(call), call.principal
        )
        return enrolment_message(enrolment)

    def CompleteTraining(self, request: pb.CompleteTrainingRequest, call: Call) -> pb.Enrolment:
        values = COMPLETE_TRAINING.parse(request)
        enrolment = use.complete_training(
            commands.CompleteTraining(values["enrolment_id"], values["module_id"], values["completed_on"]),
            self.uow(call),
            call.principal,
        )
        return enrolment_message(enrolment)

    def ListEnrolments(self, request: pb.ListEnrolmentsRequest, call: Call) -> pb.ListEnrolmentsResponse:
        leader_id = LEADER_REF.parse(request)["leader_id"]
        found = use.list_enrolments(commands.ListEnrolments(leader_id), self.uow(call), call.principal)
        return pb.ListEnrolmentsResponse(enrolments=[enrolment_message(v) for v in found])

    def AssignFacilitator(self, request: pb.AssignFacilitatorRequest, call: Call) -> pb.SupportAssignment:
        values = ASSIGN_FACILITATOR.parse(request)
        assignment = use.assign_facilitator(
            commands.AssignFacilitator(values["leader_id"], values["facilitator_staff_id"], values["buddy_leader_id"]),
            self.uow(call),
            call.principal,
        )
        return assignment_message(assignment)

    def RecordCheckIn(self, request: pb.RecordCheckInRequest, call: Call) -> pb.CheckIn:
        values = RECORD_CHECK_IN.parse(request)
        check_in = use.record_check_in(
            commands.RecordCheckIn(values["leader_id"], values["held_on"], values["notes"]),
            self.uow(call),
            call.principal,
        )
        return check_in_message(check_in)

    def GetSupport(self, request: pb.GetSupportRequest, call: Call) -> pb.Support:
        leader_id = LEADER_REF.parse(request)["leader_id"]
        assignments, check_ins = use.get_support(commands.GetSupport(leader_id), self.uow(call), call.principal)
        return pb.Support(
            assignments=[assignment_message(a) for a in assignments],
            check_ins=[check_in_message(c) for c in check_ins],
        )

    def GetDevelopmentPlan(self, request: pb.GetDevelopmentPlanRequest, call: Call) -> pb.DevelopmentPlan:
        values = PLAN_REF.parse(request)
        plan = use.get_development_plan(
            commands.GetDevelopmentPlan(values["leader_id"], values["trust_ods"]), self.uow(call), call.principal
        )
        return plan_message(plan)

    def UpdateDevelopmentPlan(self, request: pb.UpdateDevelopmentPlanRequest, call: Call) -> pb.DevelopmentPlan:
        values = UPDATE_DEVELOPMENT_PLAN.parse(request)
        plan = use.update_development_plan(
            commands.UpdateDevelopmentPlan(
                values["leader_id"], values["trust_ods"], values["expected_version"], tuple(_goals(values["goals"]))
            ),
            self.uow(call),
            call.principal,
        )
        return plan_message(plan)
