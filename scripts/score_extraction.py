"""Score article extraction from HTML (``index.extract``) on the saved pages in ``html/``.

Usage: python scripts/score_extraction.py [--data DIR] [--split dev|held-out|all] [--pages]

Each ``html/<page>/`` folder holds ``source.html`` (the page as saved), ``expected.html`` (the
article as Mozilla Readability extracts it) and ``expected-metadata.json``. Rules (printed with
the figures):

* Text: word 4-gram F1 as the article-extraction benchmark computes it: tokens are ``\\w+``
  runs, a page's 4-grams are counted with multiplicity, true positives are the shared counts;
  precision, recall and F1 are computed per page and averaged over pages. The expected text is
  ``expected.html`` with a line break after each block element.
* Title right: equal to the expected title once case, whitespace and quote marks are folded, or
  one contains the other and they share >= 80% of their words (Readability keeps or drops a
  "| Site" suffix inconsistently).
* Byline right: the same folding, ``By`` dropped, one contains the other; scored on the pages
  whose expected byline is a name (not a date line or the site name).
* Date right: the day of ``publishedTime``; scored on the pages that have one.
* Site name: the outlet we name (``page_article(...).source``) equals the expected ``siteName``
  (folded, a leading "the" and a ".fr"-like suffix ignored); and "named" counts pages where we
  name any outlet at all (the goal: every page).
* Split: the pages sorted by name, even positions are the development half (rules were tuned on
  it), odd positions are kept aside (held-out) and only scored.
* trafilatura alone: ``trafilatura.extract`` (text output, metadata on) on the same bytes, its
  title/author/date/sitename, for comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from index.extract import extract_page, page_article  # noqa: E402
from index.parse import ParseError  # noqa: E402

_TOKEN = re.compile(r"\w+")
_BLOCKS = frozenset(
    ["p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "tr", "td", "th", "br", "figure", "figcaption", "section", "article", "header", "footer", "aside", "dd", "dt", "dl", "hr"]
)


def data_dir(explicit: str | None = None) -> Path:
    """Where the shared corpora live: ``explicit``, $READER_SHARED_DATA or ``<repo>/../shared/data``."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("READER_SHARED_DATA")
    if env:
        return Path(env)
    return ROOT.parent / "shared" / "data"


def pages(directory: Path | None = None) -> list[Path]:
    """The page folders, sorted by name."""
    root = (directory or data_dir()) / "html"
    return sorted(p for p in root.iterdir() if (p / "source.html").is_file())


def split_of(index: int) -> str:
    return "dev" if index % 2 == 0 else "held-out"


def html_text(html: str) -> str:
    """The text of an HTML fragment, one line per block element."""
    import lxml.html

    root = lxml.html.fromstring(html)
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.lower() in _BLOCKS:
            el.tail = "\n" + (el.tail or "")
    return root.text_content()


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text)
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def prf(expected: str, got: str) -> tuple[float, float, float]:
    """Word 4-gram precision, recall, F1 of ``got`` against ``expected``."""
    e, g = shingles(expected), shingles(got)
    tp = sum((e & g).values())
    fp = sum(g.values()) - tp
    fn = sum(e.values()) - tp
    if tp == 0:
        p = 1.0 if fp == 0 and fn == 0 else 0.0
        return p, p, p
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    return precision, recall, 2 * precision * recall / (precision + recall)


_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\xa0": " "})


def fold(s: str | None) -> str:
    return " ".join((s or "").translate(_QUOTES).casefold().split())


def title_right(expected: str | None, got: str | None) -> bool:
    e, g = fold(expected), fold(got)
    if not e or not g:
        return False
    if e == g:
        return True
    if e in g or g in e:
        ew, gw = set(_TOKEN.findall(e)), set(_TOKEN.findall(g))
        return len(ew & gw) >= 0.8 * max(len(ew), len(gw))
    return False


def _byline_key(s: str | None) -> str:
    return re.sub(r"^by\s+", "", fold(s))


def byline_scored(meta: dict) -> bool:
    b = meta.get("byline")
    if not b or any(ch.isdigit() for ch in b):
        return False
    return fold(b) != fold(meta.get("siteName"))


def byline_right(expected: str | None, got: str | None) -> bool:
    e, g = _byline_key(expected), _byline_key(got)
    return bool(e and g) and (e in g or g in e)


def _site_key(s: str | None) -> str:
    s = fold(s)
    s = re.sub(r"^the\s+", "", s)
    return re.sub(r"\.(?:fr|com|co\.uk|de)$", "", s)


def site_right(expected: str | None, got: str | None) -> bool:
    e, g = _site_key(expected), _site_key(got)
    return bool(e and g) and (e == g or e.replace(" ", "") == g.replace(" ", ""))


@dataclass
class Row:
    name: str
    split: str
    p: float
    r: float
    f1: float
    title: bool
    byline: bool | None
    date: bool | None
    site: bool | None
    named: bool
    error: str | None = None


def _date_of(meta: dict) -> str | None:
    t = meta.get("publishedTime")
    return t[:10] if t else None


def score_ours(folder: Path, split: str) -> Row:
    meta = json.loads((folder / "expected-metadata.json").read_text(encoding="utf-8"))
    expected = html_text((folder / "expected.html").read_text(encoding="utf-8"))
    data = (folder / "source.html").read_bytes()
    try:
        page = extract_page(data)
        art = page_article(page)
    except ParseError as e:
        return Row(folder.name, split, 0, 0, 0, False, None, None, None, False, str(e))
    p, r, f = prf(expected, "\n".join(art.paragraphs))
    exp_date = _date_of(meta)
    return Row(
        folder.name, split, p, r, f,
        title=title_right(meta.get("title"), art.title),
        byline=byline_right(meta.get("byline"), art.byline) if byline_scored(meta) else None,
        date=(art.published is not None and art.published.isoformat() == exp_date)
        if exp_date else None,
        site=site_right(meta.get("siteName"), art.source) if meta.get("siteName") else None,
        named=bool(art.source),
    )


def score_trafilatura(folder: Path, split: str) -> Row:
    import trafilatura

    meta = json.loads((folder / "expected-metadata.json").read_text(encoding="utf-8"))
    expected = html_text((folder / "expected.html").read_text(encoding="utf-8"))
    data = (folder / "source.html").read_bytes()
    doc = trafilatura.bare_extraction(data, with_metadata=True)
    if doc is None:
        return Row(folder.name, split, 0, 0, 0, False, None, None, None, False, "nothing")
    p, r, f = prf(expected, doc.text or "")
    exp_date = _date_of(meta)
    return Row(
        folder.name, split, p, r, f,
        title=title_right(meta.get("title"), doc.title),
        byline=byline_right(meta.get("byline"), doc.author) if byline_scored(meta) else None,
        date=(doc.date or "")[:10] == exp_date if exp_date else None,
        site=site_right(meta.get("siteName"), doc.sitename) if meta.get("siteName") else None,
        named=bool(doc.sitename),
    )


@dataclass
class Summary:
    pages: int
    precision: float
    recall: float
    f1: float
    title: float
    byline: float
    date: float
    site: float
    named: float
    counts: dict


def summarise(rows: list[Row]) -> Summary:
    def share(vals: list[bool | None]) -> tuple[float, str]:
        scored = [v for v in vals if v is not None]
        return (sum(scored) / len(scored) if scored else 1.0), f"{sum(scored)}/{len(scored)}"

    t, tc = share([r.title for r in rows])
    b, bc = share([r.byline for r in rows])
    d, dc = share([r.date for r in rows])
    s, sc = share([r.site for r in rows])
    n, nc = share([r.named for r in rows])
    return Summary(
        pages=len(rows),
        precision=statistics.fmean(r.p for r in rows),
        recall=statistics.fmean(r.r for r in rows),
        f1=statistics.fmean(r.f1 for r in rows),
        title=t, byline=b, date=d, site=s, named=n,
        counts={"title": tc, "byline": bc, "date": dc, "site": sc, "named": nc},
    )


def run(directory: Path | None = None, *, trafilatura_too: bool = True
        ) -> dict[str, dict[str, Summary]]:
    """Scores by extractor ('ours', 'trafilatura') and split ('dev', 'held-out', 'all')."""
    folders = pages(directory)
    out: dict[str, dict[str, Summary]] = {}
    scorers = [("ours", score_ours)]
    if trafilatura_too:
        scorers.append(("trafilatura", score_trafilatura))
    for label, fn in scorers:
        rows = [fn(f, split_of(i)) for i, f in enumerate(folders)]
        out[label] = {
            "dev": summarise([r for r in rows if r.split == "dev"]),
            "held-out": summarise([r for r in rows if r.split == "held-out"]),
            "all": summarise(rows),
            "rows": rows,  # type: ignore[dict-item]
        }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", help="the shared data folder (default $READER_SHARED_DATA)")
    ap.add_argument("--pages", action="store_true", help="print one line per page")
    ap.add_argument("--no-trafilatura", action="store_true", help="skip trafilatura alone")
    args = ap.parse_args(argv)
    directory = data_dir(args.data)
    t0 = time.perf_counter()
    results = run(directory, trafilatura_too=not args.no_trafilatura)
    elapsed = time.perf_counter() - t0
    print(f"article extraction on {directory / 'html'} "
          f"(word 4-gram P/R/F1 averaged per page; dev = even positions by name)")
    for label, by_split in results.items():
        if args.pages:
            for r in by_split["rows"]:  # type: ignore[union-attr]
                flags = " ".join(f"{k}={'-' if v is None else int(v)}" for k, v in
                                 (("title", r.title), ("byline", r.byline), ("date", r.date),
                                  ("site", r.site), ("named", r.named)))
                print(f"  {label:11} {r.split:8} {r.name:18} P {r.p:.3f} R {r.r:.3f} "
                      f"F1 {r.f1:.3f}  {flags}{'  ' + r.error if r.error else ''}")
        for split in ("dev", "held-out", "all"):
            s = by_split[split]
            print(f"{label:11} {split:8} pages {s.pages:2}  P {s.precision:.3f}  "
                  f"R {s.recall:.3f}  F1 {s.f1:.3f}  title {s.counts['title']:>5}  "
                  f"byline {s.counts['byline']:>5}  date {s.counts['date']:>3}  "
                  f"site {s.counts['site']:>5}  outlet named {s.counts['named']:>5}")
    if "trafilatura" in results:
        ours, theirs = results["ours"]["all"].f1, results["trafilatura"]["all"].f1
        print(f"F1 ours / trafilatura alone (all pages): {ours:.3f} / {theirs:.3f} "
              f"= {ours / theirs:.3f}")
    print(f"({elapsed:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
