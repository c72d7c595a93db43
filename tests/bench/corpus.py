"""Write a ten-times corpus from Reuters-21578: 190,430 articles as JSON Lines, for the benchmarks
at the size of a few years of feeds.

    python tests/bench/corpus.py OUT.jsonl.gz [--copies 10] [--seed 12]

Each Reuters article is written ``--copies`` times. Every copy gets a new id, a date drawn over
ten years (2014-2023; the dateline follows it), an outlet from a varied list (wires, papers,
broadcasters, blogs; short and long names), and its wording perturbed (words swapped for
synonyms, numbers nudged, a sentence of attribution) with its own random choices, so that no
two articles of the output share their cleaned text: nothing deduplicates. The generator checks
that itself (a hash of the normalised title and body per article) and perturbs again on the rare
collision. Deterministic for a given seed. Reads ``$READER_SHARED_DATA/reuters21578.jsonl.gz``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import random
import re
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("READER_SHARED_DATA", REPO.parent / "shared" / "data"))

OUTLETS = [
    "Reuters", "Associated Press", "Agence France-Presse", "Bloomberg", "Dow Jones Newswires",
    "The New York Times", "The Washington Post", "The Wall Street Journal", "Financial Times",
    "The Guardian", "The Times of India", "Al Jazeera English", "BBC News", "Deutsche Welle",
    "France 24", "NHK World", "South China Morning Post", "The Straits Times", "Le Monde",
    "El País", "Corriere della Sera", "The Globe and Mail", "Sydney Morning Herald",
    "The Japan Times", "Gulf News", "Daily Sabah", "TRTWorld and Agencies", "Kyodo News",
    "Xinhua", "Anadolu Agency", "Euronews", "CNBC", "Nikkei Asia", "The Economist",
    "Politico Europe", "Axios", "Business Standard", "Mail & Guardian", "Buenos Aires Times",
    "Kyiv Independent", "The Hindu BusinessLine", "Oil & Gas Journal", "Lloyd's List",
    "Farm Progress Weekly", "Metals Bulletin Daily",
]

SYNONYMS = {
    "said": ["stated", "told reporters", "announced", "reported", "noted"],
    "rose": ["climbed", "increased", "gained", "advanced"],
    "fell": ["dropped", "declined", "slipped", "eased"],
    "company": ["firm", "group", "concern"],
    "market": ["markets", "marketplace", "trading"],
    "expected": ["forecast", "anticipated", "projected"],
    "share": ["stock", "equity"],
    "shares": ["stocks", "equities"],
    "profit": ["earnings", "income"],
    "sales": ["revenues", "turnover"],
    "government": ["administration", "authorities"],
    "buy": ["acquire", "purchase"],
    "sell": ["divest", "dispose of"],
    "prices": ["quotes", "rates"],
    "officials": ["sources", "representatives"],
    "traders": ["dealers", "brokers"],
    "increase": ["rise", "jump"],
    "decline": ["drop", "fall"],
    "also": ["additionally", "as well"],
}
_WORD = re.compile(r"\b(" + "|".join(map(re.escape, SYNONYMS)) + r")\b")
_NUMBER = re.compile(r"\b(\d{2,4})(?=\b(?!-\d))")
_DATELINE = re.compile(r"^([A-Z][A-Z .,'-]{1,40}), [A-Z][a-z]{2} \d{1,2} -")
ATTRIBUTIONS = [
    "{o} reported the figures on {d}.", "The details were confirmed to {o} on {d}.",
    "{o} correspondents contributed to this report, filed on {d}.",
    "According to figures seen by {o}, the numbers were final as of {d}.",
]

START = datetime(2014, 1, 1)
SPAN_DAYS = 3652


def perturb(text: str, rng: random.Random, rate: float) -> str:
    """Synonyms for some words, some numbers nudged by one."""
    def word(m: re.Match[str]) -> str:
        return rng.choice(SYNONYMS[m.group(1)]) if rng.random() < rate else m.group(1)

    def number(m: re.Match[str]) -> str:
        if rng.random() < rate / 2:
            return str(int(m.group(1)) + rng.choice((-1, 1)))
        return m.group(1)

    return _NUMBER.sub(number, _WORD.sub(word, text))


def variant(rec: dict, copy: int, rng: random.Random, rate: float) -> dict:
    when = START + timedelta(days=rng.randrange(SPAN_DAYS), seconds=rng.randrange(86400))
    outlet = rng.choice(OUTLETS)
    body = rec.get("body") or ""
    paras = [perturb(p, rng, rate) for p in body.split("\n\n")]
    paras[0] = _DATELINE.sub(lambda m: f"{m.group(1)}, {when:%b} {when.day} -", paras[0], count=1)
    paras.append(rng.choice(ATTRIBUTIONS).format(o=outlet, d=f"{when:%B} {when.day}, {when.year}"))
    title = perturb(rec.get("title") or "", rng, rate / 2)
    return {
        "id": f"bench-{copy:02d}-{rec.get('id', '')}",
        "title": title,
        "published": when.isoformat(timespec="seconds"),
        "source": outlet,
        "url": f"https://bench.example/{copy:02d}/{rec.get('id', '')}",
        "body": "\n\n".join(paras),
    }


def fingerprint(rec: dict) -> bytes:
    text = " ".join((rec["title"] + " " + rec["body"]).split()).casefold()
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, help="output .jsonl.gz (or .jsonl)")
    ap.add_argument("--copies", type=int, default=10, help="copies of each Reuters article")
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--source", type=Path, default=DATA / "reuters21578.jsonl.gz")
    args = ap.parse_args()
    with gzip.open(args.source, "rt", encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    rng = random.Random(args.seed)
    seen: set[bytes] = set()
    retries = 0
    t = time.perf_counter()
    opener = gzip.open if args.out.suffix == ".gz" else open
    n = 0
    with opener(args.out, "wt", encoding="utf-8") as out:  # type: ignore[operator]
        for copy in range(args.copies):
            for rec in records:
                rate = 0.35
                for _ in range(20):
                    v = variant(rec, copy, rng, rate)
                    fp = fingerprint(v)
                    if fp not in seen:
                        break
                    retries += 1
                    rate = min(1.0, rate + 0.2)
                else:
                    raise SystemExit(f"could not make {rec.get('id')} unique")
                seen.add(fp)
                out.write(json.dumps(v, ensure_ascii=False) + "\n")
                n += 1
    print(f"wrote {n} articles ({args.copies} x {len(records)}) to {args.out} in "
          f"{time.perf_counter() - t:.0f} s; {len(seen)} distinct texts, {retries} re-perturbed "
          f"after a collision; {len(OUTLETS)} outlets, dates over ten years from {START:%Y}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
