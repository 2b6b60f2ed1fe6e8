"""Erasing a leader: by the leader or the administrator (EraseLeader), and as a step of offboarding a
trust (``erase_person``, inside the offboarding's unit of work)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from services.common.errors import NotFound, PermissionDenied
from services.common.principals import Principal
from services.registry.domain import commands
from services.registry.domain.consent import ConsentRecord
from services.registry.domain.leader import Leader
from services.registry.domain.retention import ERASURE_RETENTION, RetentionCategory
from services.registry.service_layer.leaders import Clock, utc_now
from services.registry.service_layer.unit_of_work import UnitOfWork

ERASED_REASON = "leader erased"


def erase_leader(
    cmd: commands.EraseLeader, uow: UnitOfWork, principal: Principal, clock: Clock = utc_now
) -> tuple[RetentionCategory, ...]:
    """Erases a leader, by the leader or the administrator, in the platform scope (every trace of a
    person, whichever trust it concerns). The profile is blanked and the address freed (the person
    may register again, as someone new); equality answers are deleted; affiliations end; consent
    records are kept minimal (the evidence goes); events already published about the leader leave
    the outbox; leader.erased tells the other services to do the same. What the law requires to be
    kept is named in the answer. Erasing again changes nothing (published events that still
    mention the leader, such as leader.erased itself once relayed, are deleted then)."""
    leader_id = cmd.leader_id
    if principal.kind == "leader":
        if principal.leader_id != leader_id:
            raise NotFound(f"no leader {leader_id}")
    elif principal.kind != "administrator":
        raise PermissionDenied("a leader is erased by the leader or by the administrator")
    now = clock()
    with uow:
        leader = uow.leaders.get(leader_id, lock=True)
        if leader is None:
            raise NotFound(f"no leader {leader_id}")
        erase_person(uow, leader, now)
        uow.commit()
    return ERASURE_RETENTION


def erase_person(uow: UnitOfWork, leader: Leader, now: datetime) -> None:
    """The steps of erasure, inside an open unit of work (EraseLeader, and offboarding a trust)."""
    if leader.erased_at is None:
        staff_evidence = _staff_evidence(leader.consents)
        expected = leader.version
        leader.erase(now)
        uow.leaders.save(leader, expected)
        _end_affiliations(uow, leader.leader_id, now)
        uow.equality.erase(leader.leader_id)
        uow.leaders.remove_consent_evidence(leader.leader_id)
        uow.leaders.forget_changes_on_behalf(leader.leader_id)  # their evidence is free text about the person
        uow.email_changes.discard(leader.leader_id)  # an address waiting for confirmation
        uow.idempotency.forget_consent_answers(leader.leader_id, staff_evidence)
        uow.development.erase_leader(leader.leader_id)  # support and development, check-in notes included
        uow.checks.erase_leader(leader.leader_id)  # evidence and DBS content of checks
        uow.imports.forget_leader(leader.leader_id)  # a re-import of their row registers them anew
        uow.history.blank_personal(leader.leader_id)  # who, when and which fields stay
        uow.known.erase(leader.leader_id)  # every trust's record of how it knew them
        # and the erasure's own entry keeps no reason or evidence either (it could name the person)
        uow.actor = replace(uow.actor, reason="", evidence="")
        uow.invitations.erase_leader(leader.leader_id)  # the invitations that reached or named them
    uow.leaders.delete_published_events(leader.leader_id)


def _end_affiliations(uow: UnitOfWork, leader_id: str, now: datetime) -> None:
    for listed in uow.affiliations.of_leader(leader_id):
        if listed.status == "ended":
            continue
        affiliation = uow.affiliations.get(listed.affiliation_id)  # tracked: its event goes out on commit
        assert affiliation is not None
        expected = affiliation.version
        affiliation.end(ERASED_REASON, now)
        uow.affiliations.save(affiliation, expected)


def _staff_evidence(records: Iterable[ConsentRecord]) -> list[tuple[str, str]]:
    """(trust, evidence) of the consents its staff recorded on the leader's behalf."""
    return [(r.recorder_trust or "", r.evidence) for r in records if r.recorded_by_kind == "staff"]
