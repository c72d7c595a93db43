"""Counts of errors that the extractors' guards swallowed.

Article text is untrusted, so a parser or extractor that fails on one article must not stop the
batch: its guard records the failure here instead of raising. Workers hand their counts back
with their results, the writer keeps the totals in the store's meta, and ``reader stats`` shows
them, so a swallowed error is never invisible.
"""

from __future__ import annotations

from collections import Counter

_counts: Counter[str] = Counter()


def note(name: str) -> None:
    """Count one swallowed error of the kind ``name`` (``entities``, ``dates``, ...)."""
    _counts[name] += 1


def take() -> dict[str, int]:
    """The counts since the last call, and reset them."""
    out = dict(_counts)
    _counts.clear()
    return out
