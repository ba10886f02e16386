"""Many rows in a few statements, without SQLAlchemy's per-row work: the weekly re-rank's rows.

A Core `insert(table)` given a list of rows builds a parameter dict per row
and runs each column's type processing per value; for a statement of 2,000
rows (P3: a page of pooled accounts) that is most of the time spent. On
SQLite, an INSERT that must hand back the new ids in the rows' order is
even sent one row per statement: SQLAlchemy cannot rely on RETURNING's order
there.

On SQLite, `insert_rows` and `update_rows` store the same values with the
same SQL: each column's own bind processor (the JSON and UTC datetime types
included) is applied column by column, once per distinct value object (a
page's `now` is processed once, not 2,000 times), and the rows go to the
driver as tuples in one `executemany`. `insert_rows(..., ids=True)` is one
multi-row INSERT ... RETURNING per chunk, whose new rowids grow in the order
of the VALUES (one statement, one writer), so the ids sorted are the rows'
ids in order. On PostgreSQL both are SQLAlchemy's Core statements, as before
(its ordered batches are already many rows a statement there).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, bindparam, insert, update

__all__ = ["insert_rows", "update_rows"]

_SQLITE_VARIABLES = 32766
"""SQLite's limit on a statement's parameters (since 3.32)."""


def _head(connection: Connection, table: Table, names: Sequence[str]) -> tuple[str, list[str]]:
    """The table's name and the columns' names as the dialect quotes them.

    A column left out must have no client-side default: these statements
    fill none in.
    """
    missing = [c.name for c in table.c if c.name not in names and c.default is not None]
    if missing:
        raise ValueError(
            f"{table.name}: give {', '.join(missing)} (their defaults are not applied)"
        )
    quote = connection.dialect.identifier_preparer
    return quote.format_table(table), [quote.quote(name) for name in names]


def _columns(
    connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]], names: Sequence[str]
) -> list[list[Any]]:
    """Each column's values as the driver takes them, processed by the column's own type."""
    out: list[list[Any]] = []
    for name in names:
        process: Callable[[Any], Any] | None = table.c[name].type._cached_bind_processor(
            connection.dialect
        )
        values = [row[name] for row in rows]
        if process is not None:
            done: dict[int, tuple[Any, Any]] = {}
            processed = []
            for value in values:
                seen = done.get(id(value))
                if seen is None or seen[0] is not value:
                    seen = (value, process(value))
                    done[id(value)] = seen
                processed.append(seen[1])
            values = processed
        out.append(values)
    return out


def insert_rows(
    connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]], *, ids: bool = False
) -> list[int]:
    """INSERT `rows` (dicts with the same keys) into `table`; with `ids`, their new ids in order.

    The values stored are the ones `insert(table)` would store (see the
    module docstring). Without `ids`, returns [].
    """
    if not rows:
        return []
    names = list(rows[0])
    if connection.dialect.name != "sqlite":
        if not ids:
            connection.execute(insert(table), list(rows))
            return []
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list(connection.execute(statement, list(rows)).scalars())
    missing = [c.name for c in table.c if c.name not in names and c.default is not None]
    if missing:  # this INSERT fills no client-side default in
        raise ValueError(f"{table.name}: give {', '.join(missing)}: defaults are not applied")
    name, quoted = _head(connection, table, names)
    head = f"INSERT INTO {name} ({', '.join(quoted)}) VALUES "  # noqa: S608 - names quoted
    one = "(" + ", ".join(["?"] * len(names)) + ")"
    tuples = list(zip(*_columns(connection, table, rows, names), strict=True))
    if not ids:
        connection.exec_driver_sql(head + one, tuples)
        return []
    found: list[int] = []
    size = max(1, _SQLITE_VARIABLES // len(names))
    for start in range(0, len(tuples), size):
        chunk = tuples[start : start + size]
        sql = head + ", ".join([one] * len(chunk)) + " RETURNING id"
        flat = tuple(value for row in chunk for value in row)
        found += sorted(row[0] for row in connection.exec_driver_sql(sql, flat))
    return found


def update_rows(
    connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]], *, key: str
) -> None:
    """UPDATE `table` row by row, matched on the column `key`; rows are dicts with the same keys.

    Sets every other key's column; one `executemany`, values processed as
    `update(table)` would (see the module docstring).
    """
    if not rows:
        return
    names = [name for name in rows[0] if name != key]
    if connection.dialect.name != "sqlite":
        statement = (
            update(table)
            .where(table.c[key] == bindparam(f"b_{key}"))
            .values({name: bindparam(f"b_{name}") for name in names})
        )
        connection.execute(statement, [{f"b_{k}": v for k, v in row.items()} for row in rows])
        return
    name, quoted = _head(connection, table, [*names, key])
    sets = ", ".join(f"{column} = ?" for column in quoted[:-1])
    sql = f"UPDATE {name} SET {sets} WHERE {quoted[-1]} = ?"  # noqa: S608 - names quoted
    columns = _columns(connection, table, rows, [*names, key])
    connection.exec_driver_sql(sql, list(zip(*columns, strict=True)))
