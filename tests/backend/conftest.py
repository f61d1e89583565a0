"""Every backend test runs on SQLite and on a real PostgreSQL (the foundation's
private cluster on loopback), each test on a fresh database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.backend.harness import Backend, fresh_database
from wire import crypto


@pytest.fixture
def suite() -> str:
    """The deployment's crypto suite; a test parametrizes `suite` to run in both."""
    return crypto.DEFAULT


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path, suite: str) -> Iterator[Backend]:
    postgres_url = None
    if request.param == "postgresql":
        postgres_url = request.getfixturevalue("postgres_service").url
    found = Backend(fresh_database(request.param, tmp_path, postgres_url), tmp_path / "data",
                    crypto_suite=suite)  # fmt: skip
    yield found
    found.http.close()
    found.app.state.engine.dispose()
