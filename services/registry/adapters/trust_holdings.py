"""What one trust holds in the registry, found across tenants for offboarding (platform scope only).

Small on purpose: the leader and affiliation repositories load and save the aggregates; this finds
which of them belong to the trust, and forgets the trust's own idempotency keys.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.registry.adapters.tables import affiliations, idempotency_keys, import_fingerprints
from services.registry.service_layer.ports import TrustHoldings


class SqlTrustHoldings(TrustHoldings):
    def __init__(self, connection: Connection):
        self.connection = connection

    def affiliation_ids(self, trust_ods: str) -> list[str]:
        rows = self.connection.execute(
            sa.select(affiliations.c.affiliation_id)
            .where(affiliations.c.trust_ods == trust_ods)
            .order_by(affiliations.c.created_at, affiliations.c.affiliation_id)
        )
        return [str(r.affiliation_id) for r in rows]

    def forget_idempotency_keys(self, trust_ods: str) -> int:
        deleted = self.connection.execute(idempotency_keys.delete().where(idempotency_keys.c.trust_ods == trust_ods))
        self.connection.execute(import_fingerprints.delete().where(import_fingerprints.c.trust_ods == trust_ods))
        return int(deleted.rowcount)
