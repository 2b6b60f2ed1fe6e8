"""Matching's projection of the registry's people (``candidates``, ``candidate_trusts``,
``candidate_checks``; migration 0060), kept from registry's ``leader.*``, ``consent.*`` and ``check.*``
events (affiliations are ``leader.affiliation_*``).

Events are thin. What an event says itself is applied directly, in the transaction of its inbox row:
a pause, withdrawal or erasure of the person, each change of a trust's relationship (affiliated,
confirmed, paused, resumed, ended), a consent withdrawn (lived experience, contact by a trust, a network
share), and each check verified, accepted or expiring. Those never wait on the registry: a withdrawal
takes effect even while its api cannot be reached. Where an event says only that something changed (a
registration, a profile update, a consent granted, a resumption), the handler reads the person's
matching facts with matching's own credential (``GetMatchingProfile``, ``RegistryProfiles``) and
replaces what it holds; a person the registry no longer knows (erased, unknown) is removed.

Out of order and redelivered events (ADR 0002): every row keeps the version of the aggregate that last
said so (the person's for their own facts and consents, the affiliation's, the check's), and an event
changes only what it is newer than. A read is the current state, so it replaces what is at its version
or older. The person's rows are locked (a transaction-scoped advisory lock on the person) before an
event is applied, so two lanes' reads of one person commit in the order they were made.

Only ids, codes, dates and states enter: no name, contact detail, full postcode, needs or equality data
(the registry's read carries none; the tables have no column for them).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any, Protocol

import sqlalchemy as sa
from plr.registry.v1 import matching_profiles_pb2 as pb
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection

from services.common.db import apply_scope
from services.common.events import CloudEvent
from services.common.inbox import EventHandler
from services.common.tenancy import TenantScope
from services.matching.adapters.tables import candidate_checks, candidate_trusts, candidates

log = logging.getLogger(__name__)

CANDIDATE_EVENTS = ("registry.leader.*", "registry.consent.*", "registry.check.*", "registry.trust.offboarded")
# lived experience is held only while the person consents to this
LIVED_EXPERIENCE_MATCHING = "lived_experience_matching"


class ProfileSource(Protocol):
    """The registry's ``GetMatchingProfile``: the person's matching facts, or None if it does not know
    them (erased or unknown)."""

    def get(self, leader_id: str) -> pb.MatchingProfile | None: ...


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _lock_person(connection: Connection, leader_id: str) -> int | None:
    """Hold the person until the transaction ends; their stored version, or None if not held yet."""
    key = uuid.UUID(leader_id).int & 0x7FFF_FFFF_FFFF_FFFF  # a bigint advisory key of the person
    connection.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))
    return connection.execute(
        sa.select(candidates.c.version).where(candidates.c.leader_id == leader_id)
    ).scalar_one_or_none()


def _forget(connection: Connection, leader_id: str) -> None:
    for table in (candidate_checks, candidate_trusts, candidates):
        connection.execute(sa.delete(table).where(table.c.leader_id == leader_id))


# --- what the registry answers replaces what is held --------------------------------------------


def _person_row(found: pb.MatchingProfile) -> dict[str, Any]:
    return {
        "leader_id": found.leader_id,
        "version": found.version,
        "status": found.status,
        "paused_until": _date(found.paused_until),
        "skills": list(found.skills),
        "interests": list(found.interests),
        "lived_experience": list(found.lived_experience) if found.lived_experience_consent else None,
        "hours_per_month": found.hours_per_month,
        "days": list(found.days),
        "modes": list(found.modes),
        "district": found.postcode_district or None,
        "contact_trusts": list(found.contact_trusts),
        "shared_networks": list(found.shared_networks),
    }


def _upsert(connection: Connection, table: sa.Table, keys: list[str], rows: list[dict[str, Any]]) -> None:
    """Write each row unless what is held is newer (its version)."""
    if not rows:
        return
    statement = insert(table).values(rows)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c[k] for k in keys],
            set_={c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys},
            where=table.c.version <= statement.excluded.version,
        )
    )


def replace_from_profile(connection: Connection, found: pb.MatchingProfile) -> None:
    """The registry's current state of the person replaces what is held at its versions or older."""
    leader_id = found.leader_id
    _upsert(connection, candidates, ["leader_id"], [_person_row(found)])
    trusts = [
        {
            "leader_id": leader_id,
            "trust_ods": a.ods,
            "affiliation_id": a.affiliation_id,
            "status": a.status,
            "paused": a.paused,
            "paused_until": _date(a.paused_until),
            "version": a.version,
        }
        for a in found.affiliations
    ]
    _upsert(connection, candidate_trusts, ["leader_id", "trust_ods"], trusts)
    connection.execute(
        sa.delete(candidate_trusts).where(
            candidate_trusts.c.leader_id == leader_id,
            candidate_trusts.c.trust_ods.not_in([a.ods for a in found.affiliations]),
        )
    )
    checks = [
        {
            "check_id": c.check_id,
            "holder_ods": holder,
            "leader_id": leader_id,
            "check_type": c.check_type,
            "expires_on": _date(c.expires_on),
            "version": c.version,
        }
        for c in found.checks
        for holder in dict.fromkeys((c.ods, *c.accepted_by))
    ]
    _upsert(connection, candidate_checks, ["check_id", "holder_ods"], checks)
    held = sa.tuple_(candidate_checks.c.check_id, candidate_checks.c.holder_ods)
    kept = [sa.tuple_(sa.literal(r["check_id"]), sa.literal(r["holder_ods"])) for r in checks]
    stale = sa.delete(candidate_checks).where(candidate_checks.c.leader_id == leader_id)
    connection.execute(stale.where(held.not_in(kept)) if kept else stale)


def refresh(connection: Connection, profiles: ProfileSource, leader_id: str) -> None:
    found = profiles.get(leader_id)
    if found is None:
        _forget(connection, leader_id)  # erased, or never known: nothing of them stays
    else:
        replace_from_profile(connection, found)


# --- what an event says itself ------------------------------------------------------------------


def _person_update(connection: Connection, event: CloudEvent, **values: Any) -> None:
    """Change the person's own facts if the event is newer than what is held (a person not held yet is
    left to the read that will bring them in: it is newer than this event)."""
    connection.execute(
        sa.update(candidates)
        .where(candidates.c.leader_id == event.data["leader_id"], candidates.c.version < event.aggregate_version)
        .values(version=event.aggregate_version, **values)
    )


def _affiliation(connection: Connection, event: CloudEvent, status: str, paused: bool = False) -> None:
    row = {
        "leader_id": event.data["leader_id"],
        "trust_ods": event.data["ods"],
        "affiliation_id": event.data["affiliation_id"],
        "status": status,
        "paused": paused,
        "paused_until": _date(event.data.get("until")) if paused else None,
        "version": event.aggregate_version,
    }
    statement = insert(candidate_trusts).values(row)
    keys = ("leader_id", "trust_ods")
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[candidate_trusts.c[k] for k in keys],
            set_={k: statement.excluded[k] for k in row if k not in keys},
            where=candidate_trusts.c.version < statement.excluded.version,
        )
    )


def _consent_withdrawn(connection: Connection, event: CloudEvent) -> None:
    purpose, target = event.data["purpose"], event.data["target"]
    if purpose == LIVED_EXPERIENCE_MATCHING:
        _person_update(connection, event, lived_experience=None)
    elif purpose == "contact_by_trust":
        _person_update(connection, event, contact_trusts=sa.func.array_remove(candidates.c.contact_trusts, target))
    elif purpose == "share_profile_with_network":
        _person_update(connection, event, shared_networks=sa.func.array_remove(candidates.c.shared_networks, target))
    else:  # sharing the record with a trust: its acceptances stay that trust's own record
        _person_update(connection, event)


def _check(connection: Connection, event: CloudEvent) -> None:
    """A check counts for the trust that verified it and each that accepted it, until it expires."""
    data = event.data
    holders = [data["ods"]]
    if "verifying_ods" in data:  # accepted (or an accepted one expiring): the verifier holds it too
        holders.append(data["verifying_ods"])
    rows = [
        {
            "check_id": data["check_id"],
            "holder_ods": holder,
            "leader_id": data["leader_id"],
            "check_type": data["check_type"],
            "expires_on": _date(data.get("expires_on")),
            "version": event.aggregate_version,
        }
        for holder in dict.fromkeys(holders)
    ]
    _upsert(connection, candidate_checks, ["check_id", "holder_ods"], rows)
    connection.execute(  # the check's expiry is the check's, whoever holds it
        sa.update(candidate_checks)
        .where(candidate_checks.c.check_id == data["check_id"], candidate_checks.c.version < event.aggregate_version)
        .values(expires_on=_date(data.get("expires_on")), version=event.aggregate_version)
    )


Apply = Callable[[Connection, CloudEvent, ProfileSource, int | None], None]


def _refresh_if_newer(connection: Connection, event: CloudEvent, profiles: ProfileSource, held: int | None) -> None:
    """For a fact the event does not carry: read the person, unless what is held is already as new."""
    if held is None or held < event.aggregate_version:
        refresh(connection, profiles, event.data["leader_id"])


def _then_refresh_if_unknown(direct: Callable[[Connection, CloudEvent], None]) -> Apply:
    """Apply the event's own facts; read the person too if they are not held yet (a relationship or
    check of someone new), but never for a withdrawal, pause or end (``_direct_only``)."""

    def apply(connection: Connection, event: CloudEvent, profiles: ProfileSource, held: int | None) -> None:
        direct(connection, event)
        if held is None:
            refresh(connection, profiles, event.data["leader_id"])

    return apply


def _direct_only(direct: Callable[[Connection, CloudEvent], None]) -> Apply:
    def apply(connection: Connection, event: CloudEvent, profiles: ProfileSource, held: int | None) -> None:
        direct(connection, event)

    return apply


def _if_held(direct: Callable[[Connection, CloudEvent], None]) -> Apply:
    """Apply the event's own facts to a person held, never to one who is not: the relationships an
    erasure ends (and a check's expiry) arrive after leader.erased, and must not put back a row of
    someone erased. A person not held yet is left to the read that brings them in (newer than this)."""

    def apply(connection: Connection, event: CloudEvent, profiles: ProfileSource, held: int | None) -> None:
        if held is not None:
            direct(connection, event)

    return apply


def _erased(connection: Connection, event: CloudEvent) -> None:
    _forget(connection, event.data["leader_id"])


APPLY: dict[str, Apply] = {
    "plr.registry.leader.registered.v1": _refresh_if_newer,
    "plr.registry.leader.updated.v1": _refresh_if_newer,
    "plr.registry.leader.changed_on_behalf.v1": _refresh_if_newer,
    "plr.registry.leader.resumed.v1": _refresh_if_newer,
    "plr.registry.consent.granted.v1": _refresh_if_newer,
    "plr.registry.leader.paused.v1": _direct_only(
        lambda c, e: _person_update(c, e, status="paused", paused_until=_date(e.data.get("until")))
    ),
    "plr.registry.leader.withdrawn.v1": _direct_only(lambda c, e: _person_update(c, e, status="withdrawn")),
    "plr.registry.leader.erased.v1": _direct_only(_erased),
    "plr.registry.consent.withdrawn.v1": _direct_only(_consent_withdrawn),
    "plr.registry.leader.affiliated.v1": _then_refresh_if_unknown(lambda c, e: _affiliation(c, e, "pending")),
    "plr.registry.leader.affiliation_confirmed.v1": _then_refresh_if_unknown(lambda c, e: _affiliation(c, e, "active")),
    "plr.registry.leader.affiliation_ended.v1": _if_held(lambda c, e: _affiliation(c, e, "ended")),
    # the registry pauses only an active relationship, and an end clears its pause: a pause or a
    # resumption says the relationship is active at its version, so it applies even before the older
    # confirmation arrives (which then changes nothing), as the relationship's whole state
    "plr.registry.leader.affiliation_paused.v1": _if_held(lambda c, e: _affiliation(c, e, "active", paused=True)),
    "plr.registry.leader.affiliation_resumed.v1": _if_held(lambda c, e: _affiliation(c, e, "active")),
    "plr.registry.check.verified.v1": _then_refresh_if_unknown(_check),
    "plr.registry.check.accepted.v1": _then_refresh_if_unknown(_check),
    "plr.registry.check.expiring.v1": _if_held(_check),
    "plr.registry.check.expired.v1": _if_held(_check),
}


def forget_trust(connection: Connection, event: CloudEvent) -> None:
    """A trust left plr: nothing of its relationships, checks or contact consents stays (the registry
    erased them); the people themselves stay for the trusts that still hold them."""
    ods = event.data["ods"]
    apply_scope(connection, TenantScope.platform_wide())
    connection.execute(sa.delete(candidate_trusts).where(candidate_trusts.c.trust_ods == ods))
    connection.execute(sa.delete(candidate_checks).where(candidate_checks.c.holder_ods == ods))
    connection.execute(
        sa.update(candidates)
        .where(candidates.c.contact_trusts.contains([ods]))
        .values(contact_trusts=sa.func.array_remove(candidates.c.contact_trusts, ods))
    )
    apply_scope(connection, TenantScope.trust(ods) if event.trust_ods else TenantScope.platform_wide())


def candidate_handlers(profiles: ProfileSource) -> dict[str, EventHandler]:
    """{event type: handler}, each applying its event to the projection in the platform's scope (a
    person is no one trust's), then giving the transaction back in the event's own scope (the inbox
    applies a batch's next events in it)."""

    def handler(apply: Apply) -> EventHandler:
        def handle(connection: Connection, event: CloudEvent) -> None:
            apply_scope(connection, TenantScope.platform_wide())
            held = _lock_person(connection, event.data["leader_id"])
            apply(connection, event, profiles, held)
            own = TenantScope.trust(event.trust_ods) if event.trust_ods else TenantScope.platform_wide()
            apply_scope(connection, own)

        return handle

    handlers = {event_type: handler(apply) for event_type, apply in APPLY.items()}
    return {**handlers, "plr.registry.trust.offboarded.v1": forget_trust}
