"""Bags of lemmas describing each entity, for picking the entity a description fits ("chooses the node a pod runs on").

Built once from the graph's descriptive literals (definitions, roles, purposes, traits, when-to-use, effects, ...)
in both languages, plus the labels of the responsibilities, features and use cases linked to the entity. Weights
are inverse document frequencies over all entities, so rare words ("namespace", "consensus") count more than
common ones ("container", "pod").
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass

from kubekg import ns
from kubekg.qa.analysis import Token, analyse
from kubekg.qa.context import seq_lemmas
from kubekg.qa.index import GraphIndex

# neighbours whose labels describe an entity: (property, direction)
_NEIGHBOURS = [
    (ns.KG + "hasResponsibility", "out"),
    (ns.KG + "hasFeature", "out"),
    (ns.KG + "addsFeature", "out"),
    (ns.KG + "servedBy", "in"),
    (ns.KG + "scalingMethod", "out"),
    (ns.KG + "targetsApplicationKind", "out"),
]
_STOP = {"be", "do", "have", "the", "a", "an", "of", "to", "in", "on", "and", "or", "it", "its", "that", "which",
         "what", "for", "with", "by", "as", "at", "from", "this", "such", "one", "can", "not", "no", "is",
         "것", "수", "등", "때", "이", "그", "및", "또는", "하", "되", "있", "없", "않", "간"}  # fmt: skip
_MIN_RUN = 3  # a shorter shared run ("the container", "a node") is a coincidence of function words
_CLAUSE = re.compile(r"(?<=[.;!?])\s+|</br>|<br>|\n|;\s*|\s+/\s+")


@dataclass
class Evidence:
    """Which literal of an entity a lemma came from (for the evidence of a description match)."""

    predicate: str
    text: str
    lang: str


class DescriptionIndex:
    """Per-entity lemma bags with idf weights."""

    def __init__(self, index: GraphIndex) -> None:
        self.index = index
        self.bags: dict[str, dict[str, list[Evidence]]] = {}
        self.texts: dict[str, list[frozenset[str]]] = {}  # entity -> the lemma set of each of its literals
        self.own: dict[str, set[str]] = {}  # lemmas of an entity's own labels and definitions
        self.clauses: dict[
            str, list[tuple[str, frozenset[str]]]
        ] = {}  # entity -> (literal text, clause lemmas)
        self.text_postings: dict[str, dict[str, tuple[int, ...]]] = {}  # entity -> lemma -> literal indices
        # entity -> per clause: (every word's lemma in order, whether the clause is the entity's definition)
        self.clause_runs: dict[str, list[tuple[tuple[str, ...], bool]]] = {}
        cache: dict[str, tuple[str, ...]] = {}
        run_cache: dict[str, tuple[str, ...]] = {}
        definition = ns.PREFIXES["skos"] + "definition"

        def lemmas(text: str) -> tuple[str, ...]:
            if text not in cache:
                a = analyse(text)
                cache[text] = tuple({lemma for _, lemma in seq_lemmas(a.tokens) if lemma not in _STOP})
                run_cache[text] = word_run(a.tokens)
            return cache[text]

        for e in index.types:
            bag: dict[str, list[Evidence]] = defaultdict(list)
            clauses: list[tuple[str, frozenset[str]]] = []
            runs: list[tuple[tuple[str, ...], bool]] = []
            for p, text, lang in index.texts.get(e, []):
                for lemma in lemmas(text):
                    bag[lemma].append(Evidence(p, text, lang))
                for clause in _CLAUSE.split(text):
                    if clause.strip():
                        clauses.append((text, frozenset(lemmas(clause))))
                        runs.append((run_cache[clause], p == definition))
            self.clause_runs[e] = runs
            own: set[str] = set()
            for text, lang, _src in index.names.get(e, []):
                for lemma in lemmas(text):
                    bag[lemma].append(Evidence(ns.PREFIXES["rdfs"] + "label", text, lang or "en"))
                    own.add(lemma)
            for text in index.definitions.get(e, {}).values():
                own.update(lemmas(text))
            self.own[e] = own
            self.clauses[e] = clauses
            by_text: dict[str, set[str]] = defaultdict(set)
            for lemma, evs in bag.items():
                for ev in evs:
                    by_text[ev.text].add(lemma)
            self.texts[e] = [frozenset(v) for v in by_text.values()]
            # lemma -> the indices of the literals holding it, so scoring reads only the question's lemmas
            in_texts: dict[str, list[int]] = defaultdict(list)
            for k, text_lemmas in enumerate(self.texts[e]):
                for lemma in text_lemmas:
                    in_texts[lemma].append(k)
            self.text_postings[e] = {lemma: tuple(ks) for lemma, ks in in_texts.items()}
            for prop, direction in _NEIGHBOURS:
                edges = index.out_edges if direction == "out" else index.in_edges
                for other in edges.get((e, prop), []):
                    for text, lang, _src in index.names.get(other, []):
                        for lemma in lemmas(text):
                            bag[lemma].append(Evidence(prop, text, lang or "en"))
            self.bags[e] = dict(bag)
        df: dict[str, int] = defaultdict(int)
        self.postings: dict[str, set[str]] = defaultdict(set)  # lemma -> entities whose bag has it
        for e, bag in self.bags.items():
            for lemma in bag:
                df[lemma] += 1
                self.postings[lemma].add(e)
        # lemma -> {entity whose bag has it: the indices of that entity's literals holding it}
        self.by_lemma: dict[str, dict[str, tuple[int, ...]]] = {}
        for e, bag in self.bags.items():
            in_texts = self.text_postings.get(e, {})
            for lemma in bag:
                self.by_lemma.setdefault(lemma, {})[e] = in_texts.get(lemma, ())
        n = max(len(self.bags), 1)
        self.idf = {lemma: math.log(1 + n / c) for lemma, c in df.items()}

    def best_text(
        self, entity: str, lemmas: dict[str, list[int]], question: tuple[str, ...] = ()
    ) -> tuple[float, bool, int, float]:
        """(idf sum, from the definition, longest run of the question's words, idf density) of the one clause of
        the entity's literals that fits the question best.

        The tie-breaker between equally matching entities: "communication inside the cluster" fits ClusterIP's
        clause exactly and NodePort's "communication between the outside of the cluster and the inside" less so;
        a thing's definition says what it is better than a remark about it ("a request larger than every
        pre-created PV"); "요청할 때마다 PV를 만드는" repeats dynamic provisioning's "PV를 요청할 때마다" word for word.
        """
        best: tuple[float, bool, int, float] = (0.0, False, 0, 0.0)
        runs = self.clause_runs.get(entity, [])
        for k, (_text, clause) in enumerate(self.clauses.get(entity, [])):
            hit = [x for x in clause if x in lemmas]
            if not hit:
                continue
            s = sum(self.idf.get(x, 0.0) for x in hit)
            total = sum(self.idf.get(x, 0.0) for x in clause) or 1.0
            words, is_definition = runs[k] if k < len(runs) else ((), False)
            run = _common_run(question, words)
            cand = (round(s, 6), is_definition, run if run >= _MIN_RUN else 0, s / total)
            if cand > best:
                best = cand
        return best

    def score(self, entity: str, lemmas: dict[str, list[int]]) -> tuple[float, set[int]]:
        """(score, tokens): the best single literal's idf sum plus a quarter of the rest of the bag's.

        A description is usually one statement (a role, a purpose), so words found together in one literal count
        more than the same words scattered over several.
        """
        bag = self.bags.get(entity)
        if not bag:
            return 0.0, set()
        hit = [lemma for lemma in lemmas if lemma in bag]
        if not hit:
            return 0.0, set()
        idf = self.idf
        postings = self.text_postings.get(entity, {})
        union = 0.0
        per_text: dict[int, float] = {}
        for lemma in hit:  # the same additions in the same order as summing each literal's hits: equal floats
            w = idf.get(lemma, 0.0)
            union += w
            for k in postings.get(lemma, ()):
                per_text[k] = per_text.get(k, 0) + w
        best = max(per_text.values(), default=0.0)
        if best < 0.0:
            best = 0.0
        tokens = {i for lemma in hit for i in lemmas[lemma]}
        return best + 0.25 * (union - best), tokens

    def score_all(self, lemmas: dict[str, list[int]], among: set[str]) -> dict[str, tuple[float, set[int]]]:
        """:meth:`score` of the entities ``among`` whose bag shares a lemma with the question, in one pass over the
        lemmas' postings (the same additions in the same order as :meth:`score`, so the same floats)."""
        idf = self.idf
        state: dict[
            str, list
        ] = {}  # entity -> [idf sum of its hits, its hit lemmas, literal index -> idf sum]
        for lemma in lemmas:
            per_entity = self.by_lemma.get(lemma)
            if not per_entity:
                continue
            w = idf.get(lemma, 0.0)
            for e in per_entity.keys() & among:
                acc = state.get(e)
                if acc is None:
                    acc = state[e] = [0, [lemma], None]
                else:
                    acc[1].append(lemma)
                acc[0] += w
                ks = per_entity[e]
                if ks:
                    texts = acc[2]
                    if texts is None:
                        texts = acc[2] = {}
                    for k in ks:
                        texts[k] = texts.get(k, 0) + w
        out: dict[str, tuple[float, set[int]]] = {}
        for e, (total, hit, texts) in state.items():
            best = max(texts.values()) if texts else 0.0
            if best < 0.0:
                best = 0.0
            out[e] = (best + 0.25 * (total - best), {i for lemma in hit for i in lemmas[lemma]})
        return out

    def evidence(self, entity: str, lemmas: dict[str, list[int]]) -> list[Evidence]:
        """The literals of the entity the question's words were found in, best-matching first."""
        bag = self.bags.get(entity, {})
        out: list[Evidence] = []
        seen: set[tuple[str, str, str]] = set()
        texts_of: dict[str, set[str]] = {}  # question lemma -> the texts of the entity holding it
        for lemma in lemmas:
            found = bag.get(lemma, ())
            texts_of[lemma] = {ev.text for ev in found}
            for ev in found:
                key = (ev.predicate, ev.text, ev.lang)  # Evidence's equality
                if key not in seen:
                    seen.add(key)
                    out.append(ev)
        # each text's score: the idf of the question's lemmas it holds, summed in the question's order
        per_text = {
            text: sum(self.idf.get(x, 0.0) for x in lemmas if text in texts_of[x])
            for text in {ev.text for ev in out}
        }
        out.sort(key=lambda ev: -per_text[ev.text])
        return out


def word_run(tokens: tuple[Token, ...] | list[Token]) -> tuple[str, ...]:
    """Every word's lemma of analysed text in order, particles and endings included (for word-for-word overlaps)."""
    return tuple(t.lemma.lower() for t in tokens if t.tag not in ("PUNCT", "SF", "SP", "SW", "SS"))


def _common_run(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    """The length of the longest run of words that two word sequences share (0 when either is empty)."""
    if not a or not b:
        return 0
    best = 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0] * (len(b) + 1)
        for j, y in enumerate(b, 1):
            if x == y:
                cur[j] = prev[j - 1] + 1
                best = max(best, cur[j])
        prev = cur
    return best
