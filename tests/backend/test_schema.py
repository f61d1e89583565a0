"""The OpenAPI document says every endpoint and every error; the Alembic chain makes
exactly the schema the models describe."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from fastapi.routing import APIRoute
from sqlalchemy import inspect

from backend import (
    cockpit,
    console,
    followups,
    forecast,
    gateway,
    records,
    services,
    sites,
    terminals,
)
from backend.auth import signed_call
from backend.db import MIGRATIONS, Base
from tests.backend.harness import Backend


def _dependencies(route: APIRoute) -> set[object]:
    found = set()
    stack = list(route.dependant.dependencies)
    while stack:
        dependency = stack.pop()
        found.add(dependency.call)
        stack.extend(dependency.dependencies)
    return found


def test_every_endpoint_and_its_refusals_are_documented(backend: Backend) -> None:
    document = backend.http.get("/openapi.json").json()
    routes = [
        route
        for module in (
            cockpit,
            console,
            followups,
            forecast,
            gateway,
            records,
            services,
            sites,
            terminals,
        )
        for route in module.router.routes
        if isinstance(route, APIRoute) and route.include_in_schema
    ]
    assert len(routes) >= 18
    wrong: list[str] = []
    for route in routes:
        for method in route.methods:
            operation = document["paths"][route.path_format][method.lower()]
            statuses = set(operation["responses"])
            where = f"{method} {route.path}"
            assert operation.get("description") or operation.get("summary"), where
            if signed_call in _dependencies(route):
                assert "401" in statuses, where
            if any(d.__qualname__.startswith("signed_in.") for d in _dependencies(route)):
                assert "403" in statuses, where
            if route.body_field is not None or route.dependant.query_params:
                assert "422" in statuses, where
            for status in statuses - {"200", "201", "204", "304"}:
                schema = operation["responses"][status]["content"]["application/json"]["schema"]
                if not schema["$ref"].endswith("/Problem"):  # what the handlers send
                    wrong.append(f"{where} {status}")
    assert wrong == []
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"code", "detail"}


def test_validation_errors_are_documented_as_problems(backend: Backend) -> None:
    document = backend.http.get("/openapi.json").json()
    enrol = document["paths"]["/v1/enrol"]["post"]["responses"]["422"]
    assert enrol["content"]["application/json"]["schema"]["$ref"].endswith("/Problem")


def test_the_migrations_make_the_models_schema(backend: Backend) -> None:
    with backend.app.state.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def _migrate(backend: Backend, direction: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with backend.app.state.engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, direction)(config, revision)


def _key_width(backend: Backend) -> int:
    columns = inspect(backend.app.state.engine).get_columns("terminals")
    return int(next(c for c in columns if c["name"] == "public_key")["type"].length)


@pytest.mark.parametrize("suite", ["intl"])
def test_0007_widens_the_key_column_under_enrolled_terminals_and_back(backend: Backend) -> None:
    """Terminals, and rows that refer to them, survive the widening both ways (on
    SQLite the table's statement is rewritten in place: no copy under the foreign keys)."""
    beat = {"terminal_time": backend.clock(), "software_version": "t", "outbox": {"depth": 0}}
    terminal = backend.enrol()
    assert terminal.call("POST", "/v1/heartbeat", beat).status_code == 200  # a nonce row
    assert _key_width(backend) == 96
    _migrate(backend, "downgrade", "0006")
    assert _key_width(backend) == 64
    _migrate(backend, "upgrade", "head")
    assert _key_width(backend) == 96
    assert terminal.call("POST", "/v1/heartbeat", beat).status_code == 200
    backend.app.state.crypto_suite = "gm"
    backend.enrol(suite="gm")  # a key of 90 characters: no way back below 0007
    with pytest.raises(RuntimeError, match="1 terminals hold gm"):
        _migrate(backend, "downgrade", "0006")
    assert _key_width(backend) == 96


def test_0009_keeps_terminals_and_their_staging_across_a_downgrade(backend: Backend) -> None:
    from backend.release_cli import listing, stage

    terminal = backend.enrol()
    engine = backend.app.state.engine
    stage(engine, "0.2.0", [terminal.id], backend.clock(), "ops")
    _migrate(backend, "downgrade", "0008")
    columns = {c["name"] for c in inspect(engine).get_columns("terminals")}
    assert "staged_version" not in columns
    _migrate(backend, "upgrade", "head")
    assert listing(engine)[1].split("\t")[:4] == [terminal.id, "booth", "test", "-"]
