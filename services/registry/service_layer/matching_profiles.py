"""The one read matching's worker makes of a person (``GetMatchingProfile``): what its projection of
the people it ranks needs, and nothing else (proto/plr/registry/v1/matching_profiles.proto).

No name, email, phone, full postcode, needs or equality answer ever leaves through here; lived
experience only while the person consents to its use in matching. Only the credential the api names
as matching's may call it (the manifest's allow-list lets no other internal caller; this refuses every
other principal), and each read is audited like any other.
"""

from __future__ import annotations

from services.common.errors import NotFound, PermissionDenied
from services.common.principals import Principal
from services.registry.domain.matching_profile import MatchingProfile
from services.registry.service_layer.unit_of_work import UnitOfWork

METHOD = "GetMatchingProfile"


def require_matching(principal: Principal, matching_caller: str) -> None:
    """PERMISSION_DENIED unless the principal is the internal caller ``matching_caller`` calling as itself
    (checked before the request is read: no other caller learns anything, not even of a bad id)."""
    if principal.kind != "service" or principal.name != matching_caller:
        raise PermissionDenied(f"{METHOD} is for matching's own credential only")


def get_matching_profile(
    leader_id: str, uow: UnitOfWork, principal: Principal, matching_caller: str
) -> MatchingProfile:
    """The person's matching facts for the internal caller named ``matching_caller``; PERMISSION_DENIED
    for anyone else, NOT_FOUND for an unknown or erased person (the same answer for both)."""
    require_matching(principal, matching_caller)
    with uow:
        leader = uow.leaders.get(leader_id)
        if leader is None or leader.erased_at is not None:
            raise NotFound(f"no leader {leader_id}")
        affiliations = uow.affiliations.of_leader(leader_id)
        checks = uow.checks.of_leader(leader_id, None)
        acceptances = uow.checks.acceptances_of_leader(leader_id)
        found = MatchingProfile.of(leader, affiliations, checks, acceptances)
        uow.audit.record(principal.kind, principal.audit_name, None, METHOD, {leader_id: found.fields_shown})
        uow.commit()
    return found
