"""Features of a token for the CRF: word shape, lexicon and gazetteer hits, context window
(:func:`sequence_features` for training, :class:`FeatureCache` for tagging)."""

from __future__ import annotations

from index.ner.lexicon import _GROUP_WORDS, _Lexicon
from index.ner.tokens import _OPENERS

# --------------------------------------------------------------------------------------------
# Features
# --------------------------------------------------------------------------------------------


def _shape(w: str) -> str:
    out = []
    last = ""
    for ch in w[:24]:
        if ch.isupper():
            c = "X"
        elif ch.islower():
            c = "x"
        elif ch.isdigit():
            c = "d"
        else:
            c = ch if ch in "-.'&/,:" else "#"
        if c != last:
            out.append(c)
            last = c
    return "".join(out)


class FeatureCache:
    """Per-word feature strings for each relative position, memoised by word form."""

    def __init__(self, lex: _Lexicon, gaz: dict[str, str] | None = None, limit: int = 300_000):
        self.lex = lex
        self.gaz = lex.gaz if gaz is None else gaz
        self.limit = limit
        self.memo: dict[str, tuple[list[str], list[str], list[str], list[str], list[str]]] = {}

    def base(self, w: str) -> tuple[list[str], list[str], str]:
        """Features of ``w`` itself, those it lends its neighbours (before the +1/-1 prefix) and
        its normalised form (for the +2/-2 word features)."""
        if w.isupper() and len(w) <= 6:  # noqa: SIM108 -- acronyms keep case, lose dots: U.S. ~ US
            lw = w.replace(".", "") or w
        else:
            lw = w.lower()
        sh = _shape(w)
        g = self.gaz.get(w, "")
        acronym = w.isupper() and len(w) > 1
        if acronym:
            if "." in w:  # U.S. ~ US
                g += self.gaz.get(w.replace(".", ""), "")
            elif len(w) <= 4:
                g += self.gaz.get(".".join(w) + ".", "")
            elif not g:
                g = self.gaz.get(w.title(), "")
            g = "".join(sorted(set(g)))
        com = not acronym and w.lower() in self.lex.common
        if w in self.lex.place1:
            g += "p"  # a place name on its own
        if w in self.lex.place_part:
            g += "q"  # part of a longer place name
        if w in self.lex.company1:
            g += "k"  # a company name on its own
        if w in self.lex.company_part:  # none in the shipped list (no better on held-out data)
            g += "j"  # part of a longer company name
        if w.lower() in _GROUP_WORDS:
            g += "r"  # a faith, sect or people
        f0 = ["b", "w=" + lw, "sh=" + sh, "p3=" + lw[:3], "s3=" + lw[-3:], "s4=" + lw[-4:]]
        if len(w) == 1:
            f0.append("len1")
        for t in g:
            f0.append("g=" + t)
        if com:
            f0.append("c")
        if w[:1].isupper() and com:
            f0.append("Cc")
        near = ["w=" + lw, "sh=" + sh]
        for t in g:
            near.append("g=" + t)
        if com:
            near.append("c")
        return f0, near, lw

    def word(self, w: str) -> tuple[list[str], list[str], list[str], list[str], list[str]]:
        got = self.memo.get(w)
        if got is not None:
            return got
        f0, near, lw = self.base(w)
        fm1 = ["-1" + f for f in near]
        fp1 = ["+1" + f for f in near]
        fm2 = ["-2w=" + lw]
        fp2 = ["+2w=" + lw]
        got = (f0, fm1, fp1, fm2, fp2)
        if len(self.memo) >= self.limit:
            self.memo.clear()
        self.memo[w] = got
        return got


def sequence_features(
    words: list[str], cache: FeatureCache, upper: bool = False
) -> list[list[str]]:
    """CRF features for one sentence given its token strings."""
    n = len(words)
    get = cache.memo.get
    ws = [get(w) or cache.word(w) for w in words]
    lows = [w.lower() for w in words]
    xseq: list[list[str]] = []
    append = xseq.append
    last = n - 1
    for i in range(n):
        f = ws[i][0] + ws[i - 1][1] if i else ws[i][0] + ["BOS"]
        if i:
            f.append("bg-=" + lows[i - 1] + "|" + lows[i])
            if i > 1:
                f += ws[i - 2][3]
        if i < last:
            f += ws[i + 1][2]
            f.append("bg+=" + lows[i] + "|" + lows[i + 1])
            if i + 1 < last:
                f += ws[i + 2][4]
        else:
            f.append("EOS")
        if i == 1 or (i == 2 and words[0] in _OPENERS):
            f.append("BOS1")
        if upper:
            f.append("UP")
        append(f)
    if cache.lex.span_features is not None:
        for k, feat in cache.lex.span_features(words):
            xseq[k].append(feat)
    return xseq


