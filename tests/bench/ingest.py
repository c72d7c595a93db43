"""Ingest benchmark on Reuters-21578 (19,043 articles): our pipeline beside raw Whoosh.

Run:  python tests/bench/ingest.py [--limit N] [--keep DIR]

Phases, each in its own process so peak memory is its own:
  raw-jsonl    raw Whoosh (title + body, procs=2, limitmb as ours) reading the JSON Lines file
  raw-files    raw Whoosh (title + body, procs=2, limitmb as ours) reading one file per article
  ours-jsonl   `Library.add` of the JSON Lines file, with enrichment (entities, dates, passages)
  ours-files   `Library.add` of the folder of text files, with enrichment
  plain-jsonl  `Library.add` of the JSON Lines file without enrichment (parse + store + index)
  one-more     adding one article to the full library from ours-jsonl (the incremental path)
Prints articles/s, peak RSS, library size, and ratio = raw time / our time on the same input.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("READER_SHARED_DATA", REPO.parent / "shared" / "data"))
REUTERS = DATA / "reuters21578.jsonl.gz"


def peak_mb() -> float:
    """Peak RSS of this process and its (waited-for) children, in MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


def dir_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def write_jsonl(dest: Path, limit: int | None) -> int:
    n = 0
    with gzip.open(REUTERS, "rt", encoding="utf-8") as src, gzip.open(dest, "wt", encoding="utf-8") as out:
        for line in src:
            if limit is not None and n >= limit:
                break
            out.write(line)
            n += 1
    return n


def write_files(jsonl: Path, folder: Path) -> int:
    """One text file per article: title line, date line, blank line, body."""
    folder.mkdir(parents=True)
    n = 0
    with gzip.open(jsonl, "rt", encoding="utf-8") as src:
        for line in src:
            d = json.loads(line)
            stamp = ""
            if d.get("published"):
                stamp = datetime.fromisoformat(d["published"]).strftime("%a, %d %b %Y %H:%M:%S")
            (folder / f"{d['id']}.txt").write_text(
                f"{d.get('title') or ''}\n{stamp}\n\n{d['body']}\n", encoding="utf-8"
            )
            n += 1
    return n


# --- phases (each runs in a child process) ----------------------------------------------------


def raw_docs_jsonl(path: Path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            yield d["id"], d.get("title") or "", d["body"]


def raw_docs_files(folder: Path):
    for p in sorted(folder.iterdir()):
        text = p.read_text(encoding="utf-8")
        title, _, rest = text.partition("\n")
        yield p.stem, title, rest


RAW_LIMIT_MB = 512  # = index.search.BULK_LIMIT_MB (checked in main)


def phase_raw(kind: str, src: Path, out: Path) -> dict:
    from whoosh import index
    from whoosh.fields import ID, TEXT, Schema

    schema = Schema(id=ID(stored=True, unique=True), title=TEXT, body=TEXT)
    out.mkdir(parents=True)
    t0 = time.perf_counter()
    ix = index.create_in(str(out), schema)
    # the same writer settings as ours (two sub-writers, the same memory for postings), so that
    # the ratio measures what we do on top of Whoosh, not a setting raw Whoosh could also use
    w = ix.writer(procs=2, limitmb=RAW_LIMIT_MB, multisegment=True)
    n = 0
    docs = raw_docs_jsonl(src) if kind == "jsonl" else raw_docs_files(src)
    for id_, title, body in docs:
        w.add_document(id=id_, title=title, body=body)
        n += 1
    w.commit()
    dt = time.perf_counter() - t0
    return {"n": n, "seconds": dt, "size_mb": dir_mb(out)}


def phase_ours(src: Path, lib_dir: Path, enrich: bool) -> dict:
    sys.path.insert(0, str(REPO))
    from index import library as L

    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    if enrich:
        import index.pipeline as E

        # Time enrichment inside the workers is not visible here; measure it on a sample below.
        del E
    with L.Library(lib_dir) as lib:
        report = lib.add([src], enrich=enrich)
    dt = time.perf_counter() - t0
    n = max(1, len(report.added))
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # enrichment pool, Whoosh sub-writers
    res = {"n": len(report.added), "skipped": len(report.skipped),
           "duplicates": report.duplicates, "seconds": dt, "size_mb": dir_mb(lib_dir),
           "main_cpu_ms": 1000 * (own.ru_utime + own.ru_stime) / n,
           "children_cpu_ms": 1000 * (kids.ru_utime + kids.ru_stime) / n}
    res.update(timings)
    return res


def phase_costs(src: Path, sample: int = 2000) -> dict:
    """Per-article cost of each pipeline step, single process, on a sample (ms/article)."""
    sys.path.insert(0, str(REPO))
    import sqlite3

    from index.dates import article_events
    from index.entities import annotate_paragraphs, entity_key, summarize
    from index.parse import content_id, iter_jsonl
    from index.stories import StoryIndex, prepare

    arts = []
    t0 = time.perf_counter()
    for _n, a in iter_jsonl(src):
        if isinstance(a, Exception):
            continue
        arts.append(a)
        if len(arts) >= sample:
            break
    t_parse = time.perf_counter() - t0
    for a in arts[:50]:  # warm models
        annotate_paragraphs(a.paragraphs, title=a.title)
    t0 = time.perf_counter()
    ents = []
    for a in arts:
        ms = annotate_paragraphs(a.paragraphs, title=a.title)
        ents.append({entity_key(e.name) for e in summarize(m for p in ms for m in p)})
    t_ent = time.perf_counter() - t0
    t0 = time.perf_counter()
    for a in arts:
        article_events(a.paragraphs, a.published)
    t_dates = time.perf_counter() - t0
    conn = sqlite3.connect(":memory:")
    pi = StoryIndex(conn)
    pi.create_schema()
    t0 = time.perf_counter()
    prepared = [prepare(content_id(a), a.source or "Reuters", a.published, a.paragraphs, ents[i])
                for i, a in enumerate(arts)]
    t_prep = time.perf_counter() - t0
    t0 = time.perf_counter()
    pi.add_prepared(prepared)
    t_link = time.perf_counter() - t0
    # Whoosh alone, one writer as in a small add (the bulk path splits it over sub-writers)
    from index.model import Article
    from index.search import SearchIndex, document

    docs = [document(Article(content_id(a), a.title, a.source or "Reuters", a.published,
                             a.byline, tuple(a.paragraphs)), sorted(ents[i]))
            for i, a in enumerate(arts)]
    with tempfile.TemporaryDirectory() as tmp:
        ix = SearchIndex(Path(tmp) / "w")
        ix.create()
        t0 = time.perf_counter()
        w = ix.writer(bulk=True)
        for doc in docs:
            w.add_document(**doc)
        t_add = time.perf_counter() - t0
        w.commit()
        t_commit = time.perf_counter() - t0 - t_add
        ix.close()
    k = len(arts)
    return {"n": k, "parse_ms": 1000 * t_parse / k, "entities_ms": 1000 * t_ent / k,
            "dates_ms": 1000 * t_dates / k, "passages_ms": 1000 * (t_prep + t_link) / k,
            "prepare_ms": 1000 * t_prep / k, "add_prepared_ms": 1000 * t_link / k,
            "whoosh_add_ms": 1000 * t_add / k, "whoosh_commit_ms": 1000 * t_commit / k}


def phase_one_more(lib_dir: Path, tmp: Path) -> dict:
    """Add one new article to an existing (full) library: the incremental path, end to end."""
    f = tmp / "one-more.txt"
    f.write_text(
        "Cocoa prices rise in Bahia after late rains\nThu, 26 Mar 1987 10:00:00\n\n"
        "SALVADOR, March 26 - Showers continued throughout the week in the Bahia cocoa zone, "
        "alleviating the drought since early January and improving prospects for the coming "
        "temporao, Comissaria Smith said in its weekly review on Thursday.\n\n"
        "Arrivals for the week were 155,221 bags of 60 kilos, traders in Sao Paulo said.\n",
        encoding="utf-8",
    )
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "reader", "--library", str(lib_dir), "add", str(f), "--source",
         "Bench Wire"], capture_output=True, text=True, cwd=REPO,
    )
    dt = time.perf_counter() - t0
    return {"seconds": dt, "rc": out.returncode, "stderr": out.stderr.strip()[-200:]}


def child(argv: list[str]) -> None:
    kind = argv[0]
    args = [Path(a) for a in argv[1:]]
    if kind == "raw-jsonl":
        res = phase_raw("jsonl", args[0], args[1])
    elif kind == "raw-files":
        res = phase_raw("files", args[0], args[1])
    elif kind == "ours":
        res = phase_ours(args[0], args[1], enrich=True)
    elif kind == "plain":
        res = phase_ours(args[0], args[1], enrich=False)
    elif kind == "costs":
        res = phase_costs(args[0])
    elif kind == "one-more":
        res = phase_one_more(args[0], args[1])
    else:
        raise SystemExit(f"unknown phase {kind}")
    res["peak_mb"] = peak_mb()
    print("RESULT " + json.dumps(res))


def run_phase(*argv: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *argv], capture_output=True,
                         text=True, cwd=REPO)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"phase {argv[0]} failed:\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None, help="only the first N articles")
    ap.add_argument("--keep", metavar="DIR", help="keep the work folder (libraries) here")
    ap.add_argument("--skip", default="", help="comma-separated phases to skip")
    args = ap.parse_args()
    if not REUTERS.exists():
        raise SystemExit(f"missing {REUTERS}; set READER_SHARED_DATA")
    skip = set(filter(None, args.skip.split(",")))
    sys.path.insert(0, str(REPO))
    from index.search import BULK_LIMIT_MB

    assert BULK_LIMIT_MB == RAW_LIMIT_MB, "raw Whoosh must get the writer memory ours gets"
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="reader-bench-"))
    if work.exists() and args.keep:
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    try:
        jsonl = work / "reuters.jsonl.gz"
        n = write_jsonl(jsonl, args.limit)
        files = work / "reuters"
        write_files(jsonl, files)
        print(f"Reuters-21578: {n} articles; {os.cpu_count()} cores; work folder {work}")
        results: dict[str, dict] = {}
        plan = [
            ("raw-jsonl", ("raw-jsonl", str(jsonl), str(work / "raw-jsonl"))),
            ("ours-jsonl", ("ours", str(jsonl), str(work / "lib-jsonl"))),
            ("raw-files", ("raw-files", str(files), str(work / "raw-files"))),
            ("ours-files", ("ours", str(files), str(work / "lib-files"))),
            ("plain-jsonl", ("plain", str(jsonl), str(work / "lib-plain"))),
            ("costs", ("costs", str(jsonl))),
        ]
        for name, argv in plan:
            if name in skip:
                continue
            results[name] = r = run_phase(*argv)
            print(f"  {name:<12} " + json.dumps({k: round(v, 3) if isinstance(v, float) else v
                                                 for k, v in r.items()}), flush=True)
        if "ours-jsonl" in results and "one-more" not in skip:
            results["one-more"] = r = run_phase("one-more", str(work / "lib-jsonl"), str(work))
            print(f"  {'one-more':<12} " + json.dumps(r), flush=True)
        print()
        print(f"{'phase':<12} {'articles':>8} {'seconds':>8} {'art/s':>8} {'peak MB':>8} "
              f"{'size MB':>8} {'raw/ours':>8}")
        for name in ("raw-jsonl", "ours-jsonl", "plain-jsonl", "raw-files", "ours-files"):
            r = results.get(name)
            if not r:
                continue
            raw = results.get("raw-files" if name.endswith("files") else "raw-jsonl")
            ratio = raw["seconds"] / r["seconds"] if raw and not name.startswith("raw") else None
            print(f"{name:<12} {r['n']:>8} {r['seconds']:>8.1f} {r['n'] / r['seconds']:>8.0f} "
                  f"{r['peak_mb']:>8.0f} {r['size_mb']:>8.1f} "
                  f"{'' if ratio is None else f'{ratio:.2f}':>8}")
        c = results.get("costs")
        if c:
            total = c["parse_ms"] + c["entities_ms"] + c["dates_ms"] + c["passages_ms"]
            print(f"\nper-article cost, one process, {c['n']} articles: parse {c['parse_ms']:.2f} ms,"
                  f" entities {c['entities_ms']:.2f} ms, dates {c['dates_ms']:.2f} ms,"
                  f" passages+stories {c['passages_ms']:.2f} ms (prepare {c['prepare_ms']:.2f},"
                  f" add_prepared {c['add_prepared_ms']:.2f})"
                  f" (enrichment share of these: {(total - c['parse_ms']) / total:.0%});"
                  f" Whoosh, one writer: add {c['whoosh_add_ms']:.2f} ms,"
                  f" commit {c['whoosh_commit_ms']:.2f} ms")
        if "ours-jsonl" in results and "plain-jsonl" in results:
            e, p = results["ours-jsonl"]["seconds"], results["plain-jsonl"]["seconds"]
            print(f"enrichment share of ingest wall time: {(e - p) / e:.0%} "
                  f"(enriched {e:.1f} s vs plain {p:.1f} s)")
        if "one-more" in results:
            print(f"one article added to the full library (whole `reader add` process): "
                  f"{results['one-more']['seconds']:.2f} s")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
