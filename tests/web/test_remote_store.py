"""kubekg on a remote SPARQL store (a real ``oxigraph serve-read-only``): same answers, 503 when down, recovery.

The read tests use the session Oxigraph server of tests/web/conftest.py (``oxigraph_endpoint``). The outage
test runs its own Oxigraph on a fixed port so it can stop it and start it again.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlencode

import pyoxigraph as ox
import pytest
from flask import Flask
from flask.testing import FlaskClient

from kubekg import ns
from kubekg.graph import KnowledgeGraph, remote
from kubekg.sparql.testing import OxigraphProcess
from kubekg.web import create_app

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def get(client: FlaskClient, query: str, **params: str):
    return client.get("/sparql?" + urlencode({"query": query, **params}))


def count(response) -> int:
    assert response.status_code == 200, response.data[:300]
    return int(json.loads(response.data)["results"]["bindings"][0]["n"]["value"])


@pytest.fixture
def remote_client(oxigraph_endpoint: str) -> FlaskClient:
    return create_app({"TESTING": True, "STORE": oxigraph_endpoint}).test_client()


@pytest.fixture
def embedded_client(make_app: Callable[..., Flask]) -> FlaskClient:
    return make_app().test_client()


# ------------------------------------------------------------------------------------------------ same answers
@pytest.mark.parametrize(
    ("query", "params"),
    [
        (COUNT, {}),
        (COUNT, {"asserted-only": "true"}),
        (COUNT, {"default-graph-uri": ns.INFERRED_GRAPH}),
        ("SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", {}),
        (
            "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
            {"named-graph-uri": ns.ONTOLOGY_GRAPH},
        ),
        (f"SELECT (COUNT(*) AS ?n) FROM <{ns.ONTOLOGY_GRAPH}> WHERE {{ ?s ?p ?o }}", {}),
        ("SELECT (COUNT(*) AS ?n) WHERE { ?s a kg:Component }", {}),
    ],
)
def test_sparql_answers_match_the_embedded_store(
    remote_client: FlaskClient, embedded_client: FlaskClient, query: str, params: dict[str, str]
) -> None:
    assert count(get(remote_client, query, **params)) == count(get(embedded_client, query, **params))


def test_construct_and_formats_over_the_remote(remote_client: FlaskClient) -> None:
    response = get(
        remote_client,
        "CONSTRUCT { kr:etcd rdfs:label ?l } WHERE { kr:etcd rdfs:label ?l }",
        format="ntriples",
    )
    assert response.status_code == 200
    assert ox.Literal("etcd", language="en") in {
        t.object for t in ox.parse(response.data, format=ox.RdfFormat.N_TRIPLES)
    }
    assert get(remote_client, "SELECT * WHERE { kr:etcd ?p ?o }", format="tsv").data.startswith(b"?")


def test_syntax_errors_keep_the_users_line_numbers(remote_client: FlaskClient) -> None:
    response = get(remote_client, "SELECT *\nWHERE { ?s ?p }")
    assert response.status_code == 400
    assert "error at 2:" in response.get_json()["error"]["message"]


def test_bindings_become_a_values_block(oxigraph_endpoint: str, kg: KnowledgeGraph) -> None:
    backend = remote.RemoteBackend(oxigraph_endpoint)
    query = "SELECT ?label WHERE { ?x rdfs:label ?label } ORDER BY ?label"
    for iri in ("https://kubekg.dev/id/etcd", "https://kubekg.dev/id/kubelet"):
        subs = {ox.Variable("x"): ox.NamedNode(iri)}
        got = [r["label"] for r in backend.query(query, substitutions=subs)]
        assert got == [r["label"] for r in kg.select(query, bindings={"x": iri})] and got


def test_hostile_binding_values_stay_literals(oxigraph_endpoint: str) -> None:
    backend = remote.RemoteBackend(oxigraph_endpoint)
    nasty = ox.Literal('x" } } ; DROP ALL ; SELECT * { ?a ?b "')
    result = backend.query("SELECT ?v WHERE { BIND(?v AS ?w) }", substitutions={ox.Variable("v"): nasty})
    assert [r["v"] for r in result] == [nasty]
    with pytest.raises(ValueError):
        remote.values_block({ox.Variable("v"): ox.BlankNode("b")})


def test_remote_timeout_is_a_quick_503(oxigraph_endpoint: str) -> None:
    client = create_app({"TESTING": True, "STORE": oxigraph_endpoint, "MAX_ROWS": 10_000_000}).test_client()
    started = time.monotonic()
    response = get(client, "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }", timeout="0.5")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "query_timeout"
    assert time.monotonic() - started < 0.5 + 1.0


# ------------------------------------------------------------------------------------------------ outage
@pytest.fixture
def own_oxigraph(kg: KnowledgeGraph, tmp_path: Path) -> Iterator[OxigraphProcess]:
    binary = Path(sys.executable).parent / "oxigraph"
    if not binary.is_file():
        pytest.skip("the oxigraph server CLI is not installed (pip install oxigraph)")
    server = OxigraphProcess.loaded(str(binary), kg.export("nquads"), tmp_path)
    server.start()
    yield server
    server.stop()


def test_store_down_is_503_and_recovers(own_oxigraph: OxigraphProcess) -> None:
    app = create_app({"TESTING": True, "STORE": own_oxigraph.endpoint})
    client = app.test_client()
    healthy = count(get(client, COUNT))
    own_oxigraph.stop()
    response = get(client, COUNT)
    assert response.status_code == 503
    err = response.get_json()["error"]
    assert err["code"] == "store_unavailable" and own_oxigraph.endpoint in err["message"]
    assert client.get("/readyz").status_code == 503
    own_oxigraph.start()  # same port: no restart of kubekg, no sticky failure
    assert count(get(client, COUNT)) == healthy
    assert client.get("/readyz").status_code == 200
