"""The idempotency keys of create methods on PostgreSQL (``services.common.idempotency``): one table
shape for every service, created by each service's own migration (row security there: a trust's
keys are its own)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection

from services.common.errors import PreconditionFailed
from services.common.idempotency import IdempotencyKeys

metadata = sa.MetaData()

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("principal", sa.Text, primary_key=True),
    sa.Column("method", sa.Text, primary_key=True),
    sa.Column("idempotency_key", sa.Text, primary_key=True),
    sa.Column("trust_ods", sa.Text),
    sa.Column("leader_id", sa.Text),
    sa.Column("request_sha256", sa.Text, nullable=False),
    sa.Column("response", sa.LargeBinary),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)


def _the(principal: str, method: str, key: str) -> sa.ColumnElement[bool]:
    return sa.and_(
        idempotency_keys.c.principal == principal,
        idempotency_keys.c.method == method,
        idempotency_keys.c.idempotency_key == key,
    )


class SqlIdempotencyKeys(IdempotencyKeys):
    def __init__(self, connection: Connection):
        self.connection = connection

    def claim(
        self, principal: str, method: str, key: str, digest: str, trust_ods: str | None, leader_id: str | None
    ) -> bytes | None:
        inserted = self.connection.execute(
            insert(idempotency_keys)
            .values(
                principal=principal,
                method=method,
                idempotency_key=key,
                request_sha256=digest,
                trust_ods=trust_ods,
                leader_id=leader_id,
            )
            .on_conflict_do_nothing()
            .returning(idempotency_keys.c.idempotency_key)
        ).first()
        if inserted is not None:
            return None
        row = self.connection.execute(
            sa.select(idempotency_keys.c.request_sha256, idempotency_keys.c.response).where(
                _the(principal, method, key)
            )
        ).one()
        if row.request_sha256 != digest:
            raise PreconditionFailed("idempotency_key: already used with a different request")
        return bytes(row.response or b"")

    def complete(self, principal: str, method: str, key: str, response: bytes) -> None:
        self.connection.execute(idempotency_keys.update().where(_the(principal, method, key)).values(response=response))
