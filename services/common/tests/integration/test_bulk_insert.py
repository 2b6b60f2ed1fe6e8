"""A bulk writer's rows sent as one JSON document arrive exactly as given (any character, NULLs, every
column type a bulk writer uses), and row-level security's WITH CHECK still refuses a row outside the
transaction's scope."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import psycopg2
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from services.common.bulk_insert import insert_rows
from services.common.db import SCOPE_SQL, scope_parameters
from services.common.tenancy import TenantScope, rls_predicate
from tests.support.infra import PlrStack

pytestmark = pytest.mark.integration

probe = sa.Table(
    "bulk_insert_probe",
    sa.MetaData(),
    sa.Column("probe_id", postgresql.UUID(as_uuid=False), primary_key=True),
    sa.Column("trust_ods", sa.Text, nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("count", sa.BigInteger),
    sa.Column("flag", sa.Boolean),
    sa.Column("at", sa.DateTime(timezone=True)),
    sa.Column("on_day", sa.Date),
    sa.Column("document", postgresql.JSONB),
    sa.Column("words", postgresql.ARRAY(sa.Text)),
)
COLUMNS = tuple(c.name for c in probe.c)

AWKWARD = [
    "tab\there",
    "new\nline and\r\nreturn",
    "back\\slash \\N \\t \\\\",
    "quotes ' \" and ; -- %s %(x)s",
    "ünïcödé: Zoë Ó Súilleabháin, 汉字, emoji 🙂, right-to-left שלום",
    "",
    " leading and trailing ",
    "\\",
    "null",
    "{a,b}",
]


@pytest.fixture
def cursor(stack: PlrStack) -> Iterator[Any]:
    """A cursor of the owner (subject to the forced row security, as the application role is) in a
    transaction scoped to trust RBI, on a probe table made in it and rolled back with it."""
    raw = stack.engine("matching", "owner").raw_connection()
    c: Any = raw.cursor()
    try:
        c.execute(str(sa.schema.CreateTable(probe).compile(dialect=postgresql.dialect())))
        c.execute("ALTER TABLE bulk_insert_probe ENABLE ROW LEVEL SECURITY")
        c.execute("ALTER TABLE bulk_insert_probe FORCE ROW LEVEL SECURITY")
        predicate = rls_predicate()
        c.execute(f"CREATE POLICY probe_tenant ON bulk_insert_probe USING {predicate} WITH CHECK {predicate}")
        c.execute(SCOPE_SQL, scope_parameters(TenantScope.trust("RBI")))
        yield c
    finally:
        raw.rollback()
        raw.close()


def test_every_character_null_and_type_arrives_as_given(cursor: Any) -> None:
    at = datetime(2026, 12, 2, 16, 30, 1, 123456, tzinfo=UTC)
    rows = [
        (
            str(uuid.uuid4()),
            "RBI",
            text,
            2**40 + i,
            i % 2 == 0,
            at + timedelta(minutes=i),
            date(2026, 1, 1 + i),
            f'{{"text": {i}, "nested": ["a\\tb"]}}',
            [text, "plain", ""],
        )
        for i, text in enumerate(AWKWARD)
    ]
    empty: tuple[Any, ...] = (str(uuid.uuid4()), "RBI", None, None, None, None, None, None, None)
    elsewhere = datetime(2026, 6, 1, 9, 0, tzinfo=timezone(timedelta(hours=1)))
    offset: tuple[Any, ...] = (str(uuid.uuid4()), "RBI", "offset", 0, False, elsewhere, None, "[]", [])
    insert_rows(cursor, probe, COLUMNS, [*rows, empty, offset])

    cursor.execute(f"SELECT {', '.join(COLUMNS)} FROM bulk_insert_probe")
    stored = {str(r[0]): (str(r[0]), *r[1:]) for r in cursor.fetchall()}
    for row in rows:
        got = stored[row[0]]
        assert got[:7] == row[:7]
        assert got[7] == {"text": row[3] - 2**40, "nested": ["a\tb"]}
        assert got[8] == row[8]
    assert stored[empty[0]] == empty
    assert stored[offset[0]][5] == elsewhere
    assert stored[offset[0]][7:] == ([], [])


def test_on_conflict_follows_the_rows(cursor: Any) -> None:
    probe_id = str(uuid.uuid4())
    insert_rows(cursor, probe, ("probe_id", "trust_ods", "note"), [(probe_id, "RBI", "first")])
    insert_rows(
        cursor,
        probe,
        ("probe_id", "trust_ods", "note"),
        [(probe_id, "RBI", "second")],
        then="ON CONFLICT (probe_id) DO UPDATE SET note = excluded.note",
    )
    cursor.execute("SELECT note FROM bulk_insert_probe WHERE probe_id = %s", (probe_id,))
    assert cursor.fetchall() == [("second",)]


def test_row_security_refuses_a_row_outside_the_scope_and_so_the_whole_statement(cursor: Any) -> None:
    rows = [(str(uuid.uuid4()), "RBI", "ours"), (str(uuid.uuid4()), "RZZ", "another trust's")]
    with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="row-level security"):
        insert_rows(cursor, probe, ("probe_id", "trust_ods", "note"), rows)


def test_a_cell_without_a_json_form_is_refused_before_anything_is_sent(cursor: Any) -> None:
    with pytest.raises(TypeError, match="object"):
        insert_rows(cursor, probe, ("probe_id", "trust_ods", "note"), [(str(uuid.uuid4()), "RBI", object())])
