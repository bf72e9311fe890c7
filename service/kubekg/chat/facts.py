"""Every asserted fact of the graph as a short sentence in Korean or English, citing its document section.

What counts as a fact (``FACT_RULE``; ``/api/facts`` publishes it and ``tests/chat`` checks the count against the
graph with an independent query):

1. an asserted triple in a section graph (``kr:section/<slug>``, the facts stated by that section of the document),
2. whose subject is an IRI that is not a document part (``kg:DocumentPart``: section, table, table row, list item),
   whose object is not a blank node, and which is not OWL bookkeeping (``rdf:type owl:NamedIndividual`` or
   ``owl:Thing``);
3. whose predicate is neither a naming annotation (``rdfs:label``, ``skos:altLabel``, ``skos:prefLabel``: every
   sentence carries the labels) nor a pointer into the document's structure (``kg:represents``, ``kg:fromRow``,
   ``kg:inTable``, ``kg:inSection``, ``kg:affectsRow``: the fact's section already cites it);
4. plus one negated fact per ``owl:NegativePropertyAssertion`` in a section graph (source, property, target).

A triple stated in two sections is two facts, each citing its own section. Inferred facts (on request) are the
triples of the inferred graph about ``kr:`` individuals that no graph asserts, under the same filters, each with the
rule that derived it and the sections its asserted premises come from. Order is stable across restarts: asserted
facts by section order, then subject, predicate, object (N-Triples); inferred facts after them by subject,
predicate, object. Sentences are templates over the graph's own labels (``rdfs:label`` @ko/@en); no text is
invented.
"""

from __future__ import annotations

import hashlib
import json
import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from kubekg import ns
from kubekg.errors import InvalidParameter, NotFound

LANGS = ("en", "ko")
RDF = ns.PREFIXES["rdf"]
RDFS = ns.PREFIXES["rdfs"]
OWL = ns.PREFIXES["owl"]
SKOS = ns.PREFIXES["skos"]
XSD = ns.PREFIXES["xsd"]
RDF_TYPE = RDF + "type"

NAMING = (RDFS + "label", SKOS + "altLabel", SKOS + "prefLabel")
STRUCTURE = tuple(ns.KG + p for p in ("represents", "fromRow", "inTable", "inSection", "affectsRow"))
BOOKKEEPING_TYPES = (OWL + "NamedIndividual", OWL + "Thing")

FACT_RULE: dict[str, Any] = {
    "facts": "asserted triples in the section graphs (kr:section/<slug>), one fact per section and triple",
    "subject": "an IRI that is not a kg:DocumentPart (section, table, table row, list item)",
    "object": "not a blank node",
    "excludedPredicates": [*NAMING, *STRUCTURE],
    "excludedTypes": list(BOOKKEEPING_TYPES),
    "negativeAssertions": "each owl:NegativePropertyAssertion in a section graph is one fact with negated=true",
    "inferred": "triples of the inferred graph about kr: individuals that no graph asserts, same filters, "
    "each with its rule id",
    "order": "section order, then subject, predicate, object (N-Triples); inferred facts last",
}

_EXCLUDED = ", ".join(f"<{p}>" for p in (*NAMING, *STRUCTURE))
_BOOKKEEPING = ", ".join(f"<{t}>" for t in BOOKKEEPING_TYPES)
_FILTERS = f"""
  FILTER (isIRI(?s) && !isBlank(?o))
  FILTER (?p NOT IN ({_EXCLUDED}))
  FILTER (?p != rdf:type || ?o NOT IN ({_BOOKKEEPING}))"""
# document parts are left out in Python (one query for all of them is much cheaper than a NOT EXISTS per row)
DOCUMENT_PARTS_Q = """SELECT DISTINCT ?s WHERE { ?s rdf:type/rdfs:subClassOf* kg:DocumentPart }"""

ASSERTED_Q = f"""SELECT ?g ?s ?p ?o WHERE {{
  GRAPH ?g {{ ?s ?p ?o }}
  FILTER (STRSTARTS(STR(?g), "{ns.SECTION}")){_FILTERS}
}}"""

NEGATIVE_Q = f"""SELECT ?g ?s ?p ?o WHERE {{
  GRAPH ?g {{
    ?n rdf:type owl:NegativePropertyAssertion ; owl:sourceIndividual ?s ; owl:assertionProperty ?p .
    {{ ?n owl:targetIndividual ?o }} UNION {{ ?n owl:targetValue ?o }}
  }}
  FILTER (STRSTARTS(STR(?g), "{ns.SECTION}"))
}}"""

INFERRED_Q = f"""SELECT ?s ?p ?o WHERE {{
  GRAPH <{ns.INFERRED_GRAPH}> {{ ?s ?p ?o }}
  FILTER (STRSTARTS(STR(?s), "{ns.KR}") && !STRSTARTS(STR(?s), "{ns.SECTION}")){_FILTERS}
  FILTER NOT EXISTS {{ GRAPH ?a {{ ?s ?p ?o }} FILTER (?a != <{ns.INFERRED_GRAPH}>) }}
}}"""

SECTION_TRIPLES_Q = f"""SELECT ?g ?s ?p ?o WHERE {{
  GRAPH ?g {{ ?s ?p ?o }} FILTER (STRSTARTS(STR(?g), "{ns.SECTION}"))
}}"""

SECTIONS_Q = """SELECT ?sec ?path ?order WHERE {
  ?sec a kg:Section ; kg:headingPath ?path . OPTIONAL { ?sec kg:order ?order }
}"""

LABELS_Q = """SELECT ?x ?l WHERE { ?x rdfs:label ?l FILTER (isIRI(?x) && isLiteral(?l)) } ORDER BY ?x ?l"""

# Labels of the standard vocabulary, which the graph does not label itself.
BUILTIN_LABELS: dict[str, dict[str, str]] = {
    RDF_TYPE: {"en": "is a", "ko": "유형"},
    SKOS + "definition": {"en": "definition", "ko": "정의"},
    SKOS + "note": {"en": "note", "ko": "메모"},
    SKOS + "example": {"en": "example", "ko": "예"},
    RDFS + "comment": {"en": "comment", "ko": "설명"},
    RDFS + "seeAlso": {"en": "see also", "ko": "참고"},
    RDFS + "subClassOf": {"en": "is a kind of", "ko": "상위 개념"},
    RDFS + "subPropertyOf": {"en": "is a narrower relation of", "ko": "상위 속성"},
    RDFS + "domain": {"en": "has domain", "ko": "정의역"},
    RDFS + "range": {"en": "has range", "ko": "치역"},
    OWL + "sameAs": {"en": "is the same as", "ko": "동일 개체"},
    OWL + "differentFrom": {"en": "is different from", "ko": "다른 개체"},
    OWL + "inverseOf": {"en": "is the inverse of", "ko": "역관계"},
    OWL + "disjointWith": {"en": "is disjoint with", "ko": "서로소 클래스"},
    OWL + "equivalentClass": {"en": "is equivalent to", "ko": "동치 클래스"},
}
_YES_NO = {"en": ("yes", "no"), "ko": ("예", "아니요")}
_EN_PREPOSITIONS = {
    "by",
    "with",
    "to",
    "of",
    "on",
    "in",
    "for",
    "from",
    "against",
    "through",
    "as",
    "into",
    "at",
}
_EN_AUXILIARIES = {"is", "are", "has", "have", "can", "may", "must", "does", "do"}
_KO_VERB_ENDINGS = ("함", "됨", "음", "한다", "된다")


def check_lang(lang: str | None, default: str = "en") -> str:
    """The language code, ``en`` or ``ko`` (``InvalidParameter`` otherwise)."""
    if lang is None or lang == "":
        return default
    value = str(lang).strip().lower()
    if value not in LANGS:
        raise InvalidParameter(f"parameter lang must be one of {', '.join(LANGS)}, not {lang!r}")
    return value


# ------------------------------------------------------------------------------------------------ sentences
def _en_verbish(label: str) -> bool:
    """True when an English predicate label reads as a verb phrase ("communicates with", "runs on", "can scale")."""
    words = label.split()
    if not words:
        return False
    first, last = words[0].lower(), words[-1].lower()
    if last in _EN_PREPOSITIONS or first in _EN_AUXILIARIES:
        return True
    return len(first) > 3 and first.endswith("s") and not first.endswith(("ss", "us", "is"))


def _ko_verbish(label: str) -> bool:
    """True when a Korean predicate label is a verb form ("통신함", "관리함", "직접 접근함")."""
    return label.strip().endswith(_KO_VERB_ENDINGS)


def _close(text: str) -> str:
    text = text.rstrip()
    return text if text.endswith((".", "!", "?", "。")) else text + "."


def sentence(
    lang: str,
    subject: str,
    predicate_iri: str,
    predicate: str,
    obj: str,
    *,
    obj_is_iri: bool,
    negated: bool = False,
) -> str:
    """One fact as a short sentence: templates chosen by the predicate label's form, no words invented."""
    if lang == "ko":
        if predicate_iri == RDF_TYPE:
            text = f"{subject}의 유형: {obj}"
        elif obj_is_iri and _ko_verbish(predicate):
            text = f"{subject} → {obj}: {predicate}"
        else:
            text = f"{subject}의 {predicate}: {obj}"
        return _close(text + (" (아님)" if negated else ""))
    if predicate_iri == RDF_TYPE:
        article = "an" if obj[:1].lower() in "aeiou" else "a"
        text = f"{subject} is {'not ' if negated else ''}{article} {obj}"
        return _close(text)
    if _en_verbish(predicate):
        text = f"{subject} {predicate} {obj}" if obj_is_iri else f"{subject} {predicate}: {obj}"
    else:
        text = f"{subject} — {predicate}: {obj}"
    return _close(f"It is not the case that {text.rstrip('.')}" if negated else text)


# ------------------------------------------------------------------------------------------------ the graph's raw facts
@dataclass
class _Raw:
    """One fact before rendering: terms, its section (None when inferred), and how it holds."""

    s: ox.NamedNode
    p: ox.NamedNode
    o: Any
    section: str | None
    negated: bool = False
    rule: str | None = None
    sections: list[str] = field(default_factory=list)


@dataclass
class _Context:
    """What rendering any of one graph's facts needs: labels, sections, rules, derivations (read once per graph)."""

    labels: dict[str, dict[str, str]]
    sections: dict[str, dict[str, Any]]
    rules: dict[str, dict]
    derivations: dict[str, dict]
    stated: Any  # (s, p, o) N-Triples -> the section graphs asserting it
    parts: frozenset[str] = frozenset()  # the kg:DocumentPart resources, whose triples are not facts
    rendered: dict[tuple[str, bool], list[dict]] = field(default_factory=dict)
    table: tuple[list[_Raw], list[_Raw]] | None = None


def _nt(term: Any) -> str:
    return str(term)


def _section_key(sections: dict[str, dict[str, Any]], iri: str | None) -> tuple[int, str]:
    info = sections.get(iri or "")
    order = info["order"] if info and info["order"] is not None else 1 << 30
    return order, iri or ""


def _stated_lookup(kg: Any) -> Any:
    """Where a triple (N-Triples terms) is asserted: the graph's own index when it has one, else one query."""
    if hasattr(kg, "graphs_of"):
        from kubekg.graph.terms import from_nt

        def lookup(triple: tuple[str, str, str]) -> set[str]:
            try:
                terms = [from_nt(t) for t in triple]
            except (SyntaxError, ValueError, StopIteration):
                return set()
            return {g for g in kg.graphs_of(*terms) if g.startswith(ns.SECTION)}

        return lookup
    stated: dict[tuple[str, str, str], set[str]] = {}
    for r in kg.select(SECTION_TRIPLES_Q):
        stated.setdefault((str(r["s"]), str(r["p"]), str(r["o"])), set()).add(r["g"].value)
    return lambda triple: stated.get(triple, set())


def _load_context(kg: Any) -> _Context:
    labels: dict[str, dict[str, str]] = {}
    for row in kg.select(LABELS_Q):
        lit = row["l"]
        lang = (lit.language or "").lower()[:2]
        entry = labels.setdefault(row["x"].value, {})
        entry.setdefault(lang, lit.value)
    sections: dict[str, dict[str, Any]] = {}
    for row in kg.select(SECTIONS_Q):
        order = None
        if "order" in row:
            try:
                order = int(row["order"].value)
            except ValueError:
                order = None
        sections[row["sec"].value] = {"path": row["path"].value, "order": order}
    return _Context(
        labels=labels,
        sections=sections,
        rules=getattr(kg, "rules", None) or {},
        derivations=getattr(kg, "derivations", None) or {},
        stated=_stated_lookup(kg),
        parts=frozenset(
            r["s"].value for r in kg.select(DOCUMENT_PARTS_Q) if isinstance(r["s"], ox.NamedNode)
        ),
    )


def _select_about(kg: Any, query: str, about: ox.NamedNode | None) -> list[dict[str, Any]]:
    """The rows of a fact query, or only those whose subject or object is ``about`` (two bound queries)."""
    if about is None:
        return kg.select(query)
    rows: dict[tuple[str, ...], dict[str, Any]] = {}
    for var in ("s", "o"):
        for row in kg.select(query, {var: about}):
            row = {**row, var: about}
            rows.setdefault(tuple(str(row.get(k)) for k in ("g", "s", "p", "o")), row)
    return list(rows.values())


def _raw_facts(kg: Any, ctx: _Context, about: ox.NamedNode | None = None) -> tuple[list[_Raw], list[_Raw]]:
    """The asserted and inferred facts (of the whole graph, or about one entity), each list in the stable order."""
    asserted = [
        _Raw(r["s"], r["p"], r["o"], r["g"].value)
        for r in _select_about(kg, ASSERTED_Q, about)
        if r["s"].value not in ctx.parts
    ]
    asserted += [
        _Raw(r["s"], r["p"], r["o"], r["g"].value, negated=True) for r in _select_about(kg, NEGATIVE_Q, about)
    ]
    for raw in asserted:
        raw.sections = [raw.section] if raw.section else []
    asserted.sort(
        key=lambda r: (_section_key(ctx.sections, r.section), r.s.value, r.p.value, _nt(r.o), r.negated)
    )
    inferred = [
        _Raw(r["s"], r["p"], r["o"], None)
        for r in _select_about(kg, INFERRED_Q, about)
        if r["s"].value not in ctx.parts
    ]
    memo: dict[tuple[str, str, str], set[str]] = {}
    for raw in inferred:
        key = (_nt(raw.s), _nt(raw.p), _nt(raw.o))
        record = ctx.derivations.get(" ".join(key))
        raw.rule = record.get("rule") if record else None
        raw.sections = sorted(
            _premise_sections(ctx, key, memo, 0), key=lambda s: _section_key(ctx.sections, s)
        )
    inferred.sort(key=lambda r: (r.s.value, r.p.value, _nt(r.o)))
    return asserted, inferred


_MAX_DEPTH = 64  # derivation chains are acyclic and short; this only guards a corrupt cache


def _premise_sections(
    ctx: _Context, triple: tuple[str, str, str], memo: dict[tuple[str, str, str], set[str]], depth: int
) -> set[str]:
    """The sections of the asserted triples an inferred triple rests on (following the first-derivation records)."""
    if triple in memo:
        return memo[triple]
    memo[triple] = set()  # breaks any cycle a corrupt record could make
    found = set(ctx.stated(triple))
    record = ctx.derivations.get(" ".join(triple))
    if not found and record and depth < _MAX_DEPTH:
        for premise in record.get("premises", []):
            if len(premise) == 3:
                found |= _premise_sections(ctx, (premise[0], premise[1], premise[2]), memo, depth + 1)
    memo[triple] = found
    return found


_LOCK = threading.Lock()
_CONTEXTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _context(kg: Any) -> _Context:
    ctx = _CONTEXTS.get(kg)
    if ctx is None:
        with _LOCK:
            ctx = _CONTEXTS.get(kg)
            if ctx is None:
                ctx = _CONTEXTS[kg] = _load_context(kg)
    return ctx


def _table(kg: Any) -> tuple[_Context, tuple[list[_Raw], list[_Raw]]]:
    ctx = _context(kg)
    if ctx.table is None:
        with _LOCK:
            if ctx.table is None:
                ctx.table = _raw_facts(kg, ctx)
    return ctx, ctx.table


# ------------------------------------------------------------------------------------------------ rendering
def _compact(iri: str) -> str:
    from kubekg.graph.terms import compact

    return compact(iri)


def _labels_of(base: _Context, iri: str) -> dict[str, str | None]:
    entry = base.labels.get(iri) or BUILTIN_LABELS.get(iri) or {}
    plain = entry.get("")
    return {"en": entry.get("en") or plain, "ko": entry.get("ko")}


def _label(labels: dict[str, str | None], lang: str, fallback: str) -> str:
    other = "ko" if lang == "en" else "en"
    return labels.get(lang) or labels.get(other) or fallback


def _iri_json(base: _Context, iri: str, lang: str) -> dict[str, Any]:
    labels = _labels_of(base, iri)
    cid = _compact(iri)
    return {"type": "iri", "iri": iri, "id": cid, "label": _label(labels, lang, cid), "labels": labels}


def _literal_text(lit: ox.Literal, lang: str) -> str:
    dt = lit.datatype.value
    if dt == XSD + "boolean":
        yes, no = _YES_NO[lang]
        return yes if lit.value in ("true", "1") else no
    if dt == XSD + "anyURI":
        return f"<{lit.value}>"
    return " ".join(lit.value.split())


def _term_json(base: _Context, term: Any, lang: str) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return _iri_json(base, term.value, lang)
    return {
        "type": "literal",
        "value": term.value,
        "datatype": term.datatype.value,
        "lang": term.language,
        "text": _literal_text(term, lang),
    }


def _section_json(base: _Context, iri: str) -> dict[str, Any]:
    info = base.sections.get(iri, {})
    return {
        "iri": iri,
        "id": _compact(iri),
        "slug": iri[len(ns.SECTION) :] if iri.startswith(ns.SECTION) else iri,
        "headingPath": info.get("path"),
        "order": info.get("order"),
        "labels": _labels_of(base, iri),
    }


def fact_id(section: str | None, s: Any, p: Any, o: Any, negated: bool) -> str:
    """A stable identifier of a fact (the same triple in the same section always gets the same id)."""
    key = "\n".join((section or "inferred", _nt(s), _nt(p), _nt(o), "not" if negated else ""))
    return "fact-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def _render(base: _Context, raw: _Raw, lang: str) -> dict[str, Any]:
    subject = _iri_json(base, raw.s.value, lang)
    predicate = _iri_json(base, raw.p.value, lang)
    obj = _term_json(base, raw.o, lang)
    is_iri = obj["type"] == "iri"
    text = sentence(
        lang,
        subject["label"],
        raw.p.value,
        predicate["label"],
        obj["label"] if is_iri else obj["text"],
        obj_is_iri=is_iri,
        negated=raw.negated,
    )
    rule = None
    if raw.rule is not None or raw.section is None:
        info = base.rules.get(raw.rule or "", {})
        rule = {"id": raw.rule, "comment": info.get("comment")}
    return {
        "id": fact_id(raw.section, raw.s, raw.p, raw.o, raw.negated),
        "text": text,
        "lang": lang,
        "subject": subject,
        "predicate": predicate,
        "object": obj,
        "negated": raw.negated,
        "inferred": raw.section is None,
        "section": _section_json(base, raw.section) if raw.section else None,
        "sections": [_section_json(base, s) for s in raw.sections],
        "rule": rule,
    }


def facts(kg: Any, lang: str = "en", inferred: bool = False) -> list[dict[str, Any]]:
    """Every fact of the graph (``FACT_RULE``) as JSON-ready dicts in the stable order; inferred ones on request."""
    lang = check_lang(lang)
    ctx, (asserted, derived) = _table(kg)
    key = (lang, inferred)
    out = ctx.rendered.get(key)
    if out is None:
        out = [_render(ctx, raw, lang) for raw in asserted + (derived if inferred else [])]
        ctx.rendered[key] = out
    return out


def facts_about(kg: Any, iri: str, lang: str = "en", inferred: bool = True) -> list[dict[str, Any]]:
    """The facts whose subject or object is one entity, in the stable order (the same dicts ``facts`` gives).

    Filters the whole table when it is built already; otherwise asks only for that entity's facts, so one entity
    page does not pay for the whole graph (notably over a remote SPARQL store).
    """
    lang = check_lang(lang)
    ctx = _context(kg)
    if ctx.table is not None:

        def about(f: dict[str, Any]) -> bool:
            return f["subject"]["iri"] == iri or (f["object"]["type"] == "iri" and f["object"]["iri"] == iri)

        return [f for f in facts(kg, lang, inferred) if about(f)]
    asserted, derived = _raw_facts(kg, ctx, ox.NamedNode(iri))
    return [_render(ctx, raw, lang) for raw in asserted + (derived if inferred else [])]


def entity_head(kg: Any, iri: str, lang: str = "en") -> dict[str, Any]:
    """An entity's reference (iri, compact id, display label in ``lang``, ko/en labels), as facts show it."""
    return _iri_json(_context(kg), iri, check_lang(lang))


def section_facts(kg: Any, lang: str = "en") -> dict[str, list[dict[str, Any]]]:
    """The asserted facts grouped by section IRI, in document order."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for f in facts(kg, lang, inferred=False):
        grouped.setdefault(f["section"]["iri"], []).append(f)
    return grouped


def sections(kg: Any) -> list[dict[str, Any]]:
    """Every document section (IRI, slug, heading path, order, labels) in document order."""
    ctx = _context(kg)
    ordered = sorted(ctx.sections, key=lambda s: _section_key(ctx.sections, s))
    return [_section_json(ctx, s) for s in ordered]


def to_jsonl(items: Iterable[dict[str, Any]]) -> str:
    """JSON Lines: one compact object per line, UTF-8 text kept readable."""
    return "".join(json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n" for item in items)


def document(kg: Any, lang: str = "en", inferred: bool = False) -> dict[str, Any]:
    """The ``format=json`` body of ``/api/facts``: the rule, the count and the facts."""
    items = facts(kg, lang, inferred)
    return {
        "lang": check_lang(lang),
        "inferred": inferred,
        "rule": FACT_RULE,
        "count": len(items),
        "facts": items,
    }


def require_entity(kg: Any, iri: str) -> None:
    """``NotFound`` unless the IRI occurs in the graph (as subject or object)."""
    node = ox.NamedNode(iri)
    if not kg.ask("ASK { { ?e ?p ?o } UNION { ?s ?p ?e } }", {"e": node}):
        raise NotFound(f"no entity {_compact(iri)} in the graph")


__all__ = [
    "FACT_RULE",
    "LANGS",
    "check_lang",
    "document",
    "entity_head",
    "fact_id",
    "facts",
    "facts_about",
    "require_entity",
    "section_facts",
    "sections",
    "sentence",
    "to_jsonl",
]
