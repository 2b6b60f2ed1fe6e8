"""What every registry servicer shares: its units of work know who makes their changes.

The actor of a call (its principal, the member of staff it names, its correlation id and method,
and the ``reason`` and ``evidence`` its request gives, if its message has such fields) is set on
each unit of work a method opens, so the change history of every write is recorded by the unit of
work itself (``service_layer/unit_of_work.py``), never by a use case.
"""

from __future__ import annotations

from typing import ClassVar

from services.common.grpc_edge import Servicer
from services.common.grpc_server import Call
from services.common.tenancy import TenantScope
from services.registry.domain.history import Actor
from services.registry.service_layer.unit_of_work import UnitOfWork


def actor_of(call: Call, withheld: frozenset[str] = frozenset()) -> Actor:
    """``withheld``: the methods whose ``evidence`` field is data of what they write, not evidence for
    the write (it is kept, and shown, as that data's own rules say)."""
    principal = call.principal
    request = call.request
    named = ("reason",) if call.method in withheld else ("reason", "evidence")
    given = {
        name: getattr(request, name)
        for name in named
        if request is not None and name in request.DESCRIPTOR.fields_by_name
    }
    return Actor(
        principal.kind,
        principal.name,
        principal.trust_ods if principal.kind == "trust" else None,
        principal.staff_id or principal.claimed_staff,  # a staff id the portal asserted, or a key's claim
        call.correlation_id,
        call.method,
        str(given.get("reason", "")),
        str(given.get("evidence", "")),
    )


class RegistryServicer(Servicer[UnitOfWork]):
    # methods whose request's `evidence` is not kept in the change history (see actor_of)
    EVIDENCE_NOT_RECORDED: ClassVar[frozenset[str]] = frozenset()

    def uow(self, call: Call, scope: TenantScope | None = None) -> UnitOfWork:
        uow = super().uow(call, scope)
        uow.actor = actor_of(call, self.EVIDENCE_NOT_RECORDED)
        return uow
