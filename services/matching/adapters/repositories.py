"""Matching's repositories and stores on PostgreSQL. What a read returns is decided by the tenant
scope of the connection (row-level security, migration 0010)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection

from services.common.errors import PreconditionFailed
from services.matching.adapters.documents import (
    actor_document,
    actor_from,
    details_document,
    details_from,
    settings_document,
    settings_from,
)
from services.matching.adapters.tables import matching_settings, network_members, opportunities
from services.matching.domain.opportunity import OPEN, Opportunity, Status
from services.matching.domain.settings import MatchingSettings
from services.matching.service_layer.ports import (
    NetworkDirectory,
    OpportunityRepository,
    SettingsStore,
)


def _row_values(o: Opportunity) -> dict[str, object]:
    return {
        "status": o.status.value,
        "version": o.version,
        "network_id": o.details.network_id,
        "details": details_document(o.details),
        "withdrawn_reason": o.withdrawn_reason,
        "updated_at": o.updated_at,
        "published_at": o.published_at,
        "updated_by": actor_document(o.updated_by),
    }


def _to_opportunity(row: sa.Row) -> Opportunity:  # type: ignore[type-arg]
    return Opportunity(
        opportunity_id=row.opportunity_id,
        trust_ods=row.trust_ods,
        details=details_from(row.details),
        status=Status(row.status),
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        published_at=row.published_at,
        withdrawn_reason=row.withdrawn_reason,
        created_by=actor_from(row.created_by),
        updated_by=actor_from(row.updated_by),
    )


class SqlOpportunityRepository(OpportunityRepository):
    def __init__(self, connection: Connection):
        super().__init__()
        self.connection = connection

    def _get(self, opportunity_id: str, lock: bool) -> Opportunity | None:
        query = sa.select(opportunities).where(opportunities.c.opportunity_id == opportunity_id)
        row = self.connection.execute(query.with_for_update() if lock else query).first()
        return None if row is None else _to_opportunity(row)

    def _add(self, opportunity: Opportunity) -> None:
        self.connection.execute(
            opportunities.insert().values(
                opportunity_id=opportunity.opportunity_id,
                trust_ods=opportunity.trust_ods,
                created_at=opportunity.created_at,
                created_by=actor_document(opportunity.created_by),
                **_row_values(opportunity),
            )
        )

    def save(self, opportunity: Opportunity, expected_version: int) -> None:
        updated = self.connection.execute(
            opportunities.update()
            .where(
                opportunities.c.opportunity_id == opportunity.opportunity_id,
                opportunities.c.version == expected_version,
            )
            .values(**_row_values(opportunity))
        ).rowcount
        if updated != 1:
            raise PreconditionFailed("expected_version: the opportunity changed meanwhile; read it again and retry")

    def list(
        self,
        after_id: str,
        limit: int,
        updated_since: datetime | None,
        status: Status | None,
        owner_ods: str | None,
        not_owner_ods: str | None,
    ) -> list[Opportunity]:
        query = sa.select(opportunities)
        if after_id:
            query = query.where(opportunities.c.opportunity_id > after_id)
        if updated_since is not None:
            query = query.where(opportunities.c.updated_at >= updated_since)
        if status is not None:
            query = query.where(opportunities.c.status == status.value)
        if owner_ods is not None:
            query = query.where(opportunities.c.trust_ods == owner_ods)
        if not_owner_ods is not None:
            query = query.where(opportunities.c.trust_ods != not_owner_ods)
        rows = self.connection.execute(query.order_by(opportunities.c.opportunity_id).limit(limit))
        return [_to_opportunity(row) for row in rows]

    def sites_in_use(self, trust_ods: str) -> frozenset[str]:
        site = sa.func.jsonb_array_elements_text(opportunities.c.details["sites"]).table_valued("value")
        rows = self.connection.execute(
            sa.select(site.c.value)
            .select_from(opportunities)
            .join(site, sa.true())
            .where(opportunities.c.trust_ods == trust_ods, opportunities.c.status.in_([s.value for s in OPEN]))
            .distinct()
        )
        return frozenset(row.value for row in rows)


class SqlSettingsStore(SettingsStore):
    def __init__(self, connection: Connection):
        self.connection = connection

    def get(self, trust_ods: str) -> MatchingSettings:
        row = self.connection.execute(
            sa.select(matching_settings).where(matching_settings.c.trust_ods == trust_ods)
        ).first()
        return MatchingSettings(trust_ods) if row is None else settings_from(trust_ods, row.version, row.settings)

    def save(self, settings: MatchingSettings, expected_version: int) -> None:
        values = {"version": settings.version, "settings": settings_document(settings), "updated_at": sa.func.now()}
        statement = insert(matching_settings).values(trust_ods=settings.trust_ods, **values)
        # the first save inserts (expected 0); later ones update only from the version read
        written = self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=[matching_settings.c.trust_ods],
                set_=values,
                where=matching_settings.c.version == expected_version,
            )
        ).rowcount
        if written != 1:
            raise PreconditionFailed("expected_version: the settings changed meanwhile; read them again and retry")


class SqlNetworkDirectory(NetworkDirectory):
    def __init__(self, connection: Connection):
        self.connection = connection

    def networks_of(self, trust_ods: str) -> frozenset[str]:
        rows = self.connection.execute(
            sa.select(network_members.c.network_id).where(
                network_members.c.trust_ods == trust_ods, network_members.c.member
            )
        )
        return frozenset(row.network_id for row in rows)
