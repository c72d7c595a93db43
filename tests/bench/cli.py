"""Benchmark: how soon the command line's human output starts, on a big library.

    python tests/bench/cli.py --library DIR [--repeat N] [--query Q]

For ``reader list``, ``search``, ``entities`` and ``events`` (human output, through a pipe as a
script or ``less`` would read it) prints the time from starting the process to its first row
(the line after the header), imports and opening the library included, and to the last line;
and the whole process with ``--json`` (complete output) beside it. Also the bare start of the
interpreter with reader's command-line imports (``reader --version``-like: ``reader --help``).

Goal (issue 12): human output starts within 0.3 s on the 19k library and streams. Figures on a
shared machine vary: read them beside the load average printed at the top, and beside the CPU
time of the process (user+sys), which load inflates less.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GOAL_FIRST = 0.3


def user_env() -> dict[str, str]:
    """The environment of a ``reader`` process as a user runs it: Python keeps the compiled
    modules (an installed reader has them), even where this shell says not to write them
    (PYTHONDONTWRITEBYTECODE would make every launch compile reader's own modules again)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def compile_modules() -> None:
    """Compile reader's modules once, as installing it does."""
    code = Path(os.environ.get("READER_BENCH_CODE", str(REPO)))
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(code / "index"),
                    str(code / "reader")], check=False, capture_output=True, env=user_env())


def reader_command() -> list[str]:
    exe = Path(sys.executable).with_name("reader")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "reader"]


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(argv: list[str]) -> tuple[float | None, float, float, int]:
    """(seconds to the first row, seconds to the end, CPU seconds, lines)."""
    env = dict(user_env(), COLUMNS="160", NO_COLOR="1")
    env.pop("READER_PAGER", None)
    cpu0 = children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.Popen([*reader_command(), *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env)
    assert proc.stdout is not None
    first = None
    lines = 0
    for _line in proc.stdout:
        lines += 1
        if lines == 2 and first is None:
            first = time.perf_counter() - t0
    proc.wait()
    end = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"`reader {' '.join(argv)}` exited {proc.returncode}")
    return first, end, children_cpu() - cpu0, lines


def ms(v: float | None) -> str:
    return "—" if v is None else f"{v * 1000:.0f} ms"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--library", type=Path, required=True)
    ap.add_argument("--query", default="oil prices")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-json", action="store_true", help="skip the --json runs (long on a "
                    "big library: the whole library's entities and events)")
    args = ap.parse_args()
    lib = ["--library", str(args.library)]
    compile_modules()
    print(f"library: {args.library}; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores")
    starts = [run(["--help"]) for _ in range(args.repeat)]
    print(f"reader --help (interpreter + command-line imports): median "
          f"{ms(statistics.median(s[1] for s in starts))}, CPU "
          f"{ms(statistics.median(s[2] for s in starts))}")
    ok = True
    for name, argv in (("list", ["list"]), ("search", ["search", args.query]),
                       ("entities", ["entities"]), ("events", ["events"])):
        human = [run([*lib, *argv, "--no-pager"]) for _ in range(args.repeat)]
        js = [] if args.no_json else [run([*lib, *argv, "--json"]) for _ in range(args.repeat)]
        first = statistics.median(h[0] if h[0] is not None else h[1] for h in human)
        ok &= first <= GOAL_FIRST
        print(f"{name:9s} human: first row {ms(first)} (worst "
              f"{ms(max(h[0] or h[1] for h in human))}), end {ms(statistics.median(h[1] for h in human))}, "
              f"CPU {ms(statistics.median(h[2] for h in human))}, {human[0][3]} lines; "
              + (f"--json: end {ms(statistics.median(j[1] for j in js))}, "
                 f"CPU {ms(statistics.median(j[2] for j in js))} " if js else "")
              + f"(goal first row <= {ms(GOAL_FIRST)})")
    print("goals met" if ok else "goals NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
