"""The trust repository: rows to domain objects and back, with optimistic concurrency on version."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection

from services.common.errors import PreconditionFailed
from services.common.trust_directory import api_keys
from services.registry.adapters.tables import trusts
from services.registry.domain.trust import Trust, TrustKeyRecord
from services.registry.service_layer.ports import TrustRepository


class SqlTrustRepository(TrustRepository):
    def __init__(self, connection: Connection):
        super().__init__()
        self.connection = connection

    def _get(self, ods: str) -> Trust | None:
        row = self.connection.execute(sa.select(trusts).where(trusts.c.trust_ods == ods)).first()
        if row is None:
            return None
        trust = _to_trust(row)
        trust.keys = [
            TrustKeyRecord(k.key_id, k.secret_sha256, k.issued_at, k.revoked_at, frozenset(k.scopes))
            for k in self.connection.execute(
                sa.select(api_keys).where(api_keys.c.trust_ods == ods).order_by(api_keys.c.issued_at, api_keys.c.key_id)
            )
        ]
        return trust

    def _add(self, trust: Trust) -> bool:
        # ON CONFLICT DO NOTHING: two concurrent onboardings of one code end with one trust, no error
        inserted = self.connection.execute(
            insert(trusts)
            .values(
                trust_ods=trust.ods,
                name=trust.name,
                status=trust.status,
                version=trust.version,
                settings={},
                created_at=trust.created_at,
                updated_at=trust.created_at,
            )
            .on_conflict_do_nothing()
            .returning(trusts.c.trust_ods)
        ).first()
        if inserted is None:
            return False
        self._save_keys(trust)
        return True

    def save(self, trust: Trust, expected_version: int) -> None:
        updated = self.connection.execute(
            trusts.update()
            .where(trusts.c.trust_ods == trust.ods, trusts.c.version == expected_version)
            .values(name=trust.name, status=trust.status, version=trust.version, updated_at=sa.func.now())
            .returning(trusts.c.updated_at)
        ).first()
        if updated is None:
            raise PreconditionFailed(f"trust {trust.ods} changed concurrently (expected version {expected_version})")
        trust.updated_at = updated.updated_at
        self._save_keys(trust)

    def _save_keys(self, trust: Trust) -> None:
        for key in trust.keys:
            statement = insert(api_keys).values(
                key_id=key.key_id,
                trust_ods=trust.ods,
                secret_sha256=key.secret_sha256,
                issued_at=key.issued_at,
                revoked_at=key.revoked_at,
                scopes=sorted(key.scopes),
            )
            self.connection.execute(
                statement.on_conflict_do_update(
                    index_elements=[api_keys.c.key_id], set_={"revoked_at": statement.excluded.revoked_at}
                )
            )

    def list(self, after_ods: str, limit: int, updated_since: datetime | None = None) -> list[Trust]:
        query = sa.select(trusts).where(trusts.c.trust_ods > after_ods)
        if updated_since is not None:
            query = query.where(trusts.c.updated_at >= updated_since)
        rows = self.connection.execute(query.order_by(trusts.c.trust_ods).limit(limit))
        return [_to_trust(row) for row in rows]


def _to_trust(row: sa.Row) -> Trust:  # type: ignore[type-arg]
    return Trust(
        ods=row.trust_ods,
        name=row.name,
        status=row.status,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
