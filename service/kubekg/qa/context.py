"""What the strategies see of a question: tokens, linked mentions, question form, negation, the asked-for class.

Built once per question by :func:`build_context`; everything here is cheap (no SPARQL).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kubekg.qa.analysis import Analysis, Token
from kubekg.qa.lexicon import Mention

# Korean light verbs and copulas: they carry no meaning of their own in cues or labels.
LIGHT = {"하", "되", "있", "시키", "이", "지", "해", "드리", "주"}
# Function words that never count in a property or cue match.
FUNCTION = {
    "the", "a", "an", "of", "to", "in", "on", "at", "by", "for", "from", "with", "and", "or", "be", "do", "is",
    "it", "its", "that", "this", "as", "into", "than", "then", "there", "s",
}  # fmt: skip


def seq_lemmas(tokens: tuple[Token, ...] | list[Token]) -> list[tuple[int, str]]:
    """(token index, lemma) of the tokens that can take part in a cue or label match."""
    out = []
    for i, t in enumerate(tokens):
        if not t.meaningful or t.tag in ("PUNCT", "SO", "SW", "SF", "SP"):
            continue
        if t.lemma in LIGHT and t.tag not in ("EN", "SL", "NNG", "NNP"):
            continue
        if t.lemma in FUNCTION:
            continue
        out.append((i, t.lemma))
    return out


def phrase_seq(phrase: str) -> tuple[str, ...]:
    """The lemmas of a cue or label phrase exactly as :func:`seq_lemmas` reads a question's."""
    from kubekg.qa.analysis import analyse

    found = tuple(lemma for _, lemma in seq_lemmas(analyse(phrase).tokens))
    if not found and any("\uac00" <= ch <= "\ud7a3" for ch in phrase):
        # a bare Korean noun can read as another part of speech alone ("예" as the interjection "yes"); in a
        # question it carries a particle ("예는"), so read it that way
        found = tuple(lemma for _, lemma in seq_lemmas(analyse(phrase + "는").tokens))
    return found


@dataclass
class Context:
    """One analysed, linked question."""

    analysis: Analysis
    mentions: list[Mention]
    lang: str
    wh: bool
    yesno: bool
    negation: set[int]
    only: set[int]
    disjunction: set[int]
    lemmas: list[tuple[int, str]]  # (token index, lemma) usable in matches
    content: set[int]  # token indices that must be explained
    target: tuple[Mention, str] | None = None  # the class the question asks for, and its mention
    token_mention: dict[int, int] = field(default_factory=dict)
    lemma_index: set[str] = field(default_factory=set)
    how_many: bool = False
    copula: bool = False
    ordinal: int | None = None  # 1 = first, -1 = last
    ordinal_tokens: set[int] = field(default_factory=set)
    excepted: set[int] = field(default_factory=set)  # tokens of things set aside ("besides CPU") and the word
    _lemma_sets: dict[frozenset[int], dict[str, list[int]]] = field(default_factory=dict, repr=False)
    _first: dict[str, int] | None = field(default=None, repr=False)  # lemma -> its first token

    @property
    def tokens(self) -> tuple[Token, ...]:
        return self.analysis.tokens

    def mention_tokens(self, m: Mention) -> set[int]:
        return set(range(m.first, m.last + 1))

    def lemma_set(self, exclude: set[int] | None = None) -> dict[str, list[int]]:
        """lemma -> token indices outside ``exclude`` (computed once per exclusion; callers must not change it)."""
        key = frozenset(exclude) if exclude else frozenset()
        out = self._lemma_sets.get(key)
        if out is None:
            out = {}
            for i, lemma in self.lemmas:
                if exclude and i in exclude:
                    continue
                out.setdefault(lemma, []).append(i)
            self._lemma_sets[key] = out
        return out

    def match_phrase(self, phrase: tuple[str, ...], exclude: set[int] | None = None) -> set[int] | None:
        """Token indices of the first contiguous occurrence of phrase's lemmas (None when absent)."""
        if not phrase or phrase[0] not in self.lemma_index:
            return None
        n = len(phrase)
        if n > 1 and not all(lemma in self.lemma_index for lemma in phrase[1:]):
            return None  # a word of the phrase is nowhere in the question
        if n == 1 and not exclude:
            first = self._first
            if first is None:
                first = {}
                for i, lemma in self.lemmas:
                    first.setdefault(lemma, i)
                self._first = first
            return {first[phrase[0]]}
        seq = [(i, lemma) for i, lemma in self.lemmas if i not in exclude] if exclude else self.lemmas
        if n == 1:
            for i, lemma in seq:
                if lemma == phrase[0]:
                    return {i}
            return None
        for k in range(len(seq) - n + 1):
            if all(seq[k + j][1] == phrase[j] for j in range(n)):
                return {seq[k + j][0] for j in range(n)}
        return None

    def particle_after(self, m: Mention) -> Token | None:
        """The Korean particle right after a mention, if any."""
        nxt = m.last + 1
        while (
            nxt < len(self.tokens) and self.tokens[nxt].tag in ("SO", "SW") and self.tokens[nxt].form in ")]"
        ):
            nxt += 1
        if nxt < len(self.tokens) and self.tokens[nxt].tag.startswith("J"):
            return self.tokens[nxt]
        return None


def build_context(
    analysis: Analysis,
    mentions: list[Mention],
    classes: set[str],
    wh_words: set[str],
    yesno_starts: set[str],
    negation_words: set[str],
    only_words: set[str],
    or_words: set[str],
) -> Context:
    """Analyse form, negation and the target class of a linked question."""
    tokens = analysis.tokens
    lemmas = seq_lemmas(tokens)
    forms = {t.form.lower() for t in tokens}
    lemma_values = {t.lemma for t in tokens}
    wh = bool((forms | lemma_values) & wh_words)
    first = next((t for t in tokens if t.meaningful), None)
    yesno = False
    if analysis.lang == "en" or not any(t.tag.startswith(("N", "V", "J", "E", "X")) for t in tokens):
        yesno = first is not None and first.form.lower() in yesno_starts and not wh
    else:
        last_real = [t for t in tokens if t.tag not in ("SF", "SP", "SW", "SS", "SSO", "SSC", "PUNCT")]
        ending = last_real[-1] if last_real else None
        # "...지원하나요?", "...인가요?", "...할 수 있어?" end in a final ending (EF); "...컴포넌트는?" ends in a particle.
        ends_with_ending = ending is not None and (ending.tag.startswith("E") or ending.form in ("요",))
        if ending is not None and ending.tag == "JX" and ending.form == "요" and len(last_real) > 1:
            ends_with_ending = last_real[-2].tag.startswith("E")
        # "알려줘", "말해 주세요", "보여줘": a request, which asks for something like a wh-question does
        request = any(t.tag == "VX" and t.form == "주" for t in tokens) or any(
            t.lemma in ("알리", "알려주", "나열", "설명") for t in tokens
        )
        if request:
            wh = True
        yesno = ends_with_ending and not wh
    negation = {
        i for i, t in enumerate(tokens) if t.lemma in negation_words or t.form.lower() in negation_words
    }
    only = {i for i, t in enumerate(tokens) if t.lemma in only_words or t.form.lower() in only_words}
    disjunction = {i for i, t in enumerate(tokens) if t.form.lower() in or_words or t.lemma in or_words}
    # negation and "only" change the answer: a reading that ignores them must pay for them
    content = {i for i, t in enumerate(tokens) if t.content} | negation | only
    ctx = Context(analysis, mentions, analysis.lang, wh, yesno, negation, only, disjunction, lemmas, content)
    ctx.lemma_index = {lemma for _, lemma in lemmas}
    for k, m in enumerate(mentions):
        for i in range(m.first, m.last + 1):
            ctx.token_mention[i] = k
    ctx.target = _target(ctx, classes, wh_words)
    low = [t.form.lower() for t in tokens]
    for i, t in enumerate(tokens):
        n = _ORDINALS.get(t.form.lower()) or _ORDINALS.get(t.lemma)
        if n is not None:
            ctx.ordinal, ctx.ordinal_tokens = n, {i}
            break
    ctx.how_many = (
        ("how" in low and "many" in low)
        or ("number" in low and "of" in low)
        or any(t.form == "몇" for t in tokens)
    )
    # "Is X a Y?" / "X는 Y인가요?": a question about membership (a copula question)
    ctx.copula = (
        analysis.lang == "en" and bool(low) and low[0] in ("is", "are", "was", "were", "isn't", "aren't")
    ) or any(t.tag == "VCP" for t in tokens)
    return ctx


_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "last": -1, "final": -1,
    "첫": 1, "첫째": 1, "첫번째": 1, "처음": 1, "두번째": 2, "둘째": 2, "세번째": 3, "셋째": 3, "마지막": -1,
}  # fmt: skip
_BETWEEN = {
    "the",
    "a",
    "an",
    "kind",
    "kinds",
    "type",
    "types",
    "of",
    "sort",
    "all",
    "two",
    "three",
    "main",
    "is",
    "are",
}
_PREPOSITIONS = {
    "on",
    "in",
    "at",
    "to",
    "for",
    "with",
    "by",
    "from",
    "of",
    "into",
    "about",
    "does",
    "do",
    "can",
    "should",
}


def _class_of(m: Mention, classes: set[str]) -> str | None:
    for c in m.candidates:
        if c.kind == "class" and c.iri in classes:
            return c.iri
    return None


def _target(ctx: Context, classes: set[str], wh_words: set[str]) -> tuple[Mention, str] | None:
    """The class a wh-question asks for: 'which <class>' / 'what <class>', '어떤 <class>', '... <class>는?'."""
    tokens = ctx.tokens
    class_mentions = [(m, c) for m in ctx.mentions if (c := _class_of(m, classes))]
    if not class_mentions:
        return None
    if ctx.lang == "en":
        # "which <class>", "what kind of <class>", "list the <class>": only determiners in between
        for m, c in class_mentions:
            k = m.first - 1
            other = 0
            at_end = all(not t.meaningful or t.tag == "PUNCT" for t in tokens[m.last + 1 :])
            be = False
            while k >= 0 and tokens[k].form.lower() not in wh_words:
                word = tokens[k].form.lower()
                be = be or word in ("is", "are")
                if word not in _BETWEEN:
                    # one adjective may stand between in "what is the default service type?"
                    other += 1
                    if other > 1 or word in _PREPOSITIONS or not tokens[k].meaningful or not at_end:
                        break
                k -= 1
            if other and not be:
                continue
            if k >= 0 and tokens[k].form.lower() in wh_words:
                # an English compound names its head last: "which Ingress controllers" asks for controllers
                head = next(((h, hc) for h, hc in class_mentions if h.first == m.last + 1), None)
                return head or (m, c)
        return None
    for m, c in class_mentions:
        before = [t for t in tokens[max(0, m.first - 2) : m.first] if t.meaningful]
        if before and before[-1].form in ("어떤", "어느", "무슨"):
            return m, c
    # the last class noun of a question that ends "... <class>는?", "... <class>는 무엇인가요?", "<class>의 종류는?"
    m, c = class_mentions[-1]
    tail = [t for t in tokens[m.last + 1 :] if t.meaningful and t.tag not in ("SF", "SP")]
    tail_ok = all(
        t.lemma in wh_words or t.lemma in ("무엇", "뭐", "종류", "목록", "이", "것", "인가") for t in tail
    )
    if tail_ok:
        return m, c
    return None
