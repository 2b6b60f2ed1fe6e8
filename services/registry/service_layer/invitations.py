"""Use cases about invitations: a trust invites a person it cannot contact yet; the person answers.

A trust names the person by a network candidate's leader id or by the email address it holds. The
invitation is made, and answered to the trust, identically whether or not that names someone the
trust may invite, and whether or not another trust holds them: the person it reaches (an active
person who is the trust's network candidate, or whose address it is) is told by email (the worker's
notifier), and accepts or declines through the portal. Accepting makes the person's affiliation
with the trust active; the trust learns the answer, and who the person is only if they accepted.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from services.common.errors import ConcurrentChange, InvalidInput, NotFound, PermissionDenied, PreconditionFailed
from services.common.principals import Principal
from services.registry.domain import commands
from services.registry.domain.affiliation import Affiliation
from services.registry.domain.invitation import Invitation, target_key
from services.registry.domain.profile import EMAIL, normalise_email
from services.registry.service_layer.leaders import Clock, IdFactory, new_id, utc_now
from services.registry.service_layer.networks import candidate_networks
from services.registry.service_layer.unit_of_work import UnitOfWork


def invite_leader(
    cmd: commands.InviteLeader, uow: UnitOfWork, principal: Principal, clock: Clock = utc_now, ids: IdFactory = new_id
) -> Invitation:
    """Runs in the platform scope (the trust cannot see whom it invites). One pending invitation per
    trust and target: asking again answers the pending one, whoever it names (and sends it to the
    person it names if it reached no one before)."""
    trust = principal.require_trust()
    target = _target(cmd)
    invite = lambda: _invite(uow, trust, target, cmd, clock(), ids)  # noqa: E731
    try:
        return invite()
    except ConcurrentChange:  # the same invitation made by another call meanwhile: it is the answer
        return invite()


def _target(cmd: commands.InviteLeader) -> str:
    if bool(cmd.leader_id) == bool(cmd.email):
        both = "give one of leader_id and email, not both" if cmd.leader_id else "or email is required"
        raise InvalidInput({"leader_id": both})
    if cmd.email and (len(cmd.email) > 254 or not EMAIL.fullmatch(cmd.email.strip())):
        raise InvalidInput({"email": "must be an email address"})
    return target_key(leader_id=cmd.leader_id, email=cmd.email)


def _invite(
    uow: UnitOfWork, trust: str, target: str, cmd: commands.InviteLeader, now: datetime, ids: IdFactory
) -> Invitation:
    with uow:
        reached = _reached(uow, trust, cmd)
        pending = uow.invitations.pending(trust, target)
        if pending is not None:
            _reach(uow, pending, reached)
            return pending
        invitation = Invitation.send(ids(), trust, target, reached, now)
        uow.invitations.add(invitation)
        uow.commit()
    return invitation


def _reach(uow: UnitOfWork, pending: Invitation, reached: str | None) -> None:
    """Asked again, a pending invitation that reached no one reaches the person it names now, if any."""
    expected = pending.version
    if reached is not None:
        pending.reach(reached)
    if pending.version != expected:
        uow.invitations.save(pending, expected)
        uow.commit()


def _reached(uow: UnitOfWork, trust: str, cmd: commands.InviteLeader) -> str | None:
    """The person the invitation reaches, or None: never told to the trust."""
    if cmd.leader_id:
        found = uow.network_candidates.is_candidate(cmd.leader_id, candidate_networks(uow, trust))
        return cmd.leader_id if found else None
    leader_id = uow.leaders.find_by_email_key(normalise_email(cmd.email))
    leader = uow.leaders.get(leader_id) if leader_id else None
    return leader_id if leader is not None and leader.status == "active" and leader.erased_at is None else None


def list_invitations(cmd: commands.ListInvitations, uow: UnitOfWork, principal: Principal) -> list[Invitation]:
    """A trust's own invitations, or (the portal, for the signed-in leader) those that reached the leader."""
    if principal.kind not in ("trust", "leader"):
        raise PermissionDenied("a trust's key or a leader lists invitations")
    with uow:
        return uow.invitations.page(cmd.after, cmd.limit)  # the scope (RLS) limits this to the caller's


def accept_invitation(
    cmd: commands.AcceptInvitation,
    uow: UnitOfWork,
    principal: Principal,
    clock: Clock = utc_now,
    ids: IdFactory = new_id,
) -> Invitation:
    """The person joins the trust's pool: their affiliation with it becomes active (made, reopened or
    confirmed), in the transaction that records the answer."""
    leader_id = principal.require_leader()
    now = clock()
    with uow:
        invitation = _own_invitation(uow, leader_id, cmd.invitation_id)
        leader = uow.leaders.get(leader_id)
        if leader is None or leader.status in ("withdrawn", "erased"):
            raise PreconditionFailed("a withdrawn leader joins no pool; return first")
        _answer(uow, invitation, lambda i: i.accept(now))
        _join(uow, invitation.trust_ods, leader_id, now, ids)
        uow.commit()
    return invitation


def decline_invitation(
    cmd: commands.DeclineInvitation, uow: UnitOfWork, principal: Principal, clock: Clock = utc_now
) -> Invitation:
    leader_id = principal.require_leader()
    with uow:
        invitation = _own_invitation(uow, leader_id, cmd.invitation_id)
        _answer(uow, invitation, lambda i: i.decline(clock()))
        uow.commit()
    return invitation


def _own_invitation(uow: UnitOfWork, leader_id: str, invitation_id: str) -> Invitation:
    invitation = uow.invitations.get(invitation_id, lock=True)
    if invitation is None or invitation.leader_id != leader_id:
        raise NotFound(f"no invitation {invitation_id}")
    return invitation


def _answer(uow: UnitOfWork, invitation: Invitation, answer: Callable[[Invitation], None]) -> None:
    expected = invitation.version
    answer(invitation)
    if invitation.version != expected:
        uow.invitations.save(invitation, expected)


def _join(uow: UnitOfWork, trust: str, leader_id: str, now: datetime, ids: IdFactory) -> None:
    affiliation = uow.affiliations.for_trust(trust, leader_id)
    if affiliation is None:
        affiliation = Affiliation.request(ids(), leader_id, trust, now)
        affiliation.confirm(now)
        uow.affiliations.add(affiliation)
        return
    expected = affiliation.version
    affiliation.reopen(now)
    affiliation.confirm(now)
    if affiliation.version != expected:
        uow.affiliations.save(affiliation, expected)
