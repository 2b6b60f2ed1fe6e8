"""The person confirms a change of their email address by opening the one-time link sent to the new
address (``domain/email_change.py``). Asking for one is part of ``leaders.update_leader``; the link is
mailed by the notifier (``notifications.py``)."""

from __future__ import annotations

from datetime import datetime

from services.common.principals import Principal
from services.registry.domain import commands
from services.registry.domain.email_change import AddressInUse, EmailChangeNotFound, checked_token
from services.registry.domain.leader import EmailTaken, Leader
from services.registry.domain.profile import LeaderProfile, normalise_email
from services.registry.service_layer.leaders import Clock, LeaderView, utc_now, view_for, visible_leader
from services.registry.service_layer.unit_of_work import UnitOfWork


def verify_email_change(
    cmd: commands.VerifyEmailChange, uow: UnitOfWork, principal: Principal, clock: Clock = utc_now
) -> LeaderView:
    """The signed-in person's change whose link this is becomes theirs, and every link waiting for them
    is used up. ``uow`` is platform-scoped: whether another person holds the address is read across
    everyone, and the answer (AddressInUse) names no one and goes only to whoever reads that address."""
    digest = checked_token(cmd.token)  # fields first, then who may (as every method)
    leader_id = principal.require_leader()
    now = clock()
    with uow:
        change = uow.email_changes.by_token(digest)
        if change is None or change.leader_id != leader_id or not change.open_on(now):
            raise EmailChangeNotFound()
        leader, _ = visible_leader(uow, principal, leader_id, lock=True)
        uow.email_changes.discard(leader_id)
        if uow.leaders.find_by_email_key(normalise_email(change.email)) not in (None, leader_id):
            uow.commit()  # the link is used up, whatever the outcome
            raise AddressInUse()
        _change_address(uow, leader, change.email, now)
        view = view_for(principal, leader, None)
        uow.commit()
    return view


def _change_address(uow: UnitOfWork, leader: Leader, address: str, now: datetime) -> None:
    expected = leader.version
    if leader.update(LeaderProfile(email=address), ("email",), expected, now):
        try:
            uow.leaders.save(leader, expected)
        except EmailTaken:  # taken by another person's confirmation a moment ago
            raise AddressInUse() from None
