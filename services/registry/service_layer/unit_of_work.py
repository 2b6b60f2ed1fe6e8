"""The registry's unit of work, as its use cases see it: the repositories and stores it opens."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from services.common.unit_of_work import AbstractUnitOfWork
from services.registry.domain.affiliation import Affiliation
from services.registry.domain.history import SYSTEM, Actor, Change, bounded, changes_of
from services.registry.domain.leader import Leader
from services.registry.service_layer.ports import (
    AffiliationRepository,
    AuditLog,
    ChangeHistory,
    CheckRepository,
    DevelopmentRepository,
    EmailChanges,
    EqualityStore,
    IdempotencyKeys,
    InvitationRepository,
    KnownDetailsStore,
    LeaderImportStore,
    LeaderRepository,
    NetworkCandidates,
    NetworkRepository,
    OffboardExports,
    StaffRepository,
    Taxonomy,
    TrustHoldings,
    TrustRepository,
)


class UnitOfWork(AbstractUnitOfWork):
    repositories = (
        "trusts",
        "leaders",
        "affiliations",
        "checks",
        "development",
        "networks",
        "invitations",
        "staff",
        "taxonomy",
    )
    trusts: TrustRepository
    leaders: LeaderRepository
    affiliations: AffiliationRepository
    checks: CheckRepository  # and the acceptances of checks
    development: DevelopmentRepository  # programmes, enrolments, support, plans
    staff: StaffRepository
    audit: AuditLog
    history: ChangeHistory
    known: KnownDetailsStore  # each trust's own record of how it knows a person
    email_changes: EmailChanges  # changes of the person's address waiting for the new address
    # who makes this unit of work's changes: set by the gRPC edge from the call (RegistryServicer)
    actor: Actor = SYSTEM
    _noted: list[Change] = []  # noqa: RUF012 (replaced, never changed in place)
    taxonomy: Taxonomy
    equality: EqualityStore
    idempotency: IdempotencyKeys
    imports: LeaderImportStore
    trust_holdings: TrustHoldings
    offboard_exports: OffboardExports
    networks: NetworkRepository
    network_candidates: NetworkCandidates
    invitations: InvitationRepository

    def __enter__(self) -> UnitOfWork:
        return self

    def audit_with_read(self, principal_kind: str, principal: str, trust_ods: str | None, method: str) -> None:
        """Before a single leader's audited read: who reads, for the audit row. A unit of work that can
        write that row in the read's own statement (the SQL one, for a trust) does, and its audit log
        then writes the same row only once; any other writes it when the use case records it."""

    def note_change(self, leader_id: str | None, *fields: str) -> None:
        """A write that records no event (equality answers, a check-in, a plan) names what it changed,
        for the change history of this commit."""
        self._noted = [*self._noted, Change(leader_id, fields)]

    def collect_new_events(self) -> Iterator[Any]:
        """Every commit collects its events here: the change history of the commit is written from them
        (and from what was noted) in the same transaction, with the actor of the unit of work, so no
        use case records its own history."""
        recorded = list(super().collect_new_events())
        changes, self._noted = changes_of(recorded, self._noted, self.actor.acting_leader), []
        if changes:
            self.history.record(bounded(self.actor), changes)
        yield from recorded

    def discard_new_events(self) -> None:
        super().discard_new_events()
        self._noted = []

    def leader_for_trust(self, leader_id: str, trust_ods: str) -> tuple[Leader | None, Affiliation | None]:
        """The leader (as the scope may see them) and the trust's affiliation with them, for a read."""
        return self.leaders.get(leader_id), self.affiliations.for_trust(trust_ods, leader_id)
