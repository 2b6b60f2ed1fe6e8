"""Set-based writes: one statement per table per batch (``services.common.bulk_insert``), not one per row.

The rows written are exactly those the per-row repositories write (the same columns, through the same
profile document), so a leader added in bulk reads back as a registered one. The writes use the unit
of work's own connection, inside its transaction: the tenant scope it set for that transaction applies
to them (row-level security's WITH CHECK refuses a write the scope does not allow).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import psycopg2
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.common.bulk_insert import insert_rows_in
from services.common.errors import PreconditionFailed
from services.registry.domain.affiliation import Affiliation
from services.registry.domain.leader import Leader
from services.registry.domain.profile import LeaderProfile

LEADER_COLUMNS = (
    "leader_id",
    "version",
    "status",
    "paused_until",
    "given_name",
    "family_name",
    "email",
    "email_key",
    "phone",
    "postcode",
    "profile",
    "created_at",
    "updated_at",
    "shared_version",
    "shared_updated_at",
)
# the rows' template for psycopg2's execute_values (the benchmark's raw insert of the same rows)
LEADER_TEMPLATE = "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s, %s)"
AFFILIATION_COLUMNS = (
    "affiliation_id",
    "leader_id",
    "trust_ods",
    "status",
    "version",
    "created_at",
    "confirmed_at",
    "ended_at",
    "end_reason",
    "updated_at",
)
CONSENT_COLUMNS = (
    "leader_id",
    "purpose",
    "target",
    "granted",
    "wording_version",
    "recorded_by_kind",
    "recorded_at",
)


def profile_document(profile: LeaderProfile) -> str:
    """The ``profile`` column's JSON, as ``profile_to_row`` makes it, without its deep copy (which cost
    more than the insert itself in bulk)."""
    a = profile.availability
    return json.dumps(
        {
            "skills": list(profile.skills),
            "interests": list(profile.interests),
            "lived_experience": list(profile.lived_experience),
            "availability": {"hours_per_month": a.hours_per_month, "days": list(a.days), "modes": list(a.modes)},
            "access_needs": profile.access_needs,
            "support_needs": profile.support_needs,
            "preferred_formats": list(profile.preferred_formats),
            "declarations_of_interest": list(profile.declarations_of_interest),
        }
    )


def leader_rows(new: Iterable[Leader]) -> list[tuple[Any, ...]]:
    return [
        (
            leader.leader_id,
            leader.version,
            leader.status,
            leader.paused_until,
            leader.profile.given_name or None,
            leader.profile.family_name or None,
            leader.profile.email or None,
            leader.email_key or None,
            leader.profile.phone or None,
            leader.profile.postcode or None,
            profile_document(leader.profile),
            leader.created_at,
            leader.updated_at,
            leader.shared_version,
            leader.shared_updated_at,
        )
        for leader in new
    ]


def consent_rows(new: Iterable[Leader]) -> list[tuple[Any, ...]]:
    return [
        (
            leader.leader_id,
            c.purpose.value,
            c.target,
            c.granted,
            c.wording_version,
            c.recorded_by_kind,
            c.recorded_at,
        )
        for leader in new
        for c in leader.consents
    ]


def affiliation_rows(new: Iterable[Affiliation]) -> list[tuple[Any, ...]]:
    return [
        (
            a.affiliation_id,
            a.leader_id,
            a.trust_ods,
            a.status,
            a.version,
            a.created_at,
            a.confirmed_at,
            a.ended_at,
            a.end_reason,
            a.updated_at,
        )
        for a in new
    ]


def write_rows(
    connection: Connection,
    table: sa.Table,
    columns: tuple[str, ...],
    rows: list[tuple[Any, ...]],
    then: str = "",
) -> None:
    """The rows in one statement (``insert_rows_in``); ``then``: what follows them (an ``ON CONFLICT``)."""
    try:
        insert_rows_in(connection, table, columns, rows, then)
    except psycopg2.IntegrityError:
        # another registration of the same person committed between our read and this write
        raise PreconditionFailed(
            "a person in this batch was registered at the same moment by another call; send the batch again"
        ) from None
