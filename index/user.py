"""What a user does with the articles: read and starred marks, saved searches (issue 13).

Kept in the store beside the articles (tables ``article_state`` and ``saved_searches``; their
SQL is ``index.store.user``'s), so they survive ``reindex`` and are written atomically. The
tables are created by the first write; a library without them reads as "nothing read, nothing
starred, no saved search".

Queries take ``is:unread``, ``is:read``, ``is:starred`` and ``is:unstarred`` (also negated,
``NOT is:read`` / ``-is:read``): :func:`split_filters` takes them out of the text before Whoosh
sees it, and the caller filters the hits by the marks.
"""

from __future__ import annotations

import re

from index.search import QueryError

STATES = ("read", "unread", "starred", "unstarred")
_OPPOSITE = {"read": "unread", "unread": "read", "starred": "unstarred", "unstarred": "starred"}

# a quoted phrase, a parenthesis, or a run of anything else
_TOKEN = re.compile(r'"[^"]*"?|[()]|[^\s()"]+')


def split_filters(query: str) -> tuple[str, frozenset[str]]:
    """``query`` without its ``is:`` clauses, and the states they ask for.

    ``is:`` applies to the whole query, so it must stand at the top level: inside parentheses
    or next to ``OR`` it is a :class:`QueryError` (one line saying so), as is an unknown state
    or asking for a state and its opposite."""
    if "is:" not in query.lower():
        return query, frozenset()
    toks = list(_TOKEN.finditer(query))
    words = [m.group(0).upper() for m in toks]
    drop: set[int] = set()  # tokens taken out of the query
    wanted: set[str] = set()
    depth = 0
    for i, m in enumerate(toks):
        tok = m.group(0)
        low = tok.lower()
        if tok == "(":
            depth += 1
        elif tok == ")":
            depth -= 1
        negated = low.startswith("-is:")
        if not (low.startswith("is:") or negated):
            continue
        state = low.split(":", 1)[1]
        if state not in STATES:
            raise QueryError(f"is: takes {', '.join(STATES)}, not {state!r}")
        drop.add(i)
        j = i - 1
        if j >= 0 and words[j] == "NOT":
            drop.add(j)
            negated = not negated
            j -= 1
        before = words[j] if j >= 0 else ""
        after = words[i + 1] if i + 1 < len(words) else ""
        if depth or "OR" in (before, after):
            raise QueryError("is: applies to the whole query: use it outside parentheses and OR")
        if before == "AND":
            drop.add(j)
        elif after == "AND" and j < 0:
            drop.add(i + 1)
        if negated:
            state = _OPPOSITE[state]
        if _OPPOSITE[state] in wanted:
            raise QueryError(f"is:{state} and is:{_OPPOSITE[state]} exclude each other")
        wanted.add(state)
    out = []
    pos = 0
    for i in sorted(drop):
        out.append(query[pos:toks[i].start()])
        pos = toks[i].end()
    out.append(query[pos:])
    return " ".join("".join(out).split()), frozenset(wanted)


def matches(states: frozenset[str], article_id: str, read: set[str], starred: set[str]) -> bool:
    """Whether an article is in every state of ``states`` (given the read and starred ids)."""
    for s in states:
        if s == "read" and article_id not in read:
            return False
        if s == "unread" and article_id in read:
            return False
        if s == "starred" and article_id not in starred:
            return False
        if s == "unstarred" and article_id in starred:
            return False
    return True
