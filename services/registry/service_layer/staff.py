"""Use cases of a trust's staff directory: the administrator manages any trust's staff (naming it),
a trust admin (a member of staff with that role, through the portal) their own trust's; a trust's key
never does (its scopes cannot include ``staff``). Each change is an event through the outbox."""

from __future__ import annotations

from services.common.errors import InvalidInput, NotFound, PermissionDenied
from services.common.principals import STAFF, Principal
from services.registry.domain import commands
from services.registry.domain.staff import StaffMember
from services.registry.service_layer.leaders import Clock, IdFactory, new_id, utc_now
from services.registry.service_layer.unit_of_work import UnitOfWork


def _trust_managed(principal: Principal, named: str) -> str:
    """The trust whose staff the caller manages: the one the administrator names, or a trust admin's own."""
    if principal.kind == "administrator":
        if not named:
            raise InvalidInput({"trust_ods": "is required: the trust whose staff"})
        return named
    if principal.kind != "trust" or principal.staff_id is None or not principal.has_scope(STAFF):
        raise PermissionDenied("a trust's staff is managed by the administrator or the trust's own trust admin")
    assert principal.trust_ods is not None
    if named and named != principal.trust_ods:
        raise PermissionDenied("a trust admin manages their own trust's staff only")
    return principal.trust_ods


def add_staff(
    cmd: commands.AddStaff, uow: UnitOfWork, principal: Principal, clock: Clock = utc_now, ids: IdFactory = new_id
) -> StaffMember:
    trust = _trust_managed(principal, cmd.trust_ods)
    member = StaffMember.add(ids(), trust, cmd.name, cmd.roles, clock())  # validated before anything is read
    with uow:
        if uow.trusts.get(trust) is None:
            raise NotFound(f"no trust with ODS code {trust}")
        uow.staff.add(member)
        uow.commit()
    return member


def list_staff(cmd: commands.ListStaff, uow: UnitOfWork, principal: Principal) -> list[StaffMember]:
    trust = _trust_managed(principal, cmd.trust_ods)
    with uow:
        return uow.staff.of_trust(trust)


def remove_staff(cmd: commands.RemoveStaff, uow: UnitOfWork, principal: Principal) -> StaffMember:
    """The member leaves (a no-op for one who left). A trust admin cannot remove themselves: a trust
    would otherwise lose its last admin by a slip; the administrator can."""
    trust = _trust_managed(principal, cmd.trust_ods)
    if cmd.staff_id == principal.staff_id:
        raise PermissionDenied("a trust admin cannot remove themselves; another trust admin or the administrator can")
    with uow:
        member = uow.staff.get(cmd.staff_id, lock=True)
        if member is None or member.trust_ods != trust:
            raise NotFound(f"no member of staff {cmd.staff_id} at {trust}")
        expected = member.version
        member.leave()
        if member.version != expected:
            uow.staff.save(member, expected)
            uow.commit()
    return member
