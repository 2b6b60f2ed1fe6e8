"""``SqlCandidatePool``: matching's projection of the registry's people (adapters/candidate_projection.py)
as one trust's rankings see it (``ports.CandidatePool``).

A trust's own people are those it holds through a confirmed (active) relationship; a person it does
not hold is found through a network only while they share their profile with one of the ``networks``
asked for, of which the trust is a member (row security admits no other: migration 0060). ``active`` is
for that trust on ``today``: the person is neither paused (until a return date after today) nor
withdrawn, and the trust has not paused its relationship. ``contactable``: the person lets the trust
contact them, or it found them through its network. Checks are those the trust verified or accepted,
valid on ``today`` (before their expiry date). Lived experience only while the person consents to its
use in matching (the projection holds none otherwise).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from services.matching.adapters.tables import candidate_checks, candidate_trusts, candidates, network_members
from services.matching.domain.ranking import Candidate
from services.matching.service_layer.ports import CandidatePool, Reach

c, t, k = candidates.c, candidate_trusts.c, candidate_checks.c


def _paused_on(paused: Any, until: Any, today: date) -> Any:
    """A pause holds on ``today`` unless its return date has come."""
    return sa.and_(paused, sa.or_(until.is_(None), until > today))


def _as_read(column: Any, name: str | None = None) -> Any:
    """A text[] as the driver reads it, a list of str: SQLAlchemy's ARRAY would copy every list again
    (six a person, for each of the thousands of people a ranking reads)."""
    return sa.type_coerce(column, sa.types.NullType()).label(name or column.name)


def _query(trust_ods: str, networks: frozenset[str], today: date) -> sa.Select[Any]:
    relationship = candidate_trusts.alias("relationship")
    r = relationship.c
    held = sa.and_(r.trust_ods.is_not(None), r.status == "active")
    member_networks = sa.select(network_members.c.network_id).where(
        network_members.c.trust_ods == trust_ods, network_members.c.member, network_members.c.network_id.in_(networks)
    )
    found = c.shared_networks.overlap(sa.func.array(member_networks.scalar_subquery())) if networks else sa.false()
    person_active = sa.or_(c.status == "active", sa.and_(c.status == "paused", c.paused_until <= today))
    checks = sa.func.array(
        sa.select(k.check_type)
        .where(
            k.leader_id == c.leader_id,
            k.holder_ods == trust_ods,
            sa.or_(k.expires_on.is_(None), k.expires_on > today),
        )
        .scalar_subquery()
    )
    return (
        sa.select(
            sa.cast(c.leader_id, sa.Text).label("leader_id"),  # the id as text: no uuid.UUID made and unmade
            held.label("held"),
            sa.and_(person_active, sa.not_(sa.and_(held, _paused_on(r.paused, r.paused_until, today)))).label("active"),
            sa.or_(
                sa.and_(held, sa.literal(trust_ods) == sa.any_(c.contact_trusts)), sa.and_(sa.not_(held), found)
            ).label("contactable"),
            _as_read(c.skills),
            _as_read(c.interests),
            _as_read(c.lived_experience),
            c.hours_per_month,
            _as_read(c.days),
            _as_read(c.modes),
            c.district,
            _as_read(sa.case((held, checks), else_=sa.cast(sa.literal([]), postgresql.ARRAY(sa.Text))), "checks"),
        )
        .select_from(candidates.outerjoin(relationship, sa.and_(r.leader_id == c.leader_id, r.trust_ods == trust_ods)))
        .where(sa.or_(held, found))
    )


def _candidate(row: Any) -> Candidate:
    return Candidate(
        leader_id=str(row.leader_id),
        active=bool(row.active),
        contactable=bool(row.contactable),
        held=bool(row.held),
        skills=frozenset(row.skills),
        interests=frozenset(row.interests),
        lived_experience=frozenset(row.lived_experience) if row.lived_experience is not None else None,
        hours_per_month=row.hours_per_month,
        days=frozenset(row.days),
        modes=frozenset(row.modes),
        district=row.district,
        checks=frozenset(row.checks),
    )


class SqlCandidatePool(CandidatePool):
    def __init__(self, connection: Connection):
        self.connection = connection

    def for_trust(self, trust_ods: str, networks: frozenset[str], today: date) -> Iterable[Candidate]:
        rows = self.connection.execute(_query(trust_ods, networks, today).order_by(c.leader_id))
        return [_candidate(row) for row in rows]

    def get(self, leader_id: str, trust_ods: str, networks: frozenset[str], today: date) -> Candidate | None:
        row = self.connection.execute(_query(trust_ods, networks, today).where(c.leader_id == leader_id)).first()
        return _candidate(row) if row is not None else None

    def trusts_of(self, leader_id: str) -> Reach | None:
        person = self.connection.execute(sa.select(c.shared_networks).where(c.leader_id == leader_id)).first()
        if person is None:
            return None
        held = self.connection.execute(
            sa.select(t.trust_ods).where(t.leader_id == leader_id, t.status == "active")
        ).scalars()
        return Reach(frozenset(held), frozenset(person.shared_networks))
