"""The engine stays headless: no module of ``index`` pulls in textual, rich or reader."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MODULES = sorted(
    "index." + p.stem for p in (REPO / "index").glob("*.py") if p.stem != "__init__"
) + ["index"]


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
