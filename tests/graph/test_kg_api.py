"""The KnowledgeGraph API every other package uses (TEAM.md "Graph API")."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kubekg import ns
from kubekg.graph import load_graph, normalize_label

RWX_BY_MODE = "SELECT ?p WHERE { ?p kg:supportsAccessMode ?mode }"


@pytest.mark.parametrize(
    ("case", "value"),
    [
        ("IRI string", ns.KR + "ReadWriteMany"),
        ("pyoxigraph term", ox.NamedNode(ns.KR + "ReadWriteMany")),
    ],
)
def test_bindings_are_substituted(fixture_kg, case: str, value: object) -> None:
    rows = fixture_kg.select(RWX_BY_MODE, {"mode": value})
    assert [r["p"].value for r in rows] == [ns.KR + "azureFile"], case


def test_string_bindings_that_are_not_iris_become_literals(fixture_kg) -> None:
    rows = fixture_kg.select("SELECT ?s WHERE { ?s skos:altLabel ?l }", {"l": "azureFile"})
    assert [r["s"].value for r in rows] == [ns.KR + "azureFile"]
    assert fixture_kg.select("SELECT ?s WHERE { ?s skos:altLabel ?l }", {"l": "'} UNION {?s ?p ?o"}) == []


@pytest.mark.parametrize(
    ("case", "query", "expected"),
    [
        (
            "projected variable",
            "SELECT ?p ?mode WHERE { ?p kg:supportsAccessMode ?mode }",
            [ns.KR + "azureFile"],
        ),
        ("not projected", "SELECT ?p WHERE { ?p kg:supportsAccessMode ?mode }", [ns.KR + "azureFile"]),
        ("aggregate", "SELECT (COUNT(?p) AS ?n) WHERE { ?p kg:supportsAccessMode ?mode }", ["1"]),
        ("ASK", "ASK { ?p kg:supportsAccessMode ?mode }", None),
        (
            "filter with <",
            "SELECT ?p WHERE { ?p kg:supportsAccessMode ?mode FILTER(1 < 2) }",
            [ns.KR + "azureFile"],
        ),
    ],
)
def test_bindings_work_whether_or_not_projected(fixture_kg, case: str, query: str, expected) -> None:
    result = fixture_kg.query(query, {"mode": ns.KR + "ReadWriteMany"})
    if expected is None:
        assert bool(result), case
    else:
        assert [next(iter(sol)).value for sol in result] == expected, case


def test_binding_a_query_without_where_group_is_a_value_error(fixture_kg) -> None:
    with pytest.raises((ValueError, SyntaxError)):
        fixture_kg.query("DESCRIBE ?x", {"x": ns.KR + "azureFile", "y": "z"})


def test_invalid_sparql_raises_syntax_error(fixture_kg) -> None:
    with pytest.raises(SyntaxError):
        fixture_kg.query("SELEC ?x")


def test_ask_select_and_query_file(fixture_kg, fixture_queries) -> None:
    (fixture_queries / "examples").mkdir(exist_ok=True)
    (fixture_queries / "examples" / "rwx.rq").write_text(
        "SELECT ?p WHERE { ?p kg:supportsAccessMode kr:ReadWriteMany }", encoding="utf-8"
    )
    assert [s["p"].value for s in fixture_kg.query_file("examples/rwx.rq")] == [ns.KR + "azureFile"]
    assert fixture_kg.ask("ASK { kr:azureFile a kg:VolumePlugin }")
    with pytest.raises(FileNotFoundError):
        fixture_kg.query_file("../../etc/passwd")
    with pytest.raises(ValueError, match="ASK"):
        fixture_kg.ask("SELECT * WHERE { ?s ?p ?o }")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("RWX", ns.KR + "ReadWriteMany"),
        ("rwx", ns.KR + "ReadWriteMany"),
        ("Azure File", ns.KR + "azureFile"),
        ("azure-file", ns.KR + "azureFile"),
        ("Azure 파일", ns.KR + "azureFile"),
        ("EBS", ns.KR + "awsElasticBlockStore"),
        ("volume plugin", ns.KG + "VolumePlugin"),
        ("Volume.Type", ns.KG + "VolumePlugin"),
    ],
)
def test_find_by_label_or_abbreviation(fixture_kg, text: str, expected: str) -> None:
    assert fixture_kg.find(text) == [expected]


def test_find_without_match_is_empty(fixture_kg) -> None:
    assert fixture_kg.find("no such label") == []
    assert normalize_label(" Read-Write_Many. ") == "readwritemany"


def test_labels(fixture_kg) -> None:
    assert fixture_kg.labels("kr:azureFile") == {"en": "Azure File", "ko": "Azure 파일"}
    assert fixture_kg.labels(ns.KG + "Supported") == {"en": None, "ko": None}


def test_describe(fixture_kg) -> None:
    d = fixture_kg.describe(ns.KR + "azureFile")
    assert d["labels"] == {"en": "Azure File", "ko": "Azure 파일"}
    assert d["altLabels"] == ["azureFile"]
    assert {t["id"] for t in d["types"]} >= {"kg:VolumePlugin", "kg:KubernetesConcept"}
    assert {t["id"] for t in d["types"] if not t["inferred"]} == {"kg:VolumePlugin"}
    modes = {e["objectId"] for e in d["outgoing"] if e["predicateId"] == "kg:supportsAccessMode"}
    assert modes == {"kr:ReadWriteMany", "kr:ReadWriteOnce"}
    assert all(e["inferred"] for e in d["outgoing"] if e["predicateId"] == "kg:supportsAccessMode")
    assert {e["subjectId"] for e in d["incoming"] if e["predicateId"] == "kg:plugin"} == {
        "kr:cell/azureFile-RWX",
        "kr:cell/azureFile-RWO",
    }
    assert [s["headingPath"] for s in d["sections"]] == ["Kubernetes 개요 > Storage > Volume 구분"]
    assert [r["text"] for r in d["rows"]] == ["-|Azure File|azureFile|X|O|O|O"]
    (erratum,) = d["errata"]
    assert erratum["correction"]["en"] == "Azure File volumes can be expanded."


def test_errata_and_export(fixture_kg) -> None:
    (erratum,) = fixture_kg.errata()
    assert erratum["about"] == [ns.KR + "azureFile"]
    assert erratum["documentSays"].startswith("Azure File")
    nquads = fixture_kg.export("nquads")
    assert len(nquads.splitlines()) == len(fixture_kg.store)
    store = ox.Store()
    store.load(fixture_kg.export("trig"), format=ox.RdfFormat.TRIG)
    assert len(store) == len(fixture_kg.store)
    assert ox.NamedNode(ns.INFERRED_GRAPH) in set(store.named_graphs())
    with pytest.raises(ValueError, match="nquads"):
        fixture_kg.export("rdfxml")


def test_stats(fixture_kg) -> None:
    stats = fixture_kg.stats
    assert stats["total"] == len(fixture_kg.store) == stats["asserted"] + stats["inferred"]
    assert stats["triples"][ns.INFERRED_GRAPH] == stats["inferred"] > 0
    assert stats["rules"] >= 1 and stats["rounds"] >= 2


def test_load_graph_is_cached_per_process(fixture_queries, session_cache) -> None:
    fixtures = Path(__file__).parent / "fixtures"
    a = load_graph(fixtures / "ontology", fixture_queries, session_cache)
    b = load_graph(fixtures / "ontology", fixture_queries, session_cache)
    assert a is b
