"""The SQL implementation of the unit of work (``services.common.unit_of_work``): it opens the
declared repositories and stores on one connection (``opens``: name to a factory taking the
connection), sets the tenant of every transaction with ``SET LOCAL`` in the same round trip as the
transaction's first statement, and writes the collected events, mapped by the service's own
``to_cloudevent``, to the outbox in the same commit.
"""

from __future__ import annotations

import abc
import threading
import weakref
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


# the execution option naming the unit of work a connection is opened for: the engine's scoping
# listeners (_scope_units_of_work) scope that connection's statements, and leave any other's alone
UNIT_OF_WORK_OPTION = "plr_unit_of_work"
_scoped_engines: weakref.WeakSet[Engine] = weakref.WeakSet()
_scoping = threading.Lock()


def _on_begin(connection: Connection) -> None:
    unit_of_work = connection.get_execution_options().get(UNIT_OF_WORK_OPTION)
    if unit_of_work is not None:
        unit_of_work._on_begin()


def _before_cursor_execute(
    connection: Connection, cursor: Any, statement: str, params: Any, context: Any, executemany: bool
) -> tuple[str, Any]:
    unit_of_work = connection.get_execution_options().get(UNIT_OF_WORK_OPTION)
    if unit_of_work is None:
        return statement, params
    scoped: tuple[str, Any] = unit_of_work._scoped_statement(cursor, statement, params, executemany)
    return scoped


def _scope_units_of_work(engine: Engine) -> None:
    """The engine's listeners that scope the statements of every unit of work's connection, installed
    once per engine (two listeners installed on each unit of work's connection, and freed with it, cost
    a leader read more than its JSON log line)."""
    if engine in _scoped_engines:
        return
    with _scoping:
        if engine not in _scoped_engines:
            event.listen(engine, "begin", _on_begin)
            event.listen(engine, "before_cursor_execute", _before_cursor_execute, retval=True)
            _scoped_engines.add(engine)


class _OpenedOnFirstUse:
    """A repository or store of ``opens``, opened on the unit of work's connection when a use case first
    asks for it, then an attribute of that unit of work until it ends (a read that uses two of them
    does not build the other seventeen, nor free them)."""

    def __init__(self, name: str, factory: Callable[[Connection], Any]):
        self.name = name
        self.factory = factory

    def __get__(self, unit_of_work: SqlUnitOfWork | None, owner: type | None = None) -> Any:
        if unit_of_work is None:
            return self
        connection = unit_of_work._connection
        if connection is None:
            raise AttributeError(f"{self.name}: outside the unit of work")
        opened = unit_of_work.__dict__[self.name] = self.factory(connection)
        return opened


class SqlUnitOfWork(AbstractUnitOfWork):
    """A subclass names its factories in ``opens`` and its event mapping in ``to_cloudevent``."""

    opens: ClassVar[Mapping[str, Callable[[Connection], Any]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        missing = [name for name in cls.repositories if name not in cls.opens]
        if "opens" in vars(cls) and missing:
            raise TypeError(f"{cls.__name__} declares repositories it does not open: {', '.join(missing)}")
        for name, factory in cls.opens.items():
            setattr(cls, name, _OpenedOnFirstUse(name, factory))

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
        _scope_units_of_work(self.engine)
        connection = self.engine.connect()
        if self.each_statement_alone:
            # the driver sends no BEGIN and no COMMIT: every statement is its own transaction, scoped
            # by its prefix, and committed when it returns (the pool resets the mode on return)
            connection.execution_options(isolation_level="AUTOCOMMIT", **{UNIT_OF_WORK_OPTION: self})
        else:
            connection.execution_options(**{UNIT_OF_WORK_OPTION: self})
        self._connection = connection
        self._scope_parameters = scope_parameters(self.scope)
        self._prefixed_parameters = {f"plr_scope_{name}": value for name, value in self._scope_parameters.items()}
        # every transaction is scoped, and lazily: a transaction begins (explicitly, or autobegun by
        # the first statement after commit or rollback) marked unscoped (_on_begin), and the scope is
        # set (SET LOCAL) on the same DBAPI connection just before its first statement runs, inside
        # SQLAlchemy's error handling (_scoped_statement). No statement can run unscoped (which RLS
        # would show as empty), and a unit of work that ends with a commit does not begin another
        # transaction only to roll it back
        connection.begin()
        return self

    def _opened(self, name: str) -> Any:
        # a repository never opened has seen nothing: it has no events to give
        return self.__dict__.get(name)

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
            # the repositories hold the connection: letting them go now frees what they saw at once
            # (a bulk import sees thousands of aggregates per batch)
            opened = self.__dict__
            for name in self.opens:
                if name in opened:
                    del opened[name]

    def _on_begin(self) -> None:
        self._unscoped = True

    def _scoped_statement(self, cursor: Any, statement: str, params: Any, executemany: bool) -> tuple[str, Any]:
        """A statement about to run on this unit of work's connection, with the scope of its transaction
        set before it when it is the transaction's first (in an audited read: every statement)."""
        if self.each_statement_alone:
            if executemany or not isinstance(params, dict) or getattr(cursor, "name", None) is not None:
                # one prefix cannot scope each execution of an executemany, nor a server-side cursor
                raise TypeError("a unit of work of an audited read runs single statements only")
            return f"{SCOPED_PREFIX}; {statement}", {**params, **self._prefixed_parameters}
        if not self._unscoped:
            return statement, params
        self._unscoped = False
        if not executemany and isinstance(params, dict) and getattr(cursor, "name", None) is None:
            # in the same round trip as the statement: "SELECT set_config(...); <statement>"
            # (psycopg2 sends both as one simple query, in order, in this transaction; the
            # statement's result is the last one, so the cursor answers for the statement alone)
            return f"{SCOPED_PREFIX}; {statement}", {**params, **self._prefixed_parameters}
        with cursor.connection.cursor() as own:  # its own cursor: the statement's may be a named one
            own.execute(SCOPE_SQL, self._scope_parameters)
        return statement, params

    def commit(self) -> None:
        connection = self.connection
        events = [self.to_cloudevent(e, self.correlation_id) for e in self.collect_new_events()]
        if events and self.each_statement_alone:
            # its statements have committed one by one: events could not be atomic with what they describe
            raise TypeError("a unit of work of an audited read cannot commit events")
        add_to_outbox(connection, events)
        connection.commit()
        # the next statement, if any, autobegins a transaction: scoped as every transaction is

    def rollback(self) -> None:
        if self._connection is not None and self._connection.in_transaction():
            self._connection.rollback()
        if self._connection is not None:
            self.discard_new_events()
