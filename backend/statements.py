"""The statements every request of the fleet runs (the signer's key, the write counted,
the nonce, the heartbeat's update, a batch's records), run on the database driver's
own cursor, in the caller's transaction.

Each is a SQLAlchemy Core statement, compiled once per dialect to its SQL text; what
SQLAlchemy does around every execution (the cache key, the execution context, the
result object, insertmanyvalues for a batch) cost a heartbeat more than the
statements themselves (bench/backend_cost.py). The rest stays SQLAlchemy's: the
SQL, the types (JSON values are sent as JSON text, as SQLAlchemy's JSON type sends
them), the transaction and its commit, and the errors (a driver's error is raised as
SQLAlchemy's, e.g. `sqlalchemy.exc.IntegrityError` for a unique key taken, without
the statement's values: a batch carries personal data).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.expression import ClauseElement


@dataclass(frozen=True)
class _Compiled:
    sql: str
    positions: tuple[str, ...] | None  # the parameters' order (SQLite's ?), else by name
    fixed: dict[str, Any]  # values the statement itself binds (e.g. count = 1)
    json: frozenset[str]  # parameters of JSON columns


class Statement:
    """A Core statement run on the driver's cursor. `columns`: an INSERT's columns, as
    its rows give them (else every column of the table would be a parameter).
    `expanding`: the name of an `IN` list's parameter (`bindparam(..., expanding=True)`),
    compiled once for each length it comes in."""

    def __init__(
        self,
        statement: ClauseElement,
        columns: Sequence[str] | None = None,
        expanding: str | None = None,
    ) -> None:
        self.statement = statement
        self.columns = list(columns) if columns is not None else None
        self.expanding = expanding
        self._by_dialect: dict[tuple[str, int], _Compiled] = {}

    def rows(self, connection: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run once; the rows it returns (none for a statement that returns none)."""
        length = len(params[self.expanding]) if self.expanding is not None else 0
        compiled = self._compiled(connection.dialect, length)
        cursor = _cursor(connection)
        try:
            cursor.execute(compiled.sql, self._values(compiled, params))
            return list(cursor.fetchall()) if cursor.description else []
        except connection.dialect.loaded_dbapi.Error as exc:
            raise _as_sqlalchemys(connection, exc, cursor, compiled.sql) from exc

    def first_of_each(
        self, connection: Connection, params: Sequence[Mapping[str, Any]]
    ) -> list[Any]:
        """Run once per row of `params`, in their order: the first value each returned
        (an INSERT's RETURNING of its new key), None for a run that returned nothing. One
        round trip on PostgreSQL (psycopg's pipeline); SQLite is in the process, a
        statement a row costs it little."""
        compiled = self._compiled(connection.dialect)
        values = [self._values(compiled, row) for row in params]
        cursor = _cursor(connection)
        try:
            if connection.dialect.name != "postgresql":
                found = []
                for row in values:
                    cursor.execute(compiled.sql, row)
                    found.append(_first(next(iter(cursor.fetchall()), None)))  # done: reset
                return found
            cursor.executemany(compiled.sql, values, returning=True)
            found = [_first(cursor.fetchone())]
            while cursor.nextset():
                found.append(_first(cursor.fetchone()))
            return found
        except connection.dialect.loaded_dbapi.Error as exc:
            raise _as_sqlalchemys(connection, exc, cursor, compiled.sql) from exc

    def _compiled(self, dialect: Dialect, length: int = 0) -> _Compiled:
        found = self._by_dialect.get((dialect.name, length))
        if found is None:
            statement = self.statement
            if self.expanding is not None:  # IN (?, ?, ...): the list's items by name_1...
                statement = statement.params({self.expanding: [None] * length})
            compiled: Any = statement.compile(
                dialect=dialect,
                column_keys=self.columns,
                compile_kwargs={"render_postcompile": self.expanding is not None},
            )
            names = compiled.bind_names.items()  # each parameter and its name in the SQL
            found = _Compiled(
                sql=str(compiled),
                positions=tuple(compiled.positiontup) if compiled.positiontup else None,
                fixed={name: bind.effective_value for bind, name in names if not bind.required},
                json=frozenset(name for bind, name in names if isinstance(bind.type, JSON)),
            )
            self._by_dialect[dialect.name, length] = found
        return found

    def _values(self, compiled: _Compiled, params: Mapping[str, Any]) -> Any:
        values = {**compiled.fixed, **params}
        if self.expanding is not None:
            items = values.pop(self.expanding)
            values.update((f"{self.expanding}_{n}", item) for n, item in enumerate(items, 1))
        for name in compiled.json:  # as SQLAlchemy's JSON type: None is JSON's null
            if name in values:
                values[name] = json.dumps(values[name])
        if compiled.positions is None:
            return values
        return [values[name] for name in compiled.positions]


def _first(row: Any) -> Any:
    return None if row is None else row[0]


def _cursor(connection: Connection) -> Any:
    """The cursor of the connection's driver (in the connection's transaction): made
    once and kept with the pooled connection, for every statement it runs after. (A
    cursor made and closed for each statement was a quarter of a statement's CPU on
    psycopg.) The pool forgets it with the driver's connection, when that is replaced."""
    pooled = connection.connection
    driver = pooled.dbapi_connection
    assert driver is not None  # the connection is open: its transaction runs on it
    kept = pooled.info.get(_CURSOR)
    if kept is None or kept[0] is not driver:
        kept = pooled.info[_CURSOR] = (driver, driver.cursor())
    return kept[1]


_CURSOR = "kiosk_cursor"  # (the driver's connection, its cursor) in the pool's record


def _as_sqlalchemys(connection: Connection, exc: Any, cursor: Any, sql: str) -> Exception:
    """The driver's error as SQLAlchemy would raise it, without the statement's values
    (a batch's carry personal data); a connection found lost is dropped from the pool,
    as SQLAlchemy does."""
    dialect = connection.dialect
    lost = dialect.is_disconnect(exc, connection.connection.dbapi_connection, cursor)
    if lost:
        connection.invalidate(exc)
    error = dialect.loaded_dbapi.Error
    return DBAPIError.instance(sql, None, exc, error, connection_invalidated=lost)
