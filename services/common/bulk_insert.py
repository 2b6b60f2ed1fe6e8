"""Many rows in one INSERT, sent as one JSON document: a bulk writer's set-based statement.

psycopg2's ``execute_values`` renders every value as an SQL literal in Python (``mogrify``: ~60% of
the CPU of a bulk import's writes) and the server then parses each of those literals. Here the rows go
as one JSON array of arrays (the json module's C encoder) in one parameter; the server parses it once
(``jsonb``) and casts each cell to its column's type. The statement is an ``INSERT ... SELECT``, so
row-level security's WITH CHECK applies as to any insert, in the caller's transaction and scope:
``COPY FROM`` is refused on a table with row security, and the application role may not create the
temporary table a COPY would stage in (``bootstrap_database`` grants it CONNECT only).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

_DIALECT = postgresql.dialect()

# past this many rows in one commit (a bulk import's batch), writers go set-based through the driver
# (insert_rows_in): SQLAlchemy's executemany processes each row's parameters in Python and costs a bulk
# import ~10%; below it, SQLAlchemy's statement saves the scoping round trip
BULK_FROM = 50


def _cell(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"a bulk row's cell of type {type(value).__name__} has no JSON form here")


def _cast(index: int, column: sa.Column[Any]) -> str:
    """The cell as the column's type: text cast (a JSON null is NULL); an array from a JSON array."""
    type_name = column.type.compile(dialect=_DIALECT)
    if isinstance(column.type, sa.ARRAY):
        item = column.type.item_type.compile(dialect=_DIALECT)
        return (
            f"CASE WHEN jsonb_typeof(r->{index}) = 'array' "
            f"THEN ARRAY(SELECT jsonb_array_elements_text(r->{index}))::{item}[] END"
        )
    return f"(r->>{index})::{type_name}"


@lru_cache(maxsize=64)
def insert_statement(table: sa.Table, columns: tuple[str, ...], then: str = "") -> str:
    """``INSERT INTO table (columns) SELECT <each cell cast> FROM <the rows> [then]``, with one
    parameter: the JSON array of the rows (``rows_document``). ``then``: an ``ON CONFLICT`` clause."""
    casts = ", ".join(_cast(i, table.c[name]) for i, name in enumerate(columns))
    return (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"SELECT {casts} FROM jsonb_array_elements(%s::jsonb) AS r {then}"
    ).rstrip()


def rows_document(rows: list[tuple[Any, ...]]) -> str:
    """The rows as one JSON array of arrays: strings as they are (any character), None as null,
    datetimes and dates in ISO 8601 (with their offset), lists as arrays."""
    return json.dumps(rows, default=_cell, ensure_ascii=False, separators=(",", ":"))


def insert_rows(
    cursor: Any, table: sa.Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]], then: str = ""
) -> None:
    """Insert the rows (each a tuple in the order of ``columns``) with one statement, on the driver's
    cursor (in its connection's transaction)."""
    if rows:
        cursor.execute(insert_statement(table, columns, then), (rows_document(rows),))


def insert_rows_in(
    connection: Connection, table: sa.Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]], then: str = ""
) -> None:
    """``insert_rows`` in the connection's transaction, as scoped as any statement of it: a statement
    through SQLAlchemy first, so that a unit of work scopes the transaction (it does so as the
    transaction's first statement runs); the driver's cursor then shares it."""
    if not rows:
        return
    connection.execute(sa.select(sa.literal(1)))
    cursor = connection.connection.cursor()
    try:
        insert_rows(cursor, table, columns, rows, then)
    finally:
        cursor.close()
