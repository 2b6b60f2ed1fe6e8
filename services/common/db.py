"""Engines, timeouts, and transactions scoped to a tenant."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from services.common.tenancy import TenantScope

TRANSIENT_DB_ERRORS = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.DisconnectionError)


def is_transient_db_error(error: BaseException) -> bool:
    if isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, TRANSIENT_DB_ERRORS)


def make_engine(
    url: str,
    *,
    pool_size: int = 5,
    statement_timeout_ms: int = 15000,
    connect_timeout_s: int = 5,
    application_name: str = "plr",
) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg2://" + url.removeprefix("postgresql://")
    return sa.create_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        pool_pre_ping=True,
        pool_recycle=1800,
        pool_timeout=30,
        connect_args={
            "connect_timeout": connect_timeout_s,
            "application_name": application_name[:63],
            "options": f"-c statement_timeout={statement_timeout_ms} -c lock_timeout={statement_timeout_ms}",
        },
    )


# SET LOCAL the tenant of a transaction (set_config(..., is_local => true)), in the DBAPI's (psycopg2's)
# parameter style, for a cursor; apply_scope runs it through a Connection
SCOPE_SQL = (
    "SELECT set_config('plr.trust', %(trust)s, true), set_config('plr.platform', %(platform)s, true), "
    "set_config('plr.leader', %(leader)s, true)"
)


def scope_parameters(scope: TenantScope) -> dict[str, str]:
    return {
        "trust": scope.trust_ods or "",
        "platform": "on" if scope.platform else "off",
        "leader": scope.leader_id or "",
    }


def apply_scope(connection: Connection, scope: TenantScope) -> None:
    """SET LOCAL the tenant of this transaction (set_config(..., is_local => true))."""
    connection.exec_driver_sql(SCOPE_SQL, scope_parameters(scope))


@contextmanager
def scoped_transaction(engine: Engine, scope: TenantScope) -> Iterator[Connection]:
    with engine.begin() as connection:
        apply_scope(connection, scope)
        yield connection
