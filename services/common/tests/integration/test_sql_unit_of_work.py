"""The common SQL unit of work on a real database: every transaction scoped to the caller's tenant
(the first, one after a commit, one after a rollback, a second ``with``), the events of what its
repositories saw written to the outbox in the same commit, each once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.common.db import PreparedQuery, apply_scope, scoped_transaction
from services.common.events import CloudEvent
from services.common.platform_tables import outbox
from services.common.sql_unit_of_work import SqlUnitOfWork
from services.common.tenancy import TenantScope
from services.common.trust_directory import trusts
from tests.support.infra import PlrStack

pytestmark = pytest.mark.integration

SERVICE = "matching"  # any service's database: the trust directory is tenant-scoped (forced RLS)


@dataclass(eq=False)
class Probe:
    """An aggregate: a trust row, and the events it recorded."""

    ods: str
    version: int = 1
    pending_events: list[Any] = field(default_factory=list)

    def touch(self) -> None:
        self.version += 1
        self.pending_events.append(("touched", self.ods, self.version))


class Probes:
    def __init__(self, connection: Connection):
        self.connection = connection
        self.seen: list[Probe] = []

    def add(self, probe: Probe) -> None:
        self.connection.execute(trusts.insert().values(trust_ods=probe.ods, name=probe.ods, version=probe.version))
        self.seen.append(probe)

    def get(self, ods: str) -> Probe | None:
        row = self.connection.execute(sa.select(trusts.c.version).where(trusts.c.trust_ods == ods)).first()
        if row is None:
            return None
        probe = Probe(ods, row.version)
        self.seen.append(probe)
        return probe

    def save(self, probe: Probe) -> None:
        self.connection.execute(trusts.update().where(trusts.c.trust_ods == probe.ods).values(version=probe.version))

    def visible(self) -> list[str]:
        return list(self.connection.execute(sa.select(trusts.c.trust_ods).order_by(trusts.c.trust_ods)).scalars())


class ProbeUnitOfWork(SqlUnitOfWork):
    repositories = ("probes",)
    opens = {"probes": Probes}
    probes: Probes

    @staticmethod
    def to_cloudevent(event: Any, correlation_id: str | None) -> CloudEvent:
        _, ods, version = event
        return CloudEvent(
            type="plr.diagnostics.probe.recorded.v1",
            source="plr/diagnostics",
            data={"probe": ods, "sequence": version},
            aggregate_type="probe",
            aggregate_id=ods,
            aggregate_version=version,
            correlation_id=correlation_id,
        )


def _outbox(stack: PlrStack, ods: str) -> list[int]:
    with stack.engine(SERVICE, "owner").connect() as connection:
        return list(
            connection.execute(
                sa.select(outbox.c.aggregate_version).where(outbox.c.aggregate_id == ods).order_by(outbox.c.id)
            ).scalars()
        )


def _current_trust(connection: Connection) -> str:
    return str(connection.execute(sa.text("SELECT current_setting('plr.trust', true)")).scalar())


def _uow(stack: PlrStack, ods: str) -> ProbeUnitOfWork:
    return ProbeUnitOfWork(stack.engine(SERVICE), TenantScope.trust(ods))


def test_every_transaction_is_scoped_after_a_commit_a_rollback_and_in_a_second_with(stack: PlrStack) -> None:
    uow = _uow(stack, "RUA")
    with uow:
        uow.probes.add(Probe("RUA"))
        uow.commit()
        assert _current_trust(uow.connection) == "RUA"  # the transaction after the commit
        assert uow.probes.visible() == ["RUA"]
        uow.rollback()
        assert _current_trust(uow.connection) == "RUA"  # and after a rollback
    with _uow(stack, "RUB") as other:
        other.probes.add(Probe("RUB"))
        assert other.probes.visible() == ["RUB"]  # not RUA's row
        other.commit()
    with uow:  # the same unit of work again: a new connection, still RUA's
        assert _current_trust(uow.connection) == "RUA"
        assert uow.probes.visible() == ["RUA"]


def test_a_row_of_another_trust_cannot_be_written_in_any_transaction_of_the_unit_of_work(stack: PlrStack) -> None:
    uow = _uow(stack, "RUC")
    with uow:
        uow.commit()
        with pytest.raises(sa.exc.ProgrammingError, match="row-level security"):
            uow.probes.add(Probe("RUD"))


def test_the_events_of_an_aggregate_loaded_twice_or_added_then_loaded_go_to_the_outbox_once(stack: PlrStack) -> None:
    uow = _uow(stack, "RUE")
    with uow:
        added = Probe("RUE")
        uow.probes.add(added)
        added.touch()  # version 2
        loaded = uow.probes.get("RUE")  # what the row says (version 1): another object, no events yet
        assert loaded is not None and not loaded.pending_events
        uow.probes.seen.append(added)  # seen twice
        uow.probes.save(added)
        uow.commit()
        uow.commit()  # nothing new: nothing written again
    assert _outbox(stack, "RUE") == [2]


def test_events_of_changes_rolled_back_are_not_written_by_a_later_commit(stack: PlrStack) -> None:
    uow = _uow(stack, "RUF")
    with uow:
        probe = Probe("RUF")
        uow.probes.add(probe)
        probe.touch()
        uow.rollback()  # the row is gone, and so must its event be
        assert uow.probes.visible() == []
        uow.commit()
    assert _outbox(stack, "RUF") == []


def test_the_outbox_is_written_in_the_commit_of_the_state_or_not_at_all(stack: PlrStack) -> None:
    uow = _uow(stack, "RUG")
    with uow:
        probe = Probe("RUG")
        uow.probes.add(probe)
        probe.touch()
        uow.probes.save(probe)
        # the connection dies before the commit: neither the row nor its event
        with stack.admin_engine(stack.settings.database(SERVICE).app_url.rsplit("/", 1)[1]).connect() as admin:
            pid = uow.connection.execute(sa.text("SELECT pg_backend_pid()")).scalar()
            admin.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(sa.exc.OperationalError):
            uow.commit()
    with _uow(stack, "RUG") as again:
        assert again.probes.visible() == []
    assert _outbox(stack, "RUG") == []


def _trust_versions(stack: PlrStack, ods: str) -> list[int]:
    """What another connection sees: only what is committed."""
    with scoped_transaction(stack.engine(SERVICE), TenantScope.trust(ods)) as connection:
        return list(connection.execute(sa.select(trusts.c.version).where(trusts.c.trust_ods == ods)).scalars())


class TwoStoresUnitOfWork(ProbeUnitOfWork):
    opens = {"probes": Probes, "others": Probes}
    others: Probes


def test_a_repository_is_opened_when_first_asked_for_on_the_unit_of_work_s_connection_and_let_go_at_its_end(
    stack: PlrStack,
) -> None:
    uow = TwoStoresUnitOfWork(stack.engine(SERVICE), TenantScope.trust("RUT"))
    with uow:
        assert "probes" not in vars(uow) and "others" not in vars(uow)
        uow.commit()  # nothing opened: nothing to collect
        uow.probes.add(Probe("RUT"))  # opened in the transaction after a commit: scoped as any
        assert uow.probes is uow.probes and uow.probes.connection is uow.connection
        assert "others" not in vars(uow)
        uow.probes.get("RUT").touch()  # type: ignore[union-attr]
        uow.commit()
    assert _outbox(stack, "RUT") == [2]  # the opened repository's events went out
    assert "probes" not in vars(uow)
    with pytest.raises(AttributeError, match="outside the unit of work"):
        uow.probes  # noqa: B018
    # the engine's scoping leaves a connection outside any unit of work as it is
    with stack.engine(SERVICE).connect() as connection:
        assert _current_trust(connection) == ""


def test_an_audited_read_runs_each_statement_scoped_and_committed_alone(stack: PlrStack) -> None:
    for ods in ("RUH", "RUJ"):
        with _uow(stack, ods) as setup:
            setup.probes.add(Probe(ods))
            setup.commit()
    sent: list[tuple[Any, str]] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append((conn, statement))

    engine = stack.engine(SERVICE)
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        uow = _uow(stack, "RUH").audited_read()
        with uow:
            own = uow.connection
            assert uow.probes.visible() == ["RUH"]  # each statement in the caller's scope: not RUJ's row
            uow.probes.save(Probe("RUH", 7))
            assert _trust_versions(stack, "RUH") == [7]  # committed as the statement returned
            with pytest.raises(sa.exc.ProgrammingError, match="row-level security"):
                uow.probes.add(Probe("RUK"))
            uow.commit()
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    # one round trip each: the scope goes with its statement, and no BEGIN, COMMIT or ping of its own
    mine = [statement for conn, statement in sent if conn is own]
    assert len(mine) == 3 and all(s.startswith("SELECT set_config('plr.trust'") for s in mine), mine


def test_an_audited_read_commits_no_events_and_runs_no_executemany(stack: PlrStack) -> None:
    with _uow(stack, "RUL") as setup:
        setup.probes.add(Probe("RUL"))
        setup.commit()
    with _uow(stack, "RUL").audited_read() as uow:
        probe = uow.probes.get("RUL")
        assert probe is not None
        probe.touch()
        with pytest.raises(TypeError, match="cannot commit events"):
            uow.commit()
        with pytest.raises(TypeError, match="single statements only"):
            rows = [{"ods": "RUL", "name": "m"}, {"ods": "RUL", "name": "n"}]
            uow.connection.execute(trusts.update().where(trusts.c.trust_ods == sa.bindparam("ods")), rows)
    assert _outbox(stack, "RUL") == []


_BY_ODS = sa.select(trusts.c.trust_ods, trusts.c.version, trusts.c.created_at).where(
    trusts.c.trust_ods.in_([sa.bindparam("first"), sa.bindparam("second")])
)
_PREPARED_BY_ODS = PreparedQuery("plr_test_trusts_by_ods", _BY_ODS)


def test_a_prepared_query_is_planned_once_per_connection_and_scoped_each_time_it_runs(stack: PlrStack) -> None:
    for ods in ("RUP", "RUQ"):
        with _uow(stack, ods) as setup:
            setup.probes.add(Probe(ods))
            setup.commit()
    both = {"first": "RUP", "second": "RUQ"}
    sent: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement)

    engine = stack.engine(SERVICE)
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        with engine.connect() as connection:
            # more runs than PostgreSQL plans alone (5) before it may use a generic plan: the tenant is
            # read when the plan runs, never planned in
            for scope in ("RUP",) * 7 + ("RUQ",) * 2 + ("RUP",):
                with connection.begin():
                    apply_scope(connection, TenantScope.trust(scope))
                    rows = _PREPARED_BY_ODS.run(connection, both).all()
                    assert [r.trust_ods for r in rows] == [scope]  # row security, in this scope
                    plain = connection.execute(_BY_ODS, both).one()
                    assert rows[0] == plain  # typed as the query's columns (a datetime, an int)
            with connection.begin():  # a rollback does not undo a PREPARE
                apply_scope(connection, TenantScope.trust("RUQ"))
                assert _PREPARED_BY_ODS.run(connection, both).scalars().all() == ["RUQ"]
                connection.rollback()
            with connection.begin():
                apply_scope(connection, TenantScope.trust("RUQ"))
                assert _PREPARED_BY_ODS.run(connection, both).scalars().all() == ["RUQ"]
        # an audited read's statements run it scoped too, each its own transaction
        with _uow(stack, "RUQ").audited_read() as uow:
            assert _PREPARED_BY_ODS.run(uow.connection, both).scalars().all() == ["RUQ"]
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    prepares = [s for s in sent if "PREPARE plr_test_trusts_by_ods" in s]
    runs = [s for s in sent if "EXECUTE plr_test_trusts_by_ods" in s]
    assert len(runs) == 13
    # once per connection: the first, and at most once more for the unit of work's pooled connection
    assert 1 <= len(prepares) <= 2, prepares


def test_a_prepared_query_s_rows_from_the_driver_are_its_run_s_rows_scoped_as_any_statement(stack: PlrStack) -> None:
    for ods in ("RUR", "RUS"):
        with _uow(stack, ods) as setup:
            setup.probes.add(Probe(ods))
            setup.commit()
    both = {"first": "RUR", "second": "RUS"}
    engine = stack.engine(SERVICE)
    with engine.connect() as connection, connection.begin():
        apply_scope(connection, TenantScope.trust("RUR"))
        rows = _PREPARED_BY_ODS.rows(connection, both)
        assert rows == _PREPARED_BY_ODS.run(connection, both).all()  # typed alike (a datetime, an int)
        assert [(r.trust_ods, type(r.created_at)) for r in rows] == [("RUR", datetime)]
    # a unit of work's scope (which RLS needs to show anything) is set for them as for any statement
    with _uow(stack, "RUS") as uow:
        assert [r.trust_ods for r in _PREPARED_BY_ODS.rows(uow.connection, both)] == ["RUS"]
        uow.commit()
        assert [r.trust_ods for r in _PREPARED_BY_ODS.rows(uow.connection, both)] == ["RUS"]  # a new transaction
    with _uow(stack, "RUR").audited_read() as uow:
        for _ in range(2):
            assert [r.trust_ods for r in _PREPARED_BY_ODS.rows(uow.connection, both)] == ["RUR"]
    # a driver's error is SQLAlchemy's, as from execute, and the connection goes on
    number = PreparedQuery.of_sql("plr_test_number", "SELECT $1::int AS n", ["n"], [sa.column("n", sa.Integer)])
    with engine.connect() as connection:
        with pytest.raises(sa.exc.DataError):
            number.rows(connection, {"n": "x"})
        connection.rollback()
        assert number.rows(connection, {"n": "7"}) == [(7,)]


def test_a_prepared_query_run_on_a_session_that_lost_it_replaces_the_session(stack: PlrStack) -> None:
    both = {"first": "RUV", "second": "RUW"}
    with _uow(stack, "RUV") as setup:
        setup.probes.add(Probe("RUV"))
        setup.commit()
    engine = stack.engine(SERVICE)
    with engine.connect() as connection:
        with connection.begin():
            apply_scope(connection, TenantScope.trust("RUV"))
            assert _PREPARED_BY_ODS.run(connection, both).scalars().all() == ["RUV"]
        connection.exec_driver_sql("DEALLOCATE plr_test_trusts_by_ods")
        connection.commit()
        with pytest.raises(sa.exc.OperationalError) as failed, connection.begin():
            apply_scope(connection, TenantScope.trust("RUV"))
            _PREPARED_BY_ODS.run(connection, both)
        assert failed.value.connection_invalidated or connection.invalidated
    with engine.connect() as connection, connection.begin():  # the retry prepares it on a new session
        apply_scope(connection, TenantScope.trust("RUV"))
        assert _PREPARED_BY_ODS.run(connection, both).scalars().all() == ["RUV"]


def test_a_prepared_query_refuses_what_it_cannot_prepare() -> None:
    with pytest.raises(ValueError, match="name"):
        PreparedQuery("drop table; --", _BY_ODS)
    with pytest.raises(ValueError, match="literal %"):
        PreparedQuery(
            "plr_test_like", sa.select(trusts.c.trust_ods).where(trusts.c.name.like(sa.literal_column("'a%'")))
        )
