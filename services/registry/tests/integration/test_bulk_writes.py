"""The set-based writes of a bulk import: many rows in a statement or a few, never one per row, and
the same rows as one by one."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import psycopg2
import psycopg2.extensions
import sqlalchemy as sa

from services.common.bulk_insert import BULK_FROM
from services.common.tenancy import TenantScope
from services.registry.adapters.tables import change_history
from services.registry.adapters.unit_of_work import SqlUnitOfWork
from services.registry.domain.history import Actor, Change
from services.registry.domain.known_details import KnownDetails
from tests.support.infra import PlrStack

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@contextmanager
def statements_sent(connection: sa.Connection) -> Iterator[list[str]]:
    """The statements sent on the connection's driver connection, SQLAlchemy's and the driver's own
    (``execute_values``): an executemany counts once per row (the driver sends each alone)."""
    sent: list[str] = []

    class Counting(psycopg2.extensions.cursor):  # type: ignore[misc]
        def execute(self, query: Any, variables: Any = None) -> Any:
            sent.append(query.decode() if isinstance(query, bytes) else str(query))
            return super().execute(query, variables)

        def executemany(self, query: Any, variables: Any) -> Any:
            variables = list(variables)
            sent.extend([str(query)] * len(variables))
            return super().executemany(query, variables)

    driver = connection.connection.dbapi_connection
    assert driver is not None
    driver.cursor_factory = Counting
    try:
        yield sent
    finally:
        driver.cursor_factory = None


def test_many_known_details_are_upserted_in_one_statement_the_last_of_a_person_winning(stack: PlrStack) -> None:
    trust = "RKD" + uuid.uuid4().hex[:2].upper()
    people = [str(uuid.uuid4()) for _ in range(300)]
    first = [KnownDetails(trust, p, f"Given{i}", "Family", f"p{i}@example.org", "", NOW) for i, p in enumerate(people)]
    with SqlUnitOfWork(stack.engine("registry"), TenantScope.platform_wide()) as uow:
        uow.known.put_many(first[:100])
        changed = KnownDetails(trust, people[0], "Changed", "Family", "p0@example.org", "0161", NOW)
        later = KnownDetails(trust, people[1], "Later", "Family", "p1@example.org", "", NOW)
        with statements_sent(uow.connection) as sent:
            uow.known.put_many([changed, *first[1:], later])
        uow.commit()
    assert len([s for s in sent if "known_details" in s]) == 1
    with SqlUnitOfWork(stack.engine("registry"), TenantScope.platform_wide()) as uow:
        stored = uow.known.of_trust(trust, people)
    assert len(stored) == 300
    assert stored[people[0]] == changed
    assert stored[people[1]] == later
    assert stored[people[299]] == first[299]


def test_a_few_known_details_are_upserted_alike(stack: PlrStack) -> None:
    trust = "RKF" + uuid.uuid4().hex[:2].upper()
    person = str(uuid.uuid4())
    with SqlUnitOfWork(stack.engine("registry"), TenantScope.platform_wide()) as uow:
        uow.known.put(KnownDetails(trust, person, "First", "Family", "a@example.org", "", NOW))
        latest = KnownDetails(trust, person, "Latest", "Family", "a@example.org", "0161", NOW)
        uow.known.put_many([KnownDetails(trust, person, "Between", "Family", "a@example.org", "", NOW), latest])
        uow.commit()
    with SqlUnitOfWork(stack.engine("registry"), TenantScope.platform_wide()) as uow:
        assert uow.known.of_trust(trust, [person]) == {person: latest}


def test_many_changes_are_recorded_in_one_statement_as_a_few_are(stack: PlrStack) -> None:
    actor = Actor("trust", "key-1", "RCH1", "staff member", "corr-1", "ImportLeaders", "a reason", "evidence")
    few = [Change(str(uuid.uuid4()), ("given_name", "email"))]
    many = [Change(str(uuid.uuid4()), ("given_name",) if i % 2 else ()) for i in range(BULK_FROM)]
    with SqlUnitOfWork(stack.engine("registry"), TenantScope.platform_wide()) as uow:
        uow.history.record(actor, few)
        with statements_sent(uow.connection) as sent:
            uow.history.record(actor, many)
        uow.commit()
    assert len([s for s in sent if "change_history" in s]) == 1
    columns = [c for c in change_history.c if c.name not in ("entry_id", "at")]
    with SqlUnitOfWork(stack.engine("registry"), TenantScope.platform_wide()) as uow:
        stored = {
            r.leader_id: r
            for r in uow.connection.execute(
                sa.select(*columns).where(change_history.c.leader_id.in_([c.leader_id for c in few + many]))
            )
        }
    expected = ("trust", "key-1", "staff member", "RCH1", "corr-1", "ImportLeaders")
    for change in few + many:
        row = stored[change.leader_id]
        assert (row.principal_kind, row.principal, row.staff, row.trust_ods, row.correlation_id, row.method) == expected
        assert (row.reason, row.evidence, tuple(row.fields)) == ("a reason", "evidence", change.fields)
