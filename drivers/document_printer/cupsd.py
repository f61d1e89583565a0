"""A private cupsd in a folder of its own, on a loopback port: for simulators and
tests. Nothing of the system's CUPS is touched."""

from __future__ import annotations

import grp
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

SYSTEM_SERVER_BIN = Path("/usr/lib/cups")
# CUPS's admin tools live in sbin, which a user's PATH may leave out.
TOOL_PATH = os.pathsep.join(["/usr/sbin", "/usr/bin", "/sbin", "/bin", os.environ.get("PATH", "")])


def tool(name: str) -> str:
    """The full path of a CUPS program; FileNotFoundError names what is missing."""
    found = shutil.which(name, path=TOOL_PATH)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed (Debian cups, cups-client)")
    return found


class PrivateCups:
    def __init__(self, backends: dict[str, Path] | None = None) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="kiosk-cups-"))
        self.port = _free_port()
        self.backends = backends or {}
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def server(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> PrivateCups:
        dirs = {
            name: self.root / name for name in ("conf", "spool", "cache", "state", "log", "bin")
        }
        for path in dirs.values():
            path.mkdir()
        for part in SYSTEM_SERVER_BIN.iterdir():  # filters, backends ... of the system
            if part.name != "backend":
                (dirs["bin"] / part.name).symlink_to(part)
        (dirs["bin"] / "backend").mkdir()
        for backend in (SYSTEM_SERVER_BIN / "backend").iterdir():
            (dirs["bin"] / "backend" / backend.name).symlink_to(backend)
        for name, program in self.backends.items():
            target = dirs["bin"] / "backend" / name
            shutil.copy(program, target)
            target.chmod(0o755)
        (dirs["conf"] / "cupsd.conf").write_text(
            f"Listen 127.0.0.1:{self.port}\nLogLevel warn\nWebInterface No\nBrowsing No\n"
            "DefaultAuthType None\n"
            # as kiosk-terminal sets a terminal's CUPS (packaging/deb: cups-privacy):
            # a finished job leaves neither its document nor its record behind
            "PreserveJobFiles No\nPreserveJobHistory No\n"
            "<Location />\n  Order allow,deny\n  Allow 127.0.0.1\n</Location>\n"
            "<Location /admin>\n  Order allow,deny\n  Allow 127.0.0.1\n</Location>\n"
            "<Policy default>\n  JobPrivateAccess all\n  JobPrivateValues none\n"
            "  SubscriptionPrivateAccess all\n  SubscriptionPrivateValues none\n"
            "  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n"
        )
        (dirs["conf"] / "cups-files.conf").write_text(
            f"ServerRoot {dirs['conf']}\nRequestRoot {dirs['spool']}\n"
            f"CacheDir {dirs['cache']}\nStateDir {dirs['state']}\nTempDir {dirs['spool']}\n"
            f"ErrorLog {dirs['log']}/error.log\nAccessLog {dirs['log']}/access.log\n"
            f"PageLog {dirs['log']}/page.log\nServerBin {dirs['bin']}\n"
            "DataDir /usr/share/cups\nUser lp\nGroup lp\nSandboxing Relaxed\n"
        )
        lp = grp.getgrnam("lp").gr_gid
        for path in [self.root, *dirs.values()]:
            os.chown(path, -1, lp)
            path.chmod(0o775)
        self._process = subprocess.Popen(
            [
                tool("cupsd"),
                "-f",
                "-c",
                str(dirs["conf"] / "cupsd.conf"),
                "-s",
                str(dirs["conf"] / "cups-files.conf"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("cupsd did not start")

    def run(self, program: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [tool(program), "-h", self.server, *args], capture_output=True, text=True, timeout=30
        )

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
