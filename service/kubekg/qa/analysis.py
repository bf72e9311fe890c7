"""Question analysis: Korean morphemes through kiwipiepy, English words through a light stemmer, one token list.

Korean particles (J*), endings (E*) and derivational suffixes are kept as tokens (entity spans may cross them)
but do not carry meaning; nouns, verb and adjective stems, roots, adverbs and Latin words do. A few function
morphemes that change the meaning of a question are kept as lemmas: the exclusive particle 만/뿐 ("only"), the
negation auxiliaries 않/못 and 없. Kiwi is built once per process (it takes seconds to load) and graph labels are
added to its user dictionary so that names such as 파드 or 워커 노드 come out as single nouns.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kubekg.qa.text import detect_lang, has_hangul, stem

# Kiwi tags whose morphemes carry meaning (Sejong tag set as kiwipiepy prints it).
_MEANINGFUL_KO = {
    "NNG", "NNP", "NNB", "NR", "NP", "VV", "VA", "VX", "VCN", "MAG", "MM", "XR", "SL", "SN", "SH",
    "VV-R", "VV-I", "VA-R", "VA-I", "VX-R", "VX-I", "W_URL", "W_EMAIL", "W_SERIAL",
}  # fmt: skip
_KEEP_PARTICLES = {"만", "뿐", "밖에"}
_KEEP_VX = {"않", "못", "말"}
# Korean lemmas that never say what a question is about (question words, light verbs, generic nouns).
KO_STOP = {
    "것", "수", "때", "등", "거", "게", "데", "뭐", "무엇", "뭔", "무슨", "어떤", "어느", "어떻", "어떠", "누구", "누가",
    "이", "그", "저", "있", "하", "되", "주", "보", "알", "알려주", "알리", "말하", "궁금", "좀", "요", "경우",
    "대하", "관하", "관련", "나", "우리", "제", "내", "싶", "알아보", "설명", "해주", "건", "가지", "번", "해",
    "같", "는지", "인지", "대해", "다음", "중", "무엇인가", "이렇", "그렇", "쓰", "사용", "사용하", "어디",
}  # fmt: skip
EN_STOP = {
    "the", "a", "an", "of", "to", "in", "on", "at", "for", "with", "by", "from", "into", "onto", "about", "as",
    "be", "do", "have", "can", "could", "would", "will", "shall", "should", "may", "might", "must",
    "what", "which", "who", "whom", "whose", "how", "when", "where", "why", "that", "this", "these", "those",
    "it", "its", "they", "them", "their", "there", "here", "i", "me", "my", "we", "our", "you", "your",
    "and", "or", "but", "if", "then", "than", "so", "also", "please", "tell", "list", "name", "show", "give",
    "know", "want", "need", "use", "us", "one", "ones", "kind", "kinds", "type", "types", "thing", "things",
    "any", "some", "all", "each", "every", "other", "such", "just", "mean", "meaning", "does", "doe", "get",
    "exist", "exists", "lik", "like", "mention", "document", "say", "says", "accord",
}  # fmt: skip
_EN_STOP_STEMS = {stem(w) for w in EN_STOP}
# asking verbs that are nouns after a determiner ("forwards to a name outside the cluster"): then they are content
_EN_VERB_NOUNS = {"name", "list"}
_EN_DETERMINERS = {"a", "an", "the", "its", "their", "his", "her", "our", "your", "my"}

_EN_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:'[a-z]+)?|\d+(?:\.\d+)?[A-Za-z%]*|[^\sA-Za-z0-9]")
_NEGATION_EN = {"not", "n't", "no", "never", "without", "cannot", "lack", "neither", "nor"}


@dataclass(frozen=True)
class Token:
    """One analysed unit: its surface form, its lemma, its tag, its character span and whether it carries meaning."""

    form: str
    lemma: str
    tag: str
    start: int
    end: int
    meaningful: bool  # may appear in a trigger or an entity span boundary
    content: bool  # meaningful and not a stop word: must be explained by the chosen question kind


@dataclass(frozen=True)
class Analysis:
    """A question as tokens plus its language; ``text`` is the normalized question the spans refer to."""

    text: str
    lang: str
    tokens: tuple[Token, ...]

    def lemmas(self) -> list[str]:
        return [t.lemma for t in self.tokens if t.meaningful]


_PARTICLE_ENDINGS = set("를을에의는은가로와과도만서")
_kiwi = None
_kiwi_lock = threading.RLock()
_user_words: set[str] = set()


def kiwi():
    """The process-wide Kiwi analyser, built on first use (lazy singleton; loading takes seconds)."""
    global _kiwi
    if _kiwi is None:
        with _kiwi_lock:
            if _kiwi is None:
                from kubekg.qa import analyser

                # under `kubekg serve` one analyser process holds Kiwi for every worker (kubekg.qa.analyser)
                _kiwi = analyser.client()
            if _kiwi is None:
                from kiwipiepy import Kiwi

                # without the typo and multi-word dictionaries Kiwi loads in about a second and analyses a
                # question in well under a millisecond; questions here are short and typed, not scanned text.
                # The model itself is built on the first analysis, after the graph's names are added.
                _kiwi = Kiwi(load_typo_dict=False, load_multi_dict=False)
    return _kiwi


def prime(text: str) -> None:
    """Make Kiwi build its model (with the user words added so far) now rather than on the first question.

    The shared analyser is only sent the request (it may still be loading Kiwi); an in-process Kiwi analyses
    ``text`` at once.
    """
    from kubekg.qa import analyser

    k = kiwi()
    if isinstance(k, analyser.RemoteKiwi):
        k.prime(text)
    else:
        analyse(text)


def add_user_words(words: Iterable[str]) -> int:
    """Add Korean names (graph labels) to Kiwi's user dictionary as proper nouns; returns how many were new."""
    k = kiwi()
    added = 0
    with _kiwi_lock:
        for w in words:
            w = w.strip()
            if not w or w in _user_words or " " in w or not has_hangul(w) or len(w) < 2:
                continue
            if not re.fullmatch(r"[\uac00-\ud7a3A-Za-z0-9]+", w):
                continue  # "읽기/쓰기": punctuation inside a user word would glue two words together
            if len(w) >= 3 and w[-1] in _PARTICLE_ENDINGS:
                continue  # "모드를", "노드에": a word with its particle would hide the particle from Kiwi
            if k.add_user_word(w, "NNP", 0.0):
                added += 1
            _user_words.add(w)
    return added


def _clean(text: str) -> str:
    text = text.replace("\u200b", " ").replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return re.sub(r"\s+", " ", text).strip()


def _en_tokens(text: str, offset: int = 0) -> list[Token]:
    out: list[Token] = []
    for m in _EN_TOKEN.finditer(text):
        form = m.group(0)
        s, e = m.start() + offset, m.end() + offset
        if form[0].isalnum():
            low = form.lower()
            if low.endswith("n't"):
                base = low[:-3] or "not"
                out.append(Token(form, stem(base if base != "ca" else "can"), "EN", s, e - 3, True, False))
                out.append(Token("n't", "not", "EN", e - 3, e, True, False))
                continue
            if low.endswith("'s"):
                low = low[:-2]
                e -= 2
            lemma = stem(low)
            content = lemma not in _EN_STOP_STEMS and low not in EN_STOP
            if low in _EN_VERB_NOUNS and out and out[-1].form.lower() in _EN_DETERMINERS:
                content = True
            out.append(Token(form, lemma, "EN", s, e, True, content))
        else:
            out.append(Token(form, form, "PUNCT", s, e, form in "-", False))
    return out


_build = threading.local()


@contextlib.contextmanager
def build_memo(memo: dict[str, list[tuple[str, str, int, int]]]) -> Iterator[dict]:
    """Within the block (this thread only), Kiwi's raw tokens of a text come from ``memo`` or are recorded in it.

    The answerer's build analyses thousands of graph texts; with a memo saved by an earlier start (keyed on
    everything Kiwi's output depends on) it needs no Kiwi at all, so it can run before the workers fork.
    Questions are never analysed inside the block.
    """
    previous = getattr(_build, "memo", None)
    _build.memo = memo
    try:
        yield memo
    finally:
        _build.memo = previous


def memo_key() -> str:
    """What Kiwi's tokens depend on: kiwipiepy's version, how Kiwi is built here, and the user dictionary."""
    from importlib import metadata

    try:
        version = metadata.version("kiwipiepy")
    except metadata.PackageNotFoundError:
        version = "absent"
    h = hashlib.sha256(f"kiwipiepy {version}\0".encode())
    for module in (__file__, str(Path(__file__).with_name("analyser.py"))):
        h.update(Path(module).read_bytes())
    with _kiwi_lock:
        words = sorted(_user_words)
    h.update("\0".join(words).encode())
    return h.hexdigest()


def _raw_tokens(text: str) -> Iterable[tuple[str, str, int, int]]:
    memo = getattr(_build, "memo", None)
    if memo is not None:
        found = memo.get(text)
        if found is not None:
            return found
    k = kiwi()
    with _kiwi_lock:  # one analysis at a time: the analyser is shared by every request thread
        analysed = k.tokenize(text)
    if memo is None:
        return ((t.form, t.tag, t.start, t.len) for t in analysed)
    raw = [(t.form, t.tag, t.start, t.len) for t in analysed]
    memo[text] = raw
    return raw


def _ko_tokens(text: str) -> list[Token]:
    out: list[Token] = []
    for form, tag, s, length in _raw_tokens(text):
        e = s + length
        if tag == "SL":
            for tok in _en_tokens(text[s:e], s):
                out.append(tok)
            continue
        if tag == "VV" and form == "되" and out and out[-1].tag.startswith("NN") and out[-1].end == s:
            # 지원+되+나요: a noun's passive suffix (XSV), even when the user dictionary makes Kiwi tag it a verb
            out.append(Token(form, form, "XSV", s, e, False, False))
            continue
        if tag in _MEANINGFUL_KO or (tag.startswith("J") and form in _KEEP_PARTICLES):
            lemma = form
            if tag == "VX" and form not in _KEEP_VX:
                out.append(Token(form, lemma, tag, s, e, False, False))
                continue
            content = lemma not in KO_STOP and tag not in ("SN", "NNB") and form not in _KEEP_PARTICLES
            out.append(Token(form, lemma, tag, s, e, True, content))
        elif tag in ("SO", "SW") and form in "-%":
            out.append(Token(form, form, tag, s, e, True, False))
        else:
            out.append(Token(form, form, tag, s, e, False, False))
    return out


def analyse(question: str, lang: str | None = None) -> Analysis:
    """Tokenize and lemmatize a question; ``lang`` defaults to ``ko`` when it contains Hangul, else ``en``."""
    text = _clean(question)
    lang = lang or detect_lang(text)
    tokens = _ko_tokens(text) if has_hangul(text) else _en_tokens(text)
    return Analysis(text, lang, tuple(tokens))


def phrase_lemmas(phrase: str) -> tuple[str, ...]:
    """The meaningful lemmas of a trigger phrase, analysed exactly as questions are."""
    return tuple(
        t.lemma for t in analyse(phrase).tokens if t.meaningful and t.tag not in ("PUNCT", "SO", "SW")
    )


def is_negation(lemma: str) -> bool:
    """Whether a lemma negates (English ``not``/``without``, Korean 않/못/없/아니/안)."""
    return lemma in _NEGATION_EN or lemma in {"않", "못", "없", "아니", "안"}
