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
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from index import entities as E  # noqa: E402
from index.ner import decoder  # noqa: E402

TYPES = ("PER", "LOC", "ORG")
_WORD_RE = re.compile(r"\S+")
_PARTS_RE = re.compile(r"[,()]")
_PIECE_RE = re.compile(r"[^,()]+")


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


def _score(items: list[tuple], errors: list | None = None) -> dict[str, Any]:
    """items: (text, gold spans, limit[, ignored spans]): only spans/predictions ending by limit
    count; a prediction over an ignored span (start, end) counts neither way."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    t0, c0 = time.perf_counter(), time.process_time()
    preds = [E.extract_entities(item[0]) for item in items]
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - c0
    for item, ms in zip(items, preds, strict=False):
        text, gold, limit = item[:3]
        ignored = item[3] if len(item) > 3 else frozenset()
        pred = {(m.start, m.end, m.type) for m in ms if m.end <= limit}
        pred = {p for p in pred if p[:2] not in ignored}
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


# --- MEANTIME's span convention against CoNLL's -------------------------------------------------
#
# MEANTIME marks the whole noun phrase a name heads: "the United States", "President Vladimir
# Putin", "German airline Lufthansa", "Mobile, Alabama", "Singapore Airlines (SIA". CoNLL-2003 marks
# the name alone ("United States", "Vladimir Putin", "Lufthansa"; in testa 303 of 311 names after
# "the" leave it out). One exact span cannot follow both. ``name_core`` cuts a MEANTIME extent to
# the name(s) CoNLL's convention would mark, mechanically (never by looking at our output), so
# that the script can print (a) how many gold extents no CoNLL-style tagger can match, (b) what a
# perfect CoNLL-style tagger would score here, and (c) our own score against the cut gold.

_CONNECTORS = frozenset(
    [
        "of",
        "and",
        "&",
        "for",
        "de",
        "du",
        "des",
        "la",
        "le",
        "van",
        "von",
        "der",
        "den",
        "da",
        "al",
        "el",
        "bin",
        "on",
        "upon",
    ]
)
_TITLES = frozenset(
    [
        "mr",
        "mr.",
        "mrs",
        "mrs.",
        "ms",
        "ms.",
        "dr",
        "dr.",
        "sir",
        "president",
        "senator",
        "sen.",
        "rep.",
        "gov.",
        "spokeswoman",
        "spokesman",
        "chairman",
        "chairwoman",
        "ceo",
    ]
)
_DETERMINERS = frozenset({"the", "a", "an", "its", "their", "his", "her", "our"})


def _core_part(text: str, start: int) -> list[tuple[int, int]]:
    """One comma/parenthesis-free part of an extent, cut to its name: (start, end) or nothing."""
    toks = [(m.start() + start, m.end() + start, m.group()) for m in _WORD_RE.finditer(text)]
    # the name starts after the last word that cannot be inside one: a lower-case word that is
    # not a connector, a determiner, a possessive modifier ("Singapore's"), or a title
    cut = 0
    for i, (_s, _e, w) in enumerate(toks):
        low = w.lower()
        if (
            (w[0].islower() and low not in _CONNECTORS)
            or low in _DETERMINERS
            or low in _TITLES
            or w.endswith(("'s", "’s"))
        ):
            cut = i + 1
    toks = toks[cut:]
    while toks and toks[0][2].lower() in _CONNECTORS:
        toks = toks[1:]
    while toks and toks[-1][2].lower() in _CONNECTORS:
        toks = toks[:-1]
    if not toks or not any(t[2][0].isupper() or t[2][0].isdigit() for t in toks):
        return []
    return [(toks[0][0], toks[-1][1])]


def name_core(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The span(s) CoNLL's convention would mark inside the MEANTIME extent text[start:end]."""
    out: list[tuple[int, int]] = []
    for m in _PIECE_RE.finditer(text, start, end):
        out.extend(_core_part(m.group(), m.start()))
    return out


def _extent_kind(s: str) -> str:
    words = s.split()
    if words[0].lower() in _DETERMINERS:
        return "a determiner"
    if _PARTS_RE.search(s):
        return "a comma or parenthesis compound"
    return "a descriptor or title"


def meantime_conventions(data: str | Path | None = None) -> dict[str, Any]:
    """How far MEANTIME's extents are from CoNLL's convention, and what that costs any tagger.

    Returns: gold count, extents a CoNLL-style tagger cannot match (by kind), the F1 of a perfect
    CoNLL-style tagger (one that outputs exactly the cut name of every gold mention, typed right),
    and our exact-typed score against the cut gold ("name core"; predictions over a named
    premodifier, MEANTIME's PRE.NAM, are left out of that one). The perfect tagger's figure is
    optimistic: it marks no named premodifier, where a real CoNLL-style tagger marks "Boeing" in
    "Boeing employees" and is charged a false positive for it by the official score.
    """
    docs = _load(data_dir(data) / "meantime.gold.jsonl.gz")
    kinds: Counter[str] = Counter()
    n = 0
    oracle_tp = oracle_fp = 0
    items = []
    for d in docs:
        text = d["text"]
        limit = sum(len(x) + 1 for x in text.split("\n")[:6])
        gold = {
            (e["start"], e["end"], e["type"])
            for e in d["entities"]
            if e.get("syntactic_type") == "NAM" and e.get("type") in TYPES and e["end"] <= limit
        }
        # named premodifiers ("Boeing" in "Boeing employees") are not scored as gold, and a
        # name-core prediction over one is not counted against us either
        ignored = {
            span
            for e in d["entities"]
            if e.get("syntactic_type") == "PRE.NAM" and e["end"] <= limit
            for span in [(e["start"], e["end"]), *name_core(text, e["start"], e["end"])]
        }
        cut: set[tuple[int, int, str]] = set()
        for s, e, t in gold:
            n += 1
            core = name_core(text, s, e)
            cut.update((a, b, t) for a, b in core)
            if core != [(s, e)]:
                kinds[_extent_kind(text[s:e])] += 1
        oracle_tp += len(cut & gold)
        oracle_fp += len(cut - gold)
        items.append((text, cut, limit, ignored))
    mismatched = sum(kinds.values())
    oracle = _prf(oracle_tp, oracle_fp, n - oracle_tp)
    return {
        "gold": n,
        "unmatchable": mismatched,
        "kinds": dict(kinds.most_common()),
        "oracle": oracle,
        "name_core": _score(items),
    }


# --- one person, one entity: identity of named mentions within and across documents ----------
#
# Each gold named mention is matched to the predicted mention over it (same span, a name that
# ends the gold phrase: "President Vladimir Putin" ends with "Vladimir Putin", or one holding
# the gold span). A matched mention's predicted
# entity is its article's entity key (titles out, a surname joined to the full name within the
# article), then joined across the collection (``entities.join_names``: a surname to the one
# full name it stands for). B-cubed P/R/F1 of those entities against the gold identities
# (MEANTIME ``instance_id``, NewsWCL50 ``chain``), over matched mentions, pooled over every
# document of a collection ("across": MEANTIME's corpus, each NewsWCL50 event, whose chain ids
# are the event's own) and document by document ("within"); an unmatched gold mention is left
# out (this measures identity, the span scores above measure finding names) and counted.


def _bcubed(pairs: list[tuple[str, str]]) -> tuple[float, float, float]:
    """B-cubed over (predicted cluster, gold cluster) of each item."""
    if not pairs:
        return 0.0, 0.0, 0.0
    pc: Counter[str] = Counter(p for p, _ in pairs)
    gc: Counter[str] = Counter(g for _, g in pairs)
    both: Counter[tuple[str, str]] = Counter(pairs)
    n = len(pairs)
    p = sum(both[x] / pc[x[0]] for x in pairs) / n
    r = sum(both[x] / gc[x[1]] for x in pairs) / n
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _entity_of(ms: list, start: int, end: int):
    """The predicted mention over a gold span: the same span, a name ending the gold phrase
    (the name it heads: "President Vladimir Putin", "Airbus parent EADS"; not "Trump" in
    "the Trump administration"), or one holding the gold span; else None."""
    best = None
    for m in ms:
        if m.start < end and start < m.end and (
                (start <= m.start and m.end == end) or (m.start <= start and end <= m.end)) and (
                best is None or (m.end - m.start) > (best.end - best.start)):
            best = m
    return best


def _identity(docs: list[tuple[str, str, list[tuple[int, int, str]]]], join: bool = True,
              group_of: dict[str, str] | None = None) -> dict[str, Any]:
    """docs: (doc id, text, gold mentions (start, end, gold id)). ``group_of``: doc -> the
    collection its names are joined across (default: all documents together)."""
    found: list[tuple[str, str, str]] = []  # (doc, predicted key, gold id)
    entries = []
    missed = 0
    for doc, text, gold in docs:
        ms = E.extract_entities(text)
        keyed = [(m, E.entity_key(m.name), m.type) for m in ms]
        entries += [(k, t, doc) for _m, k, t in keyed]
        for a, b, g in gold:
            m = _entity_of(ms, a, b)
            if m is None:
                missed += 1
                continue
            found.append((doc, f"{m.type}:{E.entity_key(m.name)}", g))
    joined: dict[str, dict] = {}
    if join and hasattr(E, "join_names"):
        groups: dict[str, list] = {}
        for k, t, doc in entries:
            groups.setdefault((group_of or {}).get(doc, ""), []).append((k, t, doc))
        joined = {gname: E.join_names(es) for gname, es in groups.items()}

    def pred(doc: str, key: str) -> str:
        t, k = key.split(":", 1)
        j = joined.get((group_of or {}).get(doc, ""), {})
        return f"{t}:{j.get((k, t), k)}"

    # across: pooled over the documents of each collection (gold ids of NewsWCL50 are per
    # event), weighted by mentions
    by_group: dict[str, list] = {}
    for d, k, g in found:
        by_group.setdefault((group_of or {}).get(d, ""), []).append((pred(d, k), g))
    n = len(found) or 1
    acc = [0.0, 0.0]
    for ps in by_group.values():
        p, r, _f = _bcubed(ps)
        acc[0] += p * len(ps)
        acc[1] += r * len(ps)
    ap, ar = acc[0] / n, acc[1] / n
    across = (ap, ar, 2 * ap * ar / (ap + ar) if ap + ar else 0.0)
    within_pairs: dict[str, list] = {}
    for d, k, g in found:
        within_pairs.setdefault(d, []).append((pred(d, k), g))
    # within: every document's own B-cubed, weighted by its mentions
    w = [0.0, 0.0]
    for ps in within_pairs.values():
        p, r, _f = _bcubed(ps)
        w[0] += p * len(ps)
        w[1] += r * len(ps)
    wp, wr = w[0] / n, w[1] / n
    within = (wp, wr, 2 * wp * wr / (wp + wr) if wp + wr else 0.0)
    return {"across": across, "within": within, "matched": len(found), "missed": missed}


def identity_meantime(data: str | Path | None = None, join: bool = True) -> dict[str, Any]:
    """MEANTIME named PER/LOC/ORG mentions (every line: later lines carry the cross-document
    mentions) by ``instance_id``, joined across the whole corpus."""
    docs = []
    for d in _load(data_dir(data) / "meantime.gold.jsonl.gz"):
        gold = [(e["start"], e["end"], e["instance_id"]) for e in d["entities"]
                if e.get("syntactic_type") == "NAM" and e.get("type") in TYPES
                and e.get("instance_id")]
        docs.append((str(d["doc"]), d["text"], gold))
    return _identity(docs, join)


def identity_newswcl(data: str | Path | None = None, join: bool = True) -> dict[str, Any]:
    """NewsWCL50 mentions by ``chain`` (chains cross the five outlets of an event), over the
    mentions that hold a name we find; names joined across each event's five articles."""
    d = data_dir(data)
    texts = {}
    group_of = {}
    for r in _load(d / "newswcl50.jsonl.gz"):
        key = r["file"] if "file" in r else f"{r['story']}/{r['source']}"
        texts[key] = r["text"]
        group_of[key] = r["story"]
    gold: dict[str, list] = {}
    for m in _load(d / "newswcl50-mentions.jsonl.gz"):
        gold.setdefault(m["file"], []).append((m["start"], m["end"], m["chain"]))
    docs = [(k, texts[k], gold.get(k, [])) for k in texts]
    return _identity(docs, join, group_of)


def _print_identity(name: str, r: dict[str, Any]) -> None:
    a, w = r["across"], r["within"]
    print(f"{name:10s} identity across documents B-cubed P {a[0]:.3f} R {a[1]:.3f} F1 {a[2]:.3f};"
          f" within P {w[0]:.3f} R {w[1]:.3f} F1 {w[2]:.3f}  ({r['matched']} gold mentions on "
          f"a found name, {r['missed']} not)")


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
        decoder._use_model(args.model)
    E.extract_entities("Warm up.")  # load the model outside the timing
    for name, fn in (("conll", score_conll), ("meantime", score_meantime)):
        if args.only and args.only != name:
            continue
        errs: list = []
        r = fn(args.data, errs)
        _print(name, r)
        if name == "meantime":
            c = meantime_conventions(args.data)
            o = c["oracle"]
            kinds = ", ".join(f"{k} {v}" for k, v in c["kinds"].items())
            print(
                f"  span convention: {c['unmatchable']} of {c['gold']} gold extents "
                f"({c['unmatchable'] / c['gold']:.1%}) are not a name alone as CoNLL marks it "
                f"({kinds});\n  a perfect tagger under CoNLL's convention would score F1 "
                f"{o['f1']:.3f} (P {o['p']:.3f} R {o['r']:.3f}) here"
            )
            _print("  name core", c["name_core"])
        if name == "meantime":
            _print_identity("  MEANTIME", identity_meantime(args.data))
            _print_identity("  NewsWCL50", identity_newswcl(args.data))
        if args.errors:
            import random

            random.Random(0).shuffle(errs)
            for e in errs[: args.errors]:
                print("   ", e[0], e[1], repr(e[2]), "|", repr(e[3]))


if __name__ == "__main__":
    main()
