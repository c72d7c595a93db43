"""Score named-entity extraction (PER/LOC/ORG, exact typed spans) on real gold data.

Usage::

    python scripts/score_entities.py [--data DIR] [--model DIR] [--errors N]

(a) CoNLL-2003 testa (MISC ignored); (b) MEANTIME named mentions (``syntactic_type`` NAM, types
PER/LOC/ORG), only within each document's first six lines, where it is fully annotated (gold and
predictions both restricted to those lines; extraction runs on the whole document). Prints P, R, F1
overall and per type, and documents per second.

``score_conll()`` and ``score_meantime()`` return the figures as dicts (used by the tests).
Data is found via ``--data``, ``$READER_SHARED_DATA`` or ``<repo>/../shared/data``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from index import entities as E  # noqa: E402

TYPES = ("PER", "LOC", "ORG")


def data_dir(arg: str | Path | None = None) -> Path:
    """Where the shared gold data lives."""
    if arg:
        return Path(arg)
    env = os.environ.get("READER_SHARED_DATA")
    return Path(env) if env else ROOT.parent / "shared" / "data"


def _load(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"p": p, "r": r, "f1": f, "tp": tp, "fp": fp, "fn": fn}


def _score(
    items: list[tuple[str, set[tuple[int, int, str]], int]], errors: list | None = None
) -> dict[str, Any]:
    """items: (text, gold spans, limit): only spans/predictions with start < limit count."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    t0, c0 = time.perf_counter(), time.process_time()
    preds = [E.extract_entities(text) for text, _, _ in items]
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - c0
    for (text, gold, limit), ms in zip(items, preds, strict=False):
        pred = {(m.start, m.end, m.type) for m in ms if m.end <= limit}
        for s in pred & gold:
            tp[s[2]] += 1
        for s in pred - gold:
            fp[s[2]] += 1
            if errors is not None:
                errors.append(("FP", s[2], text[s[0] : s[1]], text[max(0, s[0] - 40) : s[1] + 40]))
        for s in gold - pred:
            fn[s[2]] += 1
            if errors is not None:
                errors.append(("FN", s[2], text[s[0] : s[1]], text[max(0, s[0] - 40) : s[1] + 40]))
    res: dict[str, Any] = _prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    for t in TYPES:
        res[t] = _prf(tp[t], fp[t], fn[t])
    res["docs"] = len(items)
    res["seconds"] = elapsed
    res["docs_per_s"] = len(items) / elapsed if elapsed else 0.0  # wall clock
    res["docs_per_cpu_s"] = len(items) / cpu if cpu else 0.0  # this process's CPU time
    return res


def score_conll(data: str | Path | None = None, errors: list | None = None) -> dict[str, Any]:
    """Exact-span typed P/R/F1 over PER/LOC/ORG on CoNLL-2003 testa, plus docs/s."""
    docs = _load(data_dir(data) / "conll2003-testa.gold.jsonl.gz")
    items = []
    for d in docs:
        gold = {(e["start"], e["end"], e["type"]) for e in d["entities"] if e["type"] in TYPES}
        items.append((d["text"], gold, len(d["text"])))
    return _score(items, errors)


def score_meantime(data: str | Path | None = None, errors: list | None = None) -> dict[str, Any]:
    """Exact-span typed P/R/F1 on MEANTIME named (NAM) PER/LOC/ORG mentions, first six lines."""
    docs = _load(data_dir(data) / "meantime.gold.jsonl.gz")
    items = []
    for d in docs:
        text = d["text"]
        lines = text.split("\n")
        limit = sum(len(x) + 1 for x in lines[:6])
        gold = {
            (e["start"], e["end"], e["type"])
            for e in d["entities"]
            if e.get("syntactic_type") == "NAM" and e.get("type") in TYPES and e["end"] <= limit
        }
        items.append((text, gold, limit))
    return _score(items, errors)


def _print(name: str, r: dict[str, Any]) -> None:
    print(
        f"{name:10s} F1 {r['f1']:.3f}  P {r['p']:.3f}  R {r['r']:.3f}   "
        f"({r['docs']} docs, {r['docs_per_s']:.0f} docs/s wall, {r['docs_per_cpu_s']:.0f} per CPU s)"
    )
    for t in TYPES:
        x = r[t]
        print(
            f"  {t}  F1 {x['f1']:.3f}  P {x['p']:.3f}  R {x['r']:.3f}  tp {x['tp']} fp {x['fp']} fn {x['fn']}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", default=None)
    ap.add_argument("--model", default=None, help="model directory (default: index/ner)")
    ap.add_argument("--errors", type=int, default=0, help="print N sample errors per corpus")
    ap.add_argument("--only", choices=["conll", "meantime"], default=None)
    args = ap.parse_args()
    if args.model:
        E._use_model(args.model)
    E.extract_entities("Warm up.")  # load the model outside the timing
    for name, fn in (("conll", score_conll), ("meantime", score_meantime)):
        if args.only and args.only != name:
            continue
        errs: list = []
        r = fn(args.data, errs)
        _print(name, r)
        if args.errors:
            import random

            random.Random(0).shuffle(errs)
            for e in errs[: args.errors]:
                print("   ", e[0], e[1], repr(e[2]), "|", repr(e[3]))


if __name__ == "__main__":
    main()
