"""Unit tests of index.passages: normalisation, quotations, sentences, fingerprints, matching."""

from __future__ import annotations

from index.passages import (
    fingerprint,
    match_texts,
    normalise,
    quotations,
    sentences,
    tokens,
)


def quoted(text: str) -> list[str]:
    return [text[s:e] for s, e, _ in quotations(text)]


def test_normalise_marks_case_punctuation():
    assert normalise("“Tell THOSE” — U.S.-backed,  1,500 al-Qaim’s  ") == "tell those us backed 1500 al qaims"
    assert normalise("It's a «test» – really?!") == "its a test really"
    assert normalise('"a" ‘b’ ``c\'\' „d“') == "a b c d"


def test_tokens_light_stemming():
    a = [t[0] for t in tokens("a white flag have been raised, gruelling battle, Sept. 28, US-backed")]
    b = [t[0] for t in tokens("a white flag has been raised, grueling battle, September 28, U.S.-backed")]
    assert a == b
    assert "have" not in a and "has" not in b  # auxiliaries are function words


def test_tokens_offsets():
    text = "Iraqi forces launched an offensive"
    for stem, s, e in tokens(text):
        assert text[s:e].casefold()[:1] == stem[:1] and e - s >= len(stem) - 1


def test_quotations_all_styles():
    assert quoted('He said "straight quotes" here.') == ["straight quotes"]
    assert quoted("He said “curly quotes” here.") == ["curly quotes"]
    assert quoted("He said ‘single curly quotes’ here.") == ["single curly quotes"]
    assert quoted("He said ''two apostrophes'' here.") == ["two apostrophes"]
    assert quoted("He said «guillemets here» then.") == ["guillemets here"]
    assert quoted("He said 'single straight quotes' here.") == ["single straight quotes"]
    # mixed: straight opening, '' closing (seed 000)
    assert quoted('"Tell those among your children,\'\' said the leaflets.') == [
        "Tell those among your children,"
    ]


def test_quotation_runs_to_paragraph_end():
    text = 'The leaflets said: "Go to any house with a white flag\n\nNext paragraph "closed" here.'
    got = quoted(text)
    assert "Go to any house with a white flag" in got
    assert "closed" in got


def test_apostrophes_are_not_quotes():
    assert quoted("Daesh's fighters and the terrorists' capital, Shi'ite militias.") == []


def test_quotation_normalised_form():
    [(s, e, norm)] = quotations("He said “A White-Flag, has been RAISED!” then.")
    assert norm == "a white flag has been raised"


def test_sentences_respect_abbreviations():
    text = "Lt. Gen. Yarallah spoke on Sept. 28 in the U.S. capital. The army moved. \"Go,\" he said."
    spans = [text[s:e] for s, e in sentences(text)]
    assert spans == [
        "Lt. Gen. Yarallah spoke on Sept. 28 in the U.S. capital.",
        "The army moved.",
        '"Go," he said.',
    ]


LEAFLET_000 = (
    '"Tell those among your children and relatives who took up a weapon against the state to '
    "throw it aside immediately, and to go to any house on top of which a white flag have been "
    "raised when the liberation forces enter Al Qaim,'' said the leaflets."
)
LEAFLET_002 = (
    "“Tell those among your children and relatives who took up a weapon against the state to "
    "throw it aside immediately, and to go to any house on top of which a white flag has been "
    "raised when the liberation forces enter Al Qaim,” said the text."
)


def test_fingerprint_robust_to_quote_style_and_a_word():
    a, b = fingerprint(LEAFLET_000), fingerprint(LEAFLET_002)
    shared = set(a.shingles) & set(b.shingles)
    assert len(shared) / min(a.size, b.size) > 0.9
    assert a.quote_sizes and a.quote_sizes[0] >= 10
    m = match_texts(LEAFLET_000, LEAFLET_002)
    assert m is not None and m.kind == "quote" and m.similarity > 0.9


def test_sentence_inside_longer_paragraph():
    a = ("Daesh leader Abu Bakr al Baghdadi released an audio recording on September 28 that "
         "indicated he was alive, after several reports he had been killed.")
    b = ("Daesh leader Abu Bakr al-Baghdadi, who declared the caliphate from Mosul in mid-2014, "
         "released an audio recording on Sept. 28 that indicated he was alive, after several "
         "reports he had been killed. He urged his followers to keep up the fight despite setbacks.")
    m = match_texts(a, b)
    assert m is not None and m.similarity >= 0.6


def test_unrelated_paragraphs_do_not_match():
    a = "The Iraqi air force dropped thousands of leaflets on the border area calling on militants."
    b = "Syrian government forces and their allies have made rapid gains against Daesh in Deir Ezzor."
    assert match_texts(a, b) is None
    # a short shared phrase alone is not a passage
    c = "Mueller's office did not immediately respond to requests for comment."
    d = "Attorneys for Manafort also did not immediately respond to requests for comment."
    assert match_texts(c, d) is None


def test_empty_and_tiny_paragraphs():
    assert fingerprint("").size == 0
    assert fingerprint("Share on Facebook").size <= 1
    assert match_texts("", "anything at all here") is None
