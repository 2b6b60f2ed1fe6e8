"""Networks, the people who share their profile with one, and invitations: rows to domain objects and
back, with optimistic concurrency on version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection

from services.common.db import taken_concurrently
from services.common.errors import PreconditionFailed
from services.registry.adapters.tables import invitations, network_trusts, networks
from services.registry.domain.consent import Purpose
from services.registry.domain.invitation import SENT, Invitation
from services.registry.domain.network import Network
from services.registry.domain.profile import Availability, outward_code
from services.registry.service_layer.ports import (
    Candidate,
    CandidateFilter,
    InvitationRepository,
    NetworkCandidates,
    NetworkRepository,
)


class SqlNetworkRepository(NetworkRepository):
    def __init__(self, connection: Connection):
        super().__init__()
        self.connection = connection

    def _get(self, network_id: str, lock: bool) -> Network | None:
        query = sa.select(networks).where(networks.c.network_id == network_id)
        row = self.connection.execute(query.with_for_update() if lock else query).first()
        if row is None:
            return None
        members = self.connection.execute(
            sa.select(network_trusts.c.trust_ods).where(network_trusts.c.network_id == network_id)
        ).scalars()
        return _to_network(row, set(members))

    def _add(self, network: Network) -> bool:
        inserted = self.connection.execute(
            insert(networks)
            .values(
                network_id=network.network_id,
                name=network.name,
                version=network.version,
                created_at=network.created_at,
                updated_at=network.updated_at,
            )
            .on_conflict_do_nothing()
            .returning(networks.c.network_id)
        ).first()
        return inserted is not None

    def save(self, network: Network, expected_version: int) -> None:
        updated = self.connection.execute(
            networks.update()
            .where(networks.c.network_id == network.network_id, networks.c.version == expected_version)
            .values(name=network.name, version=network.version, updated_at=network.updated_at)
        ).rowcount
        if updated != 1:
            raise PreconditionFailed(f"network {network.network_id} changed concurrently; try again")
        self.connection.execute(network_trusts.delete().where(network_trusts.c.network_id == network.network_id))
        if network.trusts:
            self.connection.execute(
                network_trusts.insert(), [{"network_id": network.network_id, "trust_ods": t} for t in network.trusts]
            )

    def list(self, trust_ods: str | None = None) -> list[Network]:
        members: dict[str, set[str]] = {}
        for network_id, ods in self.connection.execute(
            sa.select(network_trusts.c.network_id, network_trusts.c.trust_ods)
        ):
            members.setdefault(network_id, set()).add(ods)
        rows = self.connection.execute(sa.select(networks).order_by(networks.c.network_id))
        found = [_to_network(row, members.get(row.network_id, set())) for row in rows]
        return [n for n in found if trust_ods is None or trust_ods in n.trusts]


def _to_network(row: Any, members: set[str]) -> Network:
    return Network(
        row.network_id, row.name, members, version=row.version, created_at=row.created_at, updated_at=row.updated_at
    )


# the latest record per person and network decides (consent as first-class data: grants and withdrawals kept)
_CANDIDATES = """
WITH latest AS (
    SELECT DISTINCT ON (c.leader_id, c.target) c.leader_id, c.target, c.granted
    FROM consent_records c
    WHERE c.purpose = :purpose AND c.target = ANY(:networks)
    ORDER BY c.leader_id, c.target, c.record_id DESC
), shared AS (
    -- a share holds while a trust of that network holds the person (the rule of the grant, kept: once the
    -- network's last trust holding them has ended its affiliation, the network no longer finds them)
    SELECT leader_id, array_agg(target ORDER BY target) AS network_ids FROM latest
    WHERE granted AND EXISTS (
        SELECT 1 FROM affiliations a JOIN network_trusts m ON m.trust_ods = a.trust_ods
        WHERE a.leader_id = latest.leader_id AND m.network_id = latest.target AND a.status = 'active'
    )
    GROUP BY leader_id
)
SELECT l.leader_id::text AS leader_id, l.postcode, l.profile, s.network_ids
FROM leaders l JOIN shared s ON s.leader_id = l.leader_id
WHERE l.status = 'active' AND l.erased_at IS NULL
  AND (:after = '' OR l.leader_id::text > :after)
  AND (:leader = '' OR l.leader_id::text = :leader)
  AND (:skill = '' OR l.profile -> 'skills' ? :skill)
  AND (:interest = '' OR l.profile -> 'interests' ? :interest)
  AND (:district = '' OR split_part(coalesce(l.postcode, ''), ' ', 1) = :district)
ORDER BY l.leader_id::text
LIMIT :limit
"""


class SqlNetworkCandidates(NetworkCandidates):
    def __init__(self, connection: Connection):
        self.connection = connection

    def find(self, where: CandidateFilter, after_leader_id: str, limit: int) -> list[Candidate]:
        return self._query(where, after_leader_id, "", limit)

    def is_candidate(self, leader_id: str, network_ids: tuple[str, ...]) -> bool:
        return bool(network_ids) and bool(self._query(CandidateFilter(network_ids), "", leader_id, 1))

    def _query(self, where: CandidateFilter, after: str, leader: str, limit: int) -> list[Candidate]:
        rows = self.connection.execute(
            sa.text(_CANDIDATES),
            {
                "purpose": Purpose.SHARE_PROFILE_WITH_NETWORK.value,
                "networks": list(where.network_ids),
                "after": after,
                "leader": leader,
                "skill": where.skill,
                "interest": where.interest,
                "district": where.postcode_district.strip().upper(),
                "limit": limit,
            },
        )
        return [_to_candidate(row) for row in rows]


def _to_candidate(row: Any) -> Candidate:
    profile = dict(row.profile or {})
    availability = profile.get("availability") or {}
    return Candidate(
        leader_id=row.leader_id,
        postcode_district=outward_code(row.postcode or ""),
        skills=tuple(profile.get("skills", ())),
        interests=tuple(profile.get("interests", ())),
        availability=Availability(
            hours_per_month=availability.get("hours_per_month", 0),
            days=tuple(availability.get("days", ())),
            modes=tuple(availability.get("modes", ())),
        ),
        network_ids=tuple(row.network_ids),
    )


class SqlInvitationRepository(InvitationRepository):
    def __init__(self, connection: Connection):
        super().__init__()
        self.connection = connection

    def _get(self, invitation_id: str, lock: bool) -> Invitation | None:
        query = sa.select(invitations).where(invitations.c.invitation_id == invitation_id)
        row = self.connection.execute(query.with_for_update() if lock else query).first()
        return None if row is None else _to_invitation(row)

    def _pending(self, trust_ods: str, target_key: str) -> Invitation | None:
        row = self.connection.execute(
            sa.select(invitations).where(
                invitations.c.trust_ods == trust_ods,
                invitations.c.target_key == target_key,
                invitations.c.status == SENT,
            )
        ).first()
        return None if row is None else _to_invitation(row)

    def _add(self, invitation: Invitation) -> None:
        with taken_concurrently():  # one pending invitation per trust and target (a partial unique index)
            self.connection.execute(
                invitations.insert().values(
                    invitation_id=invitation.invitation_id,
                    trust_ods=invitation.trust_ods,
                    target_key=invitation.target_key,
                    leader_id=invitation.leader_id,
                    status=invitation.status,
                    version=invitation.version,
                    created_at=invitation.created_at,
                    answered_at=invitation.answered_at,
                )
            )

    def save(self, invitation: Invitation, expected_version: int) -> None:
        updated = self.connection.execute(
            invitations.update()
            .where(invitations.c.invitation_id == invitation.invitation_id, invitations.c.version == expected_version)
            .values(
                leader_id=invitation.leader_id,
                status=invitation.status,
                version=invitation.version,
                answered_at=invitation.answered_at,
            )
        ).rowcount
        if updated != 1:
            raise PreconditionFailed(f"invitation {invitation.invitation_id} changed concurrently; try again")

    def page(self, after: tuple[datetime, str] | None, limit: int) -> list[Invitation]:
        query = sa.select(invitations)
        if after is not None:
            query = query.where(
                sa.tuple_(invitations.c.created_at, invitations.c.invitation_id)
                > sa.tuple_(sa.literal(after[0]), sa.cast(sa.literal(after[1]), invitations.c.invitation_id.type))
            )
        rows = self.connection.execute(
            query.order_by(invitations.c.created_at, invitations.c.invitation_id).limit(limit)
        )
        return [_to_invitation(row) for row in rows]

    def erase_leader(self, leader_id: str) -> int:
        return self.connection.execute(
            invitations.delete().where(
                sa.or_(invitations.c.leader_id == leader_id, invitations.c.target_key == f"leader:{leader_id}")
            )
        ).rowcount

    def forget_trust(self, trust_ods: str) -> int:
        return self.connection.execute(invitations.delete().where(invitations.c.trust_ods == trust_ods)).rowcount


def _to_invitation(row: Any) -> Invitation:
    return Invitation(
        row.invitation_id,
        row.trust_ods,
        row.target_key,
        row.leader_id,
        status=row.status,
        version=row.version,
        created_at=row.created_at,
        answered_at=row.answered_at,
    )
