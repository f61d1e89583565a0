"""Which test modules touch the crypto suite, so that the second pass of `make test`
runs only those.

`make test` runs the tests in the gm suite, then again in the intl suite
(KIOSK_CRYPTO_DEFAULT). A test that never signs, hashes, encrypts or verifies, and
starts no Python process that might, runs the same code in both; running it twice
only costs CI time. So the first pass (`--crypto-trace FILE`) writes down every
test module during whose tests a suite's method was called, a password or PIN
hashed, or a Python process started; the second (`--crypto-only FILE`) deselects the
others (pytest's summary counts them).
Without the file (the first pass did not run) the second runs everything.

Some folders always run twice, whatever the trace says: the backend, sync and
end-to-end tests (their servers outlive one test) and the crypto module's own.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wire.crypto import passwords
from wire.crypto.suite import Suite

ALWAYS = ("tests/backend/", "tests/sync/", "tests/e2e/", "tests/unit/wire/")
_touched: set[str] = set()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("crypto suites")
    group.addoption("--crypto-trace", metavar="FILE",
                    help="write the test modules that touch the crypto suite to FILE")  # fmt: skip
    group.addoption("--crypto-only", metavar="FILE",
                    help="run only the modules FILE names, and the ALWAYS folders")  # fmt: skip


def _current_module() -> str | None:
    current = os.environ.get("PYTEST_CURRENT_TEST")
    return current.split("::", 1)[0] if current else None


def _noting(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def noted(*args: Any, **kwargs: Any) -> Any:
        module = _current_module()
        if module is not None:
            _touched.add(module)
        return method(*args, **kwargs)

    return noted


def _starts_python(args: Any) -> bool:
    """A program of this environment (python, kiosk, kiosk-backend, …) may use the
    suite where this process cannot see it."""
    first = args if isinstance(args, str | bytes | os.PathLike) else (args or [""])[0]
    first = os.fsdecode(first).split()[0] if os.fsdecode(first).strip() else ""
    path = Path(first)
    return (
        path.name.startswith("python")
        or str(path).startswith(sys.prefix)
        or (os.sep not in first and (Path(sys.prefix) / "bin" / first).exists())
    )


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("crypto_trace"):
        return
    for name, member in list(vars(Suite).items()):
        if callable(member) and not name.startswith("__"):
            setattr(Suite, name, _noting(member))
    for name in ("_pbkdf2_sm3", "_scrypt"):  # passwords and PINs: the suite's own hashing
        setattr(passwords, name, _noting(getattr(passwords, name)))
    original = subprocess.Popen.__init__

    def popen(self: subprocess.Popen[Any], args: Any, *rest: Any, **kwargs: Any) -> None:
        module = _current_module()
        if module is not None and _starts_python(args):
            _touched.add(module)
        original(self, args, *rest, **kwargs)

    subprocess.Popen.__init__ = popen  # type: ignore[method-assign]


def pytest_sessionfinish(session: pytest.Session) -> None:
    trace = session.config.getoption("crypto_trace")
    if trace:
        Path(trace).write_text("".join(f"{m}\n" for m in sorted(_touched)))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    only = config.getoption("crypto_only")
    if not only:
        return
    if not Path(only).exists():
        print(f"\n{only}: no trace of the first pass; every test runs", file=sys.stderr)
        return
    wanted = set(Path(only).read_text().split())
    keep, drop = [], []
    for item in items:
        module = item.nodeid.split("::", 1)[0]
        (keep if module in wanted or module.startswith(ALWAYS) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
