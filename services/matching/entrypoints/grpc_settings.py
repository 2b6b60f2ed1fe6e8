"""Matching's settings servicer: translate, call a use case, translate back. Nothing else."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate
from plr.matching.v1 import matching_pb2 as pb

from services.common.grpc_edge import Choice, Message, RequestSchema, Servicer
from services.common.grpc_server import Call
from services.matching.domain import commands
from services.matching.domain.settings import (
    DEFAULT_MAX_HOURS,
    DEFAULT_ROTATION_CEILING_PERCENT,
    MatchingSettings,
    Site,
    default_checks_by_level,
)
from services.matching.domain.terms import CheckType, Level
from services.matching.service_layer import matching_settings
from services.matching.service_layer.unit_of_work import UnitOfWork


class SiteSchema(RequestSchema):
    code = fields.String()
    name = fields.String()
    local_districts = fields.List(fields.String())


class LevelChecksSchema(RequestSchema):
    level = Choice(Level)
    checks = fields.List(Choice(CheckType))


class SettingsSchema(RequestSchema):
    recent_placement_months = fields.Integer(strict=True)
    max_concurrent_placements = fields.Integer(strict=True)
    max_hours_per_month = fields.Integer(strict=True)
    rotation_ceiling_percent = fields.Integer(strict=True)
    sites = fields.List(Message(SiteSchema()))
    default_checks = fields.List(Message(LevelChecksSchema()))


class UpdateSettingsSchema(RequestSchema):
    settings = Message(SettingsSchema(), required=True)
    expected_version = fields.Integer(strict=True, validate=validate.Range(min=0, error="must be 0 or more"))


class GetSettingsSchema(RequestSchema):
    pass


UPDATE, GET = UpdateSettingsSchema(), GetSettingsSchema()


def settings_from(values: dict[str, Any]) -> MatchingSettings:
    return MatchingSettings(
        trust_ods="",  # the caller's, set by the use case
        recent_placement_months=values["recent_placement_months"],
        max_concurrent_placements=values["max_concurrent_placements"],
        # added within v1: a client that does not send them (0) keeps the defaults
        max_hours_per_month=values["max_hours_per_month"] or DEFAULT_MAX_HOURS,
        rotation_ceiling_percent=values["rotation_ceiling_percent"] or DEFAULT_ROTATION_CEILING_PERCENT,
        sites=tuple(Site(s["code"], s["name"], tuple(s["local_districts"])) for s in values["sites"]),
        default_checks=default_checks_by_level([(e["level"], tuple(e["checks"])) for e in values["default_checks"]]),
    )


def settings_message(s: MatchingSettings) -> pb.MatchingSettings:
    return pb.MatchingSettings(
        recent_placement_months=s.recent_placement_months,
        max_concurrent_placements=s.max_concurrent_placements,
        max_hours_per_month=s.max_hours_per_month,
        rotation_ceiling_percent=s.rotation_ceiling_percent,
        sites=[pb.Site(code=x.code, name=x.name, local_districts=x.local_districts) for x in s.sites],
        default_checks=[
            pb.LevelChecks(level=level.value, checks=[c.value for c in checks])
            for level, checks in sorted(s.default_checks.items())
        ],
        version=s.version,
    )


class MatchingSettingsApi(Servicer[UnitOfWork]):
    SERVICE = pb.DESCRIPTOR.services_by_name["MatchingSettingsService"]

    def GetMatchingSettings(self, request: pb.GetMatchingSettingsRequest, call: Call) -> pb.MatchingSettings:
        GET.parse(request)
        found = matching_settings.get_matching_settings(commands.GetMatchingSettings(), self.uow(call), call.principal)
        return settings_message(found)

    def UpdateMatchingSettings(self, request: pb.UpdateMatchingSettingsRequest, call: Call) -> pb.MatchingSettings:
        values = UPDATE.parse(request)
        command = commands.UpdateMatchingSettings(settings_from(values["settings"]), values["expected_version"])
        return settings_message(matching_settings.update_matching_settings(command, self.uow(call), call.principal))
