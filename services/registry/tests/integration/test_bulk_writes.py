"""The set-based writes of a bulk import: many rows in a statement or a few, never one per row, and
the same rows as one by one."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from services.common.tenancy import TenantScope
from services.registry.adapters.tables import known_details
from services.registry.adapters.unit_of_work import SqlUnitOfWork
from services.registry.domain.known_details import KnownDetails
from tests.support.infra import PlrStack

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@contextmanager
def statements_sent(connection: sa.Connection) -> Iterator[list[str]]:
    """The statements the driver is asked to run: an executemany of a list counts once per row (the
    driver sends each alone); SQLAlchemy's multi-row VALUES ("insertmanyvalues") once per page."""
    sent: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        sent.extend([statement] * (len(params) if executemany and isinstance(params, list | tuple) else 1))

    sa.event.listen(connection, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        sa.event.remove(connection, "before_cursor_execute", count)


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
    assert len(sent) == 1
    with SqlUnitOfWork(stack.engine("registry"), TenantScope.platform_wide()) as uow:
        stored = uow.known.of_trust(trust, people)
    assert len(stored) == 300
    assert stored[people[0]] == changed
    assert stored[people[1]] == later
    assert stored[people[299]] == first[299]
