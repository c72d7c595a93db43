"""Benchmark: the app on the Reuters-21578 library.

Measures (headless, ``App.run_test``):

* launch -> populated list: from creating the app to the article list showing every row;
* keystroke -> updated results: for each character typed in the search line, from the key press
  to the list showing that query's results (median and worst).

    python tests/bench/app.py [--library DIR] [--query TEXT] [--repeat N]

Without ``--library`` it builds one in a temporary folder from
``$READER_SHARED_DATA/reuters21578.jsonl.gz`` (default ``<repo>/../shared/data``), which takes a
while; pass ``--library`` to reuse one. Goals: < 1 s to a populated list, < 100 ms per keystroke.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from index.library import Library  # noqa: E402
from reader.app import ReaderApp  # noqa: E402
from reader.panes.article_list import ArticleList  # noqa: E402

GOAL_OPEN = 1.0
GOAL_KEY = 0.100


def data_dir() -> Path:
    return Path(os.environ.get("READER_SHARED_DATA", REPO.parent / "shared" / "data"))


def build(folder: Path) -> Path:
    src = data_dir() / "reuters21578.jsonl.gz"
    print(f"building a library from {src} in {folder} …", flush=True)
    t = time.perf_counter()
    with Library(folder) as lib:
        _ = lib.index
        report = lib.add([src])
    print(f"  added {len(report.added)} articles in {time.perf_counter() - t:.1f} s", flush=True)
    return folder


async def wait_until(pilot, predicate, timeout: float = 30.0) -> float:  # type: ignore[no-untyped-def]
    """Let the app run until ``predicate()``; returns the time it took."""
    t = time.perf_counter()
    while not predicate():
        if time.perf_counter() - t > timeout:
            raise TimeoutError("the app did not get there")
        await asyncio.sleep(0.001)  # yield to the app's event loop (this is a measurement)
    return time.perf_counter() - t


async def measure(library: Path, query: str) -> tuple[float, int, list[float]]:
    t0 = time.perf_counter()
    lib = Library(library)
    app = ReaderApp(lib, [], poll_interval=None)
    async with app.run_test(size=(160, 45)) as pilot:
        total = lib.count()
        await wait_until(pilot, lambda: len(app.main.query_one(ArticleList).rows) == total)
        opened = time.perf_counter() - t0
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("slash")
        times = []
        typed = ""
        for ch in query:
            typed += ch
            t = time.perf_counter()
            await pilot.press(ch if ch != " " else "space")
            await wait_until(pilot, lambda q=typed: app.main.results_query == q
                             or (app.main.search_hits is None and not q.strip())
                             or "Malformed" in app.main.status_text)
            times.append(time.perf_counter() - t)
        rows = len(app.main.query_one(ArticleList).rows)
        inside = list(app.main.search_latencies)
    lib.close()
    return opened, rows, times, inside


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--library", type=Path, help="an existing Reuters library to reuse")
    ap.add_argument("--query", default="oil prices opec", help="what to type in the search line")
    ap.add_argument("--repeat", type=int, default=3, help="launches to time")
    args = ap.parse_args()
    if args.library is None:
        args.library = build(Path(tempfile.mkdtemp(prefix="reader-bench-")) / "lib")
    with Library(args.library) as lib:
        n = lib.count()
    print(f"library: {args.library} ({n} articles)")
    opens, keys, inside = [], [], []
    rows = 0
    for _ in range(args.repeat):
        opened, rows, times, app_times = asyncio.run(measure(args.library, args.query))
        opens.append(opened)
        keys.extend(times)
        inside.extend(app_times)
    print(f"launch -> populated list: median {statistics.median(opens) * 1000:.0f} ms, "
          f"worst {max(opens) * 1000:.0f} ms over {len(opens)} launches "
          f"(goal < {GOAL_OPEN * 1000:.0f} ms)")
    print(f"keystroke -> updated results ({args.query!r}, {len(keys)} keys, {rows} results at "
          f"the end): median {statistics.median(keys) * 1000:.1f} ms, "
          f"p90 {sorted(keys)[int(len(keys) * 0.9)] * 1000:.1f} ms, "
          f"worst {max(keys) * 1000:.1f} ms (goal < {GOAL_KEY * 1000:.0f} ms)")
    print(f"  in the app, query change -> results painted: median "
          f"{statistics.median(inside) * 1000:.1f} ms, worst {max(inside) * 1000:.1f} ms "
          f"(the rest of the round trip is the test pilot's own key delivery and waits)")
    ok = statistics.median(opens) < GOAL_OPEN and statistics.median(keys) < GOAL_KEY
    print("goals met" if ok else "goals NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
