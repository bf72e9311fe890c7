"""Why a triple holds: a tree from an inferred triple through its rule and premises down to asserted facts.

Asserted leaves carry the document sections (named graphs) they were stated in, with the Korean heading path, and
the table rows / list items that state facts about their subject. Inferred nodes carry the rule id and its
"if ... then ..." comment. The tree follows the reasoner's first-derivation records, which are acyclic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyoxigraph as ox

from kubekg import ns
from kubekg.graph.terms import Term, TermError, compact, display, graph_name, parse_term

if TYPE_CHECKING:
    from kubekg.graph.kg import KnowledgeGraph

MAX_DEPTH = 64  # derivation chains here are a handful deep; this only guards against a corrupt cache


@dataclass
class SectionRef:
    """A document section a fact was asserted in."""

    iri: str
    heading_path: str | None

    def to_dict(self) -> dict:
        return {"iri": self.iri, "id": compact(self.iri), "headingPath": self.heading_path}


@dataclass
class RowRef:
    """A table row (or list item) of the document that states facts about the triple's subject."""

    iri: str
    kind: str
    text: str | None

    def to_dict(self) -> dict:
        return {"iri": self.iri, "id": compact(self.iri), "kind": self.kind, "text": self.text}


@dataclass
class Explanation:
    """One node of an explanation tree."""

    subject: Term
    predicate: Term
    object: Term
    status: str  # "asserted" | "inferred" | "absent"
    graphs: list[str] = field(default_factory=list)
    sections: list[SectionRef] = field(default_factory=list)
    rows: list[RowRef] = field(default_factory=list)
    rule: str | None = None
    rule_comment: str | None = None
    premises: list[Explanation] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)  # compact term -> display label

    @property
    def triple(self) -> tuple[str, str, str]:
        """The triple in compact form (``kr:nfs``, ``kg:supportsAccessMode``, ``kr:ReadWriteMany``)."""
        return compact(self.subject), compact(self.predicate), compact(self.object)

    def asserted_leaves(self) -> list[Explanation]:
        """Every asserted fact the explanation rests on."""
        if self.status == "asserted":
            return [self]
        return [leaf for p in self.premises for leaf in p.asserted_leaves()]

    def to_dict(self) -> dict:
        """A JSON-ready tree."""
        s, p, o = self.triple
        return {
            "triple": {"subject": s, "predicate": p, "object": o},
            "terms": {
                "subject": _term_json(self.subject),
                "predicate": _term_json(self.predicate),
                "object": _term_json(self.object),
            },
            "labels": self.labels,
            "status": self.status,
            "graphs": self.graphs,
            "sections": [x.to_dict() for x in self.sections],
            "rows": [x.to_dict() for x in self.rows],
            "rule": {"id": self.rule, "comment": self.rule_comment} if self.rule else None,
            "premises": [x.to_dict() for x in self.premises],
        }

    def render(self) -> str:
        """A readable tree for the terminal."""
        lines: list[str] = []
        self._render(lines, "", "", True)
        return "\n".join(lines)

    def _render(self, lines: list[str], first: str, rest: str, root: bool) -> None:
        lines.append(first + self._headline())
        detail = rest if root else rest
        if self.status == "inferred":
            lines.append(f"{detail}  inferred by rule {self.rule}: {self.rule_comment or '(no comment)'}")
        elif self.status == "asserted":
            where = [
                f"{compact(s.iri)} ({s.heading_path})" if s.heading_path else compact(s.iri)
                for s in self.sections
            ]
            others = [graph_name(g) for g in self.graphs if not g.startswith(ns.SECTION)]
            lines.append(f"{detail}  asserted in " + ", ".join(where + others))
            for row in self.rows:
                lines.append(
                    f"{detail}  {row.kind.lower().replace('tablerow', 'table row').replace('listitem', 'list item')} "
                    f"{compact(row.iri)}: {_short(row.text)}"
                )
        else:
            lines.append(f"{detail}  absent: neither asserted nor inferred")
        for i, child in enumerate(self.premises):
            last = i == len(self.premises) - 1
            child._render(lines, rest + ("└─ " if last else "├─ "), rest + ("   " if last else "│  "), False)

    def _headline(self) -> str:
        parts = []
        for term in (self.subject, self.predicate, self.object):
            c = compact(term)
            label = self.labels.get(c)
            parts.append(f"{c} ({label})" if label and label != c and not isinstance(term, ox.Literal) else c)
        return " ".join(parts)


RENDER_WIDTH = 160  # the text tree shortens long row texts; to_dict() keeps them whole


def _short(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= RENDER_WIDTH else text[: RENDER_WIDTH - 1] + "…"


def _term_json(term: Term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    else:
        out["datatype"] = term.datatype.value
    return out


class ExplainError(ValueError):
    """The triple to explain cannot be read (bad term, ambiguous label)."""


def resolve_triple(kg: KnowledgeGraph, s: object, p: object, o: object) -> tuple[Term, Term, Term]:
    """Terms from user input: IRIs, prefixed names, labels (subject/object) or literals (object)."""
    subject = _resolve_resource(kg, s, "subject")
    predicate = _resolve_resource(kg, p, "predicate")
    if isinstance(o, ox.NamedNode | ox.BlankNode | ox.Literal):
        return subject, predicate, o
    text = str(o)
    try:
        obj = parse_term(text)
    except TermError as exc:
        raise ExplainError(str(exc)) from exc
    if isinstance(obj, ox.Literal) and not text.strip().startswith('"'):
        candidates = [q.object for q in kg.store.quads_for_pattern(subject, predicate, None, None)]
        for iri in kg.find(text):
            if ox.NamedNode(iri) in candidates:
                return subject, predicate, ox.NamedNode(iri)
        for c in candidates:  # a plain literal matches any literal with that lexical form
            if isinstance(c, ox.Literal) and c.value == text:
                return subject, predicate, c
        found = kg.find(text)
        if len(found) == 1:
            return subject, predicate, ox.NamedNode(found[0])
    return subject, predicate, obj


def _resolve_resource(kg: KnowledgeGraph, value: object, role: str) -> Term:
    if isinstance(value, ox.NamedNode | ox.BlankNode):
        return value
    text = str(value)
    try:
        term = parse_term(text)
    except TermError as exc:
        raise ExplainError(f"{role}: {exc}") from exc
    if not isinstance(term, ox.Literal):
        return term
    found = kg.find(text)
    if len(found) == 1:
        return ox.NamedNode(found[0])
    if not found:
        raise ExplainError(
            f"{role} {text!r} is neither an IRI, a prefixed name ({', '.join(ns.PREFIXES)}) nor a label"
        )
    raise ExplainError(f"{role} {text!r} is ambiguous: {', '.join(compact(f) for f in found)}")


def explain(kg: KnowledgeGraph, s: object, p: object, o: object) -> Explanation:
    """The explanation tree of a triple given as terms or user text."""
    subject, predicate, obj = resolve_triple(kg, s, p, o)
    return _Explainer(kg).node(subject, predicate, obj, 0)


class _Explainer:
    def __init__(self, kg: KnowledgeGraph) -> None:
        self.kg = kg
        self.headings = kg.heading_paths()
        self.memo: dict[str, Explanation] = {}

    def node(self, s: Term, p: Term, o: Term, depth: int) -> Explanation:
        key = f"{s} {p} {o}"
        if key in self.memo:
            return self.memo[key]
        graphs = self.kg.graphs_of(s, p, o)
        asserted = [g for g in graphs if g != ns.INFERRED_GRAPH]
        labels = {compact(t): self.kg.label(t) for t in (s, p, o) if isinstance(t, ox.NamedNode)}
        if asserted:
            sections = [SectionRef(g, self.headings.get(g)) for g in asserted if g.startswith(ns.SECTION)]
            exp = Explanation(s, p, o, "asserted", graphs=asserted, sections=sections, labels=labels)
            if isinstance(s, ox.NamedNode):
                exp.rows = self._rows(s, {x.iri for x in sections})
        elif graphs:
            record = self.kg.derivation(s, p, o)
            rule = record["rule"] if record else None
            info = self.kg.rules.get(rule or "", {})
            exp = Explanation(
                s, p, o, "inferred", graphs=graphs, rule=rule, rule_comment=info.get("comment"), labels=labels
            )
            self.memo[key] = exp
            if record and depth < MAX_DEPTH:
                exp.premises = [self.node(*self.kg.premise_terms(pr), depth + 1) for pr in record["premises"]]
        else:
            exp = Explanation(s, p, o, "absent", labels=labels)
        self.memo[key] = exp
        return exp

    def _rows(self, subject: ox.NamedNode, sections: set[str]) -> list[RowRef]:
        rows = self.kg.rows_for(subject)
        precise = [r for r in rows if not r["sections"] or sections.intersection(r["sections"])]
        return [RowRef(r["iri"], r["kind"], r["text"]) for r in precise]


__all__ = ["Explanation", "ExplainError", "RowRef", "SectionRef", "explain", "display"]
