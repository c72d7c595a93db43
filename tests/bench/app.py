"""Benchmark: the app and the command line on a big library, as a person meets them.

    python tests/bench/app.py --library DIR [--repeat N] [--moves N] [--no-tmux] [--no-add]

Without ``--library`` it builds one in a temporary folder from
``$READER_SHARED_DATA/reuters21578.jsonl.gz`` (default ``<repo>/../shared/data``), which takes a
while; pass ``--library`` to reuse one (``tests/bench/corpus.py`` writes a ten-times corpus to
build a 190k library from). Prints:

* launch -> populated list, from typing ``reader`` in a real terminal (tmux, imports included)
  to the list's title showing every article; and the app's peak memory (VmHWM) after moving,
  searching and reading in that session;
* launch -> populated list in-process (``App.run_test``: the app alone, no interpreter start);
* search keystroke -> results painted (p50/p95);
* ``j`` in the list -> the new article painted in the reader (p50/p95), and -> its entities and
  events painted (p50/p95); a held ``j`` (30 keys, 30 ms apart): time from the last key until the
  last article is painted;
* add one article to (a copy of) the library: the whole ``reader add`` process;
* the library's size on disk.

Goals (issue 12): launch <= 1 s, keystroke <= 100 ms p95, ``j`` <= 50 ms p95 (entities and events
<= 100 ms), add one <= 1 s, memory <= 500 MB. Figures on a shared machine vary: read them beside
the load average printed at the top.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, os.environ.get("READER_BENCH_CODE", str(REPO)))

from textual import events  # noqa: E402

from index.library import Library  # noqa: E402
from reader.app import ReaderApp  # noqa: E402
from reader.panes.article_list import ArticleList  # noqa: E402
from reader.panes.events import EventStrip  # noqa: E402
from reader.panes.reader_view import ReaderView  # noqa: E402

GOAL_OPEN = 1.0
GOAL_KEY = 0.100
GOAL_J = 0.050
GOAL_EXTRAS = 0.100
GOAL_ADD = 1.0
GOAL_MB = 500


def data_dir() -> Path:
    return Path(os.environ.get("READER_SHARED_DATA", REPO.parent / "shared" / "data"))


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


def build(folder: Path) -> Path:
    src = data_dir() / "reuters21578.jsonl.gz"
    print(f"building a library from {src} in {folder} …", flush=True)
    t = time.perf_counter()
    subprocess.run([*reader_command(), "--library", str(folder), "add", str(src)], check=True)
    print(f"  built in {time.perf_counter() - t:.1f} s", flush=True)
    return folder


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def ms(v: float) -> str:
    return f"{v * 1000:.0f} ms" if v >= 0.01 else f"{v * 1000:.1f} ms"


def dir_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


# --- a real terminal --------------------------------------------------------------------------


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=False).stdout


def tmux_session(library: Path, n: int, moves: int) -> tuple[float, float, float | None]:
    """(seconds from typing ``reader`` to the first rows painted, to the full list painted,
    peak RSS MiB of the app)."""
    name = f"bench-app-{os.getpid()}"
    tmux("kill-session", "-t", name)
    env_cmd = "env PS1='$ ' bash --norc --noprofile"
    tmux("new-session", "-d", "-s", name, "-x", "120", "-y", "35", env_cmd)
    try:
        t = time.perf_counter()
        while "$" not in tmux("capture-pane", "-p", "-t", name):
            if time.perf_counter() - t > 10:
                raise TimeoutError("no shell prompt in tmux")
            time.sleep(0.01)
        cmd = " ".join([*reader_command(), "--library", str(library)])
        want = f"· {n}"
        pythonpath = os.environ.get("READER_BENCH_CODE")
        cmd = f"env -u PYTHONDONTWRITEBYTECODE {cmd}"  # see user_env
        if pythonpath:
            cmd = f"env PYTHONPATH={pythonpath} {cmd}"
        tmux("send-keys", "-t", name, f"exec {cmd}", "Enter")
        t0 = time.perf_counter()
        first = None
        while True:
            screen = tmux("capture-pane", "-p", "-t", name)
            if first is None and "Articles · " in screen:
                first = time.perf_counter() - t0
            if want in screen and "articles" in screen.lower():
                break
            if time.perf_counter() - t0 > 60:
                raise TimeoutError(f"the list never showed {n} articles:\n{screen}")
            time.sleep(0.005)
        launch = time.perf_counter() - t0
        pid = tmux("list-panes", "-t", name, "-F", "#{pane_pid}").strip()
        # a session of use: move through the list, search, read, then read the peak
        for _ in range(moves):
            tmux("send-keys", "-t", name, "j")
            time.sleep(0.02)
        tmux("send-keys", "-t", name, "/", "o", "i", "l", " ", "p", "r", "i", "c", "e", "s")
        time.sleep(1.0)
        tmux("send-keys", "-t", name, "Enter", "j", "j", "j", "Tab", "j", "j")
        time.sleep(1.0)
        peak = None
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = int(line.split()[1]) / 1024
        except OSError:
            pass
        tmux("send-keys", "-t", name, "C-q")
        time.sleep(0.3)
        return first or launch, launch, peak
    finally:
        tmux("kill-session", "-t", name)


# --- the app in-process ---------------------------------------------------------------------


async def wait_until(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    while not predicate():
        if time.perf_counter() - t > timeout:
            raise TimeoutError("the app did not get there")
        await asyncio.sleep(0.0005)  # yield to the app's event loop (this is a measurement)


def send_key(app: ReaderApp, key: str, char: str | None) -> None:
    """Deliver one key as the terminal driver does (the pilot's press also waits for the app to
    go idle after each key, which a person's keyboard does not)."""
    event = events.Key(key, char)
    event.set_sender(app)
    app._driver.send_message(event)


async def painted(app: ReaderApp) -> float:
    """The time of the next screen refresh (what was set before is on the terminal then)."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[float] = loop.create_future()
    app.call_after_refresh(lambda: done.done() or done.set_result(time.perf_counter()))
    return await asyncio.wait_for(done, 10)


async def measure(library: Path, query: str, moves: int) -> dict[str, object]:
    t0 = time.perf_counter()
    lib = Library(library)
    app = ReaderApp(lib, [], poll_interval=None)
    out: dict[str, object] = {}
    async with app.run_test(size=(120, 35)) as pilot:
        total = lib.count()
        await wait_until(lambda: len(app.main.query_one(ArticleList).rows) == total)
        out["open"] = await painted(app) - t0
        await app.workers.wait_for_complete()
        await pilot.pause()
        alist = app.main.query_one(ArticleList)
        reader = app.main.query_one(ReaderView)
        strip = app.main.query_one(EventStrip)
        # j: one key at a time, each awaited to the end (article, then entities and events)
        alist.focus()
        await pilot.press("escape", "g")  # no filter restored from a last session; the top row
        await app.workers.wait_for_complete()
        await pilot.pause()
        js, extras, cpu = [], [], []
        for _ in range(moves):
            target = alist.rows[alist.cursor + 1].id
            t, c = time.perf_counter(), time.process_time()
            send_key(app, "j", "j")
            await wait_until(lambda t_=target: reader.article is not None and reader.article.id == t_)
            js.append(await painted(app) - t)
            await wait_until(lambda t_=target: strip.article_id == t_)
            extras.append(await painted(app) - t)
            cpu.append(time.process_time() - c)
        out["j"], out["extras"], out["cpu"] = js, extras, cpu
        # a held j: keys 30 ms apart; how long after the last one the screen catches up
        start = alist.cursor
        for _ in range(30):
            send_key(app, "j", "j")
            await asyncio.sleep(0.03)
        t = time.perf_counter()
        target = alist.rows[start + 30].id
        await wait_until(lambda: reader.article is not None and reader.article.id == target
                         and strip.article_id == target)
        out["held"] = await painted(app) - t
        # search as you type
        await pilot.press("slash")
        times = []
        typed = ""
        for ch in query:
            typed += ch
            t = time.perf_counter()
            send_key(app, "space" if ch == " " else ch, ch)
            await wait_until(lambda q=typed: app.main.results_query == q
                             or (app.main.search_hits is None and not q.strip())
                             or "Malformed" in app.main.status_text)
            times.append(await painted(app) - t)
        out["keys"] = times
        out["results"] = len(alist.rows)
    lib.close()
    return out


def add_one(library: Path) -> tuple[float, float]:
    """Seconds for `reader add` of one new article to a copy of ``library`` (whole process),
    and the CPU seconds it took."""
    with tempfile.TemporaryDirectory(prefix="reader-bench-add-") as tmp:
        copy = Path(tmp) / "lib"
        shutil.copytree(library, copy)
        article = Path(tmp) / "one.txt"
        article.write_text(
            f"Bench wire {time.time_ns()}\n\ndate 2024-05-02\n\n"
            "Grain shipments from the port of Rotterdam rose sharply on Thursday, traders in "
            "London said, as buyers in Egypt and Algeria covered needs before the harvest.\n",
            encoding="utf-8")
        import resource

        def cpu() -> float:
            r = resource.getrusage(resource.RUSAGE_CHILDREN)
            return r.ru_utime + r.ru_stime

        t, c = time.perf_counter(), cpu()
        subprocess.run([*reader_command(), "--library", str(copy), "add", str(article)],
                       check=True, capture_output=True, env=user_env())
        return time.perf_counter() - t, cpu() - c


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--library", type=Path, help="an existing library to reuse")
    ap.add_argument("--query", default="oil prices opec", help="what to type in the search line")
    ap.add_argument("--repeat", type=int, default=3, help="launches to time")
    ap.add_argument("--moves", type=int, default=40, help="j presses to time per launch")
    ap.add_argument("--no-tmux", action="store_true", help="skip the real-terminal launch")
    ap.add_argument("--no-add", action="store_true", help="skip adding one article")
    args = ap.parse_args()
    compile_modules()
    if args.library is None:
        args.library = build(Path(tempfile.mkdtemp(prefix="reader-bench-")) / "lib")
    with Library(args.library) as lib:
        n = lib.count()
    print(f"library: {args.library} ({n} articles, {dir_mb(args.library):.0f} MiB on disk); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    ok = True
    if not args.no_tmux and shutil.which("tmux"):
        firsts, launches, peaks = [], [], []
        for _ in range(args.repeat):
            first, launch, peak = tmux_session(args.library, n, args.moves)
            firsts.append(first)
            launches.append(launch)
            if peak is not None:
                peaks.append(peak)
        print(f"launch in a terminal (tmux 120x35, `reader` typed -> first rows painted): "
              f"median {ms(statistics.median(firsts))}, worst {ms(max(firsts))}")
        print(f"launch in a terminal (tmux 120x35, `reader` typed -> full list painted): "
              f"median {ms(statistics.median(launches))}, worst {ms(max(launches))} "
              f"over {len(launches)} (goal <= {ms(GOAL_OPEN)})")
        ok &= statistics.median(launches) <= GOAL_OPEN
        if peaks:
            print(f"peak memory of the app after a session of use: {max(peaks):.0f} MiB "
                  f"(goal <= {GOAL_MB} MiB)")
            ok &= max(peaks) <= GOAL_MB
    opens, js, extras, keys, held, cpu = [], [], [], [], [], []
    for _ in range(args.repeat):
        r = asyncio.run(measure(args.library, args.query, args.moves))
        opens.append(r["open"])
        js.extend(r["j"])
        extras.extend(r["extras"])
        cpu.extend(r["cpu"])
        keys.extend(r["keys"])
        held.append(r["held"])
    print(f"launch in-process (App.run_test, no interpreter start): median "
          f"{ms(statistics.median(opens))}")
    print(f"j -> article painted: p50 {ms(pct(js, .5))}, p95 {ms(pct(js, .95))}, "
          f"worst {ms(max(js))} over {len(js)} moves (goal p95 <= {ms(GOAL_J)})")
    print(f"j -> entities and events painted: p50 {ms(pct(extras, .5))}, "
          f"p95 {ms(pct(extras, .95))}, worst {ms(max(extras))} (goal p95 <= {ms(GOAL_EXTRAS)})")
    print(f"CPU time of one j (article, entities, events, painted; all threads, with this "
          f"harness's polling): p50 {ms(pct(cpu, .5))}, p95 {ms(pct(cpu, .95))} (less "
          f"sensitive to the machine's load than the times above)")
    print(f"held j (30 keys 30 ms apart) -> last article painted after the last key: median "
          f"{ms(statistics.median(held))}, worst {ms(max(held))}")
    print(f"search keystroke -> results painted ({args.query!r}, {len(keys)} keys): "
          f"p50 {ms(pct(keys, .5))}, p95 {ms(pct(keys, .95))}, worst {ms(max(keys))} "
          f"(goal p95 <= {ms(GOAL_KEY)})")
    ok &= pct(js, .95) <= GOAL_J and pct(extras, .95) <= GOAL_EXTRAS and pct(keys, .95) <= GOAL_KEY
    if not args.no_add:
        runs = [add_one(args.library) for _ in range(max(1, min(args.repeat, 3)))]
        adds = [r[0] for r in runs]
        print(f"add one article (whole `reader add` process, library copy): median "
              f"{ms(statistics.median(adds))}, worst {ms(max(adds))}, CPU "
              f"{ms(statistics.median(r[1] for r in runs))} (goal <= {ms(GOAL_ADD)})")
        ok &= statistics.median(adds) <= GOAL_ADD
    print(f"size on disk: {dir_mb(args.library):.0f} MiB")
    print("goals met" if ok else "goals NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
