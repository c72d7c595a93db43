"""E-mail newsletters: ``.eml`` files, mbox files and Maildir folders, through the standard
library's :mod:`email` (``policy=default``) and :mod:`mailbox`.

One message is one article: the subject is the title, the ``Date`` header the date, the
sender's display name the outlet (else the ``source_hint``, else the sender's domain), the
HTML part extracted like a web page (:mod:`index.extract`), else the text part, the body.
Newsletter furniture ("View in browser", "Unsubscribe", "You are receiving this email
because ...") is dropped. Every string goes through the untrusted-text cleaning.

Nothing here imports a UI. :func:`iter_mbox` and :func:`iter_maildir` read the given mailbox
and never modify it (no locking, no flags written).
"""

from __future__ import annotations

import email
import email.policy
import mailbox
import re
from collections.abc import Iterator
from datetime import date
from email.message import EmailMessage, MIMEPart
from pathlib import Path

from index.clean import clean_text, normalize_ws
from index.parse import ParsedArticle, ParseError

__all__ = [
    "is_maildir",
    "iter_maildir",
    "iter_mbox",
    "looks_like_email",
    "looks_like_mbox",
    "message_article",
    "parse_message",
]

# A message bigger than this is not a newsletter (a mailing-list digest with attachments).
MAX_MESSAGE_BYTES = 64 * 2**20

_HEADER_LINE = re.compile(rb"^[!-9;-~]{1,76}:[ \t]?")
_MBOX_FROM = re.compile(rb"^From \S+ .{10,}")


def _header_block(head: bytes) -> list[bytes] | None:
    """The header lines at the start of ``head`` (continuations folded in), or None when a
    line before the first blank line is not a header."""
    head = head.removeprefix(b"\xef\xbb\xbf")
    lines = head.replace(b"\r\n", b"\n").split(b"\n")
    if len(head) >= 4096 and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut in the middle
    names: list[bytes] = []
    for line in lines:
        if not line:
            return names
        if line[:1] in (b" ", b"\t"):
            if not names:
                return None
            continue
        m = _HEADER_LINE.match(line)
        if m is None:
            return None
        names.append(line[: line.index(b":")].lower())
    return names


def looks_like_email(head: bytes) -> bool:
    """Whether a file's first bytes are an RFC 5322 message: only header lines up to the first
    blank line, among them ``From`` and one of ``Subject``, ``Date``, ``Message-ID``,
    ``MIME-Version``, ``Received``. A plain-text article with a ``Date:`` line is not one."""
    if _HEADER_LINE.match(head.removeprefix(b"\xef\xbb\xbf")) is None:  # most files: one test
        return False
    names = _header_block(head[:4096])
    if not names or b"from" not in names:
        return False
    return any(n in names for n in (b"subject", b"date", b"message-id", b"mime-version",
                                    b"received"))


def looks_like_mbox(head: bytes) -> bool:
    """Whether a file's first bytes are an mbox: a ``From sender date`` line, then a message."""
    head = head[:4096]
    if _MBOX_FROM.match(head) is None:
        return False
    rest = head.split(b"\n", 1)[1] if b"\n" in head else b""
    names = _header_block(rest) or []
    return bool(names) and (b"from" in names or b"subject" in names or b"date" in names)


def is_maildir(path: Path) -> bool:
    """Whether a folder is a Maildir (it has ``cur``, ``new`` and ``tmp`` folders)."""
    return all((path / sub).is_dir() for sub in ("cur", "new", "tmp"))


# --- one message --------------------------------------------------------------------------------

_FURNITURE = re.compile(
    r"(?:\bunsubscribe\b|view (?:this (?:email|message|newsletter) )?(?:in|on) (?:your |a |the )?"
    r"(?:web )?browser|view (?:it )?online|manage (?:your )?(?:email )?(?:preferences|subscription)"
    r"|update (?:your )?(?:email )?preferences|you (?:are )?receiv(?:e|ed|ing) this (?:e-?mail|message|newsletter)"
    r"|(?:was|were) sent to \S+@|forward(?:ed)? (?:this|to a friend)|add us to your address book"
    r"|trouble (?:viewing|reading) this|privacy policy|\bsign up\b.*\bnewsletter\b"
    r"|this (?:e-?mail|message) was sent)",
    re.IGNORECASE,
)


def _drop_furniture(paragraphs: list[str] | tuple[str, ...]) -> list[str]:
    return [p for p in paragraphs if not (len(p.split()) <= 40 and _FURNITURE.search(p))]


def _clean(s: object) -> str | None:
    if not isinstance(s, str):
        return None
    s = normalize_ws(clean_text(s.replace("\r", " ")))
    return s or None


def _sender(msg: EmailMessage) -> tuple[str | None, str | None]:
    """(display name, domain) of the message's sender."""
    try:
        header = msg["From"]
        addresses = getattr(header, "addresses", ()) if header is not None else ()
    except (IndexError, ValueError, TypeError):  # a malformed From header
        addresses = ()
    for a in addresses:
        name = _clean(a.display_name)
        domain = (a.domain or "").lower() or None
        return name, domain
    return None, None


def _date(msg: EmailMessage) -> date | None:
    try:
        header = msg["Date"]
    except (IndexError, ValueError, TypeError):
        return None
    dt = getattr(header, "datetime", None)
    return dt.date() if dt is not None else None


def _part_text(part: MIMEPart) -> str | None:
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError, UnicodeError):  # unknown/bad charset
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            return None
        from index.extract import decode_html

        content = decode_html(payload, part.get("Content-Type"))
    return content if isinstance(content, str) else None


def _body(msg: EmailMessage) -> tuple[tuple[str, ...], str | None]:
    """The message's paragraphs and the byline the HTML page names, if any."""
    from index.extract import extract_page
    from index.feeds import html_paragraphs, text_paragraphs

    html_part = msg.get_body(preferencelist=("html",))
    text_part = msg.get_body(preferencelist=("plain",))
    if html_part is not None:
        html = _part_text(html_part)
        if html and html.strip():
            try:
                page = extract_page(html)
                paras = _drop_furniture(page.paragraphs)
                if paras:
                    return tuple(paras), page.byline
            except ParseError:
                pass
            if text_part is None:  # extraction found no article: the whole HTML as text
                paras = _drop_furniture(html_paragraphs(html))
                if paras:
                    return tuple(paras), None
    if text_part is not None:
        text = _part_text(text_part)
        if text:
            paras = _drop_furniture(text_paragraphs(text))
            if paras:
                return tuple(paras), None
    return (), None


def message_article(msg: EmailMessage, *, source_hint: str | None = None) -> ParsedArticle:
    """One e-mail message as an article (see the module docstring).

    Raises :class:`~index.parse.ParseError` ``'message has no text'`` when neither an HTML
    nor a text part holds any.
    """
    paragraphs, byline = _body(msg)
    if not paragraphs:
        raise ParseError("message has no text")
    try:
        subject = _clean(msg.get("Subject", None))
    except (IndexError, ValueError, TypeError):
        subject = None
    name, domain = _sender(msg)
    if not subject:
        from index.parse import _title_from_body

        subject = _title_from_body(paragraphs[0]) or paragraphs[0][:100]
    return ParsedArticle(
        title=subject,
        source=name or _clean(source_hint) or domain,
        published=_date(msg),
        byline=byline,
        paragraphs=paragraphs,
        url=None,
    )


def parse_message(data: bytes, *, source_hint: str | None = None) -> ParsedArticle:
    """An ``.eml`` file's bytes (or one message of a mailbox) as an article."""
    if not data.strip():
        raise ParseError("empty message")
    if len(data) > MAX_MESSAGE_BYTES:
        raise ParseError(f"message too big (> {MAX_MESSAGE_BYTES // 2**20} MiB)")
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return message_article(msg, source_hint=source_hint)


# --- mailboxes ----------------------------------------------------------------------------------


def _raw(box: mailbox.Mailbox, key: str) -> bytes:
    return box.get_bytes(key)


def iter_mbox(path: Path) -> Iterator[tuple[str, bytes | ParseError]]:
    """The messages of an mbox file as ``(name, raw bytes)`` (``name`` is ``path:N``, N from 1),
    or ``(name, ParseError)`` for one that cannot be read. The file is only read."""
    try:
        box = mailbox.mbox(str(path), create=False)
        keys = list(box.iterkeys())
    except (OSError, mailbox.Error) as e:
        raise ParseError(f"cannot read mbox: {getattr(e, 'strerror', None) or e}") from None
    try:
        for n, key in enumerate(keys, 1):
            name = f"{path}:{n}"
            try:
                yield name, _raw(box, key)
            except (OSError, mailbox.Error, KeyError) as e:
                yield name, ParseError(f"cannot read message ({e})")
    finally:
        box.close()


def iter_maildir(path: Path) -> Iterator[tuple[str, bytes | ParseError]]:
    """The messages of a Maildir (``cur`` and ``new``; ``tmp`` holds unfinished deliveries) as
    ``(path/key, raw bytes)``, sorted by key. The folder is only read (no flags change)."""
    try:
        box = mailbox.Maildir(str(path), factory=None, create=False)
        keys = sorted(box.iterkeys())
    except (OSError, mailbox.Error) as e:
        raise ParseError(f"cannot read Maildir: {getattr(e, 'strerror', None) or e}") from None
    for key in keys:
        name = f"{path}/{key}"
        try:
            yield name, _raw(box, key)
        except (OSError, mailbox.Error, KeyError) as e:
            yield name, ParseError(f"cannot read message ({e})")
