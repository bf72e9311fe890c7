"""Entity linking: find the spans of a question that name graph entities or classes, by label, altLabel or near spelling.

Keys are the graph's names normalized like the eval file compares answers (lower-case, no spaces, hyphens, dots).
Every span of up to ``MAX_SPAN`` tokens that starts and ends on a meaningful token is looked up exactly; spans
that match nothing are looked up approximately with a SymSpell deletion index and verified with the
Damerau-Levenshtein distance. Short names (abbreviations such as PV, CA, FC, RWX) only ever match exactly, and
words of the question vocabulary (trigger words, stop words, words of other names) are never "corrected".
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from kubekg.qa.analysis import Analysis, Token
from kubekg.qa.index import GraphIndex
from kubekg.qa.text import damerau_levenshtein, deletes, has_hangul, normalize_name, singular

MAX_SPAN = 7
_DOMAIN_TOP = "https://kubekg.dev/ontology#KubernetesConcept"
_PAREN = re.compile(r"\s*[(（][^)）]*[)）]\s*")
# text whose name key is its characters lower-cased minus the dropped ones, character by character (no NFKC
# composition across a token boundary, no context-dependent lower-casing such as the Greek final sigma)
_SIMPLE = re.compile(r"[\x00-\x7f\uac00-\ud7a3]*")


def _max_distance(key: str) -> int:
    """How many edits a span may be away from a name of this length (0 for short names and abbreviations)."""
    if has_hangul(key):
        return 1 if len(key) >= 4 else 0
    if len(key) >= 10:
        return 2
    return 1 if len(key) >= 5 else 0


@dataclass(frozen=True)
class Candidate:
    """One thing a span may denote."""

    iri: str
    kind: str  # "entity" | "class"
    source: str  # "label" | "alt" | "name"
    distance: int  # 0 = exact


@dataclass
class Mention:
    """A span of the question linked to graph things."""

    first: int  # token index
    last: int  # token index, inclusive
    start: int  # char offset
    end: int
    text: str
    candidates: list[Candidate]

    @property
    def exact(self) -> bool:
        return any(c.distance == 0 for c in self.candidates)

    def iris(self, kind: str | None = None) -> list[str]:
        return [c.iri for c in self.candidates if kind is None or c.kind == kind]


class Lexicon:
    """Name keys of entities and classes, with an approximate-match index; built once per graph."""

    def __init__(self, index: GraphIndex, vocabulary: set[str] | None = None) -> None:
        self.index = index
        self.keys: dict[str, list[Candidate]] = {}
        for iri, names in index.names.items():
            if iri in index.properties:
                continue
            kind = "class" if iri in index.classes else "entity"
            if kind == "entity" and iri not in index.types:
                continue
            if kind == "class" and not index.subclass_of(iri, {_DOMAIN_TOP}):
                continue  # document structure, simulation runs: not what questions are about
            for text, _lang, source in names:
                variants = {text, _PAREN.sub(" ", text).strip()}
                for v in variants:
                    key = normalize_name(v)
                    if not key:
                        continue
                    bucket = self.keys.setdefault(key, [])
                    if not any(c.iri == iri for c in bucket):
                        bucket.append(Candidate(iri, kind, source, 0))
        # words that are real words of questions: never treat them as misspelled names
        self.vocabulary: set[str] = set(vocabulary or ())
        self._deletion_index: dict[str, set[str]] | None = None  # built on first use (see deletion_index)
        self._deletion_lock = threading.Lock()
        self._fuzzy_cache: dict[str, tuple[Candidate, ...]] = {}
        # every beginning of a key: lets linking stop extending a span that can no longer become a name
        self.prefixes: set[str] = {key[:n] for key in self.keys for n in range(len(key) + 1)}
        self.korean_names = sorted({t for ns_ in index.names.values() for t, lang, _ in ns_ if has_hangul(t)})

    @property
    def deletion_index(self) -> dict[str, set[str]]:
        """Every deletion variant of the names that may be misspelled -> those names (SymSpell).

        Built on first use, not with the lexicon: only a question with an unknown word needs it, and the server
        builds the answerer before its workers fork, where start-up time counts (each worker builds this in its
        warm-up thread after the fork instead).
        """
        index = self._deletion_index
        if index is None:
            with self._deletion_lock:
                index = self._deletion_index
                if index is None:
                    index = {}
                    for key in self.keys:
                        d = _max_distance(key)
                        if d == 0:
                            continue
                        for variant in deletes(key, d):
                            index.setdefault(variant, set()).add(key)
                    self._deletion_index = index
        return index

    # ---------------------------------------------------------------- lookups

    def exact(self, key: str) -> list[Candidate]:
        return list(self.keys.get(key, ()))

    def fuzzy(self, key: str) -> list[Candidate]:
        """Names within their allowed distance of key (best distance only); memoized per key."""
        cached = self._fuzzy_cache.get(key)
        if cached is not None:
            return list(cached)
        found = self._fuzzy(key)
        if len(self._fuzzy_cache) < 100_000:
            self._fuzzy_cache[key] = tuple(found)
        return found

    def _fuzzy(self, key: str) -> list[Candidate]:
        if len(key) < 4:
            return []
        limit = max(_max_distance(key), 0)
        if limit == 0:
            return []
        found: dict[str, int] = {}
        for variant in deletes(key, limit):
            for name in self.deletion_index.get(variant, ()):
                if name in found:
                    continue
                allowed = min(limit, _max_distance(name))
                if allowed == 0:
                    continue
                dist = damerau_levenshtein(key, name, allowed)
                if dist <= allowed:
                    found[name] = dist
        if not found:
            return []
        best = min(found.values())
        out: list[Candidate] = []
        for name, dist in sorted(found.items()):
            if dist == best:
                out += [Candidate(c.iri, c.kind, c.source, dist) for c in self.keys[name]]
        return out

    # ---------------------------------------------------------------- linking

    def link(self, analysis: Analysis) -> list[Mention]:
        """Non-overlapping mentions, longest exact spans first, then approximate matches of unlinked words."""
        tokens = analysis.tokens
        text = analysis.text
        anchors = [i for i, t in enumerate(tokens) if _anchor(t)]
        # breaks[k] = sentence punctuation among tokens[:k]: a span i..j is contiguous when none lies inside it
        breaks = [0]
        for t in tokens:
            breaks.append(breaks[-1] + (1 if _breaks(t) else 0))
        # a longer span's key starts with a shorter one's when normalizing is plain lower-casing and dropping
        # (ASCII and Hangul syllables): once a span's key begins no name, no longer span from there can be one
        prune = _SIMPLE.fullmatch(text) is not None
        prefixes = self.prefixes
        found: list[tuple[int, int, int, Mention]] = []  # (-length, distance, first, mention)
        for a_pos, i in enumerate(anchors):
            start = tokens[i].start
            for j in anchors[a_pos : a_pos + MAX_SPAN]:
                last = tokens[j]
                if last.start - start > 60:
                    break
                if breaks[j + 1] != breaks[i]:
                    break
                span = text[start : last.end]
                key = normalize_name(span)
                cands = list(self.keys.get(key, ()))  # one candidate per IRI in a bucket
                if last.tag == "EN" and last.form.isalpha():
                    other = normalize_name(text[start : last.start] + singular(last.form))
                    more = self.keys.get(other, ()) if other != key else ()
                    if more:
                        seen = {c.iri for c in cands}
                        cands += [c for c in more if c.iri not in seen]
                if cands:
                    m = Mention(i, j, start, last.end, span, cands)
                    found.append((-(last.end - start), 0, i, m))
                if prune and key not in prefixes:
                    break
        # a Korean noun followed by 하/되 (XSV) is used as a verb: "삭제하나요" is not the Delete policy
        found = [f for f in found if not _verb_use(tokens, f[3])]
        chosen = _select(found)
        taken = {k for m in chosen for k in range(m.first, m.last + 1)}
        fuzzy: list[tuple[int, int, int, Mention]] = []
        # running counts of linked tokens and of words the lexicon does not know, for any span i..j at once
        linked, unknown = [0], [0]
        for k, t in enumerate(tokens):
            linked.append(linked[-1] + (1 if k in taken else 0))
            word = t.meaningful and t.tag not in ("PUNCT", "SO", "SW")
            unknown.append(unknown[-1] + (1 if word and not self._known(t) else 0))
        for a_pos, i in enumerate(anchors):
            for j in anchors[a_pos : a_pos + 3]:
                if linked[j + 1] != linked[i] or breaks[j + 1] != breaks[i]:
                    break
                if unknown[j + 1] == unknown[i]:
                    continue  # every word of the span is a known word
                span = text[tokens[i].start : tokens[j].end]
                key = normalize_name(span)
                cands = self.fuzzy(key)
                if not cands and tokens[j].tag == "EN":
                    cands = self.fuzzy(
                        normalize_name(text[tokens[i].start : tokens[j].start] + singular(tokens[j].form))
                    )
                if cands:
                    m = Mention(i, j, tokens[i].start, tokens[j].end, span, cands)
                    fuzzy.append((-(tokens[j].end - tokens[i].start), cands[0].distance, i, m))
        chosen += _select(fuzzy)
        chosen.sort(key=lambda m: m.first)
        return chosen

    def _known(self, token: Token) -> bool:
        w = token.form.lower()
        return w in self.vocabulary or token.lemma in self.vocabulary or normalize_name(w) in self.keys


def _verb_use(tokens: tuple[Token, ...], m: Mention) -> bool:
    nxt = m.last + 1
    return (
        nxt < len(tokens)
        and tokens[nxt].tag in ("XSV", "XSA")
        and tokens[m.last].tag.startswith("NN")
        and all(c.kind == "entity" for c in m.candidates)
    )


def _anchor(t: Token) -> bool:
    return t.meaningful and t.tag not in ("PUNCT", "SO", "SW", "JX") and t.lemma not in ("않", "못")


def _breaks(t: Token) -> bool:
    """Whether a token is sentence punctuation a span may not cross (commas, question marks, brackets)."""
    return t.tag in ("PUNCT", "SF", "SP", "SS", "SSO", "SSC") and t.form not in "-./"


def _select(found: list[tuple[int, int, int, Mention]]) -> list[Mention]:
    out: list[Mention] = []
    used: set[int] = set()
    for _neg_len, _dist, _first, m in sorted(found, key=lambda f: (f[0], f[1], f[2])):
        span = set(range(m.first, m.last + 1))
        if span & used:
            continue
        used |= span
        out.append(m)
    return out
