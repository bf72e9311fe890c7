"""Language-neutral text helpers for question answering: name normalization, language detection, a light English stemmer.

The name normalization is the one ``../shared/eval/competency_questions.yaml`` states for matching answers
(lower-case, no spaces, hyphens, underscores or dots); the stemmer is deliberately tiny (suffix stripping in the
spirit of Porter's first steps) and is applied to questions and to trigger words alike, so both sides agree.
"""

from __future__ import annotations

import functools
import re
import unicodedata

_NAME_DROP = re.compile(r"[\s\-_.·/()\[\]'\"`,:]+")
_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")


@functools.lru_cache(maxsize=65536)
def normalize_name(text: str) -> str:
    """The comparison key of a name: NFKC, lower-case, without spaces, hyphens, underscores, dots and brackets."""
    return _NAME_DROP.sub("", unicodedata.normalize("NFKC", text).lower())


def normalize_eval(text: str) -> str:
    """The eval file's key: lower-case and remove spaces, hyphens, underscores and dots (nothing else)."""
    return re.sub(r"[\s\-_.]+", "", str(text).lower())


def detect_lang(text: str) -> str:
    """``ko`` when the text contains any Hangul, else ``en``."""
    return "ko" if _HANGUL.search(text) else "en"


def has_hangul(text: str) -> bool:
    """Whether the text contains a Hangul syllable or jamo."""
    return bool(_HANGUL.search(text))


_IRREGULAR = {
    "ran": "run",
    "chose": "choose",
    "chosen": "choose",
    "does": "do",
    "did": "do",
    "done": "do",
    "is": "be",
    "are": "be",
    "was": "be",
    "were": "be",
    "been": "be",
    "am": "be",
    "has": "have",
    "had": "have",
    "took": "take",
    "taken": "take",
    "kept": "keep",
    "made": "make",
    "written": "write",
    "wrote": "write",
    "sent": "send",
    "built": "build",
    "held": "hold",
    "children": "child",
    "data": "data",
    "lets": "let",
    "its": "its",
    "this": "this",
    "us": "us",
    "yes": "yes",
    "kubernetes": "kubernetes",
    "less": "less",
    "stateless": "stateless",
    "always": "always",
    "various": "various",
    "does't": "do",
}
_VOWELS = set("aeiou")


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light English stem: plural and verb suffixes stripped, final ``e`` dropped (``deletes`` -> ``delet``).

    The same function is applied to questions and to the trigger words of question kinds, so over-stemming is
    harmless as long as it is consistent. Non-alphabetic words (``300m``, ``rwx``) are returned lower-cased.
    """
    w = word.lower()
    if w in _IRREGULAR:
        w = _IRREGULAR[w]
    if not w.isalpha() or len(w) <= 3:
        return w
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses") or w.endswith(("ches", "shes", "xes", "zes")):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is", "os")):
        w = w[:-1]
    if w.endswith("ing") and len(w) > 5:
        w = w[:-3]
        if len(w) > 2 and w[-1] == w[-2] and w[-1] not in "lszdf":
            w = w[:-1]
    elif w.endswith("ed") and len(w) > 4:
        w = w[:-2]
        if len(w) > 2 and w[-1] == w[-2] and w[-1] not in "lszdf":
            w = w[:-1]
    elif w.endswith("ly") and len(w) > 5:
        w = w[:-2]
    if w.endswith("ally") and len(w) > 6:
        w = w[:-4]
    elif w.endswith("al") and len(w) > 6:
        w = w[:-2]
    if w.endswith("y") and len(w) > 3 and w[-2] not in _VOWELS:
        w = w[:-1] + "i"
    if w.endswith("e") and len(w) > 3:
        w = w[:-1]
    return w


@functools.lru_cache(maxsize=65536)
def singular(word: str) -> str:
    """A plural English word's singular (``pods`` -> ``pods``/``pod``; used for name lookups, not for meaning)."""
    w = word
    low = w.lower()
    if low.endswith("ies") and len(w) > 4:
        return w[:-3] + ("Y" if w[-3].isupper() else "y")
    if low.endswith(("sses", "ches", "shes", "xes")):
        return w[:-2]
    if low.endswith("s") and not low.endswith(("ss", "us", "is")) and len(w) > 3:
        return w[:-1]
    return w


def damerau_levenshtein(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance between a and b, or ``limit + 1`` once it exceeds ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        best = cur[0]
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
            best = min(best, v)
        if best > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def deletes(word: str, depth: int) -> set[str]:
    """Every string reachable from word by deleting up to ``depth`` characters (the SymSpell neighbourhood)."""
    out = {word}
    frontier = {word}
    for _ in range(depth):
        nxt = set()
        for w in frontier:
            for i in range(len(w)):
                nxt.add(w[:i] + w[i + 1 :])
        out |= nxt
        frontier = nxt
    return out
