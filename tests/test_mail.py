"""E-mail newsletters (index.mail): .eml files, mbox files and Maildir folders, written with the
standard library into tmp_path and read back; and `reader add` of every new input kind (feed
file, HTML page, .eml, mbox, Maildir) through the real CLI, with a bad file in the batch."""

from __future__ import annotations

import json
import mailbox
import shutil
from datetime import date
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest

from index.mail import (
    is_maildir,
    iter_maildir,
    iter_mbox,
    looks_like_email,
    looks_like_mbox,
    parse_message,
)
from index.parse import ParseError, parse_file, sniff

from .conftest import CLI, DATA

STORY = " ".join(
    f"Sentence {i} of the newsletter: the council voted on Tuesday to fund the new bridge, "
    f"and the mayor said work would start in the spring." for i in range(1, 4)
)


def newsletter(subject: str = "Bridge vote: what it means", sender: str = '"The Civic Letter" '
               "<news@civic.example>", date_: str = "Tue, 05 Mar 2024 07:30:00 +0100",
               html: bool = True, text: bool = True) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "reader@example.org"
    msg["Subject"] = subject
    msg["Date"] = date_
    msg["Message-ID"] = f"<{abs(hash(subject))}@civic.example>"
    if text:
        msg.set_content(f"{STORY}\n\nSecond paragraph, plain.\n\nUnsubscribe: https://x/u\n")
    if html:
        body = (f"<html><head><title>{subject}</title><style>p{{color:red}}</style></head><body>"
                f"<table><tr><td><a href='https://x/web'>View this email in your browser</a></td>"
                f"</tr></table><h1>{subject}</h1><p>{STORY}</p><p>Second paragraph, from the "
                f"HTML part, with <b>bold</b> words.</p><script>track()</script>"
                f"<p><a href='https://x/u'>Unsubscribe</a> | <a href='https://x/p'>Manage "
                f"preferences</a></p></body></html>")
        if text:
            msg.add_alternative(body, subtype="html")
        else:
            msg.set_content(body, subtype="html")
    return msg


def test_eml_html_part_is_extracted() -> None:
    art = parse_message(bytes(newsletter()))
    assert art.title == "Bridge vote: what it means"
    assert art.source == "The Civic Letter"
    assert art.published == date(2024, 3, 5)
    assert art.paragraphs[0].startswith("Sentence 1 of the newsletter")
    text = "\n".join(art.paragraphs)
    assert "from the HTML part" in text
    assert "Unsubscribe" not in text and "View this email" not in text
    assert "track()" not in text and "color:red" not in text


def test_eml_text_part_encoded_headers_and_fallbacks() -> None:
    msg = newsletter(subject="Caf\u00e9 news \u2014 \u00e9dition sp\u00e9ciale", html=False,
                     sender="news@civic.example")
    raw = msg.as_bytes(policy=SMTP)
    assert b"=?utf-8?" in raw  # the subject really is RFC 2047 encoded on disk
    art = parse_message(raw, source_hint="Folder")
    assert art.title == "Café news — édition spéciale"
    assert art.source == "Folder"  # no display name: the hint, else the domain
    assert parse_message(raw).source == "civic.example"
    assert art.paragraphs[:2] == (STORY, "Second paragraph, plain.")
    with pytest.raises(ParseError):
        parse_message(b"From: a@b.c\nSubject: nothing\n\n")


def test_hostile_message_text_is_cleaned() -> None:
    msg = newsletter(subject="Evil \x1b[31mred\x1b[0m \u202esubject", html=False,
                     sender='"Out\u200blet" <a@b.c>')
    msg.set_content(STORY + "\n\nHere is [bold]markup[/bold] and \x1b]8;;http://x\x07link.\n")
    art = parse_message(bytes(msg))
    text = "\n".join((art.title, art.source or "", *art.paragraphs))
    assert "\x1b" not in text and "\u202e" not in text and "\u200b" not in text
    assert art.source == "Outlet"
    assert "[bold]markup[/bold]" in text


def test_sniffing_by_content() -> None:
    eml = bytes(newsletter())
    assert looks_like_email(eml) and sniff(eml) == "email"
    mbox_head = b"From news@civic.example Tue Mar  5 07:30:00 2024\n" + eml
    assert looks_like_mbox(mbox_head) and sniff(mbox_head) == "mbox"
    # plain-text articles with header-like lines are still text
    for text in (b"Date: 25.10.2017 15:00\nIraqi forces launch offensive\n\nBody text here.",
                 b"From: our correspondent in Baghdad\nThe offensive began on Thursday.",
                 b"From the archives: a story\n\nBody.", b" date 2017-10-26 WORLD\nTitle\n"):
        assert sniff(text) == "text", text
    assert sniff(b"<!DOCTYPE html><html><body><p>x</p>") == "html"
    assert sniff(b'<?xml version="1.0"?><rss version="2.0"><channel>') == "feed"


def test_mbox_and_maildir(tmp_path: Path) -> None:
    box = mailbox.mbox(str(tmp_path / "letters.mbox"))
    for i in range(3):
        box.add(newsletter(subject=f"Issue {i}: the bridge"))
    box.flush()
    box.close()
    got = [parse_message(raw) for _, raw in iter_mbox(tmp_path / "letters.mbox")]  # type: ignore[arg-type]
    assert [a.title for a in got] == [f"Issue {i}: the bridge" for i in range(3)]
    with pytest.raises(ParseError):
        parse_file(tmp_path / "letters.mbox")  # several articles: the library splits it

    md = mailbox.Maildir(str(tmp_path / "Mail"))
    md.add(mailbox.MaildirMessage(newsletter(subject="In new")))
    m = mailbox.MaildirMessage(newsletter(subject="In cur"))
    m.set_subdir("cur")
    md.add(m)
    (tmp_path / "Mail" / "tmp" / "123.partial").write_bytes(b"From: x@y.z\nSubject: half")
    assert is_maildir(tmp_path / "Mail")
    before = sorted(p.name for p in (tmp_path / "Mail").rglob("*"))
    titles = sorted(parse_message(raw).title for _, raw in iter_maildir(tmp_path / "Mail"))  # type: ignore[arg-type]
    assert titles == ["In cur", "In new"]
    assert sorted(p.name for p in (tmp_path / "Mail").rglob("*")) == before  # read only


# --- `reader add` of every input kind through the CLI ---------------------------------------------


def _listed(cli: CLI) -> list[dict]:
    r = cli("list", "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_cli_add_feed_page_eml_mbox_maildir_with_a_bad_file(tmp_path: Path, cli: CLI) -> None:
    feed = DATA / "feeds" / "rss_1.0_iso8859.xml"
    page = DATA / "html" / "bbc-1" / "source.html"
    if not (feed.exists() and page.exists()):
        pytest.skip(f"feeds/html not found in {DATA} (set READER_SHARED_DATA)")
    inbox = tmp_path / "in"
    inbox.mkdir()
    # names say nothing: content decides
    shutil.copy(feed, inbox / "golem.dat")
    shutil.copy(page, inbox / "saved-page")
    (inbox / "letter.txt").write_bytes(bytes(newsletter(subject="One letter")))
    box = mailbox.mbox(str(inbox / "archive"))
    for i in range(2):
        box.add(newsletter(subject=f"Archived {i}"))
    box.flush()
    box.close()
    md = mailbox.Maildir(str(inbox / "Maildir"))
    md.add(newsletter(subject="From the Maildir"))
    md.close()
    (inbox / "plain.txt").write_text("A plain article about the bridge\n\n" + STORY + "\n")
    (inbox / "broken.xml").write_bytes(
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Broken</title><item><guid>1'
        b"</guid><title>Before the cut</title><description>" + STORY.encode()
        + b"</description></item><item><title>cut")
    (inbox / "empty.html").write_bytes(b"<html><head><title>x</title></head><body></body></html>")

    r = cli("add", str(inbox), "--json")
    assert r.returncode == 1, r.stderr  # something was skipped
    report = json.loads(r.stdout)
    skipped = {Path(s["path"]).name: s["reason"] for s in report["skipped"]}
    # the damaged feed is named (and its half item, if it has no text); its whole item is added
    assert set(skipped) - {"broken.xml:2"} == {"broken.xml", "empty.html"}, skipped
    assert "malformed feed" in skipped["broken.xml"]
    assert "no article text" in skipped["empty.html"]
    rows = {row["title"]: row for row in _listed(cli)}
    assert rows["Digitalministerium: Neue Glasfaserförderung mit Schnellkasse"]["source"] == "Golem.de"
    assert rows["Obama admits US gun laws are his 'biggest frustration'"]["source"] == "BBC News"
    for title in ("One letter", "Archived 0", "Archived 1", "From the Maildir"):
        assert rows[title]["source"] == "The Civic Letter"
        assert rows[title]["published"].startswith("2024-03-05")
    assert rows["A plain article about the bridge"]["source"] == "in"
    assert rows["Before the cut"]["source"] == "Broken"
    assert len(rows) == 8 == len(report["added"])

    # the page is stored as extracted text, not raw tags
    bbc = rows["Obama admits US gun laws are his 'biggest frustration'"]
    shown = cli("show", bbc["id"])
    assert shown.returncode == 0, shown.stderr
    assert "President Barack Obama has admitted" in shown.stdout
    assert "<div" not in shown.stdout and "<script" not in shown.stdout

    # adding the same inputs again adds nothing
    again = cli("add", str(inbox / "golem.dat"), str(inbox / "archive"), "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["added"] == []


def test_cli_add_feed_file_uses_source_when_the_feed_has_no_title(tmp_path: Path, cli: CLI) -> None:
    doc = (b'<?xml version="1.0"?><rss version="2.0"><channel>'
           + b"".join(b"<item><guid>%d</guid><title>Item %d</title><description>" % (i, i)
                      + STORY.encode() + b"</description><pubDate>Mon, 0%d Jan 2024 10:00:00 "
                      b"+0000</pubDate></item>" % i for i in range(1, 4))
           + b"</channel></rss>")
    f = tmp_path / "wire.rss"
    f.write_bytes(doc)
    r = cli("add", str(f), "--source", "City Wire")
    assert r.returncode == 0, r.stderr
    rows = _listed(cli)
    assert sorted(x["title"] for x in rows) == ["Item 1", "Item 2", "Item 3"]
    assert {x["source"] for x in rows} == {"City Wire"}
    assert sorted(x["published"][:10] for x in rows) == ["2024-01-01", "2024-01-02", "2024-01-03"]


def test_cli_add_folder_of_saved_pages_skips_their_assets(tmp_path: Path, cli: CLI) -> None:
    pages = tmp_path / "saved"
    pages.mkdir()
    for name in ("bbc-1", "guardian-1"):
        src = DATA / "html" / name / "source.html"
        if not src.exists():
            pytest.skip(f"html pages not found in {DATA} (set READER_SHARED_DATA)")
        shutil.copy(src, pages / f"{name}.html")
    assets = pages / "bbc-1_files"  # what a browser's "save page complete" writes beside it
    assets.mkdir()
    (assets / "app.js").write_text("var x = 1;\nfunction track() { return x; }\n")
    (assets / "style.css").write_text("body { color: red; }\n")
    (assets / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    r = cli("add", str(pages), "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert len(report["added"]) == 2 and report["skipped"] == []
    assert {x["source"] for x in _listed(cli)} == {"BBC News", "The Guardian"}
