"""Build a library from a fixed input and dump everything it derived, for refactoring checks.

Usage::

    python scripts/dump_library.py OUT.txt [--reuters N] [--keep DIR]

The input: the seeds, the first N records of ../shared/data/reuters21578.jsonl.gz (default 300),
a saved feed and two saved pages from ../shared/data, and a small e-mail written here. The dump
holds every store table (rows sorted; the times an article was added are masked), the Whoosh
index's terms with their postings (document numbers mapped to article ids) and stored fields,
and the hits and scores of a few searches. Two dumps of the same code are identical, so a
refactoring that changes no behaviour leaves ``diff`` silent.
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.library import Library  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
QUERIES = ["oil", "bank rates", "president", '"interest rates"', "title:oil", "entity:iran",
           "coffee OR cocoa", "dollar -yen", "source:seeds", "trade*"]
_MASKED = {("articles", "added"), ("feeds", "added"), ("article_state", "read_at"),
           ("article_state", "starred_at"), ("saved_searches", "created")}

EML = """From: Reporter <reporter@example.org>
To: desk@example.org
Subject: Harbour cranes stop as dockers strike in Rotterdam
Date: Tue, 04 Mar 2025 09:15:00 +0100
Message-ID: <dump-1@example.org>
Content-Type: text/plain; charset=utf-8

ROTTERDAM (Reuters) - Dock workers at the port of Rotterdam stopped work on Tuesday in a dispute
over automation, the FNV union said, halting container traffic at Europe's largest port.

Port director Allard Castelein said talks with the union would resume on Thursday.
"""


def build_inputs(folder: Path, reuters: int) -> list[Path]:
    seeds = folder / "seeds"
    shutil.copytree(ROOT / "seeds", seeds)
    jl = folder / "reuters.jsonl"
    with gzip.open(DATA / "reuters21578.jsonl.gz", "rt", encoding="utf-8") as f, \
            jl.open("w", encoding="utf-8") as out:
        for i, line in enumerate(f):
            if i >= reuters:
                break
            out.write(line)
    other = folder / "other"
    other.mkdir()
    shutil.copy(DATA / "feeds" / "rss_2.0_bbc.xml", other / "bbc.xml")
    for name in ("bbc-1", "guardian-1"):
        shutil.copy(DATA / "html" / name / "source.html", other / f"{name}.html")
    (other / "strike.eml").write_text(EML, encoding="utf-8")
    return [seeds, jl, other]


def dump_store(db: Path, out: list[str]) -> None:
    conn = sqlite3.connect(db)
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]
    for t in tables:
        cols = [r[1] for r in conn.execute(f"PRAGMA table_info({t})")]
        rows = []
        for row in conn.execute(f"SELECT * FROM {t}"):
            rows.append(tuple("<masked>" if (t, c) in _MASKED else v for c, v in zip(cols, row,
                                                                              strict=True)))
        rows.sort(key=repr)
        out.append(f"== table {t} ({len(rows)} rows) {cols}")
        out.extend(repr(r) for r in rows)
    conn.close()


def dump_index(lib: Library, out: list[str]) -> None:
    ix = lib.index.ix
    with ix.reader() as r:
        ids = {n: f.get("id") for n, f in r.iter_docs()}
        out.append(f"== stored fields ({len(ids)} documents)")
        for _n, f in sorted(r.iter_docs(), key=lambda nf: str(nf[1].get("id"))):
            out.append(repr(sorted(f.items())))
        out.append("== postings")
        for field, term in r.all_terms():
            p = r.postings(field, term)
            items = sorted((str(ids.get(d)), w)
                           for d, w in zip(p.all_ids(), _weights(r, field, term), strict=True))
            out.append(f"{field} {term!r}: {items}")
        out.append("== field lengths")
        for field in sorted(ix.schema.scorable_names()):
            out.append(f"{field}: " + repr(sorted(
                (str(ids.get(n)), r.doc_field_length(n, field, 0)) for n in ids)))


def _weights(r, field: str, term: bytes) -> list[float]:  # type: ignore[no-untyped-def]
    p = r.postings(field, term)
    ws = []
    while p.is_active():
        ws.append(p.weight())
        p.next()
    return ws


def dump_searches(lib: Library, out: list[str]) -> None:
    for q in QUERIES:
        out.append(f"== search {q!r}")
        try:
            hits = lib.index.search(q, limit=20)
        except Exception as exc:
            out.append(f"error {type(exc).__name__}: {exc}")
            continue
        out.extend(f"{h.id} {h.score:.6f}" for h in hits)


def dump_reads(lib: Library, out: list[str]) -> None:
    """What the app and the CLI read through ``Library`` for a few articles."""
    ids = sorted(lib.rows_by_id([r.id for r in lib.rows()]))
    stats = {k: v for k, v in lib.stats().items() if k != "size_bytes"}
    out.append(f"== reads: stats {sorted(stats.items())!r}")
    out.append(f"top entities {lib.top_entities(15)!r}")
    for aid in ids[::23]:
        out.append(f"-- {aid} story {lib.story_of(aid)} {lib.story_articles(aid)}")
        out.append(f"related {lib.related(aid)!r}")
        out.append(f"entities {lib.entities(aid)!r}")
        out.append(f"events {lib.events(aid)!r}")
        out.append(f"coverage {lib.coverage(aid)!r}")
        out.append(f"sources {lib.paragraph_sources(aid)!r}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--reuters", type=int, default=300)
    ap.add_argument("--keep", type=Path, help="build the library here and keep it")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        inputs = build_inputs(Path(tmp), args.reuters)
        lib_path = base / "library"
        if lib_path.exists():
            shutil.rmtree(lib_path)
        out: list[str] = []
        with Library(lib_path) as lib:
            report = lib.add(inputs, procs=1)
            out.append(f"== add: {len(report.ids)} ids, {report.skipped_count} skipped")
            some = sorted(report.added)[:6]
            lib.mark(some[:3], read=True)
            lib.mark(some[2:5], starred=True)
            lib.save_search("oil", "oil -gas")
            dump_searches(lib, out)
            dump_reads(lib, out)
            dump_index(lib, out)
        dump_store(lib_path / "library.db", out)
        text = "\n".join(out).replace(tmp, "<tmp>") + "\n"
        args.out.write_text(text, encoding="utf-8")
        print(f"{args.out}: {len(out)} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
