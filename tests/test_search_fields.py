"""``index.search.FastText`` indexes exactly what Whoosh's TEXT field would: same terms,
frequencies, weights and encoded positions (phrase search reads the positions)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh.analysis import KeywordAnalyzer, RegexTokenizer, StandardAnalyzer, StemmingAnalyzer
from whoosh.fields import TEXT

from index.search import FastText, make_schema

ANALYZERS = [
    StandardAnalyzer(),
    StandardAnalyzer(stoplist=None),
    StandardAnalyzer(minsize=3, maxsize=6),
    RegexTokenizer(r"[a-z]+"),  # no lower-casing: Whoosh's own path
    StemmingAnalyzer(),  # a stemmer: Whoosh's own path
    KeywordAnalyzer(),
]

TEXTS = [
    "",
    "The U.S. said it is in the 3.141 big-time under_score of it",
    "a a a b b I i İstanbul İİ ß STRASSE straße Straße",
    "Oil, oil and OIL: the oil price rose 1,500.5 to 2.3.4 on Monday. Oil!",
    "  leading stops: the of and to a — then words, words words\n\nnext para words",
    "日本語のテキスト 中文 and Ελληνικά κείμενα, العربية",
    "x" * 300 + " " + "y.z" * 40,
]


def _same(analyzer, text: str, boost: float = 1.0) -> None:
    fast = list(FastText(analyzer=analyzer, field_boost=boost).index(text))
    slow = list(TEXT(analyzer=analyzer, field_boost=boost).index(text))
    assert fast == slow


def test_fast_text_matches_whoosh_text() -> None:
    for analyzer in ANALYZERS:
        for text in TEXTS:
            for boost in (1.0, 2.0):
                _same(analyzer, text, boost)


def test_schema_text_fields_are_fast() -> None:
    schema = make_schema()
    for name in ("title", "body", "source"):
        assert isinstance(schema[name], FastText)
    assert schema["title"].format.field_boost == 2.0


@settings(derandomize=True, deadline=None, max_examples=300,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(list("abcAB İß._-' \n1,.") + ["the", "and", "of", "a"]),
                max_size=60).map("".join))
def test_fast_text_property(text: str) -> None:
    for analyzer in ANALYZERS[:3]:
        _same(analyzer, text)
