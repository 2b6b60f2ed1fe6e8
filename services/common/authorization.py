"""Whether a caller may call a method at all, decided in one place for every api, before the method
runs: each method declares the scope it requires (the ``(plr.options.v1.required_scope)`` option of
its descriptor, proto/plr/options/v1/access.proto), and an internal caller's credential carries an
allow-list of methods (its manifest's ``ApiCaller``). What the caller may then do to which record is
the use case's decision.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from plr.options.v1 import access_pb2

from services.common.errors import PermissionDenied
from services.common.principals import ADMINISTRATION, METHOD_SCOPES, Principal


def full_method_name(method: MethodDescriptor) -> str:
    """``plr.registry.v1.CheckService/RecordCheck``: how allow-lists name a method."""
    return f"{method.containing_service.full_name}/{method.name}"


def required_scope(method: MethodDescriptor) -> str:
    """The method's declared scope; a method without one (or with an unknown one) cannot be served."""
    scope = str(method.GetOptions().Extensions[access_pb2.required_scope])
    if scope not in METHOD_SCOPES:
        raise ValueError(
            f"{full_method_name(method)}: option (plr.options.v1.required_scope) must be one of "
            f"{', '.join(METHOD_SCOPES)} (got {scope!r})"
        )
    return scope


def check_allow_lists(allow_lists: Mapping[str, Iterable[str]], services: Iterable[ServiceDescriptor]) -> None:
    """At start: every method each caller's allow-list names exists, whether or not that caller's token is
    set here (a typo would silently refuse the caller)."""
    served = {full_method_name(m) for s in services for m in s.methods}
    for name, methods in allow_lists.items():
        unknown = sorted(set(methods) - served)
        if unknown:
            raise ValueError(f"the allow-list of caller {name!r} names unknown methods: {', '.join(unknown)}")


def authorize(principal: Principal, method: str, scope: str) -> None:
    """PERMISSION_DENIED unless the principal may call ``method`` (its full name), which requires
    ``scope``: an internal credential only the methods on its allow-list; a trust-side principal (a key,
    or a member of staff) only with the scope; the administrator anything; a leader (only ever through
    an internal credential) whatever that credential's allow-list holds."""
    if principal.via is not None and method not in principal.via.methods:
        raise PermissionDenied(f"the {principal.via.name} credential may not call {method}")
    if principal.kind == "trust" and not principal.has_scope(scope):
        if scope == ADMINISTRATION:
            raise PermissionDenied(f"{method} is for the administrator only")
        lacking = "the caller's staff roles do not give it" if principal.staff_id else "this key was not issued it"
        raise PermissionDenied(f"{method} requires the scope {scope!r}: {lacking}")
