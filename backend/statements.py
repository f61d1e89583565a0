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
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import PoolProxiedConnection
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
            raise _as_sqlalchemys(
                connection, connection.dialect, exc, cursor, compiled.sql
            ) from exc

    def first_of_each(
        self, connection: Connection, params: Sequence[Mapping[str, Any]]
    ) -> list[Any]:
        """Run once per row of `params`, in their order: the first value each returned
        (an INSERT's RETURNING of its new key), None for a run that returned nothing.
        For SQLite, in the process, where a statement a row costs little (PostgreSQL
        takes a batch's rows as one parameter: backend/records.py `_all_new`)."""
        compiled = self._compiled(connection.dialect)
        cursor = _cursor(connection)
        try:
            found = []
            for row in params:
                cursor.execute(compiled.sql, self._values(compiled, row))
                found.append(_first(next(iter(cursor.fetchall()), None)))  # done: reset
            return found
        except connection.dialect.loaded_dbapi.Error as exc:
            raise _as_sqlalchemys(
                connection, connection.dialect, exc, cursor, compiled.sql
            ) from exc

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


class Script:
    """Statements run in order in one transaction on an `Alone` connection, by dialect:
    on PostgreSQL, one statement (its steps as data-modifying CTEs); on SQLite, which
    has no writes in a WITH, its steps one after another. A statement that returns
    columns but no row ends it, nothing of it kept."""

    def __init__(self, by_dialect: Mapping[str, Sequence[Statement]]) -> None:
        assert len(by_dialect.get("postgresql", ())) <= 1  # its one statement: no BEGIN
        self.by_dialect = {name: list(steps) for name, steps in by_dialect.items()}


class Alone:
    """One connection of `engine`'s, taken out of its pool (detached: its settings go
    nowhere else), for the quick paths of telemetry (backend/auth.py `quick_path`), run
    by one thread, the event loop: no ORM session, no check-out from the pool, no
    worker thread (bench/backend_cost.py). Its commits do not wait for the disk
    (backend/db.py `without_waiting_for_the_disk`: telemetry only).
    - PostgreSQL: in autocommit, a script's one statement its own transaction: no BEGIN
      or COMMIT, two round trips each a statement's CPU. A lock it would wait for
      longer than `lock_wait_ms`, or a statement running longer than `run_ms`, ends
      it, nothing written, with SQLAlchemy's error: the event loop does not wait out
      another request's transaction. A connection found lost is made anew.
    - SQLite: its steps between BEGIN IMMEDIATE and COMMIT. SQLite writes one
      transaction at a time: like the whole check there (backend/app.py), it waits
      for another writer's commit on the loop (the busy timeout)."""

    def __init__(self, engine: Engine, lock_wait_ms: int = 5, run_ms: int = 250) -> None:
        self._engine = engine
        self._postgresql = engine.dialect.name == "postgresql"
        self._settings = (
            f"SET lock_timeout = {lock_wait_ms}; SET statement_timeout = {run_ms}; "
            "SET synchronous_commit = off"
            if self._postgresql else "PRAGMA synchronous=NORMAL"
        )  # fmt: skip
        self._pooled: PoolProxiedConnection | None = None
        self._cursor: Any = None

    def rows(self, script: Script, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """`script` run once, and committed: the rows of its last statement that
        returns columns; none, and nothing kept, when one returned no row."""
        dialect = self._engine.dialect
        pooled = self._pooled
        if pooled is None or pooled.dbapi_connection is None:  # the first, or one lost
            pooled = self._connect()
        cursor, sql = self._cursor, None
        try:
            if not self._postgresql:
                cursor.execute("BEGIN IMMEDIATE")
            found: list[tuple[Any, ...]] = []
            for statement in script.by_dialect[dialect.name]:
                compiled = statement._compiled(dialect)
                sql = compiled.sql
                cursor.execute(sql, statement._values(compiled, params))
                if cursor.description:
                    found = list(cursor.fetchall())
                    if not found:
                        break
            if not self._postgresql:
                cursor.execute("COMMIT" if found else "ROLLBACK")
            return found
        except dialect.loaded_dbapi.Error as exc:
            if not self._postgresql and cursor.connection.in_transaction:
                cursor.execute("ROLLBACK")
            raise _as_sqlalchemys(pooled, dialect, exc, cursor, sql or "BEGIN") from exc

    def _connect(self) -> PoolProxiedConnection:
        self.close()
        pooled = self._engine.raw_connection()
        driver: Any = pooled.driver_connection
        pooled.detach()
        error = self._engine.dialect.loaded_dbapi.Error
        try:
            if self._postgresql:
                driver.autocommit = True
            else:  # its transactions begun and ended by `rows`
                driver.isolation_level = None
            driver.execute(self._settings)
            self._cursor = driver.cursor()
        except error as exc:  # never used without its settings
            pooled.close()
            raise DBAPIError.instance(self._settings, None, exc, error) from exc
        self._pooled = pooled
        return pooled

    def close(self) -> None:
        pooled, self._pooled = self._pooled, None
        if pooled is not None:
            pooled.close()


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


def _as_sqlalchemys(
    connection: Connection | PoolProxiedConnection,
    dialect: Dialect,
    exc: Any,
    cursor: Any,
    sql: str,
) -> Exception:
    """The driver's error as SQLAlchemy would raise it, without the statement's values
    (a batch's carry personal data); a connection found lost is dropped from the pool,
    as SQLAlchemy does."""
    pooled = connection.connection if isinstance(connection, Connection) else connection
    lost = dialect.is_disconnect(exc, pooled.dbapi_connection, cursor)
    if lost:
        connection.invalidate(exc)
    error = dialect.loaded_dbapi.Error
    return DBAPIError.instance(sql, None, exc, error, connection_invalidated=lost)
