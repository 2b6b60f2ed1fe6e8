"""Use cases about a trust's matching settings: read them, replace them (optimistic concurrency)."""

from __future__ import annotations

from dataclasses import replace

from services.common.errors import InvalidInput, PreconditionFailed
from services.common.principals import Principal
from services.matching.domain import commands
from services.matching.domain.settings import MatchingSettings, validated_settings
from services.matching.service_layer.opportunities import under
from services.matching.service_layer.unit_of_work import UnitOfWork


def get_matching_settings(cmd: commands.GetMatchingSettings, uow: UnitOfWork, principal: Principal) -> MatchingSettings:
    trust = principal.require_trust()
    with uow:
        return uow.settings.get(trust)


def update_matching_settings(
    cmd: commands.UpdateMatchingSettings, uow: UnitOfWork, principal: Principal
) -> MatchingSettings:
    trust = principal.require_trust()
    try:
        wanted = validated_settings(replace(cmd.settings, trust_ods=trust, version=cmd.expected_version + 1))
    except InvalidInput as error:
        raise under("settings", error) from None
    with uow:
        current = uow.settings.get(trust)
        if current.version != cmd.expected_version:
            raise PreconditionFailed(
                f"expected_version: the settings are at version {current.version}; read them again and retry"
            )
        removed = sorted((current.site_codes() - wanted.site_codes()) & uow.opportunities.sites_in_use(trust))
        if removed:
            raise PreconditionFailed(
                f"settings.sites: {', '.join(map(repr, removed))} named by open roles (draft, published or "
                "closed): change those roles first, or keep the site"
            )
        uow.settings.save(wanted, cmd.expected_version)
        uow.commit()
    return wanted
