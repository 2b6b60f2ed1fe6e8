"""Matching's opportunity servicer: translate, call a use case, translate back. Nothing else."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate
from plr.matching.v1 import matching_pb2 as pb

from services.common.grpc_edge import (
    Choice,
    IsoDate,
    Message,
    PageSize,
    PageToken,
    Problem,
    RequestSchema,
    Servicer,
    Time,
    Uuid,
    iso_date,
    page_size,
    parse_uuid,
    request_digest,
    timestamp,
)
from services.common.grpc_server import Call
from services.matching.domain import commands
from services.matching.domain.eligibility import Kind, Outcome, Rule, RuleResult, declarations_problem
from services.matching.domain.opportunity import Actor, Details, Opportunity, Status, Term
from services.matching.domain.terms import CheckType, Day, Level
from services.matching.service_layer import opportunities
from services.matching.service_layer.unit_of_work import UnitOfWork

Codes = fields.List(fields.String())


class TermSchema(RequestSchema):
    start_date = IsoDate()
    end_date = IsoDate()
    review_date = IsoDate()
    extendable = fields.Boolean()


class RuleSchema(RequestSchema):
    kind = Choice(Kind)
    value = fields.String()


class DetailsSchema(RequestSchema):
    title = fields.String()
    description = fields.String()
    level = Choice(Level)
    required_skills = Codes
    desirable_skills = Codes
    interests = Codes
    lived_experience = Codes
    sites = Codes
    remote = fields.Boolean()
    hours_per_month = fields.Integer(strict=True)
    days = fields.List(Choice(Day))
    term = Message(TermSchema(), load_default=None)
    places = fields.Integer(strict=True)
    closing_date = IsoDate()
    payment_rule = fields.String()
    required_checks = fields.List(Choice(CheckType))
    eligibility_rules = fields.List(Message(RuleSchema()))
    network_id = fields.String()


DETAILS = Message(DetailsSchema(), required=True)
VERSION = fields.Integer(strict=True, validate=validate.Range(min=1, error="is required: the version you read"))


class CreateSchema(RequestSchema):
    details = DETAILS
    idempotency_key = fields.String()


class UpdateSchema(RequestSchema):
    opportunity_id = Uuid()
    expected_version = VERSION
    details = DETAILS


class ChangeSchema(RequestSchema):
    opportunity_id = Uuid()
    expected_version = VERSION


class WithdrawSchema(ChangeSchema):
    reason = fields.String()


class GetSchema(RequestSchema):
    opportunity_id = Uuid()


class ListSchema(RequestSchema):
    page_size = PageSize()
    page_token = PageToken(parse_uuid, bound_to=("updated_since", "status", "owner"))
    updated_since = Time()
    status = Choice(Status, optional=True)
    owner = fields.String(validate=validate.OneOf(["", "own", "network"], error="must be own, network or empty"))


class EligibilitySchema(RequestSchema):
    opportunity_id = Uuid()
    declarations = fields.Dict(keys=fields.String(), values=fields.Boolean(), validate=Problem(declarations_problem))


CREATE, UPDATE, CHANGE, WITHDRAW = CreateSchema(), UpdateSchema(), ChangeSchema(), WithdrawSchema()
GET, LIST, ELIGIBILITY = GetSchema(), ListSchema(), EligibilitySchema()


def details_from(values: dict[str, Any]) -> Details:
    term = values["term"]
    return Details(
        **{
            name: tuple(values[name])
            for name in ("required_skills", "desirable_skills", "interests", "lived_experience")
        },
        title=values["title"],
        level=values["level"],
        description=values["description"],
        sites=tuple(values["sites"]),
        remote=values["remote"],
        hours_per_month=values["hours_per_month"],
        days=tuple(values["days"]),
        term=Term(**term) if term is not None else Term(),
        places=values["places"],
        closing_date=values["closing_date"],
        payment_rule=values["payment_rule"],
        required_checks=tuple(values["required_checks"]),
        eligibility_rules=tuple(Rule(r["kind"], r["value"]) for r in values["eligibility_rules"]),
        network_id=values["network_id"] or None,
    )


def rule_message(rule: Rule) -> pb.EligibilityRule:
    return pb.EligibilityRule(kind=rule.kind.value, value=rule.value, source=rule.source.value)


def details_message(d: Details) -> pb.OpportunityDetails:
    return pb.OpportunityDetails(
        title=d.title,
        description=d.description,
        level=d.level.value,
        required_skills=d.required_skills,
        desirable_skills=d.desirable_skills,
        interests=d.interests,
        lived_experience=d.lived_experience,
        sites=d.sites,
        remote=d.remote,
        hours_per_month=d.hours_per_month,
        days=[x.value for x in d.days],
        term=pb.Term(
            start_date=iso_date(d.term.start_date),
            end_date=iso_date(d.term.end_date),
            review_date=iso_date(d.term.review_date),
            extendable=d.term.extendable,
        ),
        places=d.places,
        closing_date=iso_date(d.closing_date),
        payment_rule=d.payment_rule,
        required_checks=[c.value for c in d.required_checks],
        eligibility_rules=[rule_message(r) for r in d.eligibility_rules],
        network_id=d.network_id or "",
    )


def actor_message(actor: Actor | None) -> pb.Actor | None:
    if actor is None:
        return None
    return pb.Actor(staff_id=actor.staff_id or "", claimed_staff=actor.claimed_staff or "")


def opportunity_message(o: Opportunity) -> pb.Opportunity:
    return pb.Opportunity(
        opportunity_id=o.opportunity_id,
        trust_ods=o.trust_ods,
        details=details_message(o.details),
        status=o.status.value,
        version=o.version,
        created_at=timestamp(o.created_at),
        updated_at=timestamp(o.updated_at),
        published_at=timestamp(o.published_at),
        withdrawn_reason=o.withdrawn_reason,
        created_by=actor_message(o.created_by),
        updated_by=actor_message(o.updated_by),
    )


def eligibility_message(outcome: Outcome, results: list[RuleResult]) -> pb.EligibilityAnswer:
    return pb.EligibilityAnswer(
        outcome=outcome.value,
        rules=[pb.RuleOutcome(rule=rule_message(r.rule), outcome=r.outcome.value, reason=r.reason) for r in results],
    )


class OpportunityApi(Servicer[UnitOfWork]):
    SERVICE = pb.DESCRIPTOR.services_by_name["OpportunityService"]

    def CreateOpportunity(self, request: pb.CreateOpportunityRequest, call: Call) -> pb.CreateOpportunityResponse:
        values = CREATE.parse(request)
        command = commands.CreateOpportunity(
            details_from(values["details"]), values["idempotency_key"], request_digest(request)
        )
        result = opportunities.create_opportunity(command, self.uow(call), call.principal)
        return pb.CreateOpportunityResponse(opportunity=opportunity_message(result.opportunity), created=result.created)

    def UpdateOpportunity(self, request: pb.UpdateOpportunityRequest, call: Call) -> pb.Opportunity:
        values = UPDATE.parse(request)
        command = commands.UpdateOpportunity(
            values["opportunity_id"], values["expected_version"], details_from(values["details"])
        )
        return opportunity_message(opportunities.update_opportunity(command, self.uow(call), call.principal))

    def PublishOpportunity(self, request: pb.ChangeOpportunityRequest, call: Call) -> pb.Opportunity:
        values = CHANGE.parse(request)
        command = commands.PublishOpportunity(values["opportunity_id"], values["expected_version"])
        return opportunity_message(opportunities.publish_opportunity(command, self.uow(call), call.principal))

    def CloseOpportunity(self, request: pb.ChangeOpportunityRequest, call: Call) -> pb.Opportunity:
        values = CHANGE.parse(request)
        command = commands.CloseOpportunity(values["opportunity_id"], values["expected_version"])
        return opportunity_message(opportunities.close_opportunity(command, self.uow(call), call.principal))

    def FillOpportunity(self, request: pb.ChangeOpportunityRequest, call: Call) -> pb.Opportunity:
        values = CHANGE.parse(request)
        command = commands.FillOpportunity(values["opportunity_id"], values["expected_version"])
        return opportunity_message(opportunities.fill_opportunity(command, self.uow(call), call.principal))

    def WithdrawOpportunity(self, request: pb.WithdrawOpportunityRequest, call: Call) -> pb.Opportunity:
        values = WITHDRAW.parse(request)
        command = commands.WithdrawOpportunity(values["opportunity_id"], values["expected_version"], values["reason"])
        return opportunity_message(opportunities.withdraw_opportunity(command, self.uow(call), call.principal))

    def GetOpportunity(self, request: pb.GetOpportunityRequest, call: Call) -> pb.Opportunity:
        command = commands.GetOpportunity(GET.parse(request)["opportunity_id"])
        return opportunity_message(opportunities.get_opportunity(command, self.uow(call), call.principal))

    def ListOpportunities(self, request: pb.ListOpportunitiesRequest, call: Call) -> pb.ListOpportunitiesResponse:
        values = LIST.parse(request, call)
        size = page_size(values)
        after = values["page_token"][0] if values["page_token"] else ""
        command = commands.ListOpportunities(
            after, size + 1, values["updated_since"], values["status"], values["owner"] or None
        )
        found = opportunities.list_opportunities(command, self.uow(call), call.principal)
        token = LIST.next_page_token(values, call, found[size - 1].opportunity_id) if len(found) > size else ""
        return pb.ListOpportunitiesResponse(
            opportunities=[opportunity_message(o) for o in found[:size]], next_page_token=token
        )

    def CheckEligibility(self, request: pb.CheckEligibilityRequest, call: Call) -> pb.EligibilityAnswer:
        values = ELIGIBILITY.parse(request)
        command = commands.CheckEligibility(values["opportunity_id"], values["declarations"])
        outcome, results = opportunities.check_eligibility(command, self.uow(call), call.principal)
        return eligibility_message(outcome, results)
