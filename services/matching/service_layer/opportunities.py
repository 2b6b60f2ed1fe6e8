"""Use cases about opportunities: drafting, changing and moving a role through its lifecycle, and
reading the roles a trust may see (its own, and others' published to a network it shares).

Every one is for a trust: one of its keys, or a member of its staff acting through the portal. The
trust is the caller's, never a field of the request; each change records who made it (``Actor``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from services.common.errors import InvalidInput, NotFound
from services.common.idempotency import Idempotent, once
from services.common.principals import Principal
from services.matching.domain import commands
from services.matching.domain.eligibility import Facts, Outcome, RuleResult, evaluate
from services.matching.domain.opportunity import (
    Actor,
    Details,
    Opportunity,
    check_reason,
    terms_named,
    validated_details,
)
from services.matching.service_layer.unit_of_work import UnitOfWork

Clock = Callable[[], datetime]
IdFactory = Callable[[], str]
CREATE = "CreateOpportunity"


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


def actor_of(principal: Principal) -> Actor:
    """Who the caller is, as a role records it: the staff id the portal acted for, else the staff name a
    key claimed (if any)."""
    if principal.staff_id is not None:
        return Actor(staff_id=principal.staff_id)
    return Actor(claimed_staff=principal.claimed_staff)


@dataclass(frozen=True)
class Created:
    opportunity: Opportunity
    created: bool  # False: an earlier call with the same idempotency key made it


def under(field: str, error: InvalidInput) -> InvalidInput:
    """The domain's problems named as the request names them: ``title`` of ``details`` is ``details.title``."""
    return InvalidInput({f"{field}.{name}": problem for name, problem in error.fields.items()})


def _checked(uow: UnitOfWork, trust: str, details: Details, before: Details | None = None) -> Details:
    """The details as kept. A term may be one the trust may use now, or (a change) one the role already
    named: a term retired since stays on the role, but nothing new may name it."""
    usable = uow.taxonomy.usable_by(trust) | (terms_named(before) if before is not None else frozenset())
    try:
        return validated_details(details, uow.settings.get(trust), uow.networks.networks_of(trust), usable)
    except InvalidInput as error:
        raise under("details", error) from None


def _visible(uow: UnitOfWork, opportunity_id: str, lock: bool = False) -> Opportunity:
    found = uow.opportunities.get(opportunity_id, lock=lock)
    if found is None:
        raise NotFound(f"no opportunity {opportunity_id}")
    return found


def own_opportunity(uow: UnitOfWork, trust: str, opportunity_id: str) -> Opportunity:
    """The caller's own opportunity, locked; another trust's (even one it may see) is NOT_FOUND."""
    found = _visible(uow, opportunity_id, lock=True)
    if found.trust_ods != trust:
        raise NotFound(f"no opportunity {opportunity_id}")
    return found


def create_opportunity(
    cmd: commands.CreateOpportunity,
    uow: UnitOfWork,
    principal: Principal,
    clock: Clock = utc_now,
    ids: IdFactory = new_id,
) -> Created:
    trust = principal.require_trust()
    # a trust's keys are its own: every key of the trust (and its staff through the portal) shares them
    key = Idempotent(trust, CREATE, cmd.idempotency_key, cmd.request_digest, trust, None, str.encode, bytes.decode)
    made: list[Opportunity] = []

    def draft() -> str:
        made.append(Opportunity.draft(ids(), trust, _checked(uow, trust, cmd.details), clock(), actor_of(principal)))
        uow.opportunities.add(made[0])
        return made[0].opportunity_id

    with uow:
        opportunity_id = once(uow.idempotency, key, draft)
        if not made:  # an earlier call with the key made it: answered as it is now
            return Created(_visible(uow, opportunity_id), created=False)
        uow.commit()
    return Created(made[0], created=True)


def update_opportunity(
    cmd: commands.UpdateOpportunity, uow: UnitOfWork, principal: Principal, clock: Clock = utc_now
) -> Opportunity:
    trust = principal.require_trust()
    with uow:
        # a bad field is named before the id is looked up (as the registry does): everything but whether
        # each term is usable, which depends on the role (a retired term it named may stay)
        _checked(uow, trust, cmd.details, cmd.details)
        opportunity = own_opportunity(uow, trust, cmd.opportunity_id)
        before = opportunity.version
        details = _checked(uow, trust, cmd.details, opportunity.details)
        try:
            opportunity.update(details, cmd.expected_version, clock(), actor_of(principal))
        except InvalidInput as error:
            raise under("details", error) from None
        if opportunity.version != before:
            uow.opportunities.save(opportunity, before)
            uow.commit()
    return opportunity


def _move(
    uow: UnitOfWork, principal: Principal, opportunity_id: str, step: Callable[[Opportunity], None]
) -> Opportunity:
    """One lifecycle step on the caller's own opportunity, saved with its events."""
    trust = principal.require_trust()
    with uow:
        opportunity = own_opportunity(uow, trust, opportunity_id)
        before = opportunity.version
        step(opportunity)
        uow.opportunities.save(opportunity, before)
        uow.commit()
    return opportunity


def publish_opportunity(
    cmd: commands.PublishOpportunity, uow: UnitOfWork, principal: Principal, clock: Clock = utc_now
) -> Opportunity:
    by = actor_of(principal)
    return _move(uow, principal, cmd.opportunity_id, lambda o: _publish(uow, o, cmd.expected_version, clock(), by))


def _publish(uow: UnitOfWork, opportunity: Opportunity, expected_version: int, now: datetime, by: Actor) -> None:
    # the trust may have left the network since the draft named it
    network = opportunity.details.network_id
    if network is not None and network not in uow.networks.networks_of(opportunity.trust_ods):
        raise InvalidInput({"network_id": "not a network this trust is a member of: update the role"})
    opportunity.publish(expected_version, now, by)


def close_opportunity(
    cmd: commands.CloseOpportunity, uow: UnitOfWork, principal: Principal, clock: Clock = utc_now
) -> Opportunity:
    return _move(
        uow, principal, cmd.opportunity_id, lambda o: o.close(cmd.expected_version, clock(), actor_of(principal))
    )


def fill_opportunity(
    cmd: commands.FillOpportunity, uow: UnitOfWork, principal: Principal, clock: Clock = utc_now
) -> Opportunity:
    return _move(
        uow, principal, cmd.opportunity_id, lambda o: o.fill(cmd.expected_version, clock(), actor_of(principal))
    )


def withdraw_opportunity(
    cmd: commands.WithdrawOpportunity, uow: UnitOfWork, principal: Principal, clock: Clock = utc_now
) -> Opportunity:
    check_reason(cmd.reason)  # a bad field is named before the id is looked up (as the registry does)
    by = actor_of(principal)
    return _move(
        uow, principal, cmd.opportunity_id, lambda o: o.withdraw(cmd.reason, cmd.expected_version, clock(), by)
    )


def get_opportunity(cmd: commands.GetOpportunity, uow: UnitOfWork, principal: Principal) -> Opportunity:
    trust = principal.require_trust()
    with uow:
        return as_seen_by(trust, _visible(uow, cmd.opportunity_id))


def as_seen_by(trust: str, opportunity: Opportunity) -> Opportunity:
    """Another trust sees the role as published, without the owner's own notes (a withdrawal reason) or
    who among the owner's staff made it."""
    if opportunity.trust_ods == trust:
        return opportunity
    return replace(opportunity, withdrawn_reason="", created_by=None, updated_by=None, pending_events=[])


def list_opportunities(cmd: commands.ListOpportunities, uow: UnitOfWork, principal: Principal) -> list[Opportunity]:
    trust = principal.require_trust()
    owner = trust if cmd.owner == "own" else None
    not_owner = trust if cmd.owner == "network" else None
    with uow:
        found = uow.opportunities.list(cmd.after_id, cmd.limit, cmd.updated_since, cmd.status, owner, not_owner)
    return [as_seen_by(trust, o) for o in found]


def check_eligibility(
    cmd: commands.CheckEligibility, uow: UnitOfWork, principal: Principal
) -> tuple[Outcome, list[RuleResult]]:
    """The role's rules for one applicant, on their declarations: matching holds no leader facts yet,
    so every registry or recruitment fact is unknown (needs_screening)."""
    trust = principal.require_trust()
    with uow:
        opportunity = _visible(uow, cmd.opportunity_id)
    return evaluate(as_seen_by(trust, opportunity).details.eligibility_rules, Facts(declarations=cmd.declarations))
