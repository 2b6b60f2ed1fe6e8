"""Engines, timeouts, and transactions scoped to a tenant."""

from __future__ import annotations

import re
import select
from collections import namedtuple
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import psycopg2
import psycopg2.errors
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import psycopg2 as postgresql_psycopg2
from sqlalchemy.engine import Connection, Engine

if TYPE_CHECKING:
    from services.common.settings import Settings

from services.common.errors import ConcurrentChange
from services.common.tenancy import TenantScope

# the database cannot be reached or stopped answering: refused, lost mid-call, shutting down, starting
# up, too many connections, or no pooled connection free in time (sa.exc.TimeoutError); psycopg2's own
# classes cover code that uses the driver directly
TRANSIENT_DB_ERRORS = (
    sa.exc.OperationalError,
    sa.exc.InterfaceError,
    sa.exc.DisconnectionError,
    sa.exc.TimeoutError,
    psycopg2.OperationalError,
    psycopg2.InterfaceError,
    # a server that only reads (a standby after a failover, the primary demoted, or an administrator's
    # default_transaction_read_only): writes come back once a writable primary does. The app never opens
    # read-only transactions itself, so this is always the server's state, never a bug of the call
    psycopg2.errors.ReadOnlySqlTransaction,
)


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error and what it was raised from or while handling (a unit of work may wrap a driver error)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)


# The server refused the connection for who is connecting or to what: a role, password or database that
# does not exist, or a role not allowed to connect. Not an outage: the same call fails until an
# administrator fixes the settings or the roles. libpq gives these no SQLSTATE (psycopg2's pgcode is None),
# only the server's message; the codes cover a server that sends them
CONFIGURATION_REFUSED = re.compile(
    r"FATAL:\s+(role \".*\" does not exist|password authentication failed|database \".*\" does not exist"
    r"|permission denied for database|role \".*\" is not permitted to log in|no pg_hba\.conf entry)"
)
CONFIGURATION_SQLSTATES = ("28000", "28P01", "3D000")


def is_db_configuration_error(error: BaseException) -> bool:
    """The database refused this process's connection because of its configuration (its URL's role,
    password or database): an administrator must act, and retrying the same call does not help."""
    for cause in _causes(error):
        original = getattr(cause, "orig", None) or cause
        if isinstance(original, psycopg2.Error) and (
            original.pgcode in CONFIGURATION_SQLSTATES or CONFIGURATION_REFUSED.search(str(original))
        ):
            return True
    return False


def is_database_fault(error: BaseException) -> bool:
    """The database, not the request or the message, is at fault: unavailable, or refusing this process's
    configuration. Never counted against a message, never a bug's traceback."""
    return is_transient_db_error(error) or is_db_configuration_error(error)


def is_transient_db_error(error: BaseException) -> bool:
    """The database is unreachable or overloaded, not the request wrong: the same call may succeed later.
    A connection refused for its configuration (is_db_configuration_error) is not transient."""
    if is_db_configuration_error(error):
        return False
    for cause in _causes(error):
        if isinstance(cause, sa.exc.DBAPIError) and cause.connection_invalidated:
            return True
        if isinstance(cause, TRANSIENT_DB_ERRORS) or isinstance(getattr(cause, "orig", None), TRANSIENT_DB_ERRORS):
            return True
    return False


def is_statement_timeout(error: BaseException) -> bool:
    """A statement ran past ``statement_timeout`` (PostgreSQL cancelled it); the transaction rolled back."""
    return any(
        isinstance(cause, psycopg2.errors.QueryCanceled)
        or isinstance(getattr(cause, "orig", None), psycopg2.errors.QueryCanceled)
        for cause in _causes(error)
    )


def db_error_summary(error: BaseException) -> str:
    """For a log line about an outage: the driver's first line ('Connection refused', 'server closed the
    connection unexpectedly'), without the statement that was running."""
    for cause in _causes(error):
        original = getattr(cause, "orig", None) or cause
        if isinstance(original, (psycopg2.Error, sa.exc.TimeoutError)):
            text = str(original).strip().splitlines()
            return f"{type(original).__name__}: {text[0] if text else ''}".strip()
    return type(error).__name__


# A database that vanished without closing its connections (a partition, a host powered off, a failover
# that moved the address) sends no reset: a call waiting on it would block until the kernel's own TCP
# timeouts (minutes for retransmissions, two hours before the first keepalive). The server's
# statement_timeout cannot help, the server being gone; these client-side limits make the call fail,
# as an outage (UNAVAILABLE), within about this many seconds
DEAD_PEER_TIMEOUT_S = 30


def dead_peer_detection(timeout_s: int) -> dict[str, int]:
    """libpq connection parameters that give up on a silent peer within ``timeout_s``: keepalive probes
    while a connection waits for an answer (idle a third of it, then 3 probes a sixth apart), and
    ``tcp_user_timeout`` for data sent and never acknowledged (a query or a ping sent into the void)."""
    return {
        "keepalives": 1,
        "keepalives_idle": max(1, timeout_s // 3),
        "keepalives_interval": max(1, timeout_s // 6),
        "keepalives_count": 3,
        "tcp_user_timeout": timeout_s * 1000,
    }


def process_engine(settings: Settings, service: str, process: str, pool_size: int | None = None) -> Engine:
    """The engine of one of a service's processes (``api``, ``worker``, ``admin``): its application
    role, the platform's pool size and timeouts, named ``plr-<service>-<process>`` on the server."""
    return make_engine(
        settings.database(service).app_url,
        pool_size=settings.pool_size if pool_size is None else pool_size,
        statement_timeout_ms=settings.statement_timeout_ms,
        connect_timeout_s=settings.connect_timeout_s,
        application_name=f"plr-{service}-{process}",
    )


def make_engine(
    url: str,
    *,
    pool_size: int = 5,
    statement_timeout_ms: int = 15000,
    connect_timeout_s: int = 5,
    dead_peer_timeout_s: int = DEAD_PEER_TIMEOUT_S,
    application_name: str = "plr",
) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg2://" + url.removeprefix("postgresql://")
    engine = sa.create_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        # a connection that died with the server (restart, failover) is found before it is handed out
        # and replaced (refuse_closed_connection, on checkout): the first calls after a restart succeed
        # instead of failing once more
        pool_pre_ping=False,
        hide_parameters=True,  # an error or log line never carries a request's or a row's values
        pool_recycle=1800,
        pool_timeout=30,
        connect_args={
            "connect_timeout": connect_timeout_s,
            "application_name": application_name[:63],
            "options": f"-c statement_timeout={statement_timeout_ms} -c lock_timeout={statement_timeout_ms}",
            **dead_peer_detection(dead_peer_timeout_s),
        },
    )
    sa.event.listen(engine, "checkout", refuse_closed_connection)
    return engine


def closed_by_server(dbapi_connection: Any) -> bool:
    """An idle connection's socket has something to read only when the server is saying goodbye (a
    FATAL "terminating connection" at a shutdown, restart or pg_terminate_backend) or has closed it
    (end of file): no round trip needed, unlike a ping. An idle connection of ours never has anything
    else to read (no LISTEN; every result is read to its end)."""
    if dbapi_connection.closed:
        return True
    fd = dbapi_connection.fileno()
    if hasattr(select, "poll"):  # not in an eventlet-patched process, whose select is green
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLERR | select.POLLHUP)
        return bool(poller.poll(0))
    readable, _, failed = select.select([fd], [], [fd], 0)
    return bool(readable or failed)


def refuse_closed_connection(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """Pool checkout: a connection the server closed is replaced (the pool retries with a new one)."""
    if closed_by_server(dbapi_connection):
        raise sa.exc.DisconnectionError("the server closed this pooled connection")


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


@contextmanager
def taken_concurrently() -> Iterator[None]:
    """Around an insert whose unique key was free when the use case looked: another transaction that
    took it in between makes this a ConcurrentChange (which a use case may retry), not an internal error."""
    try:
        yield
    except sa.exc.IntegrityError as error:
        if isinstance(error.orig, psycopg2.errors.UniqueViolation):
            raise ConcurrentChange() from None
        raise


# a session's prepared statement is gone (a DEALLOCATE or DISCARD ALL run on it, a pooler that moved the
# transaction to another session) or no longer fits its table (a column's type changed by a migration,
# a result type that changed): the session is replaced, so the next transaction prepares afresh on a new
# one rather than failing the same way on this one until the pool recycles it
STALE_PREPARED_ERRORS = (
    psycopg2.errors.InvalidSqlStatementName,
    psycopg2.errors.DatatypeMismatch,
    psycopg2.errors.FeatureNotSupported,
)
# one statement per name: two queries of one name would each run whichever a session prepared first
_PREPARED_NAMES: dict[str, str] = {}


class PreparedQuery:
    """A query PostgreSQL plans once per connection (``PREPARE``, then ``EXECUTE``), for a hot read whose
    planning costs more than running it (row security's policies, and their sub-queries, are planned
    into every query: the leader read's plan took ~0.5-0.8 ms of the server's CPU against ~0.2-0.3 ms to
    run it), or a hot write (``send_all``: every business transaction's outbox insert). Parameters are
    the query's named bind parameters; the rows come back typed as the query's columns. Each connection
    prepares it on its first use (``PREPARE`` outlives a rollback; a new connection starts without it);
    PostgreSQL re-plans it by itself when a table it reads changes (a migration that adds), a session
    whose statement is gone or no longer fits (``STALE_PREPARED_ERRORS``) is replaced, and row security
    is applied when it runs, in the transaction's scope, as for any query (its settings are read at run
    time, not planned in)."""

    def __init__(self, name: str, query: sa.Select[Any] | sa.Insert | sa.Update):
        compiled = query.compile(dialect=postgresql_psycopg2.dialect())
        text = compiled.string
        parameters = list(dict.fromkeys(re.findall(r"%\((\w+)\)s", text)))
        if "%%" in text or set(parameters) != set(compiled.params):
            raise ValueError(f"{name}: only named bind parameters and no literal % can be prepared")
        for n, parameter in enumerate(parameters, start=1):
            text = text.replace(f"%({parameter})s", f"${n}")
        columns = query.selected_columns if isinstance(query, sa.Select) else query.exported_columns
        self._define(name, text, parameters, columns)

    @classmethod
    def of_sql(
        cls, name: str, sql: str, parameters: Sequence[str], columns: Iterable[sa.ColumnElement[Any]]
    ) -> PreparedQuery:
        """A query written in SQL, its parameters $1, $2... named in that order, its rows typed as
        ``columns`` (in the order it selects them)."""
        if "%" in sql:
            raise ValueError(f"{name}: no literal % can be prepared")
        prepared = cls.__new__(cls)
        prepared._define(name, sql, list(parameters), columns)
        return prepared

    def _define(self, name: str, sql: str, parameters: list[str], columns: Iterable[sa.ColumnElement[Any]]) -> None:
        if not re.fullmatch(r"plr_[a-z0-9_]+", name):
            raise ValueError(f"a prepared query's name is plr_ and lower-case letters, digits and _: {name!r}")
        if _PREPARED_NAMES.setdefault(name, sql) != sql:
            raise ValueError(f"{name}: another prepared query has this name")
        self.name = name
        self.prepare_sql = f"PREPARE {name} AS {sql}"
        typed = [sa.column(c.name, c.type) for c in columns]  # type: ignore[attr-defined]
        self.execute = sa.text(f"EXECUTE {name}({', '.join(f':{p}' for p in parameters)})").columns(*typed)
        # the same, for the driver (rows)
        self._parameters = parameters
        self._driver_sql = f"EXECUTE {name}({', '.join(f'%({p})s' for p in parameters)})"
        self._driver_sql_many: dict[int, str] = {}
        self._row: Any = namedtuple("Row", [c.name for c in typed])  # type: ignore[misc]  # noqa: PYI024
        self._types = [c.type for c in typed]
        self._processors: tuple[Any, list[Any]] | None = None  # (dialect, each column's result processor)

    def _prepare(self, connection: Connection) -> None:
        prepared: set[str] = connection.info.setdefault("plr_prepared", set())
        if self.name not in prepared:
            connection.exec_driver_sql(self.prepare_sql, {})
            prepared.add(self.name)

    def run(self, connection: Connection, parameters: dict[str, Any]) -> sa.CursorResult[Any]:
        self._prepare(connection)
        try:
            return connection.execute(self.execute, parameters)
        except sa.exc.DBAPIError as error:
            if isinstance(error.orig, STALE_PREPARED_ERRORS) and not connection.invalidated:
                connection.invalidate(error)
            raise

    def rows(self, connection: Connection, parameters: dict[str, Any]) -> list[Any]:
        """``run(...).all()`` for a hot read, on the DBAPI cursor of the connection's own pooled
        connection: the statement listeners of the connection (a unit of work's scope) run as for any
        statement, a driver's error is raised as SQLAlchemy's (the pooled connection invalidated when
        it was lost), and the rows are named tuples of the query's columns, typed by the same result
        processors. SQLAlchemy's execution context and result objects (a tenth of a leader read's CPU
        in the api) are skipped."""
        dialect = connection.dialect
        if self._processors is None or self._processors[0] is not dialect:
            self._processors = (dialect, [t.dialect_impl(dialect).result_processor(dialect, None) for t in self._types])
        processors = self._processors[1]
        values = {name: parameters[name] for name in self._parameters}
        fetched = self._on_driver(connection, self._driver_sql, values, fetch=True)
        make = self._row._make
        if not any(processors):
            return [make(row) for row in fetched]
        return [make([p(v) if p else v for p, v in zip(processors, row, strict=True)]) for row in fetched]

    def send_all(self, connection: Connection, parameter_sets: Sequence[dict[str, Any]]) -> None:
        """Runs a prepared statement that returns nothing once for each set of parameters, in one
        round trip (its ``EXECUTE``s sent as one query), on the driver's cursor as ``rows`` does: a hot
        write (every business transaction's outbox row) planned once per connection and sent without
        SQLAlchemy's execution context."""
        if not parameter_sets:
            return
        values = {f"{name}_{n}": p[name] for n, p in enumerate(parameter_sets) for name in self._parameters}
        self._on_driver(connection, self._driver_sql_for(len(parameter_sets)), values, fetch=False)

    def _driver_sql_for(self, count: int) -> str:
        """``count`` EXECUTEs of this statement as one query, the parameters of the n-th suffixed _n."""
        sql = self._driver_sql_many.get(count)
        if sql is None:
            sql = "; ".join(
                f"EXECUTE {self.name}({', '.join(f'%({p}_{n})s' for p in self._parameters)})" for n in range(count)
            )
            if len(self._driver_sql_many) < 64:  # the usual batch sizes; a rare one is built again
                self._driver_sql_many[count] = sql
        return sql

    def _on_driver(self, connection: Connection, statement: str, values: dict[str, Any], *, fetch: bool) -> list[Any]:
        """The statement run on the connection's own pooled driver connection, through the connection's
        statement listeners (a unit of work's scope), in its transaction (begun as ``execute`` would);
        a driver's error raised as SQLAlchemy's, the pooled connection invalidated when it was lost or its
        prepared statement is stale."""
        self._prepare(connection)
        if not connection.in_transaction():
            connection.begin()  # as execute would autobegin, with the same "begin" listeners
        driver = connection.connection.dbapi_connection
        assert driver is not None
        cursor = driver.cursor()
        try:
            dispatch = connection.dispatch
            for before in dispatch.before_cursor_execute:
                statement, values = before(connection, cursor, statement, values, None, False)
            cursor.execute(statement, values)
            fetched: list[Any] = list(cursor.fetchall()) if fetch else []
            for after in dispatch.after_cursor_execute:
                after(connection, cursor, statement, values, None, False)
            return fetched
        except psycopg2.Error as error:
            # a lost session, or one whose prepared statement is stale, is replaced
            replaced = isinstance(error, STALE_PREPARED_ERRORS) or connection.dialect.is_disconnect(
                error, driver, cursor
            )
            if replaced:
                connection.invalidate(error)
            raise sa.exc.DBAPIError.instance(
                statement, values, error, psycopg2.Error, hide_parameters=True, connection_invalidated=replaced
            ) from error
        finally:
            cursor.close()
