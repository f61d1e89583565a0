"""The OpenAPI document says every endpoint and every error; the Alembic chain makes
exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.routing import APIRoute

from backend import console, gateway, records, services, terminals
from backend.auth import signed_terminal
from backend.db import Base
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
        for module in (console, gateway, records, services, terminals)
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
            if signed_terminal in _dependencies(route):
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
