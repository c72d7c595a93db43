"""Score passage alignment and story grouping (index.stories) on the seeds, NewsWCL50 and Reuters.

    python scripts/score_stories.py [--data DIR] [--no-reuters] [--timing-only]

Figures printed:
  seeds      every shared paragraph pair found (with kind and similarity), the expected
             passages found or missed, unexpected links, and the seeds' stories;
  as a user meets them
             the articles go through ``reader add``'s own path (parse, entity tagging and keys,
             title) into a fresh index, in file order: AllSides dev (B-cubed over all, and over
             each half of a fixed split by story id: half A is where rules and thresholds were
             chosen, half B is held out), NewsWCL50 as plain text files (no title, no date) and
             with the dates of the URLs (HuffPost's URLs have none); each of those two also
             with the 19,043 Reuters articles (through the same path, titles and dates as
             given) added before NewsWCL50 (a big library the stories arrive into) and after
             it (B-cubed over the NewsWCL50 articles, a Reuters article in one of their
             stories counting against precision); and how many articles'
             story members differ from their story in ``stories()`` (the list's +N and the
             ]/[ jumps come from one answer: must be 0).
  NewsWCL50  (with the stand-in or tagger keys, no titles) B-cubed precision / recall / F1 of the story ids against the ``story`` field:
             alone, and with the 19,043 Reuters articles as distractors. B-cubed is computed
             over the 50 NewsWCL50 articles only; a Reuters article counts through the clusters
             it joins: for each NewsWCL50 article, precision = (same-gold members of its story)
             / (all members of its story, Reuters distractors included), recall = (same-gold
             members of its story) / (gold cluster size). Reuters ingested first (a big
             library that the stories arrive into), then NewsWCL50; and the reverse order.
  timing     add_many per-article cost on Reuters, split into ``prepare`` (pure, can run in
             worker processes) and ``add_prepared`` (the database part), the pickled size of a
             prepared article, and one add() into the full Reuters library.

Entity keys: ``index.entities.extract_entities`` + ``entity_key`` when that module provides
them, else a stand-in (capitalised word n-grams), chosen by ``entity_keys_fn``.
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import json
import os
import re
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from index.stories import StoryIndex, prepare  # noqa: E402

SEED_DATES = {
    "000": date(2017, 10, 26),
    "001": date(2017, 10, 25),
    "002": date(2017, 10, 26),
    "003": date(2017, 10, 26),
    "004": date(2017, 11, 25),
}

# Expected shared passages in the seeds: name -> (articles, a distinctive phrase of each copy).
SEED_PASSAGES = {
    "leaflet quote": ("000 001 002", "white flag"),
    "caliphate collapse wire paragraph": ("000 001 003", "effectively collapsed in July"),
    "Popular Mobilisation sentence": ("000 002", "are taking part in the offensive toward"),
    "air-force leaflets sentence": ("000 002", "dropped thousands of leaflets"),
    "Baghdadi audio recording": ("000 001", "audio recording"),
}
# Links that are true overlaps though not in the brief's list (same wire text, paraphrased);
# found or not, they are not false links. Keyed by a phrase on each side.
SEED_ALLOWED = [
    ("Daesh also holds parts of the Syrian side", "also holds parts of the Syrian side"),
    ("Daesh also holds parts of the Syrian side", "still holding parts of the Syrian side"),
    ("Raqqa, fell to US-backed forces", "fell to U.S.-backed forces last week"),
    ("choose between death and surrender", "choose between death and surrender"),
    ("last patch of Iraqi territory", "last patch of Iraq's territory"),
    # 000's header block carries the Popular Mobilisation caption and the Abadi quote
    ("Iranian-backed Popular Mobilisation are taking part in the offensive. (Archive)",
     "Iranian-backed Popular Mobilisation are taking part in the offensive towards"),
]


# ------------------------------------------------------------------------------------ data


def data_dir(arg: str | None = None) -> Path:
    if arg:
        return Path(arg)
    env = os.environ.get("READER_SHARED_DATA")
    if env:
        return Path(env)
    return ROOT.parent / "shared" / "data"


def read_jsonl(path: Path) -> Iterable[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def split_paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


# ------------------------------------------------------------------------------------ entities

_CAP_RUN = re.compile(
    r"\b(?:[A-Z][\w’'\-.]*[\w]|[A-Z])(?:(?:\s+|\s*-\s*)(?:(?:al|el|bin|de|la|van|von|of|the)\s+)?"
    r"(?:[A-Z][\w’'\-.]*[\w]|[A-Z]))*"
)
_NOT_NAMES = set(
    ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december", "the", "a", "an", "in", "on", "at", "for", "of", "and", "but", "he", "she", "it", "they", "we", "i", "you", "his", "her", "their", "this", "that", "these", "those", "there", "here", "what", "when", "where", "why", "how", "if", "as", "after", "before", "while", "with", "by", "from", "to", "mr", "mrs", "ms", "dr", "said", "also", "however", "meanwhile"]
)


def standin_entity_keys(text: str) -> set[str]:
    """Stand-in entity keys: runs of capitalised words, minus weekdays, months and sentence
    openers that are common words; casefolded, hyphens as spaces, possessive dropped."""
    keys = set()
    for m in _CAP_RUN.finditer(text):
        span = m.group()
        words = span.split()
        if words and words[0].casefold() in _NOT_NAMES:
            words = words[1:]
        if not words:
            continue
        key = " ".join(words).casefold().replace("-", " ").replace("’s", "").replace("'s", "")
        key = re.sub(r"[^\w ]", "", key).strip()
        key = re.sub(r"\s+", " ", key)
        if not key or key in _NOT_NAMES or len(key) < 2:
            continue
        keys.add(key)
    return keys


def entity_keys_fn() -> tuple[Callable[[str], set[str]], str]:
    """``index.entities`` when it offers ``extract_entities`` and ``entity_key``, else the
    stand-in. Returns (function, name)."""
    try:
        mod = importlib.import_module("index.entities")
        extract = mod.extract_entities
        key = mod.entity_key
    except Exception:  # module missing, incomplete, or failing to import
        return standin_entity_keys, "stand-in (capitalised n-grams)"

    story_keys = getattr(mod, "story_keys", None)

    def keys(text: str) -> set[str]:
        if story_keys is not None:  # as the library offers them (surnames besides names)
            return set(story_keys((key(m.name), m.type) for m in extract(text)))
        out = set()
        for m in extract(text):
            name = getattr(m, "name", None) or getattr(m, "text", None) or m
            typ = getattr(m, "type", None)
            try:
                k = key(name, typ) if typ is not None else key(name)
            except TypeError:
                k = key(name)
            if k:
                out.add(k)
        return out

    try:
        keys("Iraqi Prime Minister Haider al Abadi said on Thursday in Baghdad.")
    except Exception:
        return standin_entity_keys, "stand-in (index.entities failed)"
    return keys, "index.entities.extract_entities + entity_key"


# ------------------------------------------------------------------------------------ seeds


def load_seeds(seed_dir: Path | None = None) -> list[tuple[str, str, date | None, list[str]]]:
    seed_dir = seed_dir or ROOT / "seeds"
    out = []
    for f in sorted(seed_dir.glob("*.txt")):
        key = f.name[:3]
        paras = split_paragraphs(f.read_text(encoding="utf-8"))
        out.append((key, f.stem, SEED_DATES.get(key), paras))
    return out


def index_seeds(conn: sqlite3.Connection, keys_fn=None) -> StoryIndex:
    keys_fn = keys_fn or entity_keys_fn()[0]
    pi = StoryIndex(conn)
    pi.create_schema()
    items = [(k, src, d, paras, keys_fn("\n\n".join(paras))) for k, src, d, paras in load_seeds()]
    pi.add_many(items)
    return pi


def seed_report(pi: StoryIndex) -> dict:
    """Found/missed expected passages and unexpected links among the seeds."""
    seeds = {k: paras for k, _, _, paras in load_seeds()}
    links = set()
    detail = []
    for a in seeds:
        for p in range(len(seeds[a])):
            for link in pi.same_passage(a, p):
                pair = tuple(sorted([(a, p), (link.article, link.other_paragraph)]))
                if pair not in links:
                    links.add(pair)
                    detail.append((pair, link.kind, link.similarity))

    def para_with(art: str, phrase: str) -> int | None:
        for i, text in enumerate(seeds[art]):
            if phrase in text:
                return i
        return None

    found, missed, expected_pairs = [], [], set()
    for name, (arts, phrase) in SEED_PASSAGES.items():
        arts = arts.split()
        for i, a in enumerate(arts):
            for b in arts[i + 1 :]:
                pa, pb = para_with(a, phrase), para_with(b, phrase)
                pair = tuple(sorted([(a, pa), (b, pb)]))
                expected_pairs.add(pair)
                (found if pair in links else missed).append((name, pair))
    allowed = set()
    for pa_phrase, pb_phrase in SEED_ALLOWED:
        for a in seeds:
            for b in seeds:
                if a >= b:
                    continue
                for x, y in ((pa_phrase, pb_phrase), (pb_phrase, pa_phrase)):
                    for i, ti in enumerate(seeds[a]):
                        for j, tj in enumerate(seeds[b]):
                            if x in ti and y in tj:
                                allowed.add(((a, i), (b, j)))
    unexpected = [d for d in detail if d[0] not in expected_pairs and d[0] not in allowed]
    stories = pi.stories()
    return {
        "links": sorted(detail),
        "found": found,
        "missed": missed,
        "unexpected": unexpected,
        "stories": stories,
    }


# ------------------------------------------------------------------------------------ B-cubed


def bcubed(pred: dict[str, str], gold: dict[str, str]) -> tuple[float, float, float]:
    """B-cubed P/R/F1 over the items of ``gold``; clusters of ``pred`` may hold other items
    (distractors), which lower precision only."""
    members: dict[str, list[str]] = defaultdict(list)
    for item, c in pred.items():
        members[c].append(item)
    gsize: dict[str, int] = defaultdict(int)
    for g in gold.values():
        gsize[g] += 1
    p_sum = r_sum = 0.0
    for item, g in gold.items():
        cluster = members[pred[item]] if item in pred else [item]
        same = sum(1 for o in cluster if gold.get(o) == g)
        p_sum += same / len(cluster)
        r_sum += same / gsize[g]
    n = len(gold)
    p, r = p_sum / n, r_sum / n
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


# ------------------------------------------------------------------------------------ corpora


def newswcl_items(path: Path, keys_fn) -> tuple[list[tuple], dict[str, str]]:
    items, gold = [], {}
    for i, row in enumerate(read_jsonl(path)):
        aid = f"wcl-{i:02d}-{row.get('doc_id', '')}"
        paras = split_paragraphs(row["text"])
        items.append((aid, row["source"], None, paras, keys_fn(row["text"])))
        gold[aid] = row["story"]
    return items, gold


def reuters_items(path: Path, keys_fn, limit: int | None = None) -> list[tuple]:
    out = []
    for row in read_jsonl(path):
        pub = row.get("published")
        d = date.fromisoformat(pub[:10]) if pub else None
        body = row.get("body") or ""
        out.append((row["id"], row.get("source") or "Reuters", d, split_paragraphs(body),
                    keys_fn(body)))
        if limit and len(out) >= limit:
            break
    return out


def fresh_index(path: Path | None = None) -> tuple[StoryIndex, sqlite3.Connection]:
    if path is None:
        fd, name = tempfile.mkstemp(suffix=".sqlite")
        os.close(fd)
        os.unlink(name)
        path = Path(name)
    conn = sqlite3.connect(path)
    pi = StoryIndex(conn)
    pi.create_schema()
    return pi, conn


def score_newswcl(path: Path, keys_fn, distractors: list[tuple] | None = None,
                  distractors_first: bool = True) -> dict:
    items, gold = newswcl_items(path, keys_fn)
    pi, conn = fresh_index()
    t = time.perf_counter()
    if distractors and distractors_first:
        pi.add_many(distractors)
    pi.add_many(items)
    if distractors and not distractors_first:
        pi.add_many(distractors)
    conn.commit()
    secs = time.perf_counter() - t
    pred = pi.stories()
    p, r, f = bcubed(pred, gold)
    polluted = sum(
        1
        for a, s in pred.items()
        if a not in gold and any(pred.get(g) == s for g in gold)
    )
    clusters = len({pred[g] for g in gold})
    db = conn.execute("PRAGMA database_list").fetchone()[2]
    conn.close()
    os.unlink(db)
    return {"precision": p, "recall": r, "f1": f, "clusters": clusters,
            "distractors_in_wcl_stories": polluted, "seconds": secs}


def timing(reuters: list[tuple]) -> dict:
    import pickle

    t = time.perf_counter()
    prepared = [prepare(*it) for it in reuters[:-1]]
    prep = time.perf_counter() - t
    pickled = len(pickle.dumps(prepared, protocol=pickle.HIGHEST_PROTOCOL))
    pi, conn = fresh_index()
    t = time.perf_counter()
    pi.add_prepared(prepared)
    conn.commit()
    db_part = time.perf_counter() - t
    del prepared
    bulk = prep + db_part
    last = reuters[-1]
    t = time.perf_counter()
    pi.add(*last)
    one = time.perf_counter() - t
    conn.commit()
    # and one add of a fresh, different-source article that shares text with Reuters
    probe = ("probe-1", "OtherWire", last[2], last[3], last[4])
    t = time.perf_counter()
    pi.add(*probe)
    probe_secs = time.perf_counter() - t
    conn.commit()
    db = conn.execute("PRAGMA database_list").fetchone()[2]
    size = os.path.getsize(db)
    rows = conn.execute("SELECT count(*) FROM pi_shingle").fetchone()[0]
    links = len(pi.same_passage("probe-1", 0))
    conn.close()
    os.unlink(db)
    return {
        "articles": len(reuters) - 1,
        "bulk_seconds": bulk,
        "ms_per_article": 1000 * bulk / (len(reuters) - 1),
        "prepare_ms": 1000 * prep / (len(reuters) - 1),
        "add_prepared_ms": 1000 * db_part / (len(reuters) - 1),
        "pickled_kb": pickled / 1000 / (len(reuters) - 1),
        "one_add_ms": 1000 * one,
        "one_add_cross_source_ms": 1000 * probe_secs,
        "probe_links_paragraph0": links,
        "db_mb": size / 1e6,
        "shingle_rows": rows,
    }


# ------------------------------------------------------------------------------------ as a user meets them
#
# The articles go through the library's own path (index.pipeline.prepare_units: parse, entity
# tagging, entity keys, title, fingerprints), then into a fresh StoryIndex in file order.


def url_date(url: str | None) -> date | None:
    """The date in a news URL's path (``/2018/04/17/``), if any."""
    m = re.search(r"/((?:19|20)\d\d)/(\d\d)/(\d\d)/", url or "")
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def pipeline_prepared(units: list) -> list:
    """PreparedArticles of work units, made as ``reader add`` makes them."""
    from index.pipeline import prepare_units

    out = []
    results, _swallowed = prepare_units(units)
    for r in results:
        if r.prepared is None:
            raise RuntimeError(f"{r.name}: {r.failure}")
        out.append(r.prepared.prints)
    return out


def allsides_prepared(path: Path) -> tuple[list, dict[str, str]]:
    """AllSides rows as JSON Lines records (title, body, published, source, url)."""
    from index.pipeline import Unit

    rows = list(read_jsonl(path))
    units = [Unit(r["id"], None, None, None, True, line=json.dumps(r).encode()) for r in rows]
    prepared = pipeline_prepared(units)
    return prepared, {p.id: r["story"] for p, r in zip(prepared, rows, strict=True)}


def newswcl_prepared(path: Path, dated: bool) -> tuple[list, dict[str, str]]:
    """NewsWCL50 as plain text files (no title, no date: the parser takes the first sentence
    as the title), and with ``dated`` the date of the URL where it has one (HuffPost's have
    none: those stay undated)."""
    import dataclasses

    from index.parse import parse_text
    from index.pipeline import Unit

    rows = list(read_jsonl(path))
    units = []
    for r in rows:
        parsed = parse_text(r["text"], source_hint=r["source"])
        if dated:
            parsed = dataclasses.replace(parsed, published=url_date(r.get("url")))
        units.append(Unit(r.get("doc_id") or r["source"], None, parsed, r["source"], True))
    prepared = pipeline_prepared(units)
    return prepared, {p.id: r["story"] for p, r in zip(prepared, rows, strict=True)}


def reuters_prepared(path: Path) -> list:
    """The Reuters articles as ``reader add`` prepares them (JSON Lines records: title, body,
    date, source)."""
    from index.pipeline import Unit

    units = [Unit(r["id"], None, None, None, True, line=json.dumps(r).encode())
             for r in read_jsonl(path)]
    return pipeline_prepared(units)


def score_mixed(prepared: list, gold: dict[str, str], distractors: list,
                distractors_first: bool) -> dict:
    """``prepared`` (scored against ``gold``) and ``distractors`` added to one fresh index, the
    distractors before or after; B-cubed over the gold articles, a distractor in one of their
    stories counting against precision."""
    pi, conn = fresh_index()
    t = time.perf_counter()
    for part in ((distractors, prepared) if distractors_first else (prepared, distractors)):
        pi.add_prepared(part)
    conn.commit()
    secs = time.perf_counter() - t
    pred = pi.stories()
    p, r, f = bcubed(pred, gold)
    polluted = sum(1 for a, s in pred.items()
                   if a not in gold and any(pred.get(g) == s for g in gold))
    out = {"all": (p, r, f), "clusters": len({pred[g] for g in gold}),
           "distractors_in_stories": polluted, "seconds": secs}
    db = conn.execute("PRAGMA database_list").fetchone()[2]
    conn.close()
    os.unlink(db)
    return out


def arrival_orders(prepared: list, gold: dict[str, str]) -> Iterable[tuple[str, list]]:
    """The same articles in other orders of arrival: reversed, one story after another
    interleaved (each story's first article, then each one's second...), and three fixed
    shuffles."""
    import random

    yield "reversed", prepared[::-1]
    by_story: dict[str, list] = defaultdict(list)
    for p in prepared:
        by_story[gold[p.id]].append(p)
    rounds = max(len(v) for v in by_story.values())
    yield "interleaved", [v[i] for i in range(rounds) for v in by_story.values() if i < len(v)]
    for seed in range(3):
        shuffled = list(prepared)
        random.Random(seed).shuffle(shuffled)
        yield f"shuffled ({seed})", shuffled


def half_of(story: str) -> str:
    """Which half of a gold-story split a story falls in: 'A' (rules and thresholds were
    chosen looking at it) or 'B' (held out: reported, never tuned on). A hash of the story
    id, so the split is fixed and owes nothing to dates or outlets."""
    import hashlib

    return "AB"[hashlib.blake2b(story.encode(), digest_size=2).digest()[0] & 1]


def bcubed_items(pred: dict[str, str], gold: dict[str, str],
                 items: Iterable[str]) -> tuple[float, float, float]:
    """B-cubed P/R/F1 averaged over ``items`` (a part of ``gold``), each judged against its
    whole predicted cluster (members of the other part count as wrong) and gold cluster."""
    members: dict[str, list[str]] = defaultdict(list)
    for item, c in pred.items():
        if item in gold:
            members[c].append(item)
    gsize: dict[str, int] = defaultdict(int)
    for g in gold.values():
        gsize[g] += 1
    items = list(items)
    p_sum = r_sum = 0.0
    for item in items:
        g = gold[item]
        cluster = members[pred[item]]
        same = sum(1 for o in cluster if gold[o] == g)
        p_sum += same / len(cluster)
        r_sum += same / gsize[g]
    n = len(items) or 1
    p, r = p_sum / n, r_sum / n
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def score_prepared(prepared: list, gold: dict[str, str], halves: bool = False) -> dict:
    """Stories of ``prepared`` added in order to a fresh index, scored against ``gold``;
    with ``halves`` also each half of the story split (see ``half_of``)."""
    pi, conn = fresh_index()
    pi.add_prepared(prepared)
    conn.commit()
    pred = pi.stories()
    out: dict = {"all": bcubed_items(pred, gold, gold)}
    out["clusters"] = len({pred[a] for a in gold})
    out["gold_clusters"] = len(set(gold.values()))
    if halves:
        for h in "AB":
            out[h] = bcubed_items(pred, gold, [a for a, g in gold.items() if half_of(g) == h])
    # one source of truth: every article's story members are exactly the articles that
    # stories() puts in its story (what the list counts, what ] and [ visit)
    by_story: dict[str, set[str]] = defaultdict(set)
    for a, s in pred.items():
        by_story[s].add(a)
    out["count_jump_disagree"] = sum(
        1 for a in gold if set(pi.story_members(a)) != by_story[pred[a]])
    db = conn.execute("PRAGMA database_list").fetchone()[2]
    conn.close()
    os.unlink(db)
    return out


def _prf(t: tuple[float, float, float]) -> str:
    return f"P {t[0]:.3f} R {t[1]:.3f} F1 {t[2]:.3f}"


def user_report(data: Path, reuters: bool = True) -> dict:
    """The figures of stories as a user meets them (printed by ``main``); with ``reuters``
    NewsWCL50 also arrives into (and before) the Reuters library."""
    res = {}
    alls = data / "allsides-dev.jsonl.gz"
    if alls.exists():
        res["allsides"] = score_prepared(*allsides_prepared(alls), halves=True)
    wcl = data / "newswcl50.jsonl.gz"
    reu = data / "reuters21578.jsonl.gz"
    if wcl.exists():
        distractors = reuters_prepared(reu) if reuters and reu.exists() else None
        for key, dated in (("wcl_text", False), ("wcl_dated", True)):
            prepared, gold = newswcl_prepared(wcl, dated=dated)
            res[key] = score_prepared(prepared, gold)
            res[key]["orders"] = [(name, score_prepared(order, gold))
                                  for name, order in arrival_orders(prepared, gold)]
            if distractors:
                res[key + "_reuters_first"] = score_mixed(prepared, gold, distractors, True)
                res[key + "_reuters_after"] = score_mixed(prepared, gold, distractors, False)
    return res


# ------------------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data")
    ap.add_argument("--no-reuters", action="store_true")
    ap.add_argument("--timing-only", action="store_true")
    args = ap.parse_args(argv)
    data = data_dir(args.data)
    keys_fn, keys_name = entity_keys_fn()
    print(f"entity keys: {keys_name}")

    if not args.timing_only:
        print("\n== stories as a user meets them (reader add's own path: parse, entities, title)")
        rep = user_report(data, reuters=not args.no_reuters)
        if "allsides" in rep:
            a = rep["allsides"]
            print("AllSides dev, all        : "
                  f"{_prf(a['all'])} ({a['clusters']} stories for "
                  f"{a['gold_clusters']})")
            print(f"  half A (rules chosen on it): {_prf(a['A'])}")
            print(f"  half B (held out)          : {_prf(a['B'])}")
            print(f"  list count vs ]/[ members disagreeing: {a['count_jump_disagree']}")
        for k, label in (("wcl_text", "NewsWCL50 as plain text files"),
                         ("wcl_dated", "NewsWCL50 with dates from URLs")):
            if k in rep:
                w = rep[k]
                print(f"{label}: {_prf(w['all'])} ({w['clusters']} stories for 10 events; "
                      f"count/jump disagreeing {w['count_jump_disagree']})")
                for name, o in w["orders"]:
                    print(f"  arriving {name:25}: {_prf(o['all'])} ({o['clusters']} stories)")
                f1s = [w["all"][2]] + [o["all"][2] for _n, o in w["orders"]]
                print(f"  over the {len(f1s)} orders: mean F1 {sum(f1s) / len(f1s):.3f}, "
                      f"lowest {min(f1s):.3f}")
                for order, what in (("first", "into a library of the Reuters articles"),
                                    ("after", "with the Reuters articles added after")):
                    m = rep.get(f"{k}_reuters_{order}")
                    if m:
                        print(f"  {what:38}: {_prf(m['all'])} ({m['clusters']} stories; "
                              f"{m['distractors_in_stories']} Reuters articles in them)")
        conn = sqlite3.connect(":memory:")
        pi = index_seeds(conn, keys_fn)
        rep = seed_report(pi)
        print("\n== seeds: links")
        for pair, kind, sim in rep["links"]:
            print(f"  {pair[0][0]}:{pair[0][1]:<2} <-> {pair[1][0]}:{pair[1][1]:<2} {kind:9} {sim:.2f}")
        print(f"expected passages found: {len(rep['found'])}/{len(rep['found']) + len(rep['missed'])}")
        for name, pair in rep["missed"]:
            print(f"  MISSED {name}: {pair}")
        print(f"unexpected links: {len(rep['unexpected'])}")
        for u in rep["unexpected"]:
            print(f"  UNEXPECTED {u}")
        by_story = defaultdict(list)
        for a, s in sorted(rep["stories"].items()):
            by_story[s].append(a)
        print("stories:", dict(by_story))
        for a in ("000", "004"):
            rel = pi.related(a)
            print(f"related({a}):", [(r.id, r.score, len(r.passages)) for r in rel])

        wcl = data / "newswcl50.jsonl.gz"
        if wcl.exists():
            res = score_newswcl(wcl, keys_fn)
            print("\n== links module alone (entity keys over the whole text, no titles, no dates)")
            print("== NewsWCL50 alone: P {precision:.3f} R {recall:.3f} F1 {f1:.3f} "
                  "({clusters} stories for 10 events)".format(**res))
        else:
            print(f"NewsWCL50 missing at {wcl}")

    reu = data / "reuters21578.jsonl.gz"
    if not args.no_reuters and reu.exists():
        t = time.perf_counter()
        reuters = reuters_items(reu, keys_fn)
        print(f"\n(Reuters loaded and entity keys extracted in {time.perf_counter() - t:.1f}s)")
        if not args.timing_only and (data / "newswcl50.jsonl.gz").exists():
            for first in (True, False):
                res = score_newswcl(data / "newswcl50.jsonl.gz", keys_fn, reuters, first)
                order = "Reuters first" if first else "NewsWCL50 first"
                print(("== NewsWCL50 + {n} Reuters distractors ({order}): P {precision:.3f} "
                       "R {recall:.3f} F1 {f1:.3f} ({clusters} stories; {distractors_in_wcl_stories}"
                       " distractors in them; {seconds:.1f}s)").format(n=len(reuters), order=order, **res))
        tm = timing(reuters)
        print(("== timing: add_many {articles} Reuters articles in {bulk_seconds:.1f}s = "
               "{ms_per_article:.3f} ms/article (prepare {prepare_ms:.3f} + add_prepared "
               "{add_prepared_ms:.3f}; {pickled_kb:.1f} kB pickled per prepared article); one add() into the full library "
               "{one_add_ms:.1f} ms (same source), {one_add_cross_source_ms:.1f} ms (other "
               "source, {probe_links_paragraph0} links on its paragraph 0); db {db_mb:.0f} MB, "
               "{shingle_rows} shingle rows").format(**tm))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
