"""Property tests (hypothesis): any text in, no exception out, offsets that point at the text.

The parser may refuse input only with :class:`ParseError`; the extractors never raise, and every
span they report is within the text and slices back to exactly the text they report. Adding the
same generated file twice adds nothing the second time. Derandomised, with modest example counts,
so CI sees the same examples every run and the file stays well under a minute.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index import passages
from index.dates import extract_dates
from index.entities import extract_entities
from index.parse import ParsedArticle, ParseError, decode_bytes, iter_jsonl, parse_text

settings.register_profile(
    "reader", derandomize=True, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FAST = settings(settings.get_profile("reader"), max_examples=300)
SLOW = settings(settings.get_profile("reader"), max_examples=100)

WORDS = [
    "Haider", "al", "Abadi", "Al-Abadi", "al-Qaim", "Al", "Qaim", "Rawa", "Baghdad", "Iraq",
    "Norwegian", "Refugee", "Council", "(NRC)", "Daesh", "the", "The", "on", "in", "of", "said",
    "Thursday", "last", "week", "October", "Oct.", "26", "2017", "1987", "26.10.2017",
    "2017-10-26", "July", "nine", "months", "ago", "%", "5", "+964", "1st", "(c)", "©",
    "SOURCE:", "Reuters", "By", "Date:", "Published", "Share", "Print", "-", "—", ",", ".", ";",
    '"', "“", "”", "'", "‘", "’", "«", "»", "(", ")", "[bold]", "[/]", "\n", "\n\n", "\t",
    "\x1b[31m", "\x1b]8;;http://x\x1b\\", "\x1b]0;t\x07", "\x9b", "\x9d", "\u202e", "\u200b",
    "\x00", "\x85", "\u2028", "\r\n", "\r", "ﬁ", "é", "e\u0301", "İ", "ß", "𝔸", "😀", "中文",
]
news = st.lists(st.sampled_from(WORDS), max_size=80).map(
    lambda ws: "".join(w if w in ("\n", "\n\n", ",", ".", ";") else " " + w for w in ws))
anything = st.text(max_size=400)
texts = st.one_of(news, anything, st.tuples(news, anything).map("".join))
published = st.one_of(st.none(), st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)),
                      st.dates(min_value=date(1980, 1, 1), max_value=date(2030, 12, 31)))


def _check_article(a: ParsedArticle) -> None:
    assert isinstance(a.title, str) and a.title.strip()
    assert a.paragraphs and all(isinstance(p, str) and p.strip() for p in a.paragraphs)
    for s in (a.title, a.source or "", a.byline or "", *a.paragraphs):
        assert "\x1b" not in s and "\x9b" not in s and "\u202e" not in s and "\x00" not in s


@FAST
@given(texts, st.one_of(st.none(), st.text(max_size=20)))
def test_parse_text_returns_an_article_or_parse_error(text: str, hint: str | None) -> None:
    try:
        a = parse_text(text, source_hint=hint)
    except ParseError as exc:
        assert str(exc)
        return
    _check_article(a)


@FAST
@given(st.one_of(st.binary(max_size=600), texts.map(lambda t: t.encode("utf-8", "surrogatepass")),
                 texts.map(lambda t: t.encode("utf-16")),
                 texts.map(lambda t: t.encode("cp1252", "ignore"))))
def test_decode_bytes_returns_text_or_parse_error(data: bytes) -> None:
    try:
        text = decode_bytes(data)
    except ParseError:
        return
    assert isinstance(text, str) and "\r" not in text
    with contextlib.suppress(ParseError):
        _check_article(parse_text(text))


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), texts),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5),
                                                                         inner, max_size=3)),
    max_leaves=6,
)
records = st.fixed_dictionaries(
    {}, optional={"title": st.one_of(texts, json_values), "body": st.one_of(texts, json_values),
                  "text": texts, "published": st.one_of(st.text(max_size=25), json_values),
                  "source": st.one_of(texts, json_values), "url": texts,
                  "byline": st.one_of(texts, json_values)})
lines = st.one_of(records.map(json.dumps), json_values.map(json.dumps),
                  st.text(max_size=80).filter(lambda s: "\n" not in s and "\r" not in s))


@SLOW
@given(st.lists(lines, max_size=8), st.binary(max_size=40))
def test_iter_jsonl_yields_article_or_parse_error_per_line(rows: list[str], tail: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "feed.jsonl"
        data = "\n".join(rows).encode("utf-8", "surrogatepass") + b"\n" + tail
        path.write_bytes(data)
        seen = []
        for lineno, item in iter_jsonl(path):
            assert isinstance(item, (ParsedArticle, ParseError))
            if isinstance(item, ParsedArticle):
                _check_article(item)
            seen.append(lineno)
        assert seen == sorted(set(seen))
        assert all(1 <= n <= data.count(b"\n") + 1 for n in seen)


def _spans_ok(text: str, spans: list[tuple[int, int, str | None]]) -> None:
    for start, end, said in spans:
        assert 0 <= start <= end <= len(text), (start, end, len(text))
        if said is not None:
            assert text[start:end] == said


@FAST
@given(texts)
def test_entities_offsets_slice_back_to_their_text(text: str) -> None:
    mentions = extract_entities(text)
    _spans_ok(text, [(m.start, m.end, m.text) for m in mentions])
    assert all(m.start < m.end and m.type in ("PER", "LOC", "ORG", "MISC") for m in mentions)


@FAST
@given(texts, published)
def test_dates_offsets_slice_back_and_values_are_well_formed(text: str, pub: date | None) -> None:
    found = extract_dates(text, pub)
    _spans_ok(text, [(d.start, d.end, d.text) for d in found])
    for d in found:
        assert d.start < d.end
        assert d.precision in ("day", "week", "month", "year")
        n = {"day": 10, "week": 10, "month": 7, "year": 4}[d.precision]
        assert len(d.value) >= n and d.value[:4].lstrip("-").isdigit()


@FAST
@given(texts, texts)
def test_passage_functions_stay_in_bounds(a: str, b: str) -> None:
    _spans_ok(a, [(s, e, None) for _, s, e in passages.tokens(a)])
    _spans_ok(a, [(s, e, None) for s, e in passages.sentences(a)])
    _spans_ok(a, [(s, e, None) for s, e, _q in passages.quotations(a)])
    passages.normalise(a)
    passages.fingerprint(a)
    passages.match_texts(a, b)
    # a paragraph long enough to be a passage shares it, whole, with itself
    fp = passages.fingerprint(a)
    if len(fp.shingles) >= passages.MIN_PARAGRAPH and fp.size >= passages.MIN_PARAGRAPH:
        m = passages.match_texts(a, a)
        assert m is not None and m.similarity >= 0.99, (a, m)


@settings(settings.get_profile("reader"), max_examples=25)
@given(st.lists(texts, min_size=1, max_size=4))
def test_adding_the_same_file_twice_adds_nothing_the_second_time(bodies: list[str]) -> None:
    from index.library import Library

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        for i, body in enumerate(bodies):
            (folder / f"{i}.txt").write_text(body, encoding="utf-8", errors="surrogatepass")
        feed = folder / "feed.jsonl"
        feed.write_text("".join(json.dumps({"title": b[:40], "body": b}) + "\n" for b in bodies))
        with Library(Path(tmp) / "lib") as lib:
            first = lib.add([folder], enrich=True)
            assert len(first.added) == len(set(first.added))
            n = lib.count()
            assert n == len(first.added) == lib.index.doc_count()
            again = lib.add([folder])
            assert again.added == [] and lib.count() == n
            assert again.duplicates == len(first.added) + first.duplicates
            assert lib.index.doc_count() == n
