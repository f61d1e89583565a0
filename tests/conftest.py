"""Shared fixtures: the real services later tests need, and a clean environment.

Each service starts once per test session, in a temporary folder, and stops at
the end. A service is skipped, loudly, only when this machine cannot run it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.services import cups, pcscd, postgres
from wire.crypto.suite import DEFAULT_VARIABLE

REPO = Path(__file__).resolve().parent.parent
pytest_plugins = ["tests.crypto_trace"]  # the second pass of `make test` runs what it needs

# Hypothesis's own timing checks (200 ms an example, "data too slow") time the machine,
# not the code: on CI's loaded two cores an example of 34 ms took 274 and failed
# test_chips. What the properties assert is untouched.
settings.register_profile("kiosk", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("kiosk")


def pytest_configure(config: pytest.Config) -> None:
    """The test session has a home of its own, empty but for what a set-up terminal
    has: nothing a run leaves in the real home (Qt's keyboard dictionary, caches)
    changes the next run, and the first run on a new machine is like any other."""
    home = Path(tempfile.mkdtemp(prefix="kiosk-test-home-"))
    runtime = home / "run"
    runtime.mkdir(mode=0o700)
    os.environ["HOME"] = str(home)
    os.environ["XDG_CONFIG_HOME"] = str(home / ".config")
    os.environ["XDG_DATA_HOME"] = str(home / ".local" / "share")
    os.environ["XDG_CACHE_HOME"] = str(home / ".cache")
    os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    config.add_cleanup(lambda: shutil.rmtree(home, ignore_errors=True))


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the machine's own kiosk configuration or language by accident."""
    for name in list(os.environ):
        if name.startswith("KIOSK") and name != DEFAULT_VARIABLE:  # the run's crypto suite
            monkeypatch.delenv(name)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """For tests that install the kiosk's log handlers: put pytest's back after."""
    import logging

    from kiosk import logs

    root, sensitive = logging.getLogger(), logging.getLogger(logs.SENSITIVE)
    saved = (list(root.handlers), root.level, sensitive.level, sensitive.propagate)
    for handler in saved[0]:
        root.removeHandler(handler)
    yield
    logs.shutdown()
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])
    sensitive.setLevel(saved[2])
    sensitive.propagate = saved[3]


def _skip_loudly(service: str, reason: str) -> None:
    pytest.skip(f"SERVICE UNAVAILABLE: {service}: {reason}")


def _service_dir(name: str) -> Path:
    """A folder other users can traverse (PostgreSQL runs as postgres, CUPS filters as lp).

    pytest's own temporary folders are private to root, hence mkdtemp here.
    """
    path = Path(tempfile.mkdtemp(prefix=f"kiosk-test-{name}-"))
    path.chmod(0o755)
    return path


@pytest.fixture(scope="session")
def pcscd_service() -> Iterator[pcscd.PcscDaemon]:
    """pcscd with the two vpcd virtual readers; a card program connects to `card_ports`."""
    reason = pcscd.missing()
    if reason:
        _skip_loudly("pcscd", reason)
    workdir = _service_dir("pcscd")
    daemon = pcscd.PcscDaemon(workdir)
    daemon.start()
    yield daemon
    daemon.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_service() -> Iterator[postgres.PostgresCluster]:
    """A private PostgreSQL cluster; connect with `.url`."""
    reason = postgres.missing()
    if reason:
        _skip_loudly("PostgreSQL", reason)
    cluster = postgres.PostgresCluster(_service_dir("postgres"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def print_spooler() -> Iterator[cups.PrintSpooler]:
    """CUPS on `.server` with queue `.queue` printing to a simulated IPP printer,
    which keeps what it receives in `.received`."""
    reason = cups.missing()
    if reason:
        _skip_loudly("CUPS", reason)
    workdir = _service_dir("cups")
    spooler = cups.PrintSpooler(workdir)
    try:
        spooler.start()
        yield spooler
    finally:
        spooler.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def xvfb_display() -> Iterator[str]:
    """An Xvfb display (1080×1920) for tests that need a real X server; yields ':N'."""
    if shutil.which("Xvfb") is None:
        _skip_loudly(
            "Xvfb", "Xvfb is not installed (make test installs packaging/apt-packages.txt)"
        )
    from kiosk.display import VirtualDisplay

    with VirtualDisplay(1080, 1920) as display:
        assert display.display is not None
        yield display.display
