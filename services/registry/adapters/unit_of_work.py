"""The registry's unit of work on PostgreSQL: the common SQL unit of work, opening the registry's
repositories and stores, with the registry's event mapping."""

from __future__ import annotations

from services.common import sql_unit_of_work as common
from services.registry.adapters.check_repository import SqlCheckRepository
from services.registry.adapters.development_repository import SqlDevelopmentRepository
from services.registry.adapters.email_changes import SqlEmailChanges
from services.registry.adapters.event_mapping import to_cloudevent
from services.registry.adapters.known_details import SqlKnownDetails
from services.registry.adapters.leader_imports import SqlLeaderImportStore
from services.registry.adapters.leader_repository import SqlAffiliationRepository, SqlLeaderRepository
from services.registry.adapters.networks import SqlInvitationRepository, SqlNetworkCandidates, SqlNetworkRepository
from services.registry.adapters.offboard_exports import SqlOffboardExports
from services.registry.adapters.records import (
    SqlAuditLog,
    SqlChangeHistory,
    SqlEqualityStore,
    SqlIdempotencyKeys,
    SqlTaxonomy,
)
from services.registry.adapters.repository import SqlTrustRepository
from services.registry.adapters.staff_repository import SqlStaffRepository
from services.registry.adapters.trust_holdings import SqlTrustHoldings
from services.registry.domain.affiliation import Affiliation
from services.registry.domain.leader import Leader
from services.registry.service_layer.unit_of_work import UnitOfWork


class SqlUnitOfWork(common.SqlUnitOfWork, UnitOfWork):
    leaders: SqlLeaderRepository
    known: SqlKnownDetails
    audit: SqlAuditLog
    to_cloudevent = staticmethod(to_cloudevent)
    opens = {
        "trusts": SqlTrustRepository,
        "leaders": SqlLeaderRepository,
        "affiliations": SqlAffiliationRepository,
        "checks": SqlCheckRepository,
        "development": SqlDevelopmentRepository,
        "staff": SqlStaffRepository,
        "audit": SqlAuditLog,
        "history": SqlChangeHistory,
        "known": SqlKnownDetails,
        "email_changes": SqlEmailChanges,
        "taxonomy": SqlTaxonomy,
        "equality": SqlEqualityStore,
        "idempotency": SqlIdempotencyKeys,
        "imports": SqlLeaderImportStore,
        "trust_holdings": SqlTrustHoldings,
        "offboard_exports": SqlOffboardExports,
        "networks": SqlNetworkRepository,
        "network_candidates": SqlNetworkCandidates,
        "invitations": SqlInvitationRepository,
    }

    def __enter__(self) -> SqlUnitOfWork:
        super().__enter__()
        return self

    def leader_for_trust(self, leader_id: str, trust_ods: str) -> tuple[Leader | None, Affiliation | None]:
        # one round trip on the hot read path: the trust's own record of the person comes with it, and
        # is what this unit of work's known.get answers for them (no query of its own)
        reader = self._audit_with_read
        if reader is not None and reader[2] == trust_ods and self.each_statement_alone:
            # the audit row goes with the read, in its statement, committed when it returns (ADR 0006)
            kind, principal, _, method = reader
            leader, affiliation, known, audited = self.leaders.get_with_affiliation_audited(
                leader_id, trust_ods, kind, principal, method
            )
            if audited is not None:
                self.audit.written_with_read(kind, principal, trust_ods, method, leader_id, audited)
        else:
            leader, affiliation, known = self.leaders.get_with_affiliation(leader_id, trust_ods)
        self.known.remember(trust_ods, leader_id, known)
        return leader, affiliation

    _audit_with_read: tuple[str, str, str, str] | None = None

    def audit_with_read(self, principal_kind: str, principal: str, trust_ods: str | None, method: str) -> None:
        if principal_kind == "trust" and trust_ods is not None:
            self._audit_with_read = (principal_kind, principal, trust_ods, method)
