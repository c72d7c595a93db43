"""Shared fixtures: the seeds, the corpora folder, a CLI runner, seeded libraries."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

# Run as a background job of a non-interactive shell (`cmd &`, nohup), the tests inherit SIGINT
# ignored, and so would every `reader` they start: Python keeps an inherited SIG_IGN, as a
# program should. The interrupt tests press Ctrl-C as a person at a terminal does, where SIGINT
# is not ignored, so the test process takes it back (a handler, unlike SIG_IGN, is not inherited
# across exec: the children start with the default and install KeyboardInterrupt).
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
DATA = Path(os.environ.get("READER_SHARED_DATA", REPO.parent / "shared" / "data"))


def data_file(name: str) -> Path:
    """A file of the shared corpora, or skip the test with the reason."""
    path = DATA / name
    if not path.exists():
        pytest.skip(f"corpus {name} not found in {DATA} (set READER_SHARED_DATA)")
    return path


class CLI:
    """Runs the real ``reader`` command (``python -m reader``) against one library folder."""

    def __init__(self, library: Path) -> None:
        self.library = library

    def __call__(self, *args: str, input: str | None = None, env: dict | None = None,
                 timeout: float = 300, **kw) -> subprocess.CompletedProcess:
        full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
        full_env.pop("READER_LIBRARY", None)
        return subprocess.run(
            [sys.executable, "-m", "reader", "--library", str(self.library), *args],
            capture_output=True, text=True, input=input, env=full_env, timeout=timeout,
            cwd=REPO, **kw,
        )


@pytest.fixture(autouse=True)
def _private_state_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Apps under test keep their state file (reader/state.py) in the test's folder, never in
    the user's state folder."""
    monkeypatch.setenv("READER_STATE", str(tmp_path / "state.json"))


@pytest.fixture
def seeds_dir(tmp_path: Path) -> Path:
    """A private copy of the bundled seeds (with their sources.tsv)."""
    dest = tmp_path / "seeds"
    shutil.copytree(SEEDS, dest)
    return dest


@pytest.fixture
def cli(tmp_path: Path) -> CLI:
    """The CLI on an empty library in tmp_path."""
    return CLI(tmp_path / "lib")


@pytest.fixture(scope="session")
def seeded_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library holding the five seeds, built once per session (do not modify it)."""
    from index.library import Library

    root = tmp_path_factory.mktemp("seeded")
    shutil.copytree(SEEDS, root / "seeds")
    with Library(root / "lib") as lib:
        report = lib.add([root / "seeds"])
        assert len(report.added) == 5, report
    return root / "lib"
