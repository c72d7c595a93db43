"""Tests for index.parse and index.clean: seeds, bad input, JSON Lines, ids, cleaning."""

from __future__ import annotations

import gzip
import json
import os
from datetime import date
from pathlib import Path

import pytest

from index.clean import boilerplate_kind, clean_text, is_caption, source_from_copyright
from index.parse import (
    ParsedArticle,
    ParseError,
    content_id,
    decode_bytes,
    iter_jsonl,
    parse_date,
    parse_file,
    parse_text,
)

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
FIX = Path(__file__).resolve().parent / "fixtures" / "parse"


def shared_data() -> Path:
    env = os.environ.get("READER_SHARED_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


def seed(prefix: str) -> ParsedArticle:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return parse_file(path)


def body(a: ParsedArticle) -> str:
    return "\n".join(a.paragraphs)


# --- the five seeds -----------------------------------------------------------------------------

SEED_EXPECTED = {
    "000": (
        "Iraq launches offensive on last Daesh-held territory near Syria border",
        date(2017, 10, 26),
        "TRTWorld and agencies",
        "Staff Reporter",
    ),
    "001": (
        "Iraqi forces to launch final offensive against Daesh near Syria border",
        date(2017, 10, 25),
        "Milli Gazete",
        None,
    ),
    "003": (
        "Iraq announces offensive to retake last Daesh bastion",
        date(2017, 10, 26),
        None,
        None,
    ),
    "004": (
        "Iraqi forces open new front in final push against Daesh",
        date(2017, 11, 25),
        "AFP",
        "Staff Reporter",
    ),
}

BOILERPLATE = [
    "email Print",
    "zoom+",
    "All Rights Reserved",
    "©",
    "Tel :",
    "Fax",
    "YEREL HABERLER",
    "Puplication",
    "/ AFP",
    "(AFP photo)",
    "AP Photo",
    "emAP",
    "MIN READ",
    "Share on Facebook",
    "Share on Twitter",
    "Explore",
    "Sneak a peek",
    "Contact us",
    "Cyprus Peace Operation",
    "Usyk knocks out",
    "Hamas reviews new Gaza maps",
    "SOURCE:",
    "By Staff Reporter",
    "Updated 26.10.2017",
    "Published 26.10.2017",
    "Date: 25.10.2017",
]


@pytest.mark.parametrize("prefix", sorted(SEED_EXPECTED))
def test_seed_metadata(prefix: str) -> None:
    title, published, source, byline = SEED_EXPECTED[prefix]
    a = seed(prefix)
    assert a.title == title
    assert a.published == published
    assert a.source == source
    assert a.byline == byline


def test_seed_002_title_from_first_sentence_not_caption() -> None:
    a = seed("002")
    assert a.title.startswith(
        "Iraqi forces launched an attack to drive the Daesh terror group from the last territory"
    )
    assert "BAGHDAD" not in a.title
    assert "mortars" not in a.title and "AFP" not in a.title
    assert not a.title.endswith(".")
    assert a.published == date(2017, 10, 26)
    assert "mortars" not in body(a)
    # Documented choice: the body keeps its dateline.
    assert a.paragraphs[0].startswith("BAGHDAD/BEIRUT — Iraqi forces launched an attack")
    assert a.paragraphs[-1] == "Albu Kamal is located on the western bank of the river."


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_seed_no_boilerplate_in_body(prefix: str) -> None:
    a = seed(prefix)
    assert a.paragraphs
    for p in a.paragraphs:
        for bad in BOILERPLATE:
            assert bad not in p, (prefix, bad, p)
        assert p != a.title  # duplicated title lines are gone
        assert p == p.strip() and "  " not in p and "\xa0" not in p


def test_seed_000_header_lines_are_not_body() -> None:
    a = seed("000")
    first = a.paragraphs[0]
    assert first.startswith("Iraqi forces launched an offensive on Thursday")
    text = body(a)
    assert "as offensive on Al Qaim and Rawa begins" not in text  # standfirst
    assert "(Archive)" not in text  # caption
    assert "October 26, 2017" not in a.paragraphs  # date line
    assert a.paragraphs[-1].startswith("Daesh leader Abu Bakr al Baghdadi released")
    assert len(a.paragraphs) == 9


def test_seed_001_body() -> None:
    a = seed("001")
    assert a.paragraphs[0].startswith("Iraqi forces are about to launch an offensive")
    assert a.paragraphs[1].startswith('"Your security forces are now coming')
    assert a.paragraphs[-1].startswith('"Tell those among your children')
    assert len(a.paragraphs) == 7


def test_seed_003_body() -> None:
    a = seed("003")
    assert "Updated" not in body(a)
    assert a.paragraphs[-1].startswith("Despite still holding parts of the Syrian side")
    assert any(
        p.startswith("Iraqi Prime Minister Haider Al-Abadi Thursday morning") for p in a.paragraphs
    )


def test_seed_004_body_and_explore_list() -> None:
    a = seed("004")
    assert a.paragraphs[0].startswith("Iraqi forces thrust north from the Euphrates Valley")
    assert a.paragraphs[-1].startswith("It is now being flushed out of its last desert hideouts")
    text = body(a)
    assert "The move comes as part of an offensive" not in text  # standfirst
    assert "Salaheddin province" not in text  # caption
    assert "November 25, 2017" not in a.paragraphs


def test_seed_ids_distinct_and_stable() -> None:
    ids = {content_id(seed(p)) for p in ["000", "001", "002", "003", "004"]}
    assert len(ids) == 5
    assert all(len(i) == 16 and int(i, 16) >= 0 for i in ids)
    assert content_id(seed("000")) == content_id(seed("000"))


# --- bad and odd input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("empty.txt", "empty file"),
        ("whitespace.txt", "no text"),
        ("binary.bin", "binary file (not text)"),
        ("boilerplate_only.txt", "no article body found"),
    ],
)
def test_bad_files(name: str, reason: str) -> None:
    with pytest.raises(ParseError) as e:
        parse_file(FIX / name)
    assert str(e.value) == reason


def test_parse_error_is_value_error() -> None:
    assert issubclass(ParseError, ValueError)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="cannot read"):
        parse_file(tmp_path / "nope.txt")
    with pytest.raises(ParseError):
        parse_file(tmp_path)


def test_too_big(tmp_path: Path) -> None:
    p = tmp_path / "big.txt"
    p.write_text("Title here\n\n" + "Words and more words.\n\n" * 100)
    with pytest.raises(ParseError, match="too big"):
        parse_file(p, max_bytes=1000)


def test_cp1252() -> None:
    a = parse_file(FIX / "cp1252.txt")
    assert a.title == "Café owners brace for winter"
    assert "the city’s new rules" in a.paragraphs[0]
    assert "“nobody asked us”" in a.paragraphs[0]
    assert "\r" not in body(a)


def test_latin1() -> None:
    a = parse_file(FIX / "latin1.txt")
    assert a.title == "Señor Muñoz wins the vote in Málaga"
    assert "José Muñoz" in a.paragraphs[0]


def test_utf16_bom() -> None:
    a = parse_file(FIX / "utf16_bom.txt", source_hint="meteo")
    assert a.title == "Ankara ve İstanbul'da yağmur bekleniyor"
    assert a.paragraphs == (
        "Meteoroloji, Ankara ve İstanbul için sağanak uyarısı yaptı.",
        "Uyarı perşembe akşamına kadar geçerli.",
    )
    assert a.source == "meteo"


def test_bom_crlf_tabs_nbsp_byline_published() -> None:
    a = parse_file(FIX / "bom_crlf_tabs.txt")
    assert a.title == "Water prices rise again in Basra"
    assert a.published == date(2018, 3, 2)
    assert a.byline == "Jane Doe and John Roe"
    assert a.paragraphs == (
        "BASRA, March 2 - Water prices rose again on Friday, traders said, as the dry season began early.",
        "The city’s council met on Thursday.",
    )


def test_lines_without_blank_lines_are_paragraphs() -> None:
    a = parse_file(FIX / "lines_no_blanks.txt")
    assert a.title == "Storm closes ports along the Gulf coast"
    assert a.published == date(1987, 2, 26)
    assert len(a.paragraphs) == 3


def test_escapes_never_survive() -> None:
    a = parse_file(FIX / "escapes.txt")
    assert a.title == "Red alert in the harbour town"
    text = a.title + body(a)
    assert "\x1b" not in text and "\x07" not in text and "pwned" not in text
    assert "\u202e" not in text and "\u200b" not in text
    assert "The mayor said the alarm was false and apologised." in a.paragraphs


def test_related_tail_cut_and_source_line() -> None:
    a = parse_file(FIX / "related_tail.txt", source_hint="folder")
    assert a.source == "City Herald"
    assert a.paragraphs == (
        "The city council approved a new budget for schools on Tuesday, with more money for teachers.",
        "The vote was 7 to 2, the clerk said.",
    )


def test_source_hint_used_only_when_text_names_none() -> None:
    text = "A headline about rain\n\nIt rained all day in the city, residents said.\n"
    assert parse_text(text).source is None
    assert parse_text(text, source_hint="Herald").source == "Herald"
    assert (
        parse_text(text + "\nSource: Daily Planet\n", source_hint="Herald").source == "Daily Planet"
    )
    footer = "\n© 2019 The Daily Planet Inc. All rights reserved.\n"
    a = parse_text(text + footer, source_hint="Herald")
    assert a.source == "The Daily Planet"
    assert all("rights" not in p for p in a.paragraphs)


def test_reuters_style_wire_copy() -> None:
    text = (
        "BAHIA COCOA REVIEW\nThu, 26 Feb 1987 15:01:01\n\n"
        "SALVADOR, Feb 26 - Showers continued throughout the week in the Bahia cocoa zone,\n"
        "alleviating the drought since early January, Comissaria Smith said.\n\n"
        "The dry period means the temporao will be late this year.\n\n"
        " Reuter\n"
    )
    a = parse_text(text)
    assert a.title == "BAHIA COCOA REVIEW"
    assert a.published == date(1987, 2, 26)
    assert a.paragraphs == (
        "SALVADOR, Feb 26 - Showers continued throughout the week in the Bahia cocoa zone, "
        "alleviating the drought since early January, Comissaria Smith said.",
        "The dry period means the temporao will be late this year.",
    )


def test_unlabelled_trailing_headline_block_is_cut() -> None:
    text = (
        "Main headline of the story\n\n"
        "The first paragraph of the story says what happened, officials said.\n\n"
        "The second paragraph adds detail.\n\n"
        "Floods hit northern towns\n"
        "Markets rally on rate hopes\n"
        "Team signs new striker for season\n"
        "Minister resigns over expenses row\n"
    )
    a = parse_text(text)
    assert a.paragraphs == (
        "The first paragraph of the story says what happened, officials said.",
        "The second paragraph adds detail.",
    )


def test_standalone_date_forms() -> None:
    cases = {
        "2017-10-26": date(2017, 10, 26),
        "2017-10-26T12:00:00Z": date(2017, 10, 26),
        "25.10.2017 15:00": date(2017, 10, 25),
        "October 26, 2017": date(2017, 10, 26),
        "Oct. 26, 2017": date(2017, 10, 26),
        "Thu, 26 Feb 1987 15:01:01": date(1987, 2, 26),
        "26 Feb 1987": date(1987, 2, 26),
        "Thursday 26th October 2017": date(2017, 10, 26),
        "2017/10/26": date(2017, 10, 26),
        "03/02/2018": date(2018, 2, 3),  # day first
        "12/25/2017": date(2017, 12, 25),  # unambiguous month first
    }
    for s, d in cases.items():
        assert parse_date(s) == d, s
    assert parse_date("31.02.2017") is None
    assert parse_date("no date here") is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (" date 2017-10-26 WORLD", date(2017, 10, 26)),
        ("Date: 25.10.2017 15:00", date(2017, 10, 25)),
        ("Published 26.10.2017 00:00", date(2017, 10, 26)),
        ("Published on October 26, 2017 at 3:45 p.m. EDT", date(2017, 10, 26)),
        ("October 26, 2017", date(2017, 10, 26)),
        ("Thu, 26 Feb 1987 15:01:01", date(1987, 2, 26)),
        ("26 Feb 1987", date(1987, 2, 26)),
        ("2017-10-26T12:00:00Z", date(2017, 10, 26)),
        ("Posted: 26 October 2017 | 14:05 GMT", date(2017, 10, 26)),
    ],
)
def test_date_headers(header: str, expected: date) -> None:
    text = f"A headline for the test story\n{header}\n\nThe body says something, officials said.\n"
    a = parse_text(text)
    assert a.published == expected
    assert a.paragraphs == ("The body says something, officials said.",)


def test_updated_does_not_override_published() -> None:
    text = (
        "Some headline here\nUpdated 27.10.2017 10:00\nPublished 26.10.2017 00:00\n\n"
        "Body text, he said.\n"
    )
    assert parse_text(text).published == date(2017, 10, 26)


def test_body_sentences_are_not_boilerplate() -> None:
    text = (
        "Court rules on software copyright\n\n"
        "The company said it filed suit alleging the program violated the copyright of its product.\n\n"
        "Shares rose 5 pct, traders said, on hopes the privacy policy change would help.\n\n"
        "By Thursday, the forces had reached the river, a commander said.\n\n"
        "Photographers were kept away from the site, the ministry said.\n"
    )
    a = parse_text(text)
    assert len(a.paragraphs) == 4
    assert a.byline is None


# --- boilerplate rules are general --------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "Share on Facebook Share on Twitter",
        "email Print zoom+ zoom-",
        "Tweet | Share | Email | Print",
        "Share this article on WhatsApp",
        "© 2021 Some Outlet Ltd",
        "Copyright 2019 The Gazette. All rights reserved.",
        "Tel: +44 20 7946 0000",
        "12 MIN READ",
        "3 min read",
        "Reuter",
        "REUTER",
        "Advertisement",
        "A man walks past a mural in Baghdad. REUTERS/Thaier Al-Sudani",
        "Soldiers patrol the border. (AFP photo)",
        "Soldiers patrol the border. / AFP",
        "Photo: John Smith",
        "AP Photo",
        "emAP Photo/em",
        "Getty Images",
        "Protesters gather in the square. Photo: Getty Images",
    ],
)
def test_boilerplate_lines(line: str) -> None:
    assert boilerplate_kind(line) is not None


@pytest.mark.parametrize(
    "line",
    [
        "Iraqi forces launched an offensive on Thursday, Prime Minister Haider al Abadi said.",
        "The senator shared his view on Twitter, saying the bill would fail.",
        "He was born in Tel Aviv and moved to Paris in 1990.",
        "Reuters reported the deal on Monday.",
        "The photo agency AFP said its reporter was safe.",
        "Share prices fell 3 pct.",
    ],
)
def test_prose_is_not_boilerplate(line: str) -> None:
    assert boilerplate_kind(line) is None


def test_caption_detection() -> None:
    assert is_caption("Members of the Iraqi forces fire mortars on Thursday (AFP photo)")
    assert not is_caption("Members of the Iraqi forces fired mortars on Thursday.")


def test_source_from_copyright() -> None:
    assert source_from_copyright("© 2017 The New York Times Company") == "The New York Times"
    assert source_from_copyright("Copyright © 2017 Reuters. All rights reserved.") == "Reuters"
    assert (
        source_from_copyright("Milli Gazete Puplication Group All Rights Reserved © 2000-2016")
        == "Milli Gazete"
    )


# --- clean_text ---------------------------------------------------------------------------------


def test_clean_text_removes_escapes_controls_bidi_zero_width() -> None:
    dirty = (
        "\x1b[1;31mDaesh\x1b[0m \x1b]8;;http://evil\x07link\x1b]8;;\x07 "
        "Ab\u200badi \u202eevil\u202c \u2066iso\u2069 caf\u0065\u0301 tab\tnew\nline\x00\x07\x9b31m"
        "\x85end"
    )
    out = clean_text(dirty)
    assert "\x1b" not in out and "\x07" not in out and "\x00" not in out and "\x9b" not in out
    for ch in "\u200b\u202e\u202c\u2066\u2069":
        assert ch not in out
    assert "Daesh" in out and "Abadi" in out and "evil" in out and "iso" in out
    assert "café" in out  # NFC
    assert "tab\tnew\nline" in out
    assert "http://evil" not in out  # OSC 8 hyperlink target is part of the escape
    assert clean_text(out) == out


def test_clean_text_fast_path_identity() -> None:
    s = "Plain ASCII text, nothing to do."
    assert clean_text(s) is s


def test_decode_bytes() -> None:
    assert decode_bytes(b"") == ""
    assert decode_bytes(b"a\r\nb\rc") == "a\nb\nc"
    assert decode_bytes(b"\xef\xbb\xbfhello") == "hello"
    assert decode_bytes("héllo".encode("utf-16")) == "héllo"
    assert decode_bytes(b"\xfe\xff" + "hé".encode("utf-16-be")) == "hé"
    assert decode_bytes(b"it\x92s") == "it’s"
    assert decode_bytes(b"caf\xe9") == "café"
    with pytest.raises(ParseError, match="binary"):
        decode_bytes(b"abc\x00def")
    with pytest.raises(ParseError, match="binary"):
        decode_bytes(bytes(range(1, 32)) * 20 + b"some text")


# --- content_id ---------------------------------------------------------------------------------


def test_content_id_path_independent(tmp_path: Path) -> None:
    src = next(SEEDS.glob("000_*.txt"))
    a, b = tmp_path / "a", tmp_path / "b" / "c"
    a.mkdir()
    b.mkdir(parents=True)
    (a / "x.txt").write_bytes(src.read_bytes())
    (b / "y.txt").write_bytes(src.read_bytes())
    ida = content_id(parse_file(a / "x.txt", source_hint="a"))
    idb = content_id(parse_file(b / "y.txt", source_hint="b"))
    assert ida == idb == content_id(parse_file(src))


def test_content_id_ignores_whitespace_and_line_endings() -> None:
    t1 = "Head line here\n\nBody  text,\tsaid he.\n\nMore text.\n"
    t2 = t1.replace("\n", "\r\n").replace("  ", " ")
    assert content_id(parse_text(t1)) == content_id(parse_text(t2))
    assert content_id(parse_text(t1)) != content_id(parse_text(t1.replace("More", "Less")))


# --- JSON Lines ---------------------------------------------------------------------------------

JSONL_LINES = [
    json.dumps(
        {
            "id": "a1",
            "title": "Good title one",
            "published": "1987-02-26T15:01:01",
            "source": "Reuters",
            "url": "http://example.com/1",
            "body": "CITY, Feb 26 - First story, he said.\n\nSecond para.\n\nReuter\n",
        }
    ),
    "{not json",
    json.dumps({"title": "No body here", "published": "1987-02-26"}),
    json.dumps({"title": 42, "body": "Text."}),
    "",
    json.dumps({"title": "Date only", "published": "1987-03-01", "body": "Just one para."}),
    json.dumps(["a", "list"]),
    json.dumps({"body": "Untitled story begins here. It goes on.", "published": None}),
    json.dumps({"title": "Bad date", "published": "someday", "body": "Text here."}),
]


def _check_jsonl(results: list[tuple[int, ParsedArticle | ParseError]]) -> None:
    by_line = dict(results)
    assert sorted(by_line) == [1, 2, 3, 4, 6, 7, 8, 9]  # blank line 5 skipped
    a = by_line[1]
    assert isinstance(a, ParsedArticle)
    assert a.title == "Good title one"
    assert a.published == date(1987, 2, 26)
    assert a.source == "Reuters" and a.url == "http://example.com/1"
    assert a.paragraphs == ("CITY, Feb 26 - First story, he said.", "Second para.")
    assert isinstance(by_line[2], ParseError) and "invalid JSON" in str(by_line[2])
    assert isinstance(by_line[3], ParseError) and "missing body" in str(by_line[3])
    assert isinstance(by_line[4], ParseError) and "not a string" in str(by_line[4])
    assert isinstance(by_line[6], ParsedArticle) and by_line[6].published == date(1987, 3, 1)
    assert isinstance(by_line[7], ParseError)
    b = by_line[8]
    assert isinstance(b, ParsedArticle) and b.title == "Untitled story begins here"
    assert isinstance(by_line[9], ParsedArticle) and by_line[9].published is None


def test_iter_jsonl_plain(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl"
    p.write_text("\n".join(JSONL_LINES) + "\n", encoding="utf-8")
    _check_jsonl(list(iter_jsonl(p)))


def test_iter_jsonl_gzip_detected_by_magic(tmp_path: Path) -> None:
    p = tmp_path / "no_gz_suffix.jsonl"
    p.write_bytes(gzip.compress(("\n".join(JSONL_LINES) + "\n").encode()))
    _check_jsonl(list(iter_jsonl(p)))


def test_iter_jsonl_truncated_gzip(tmp_path: Path) -> None:
    data = gzip.compress(("\n".join(JSONL_LINES[:1] * 50) + "\n").encode())
    p = tmp_path / "t.jsonl.gz"
    p.write_bytes(data[: len(data) // 2])
    results = list(iter_jsonl(p))
    assert isinstance(results[-1][1], ParseError)
    assert all(isinstance(r, ParsedArticle) for _, r in results[:-1])


def test_iter_jsonl_reuters_sample() -> None:
    path = shared_data() / "reuters21578.jsonl.gz"
    if not path.exists():
        pytest.skip(f"shared corpus not found at {path}")
    results = []
    for lineno, a in iter_jsonl(path):
        results.append(a)
        if lineno >= 200:
            break
    assert len(results) == 200
    arts = [a for a in results if isinstance(a, ParsedArticle)]
    assert len(arts) == 200
    assert arts[0].title == "BAHIA COCOA REVIEW"
    assert arts[0].published == date(1987, 2, 26)
    assert arts[0].source == "Reuters"
    assert arts[0].paragraphs[0].startswith("SALVADOR, Feb 26 - Showers continued")
    for a in arts:
        assert a.paragraphs and a.title and a.published is not None
        assert a.paragraphs[-1].strip().lower() not in {"reuter", "reuters"}
    assert len({content_id(a) for a in arts}) >= 195  # the corpus has a few duplicates


# --- scale --------------------------------------------------------------------------------------


def test_50mb_file(tmp_path: Path) -> None:
    para = (
        "The quick brown fox jumped over the lazy dog near the river bank, officials said on "
        "Thursday, adding that more foxes were expected later in the week. "
    ) * 4
    chunk = (para.strip() + "\n\n").encode()
    p = tmp_path / "big.txt"
    n = (50 * 2**20) // len(chunk) + 1
    with p.open("wb") as fh:
        fh.write(b"A very large article about foxes\nPublished 26.10.2017 00:00\n\n")
        for _ in range(n):
            fh.write(chunk)
    a = parse_file(p)
    assert a.title == "A very large article about foxes"
    assert a.published == date(2017, 10, 26)
    assert len(a.paragraphs) == n


def test_very_long_line() -> None:
    line = "word " * 200_000
    a = parse_text("Headline about words\n\n" + line.strip() + ".\n")
    assert len(a.paragraphs) == 1 and len(a.paragraphs[0]) > 900_000
