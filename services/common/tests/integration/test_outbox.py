"""The outbox stages events in the caller's transaction, one row each, in order, whether a commit has
one event (through SQLAlchemy) or a bulk import's thousands (set-based through the driver)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from services.common.bulk_insert import BULK_FROM
from services.common.db import PreparedQuery, is_database_fault, scoped_transaction
from services.common.events import CloudEvent, InvalidEvent
from services.common.outbox import COLUMNS as OUTBOX_COLUMNS
from services.common.outbox import add_to_outbox
from services.common.platform_tables import outbox
from services.common.tenancy import TenantScope
from tests.support.infra import PlrStack

pytestmark = pytest.mark.integration


def onboarded(ods: str, version: int = 1) -> CloudEvent:
    return CloudEvent(
        type="plr.registry.trust.onboarded.v1",
        source="plr/registry",
        data={"ods": ods, "name": f"{ods} Trust"},
        aggregate_type="trust",
        aggregate_id=ods,
        aggregate_version=version,
        trust_ods=ods,
    )


def staged(stack: PlrStack, ids: list[str]) -> list[tuple[str, str, int]]:
    with stack.engine("matching", "owner").connect() as connection:
        rows = connection.execute(
            sa.select(outbox.c.event_id, outbox.c.payload, outbox.c.aggregate_version)
            .where(outbox.c.event_id.in_(ids))
            .order_by(outbox.c.id)
        ).all()
    return [(r.event_id, r.payload, r.aggregate_version) for r in rows]


@pytest.mark.parametrize("count", [1, BULK_FROM - 1, BULK_FROM, 2_500])
def test_every_event_is_staged_once_in_order_with_its_exact_bytes(stack: PlrStack, count: int) -> None:
    events = [onboarded(f"O{count % 97:02d}", version) for version in range(1, count + 1)]
    with scoped_transaction(stack.engine("matching"), TenantScope.platform_wide()) as connection:
        assert add_to_outbox(connection, events) == count

    rows = staged(stack, [e.id for e in events])
    assert [r[0] for r in rows] == [e.id for e in events]
    assert [r[1] for r in rows] == [e.to_json().decode() for e in events]
    assert [r[2] for r in rows] == list(range(1, count + 1))


@pytest.mark.parametrize("count", [1, BULK_FROM])
def test_a_rolled_back_transaction_stages_nothing(stack: PlrStack, count: int) -> None:
    events = [onboarded("RBK", version) for version in range(1, count + 1)]
    with stack.engine("matching").connect() as connection:
        transaction = connection.begin()
        add_to_outbox(connection, events)
        transaction.rollback()
    assert staged(stack, [e.id for e in events]) == []


def test_one_invalid_event_in_a_bulk_stages_none_of_them(stack: PlrStack) -> None:
    events = [onboarded("RBD", version) for version in range(1, BULK_FROM + 5)]
    events[-1] = CloudEvent(**{**events[-1].__dict__, "data": {"ods": "RBD"}})  # its name is missing
    with pytest.raises(InvalidEvent), scoped_transaction(stack.engine("matching"), TenantScope.platform_wide()) as c:
        add_to_outbox(c, events)
    assert staged(stack, [e.id for e in events]) == []


def test_a_payload_s_quotes_percents_and_backslashes_are_staged_exactly(stack: PlrStack) -> None:
    # the events of a commit go to the driver as one query of EXECUTEs, each value quoted by the driver
    names = ["100% O'Brien \\ \"NHS\" %(event_id_0)s; DROP TABLE outbox; --", "Ysbyty Gŵyr 病院 ✓ %s %%", "\\x00 '' $1"]
    events = [
        CloudEvent(**{**onboarded("PCT", version).__dict__, "data": {"ods": "PCT", "name": name}})
        for version, name in enumerate(names, start=1)
    ]
    for batch in (events[:1], events[1:]):
        with scoped_transaction(stack.engine("matching"), TenantScope.platform_wide()) as connection:
            add_to_outbox(connection, batch)
    assert [r[1] for r in staged(stack, [e.id for e in events])] == [e.to_json().decode() for e in events]


def test_the_insert_is_prepared_once_per_connection_and_again_on_a_new_one(stack: PlrStack) -> None:
    engine = stack.engine("matching")
    sent: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    events = [onboarded("PRP", version) for version in range(1, 8)]
    try:
        engine.dispose()  # no pooled session: this connection's is new, and so is the one after invalidate()
        with engine.connect() as connection:
            for event in events[:3]:
                with connection.begin():
                    add_to_outbox(connection, [event])
            with connection.begin():  # a rollback does not undo the PREPARE
                add_to_outbox(connection, [onboarded("PRX", 1)])
                connection.rollback()
            with connection.begin():
                add_to_outbox(connection, events[3:5])  # two in one round trip
            connection.invalidate()  # as a lost connection is: the next is a new session
            with connection.begin():
                add_to_outbox(connection, events[5:])
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    prepares = [s for s in sent if s.startswith("PREPARE plr_stage_event")]
    runs = [s for s in sent if "EXECUTE plr_stage_event" in s]
    assert len(prepares) == 2, sent
    assert len(runs) == 6 and runs[4].count("EXECUTE plr_stage_event") == 2
    assert [r[0] for r in staged(stack, [e.id for e in events])] == [e.id for e in events]
    assert staged(stack, [onboarded("PRX", 1).id]) == []


@pytest.mark.parametrize("forget", ["DEALLOCATE plr_stage_event", "DISCARD ALL"])
def test_a_session_that_lost_the_prepared_insert_is_replaced_and_the_retry_stages(stack: PlrStack, forget: str) -> None:
    # an administrator's DEALLOCATE or DISCARD ALL (or a pooler that moves transactions between sessions)
    # takes the statement from under the pool: the write fails as an outage, and is not stuck on that session
    engine = stack.engine("matching")
    ods = "PLD" if forget.startswith("DEALLOCATE") else "PLA"
    first, second = onboarded(ods, 1), onboarded(ods, 2)
    with engine.connect() as connection:
        with connection.begin():
            add_to_outbox(connection, [first])
        driver = connection.connection.dbapi_connection
        assert driver is not None
        driver.autocommit = True  # DISCARD ALL runs outside a transaction only
        cursor = driver.cursor()
        cursor.execute(forget)
        cursor.close()
        driver.autocommit = False
        with pytest.raises(sa.exc.OperationalError) as failed, connection.begin():
            add_to_outbox(connection, [second])
        assert is_database_fault(failed.value) and failed.value.connection_invalidated
    with engine.connect() as connection, connection.begin():  # the caller's retry
        add_to_outbox(connection, [second])
    assert [r[0] for r in staged(stack, [first.id, second.id])] == [first.id, second.id]


def test_two_prepared_statements_cannot_share_a_name() -> None:
    with pytest.raises(ValueError, match="another prepared query has this name"):
        PreparedQuery("plr_stage_event", sa.select(outbox.c.id).where(outbox.c.event_id == sa.bindparam("event_id")))
    # the same statement again is the same prepared query
    PreparedQuery("plr_stage_event", outbox.insert().inline().values({c: sa.bindparam(c) for c in OUTBOX_COLUMNS}))
