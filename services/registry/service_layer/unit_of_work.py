"""The registry's unit of work, as its use cases see it: the repositories and stores it opens."""

from __future__ import annotations

from services.common.unit_of_work import AbstractUnitOfWork
from services.registry.domain.affiliation import Affiliation
from services.registry.domain.leader import Leader
from services.registry.service_layer.ports import (
    AffiliationRepository,
    AuditLog,
    CheckRepository,
    DevelopmentRepository,
    EqualityStore,
    IdempotencyKeys,
    InvitationRepository,
    LeaderImportStore,
    LeaderRepository,
    NetworkCandidates,
    NetworkRepository,
    Taxonomy,
    TrustHoldings,
    TrustRepository,
)


class UnitOfWork(AbstractUnitOfWork):
    repositories = ("trusts", "leaders", "affiliations", "checks", "development", "networks", "invitations")
    trusts: TrustRepository
    leaders: LeaderRepository
    affiliations: AffiliationRepository
    checks: CheckRepository  # and the acceptances of checks
    development: DevelopmentRepository  # programmes, enrolments, support, plans
    audit: AuditLog
    taxonomy: Taxonomy
    equality: EqualityStore
    idempotency: IdempotencyKeys
    imports: LeaderImportStore
    trust_holdings: TrustHoldings
    networks: NetworkRepository
    network_candidates: NetworkCandidates
    invitations: InvitationRepository

    def __enter__(self) -> UnitOfWork:
        return self

    def leader_for_trust(self, leader_id: str, trust_ods: str) -> tuple[Leader | None, Affiliation | None]:
        """The leader (as the scope may see them) and the trust's affiliation with them, for a read."""
        return self.leaders.get(leader_id), self.affiliations.for_trust(trust_ods, leader_id)
