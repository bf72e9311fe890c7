"""Everything question answering needs to know about the graph, read once with a few SPARQL queries.

Labels and altLabels of entities, classes and properties (the vocabulary is never kept in code), types with
their superclasses, property domains and ranges, which properties each entity has in which direction, and the
descriptive literals (definitions, roles, purposes, ...) used to pick an entity from a description.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from kubekg import ns

RDF_TYPE = ns.PREFIXES["rdf"] + "type"
RDFS = ns.PREFIXES["rdfs"]
OWL = ns.PREFIXES["owl"]
SKOS = ns.PREFIXES["skos"]
LABEL = RDFS + "label"
ALT = SKOS + "altLabel"
DEFINITION = SKOS + "definition"

# IRIs under these prefixes are document structure, not things a question is about.
_STRUCTURE_PREFIXES = tuple(
    ns.KR + p for p in ("section/", "table/", "row/", "cell/", "erratum/", "item/", "list/", "run/")
)
_STRUCTURE_CLASSES = {ns.KG + "DocumentPart", ns.KG + "Erratum", ns.KG + "CapabilityCell", ns.KG + "Section"}
# Literal-valued predicates that describe an entity in words (used by description matching).
_NOT_DESCRIPTIVE = {LABEL, ALT, ns.KG + "usageName", ns.KG + "headingPath", ns.KG + "slug", ns.KG + "cells"}
# Properties that are bookkeeping rather than facts a question asks about.
_BOOKKEEPING = {
    RDF_TYPE, LABEL, ALT, DEFINITION, RDFS + "comment", RDFS + "seeAlso", RDFS + "isDefinedBy",
    ns.KG + "fromRow", ns.KG + "represents", ns.KG + "inSection", ns.KG + "order", ns.KG + "slug",
    ns.KG + "upstreamSource", ns.KG + "upstreamNote", OWL + "sameAs", OWL + "differentFrom",
}  # fmt: skip


@dataclass
class PropertyInfo:
    """A property with its labels, kind (object or datatype), domains and ranges."""

    iri: str
    datatype: bool
    labels: list[tuple[str, str]] = field(default_factory=list)  # (text, lang)
    domains: set[str] = field(default_factory=set)
    ranges: set[str] = field(default_factory=set)
    boolean: bool = False
    symmetric: bool = False


@dataclass
class GraphIndex:
    """A snapshot of the graph's vocabulary and shape; built once per graph by :func:`build_index`."""

    names: dict[str, list[tuple[str, str, str]]]  # iri -> [(text, lang, source: label|alt|name)]
    labels: dict[str, dict[str, str | None]]  # iri -> {"en", "ko"}
    types: dict[str, set[str]]  # entity iri -> every class it belongs to (asserted and inferred)
    classes: set[str]
    superclasses: dict[str, set[str]]  # class -> itself and every superclass
    properties: dict[str, PropertyInfo]
    entity_props: dict[str, set[tuple[str, str]]]  # entity -> {(property, "out"|"in")}
    texts: dict[str, list[tuple[str, str, str]]]  # entity -> [(predicate, text, lang)]
    definitions: dict[str, dict[str, str]]  # iri -> {lang: definition}
    headings: dict[str, str]  # section iri -> Korean heading path
    out_edges: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (s, p) -> entity objects
    in_edges: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (o, p) -> entity subjects
    literals: dict[tuple[str, str], list[ox.Literal]] = field(
        default_factory=dict
    )  # (s, p) -> literal values
    negatives: set[tuple[str, str, str]] = field(default_factory=set)  # owl:NegativePropertyAssertion
    disjoint_props: dict[str, set[str]] = field(default_factory=dict)
    super_props: dict[str, set[str]] = field(default_factory=dict)

    def is_entity(self, iri: str) -> bool:
        return iri in self.types

    def instances_of(self, cls: str) -> list[str]:
        """The entities of a class (computed once per class)."""
        cache = self.__dict__.setdefault("_instances", {})
        found = cache.get(cls)
        if found is None:
            found = cache[cls] = sorted(e for e, ts in self.types.items() if cls in ts)
        return found

    def has_type(self, iri: str, classes: set[str] | frozenset[str]) -> bool:
        if iri in self.classes:
            return False
        return bool(self.types.get(iri, set()) & classes)

    def subclass_of(self, cls: str, classes: set[str] | frozenset[str]) -> bool:
        return bool(self.superclasses.get(cls, {cls}) & classes)

    def label(self, iri: str, lang: str = "en") -> str:
        names = self.labels.get(iri) or {}
        other = "ko" if lang == "en" else "en"
        return names.get(lang) or names.get(other) or iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _rows(store: ox.Store, query: str):
    return store.query(query, prefixes=ns.PREFIXES, use_default_graph_as_union=True)


def is_structure(iri: str) -> bool:
    """Whether an IRI names a part of the document (section, table, row, cell, erratum) rather than a concept."""
    return iri.startswith(_STRUCTURE_PREFIXES)


def build_index(store: ox.Store) -> GraphIndex:
    """Read the vocabulary and shape of the graph in a handful of queries (a few tens of milliseconds)."""
    classes: set[str] = set()
    for sol in _rows(
        store, "SELECT DISTINCT ?c WHERE { { ?c a owl:Class } UNION { ?x rdfs:subClassOf ?c } }"
    ):
        if isinstance(sol["c"], ox.NamedNode) and sol["c"].value.startswith(ns.KG):
            classes.add(sol["c"].value)
    superclasses: dict[str, set[str]] = {c: {c} for c in classes}
    for sol in _rows(store, "SELECT ?c ?d WHERE { ?c rdfs:subClassOf ?d FILTER(isIRI(?c) && isIRI(?d)) }"):
        c, d = sol["c"].value, sol["d"].value
        if c in classes:
            superclasses.setdefault(c, {c}).add(d)
    # transitive closure in Python (the reasoner may or may not have materialised it)
    changed = True
    while changed:
        changed = False
        for sups in superclasses.values():
            extra = set().union(*(superclasses.get(s, {s}) for s in sups)) - sups
            if extra:
                sups |= extra
                changed = True

    properties: dict[str, PropertyInfo] = {}
    for sol in _rows(
        store,
        "SELECT DISTINCT ?p ?t WHERE { VALUES ?t { owl:ObjectProperty owl:DatatypeProperty } ?p a ?t }",
    ):
        p = sol["p"].value
        if not p.startswith(ns.KG) or p in _BOOKKEEPING:
            continue
        properties[p] = PropertyInfo(p, datatype=sol["t"].value.endswith("DatatypeProperty"))
    for sol in _rows(store, "SELECT ?p WHERE { ?p a owl:SymmetricProperty }"):
        if sol["p"].value in properties:
            properties[sol["p"].value].symmetric = True
    for sol in _rows(store, "SELECT ?p ?k ?c WHERE { VALUES ?k { rdfs:domain rdfs:range } ?p ?k ?c }"):
        info = properties.get(sol["p"].value)
        if info is None or not isinstance(sol["c"], ox.NamedNode):
            continue
        (info.domains if sol["k"].value.endswith("domain") else info.ranges).add(sol["c"].value)
        if sol["c"].value == ns.PREFIXES["xsd"] + "boolean":
            info.boolean = True

    types: dict[str, set[str]] = defaultdict(set)
    for sol in _rows(store, "SELECT DISTINCT ?s ?t WHERE { ?s a ?t FILTER(isIRI(?s) && isIRI(?t)) }"):
        s = sol["s"].value
        if s.startswith(ns.KR) and not is_structure(s):
            types[s].add(sol["t"].value)
    for s in [s for s, ts in types.items() if ts & _STRUCTURE_CLASSES]:
        del types[s]
    for ts in types.values():  # add superclasses the reasoner may not have written
        for t in list(ts):
            ts |= superclasses.get(t, set())

    names: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    labels: dict[str, dict[str, str | None]] = defaultdict(lambda: {"en": None, "ko": None})
    definitions: dict[str, dict[str, str]] = defaultdict(dict)
    known = set(types) | classes | set(properties)
    for sol in _rows(
        store,
        "SELECT DISTINCT ?s ?p ?l WHERE { VALUES ?p { rdfs:label skos:altLabel skos:definition kg:usageName } "
        "?s ?p ?l FILTER(isIRI(?s) && isLiteral(?l)) }",
    ):
        s, p, lit = sol["s"].value, sol["p"].value, sol["l"]
        if s not in known:
            continue
        lang = lit.language or ""
        if p == DEFINITION:
            definitions[s].setdefault(lang or "en", lit.value)
            continue
        source = {LABEL: "label", ALT: "alt"}.get(p, "name")
        names[s].append((lit.value, lang, source))
        if p == LABEL and lang in ("en", "ko") and labels[s][lang] is None:
            labels[s][lang] = lit.value
        elif p == LABEL and not lang and labels[s]["en"] is None:
            labels[s]["en"] = lit.value
    for s in types:
        local = s[len(ns.KR) :]
        if local and "/" not in local:
            names[s].append((local, "", "name"))
    for p, info in properties.items():
        info.labels = [(t, lang) for t, lang, src in names.get(p, []) if src in ("label", "alt")]
    for lst in names.values():
        lst.sort()

    entity_props: dict[str, set[tuple[str, str]]] = defaultdict(set)
    texts: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    out_edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    in_edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    literals: dict[tuple[str, str], list[ox.Literal]] = defaultdict(list)
    for sol in _rows(store, "SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o FILTER(isIRI(?s)) }"):
        s, p, o = sol["s"].value, sol["p"].value, sol["o"]
        if s not in types:
            continue
        if p in properties:
            if isinstance(o, ox.NamedNode) and o.value in types:
                entity_props[s].add((p, "out"))
                entity_props[o.value].add((p, "in"))
                out_edges[(s, p)].append(o.value)
                in_edges[(o.value, p)].append(s)
            elif isinstance(o, ox.Literal):
                entity_props[s].add((p, "out"))
                literals[(s, p)].append(o)
        if isinstance(o, ox.Literal) and p not in _NOT_DESCRIPTIVE and o.language in ("en", "ko"):
            texts[s].append((p, o.value, o.language))
    negatives: set[tuple[str, str, str]] = set()
    for sol in _rows(
        store,
        "SELECT ?s ?p ?o WHERE { ?n a owl:NegativePropertyAssertion ; owl:sourceIndividual ?s ; "
        "owl:assertionProperty ?p ; owl:targetIndividual ?o }",
    ):
        negatives.add((sol["s"].value, sol["p"].value, sol["o"].value))
    disjoint_props: dict[str, set[str]] = defaultdict(set)
    for sol in _rows(store, "SELECT ?p ?q WHERE { ?p owl:propertyDisjointWith ?q }"):
        disjoint_props[sol["p"].value].add(sol["q"].value)
        disjoint_props[sol["q"].value].add(sol["p"].value)
    super_props: dict[str, set[str]] = defaultdict(set)
    for sol in _rows(store, "SELECT ?p ?q WHERE { ?p rdfs:subPropertyOf ?q FILTER(isIRI(?q)) }"):
        if sol["p"].value != sol["q"].value:
            super_props[sol["p"].value].add(sol["q"].value)
    headings = {
        sol["s"].value: sol["h"].value for sol in _rows(store, "SELECT ?s ?h { ?s kg:headingPath ?h }")
    }
    return GraphIndex(
        names=dict(names),
        labels=dict(labels),
        types=dict(types),
        classes=classes,
        superclasses=superclasses,
        properties=properties,
        entity_props=dict(entity_props),
        texts=dict(texts),
        definitions=dict(definitions),
        headings=headings,
        out_edges=dict(out_edges),
        in_edges=dict(in_edges),
        literals=dict(literals),
        negatives=negatives,
        disjoint_props=dict(disjoint_props),
        super_props=dict(super_props),
    )
