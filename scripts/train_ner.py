"""Train the named-entity CRF shipped in ``index/ner/`` (reproducible; CoNLL-2003 train only).

Usage::

    python scripts/train_ner.py [--data DIR] [--out DIR] [--c1 0.05] [--c2 0.01] [--iters 150]

Writes ``crf.model`` (python-crfsuite) and ``lexicon.json.gz`` (word lists derived from the
training data: tokens that are mostly part of a PER/LOC/ORG/MISC name, and common lower-case
words). Never reads CoNLL testa or MEANTIME: those are for measuring only
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", default=None)
    ap.add_argument("--out", default=str(ROOT / "index" / "ner"))
    ap.add_argument("--c1", type=float, default=0.05)
    ap.add_argument("--c2", type=float, default=0.01)
    ap.add_argument("--iters", type=int, default=150)
    ap.add_argument("--minfreq", type=float, default=1)
    ap.add_argument("--no-truecase", action="store_true")
    args = ap.parse_args()

    t0 = time.time()
    docs = load_docs(data_dir(args.data) / "conll2003-train.gold.jsonl.gz")
    doc_sents = [doc_sentences(d) for d in docs]
    mis = sum(d.get("_misaligned", 0) for d in docs)
    nent = sum(len(d["entities"]) for d in docs)
    print(f"{len(docs)} docs, {nent} entities, {mis} not aligned to tokens", flush=True)
    all_sents = [s for ds in doc_sents for s in ds]
    common = build_common(all_sents)
    gaz = build_gaz(all_sents)
    lex = E._Lexicon(gaz, common)
    print(f"lexicon: {len(gaz)} name tokens, {len(common)} common words", flush=True)

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
    with gzip.GzipFile(out / "lexicon.json.gz", "wb", mtime=0) as fh:
        fh.write(
            json.dumps(
                {
                    "truecase": not args.no_truecase,
                    "gaz": sorted(gaz.items()),
                    "common": sorted(common),
                },
                ensure_ascii=False,
            ).encode("utf-8")
        )
    info = trainer.logparser.last_iteration
    print(f"trained in {time.time() - t0:.1f}s; last iteration: {info}")
    print(f"model size {os.path.getsize(out / 'crf.model') / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
