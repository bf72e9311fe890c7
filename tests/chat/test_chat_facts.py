"""Facts for retrieval: every asserted fact of the graph is one cited sentence, in a stable order (issue 5 §3)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kubekg import ns
from kubekg.chat import facts as F
from kubekg.errors import InvalidParameter
from kubekg.graph import KnowledgeGraph, build_graph, load_graph

RDF_TYPE = ns.PREFIXES["rdf"] + "type"
OWL = ns.PREFIXES["owl"]
DOCUMENT_PART = ns.KG + "DocumentPart"
SUBCLASS = ns.PREFIXES["rdfs"] + "subClassOf"


@pytest.fixture(scope="module")
def kg() -> KnowledgeGraph:
    return load_graph()


def _document_parts(kg: KnowledgeGraph) -> set[str]:
    """Every instance of kg:DocumentPart or a subclass, walking rdfs:subClassOf by hand (no reasoning relied on)."""
    classes = {DOCUMENT_PART}
    changed = True
    while changed:
        changed = False
        for q in kg.store.quads_for_pattern(None, ox.NamedNode(SUBCLASS), None, None):
            if (
                isinstance(q.object, ox.NamedNode)
                and q.object.value in classes
                and q.subject.value not in classes
            ):
                classes.add(q.subject.value)
                changed = True
    return {
        q.subject.value
        for q in kg.store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), None, None)
        if isinstance(q.object, ox.NamedNode) and q.object.value in classes
    }


def expected_fact_quads(kg: KnowledgeGraph) -> set[tuple[str, str, str, str]]:
    """FACT_RULE applied independently, by iterating the store's quads in Python."""
    parts = _document_parts(kg)
    excluded = set(F.NAMING) | set(F.STRUCTURE)
    out = set()
    for q in kg.store.quads_for_pattern(None, None, None, None):
        g = q.graph_name
        if not isinstance(g, ox.NamedNode) or not g.value.startswith(ns.SECTION):
            continue
        s, p, o = q.subject, q.predicate, q.object
        if not isinstance(s, ox.NamedNode) or isinstance(o, ox.BlankNode) or s.value in parts:
            continue
        if p.value in excluded:
            continue
        if p.value == RDF_TYPE and isinstance(o, ox.NamedNode) and o.value in F.BOOKKEEPING_TYPES:
            continue
        out.add((g.value, str(s), str(p), str(o)))
    return out


def negative_assertions(kg: KnowledgeGraph) -> int:
    npa = ox.NamedNode(OWL + "NegativePropertyAssertion")
    return sum(
        1
        for q in kg.store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), npa, None)
        if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value.startswith(ns.SECTION)
    )


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_asserted_fact_is_one_sentence(kg: KnowledgeGraph, lang: str) -> None:
    facts = F.facts(kg, lang)
    expected = expected_fact_quads(kg)
    got = {
        (f["section"]["iri"], _nt(f["subject"]), _nt(f["predicate"]), _nt(f["object"]))
        for f in facts
        if not f["negated"]
    }
    assert got == expected
    assert len(facts) == len(expected) + negative_assertions(kg)
    assert len(facts) > 1000  # the document's sections state thousands of facts
    assert all(f["text"] and f["lang"] == lang and not f["inferred"] for f in facts)
    assert len({f["id"] for f in facts}) == len(facts)


def _nt(term: dict) -> str:
    if term["type"] == "iri":
        return f"<{term['iri']}>"
    lit = ox.Literal(term["value"], language=term["lang"]) if term["lang"] else None
    if lit is None:
        lit = ox.Literal(term["value"], datatype=ox.NamedNode(term["datatype"]))
    return str(lit)


def test_excluded_triples_are_naming_structure_and_bookkeeping(kg: KnowledgeGraph) -> None:
    """The rule's exclusions are real: section graphs hold more triples than facts, and only of the excluded kinds."""
    section_triples = sum(n for g, n in kg.triple_counts().items() if g.startswith(ns.SECTION))
    assert section_triples > len(expected_fact_quads(kg))
    parts = _document_parts(kg)
    assert any(p.startswith(ns.KR + "row/") for p in parts) and any(
        p.startswith(ns.KR + "table/") for p in parts
    )
    fact_predicates = {f["predicate"]["iri"] for f in F.facts(kg, "en")}
    assert not fact_predicates & set(F.NAMING) and not fact_predicates & set(F.STRUCTURE)


def test_facts_cite_their_section_with_its_heading_path(kg: KnowledgeGraph) -> None:
    headings = kg.heading_paths()
    for f in F.facts(kg, "ko"):
        section = f["section"]
        assert section["iri"].startswith(ns.SECTION)
        assert section["headingPath"] == headings[section["iri"]]
        assert section["slug"] == section["iri"][len(ns.SECTION) :]
        assert f["sections"] == [section]


def test_order_is_section_order_then_subject_predicate_object(kg: KnowledgeGraph) -> None:
    facts = F.facts(kg, "en")
    keys = [
        (
            f["section"]["order"],
            f["section"]["iri"],
            f["subject"]["iri"],
            f["predicate"]["iri"],
            _nt(f["object"]),
        )
        for f in facts
    ]
    assert keys == sorted(keys)


def test_stable_across_restarts(kg: KnowledgeGraph) -> None:
    """A freshly built graph object (what a restarted process gets from the cache) gives the same bytes."""
    fresh = build_graph()
    assert fresh is not kg
    assert F.to_jsonl(F.facts(fresh, "ko", inferred=True)) == F.to_jsonl(F.facts(kg, "ko", inferred=True))


def test_negative_assertion_is_a_negated_fact(kg: KnowledgeGraph) -> None:
    """The document's "HPA cannot be applied to a DaemonSet" (an owl:NegativePropertyAssertion)."""
    negated = [f for f in F.facts(kg, "en") if f["negated"]]
    hits = [
        f
        for f in negated
        if f["subject"]["iri"] == ns.KR + "HorizontalPodAutoscaler"
        and f["predicate"]["iri"] == ns.KG + "canScale"
        and f["object"]["iri"] == ns.KR + "DaemonSet"
    ]
    assert len(hits) == 1
    assert hits[0]["text"].startswith("It is not the case that")
    ko = [f for f in F.facts(kg, "ko") if f["id"] == hits[0]["id"]]
    assert ko and ko[0]["text"].endswith("(아님).")


def test_inferred_facts_on_request_carry_their_rule(kg: KnowledgeGraph) -> None:
    asserted = F.facts(kg, "en")
    everything = F.facts(kg, "en", inferred=True)
    assert everything[: len(asserted)] == asserted
    inferred = everything[len(asserted) :]
    assert inferred and all(f["inferred"] and f["section"] is None for f in inferred)
    for f in inferred:
        assert f["rule"]["id"] in kg.rules, f["text"]
        assert f["subject"]["iri"].startswith(ns.KR)
        s, p = ox.NamedNode(f["subject"]["iri"]), ox.NamedNode(f["predicate"]["iri"])
        graphs = kg.graphs_of(s, p, _term(f["object"]))
        assert graphs == [ns.INFERRED_GRAPH]
    assert sum(1 for f in inferred if f["sections"]) > len(inferred) * 0.9


def _term(obj: dict) -> ox.NamedNode | ox.Literal:
    if obj["type"] == "iri":
        return ox.NamedNode(obj["iri"])
    if obj["lang"]:
        return ox.Literal(obj["value"], language=obj["lang"])
    return ox.Literal(obj["value"], datatype=ox.NamedNode(obj["datatype"]))


def test_sentences_use_the_graphs_labels_in_each_language(kg: KnowledgeGraph) -> None:
    en = {f["id"]: f for f in F.facts(kg, "en")}
    ko = {f["id"]: f for f in F.facts(kg, "ko")}
    assert en.keys() == ko.keys()
    fact = next(
        f
        for f in en.values()
        if f["subject"]["iri"] == ns.KR + "kube-proxy" and f["predicate"]["iri"] == ns.KG + "runsOn"
    )
    worker = kg.labels(fact["object"]["iri"])
    assert worker["en"] in fact["text"] and fact["text"].startswith("kube-proxy")
    assert worker["ko"] in ko[fact["id"]]["text"]


SENTENCE_CASES = [
    # (name, lang, predicate iri, predicate label, object, object is an IRI, negated, expected)
    (
        "en-verb-iri",
        "en",
        "urn:p",
        "communicates with",
        "etcd",
        True,
        False,
        "kube-apiserver communicates with etcd.",
    ),
    (
        "en-verb-literal",
        "en",
        "urn:p",
        "allows write",
        "yes",
        False,
        False,
        "kube-apiserver allows write: yes.",
    ),
    ("en-noun", "en", "urn:p", "role", "API server.", False, False, "kube-apiserver — role: API server."),
    (
        "en-type",
        "en",
        F.RDF_TYPE,
        "is a",
        "cluster component",
        True,
        False,
        "kube-apiserver is a cluster component.",
    ),
    ("en-type-vowel", "en", F.RDF_TYPE, "is a", "add-on", True, False, "kube-apiserver is an add-on."),
    (
        "en-negated",
        "en",
        "urn:p",
        "can scale",
        "DaemonSet",
        True,
        True,
        "It is not the case that kube-apiserver can scale DaemonSet.",
    ),
    (
        "ko-noun",
        "ko",
        "urn:p",
        "실행 위치",
        "마스터 노드",
        True,
        False,
        "kube-apiserver의 실행 위치: 마스터 노드.",
    ),
    ("ko-verb", "ko", "urn:p", "통신함", "etcd", True, False, "kube-apiserver → etcd: 통신함."),
    (
        "ko-type",
        "ko",
        F.RDF_TYPE,
        "유형",
        "클러스터 컴포넌트",
        True,
        False,
        "kube-apiserver의 유형: 클러스터 컴포넌트.",
    ),
    (
        "ko-negated",
        "ko",
        "urn:p",
        "적용 가능",
        "데몬셋",
        True,
        True,
        "kube-apiserver의 적용 가능: 데몬셋 (아님).",
    ),
]


@pytest.mark.parametrize(
    ("lang", "p_iri", "p_label", "obj", "is_iri", "negated", "expected"),
    [c[1:] for c in SENTENCE_CASES],
    ids=[c[0] for c in SENTENCE_CASES],
)
def test_sentence_templates(
    lang: str, p_iri: str, p_label: str, obj: str, is_iri: bool, negated: bool, expected: str
) -> None:
    assert (
        F.sentence(lang, "kube-apiserver", p_iri, p_label, obj, obj_is_iri=is_iri, negated=negated)
        == expected
    )


@pytest.mark.parametrize("bad", ["fr", "EN-us", "kr", "0"])
def test_unknown_language_is_refused(kg: KnowledgeGraph, bad: str) -> None:
    with pytest.raises(InvalidParameter, match="lang"):
        F.facts(kg, bad)


def test_literals_are_rendered_per_language(kg: KnowledgeGraph) -> None:
    port = next(
        f
        for f in F.facts(kg, "en")
        if f["subject"]["iri"] == ns.KR + "NodePort" and f["predicate"]["iri"] == ns.KG + "portRangeStart"
    )
    assert port["object"]["value"] == "30000" and port["text"].endswith(": 30000.")
    booleans = [f for f in F.facts(kg, "ko") if f["object"].get("datatype") == ns.PREFIXES["xsd"] + "boolean"]
    assert booleans and all(f["text"].rstrip(".").endswith(("예", "아니요")) for f in booleans)


def test_sections_are_the_document_tree_in_order(kg: KnowledgeGraph) -> None:
    sections = F.sections(kg)
    orders = [s["order"] for s in sections]
    assert orders == sorted(orders) and len(sections) == len(kg.heading_paths())
    grouped = F.section_facts(kg, "en")
    assert list(grouped) == [s["iri"] for s in sections if s["iri"] in grouped]


def test_facts_about_one_entity_equal_the_filtered_table() -> None:
    """An entity's facts from targeted queries (no table yet) are exactly the whole table's facts about it."""
    fresh = build_graph()
    iris = [ns.KR + e for e in ("nfs", "etcd", "HorizontalPodAutoscaler", "DaemonSet", "section/pv-pvc")]
    targeted = {iri: F.facts_about(fresh, iri, "ko", inferred=True) for iri in iris}
    F.facts(fresh, "ko", inferred=True)  # now the table exists and facts_about filters it
    for iri, found in targeted.items():
        assert found == F.facts_about(fresh, iri, "ko", inferred=True), iri
        assert all(iri in (f["subject"]["iri"], f["object"].get("iri")) for f in found)
    assert all(targeted[iri] for iri in iris[:4])
