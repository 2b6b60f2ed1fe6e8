"""What people already do, as matching keeps it from recruitment's events
(proto/events/schemas/plr.recruitment.offer.made.v1 and plr.recruitment.placement.*): the offers made to
each person and their placements, read back as each person's ``Load`` on a date.

Events may be redelivered or arrive out of order: an offer is kept once by its id; a placement row keeps
the version that last said it (started at 1, ended at 2), and an end that arrives before its start
already holds the start and the hours.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection

from services.common.events import CloudEvent
from services.common.inbox import EventHandler
from services.matching.adapters.tables import offers_made, placements
from services.matching.domain.opportunity import add_months
from services.matching.domain.ranking import Load
from services.matching.service_layer.ports import PlacementLoads

RECRUITMENT_OFFERS = "recruitment.offer.made"
RECRUITMENT_PLACEMENTS = "recruitment.placement.*"


def record_offer_made(connection: Connection, event: CloudEvent) -> None:
    data = event.data
    statement = insert(offers_made).values(
        offer_id=data["offer_id"],
        leader_id=data["leader_id"],
        trust_ods=data["ods"],
        made_on=date.fromisoformat(data["made_on"]),
    )
    connection.execute(statement.on_conflict_do_nothing(index_elements=[offers_made.c.offer_id]))


def _placement(connection: Connection, event: CloudEvent, ended_on: date | None) -> None:
    data = event.data
    statement = insert(placements).values(
        placement_id=data["placement_id"],
        leader_id=data["leader_id"],
        trust_ods=data["ods"],
        started_on=date.fromisoformat(data["started_on"]),
        ended_on=ended_on,
        hours_per_month=data["hours_per_month"],
        version=event.aggregate_version,
    )
    excluded = statement.excluded
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[placements.c.placement_id],
            set_={
                "started_on": excluded.started_on,
                "ended_on": excluded.ended_on,
                "hours_per_month": excluded.hours_per_month,
                "version": excluded.version,
            },
            where=placements.c.version < excluded.version,
        )
    )


def record_placement_started(connection: Connection, event: CloudEvent) -> None:
    _placement(connection, event, ended_on=None)


def record_placement_ended(connection: Connection, event: CloudEvent) -> None:
    _placement(connection, event, ended_on=date.fromisoformat(event.data["ended_on"]))


def placement_handlers() -> dict[str, EventHandler]:
    return {
        "plr.recruitment.offer.made.v1": record_offer_made,
        "plr.recruitment.placement.started.v1": record_placement_started,
        "plr.recruitment.placement.ended.v1": record_placement_ended,
    }


class SqlPlacementLoads(PlacementLoads):
    def __init__(self, connection: Connection):
        self.connection = connection

    def of(self, leader_ids: Iterable[str], today: date, recent_months: int) -> Mapping[str, Load]:
        ids = list(leader_ids)
        if not ids:
            return {}
        since = add_months(today, -recent_months)
        p = placements.c
        current = sa.and_(p.started_on <= today, sa.or_(p.ended_on.is_(None), p.ended_on > today))
        placed = self.connection.execute(
            sa.select(
                p.leader_id,
                sa.func.count().filter(current).label("concurrent"),
                sa.func.coalesce(sa.func.sum(p.hours_per_month).filter(current), 0).label("hours"),
                sa.func.max(p.started_on).filter(p.started_on <= today).label("last_placed"),
            )
            .where(p.leader_id == sa.func.any(sa.cast(ids, sa.ARRAY(p.leader_id.type))))
            .group_by(p.leader_id)
        )
        loads = {
            r.leader_id: Load(
                concurrent_placements=r.concurrent,
                committed_hours=r.hours,
                last_placed=r.last_placed,
            )
            for r in placed
        }
        o = offers_made.c
        offered = self.connection.execute(
            sa.select(o.leader_id, sa.func.count().label("offers"))
            .where(
                o.leader_id == sa.func.any(sa.cast(ids, sa.ARRAY(o.leader_id.type))),
                o.made_on > since,
                o.made_on <= today,
            )
            .group_by(o.leader_id)
        )
        for r in offered:
            loads[r.leader_id] = replace(loads.get(r.leader_id, Load()), recent_offers=r.offers)
        return loads

    def placed_by(self, trust_ods: str, today: date, recent_months: int) -> Mapping[str, int]:
        p = placements.c
        since = add_months(today, -recent_months)
        rows = self.connection.execute(
            sa.select(p.leader_id, sa.func.count().label("placed"))
            .where(p.trust_ods == trust_ods, p.started_on > since, p.started_on <= today)
            .group_by(p.leader_id)
        )
        return {r.leader_id: r.placed for r in rows}
