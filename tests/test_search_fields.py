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


def test_lengths_reader_matches_whoosh(tmp_path) -> None:
    """The codec's per-document reader reads each length column in one go: every document's
    length of every field (present, absent, unscored) is what Whoosh's own reader says."""
    from datetime import date

    from whoosh.codec.whoosh3 import W3PerDocReader

    from index.model import Article
    from index.search import SearchIndex, _LengthsReader, document

    si = SearchIndex(tmp_path / "w")
    si.create()
    w = si.writer(bulk=True)
    for i in range(300):
        words = " ".join(f"w{j % (i % 17 + 1)}" for j in range(i * 7 % 300))
        art = Article(f"{i:016x}", f"Title {i} " * (i % 3), "Wire" if i % 2 else "Other Wire",
                      date(2017, 10, 1 + i % 28) if i % 5 else None, None,
                      (words or "x", "second paragraph " * (i % 4)))
        w.add_document(**document(art, ["Haider al Abadi", "Baghdad"] if i % 3 else []))
    w.commit()
    ix = si.ix
    for seg in ix._segments():
        fast = seg.codec().per_document_reader(ix.storage, seg)
        assert isinstance(fast, _LengthsReader)
        slow = W3PerDocReader(ix.storage, seg)
        for field in ("title", "body", "source", "entity", "published", "id", "nofield"):
            for docnum in range(seg.doc_count_all() + 1):
                assert fast.doc_field_length(docnum, field) == slow.doc_field_length(
                    docnum, field), (field, docnum)
                assert fast.doc_field_length(docnum, field, 7) == slow.doc_field_length(
                    docnum, field, 7)
        fast.close()
        slow.close()
    si.close()


def _small_index(path, codec):  # type: ignore[no-untyped-def]
    from datetime import date

    from index.model import Article
    from index.search import SearchIndex, document

    si = SearchIndex(path)
    si.create()
    w = si.ix.writer(limitmb=64, codec=codec)
    for i in range(400):
        # rare words (one-posting blocks), common words (full 128-posting blocks), repeats
        words = " ".join([f"rare{i}", "common", "common"] + [f"w{j % (i % 13 + 2)}"
                                                             for j in range(i % 40)])
        art = Article(f"{i:016x}", f"Title {i % 7}", "Wire", date(2017, 10, 1 + i % 28), None,
                      (words, "second paragraph " * (i % 3)))
        w.add_document(**document(art, ["Baghdad"] if i % 2 else []))
    w.commit()
    out = []
    with si.ix.searcher() as s:
        r = s.reader()
        ids = {dn: f["id"] for dn, f in r.iter_docs()}
        for field in ("title", "body", "source", "entity", "published", "id"):
            for term in r.lexicon(field):
                ti = r.term_info(field, term)
                m = r.postings(field, term)
                kind = "positions" if m.supports("positions") else "weight"
                out.append((field, term, ti.weight(), ti.doc_frequency(), ti.min_length(),
                            ti.max_length(), ti.max_weight(),
                            sorted((ids[d], v) for d, v in m.items_as(kind))))
    si.close()
    return out


def test_codec_writes_what_whoosh_reads_back(tmp_path) -> None:
    """Our codec (small blocks left uncompressed, lengths read in one go) gives the same
    postings, positions and term statistics as Whoosh's own."""
    from whoosh.codec.whoosh3 import W3Codec

    from index.search import _codec

    assert _small_index(tmp_path / "ours", _codec()) == _small_index(tmp_path / "whoosh",
                                                                     W3Codec())
