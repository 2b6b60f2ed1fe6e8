"""Reading the change history (ListChanges). Writing it is the unit of work's (``unit_of_work.py``):
every commit records what it changed, with the actor of the call."""

from __future__ import annotations

from services.common.errors import NotFound
from services.common.principals import Principal
from services.registry.domain import commands
from services.registry.domain.history import ChangeEntry, as_seen_by_leader
from services.registry.service_layer.unit_of_work import UnitOfWork


def list_changes(cmd: commands.ListChanges, uow: UnitOfWork, principal: Principal) -> list[ChangeEntry]:
    """The leader: every entry about them (a trust's staff unnamed). A trust: only its own writes
    (row security keeps the rest from its scope too), whoever else holds the person. The
    administrator: every entry."""
    page = (cmd.after_id, cmd.updated_since, cmd.limit)
    with uow:
        if principal.kind == "leader":
            if cmd.leader_id not in (None, principal.leader_id):
                raise NotFound(f"no leader {cmd.leader_id}")
            return [as_seen_by_leader(e) for e in uow.history.list(principal.leader_id, None, *page)]
        if principal.kind == "trust":
            return uow.history.list(cmd.leader_id, principal.require_trust(), *page)
        principal.require_administrator()
        return uow.history.list(cmd.leader_id, None, *page)
