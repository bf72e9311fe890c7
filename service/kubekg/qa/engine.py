"""The question-answering pipeline: normalize -> analyse -> link entities -> pick the best-scoring kind -> run its
competency query with bound variables -> the answer contract with evidence and sources (issue 4 section 1).

Everything that depends only on the graph (label index, fuzzy index, property wording, description bags, query
texts, Kiwi's user dictionary) is built once per graph in :class:`Answerer`; answering a question then costs one
Kiwi call, some dictionary look-ups and one or two small SPARQL queries. Never guesses: when no kind explains the
question well enough, or its query finds nothing, the answer is ``understood: false`` with suggested questions.
"""

from __future__ import annotations

import functools
import logging
import marshal
import re
import threading
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kubekg import ns
from kubekg.errors import MissingParameter, QuestionTooLong
from kubekg.graph.terms import compact
from kubekg.qa import strategies
from kubekg.qa.analysis import EN_STOP, KO_STOP, add_user_words, analyse, build_memo, memo_key, prime
from kubekg.qa.context import FUNCTION, Context, build_context, phrase_seq
from kubekg.qa.describe import DescriptionIndex
from kubekg.qa.index import GraphIndex, build_index
from kubekg.qa.kinds import Kind, expand, load_kinds
from kubekg.qa.lexicon import Lexicon
from kubekg.qa.text import detect_lang, stem

log = logging.getLogger(__name__)
DEFAULT_MAX_CHARS = 500
_NEVER_ALONE = {
    "what", "which", "who", "whom", "whose", "how", "be", "do", "have", "is", "are", "does", "the", "a",
    "무엇", "뭐", "뭔", "어떤", "어느", "무슨", "하", "되", "있", "이", "것", "수",
}  # fmt: skip
_EVIDENCE_LIMIT = 40
_PREMISE_DEPTH = 6


class Answerer:
    """Answers questions over one knowledge graph; build once, call :meth:`answer` many times (thread-safe)."""

    def __init__(self, kg: Any, max_chars: int = DEFAULT_MAX_CHARS) -> None:
        self.kg = kg
        self.max_chars = max_chars
        self.kinds, shared = load_kinds()
        self.kind_by_id = {k.id: k for k in self.kinds}
        self.index: GraphIndex = build_index(kg.store)
        words = [t for names in self.index.names.values() for t, _lang, _ in names]
        add_user_words(w for t in words for w in t.split())
        add_user_words(words)
        prime("쿠버네티스 파드")  # Kiwi builds its model (with the names) now, not on the first question
        # the graph's texts and the kinds' phrases as Kiwi analysed them at an earlier start (same inputs)
        path = _memo_path(kg)
        memo = _load_memo(path)
        known = len(memo)
        with build_memo(memo):
            self._build(shared)
        if path is not None and len(memo) != known:
            _save_memo(path, memo)
        log.info("question answerer built: %d analyses from the memo, %d new", known, len(memo) - known)

    def _build(self, shared: dict[str, Any]) -> None:
        """Everything derived from the graph and the kinds (analysing their words, never a question's)."""
        self.wh_words = {str(w).lower() for w in shared.get("wh_words", [])}
        self.yesno_starts = {str(w).lower() for w in shared.get("yesno_starts", [])}
        self.negation_words = {str(w).lower() for w in shared.get("negation_words", [])}
        self.only_words = {str(w).lower() for w in shared.get("only_words", [])}
        self.or_words = {str(w).lower() for w in shared.get("or_words", [])}
        self.except_phrases = [
            ph for ph in (phrase_seq(str(x)) for x in shared.get("except_words", [])) if ph
        ]
        self._except_first = frozenset(ph[0] for ph in self.except_phrases)
        # words that never name a property on their own (question words, light verbs)
        self.stop_lemmas = {stem(w) for w in _NEVER_ALONE} | set(_NEVER_ALONE)
        self.describing_classes = {expand(c) for c in shared.get("describing_classes", [])}
        self.kind_of_properties = {expand(c) for c in shared.get("kind_of_properties", [])}
        # "what does X do?": the properties that say what a thing does, in order of preference
        self.function_properties = [expand(c) for c in shared.get("function_properties", [])]
        self.function_verbs = {str(w).lower() for w in shared.get("function_verbs", [])}
        self.strong_definition_cues = [
            ph for ph in (phrase_seq(str(x)) for x in shared.get("definition_words", [])) if ph
        ]
        self.antonyms: dict[str, set[str]] = {}
        for word, opposites in (shared.get("antonyms") or {}).items():
            for key in phrase_seq(str(word)):
                self.antonyms.setdefault(key, set()).update(x for o in opposites for x in phrase_seq(str(o)))
        self.cues: dict[str, dict[str, list]] = {}
        vocabulary: set[str] = set(EN_STOP) | set(KO_STOP)
        for kind in self.kinds:
            compiled = {
                "require": [
                    [p for p in (phrase_seq(x) for x in group) if p] for group in kind.cues["require"]
                ],
                "boost": [p for p in (phrase_seq(x) for g in kind.cues["boost"] for x in g) if p],
                "forbid": [p for p in (phrase_seq(x) for g in kind.cues["forbid"] for x in g) if p],
            }
            self.cues[kind.id] = compiled
            for group in compiled["require"]:
                for p in group:
                    vocabulary.update(p)
            for p in compiled["boost"]:
                vocabulary.update(p)
        self.property_phrases: dict[str, list[tuple[str, ...]]] = {}
        extra = {expand(k): v for k, v in (shared.get("property_cues") or {}).items()}
        # (property, phrase) -> "out" | "in": wording that also says which way the relation is read
        # ("what comes AFTER binding" reads binding's next stage; "what comes BEFORE binding" the inverse)
        self.phrase_direction: dict[tuple[str, tuple[str, ...]], str] = {}
        for prop, info in self.index.properties.items():
            phrases: list[tuple[str, ...]] = []
            cues = extra.get(prop, [])
            texts: list[tuple[str, str | None]] = [(t, None) for t, _lang in info.labels]
            if isinstance(cues, dict):
                texts += [(str(x), "out") for x in cues.get("forward", [])]
                texts += [(str(x), "in") for x in cues.get("inverse", [])]
                texts += [(str(x), None) for x in cues.get("any", [])]
            else:
                texts += [(str(x), None) for x in cues]
            for text, direction in texts:
                text = re.sub(r"[(（].*?[)）]", " ", text)
                lem = tuple(dict.fromkeys(x for x in phrase_seq(text) if x not in FUNCTION))
                if lem and lem not in phrases:
                    phrases.append(lem)
                    vocabulary.update(lem)
                if lem and direction:
                    self.phrase_direction[(prop, lem)] = direction
            self.property_phrases[prop] = phrases
        self._property_words = {
            prop: frozenset(lem for phrase in phrases for lem in phrase)
            for prop, phrases in self.property_phrases.items()
        }
        self.negative_props = {
            prop
            for prop, info in self.index.properties.items()
            if any(
                w in self.negation_words or w in ("lack", "lacks", "미지원")
                for text, _lang in info.labels
                for w in re.findall(r"[\w']+", text.lower())
            )
        }
        self.lexicon = Lexicon(self.index, vocabulary)
        self.descriptions = DescriptionIndex(self.index)
        strategies.class_heads(self)  # analysed now, with the graph's other texts, not on a first question
        self._query_texts: dict[str, str] = {}
        self._where_ends: dict[str, int] = {}  # query file -> where its WHERE group opens (-1: none)
        self._global: list[str] | None = None
        self._kind_phrases: dict[tuple[str, str], list[tuple[str, ...]]] = {}
        self._explain_cache: dict[str, dict] = {}
        self._lock = threading.Lock()
        self.stats = {
            "kinds": len(self.kinds),
            "names": len(self.lexicon.keys),
            "properties": len(self.property_phrases),
        }

    # ---------------------------------------------------------------- helpers used by the strategies

    def kind_phrases(self, kind: Kind, param: str) -> list[tuple[str, ...]]:
        """A kind's word list parameter, analysed like questions (cached)."""
        key = (kind.id, param)
        found = self._kind_phrases.get(key)
        if found is None:
            found = [ph for ph in (phrase_seq(str(x)) for x in kind.params.get(param, [])) if ph]
            self._kind_phrases[key] = found
        return found

    def direction_of(self, prop: str, ctx: Context, exclude: set[int]) -> str | None:
        """The direction a directional cue of the property says ("after X" -> out), if the question has one."""
        lemmas = ctx.lemma_set(exclude)
        for (p, phrase), direction in self.phrase_direction.items():
            if p == prop and all(lem in lemmas for lem in phrase):
                return direction
        return None

    def property_match(
        self, prop: str, ctx: Context, exclude: set[int], full: bool = False
    ) -> tuple[float, set[int]]:
        """How well the question's words (outside ``exclude``) name a property: (score, tokens).

        With ``full``, only wordings whose every word is in the question count.
        """
        words = self._property_words.get(prop)
        if words is None or words.isdisjoint(ctx.lemma_index):
            return 0.0, set()  # no wording of the property has a word of the question
        lemmas = ctx.lemma_set(exclude)
        found: list[tuple[float, set[int]]] = []
        for phrase in self.property_phrases.get(prop, []):
            hit = [lem for lem in phrase if lem in lemmas]
            if not hit or all(lem in self.stop_lemmas for lem in hit):
                continue
            if full and len(hit) < len(phrase):
                continue
            coverage = len(hit) / len(phrase)
            if coverage < 0.5 and len(phrase) > 1:
                continue
            # more words matched is better evidence, tempered by how much of the wording is missing
            score = coverage**0.5 * (1 + 0.25 * (len(hit) - 1))
            found.append((score, {i for lem in hit for i in lemmas[lem]}))
        if not found:
            return 0.0, set()
        found.sort(key=lambda f: -f[0])
        score, tokens = found[0][0], set(found[0][1])
        for _other, more in found[1:]:  # other wordings of the same property on other words add a little
            if more - tokens:
                score += 0.25
                tokens |= more
        return score, tokens

    def global_candidates(self) -> list[str]:
        """Entities a description may pick when the question names no class (not the descriptions themselves)."""
        if self._global is None:
            helpers = self.describing_classes | {ns.KG + "Step"}
            self._global = [
                e
                for e in self.index.instances_of(ns.KG + "KubernetesConcept")
                if not self.index.has_type(e, helpers)
            ]
        return self._global

    def contradicts(self, prop: str, ctx: Context) -> bool:
        """Whether the question uses an antonym of the property's verb ("keeps" against "deleted with pod")."""
        words = {lem for phrase in self.property_phrases.get(prop, []) for lem in phrase}
        named = set(ctx.token_mention)  # "Retain" names the policy; it is not the verb "retain"
        said = {lemma for i, lemma in ctx.lemmas if i not in named}
        return any(verb in words and opposites & said for verb, opposites in self.antonyms.items())

    def positive_form(self, prop: str, ctx: Context) -> str:
        """For a question without negation, the positive property disjoint with a negative one ("not involved in")."""
        if ctx.negation or prop not in self.negative_props:
            return prop
        for other in self.index.disjoint_props.get(prop, set()):
            if other not in self.negative_props and other in self.index.properties:
                return other
        return prop

    def elaborated(
        self, ctx: Context, entities: list[str], explained: set[int], near: set[int] | None = None
    ) -> set[int]:
        """Content tokens next to a mention that restate what its entity is ("read-write by many nodes (RWX)").

        Only words of the entity's own labels and definitions count, and only within a few tokens of ``near``.
        """
        out = set()
        own = [self.descriptions.own.get(e, set()) for e in entities]
        window = set()
        for i in near or set():
            window.update(range(i - 8, i + 9))
        for i, lemma in ctx.lemmas:
            fresh = i in ctx.content and i not in explained and i in window and lemma not in self.stop_lemmas
            if fresh and any(lemma in bag for bag in own):
                out.add(i)
        return out - ctx.negation - ctx.only

    def query_text(self, relative: str) -> str:
        text = self._query_texts.get(relative)
        if text is None:
            text = (self.kg.queries_dir / relative).read_text(encoding="utf-8")
            self._query_texts[relative] = text
        return text

    def select_file(self, relative: str, bindings: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Rows of a competency query with its variables bound through the graph API (never pasted).

        ``kg.select``'s rows, read by position rather than by name (a seventh less time per query).
        """
        text = self.query_text(relative)
        if getattr(getattr(self.kg, "backend", None), "name", "embedded") != "embedded":
            return self.kg.select(text, bindings)
        result = self.kg.query(text, bindings)
        if not isinstance(result, ox.QuerySolutions):
            raise ValueError("select() needs a SELECT query")
        names = [v.value for v in result.variables]
        return [{n: v for n, v in zip(names, sol, strict=True) if v is not None} for sol in result]

    # ---------------------------------------------------------------- the pipeline

    def analyse(self, question: str, lang: str | None = None) -> Context:
        analysis = analyse(question, lang)
        mentions = self.lexicon.link(analysis)
        ctx = build_context(
            analysis,
            mentions,
            self.index.classes,
            self.wh_words,
            self.yesno_starts,
            self.negation_words,
            self.only_words,
            self.or_words,
        )
        if len(ctx.mentions) > 1 and not self._except_first.isdisjoint(ctx.lemma_index):
            self._excepted(ctx)
        return ctx

    def readings(self, ctx: Context) -> list[strategies.Reading]:
        out = []
        for order, kind in enumerate(self.kinds):
            if ctx.how_many and kind.answer == "entities" and not kind.params.get("count"):
                continue  # "how many ..." asks for a number
            for r in strategies.READERS[kind.strategy](self, kind, ctx):
                r.params.setdefault("_order", order)
                out.append(r)
        out.sort(key=lambda r: (-r.score, r.params["_order"]))
        return out

    def answer(self, question: Any, lang: str | None = None, max_chars: int | None = None) -> dict[str, Any]:
        """The answer contract for one question (raises MissingParameter / QuestionTooLong on bad input)."""
        if not isinstance(question, str) or not question.strip():
            raise MissingParameter("the question is empty; ask something like 'Which storage supports RWX?'")
        limit = max_chars or self.max_chars
        if len(question) > limit:
            raise QuestionTooLong(f"the question has {len(question)} characters; the maximum is {limit}")
        if lang not in (None, "", "ko", "en"):
            lang = None
        q = question.strip()
        lang = lang or detect_lang(q)
        ctx = self.analyse(q, lang)
        readings = self.readings(ctx)
        top = readings[0].score if readings else 0.0
        for r in readings:
            # only readings as good as the best: when the best one finds nothing, a worse one would be a guess
            if r.score < r.kind.min_score or r.score < top - 0.5:
                break
            outcome = strategies.RUNNERS[r.kind.strategy](self, r.kind, ctx, r)
            if outcome is None or not outcome.answers:
                continue
            outcome.answers = _distinct(outcome.answers)
            if ctx.excepted and len(outcome.answers) > 1:
                self._leave_out_excepted(ctx, outcome)
            return self._contract(q, ctx, r, outcome)
        return self._not_understood(q, ctx, readings)

    def _excepted(self, ctx: Context) -> None:
        """Mark the things the question sets aside ("besides CPU and memory", "CPU와 메모리 외에"): the mentions
        right after an English exception word or right before a Korean one (ctx.excepted: their tokens)."""
        covered = {i for n in ctx.mentions for i in range(n.first, n.last + 1)}
        for phrase in self.except_phrases:
            at = ctx.match_phrase(phrase)
            if not at:
                continue
            lo, hi = min(at), max(at)
            before = ctx.lang == "ko"
            for m in sorted(ctx.mentions, key=lambda m: m.first, reverse=before):
                if before and m.last >= lo or not before and m.first <= hi:
                    continue
                gap = range(m.last + 1, lo) if before else range(hi + 1, m.first)
                if any(
                    i not in covered
                    and (
                        ctx.tokens[i].content
                        or not before
                        and ctx.tokens[i].form.lower() not in _LIST_JOINERS
                    )
                    for i in gap
                ):
                    break  # another word between ("..., like request volume"): no longer the set-aside list
                if any(c.kind == "class" for c in m.candidates):
                    break  # "other than the component ...": a kind, not a thing set aside
                ctx.excepted |= ctx.mention_tokens(m) | at
            return

    def _leave_out_excepted(self, ctx: Context, outcome: strategies.Outcome) -> None:
        """Drop the answers the question set aside, when other answers remain."""
        named = {
            c.iri for m in ctx.mentions if m.first in ctx.excepted for c in m.candidates if c.kind == "entity"
        }
        kept = [a for a in outcome.answers if not (isinstance(a, ox.NamedNode) and a.value in named)]
        if kept and len(kept) < len(outcome.answers):
            dropped = {a for a in outcome.answers if a not in kept}
            outcome.answers = kept
            outcome.evidence = [t for t in outcome.evidence if t[0] not in dropped and t[2] not in dropped]

    def label_key(self, term: Any, lang: str) -> str:
        """A sort key: the label of an IRI in lang, the lexical form of a literal."""
        if isinstance(term, ox.NamedNode):
            return self.index.label(term.value, lang).lower()
        return str(getattr(term, "value", term)).lower()

    def names_of(self, iri: str) -> list[str]:
        """Every label and altLabel of an IRI, in any language (what the eval rule compares answers by)."""
        return [text for text, _lang, source in self.index.names.get(iri, []) if source in ("label", "alt")]

    # ---------------------------------------------------------------- the contract

    def entity_json(self, iri: str) -> dict[str, Any]:
        names = self.index.labels.get(iri) or {"en": None, "ko": None}
        label = names.get("en") or names.get("ko") or compact(iri)
        return {
            "iri": iri,
            "label": label,
            "labels": {"en": names.get("en") or label, "ko": names.get("ko") or label},
        }

    def _answer_json(self, value: Any) -> dict[str, Any]:
        if isinstance(value, ox.NamedNode):
            return self.entity_json(value.value)
        if isinstance(value, ox.Literal):
            return {"value": strategies.literal_value(value)}
        return {"value": value}

    def _label_of(self, value: Any, lang: str) -> str:
        if isinstance(value, ox.NamedNode):
            return self.index.label(value.value, lang)
        if isinstance(value, ox.Literal):
            return value.value
        if isinstance(value, bool):
            return ("true" if value else "false") if lang == "en" else ("참" if value else "거짓")
        return str(value)

    def _text(self, kind: Kind, ctx: Context, outcome: strategies.Outcome) -> str:
        template = kind.text[ctx.lang] if ctx.lang in kind.text else kind.text["en"]
        if isinstance(template, dict):
            template = template.get(outcome.variant or "", None) or next(iter(template.values()))
        labels = [self._label_of(v, ctx.lang) for v in outcome.answers]
        if ctx.lang == "en":
            joined = ", ".join(labels[:-1]) + (" and " if len(labels) > 1 else "") + labels[-1]
        else:
            joined = ", ".join(labels)
        params = {k: v for k, v in outcome.text_params.items()}
        params["answers"] = joined
        try:
            text = template.format(**params)
        except (KeyError, IndexError, ValueError):
            return joined
        return re.sub(r"(?<!\.)\.\.$", ".", text)  # a literal ending in "." before the template's own

    def sparql_text(self, relative: str, bindings: Mapping[str, Any]) -> str:
        """The query as it ran, made runnable on /sparql: the bindings as a VALUES block at the top of WHERE."""
        text = self.query_text(relative)
        if not bindings:
            return text
        names = list(bindings)
        values = " ".join(_sparql_term(bindings[n]) for n in names)
        block = f"VALUES ({' '.join('?' + n for n in names)}) {{ ({values}) }}"
        where = self._where_ends.get(relative)
        if where is None:
            m = re.search(r"\bWHERE\s*\{", text, re.I)
            where = self._where_ends[relative] = m.end() if m else -1
        if where < 0:
            return f"# bindings: {block}\n{text}"
        return text[:where] + f"\n  {block}  # bound from the question" + text[where:]

    def _contract(
        self, question: str, ctx: Context, r: strategies.Reading, outcome: strategies.Outcome
    ) -> dict:
        answers = [self._answer_json(v) for v in outcome.answers]
        evidence = []
        sources: dict[str, dict] = {}
        for s, p, o in list(dict.fromkeys(outcome.evidence))[:_EVIDENCE_LIMIT]:
            item = self.explain_json(s, p, o)
            evidence.append(item)
            for src in item["sources"]:
                sources.setdefault(src["iri"], src)
        sparql = "\n\n".join(dict.fromkeys(self.sparql_text(q, b) for q, b in outcome.queries))
        return {
            "understood": True,
            "answers": answers,
            "text": self._text(r.kind, ctx, outcome),
            "sparql": sparql,
            "evidence": evidence,
            "sources": sorted(sources.values(), key=lambda x: x["iri"]),
            "kind": r.kind.id,
            "lang": ctx.lang,
            "question": question,
        }

    def _not_understood(self, question: str, ctx: Context, readings: list[strategies.Reading]) -> dict:
        near: list[str] = []
        for r in readings:
            if r.kind.id not in near:
                near.append(r.kind.id)
        for default in ("plugins_with_capability", "relation", "definition", "use_case"):
            if default not in near:
                near.append(default)
        suggestions: list[str] = []
        for kid in near[:3]:
            for ex in self.kind_by_id[kid].examples.get(ctx.lang, [])[:1]:
                suggestions.append(ex)
        text = (
            "I could not understand this question, or the knowledge graph does not cover it. Try one of the suggestions."
            if ctx.lang == "en"
            else "질문을 이해하지 못했거나 지식 그래프에 없는 내용입니다. 아래 예시 질문을 참고하세요."
        )
        return {
            "understood": False,
            "answers": [],
            "text": text,
            "sparql": "",
            "evidence": [],
            "sources": [],
            "suggestions": suggestions,
            "kind": None,
            "lang": ctx.lang,
            "question": question,
        }

    # ---------------------------------------------------------------- evidence

    def _term_json(self, term: Any) -> dict[str, Any]:
        if isinstance(term, ox.NamedNode):
            names = self.index.labels.get(term.value)
            label = None
            if names:
                label = names.get("en") or names.get("ko")
            short = _compact_iri(term.value)
            return {"iri": term.value, "id": short, "label": label or short}
        if isinstance(term, ox.BlankNode):
            return {"bnode": term.value, "label": "_:" + term.value}
        if isinstance(term, ox.Literal):
            out: dict[str, Any] = {"value": strategies.literal_value(term)}
            if term.language:
                out["lang"] = term.language
            elif term.datatype:
                out["datatype"] = compact(term.datatype)
            return out
        return {"value": term}

    def explain_json(self, s: Any, p: Any, o: Any) -> dict[str, Any]:
        """One evidence entry: the triple with labels, asserted or inferred (rule and premises), its sections."""
        s, p, o = (_as_term(x) for x in (s, p, o))
        key = f"{s} {p} {o}"
        cached = self._explain_cache.get(key)
        if cached is not None:
            return cached
        exp = self.kg.explain(s, p, o)
        item = self._explanation_json(exp, 0)
        with self._lock:
            self._explain_cache[key] = item
        return item

    def _explanation_json(self, exp: Any, depth: int) -> dict[str, Any]:
        item: dict[str, Any] = {
            "s": self._term_json(exp.subject),
            "p": self._term_json(exp.predicate),
            "o": self._term_json(exp.object),
            "status": exp.status if exp.status in ("asserted", "inferred") else "absent",
        }
        sections = []
        if exp.status == "inferred":
            item["rule"] = exp.rule
            item["ruleComment"] = exp.rule_comment
            item["premises"] = (
                [self._explanation_json(pr, depth + 1) for pr in exp.premises]
                if depth < _PREMISE_DEPTH
                else []
            )
            leaves = exp.asserted_leaves()
            for leaf in leaves:
                sections += leaf.sections
        else:
            sections = list(exp.sections)
        seen: dict[str, dict] = {}
        for sec in sections:
            seen.setdefault(
                sec.iri, {"iri": sec.iri, "headingPath": sec.heading_path or self.index.headings.get(sec.iri)}
            )
        item["sources"] = list(seen.values())
        if exp.status == "asserted" and getattr(exp, "rows", None):
            item["rows"] = [{"iri": row.iri, "text": row.text} for row in exp.rows[:2]]
        return item


def _distinct(values: list[Any]) -> list[Any]:
    """The answers without repeats (one IRI or one value reached by two rows counts once), in their order."""
    seen: set[Any] = set()
    out = []
    for v in values:
        key = (
            ("iri", v.value)
            if isinstance(v, ox.NamedNode)
            else ("value", str(getattr(v, "value", v)), type(v))
        )
        if key not in seen:
            seen.add(key)
            out.append(v)
    return out


def _as_term(x: Any) -> Any:
    if isinstance(x, ox.NamedNode | ox.BlankNode | ox.Literal):
        return x
    if isinstance(x, bool):
        return ox.Literal("true" if x else "false", datatype=ox.NamedNode(ns.PREFIXES["xsd"] + "boolean"))
    if isinstance(x, str) and x.startswith(("http://", "https://")):
        return ox.NamedNode(x)
    return ox.Literal(str(x))


@functools.lru_cache(maxsize=65536)
def _compact_iri(iri: str) -> str:
    """compact() of an IRI, remembered (the graph's IRIs are few and evidence repeats them)."""
    return compact(iri)


def _sparql_term(value: Any) -> str:
    if isinstance(value, ox.NamedNode):
        short = _compact_iri(value.value)
        return short if ":" in short and not short.startswith("<") else f"<{value.value}>"
    if isinstance(value, ox.Literal):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


MEMO_FILES_KEPT = 4
# English words that may join the things of one list ("besides CPU, memory and disk")
_LIST_JOINERS = {"and", "or", "nor", ",", "the", "a", "an", "its", "their", "/", "&"}


def _memo_path(kg: Any) -> Path | None:
    """Where the build's Kiwi analyses are kept: the graph's cache directory (none when the graph has no cache)."""
    root = getattr(getattr(kg, "cache", None), "root", None)
    if root is None:
        return None
    return Path(root) / "qa" / f"analyses-{memo_key()}.marshal"


def _load_memo(path: Path | None) -> dict[str, list[tuple[str, str, int, int]]]:
    if path is None:
        return {}
    try:
        memo = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    return memo if isinstance(memo, dict) else {}


def _save_memo(path: Path, memo: dict[str, list[tuple[str, str, int, int]]]) -> None:
    """Write the memo atomically and keep only the newest few (best effort: a read-only cache is not an error)."""
    from kubekg.graph.cache import atomic_write

    try:
        atomic_write(path, marshal.dumps(memo))
        old = sorted(path.parent.glob("analyses-*.marshal"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in old[MEMO_FILES_KEPT:]:
            stale.unlink(missing_ok=True)
    except OSError as exc:
        log.info("cannot keep the question analyser's memo at %s: %s", path, exc)


_answerers: weakref.WeakKeyDictionary[Any, Answerer] = weakref.WeakKeyDictionary()
_answerers_lock = threading.Lock()


class BoundAnswerer:
    """The shared answerer of a graph with a caller's own question-length limit (a service setting)."""

    def __init__(self, answerer: Answerer, max_chars: int) -> None:
        self._answerer = answerer
        self.max_chars = max_chars

    def answer(self, question: Any, lang: str | None = None) -> dict[str, Any]:
        return self._answerer.answer(question, lang, self.max_chars)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._answerer, name)


def get_answerer(kg: Any | None = None, max_chars: int | None = None) -> Answerer | BoundAnswerer:
    """The process-wide answerer of a graph (default: ``kubekg.graph.load_graph()``), built on first use."""
    if kg is None:
        from kubekg.graph import load_graph

        kg = load_graph()
    answerer = _answerers.get(kg)
    if answerer is None:
        with _answerers_lock:
            answerer = _answerers.get(kg)
            if answerer is None:
                answerer = Answerer(kg)
                _answerers[kg] = answerer
    if max_chars is not None and max_chars != answerer.max_chars:
        return BoundAnswerer(answerer, max_chars)
    return answerer


def answer(question: str, lang: str | None = None, kg: Any | None = None) -> dict[str, Any]:
    """Answer one question with the process-wide answerer."""
    return get_answerer(kg).answer(question, lang)
