"""The CRF decoder: weights read from ``weights.json.gz`` (or the python-crfsuite model they
come from), a numpy Viterbi over a batch of sentences, and the model and lexicon loaded once per
process (:func:`_resources`; :func:`_use_model` switches to a retrained model)."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Sequence
from functools import partial
from operator import is_not
from pathlib import Path
from typing import Any

from index.ner.features import FeatureCache
from index.ner.lexicon import _Lexicon, _load_lexicon
from index.ner.tokens import _OPENERS

MODEL_DIR = Path(__file__).resolve().parent
MODEL_PATH = MODEL_DIR / "crf.model"
LEXICON_PATH = MODEL_DIR / "lexicon.json.gz"

_lock = threading.Lock()
_cache: dict[str, Any] = {}

def _load_weights(model_dir: Path) -> tuple[list[str], Any, dict[str, dict[str, float]]]:
    """CRF weights (labels, transitions, state features) from ``weights.json.gz``, written by
    scripts/train_ner.py next to ``crf.model``; derived from ``crf.model`` if it is missing."""
    path = model_dir / "weights.json.gz"
    if path.exists():
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
        return data["labels"], data["transitions"], data["state"]
    return weights_from_model(model_dir / "crf.model")


def weights_from_model(model_path: Path) -> tuple[list[str], Any, dict[str, dict[str, float]]]:
    """Read labels, transition matrix and state features out of a python-crfsuite model."""
    import pycrfsuite

    tagger = pycrfsuite.Tagger()
    tagger.open(str(model_path))
    info = tagger.info()
    labels = sorted(tagger.labels())
    lid = {lab: k for k, lab in enumerate(labels)}
    trans = [[0.0] * len(labels) for _ in labels]
    for (a, b), w in info.transitions.items():
        trans[lid[a]][lid[b]] = w
    state: dict[str, dict[str, float]] = {}
    for (a, lab), w in info.state_features.items():
        if w:
            state.setdefault(a, {})[lab] = w
    tagger.close()
    return labels, trans, state


def _resources() -> tuple[_Decoder, _Lexicon]:
    """Return (decoder, lexicon), loading them once per process."""
    res = _cache.get("res")
    if res is None:
        with _lock:
            res = _cache.get("res")
            if res is None:
                lex = _load_lexicon(LEXICON_PATH)
                labels, trans, state = _load_weights(MODEL_PATH.parent)
                res = (_Decoder(labels, trans, state, lex), lex)
                _cache["res"] = res
    return res



_PAD = -1e9  # score of an impossible label


_SEP = "\x00"  # separator token between sentences in a decoding batch (scores nothing)
_SEP2 = (_SEP, _SEP)


class _Decoder:
    """Viterbi decoding of the CRF in numpy; gives the labels ``pycrfsuite.Tagger.tag`` gives on
    the features of :func:`sequence_features` (but for a handful of tokens in 100,000, see the
    split points below), without building feature strings for words seen before.

    Every feature is a property of one word seen from a fixed relative position (-2..+2), a word
    pair (bigram) or a per-token flag (BOS, EOS, BOS1, UP, span flags). So each distinct word gets
    one cached row of per-label scores for the five positions, and emission scores are sums of
    shifted rows. All sentences of a batch are laid out in one array with separators between
    them. Tokens that are surely outside any name (no capitalised word next to them, not a joiner
    or next to one, and a clear margin for O) split the sentences into short runs, which are
    decoded together, entered from and left to O. A batch may hold the sentences of several
    articles: each article's runs are then decoded as in a batch of its own (the same labels).
    """

    #: an anchor token's O score must beat every other label's by this much
    MARGIN = 2.0
    MAX_WORDS = 100_000

    def __init__(
        self,
        labels: list[str],
        trans: Any,
        state: dict[str, dict[str, float]],
        lex: _Lexicon,
    ) -> None:
        import numpy as np

        self.np = np
        self.labels = list(labels)
        nl = len(labels)
        self.nl = nl
        self.o = o = self.labels.index("O")
        self.T = np.asarray(trans, dtype=np.float64).reshape(nl, nl)
        lid = {lab: k for k, lab in enumerate(self.labels)}
        self.attrs: dict[str, Any] = {}
        self.attr_index: dict[str, int] = {}
        self.A = np.zeros((len(state) + 1, nl))  # one row per attribute, then a zero row
        for a, ws in state.items():
            k = len(self.attr_index)
            self.attr_index[a] = k
            for lab, w in ws.items():
                self.A[k, lid[lab]] = w
            self.attrs[a] = self.A[k]
        self.zero = np.zeros(nl)
        # neighbour features by their unprefixed form: "w=x" -> index of "-1w=x" (and +1), and
        # word -> index of "-2w=word" (and +2)
        self.prefixed: tuple[dict[str, int], ...] = ({}, {}, {}, {})
        for a, k in self.attr_index.items():
            if a[:2] in ("-1", "+1"):
                self.prefixed[0 if a[0] == "-" else 1][a[2:]] = k
            elif a[:4] in ("-2w=", "+2w="):
                self.prefixed[2 if a[0] == "-" else 3][a[4:]] = k
        self.lex = lex
        lex._heads()  # built now, with the model
        self.fc = FeatureCache(lex, limit=1)  # used only to make feature strings
        self.rows: dict[str, int] = {}
        self.W = np.zeros((1024, 5 * nl))
        # per row: 1 capitalised, 2 joiner (- & ' /), 4 first word of a multi-token name
        self.F = np.zeros(1024, dtype=np.int8)
        # per row: ids of the lower-cased word as the left and the right word of bigram features
        self.LID = np.zeros(1024, dtype=np.int64)
        self.RID = np.zeros(1024, dtype=np.int64)
        self._reset_rows()
        # bigrams: "a|b" -> index into BG (row 0: none); BGm scores the token of b, BGp that of a
        keys = sorted({a[4:] for a in self.attrs if a.startswith(("bg-=", "bg+="))})
        self.bigrams = {k: i for i, k in enumerate(keys, 1)}
        self.bg_left = frozenset(k.split("|", 1)[0] for k in keys)  # lower-cased words
        self.bg_right = frozenset(k.split("|", 1)[1] for k in keys)
        self.BGm = np.zeros((len(keys) + 1, nl))
        self.BGp = np.zeros((len(keys) + 1, nl))
        for pair, i in self.bigrams.items():
            self.BGm[i] = self.attrs.get("bg-=" + pair, self.zero)
            self.BGp[i] = self.attrs.get("bg+=" + pair, self.zero)
        # Words (a, b) score the bigram "a|b" (lower-cased) if a is some bigram's first word or
        # holds a "|", b likewise as second word, and "a|b" is a bigram: as (left id, right id)
        # codes, looked up by binary search. Every split of a key at a "|" is one (a, b).
        lefts: dict[str, int] = {}
        rights: dict[str, int] = {}
        pairs: list[tuple[int, int, int]] = []
        for key, i in self.bigrams.items():
            p = key.find("|")
            while p >= 0:
                la, lb = key[:p], key[p + 1 :]
                if (la in self.bg_left or "|" in la) and (lb in self.bg_right or "|" in lb):
                    ka = lefts.setdefault(la, len(lefts) + 1)
                    kb = rights.setdefault(lb, len(rights) + 1)
                    pairs.append((ka, kb, i))
                p = key.find("|", p + 1)
        self.bg_lid, self.bg_rid = lefts, rights
        self.bg_nr = nr = len(rights) + 1
        pairs.sort(key=lambda x: x[0] * nr + x[1])
        self.bg_codes = np.array([a * nr + b for a, b, _ in pairs], dtype=np.int64)
        self.bg_codes_x = np.append(self.bg_codes, -1)  # -1: no code, after the last
        self.bg_index = np.array([i for _, _, i in pairs] + [0], dtype=np.int64)
        g = self.attrs.get
        self.f_bos, self.f_eos = g("BOS", self.zero), g("EOS", self.zero)
        self.f_bos1, self.f_up = g("BOS1", self.zero), g("UP", self.zero)
        pad = np.full(nl, _PAD)
        pad[o] = 0.0
        self.pad = pad
        self.TT = np.ascontiguousarray(self.T.T)
        self.TR = np.stack([self.TT, self.T])  # transitions for forward, backward pieces
        self.ones = np.ones(4096, dtype=np.int64)
        self.t_in = self.T[o].copy()  # entering a sentence from the O separator: undo
        self.t_out = self.T[:, o].copy()

    def _reset_rows(self) -> None:
        self.rows.clear()
        self.rows[_SEP] = 0
        self.W[0] = 0.0
        self.F[0] = 0
        self.LID[0] = 0
        self.RID[0] = 0

    def _add_rows(self, new: list[str]) -> None:
        """Compute and store the score rows of words not seen before (in one batch)."""
        np = self.np
        k0 = len(self.rows)
        need = k0 + len(new)
        if need > len(self.W):
            size = max(need, 2 * len(self.W))
            self.W = np.resize(self.W, (size, self.W.shape[1]))
            self.F = np.resize(self.F, size)
            self.LID = np.resize(self.LID, size)
            self.RID = np.resize(self.RID, size)
        zero = len(self.A) - 1
        # rows of A to sum per word and position: the zero row, then the features that have
        # weights (no more rows: reduceat sums long segments pairwise, so the rows summed must
        # stay those of the model as exported)
        ix: list[int] = []
        offs: list[int] = []
        fc = self.fc
        aid = self.attr_index.get
        m1, p1, m2, p2 = (d.get for d in self.prefixed)
        found: Any = partial(is_not, None)  # not None (a row index may be 0)
        for w in new:
            f0, near, lw = fc.base(w)
            offs.append(len(ix))
            ix.append(zero)
            ix += filter(found, map(aid, f0))
            offs.append(len(ix))
            ix.append(zero)
            ix += filter(found, map(m1, near))
            offs.append(len(ix))
            ix.append(zero)
            ix += filter(found, map(p1, near))
            offs.append(len(ix))
            ix.append(m2(lw, zero))
            offs.append(len(ix))
            ix.append(p2(lw, zero))
        sums = np.add.reduceat(self.A[ix], offs, axis=0)
        self.W[k0:need] = sums.reshape(len(new), -1)
        firsts = self.lex._span_firsts
        flags: list[int] = []
        lids: list[int] = []
        rids: list[int] = []
        lid, rid = self.bg_lid.get, self.bg_rid.get
        for w in new:
            c = w[:1]
            lw = w.lower()
            flags.append(
                (1 if c.isupper() else 0)
                | (2 if c and c in "-&'/" else 0)
                | (4 if w in firsts else 0)
            )
            lids.append(lid(lw, 0))
            rids.append(rid(lw, 0))
        self.F[k0:need] = flags
        self.LID[k0:need] = lids
        self.RID[k0:need] = rids
        self.rows.update(zip(new, range(k0, need), strict=True))

    def tag_many(self, sents: list[list[str]], uppers: list[bool]) -> list[list[str]]:
        """BIO labels for each sentence (lists of token strings, as given to the CRF)."""
        if not sents:
            return []
        lab, starts = self._decode_batch(sents, uppers)
        names = self.labels
        out = [names[k] for k in lab.tolist()]
        return [out[a : a + len(w)] for a, w in zip(starts, sents, strict=True)]

    def tag_spans(
        self, sents: list[list[str]], uppers: list[bool], groups: Sequence[int] | None = None
    ) -> list[tuple[int, int, int, str]]:
        """Tagged spans as (sentence, first token, end token, type), in order: a span starts at
        any B- or I- label and goes on over I- labels of its type. ``groups``: the first
        sentence of each group (article) when the sentences are of several, each decoded as
        in a batch of its own (see :meth:`_decode_runs`)."""
        if not sents:
            return []
        np = self.np
        lab, starts = self._decode_batch(sents, uppers, groups)
        pos = (lab != self.o).nonzero()[0]
        if not len(pos):
            return []
        sid = (np.array(starts).searchsorted(pos, side="right") - 1).tolist()
        names = self.labels
        labs = [names[k] for k in lab[pos].tolist()]
        out: list[tuple[int, int, int, str]] = []
        cur = None  # [sentence, start, end, type]
        for p, k, name in zip(pos.tolist(), sid, labs, strict=True):
            typ = name[2:]
            if cur is not None and cur[0] == k and cur[2] == p and name[0] == "I" and cur[3] == typ:
                cur[2] = p + 1
                continue
            if cur is not None:
                out.append((cur[0], cur[1] - starts[cur[0]], cur[2] - starts[cur[0]], cur[3]))
            cur = [k, p, p + 1, typ]
        if cur is not None:
            out.append((cur[0], cur[1] - starts[cur[0]], cur[2] - starts[cur[0]], cur[3]))
        return out

    def _decode_batch(
        self, sents: list[list[str]], uppers: list[bool], groups: Sequence[int] | None = None
    ) -> tuple[Any, list[int]]:
        """Label indices of all tokens (sentences laid out with separators) and the position of
        each sentence's first token."""
        np = self.np
        nl = self.nl
        # layout: S S S s1 S S s2 ... S S S; E covers flat[2:-2], so E[0] and E[-1] are S
        flat: list[str] = [_SEP, _SEP, _SEP]
        starts: list[int] = []  # index into E of each sentence's first token
        lasts: list[int] = []  # and of its last token
        bos1: list[int] = []
        up: list[tuple[int, int]] = []
        for words, u in zip(sents, uppers, strict=True):
            a = len(flat) - 2
            n = len(words)
            starts.append(a)
            lasts.append(a + n - 1)
            flat += words
            flat += _SEP2
            if n > 1:
                bos1.append(a + 1)
                if n > 2 and words[0] in _OPENERS:
                    bos1.append(a + 2)
            if u:
                up.append((a, n))
        flat.append(_SEP)
        rows = self.rows
        ids = list(map(rows.get, flat))
        if None in ids:
            new = list(dict.fromkeys(w for w, k in zip(flat, ids, strict=True) if k is None))
            if len(rows) + len(new) > self.MAX_WORDS:  # forget all, keep this batch's words
                self._reset_rows()
                new = [w for w in dict.fromkeys(flat) if w != _SEP]
            self._add_rows(new)
            ids = list(map(rows.get, flat))
        idx = np.fromiter(ids, dtype=np.intp, count=len(ids))
        M = self.W.take(idx, axis=0)
        # E: emission scores of flat[2:-2], then one padding row (the O a run is entered from)
        Ex = np.empty((len(flat) - 3, nl))
        Ex[-1] = self.pad
        E = Ex[:-1]
        np.add(M[2:-2, :nl], M[1:-3, nl : 2 * nl], out=E)
        E += M[3:-1, 2 * nl : 3 * nl]
        E += M[:-4, 3 * nl : 4 * nl]
        E += M[4:, 4 * nl :]
        st = np.array(starts)
        ends = np.array(lasts)
        E[st] += self.f_bos
        E[ends] += self.f_eos
        if bos1:
            E[bos1] += self.f_bos1
        for a, n in up:
            E[a : a + n] += self.f_up
        inner = idx[2:-2]
        fl = self.F.take(inner)
        # multi-token names (never across sentences: no name holds a separator); each feature
        # marks a token at most once (matches do not overlap)
        cand = (fl & 4).nonzero()[0]
        if len(cand):
            for f, ks in self.lex.span_marks(flat, (cand + 2).tolist()):
                v = self.attrs.get(f)
                if v is not None:
                    E[[k - 2 for k in ks]] += v
        # bigrams: (left id, right id) codes of neighbouring words, looked up
        code = self.LID.take(inner[:-1])
        code *= self.bg_nr
        code += self.RID.take(inner[1:])
        pos = self.bg_codes.searchsorted(code)
        hit = (self.bg_codes_x.take(pos) == code).nonzero()[0]
        if len(hit):
            bi = self.bg_index.take(pos.take(hit))
            E[hit + 1] += self.BGm[bi]
            E[hit] += self.BGp[bi]
        # split points: O by a margin, not capitalised or next to a capitalised word, not a
        # joiner (- & ' /) or next to one; separators always
        o = self.o
        if o == nl - 1:  # best other label (max is exact in any order): a tree of maxima
            m = E.T[:o]
            while len(m) > 1:
                h = len(m) // 2
                top = np.maximum(m[:h], m[h : 2 * h])
                if len(m) % 2:
                    np.maximum(top[0], m[2 * h], out=top[0])
                m = top
            free = (E[:, o] - m[0]) < self.MARGIN
        else:
            d = E[:, o : o + 1] - E
            d[:, o] = np.inf
            free = d.min(axis=1) < self.MARGIN
        near = (fl & 3).astype(bool)  # capitalised or a joiner, and their neighbours
        free |= near
        free[1:] |= near[:-1]
        free[:-1] |= near[1:]
        free &= inner != 0  # separators
        E[st] -= self.t_in
        E[ends] -= self.t_out
        gstarts = None
        if groups is not None:
            gstarts = np.array(sorted({starts[g] for g in groups if g < len(starts)}))
        return self._decode_runs(Ex, free, gstarts), starts

    def _decode_runs(self, Ex: Any, free: Any, gstarts: Any = None) -> Any:
        """Best label index per token: O where not ``free``; Viterbi over each run of free
        tokens, entered from O and left to O (``free`` is False at both ends). ``Ex`` holds the
        emission scores of the tokens, then one row of padding (:attr:`pad`). ``gstarts``: the
        first token of each group (article) when the tokens are of several (ascending)."""
        np = self.np
        ne = len(Ex) - 1
        lab = np.empty(ne, dtype=np.intp)
        lab.fill(self.o)
        chg = (free[1:] != free[:-1]).nonzero()[0] + 1
        if not len(chg):
            return lab
        rs, re_ = chg[0::2], chg[1::2]
        rl = re_ - rs
        nl = self.nl
        nw = len(rs)
        # Runs longer than h are cut in two: the left part is decoded forwards (from the O
        # before it), the right part backwards (from the O after it), in the same batch, and the
        # two meet at the cut. This halves the number of sequential steps. h comes from the
        # longest run of the batch, or of each group: then a group's pieces are cut, and
        # padded ahead, as in a batch of their own, and wait (scores kept as they are) until
        # the columns of their own batch begin, so each group gets the labels, bitwise, that
        # it gets alone.
        hr = None  # h per run, when the groups differ
        if gstarts is not None and len(gstarts) > 1:
            gi = gstarts.searchsorted(rs, side="right") - 1
            lm = np.zeros(len(gstarts), dtype=rl.dtype)
            np.maximum.at(lm, gi, rl)
            hr = np.where(lm > 3, (lm + 1) // 2, lm)[gi]
            h = int(hr.max())
            if int(hr.min()) == h:
                hr = None
        else:
            lmax = int(rl.max())
            h = (lmax + 1) // 2 if lmax > 3 else lmax
        cut = (rl > (h if hr is None else hr)).nonzero()[0]
        ks = None  # per column, the pieces before the first one that has begun
        if len(cut) or hr is not None:
            if hr is None:
                hp, hc = h, rl[cut] * 0 + h
            else:
                hp, hc = hr, hr[cut]
            starts = np.concatenate([rs, re_[cut] - 1])  # backward pieces start at their end
            lens = np.concatenate([np.where(rl > hp, rl - hp, rl), hc])
            step = np.empty(len(starts), dtype=np.int64)
            step[:nw] = 1
            step[nw:] = -1
            if hr is not None:
                wait = h - np.concatenate([hr, hr[cut]])
                order = (-wait).argsort(kind="stable")
                starts, lens, step, wait = starts[order], lens[order], step[order], wait[order]
                at = np.empty(len(order), dtype=np.intp)
                at[order] = np.arange(len(order))
                ks = (-wait).searchsorted(-np.arange(1, h + 1), side="right").tolist()
        else:
            starts, lens, step = rs, rl, self.ones[:nw] if nw <= len(self.ones) else rs * 0 + 1
        npc = len(starts)
        # pieces right-aligned after one leading padding column (the O they are entered from);
        # Em is column-major: Em[c] holds column c of every piece
        col = np.arange(h + 1)
        off = h + 1 - lens
        valid = col >= off[:, None]
        ix = np.where(valid, starts[:, None] + step[:, None] * (col - off[:, None]), ne).T
        Em = Ex[ix]
        # reductions run over the last, contiguous axis; max via argmax and a gather (faster)
        # transitions: TT forwards ([cur, prev]), T backwards ([cur, next])
        if hr is not None and npc > nw:
            tr = self.TR.take((step < 0).view(np.int8), axis=0)
        elif npc > nw:
            tr = np.empty((npc, nl, nl))
            tr[:nw] = self.TT
            tr[nw:] = self.T
        else:
            tr = self.TT
        score = Em[0]
        bps = []
        buf = np.empty((npc, nl, nl))
        cand = buf.reshape(npc * nl, nl)
        base = np.arange(0, npc * nl * nl, nl)  # flat index of each row of cand
        for c in range(1, h + 1):
            if ks is not None and ks[c - 1]:  # pieces :k have not begun
                k = ks[c - 1]
                m = npc - k
                part = buf[k:]
                np.add(score[k:, None, :], tr[k:], out=part)
                bp = np.zeros(npc * nl, dtype=np.intp)
                part.reshape(m * nl, nl).argmax(axis=1, out=bp[k * nl :])
                got = part.take(base[: m * nl] + bp[k * nl :]).reshape(m, nl)
                got += Em[c][k:]
                score = score.copy()
                score[k:] = got
                bps.append(bp)
                continue
            np.add(score[:, None, :], tr, out=buf)
            bp = cand.argmax(axis=1)
            bps.append(bp)
            score = buf.take(base + bp).reshape(npc, nl)
            score += Em[c]
        if hr is None:
            y = (score[:nw] + self.t_out).argmax(axis=1)
            if len(cut):
                # left piece ends with label a, right piece starts with b: best a, b over the cut
                join = score[cut][:, :, None] + self.T + score[nw:][:, None, :]
                ab = join.reshape(len(cut), nl * nl).argmax(axis=1)
                y[cut] = ab // nl
                y = np.concatenate([y, ab % nl])
        else:  # the same, for pieces in their order of beginning (``at``: a piece's place)
            fw, bw = at[:nw], at[nw:]
            yf = (score[fw] + self.t_out).argmax(axis=1)
            y = np.empty(npc, dtype=np.intp)
            if len(cut):
                join = score[fw[cut]][:, :, None] + self.T + score[bw][:, None, :]
                ab = join.reshape(len(cut), nl * nl).argmax(axis=1)
                yf[cut] = ab // nl
                y[bw] = ab % nl
            y[fw] = yf
        rbase = np.arange(npc) * nl
        path = np.empty((h + 1, npc), dtype=np.int64)
        for c in range(h, 0, -1):
            path[c] = y
            y = bps[c - 1].take(rbase + y)
        valid = valid.T
        lab[ix[valid]] = path[valid]
        return lab



def _use_model(directory: str | Path) -> None:
    """Switch to the model in ``directory`` (for experiments and scoring of retrained models)."""
    global MODEL_PATH, LEXICON_PATH
    d = Path(directory)
    with _lock:
        MODEL_PATH = d / "crf.model"
        LEXICON_PATH = d / "lexicon.json.gz"
        _cache.clear()
