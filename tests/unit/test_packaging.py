"""The terminal package depends on what its device drivers run: each program (and
the SANE test backend) is looked up with dpkg, the Debian package that owns it on
this machine must be in kiosk-terminal's Depends, and in packaging/apt-packages.txt
(what `make test` installs). The program's name must stand in the code that runs
it, so the list cannot drift from the drivers."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEARCH = "/usr/sbin:/usr/bin:/sbin:/bin:/lib/nut:/usr/lib/nut"

# program -> the source that runs it (or talks to it)
PROGRAMS = {
    "scanimage": "drivers/scanner_a4/driver.py",
    "upsd": "drivers/ups/nutd.py",  # the server drivers/ups/driver.py talks to
    "dummy-ups": "drivers/ups/nutd.py",
    "upsc": "drivers/ups/nutd.py",
    "lpstat": "drivers/document_printer/driver.py",
    "cupsenable": "drivers/document_printer/driver.py",
}


def listed(path: Path) -> set[str]:
    """The package names of a one-a-line list (comments after '#', versions after '(')."""
    names = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        name = re.split(r"[#(\s]", line.strip(), maxsplit=1)[0]
        if name:
            names.add(name)
    return names


def owner(path: str) -> str:
    """The Debian package that owns `path` (merged /usr: /usr/bin/x may be /bin/x)."""
    for candidate in (path, re.sub(r"^/usr/", "/", path)):
        found = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if found.returncode == 0:
            return found.stdout.split(":")[0]
    raise AssertionError(f"dpkg knows no package for {path}")


@pytest.mark.parametrize("program", sorted(PROGRAMS))
def test_the_terminal_depends_on_each_program_its_drivers_run(program):
    assert program in (ROOT / PROGRAMS[program]).read_text(encoding="utf-8")
    path = shutil.which(program, path=SEARCH)
    assert path is not None, f"{program} is not installed (packaging/apt-packages.txt)"
    package = owner(path)
    assert package in listed(ROOT / "packaging/deb/kiosk-terminal.depends"), package
    assert package in listed(ROOT / "packaging/apt-packages.txt"), package


def test_the_sane_test_backend_is_depended_on():
    """The simulated A4 scanner is SANE's `test` backend, in libsane1."""
    found = subprocess.run(["dpkg", "-S", "libsane-test.so.1"], capture_output=True, text=True)
    assert found.returncode == 0, found.stderr
    package = found.stdout.split(":")[0]
    assert package == "libsane1"
    assert package in listed(ROOT / "packaging/deb/kiosk-terminal.depends")
    assert package in listed(ROOT / "packaging/apt-packages.txt")


def test_the_control_file_takes_the_depends_list():
    control = (ROOT / "packaging/deb/kiosk-terminal.control").read_text(encoding="utf-8")
    assert "Depends: @DEPENDS@" in control
