"""A private PostgreSQL cluster in a temporary folder, on a loopback port.

PostgreSQL refuses to run as root, so the cluster belongs to the `postgres` user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path

from tests.services.process import ServiceError, free_port, tail

BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def missing() -> str | None:
    if not BIN_DIRS or not (BIN_DIRS[0] / "initdb").exists():
        return "PostgreSQL is not installed (make test installs packaging/apt-packages.txt)"
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "there is no postgres user to own the test cluster"
    if os.geteuid() != 0:
        return "starting a cluster as the postgres user needs root (runuser)"
    return None


class PostgresCluster:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir  # must be reachable by the postgres user
        self.data = workdir / "data"
        self.log = workdir / "postgres.log"
        self.port = free_port()
        self.bin = BIN_DIRS[0] if BIN_DIRS else Path("/nonexistent")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, *argv: str) -> None:
        result = subprocess.run(
            ["runuser", "-u", "postgres", "--", *argv], capture_output=True, text=True, timeout=60
        )
        if result.returncode != 0:
            raise ServiceError(f"{Path(argv[0]).name} failed: {result.stderr.strip()}")

    def start(self) -> None:
        user = pwd.getpwnam("postgres")
        self.workdir.chmod(0o755)
        os.chown(self.workdir, user.pw_uid, user.pw_gid)
        try:
            self._as_postgres(
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            )
            self._as_postgres(
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-w",
                "-o",
                f"-k {self.workdir} -p {self.port} -h 127.0.0.1 -F",
                "start",
            )
        except ServiceError as exc:
            raise ServiceError(f"{exc}\n{tail(self.log)}") from exc

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self._as_postgres(
                    str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"
                )
            except ServiceError:
                pass
        shutil.rmtree(self.workdir, ignore_errors=True)
