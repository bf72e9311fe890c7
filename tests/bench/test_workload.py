"""The benchmark's request mix: every catalogue query, sent as self-contained text, answers as kubekg does in-process."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kubekg.bench import load, synthetic, workload


@pytest.fixture(scope="module")
def kg():
    from kubekg.graph import load_graph

    return load_graph()


def _rows(result) -> list[tuple]:
    names = [v.value for v in result.variables]
    return sorted(tuple(str(row[n]) if row[n] is not None else "" for n in names) for row in result)


def test_every_competency_query_is_in_the_mix_with_bindings_or_reported_left_out(kg):
    queries = workload.catalogue(kg.queries_dir)
    files = sorted(p.name for p in (kg.queries_dir / "competency").glob("*.rq"))
    left_out = workload.left_out(kg.queries_dir)
    assert sorted([q.name for q in queries] + left_out) == files
    assert len(queries) >= len(files) // 2, "most of the catalogue must be in the benchmark's mix"
    for q in queries:
        params = workload.declared_parameters(q.text)
        assert set(params) <= set(q.bindings), f"{q.name}: declares {params}, bound {sorted(q.bindings)}"
        assert _rows(kg.query(q.text, dict(q.bindings))), f"{q.name}: no answer with the benchmark's bindings"


def test_declared_parameters_are_read_from_the_header():
    text = "# title: x\n# kind: relation; bind ?entity and ?property\nSELECT * WHERE { ?entity ?property ?v }"
    assert workload.declared_parameters(text) == ["entity", "property"]
    assert workload.declared_parameters("SELECT * WHERE { ?s ?p ?o }") == []


def test_self_contained_text_gives_the_in_process_answer(kg):
    for q in workload.catalogue(kg.queries_dir):
        expected = _rows(kg.query(q.text, dict(q.bindings)))
        got = _rows(kg.store.query(q.http_text, use_default_graph_as_union=True))
        assert got == expected, q.name


@pytest.mark.parametrize(
    ("case", "text", "bindings", "expected"),
    [
        (
            "projected variable becomes (term AS ?var)",
            "SELECT ?a ?b WHERE { ?a <p> ?b }",
            {"a": ox.NamedNode("http://x/a")},
            "SELECT (<http://x/a> AS ?a) ?b WHERE { <http://x/a> <p> ?b }",
        ),
        (
            "literal in a filter",
            "SELECT ?b WHERE { ?a <p> ?b FILTER (?b != ?c) }",
            {"c": ox.Literal("1", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))},
            'SELECT ?b WHERE { ?a <p> ?b FILTER (?b != "1"^^<http://www.w3.org/2001/XMLSchema#integer>) }',
        ),
        (
            "order by takes a bracketed expression",
            "SELECT ?b WHERE { ?a <p> ?b } ORDER BY ?a",
            {"a": ox.NamedNode("http://x/a")},
            "SELECT ?b WHERE { <http://x/a> <p> ?b } ORDER BY (<http://x/a>)",
        ),
        (
            "a VALUES target cannot be replaced",
            "SELECT ?b WHERE { VALUES ?a { <x> } ?a <p> ?b }",
            {"a": ox.NamedNode("http://x/a")},
            None,
        ),
        (
            "a BIND target cannot be replaced",
            "SELECT ?b WHERE { BIND (<x> AS ?a) }",
            {"a": ox.NamedNode("http://x/a")},
            None,
        ),
        (
            "names inside strings and comments stay",
            'SELECT ?b WHERE { ?b <p> "?a" } # ?a',
            {"a": ox.NamedNode("http://x/a")},
            'SELECT ?b WHERE { ?b <p> "?a" } # ?a',
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and " " in v and "{" not in v else "",
)
def test_substitute(case, text, bindings, expected):
    assert workload.substitute(text, bindings) == expected


def test_unique_text_differs_and_still_parses(kg):
    q = workload.catalogue(kg.queries_dir)[0]
    texts = {workload.unique_text(q.http_text, n) for n in range(3)}
    assert len(texts) == 3
    for text in texts:
        kg.store.query(text, use_default_graph_as_union=True)


def test_wrk_script_embeds_bodies_exactly():
    bodies = (b'SELECT * { ?s ?p "\\"" }\n# ]]', "질문 ]=".encode())
    script = load.lua_script(load.Mix("/sparql", bodies, unique=True))
    assert '"SELECT * { ?s ?p \\034\\092\\034\\034 }\\010# ]]"' in script
    assert '"\\236\\167\\136\\235\\172\\184 ]="' in script
    assert "local unique = true" in script and "BENCHJSON" in script


def test_percentile_nearest_rank():
    values = [float(i) for i in range(1, 101)]
    assert load.percentile(values, 50) == 50.0
    assert load.percentile(values, 99) == 99.0
    assert load.percentile([], 99) == 0.0


def test_synthetic_state_is_valid_nquads_of_about_the_asked_size():
    data = synthetic.generate(5000)
    assert abs(data.quads - 5000) < 200
    store = ox.Store()
    store.bulk_load(data.data, format=ox.RdfFormat.N_QUADS)
    assert len(store) == data.quads  # no duplicates
    pods = store.query(
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?pod <https://kubekg.dev/ontology#objectKind> <https://kubekg.dev/id/Pod> ;"
        " <https://kubekg.dev/ontology#mountsClaim> ?c . ?c <https://kubekg.dev/ontology#boundTo> ?pv ."
        " ?pv <https://kubekg.dev/ontology#volumePlugin> ?plugin } }"
    )
    assert int(next(pods)["n"].value) == data.pods
    assert synthetic.generate(5000).data == data.data  # deterministic
