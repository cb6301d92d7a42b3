"""Inserting many rows of one table at once, through the driver's executemany.

`session.execute(insert(table), rows)` builds and converts every row's parameters in
Python, one bound value at a time, and that cost more than the database's own work when
writing a large import. Here the statement is compiled once per batch, each column's
conversion (enums, dates, JSON) is looked up once, and the rows go to the driver as
plain tuples, in the session's transaction.
"""

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import Column, Table, insert
from sqlalchemy.orm import Session


def insert_rows(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    json_text: Collection[str] = (),
) -> None:
    """Insert `rows` (all with the same keys, column names) into `table`.

    Columns a row leaves out get their Python-side default (one value for the batch, as
    for `created_at`), or else the database's; no ids come back. The JSON columns named
    in `json_text` are given as JSON text already (pydantic writes it several times
    faster than `json.dumps` of its plain data); every driver takes text for JSON.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    keys = list(rows[0])
    defaults = {
        column.key: _default(column)
        for column in table.columns
        if column.key not in keys and column.default is not None
    }
    names = keys + list(defaults)
    compiled = insert(table).compile(dialect=dialect, column_keys=names)
    convert: dict[str, Callable[[Any], Any] | None] = {
        name: None
        if name in json_text
        else table.columns[name].type.dialect_impl(dialect).bind_processor(dialect)
        for name in names
    }
    order = list(compiled.positiontup or names) if compiled.positional else names
    fixed = {name: _converted(convert[name], value) for name, value in defaults.items()}
    steps = [(name, convert[name], fixed.get(name), name in fixed) for name in order]
    values = [
        [
            constant if is_fixed else (process(row[name]) if process else row[name])
            for name, process, constant, is_fixed in steps
        ]
        for row in rows
    ]
    parameters: list[Any] = (
        [tuple(row) for row in values]
        if compiled.positional
        else [dict(zip(order, row, strict=True)) for row in values]
    )
    connection.exec_driver_sql(compiled.string, parameters)


def _default(column: Column[Any]) -> Any:
    default: Any = column.default
    if default.is_callable:
        return default.arg(None)
    if default.is_scalar:
        return default.arg
    raise ValueError(f"{column} has a default bulk inserts cannot compute")


def _converted(process: Callable[[Any], Any] | None, value: Any) -> Any:
    return process(value) if process else value
