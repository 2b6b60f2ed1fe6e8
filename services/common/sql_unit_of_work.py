"""The SQL implementation of the unit of work (``services.common.unit_of_work``): it opens the
declared repositories and stores on one connection (``opens``: name to a factory taking the
connection), sets the tenant of every transaction with ``SET LOCAL`` in the same round trip as the
transaction's first statement, and writes the collected events, mapped by the service's own
``to_cloudevent``, to the outbox in the same commit.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, ClassVar, Self

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from services.common.db import SCOPE_SQL, scope_parameters
from services.common.events import CloudEvent
from services.common.outbox import add_to_outbox
from services.common.tenancy import TenantScope
from services.common.unit_of_work import AbstractUnitOfWork

# the scope's set_config with parameter names of its own, to go before a statement's in one query
SCOPED_PREFIX = SCOPE_SQL.replace("%(", "%(plr_scope_")


class SqlUnitOfWork(AbstractUnitOfWork):
    """A subclass names its factories in ``opens`` and its event mapping in ``to_cloudevent``."""

    opens: ClassVar[Mapping[str, Callable[[Connection], Any]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        missing = [name for name in cls.repositories if name not in cls.opens]
        if "opens" in vars(cls) and missing:
            raise TypeError(f"{cls.__name__} declares repositories it does not open: {', '.join(missing)}")

    def __init__(self, engine: Engine, scope: TenantScope, correlation_id: str | None = None):
        self.engine = engine
        self.scope = scope
        self.correlation_id = correlation_id
        self._connection: Connection | None = None
        self._unscoped = False

    @staticmethod
    @abc.abstractmethod
    def to_cloudevent(event: Any, correlation_id: str | None) -> CloudEvent:
        """The service's own mapping of a domain event to its CloudEvent."""

    @property
    def connection(self) -> Connection:
        assert self._connection is not None, "outside the unit of work"
        return self._connection

    def __enter__(self) -> Self:
        self._connection = self.engine.connect()
        if self.each_statement_alone:
            # the driver sends no BEGIN and no COMMIT: every statement is its own transaction, scoped
            # by its prefix, and committed when it returns (the pool resets the mode on return)
            self._connection = self._connection.execution_options(isolation_level="AUTOCOMMIT")
        self._scope_every_transaction(self._connection)
        for name, factory in self.opens.items():
            setattr(self, name, factory(self._connection))
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        connection, self._connection = self._connection, None
        try:
            if connection is not None:
                try:
                    if connection.in_transaction():
                        connection.rollback()
                finally:
                    connection.close()
        finally:
            # the connection's event listeners hold this unit of work, and its repositories the
            # connection: a cycle only the garbage collector frees. Letting the repositories go now
            # frees what they saw at once (a bulk import sees thousands of aggregates per batch).
            for name in self.opens:
                self.__dict__.pop(name, None)

    def _scope_every_transaction(self, connection: Connection) -> None:
        """Every transaction of the unit of work is scoped, and lazily: a transaction begins (explicitly,
        or autobegun by the first statement after commit or rollback) marked unscoped, and the scope is
        set (SET LOCAL) on the same DBAPI connection just before its first statement runs, inside
        SQLAlchemy's error handling. No statement can run unscoped (which RLS would show as empty), and
        a unit of work that ends with a commit does not begin another transaction only to roll it back."""
        parameters = scope_parameters(self.scope)
        prefixed = {f"plr_scope_{name}": value for name, value in parameters.items()}

        def on_begin(conn: Connection) -> None:
            self._unscoped = True

        def before_cursor_execute(
            conn: Connection, cursor: Any, statement: str, params: Any, context: Any, executemany: bool
        ) -> tuple[str, Any]:
            if self.each_statement_alone:
                if executemany or not isinstance(params, dict) or getattr(cursor, "name", None) is not None:
                    # one prefix cannot scope each execution of an executemany, nor a server-side cursor
                    raise TypeError("a unit of work of an audited read runs single statements only")
                return f"{SCOPED_PREFIX}; {statement}", {**params, **prefixed}
            if not self._unscoped:
                return statement, params
            self._unscoped = False
            if not executemany and isinstance(params, dict) and getattr(cursor, "name", None) is None:
                # in the same round trip as the statement: "SELECT set_config(...); <statement>"
                # (psycopg2 sends both as one simple query, in order, in this transaction; the
                # statement's result is the last one, so the cursor answers for the statement alone)
                return f"{SCOPED_PREFIX}; {statement}", {**params, **prefixed}
            with cursor.connection.cursor() as own:  # its own cursor: the statement's may be a named one
                own.execute(SCOPE_SQL, parameters)
            return statement, params

        event.listen(connection, "begin", on_begin)
        event.listen(connection, "before_cursor_execute", before_cursor_execute, retval=True)
        connection.begin()

    def commit(self) -> None:
        connection = self.connection
        events = [self.to_cloudevent(e, self.correlation_id) for e in self.collect_new_events()]
        if events and self.each_statement_alone:
            # its statements have committed one by one: events could not be atomic with what they describe
            raise TypeError("a unit of work of an audited read cannot commit events")
        add_to_outbox(connection, events)
        connection.commit()
        # the next statement, if any, autobegins a transaction: scoped by _scope_every_transaction

    def rollback(self) -> None:
        if self._connection is not None and self._connection.in_transaction():
            self._connection.rollback()
        if self._connection is not None:
            self.discard_new_events()
