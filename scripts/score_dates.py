"""Score ``index.dates.extract_dates`` against TempEval-3 and MEANTIME gold timexes.

Usage: python scripts/score_dates.py [--data DIR] [--errors N] [--corpus NAME ...]

Rules (printed with the figures):

* Gold = timexes of type DATE.  Recall is reported twice: over *calendar* gold DATEs
  (values that name a calendar period: YYYY, YYYY-MM, YYYY-MM-DD, YYYY-Www, YYYY-Qn,
  YYYY-Hn, seasons) and over *all* gold DATEs (adding PRESENT_REF "now", PAST_REF
  "recently", FUTURE_REF, decades, centuries and underspecified XXXX values, which the
  product cannot place on a timeline and does not try to).
* A prediction is a false positive only if it overlaps no gold DATE or TIME timex.
  Strict precision counts a prediction correct only if its span equals a gold DATE/TIME.
* Relaxed match = any character overlap; strict = identical span.
* Value accuracy: over gold DATEs whose value is plain (YYYY, YYYY-MM or YYYY-MM-DD) and
  that we matched (relaxed), the share where our value equals the gold value; also the
  same count over all plain-value gold DATEs.  Week accuracy compares gold YYYY-Www with
  the ISO week of our Monday.
* MEANTIME: only the first six lines of each document are fully annotated; gold and
  predictions are limited to them.
* Speed: documents/second of ``extract_dates`` over the corpus after one warm-up call (so
  imports and dateparser's start-up are not counted): steady state (best of three passes,
  per-phrase dateparser cache warm) and first pass (cache cold).
* Reuters speed (``--reuters N``, default 2,000): milliseconds per article of
  ``article_events(paragraphs, published)`` over the first N bodies of
  reuters21578.jsonl.gz (body split on blank lines), best of three passes, as wall-clock
  time and as CPU time of this process (the machine is shared; CPU time is the steadier).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from index.dates import _offset, article_events, extract_dates  # noqa: E402

CORPORA = {
    "timebank": "tempeval3-timebank.gold.jsonl.gz",
    "aquaint": "tempeval3-aquaint.gold.jsonl.gz",
    "meantime": "meantime.gold.jsonl.gz",
}
PLAIN = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")
CALENDAR = re.compile(r"^\d{4}(?:-(?:\d{2}(?:-\d{2})?|W\d{2}(?:-WE)?|Q\d|H\d|SU|SP|FA|WI))?$")
WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def data_dir(explicit: str | None = None) -> Path:
    """Where the shared corpora live: ``explicit``, $READER_SHARED_DATA or ``<repo>/../shared/data``."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("READER_SHARED_DATA")
    if env:
        return Path(env)
    return ROOT.parent / "shared" / "data"


def load(name: str, directory: Path | None = None) -> list[dict]:
    """Rows of one corpus (``timebank``, ``aquaint`` or ``meantime``), MEANTIME cut to six lines."""
    path = (directory or data_dir()) / CORPORA[name]
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    if name == "meantime":
        for r in rows:
            cut = 0
            for _ in range(6):
                nl = r["text"].find("\n", cut)
                if nl < 0:
                    cut = len(r["text"])
                    break
                cut = nl + 1
            r["text"] = r["text"][:cut]
            r["timexes"] = [t for t in r["timexes"] if t["end"] <= cut]
    return rows


def _dct(r: dict) -> date | None:
    """The document creation time as a date (ISO, or DD-MM-YYYY as one MEANTIME file has it)."""
    raw = str(r.get("dct") or "")[:10]
    try:
        return date.fromisoformat(raw)
    except ValueError:
        pass
    m = re.match(r"(\d\d)-(\d\d)-(\d{4})$", raw)
    if m:
        try:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        except ValueError:
            return None
    return None


@dataclass
class Scores:
    """All figures for one corpus."""

    docs: int = 0
    seconds: float = 0.0
    seconds_cold: float = 0.0
    predictions: int = 0
    pred_relaxed_ok: int = 0
    pred_strict_ok: int = 0
    gold_all: int = 0
    gold_cal: int = 0
    found_all: int = 0
    found_cal: int = 0
    strict_found_cal: int = 0
    plain_gold: int = 0
    plain_matched: int = 0
    plain_correct: int = 0
    week_matched: int = 0
    week_correct: int = 0
    errors: list[str] = field(default_factory=list)

    @staticmethod
    def _div(a: int, b: int) -> float:
        return a / b if b else 0.0

    @staticmethod
    def _f1(p: float, r: float) -> float:
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def relaxed_precision(self) -> float:
        return self._div(self.pred_relaxed_ok, self.predictions)

    @property
    def relaxed_recall(self) -> float:
        """Relaxed recall over calendar gold DATEs."""
        return self._div(self.found_cal, self.gold_cal)

    @property
    def relaxed_recall_all(self) -> float:
        return self._div(self.found_all, self.gold_all)

    @property
    def relaxed_f1(self) -> float:
        return self._f1(self.relaxed_precision, self.relaxed_recall)

    @property
    def strict_precision(self) -> float:
        return self._div(self.pred_strict_ok, self.predictions)

    @property
    def strict_recall(self) -> float:
        return self._div(self.strict_found_cal, self.gold_cal)

    @property
    def strict_f1(self) -> float:
        return self._f1(self.strict_precision, self.strict_recall)

    @property
    def value_accuracy(self) -> float:
        """Correct values among matched plain-value gold DATEs."""
        return self._div(self.plain_correct, self.plain_matched)

    @property
    def value_share(self) -> float:
        """Correct values among all plain-value gold DATEs."""
        return self._div(self.plain_correct, self.plain_gold)

    @property
    def week_accuracy(self) -> float:
        return self._div(self.week_correct, self.week_matched)

    @property
    def docs_per_second(self) -> float:
        return self.docs / self.seconds if self.seconds else 0.0

    @property
    def docs_per_second_cold(self) -> float:
        return self.docs / self.seconds_cold if self.seconds_cold else 0.0

    def as_dict(self) -> dict[str, float]:
        keys = (
            "relaxed_precision",
            "relaxed_recall",
            "relaxed_recall_all",
            "relaxed_f1",
            "strict_precision",
            "strict_recall",
            "strict_f1",
            "value_accuracy",
            "value_share",
            "week_accuracy",
            "docs_per_second",
            "docs_per_second_cold",
        )
        d = {k: round(getattr(self, k), 4) for k in keys}
        d.update(
            docs=self.docs,
            predictions=self.predictions,
            gold_calendar=self.gold_cal,
            gold_all=self.gold_all,
            plain_gold=self.plain_gold,
            plain_matched=self.plain_matched,
        )
        return d


def score_rows(rows: list[dict], keep_errors: bool = False, repeat: int = 3) -> Scores:
    """Score ``extract_dates`` on corpus rows (see module docstring for the rules).

    Speed: ``docs_per_second`` is the steady state, the best of ``repeat`` passes with the
    per-phrase dateparser cache warm (the machine is shared; the best pass is the least
    disturbed); ``docs_per_second_cold`` is the first pass, which pays for each distinct
    "N units ago" phrase that dateparser reads (a few ms each, once per process).
    """
    sc = Scores(docs=len(rows))
    extract_dates("Warm-up: on Thursday, Sept. 28, 2017, three weeks ago.", date(2017, 10, 26))
    inputs = [(r["text"], _dct(r)) for r in rows]
    _offset.cache_clear()  # the first pass pays for every dateparser look-up
    t0 = time.perf_counter()
    preds_by_doc = [extract_dates(text, dct) for text, dct in inputs]
    sc.seconds_cold = time.perf_counter() - t0
    best = sc.seconds_cold
    for _ in range(repeat):
        t0 = time.perf_counter()
        preds_by_doc = [extract_dates(text, dct) for text, dct in inputs]
        best = min(best, time.perf_counter() - t0)
    sc.seconds = best
    for r, preds in zip(rows, preds_by_doc, strict=True):
        text = r["text"]
        gold = [t for t in r["timexes"] if t["type"] == "DATE"]
        dt = [t for t in r["timexes"] if t["type"] in ("DATE", "TIME")]
        sc.predictions += len(preds)
        for p in preds:
            ov = [t for t in dt if t["start"] < p.end and p.start < t["end"]]
            if ov:
                sc.pred_relaxed_ok += 1
            elif keep_errors:
                ctx = text[max(0, p.start - 50) : p.end + 30].replace("\n", " ")
                sc.errors.append(f"FP  {r['doc']} [{p.text}] -> {p.value}  |{ctx}|")
            if any(t["start"] == p.start and t["end"] == p.end for t in dt):
                sc.pred_strict_ok += 1
        for t in gold:
            cal = bool(CALENDAR.match(t["value"]))
            sc.gold_all += 1
            sc.gold_cal += cal
            ov = [p for p in preds if p.start < t["end"] and t["start"] < p.end]
            if ov:
                sc.found_all += 1
                sc.found_cal += cal
            if cal and any(p.start == t["start"] and p.end == t["end"] for p in ov):
                sc.strict_found_cal += 1
            if not ov:
                if cal and keep_errors:
                    ctx = text[max(0, t["start"] - 50) : t["end"] + 30].replace("\n", " ")
                    sc.errors.append(
                        f"FN  {r['doc']} [{t['text']}] {t['value']} dct={str(r.get('dct'))[:10]} |{ctx}|"
                    )
                continue
            best = max(ov, key=lambda p: min(p.end, t["end"]) - max(p.start, t["start"]))
            if PLAIN.match(t["value"]):
                sc.plain_gold += 1
                sc.plain_matched += 1
                if best.value == t["value"]:
                    sc.plain_correct += 1
                elif keep_errors:
                    ctx = text[max(0, t["start"] - 60) : t["end"] + 30].replace("\n", " ")
                    sc.errors.append(
                        f"VAL {r['doc']} [{t['text']}] gold={t['value']} ours=[{best.text}]{best.value} "
                        f"dct={str(r.get('dct'))[:10]} |{ctx}|"
                    )
            wk = WEEK.match(t["value"])
            if wk and best.precision == "week":
                sc.week_matched += 1
                iso = date.fromisoformat(best.value).isocalendar()
                sc.week_correct += (iso[0], iso[1]) == (int(wk.group(1)), int(wk.group(2)))
        for t in gold:
            if PLAIN.match(t["value"]) and not any(
                p.start < t["end"] and t["start"] < p.end for p in preds
            ):
                sc.plain_gold += 1
    return sc


def score_corpus(name: str, directory: Path | None = None, keep_errors: bool = False) -> Scores:
    """Load and score one corpus by name."""
    return score_rows(load(name, directory), keep_errors=keep_errors)


def reuters_speed(n: int = 2000, directory: Path | None = None, repeat: int = 3) -> dict | None:
    """ms per Reuters article for ``article_events`` (see module docstring), or None without data."""
    path = (directory or data_dir()) / "reuters21578.jsonl.gz"
    if not path.exists() or n <= 0:
        return None
    inputs = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            pub = r.get("published")
            try:
                published = date.fromisoformat(str(pub)[:10]) if pub else None
            except ValueError:
                published = None
            inputs.append((re.split(r"\n\s*\n", r.get("body") or ""), published))
            if len(inputs) >= n:
                break
    article_events(["Warm-up: on Thursday, Sept. 28, 2017, three weeks ago."], date(2017, 10, 26))
    for paras, published in inputs:  # the first pass warms dateparser's per-phrase cache
        article_events(paras, published)
    wall = cpu = float("inf")
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        events = sum(len(article_events(paras, published)) for paras, published in inputs)
        wall = min(wall, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    k = 1000 / len(inputs)
    return {
        "articles": len(inputs),
        "events": events,
        "ms_per_article": round(wall * k, 4),
        "cpu_ms_per_article": round(cpu * k, 4),
    }


RULES = (
    "rules: gold = DATE timexes; relaxed = any overlap, strict = same span; a prediction is a false\n"
    "positive only if it overlaps no gold DATE or TIME; recall over calendar DATE values (YYYY[-MM[-DD]],\n"
    "weeks, quarters, halves, seasons), recall_all also counts now/recently/decades/XXXX;\n"
    "value accuracy over matched gold with plain YYYY, YYYY-MM, YYYY-MM-DD values (share = over all of them);\n"
    "MEANTIME limited to the six fully annotated lines per document.\n"
    "speed: steady state = best of 3 passes with dateparser's per-phrase cache warm; first pass = cache cold."
)


def timeline_order(directory: Path) -> dict | None:
    """The event strip's ordering against SemEval-2015 Task 4 gold timelines over MEANTIME.

    Each gold timeline is a target entity's events in date order (gold dates; events dated
    XXXX are left out). An event is *placed* when the sentence holding it has a dated event
    of ours (``article_events``; its date, the strip's date for that sentence). Figures:
    coverage (placed / gold events), date agreement (our date equals the gold date at the
    gold's precision), and ordering: over pairs of placed events of one timeline whose gold
    dates differ, the share our dates put in the same order (a tie counts half)."""
    path = directory / "meantime-timelines.jsonl.gz"
    mt = directory / "meantime.gold.jsonl.gz"
    if not path.exists() or not mt.exists():
        return None
    from index.dates import split_sentences

    docs = {str(d["doc"]): d for d in _read(mt)}
    placed_of: dict[str, dict[tuple[int, int], str]] = {}

    def sentence_dates(doc: str) -> dict[tuple[int, int], str]:
        if doc not in placed_of:
            d = docs[doc]
            text = d["text"]
            pub = _dct(d)
            sents = split_sentences(text)
            out: dict[tuple[int, int], str] = {}
            for ev in article_events([text], pub):
                for a, b in sents:
                    if a <= ev.start < b:
                        out.setdefault((a, b), ev.date)
                        break
            placed_of[doc] = out
        return placed_of[doc]

    gold_n = placed = agree = 0
    same = ties = pairs = 0
    for tl in _read(path):
        items = []
        for step in tl["timeline"]:
            gd = step["date"]
            if not re.fullmatch(r"\d{4}(-\d\d(-\d\d)?)?", gd or ""):
                continue
            for ev in step["events"]:
                if ev["doc"] not in docs:
                    continue
                gold_n += 1
                ours = next((v for (a, b), v in sentence_dates(ev["doc"]).items()
                             if a <= ev["start"] < b), None)
                if ours is None:
                    continue
                placed += 1
                agree += ours[: len(gd)] == gd
                items.append((gd, ours))
        for i in range(len(items)):
            for j in range(i + 1, len(items)):
                (g1, o1), (g2, o2) = items[i], items[j]
                k = min(len(g1), len(g2))
                if g1[:k] == g2[:k]:
                    continue
                pairs += 1
                m = min(len(o1), len(o2))
                if o1[:m] == o2[:m]:
                    ties += 1
                elif (o1[:m] < o2[:m]) == (g1[:k] < g2[:k]):
                    same += 1
    return {
        "gold_events": gold_n, "placed": placed,
        "coverage": placed / gold_n if gold_n else 0.0,
        "date_agreement": agree / placed if placed else 0.0,
        "pairs": pairs,
        "order_accuracy": (same + 0.5 * ties) / pairs if pairs else 0.0,
    }


def _read(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", help="folder holding the gold .jsonl.gz files")
    ap.add_argument("--errors", type=int, default=0, help="print up to N errors per corpus")
    ap.add_argument("--corpus", nargs="*", default=list(CORPORA), choices=list(CORPORA))
    ap.add_argument("--json", action="store_true")
    ap.add_argument(
        "--reuters",
        type=int,
        default=2000,
        metavar="N",
        help="time article_events on the first N Reuters bodies (0 = skip)",
    )
    args = ap.parse_args(argv)
    directory = data_dir(args.data)
    results = {}
    for name in args.corpus:
        sc = score_corpus(name, directory, keep_errors=bool(args.errors))
        results[name] = sc.as_dict()
        if args.json:
            continue
        print(
            f"{name:9s} docs={sc.docs:4d}  relaxed P/R/F {sc.relaxed_precision:.3f}/{sc.relaxed_recall:.3f}/"
            f"{sc.relaxed_f1:.3f} (R all DATE {sc.relaxed_recall_all:.3f})  strict P/R/F {sc.strict_precision:.3f}/"
            f"{sc.strict_recall:.3f}/{sc.strict_f1:.3f}  value acc {sc.value_accuracy:.3f} "
            f"({sc.plain_correct}/{sc.plain_matched}; over all plain {sc.value_share:.3f} of {sc.plain_gold})  "
            f"week acc {sc.week_accuracy:.2f} ({sc.week_matched})  {sc.docs_per_second:,.0f} docs/s "
            f"(first pass {sc.docs_per_second_cold:,.0f})"
        )
        for line in sc.errors[: args.errors]:
            print("   ", line)
    tl = timeline_order(directory)
    if tl is not None:
        results["meantime_timelines"] = tl
        if not args.json:
            print(
                f"timelines MEANTIME gold timelines (SemEval-2015 Task 4): {tl['placed']}/"
                f"{tl['gold_events']} dated gold events placed on the strip ({tl['coverage']:.3f}),"
                f" date agreement {tl['date_agreement']:.3f}, order of {tl['pairs']} pairs "
                f"{tl['order_accuracy']:.3f}"
            )
    rs = reuters_speed(args.reuters, directory)
    if rs is not None:
        results["reuters_article_events"] = rs
        if not args.json:
            print(
                f"reuters   article_events over {rs['articles']} bodies ({rs['events']} events): "
                f"{rs['ms_per_article']:.3f} ms/article wall, {rs['cpu_ms_per_article']:.3f} ms CPU"
            )
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(RULES)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
