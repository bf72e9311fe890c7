"""Bags of lemmas describing each entity, for picking the entity a description fits ("chooses the node a pod runs on").

Built once from the graph's descriptive literals (definitions, roles, purposes, traits, when-to-use, effects, ...)
in both languages, plus the labels of the responsibilities, features and use cases linked to the entity. Weights
are inverse document frequencies over all entities, so rare words ("namespace", "consensus") count more than
common ones ("container", "pod").
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from kubekg import ns
from kubekg.qa.analysis import analyse
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
         "것", "수", "등", "때", "이", "그", "및", "또는", "하", "되", "있", "없", "않"}  # fmt: skip


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
        cache: dict[str, tuple[str, ...]] = {}

        def lemmas(text: str) -> tuple[str, ...]:
            if text not in cache:
                a = analyse(text)
                cache[text] = tuple({lemma for _, lemma in seq_lemmas(a.tokens) if lemma not in _STOP})
            return cache[text]

        for e in index.types:
            bag: dict[str, list[Evidence]] = defaultdict(list)
            for p, text, lang in index.texts.get(e, []):
                for lemma in lemmas(text):
                    bag[lemma].append(Evidence(p, text, lang))
            for text, lang, _src in index.names.get(e, []):
                for lemma in lemmas(text):
                    bag[lemma].append(Evidence(ns.PREFIXES["rdfs"] + "label", text, lang or "en"))
            for prop, direction in _NEIGHBOURS:
                edges = index.out_edges if direction == "out" else index.in_edges
                for other in edges.get((e, prop), []):
                    for text, lang, _src in index.names.get(other, []):
                        for lemma in lemmas(text):
                            bag[lemma].append(Evidence(prop, text, lang or "en"))
            self.bags[e] = dict(bag)
        df: dict[str, int] = defaultdict(int)
        for bag in self.bags.values():
            for lemma in bag:
                df[lemma] += 1
        n = max(len(self.bags), 1)
        self.idf = {lemma: math.log(1 + n / c) for lemma, c in df.items()}

    def score(self, entity: str, lemmas: dict[str, list[int]]) -> tuple[float, set[int], list[Evidence]]:
        """(sum of idf of the question lemmas found in the entity's bag, their tokens, the literals they came from)."""
        bag = self.bags.get(entity, {})
        total = 0.0
        tokens: set[int] = set()
        evidence: list[Evidence] = []
        for lemma, idxs in lemmas.items():
            if lemma in bag:
                total += self.idf.get(lemma, 0.0)
                tokens.update(idxs)
                for ev in bag[lemma]:
                    if ev not in evidence:
                        evidence.append(ev)
        return total, tokens, evidence
