"""The code stays type-clean (mypy, configured in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO

# both layers; --follow-imports=silent keeps the check to these folders wherever the project
# is installed from
CHECKED = ["index", "reader"]
FLAGS = ["--follow-imports=silent"]


def test_mypy_finds_nothing() -> None:
    try:
        import mypy  # noqa: F401
    except ImportError:
        pytest.skip("mypy is not installed (pip install -e '.[test]')")
    r = subprocess.run([sys.executable, "-m", "mypy", *FLAGS, *CHECKED], capture_output=True,
                       text=True, cwd=REPO, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
