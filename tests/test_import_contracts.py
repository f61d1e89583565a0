"""The dependency arrows of the design hold, and the checker really checks them."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")
PACKAGES = ["kiosk", "drivers", "flows", "ui", "offline_cache", "backend", "wire"]


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LINT_IMPORTS, "--config", str(root / "pyproject.toml"), "--no-cache"],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)},
    )


def test_the_project_keeps_its_contracts():
    result = lint(REPO)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_driver_importing_the_application_breaks_a_contract(tmp_path):
    for package in PACKAGES:
        shutil.copytree(
            REPO / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert config["tool"]["importlinter"]["contracts"]
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "drivers" / "sneaky.py").write_text("import kiosk.config\n")
    (tmp_path / "flows" / "sneaky.py").write_text("from PySide6 import QtCore\n")
    result = lint(tmp_path)
    assert result.returncode != 0
    assert "drivers.sneaky -> kiosk.config" in result.stdout
    assert "flows.sneaky -> PySide6" in result.stdout
