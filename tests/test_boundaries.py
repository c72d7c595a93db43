"""The engine stays headless: no module of ``index`` pulls in textual, rich or reader."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MODULES = sorted(
    ".".join(p.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
    for p in (REPO / "index").rglob("*.py")
)

# SQL runs only in the store package (index/store/, one module per table family); everything
# else calls its named functions (issue 15).


@pytest.mark.parametrize("module", MODULES)
def test_index_module_imports_no_ui(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich', 'reader'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"{module} imports {out.stdout.strip()}"


def test_library_use_imports_no_ui(tmp_path: Path) -> None:
    """Opening a library, adding the seeds and searching loads no UI module either."""
    code = (
        "import sys\n"
        "from index.library import Library\n"
        f"lib = Library({str(tmp_path / 'lib')!r})\n"
        f"lib.add([{str(REPO / 'seeds')!r}])\n"
        "assert lib.search('Daesh')\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich', 'reader'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_sql_lives_in_the_store() -> None:
    runs_sql = sorted(
        rel for p in (REPO / "index").rglob("*.py")
        if not (rel := p.relative_to(REPO).as_posix()).startswith("index/store/")
        and any(s in p.read_text(encoding="utf-8")
                for s in (".execute(", ".executemany(", ".executescript(", "sqlite3.connect("))
    )
    assert runs_sql == [], f"SQL outside the store package: {runs_sql}"


def test_reader_reaches_the_store_only_through_library() -> None:
    """The app and the command read through ``Library`` methods: no connection, no store."""
    bad = sorted(
        str(p.relative_to(REPO)) for p in (REPO / "reader").rglob("*.py")
        if any(s in p.read_text(encoding="utf-8")
               for s in (".conn.", ".conn)", ".conn,", "index.store", "import store", "sqlite3"))
    )
    assert bad == [], f"reader/ modules touching the store directly: {bad}"
