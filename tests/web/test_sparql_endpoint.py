"""The /sparql endpoint through the Flask test client: one test per SPARQL 1.1 Protocol behaviour (Oxigraph style).

Runs on the embedded reasoned graph (the ``make_app``/``client`` fixtures of tests/web/conftest.py). Updates
run on a private copy of the store so the shared graph is never written. The live gunicorn behaviours (the
timeout that recycles a worker, SPARQLWrapper as a client, durability across restarts and SIGKILL) are in
test_sparql_live.py.
"""

from __future__ import annotations

import csv
import io
import json
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urlencode

import pyoxigraph as ox
import pytest
from flask import Flask
from flask.testing import FlaskClient

from kubekg import ns
from kubekg.graph import KnowledgeGraph

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
LABEL = "SELECT ?label WHERE { kr:etcd rdfs:label ?label } ORDER BY ?label"
CONSTRUCT = "CONSTRUCT { kr:etcd rdfs:label ?l } WHERE { kr:etcd rdfs:label ?l }"
TOKEN = "update-token-for-tests"
FORM = "application/x-www-form-urlencoded"


def get(client: FlaskClient, query: str, headers: dict[str, str] | None = None, **params: str):
    return client.get("/sparql?" + urlencode({"query": query, **params}), headers=headers or {})


def error(response) -> dict:
    assert response.is_json, response.data[:200]
    return response.get_json()["error"]


def n(response) -> int:
    assert response.status_code == 200, response.data[:300]
    return int(json.loads(response.data)["results"]["bindings"][0]["n"]["value"])


# ------------------------------------------------------------------------------------------------ query operation
def test_get(client: FlaskClient) -> None:
    response = get(client, LABEL)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/sparql-results+json"
    values = {b["label"]["value"] for b in json.loads(response.data)["results"]["bindings"]}
    assert "etcd" in values


def test_post_form(client: FlaskClient) -> None:
    response = client.post("/sparql", data=urlencode({"query": LABEL}), content_type=FORM)
    assert response.status_code == 200 and json.loads(response.data)["results"]["bindings"]


def test_post_direct(client: FlaskClient) -> None:
    response = client.post(
        "/sparql", data=LABEL.encode(), content_type="application/sparql-query; charset=utf-8"
    )
    assert response.status_code == 200 and json.loads(response.data)["results"]["bindings"]


def test_predeclared_prefixes_and_korean_literals(client: FlaskClient) -> None:
    response = get(client, 'ASK { kr:etcd rdfs:label ?l FILTER(lang(?l) = "ko") }')
    assert json.loads(response.data)["boolean"] is True


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv; charset=utf-8"),
        ("text/tab-separated-values", "text/tab-separated-values; charset=utf-8"),
        ("text/csv;q=0.2, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
    ],
)
def test_select_formats_by_accept(client: FlaskClient, accept: str, content_type: str) -> None:
    response = get(client, LABEL, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert "Accept" in response.headers["Vary"]
    assert "etcd" in response.data.decode()


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_select_formats_by_parameter(client: FlaskClient, fmt: str) -> None:
    response = get(client, LABEL, headers={"Accept": "text/turtle"}, format=fmt)
    assert response.status_code == 200
    body = response.data.decode()
    if fmt == "json":
        assert json.loads(body)["head"]["vars"] == ["label"]
    elif fmt == "xml":
        assert ET.fromstring(body).tag == "{http://www.w3.org/2005/sparql-results#}sparql"
    elif fmt == "csv":
        assert next(csv.reader(io.StringIO(body))) == ["label"]
    else:
        assert body.splitlines()[0] == "?label"


@pytest.mark.parametrize(
    ("how", "value", "rdf_format"),
    [
        ("accept", "text/turtle", ox.RdfFormat.TURTLE),
        ("accept", "application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("accept", "application/rdf+xml", ox.RdfFormat.RDF_XML),
        ("accept", "application/ld+json", ox.RdfFormat.JSON_LD),
        ("format", "turtle", ox.RdfFormat.TURTLE),
        ("format", "ntriples", ox.RdfFormat.N_TRIPLES),
        ("format", "rdfxml", ox.RdfFormat.RDF_XML),
        ("format", "jsonld", ox.RdfFormat.JSON_LD),
    ],
)
def test_construct_formats(client: FlaskClient, how: str, value: str, rdf_format: ox.RdfFormat) -> None:
    if how == "accept":
        response = get(client, CONSTRUCT, headers={"Accept": value})
    else:
        response = get(client, CONSTRUCT, format=value)
    assert response.status_code == 200
    triples = list(ox.parse(response.data, format=rdf_format))
    assert ox.Literal("etcd", language="en") in {t.object for t in triples}


def test_describe_defaults_to_turtle(client: FlaskClient) -> None:
    response = get(client, "DESCRIBE kr:etcd")
    assert response.headers["Content-Type"].startswith("text/turtle")
    assert list(ox.parse(response.data, format=ox.RdfFormat.TURTLE))


def test_406_is_a_json_error(client: FlaskClient) -> None:
    response = get(client, LABEL, headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert error(response)["code"] == "not_acceptable"


def test_406_for_a_graph_format_on_select(client: FlaskClient) -> None:
    assert get(client, LABEL, format="turtle").status_code == 406


def test_415_unknown_content_type(client: FlaskClient) -> None:
    response = client.post("/sparql", data=b"ASK {}", content_type="text/plain")
    assert response.status_code == 415 and error(response)["code"] == "unsupported_media_type"


def test_415_missing_content_type(client: FlaskClient) -> None:
    response = client.post("/sparql", data=b"query=ASK%20%7B%7D")
    assert response.status_code == 415


def test_400_bad_syntax_carries_the_parser_message(client: FlaskClient) -> None:
    response = get(client, "SELECT * WHERE { ?s ?p }")
    assert response.status_code == 400
    err = error(response)
    assert err["code"] == "query_syntax" and "error at 1:" in err["message"]


def test_400_two_queries(client: FlaskClient) -> None:
    response = client.get("/sparql?query=ASK%20%7B%7D&query=SELECT%20*%20%7B%7D")
    assert response.status_code == 400 and "exactly one" in error(response)["message"]


def test_400_invalid_utf8(client: FlaskClient) -> None:
    response = client.post("/sparql", data=b"ASK { ?s ?p \xff }", content_type="application/sparql-query")
    assert response.status_code == 400 and error(response)["code"] == "invalid_utf8"


def test_400_non_utf8_charset(client: FlaskClient) -> None:
    response = client.post(
        "/sparql", data="ASK {}".encode("utf-16"), content_type="application/sparql-query; charset=UTF-16"
    )
    assert response.status_code == 400


def test_405_other_methods(client: FlaskClient) -> None:
    response = client.put("/sparql?query=ASK%20%7B%7D")
    assert response.status_code == 405 and "POST" in response.headers["Allow"]


def test_413_body_too_large(make_app: Callable[..., Flask]) -> None:
    client = make_app(MAX_BODY_BYTES=4096).test_client()
    query = "ASK { " + "?s ?p ?o . " * 1000 + "}"
    for ctype, body in (("application/sparql-query", query), (FORM, urlencode({"query": query}))):
        response = client.post("/sparql", data=body, content_type=ctype)
        assert response.status_code == 413, ctype
        assert error(response)["code"] == "payload_too_large"


# ------------------------------------------------------------------------------------------------ datasets
def test_asserted_only_hides_inferred_triples(client: FlaskClient, kg: KnowledgeGraph) -> None:
    inferred = kg.stats["inferred"]
    assert inferred > 0
    everything = n(get(client, COUNT))
    assert n(get(client, COUNT, **{"asserted-only": "true"})) == everything - inferred
    assert n(get(client, COUNT, inferred="false")) == everything - inferred


def test_asserted_only_hides_the_inferred_named_graph(client: FlaskClient) -> None:
    query = f"ASK {{ GRAPH <{ns.INFERRED_GRAPH}> {{ ?s ?p ?o }} }}"
    assert json.loads(get(client, query).data)["boolean"] is True
    assert json.loads(get(client, query, **{"asserted-only": "true"}).data)["boolean"] is False


def test_default_graph_uri(client: FlaskClient, kg: KnowledgeGraph) -> None:
    response = get(client, COUNT, **{"default-graph-uri": ns.INFERRED_GRAPH})
    assert n(response) == kg.stats["inferred"]


def test_named_graph_uri(client: FlaskClient) -> None:
    query = "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert n(get(client, query, **{"named-graph-uri": ns.ONTOLOGY_GRAPH})) == 1
    assert n(get(client, query)) > 3


def test_protocol_dataset_wins_over_from(client: FlaskClient, kg: KnowledgeGraph) -> None:
    query = f"SELECT (COUNT(*) AS ?n) FROM <{ns.ONTOLOGY_GRAPH}> WHERE {{ ?s ?p ?o }}"
    assert n(get(client, query, **{"default-graph-uri": ns.INFERRED_GRAPH})) == kg.stats["inferred"]
    assert n(get(client, query)) == kg.stats["triples"][ns.ONTOLOGY_GRAPH]


def test_bad_dataset_iri_is_400(client: FlaskClient) -> None:
    assert get(client, COUNT, **{"default-graph-uri": "no iri"}).status_code == 400


# ------------------------------------------------------------------------------------------------ service description
def test_service_description(client: FlaskClient, kg: KnowledgeGraph) -> None:
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/turtle")
    store = ox.Store()
    store.load(response.data, format=ox.RdfFormat.TURTLE)
    sd = "http://www.w3.org/ns/sparql-service-description#"
    assert store.query(
        f"ASK {{ ?s <{sd}endpoint> <http://localhost/sparql> ; <{sd}supportedLanguage> <{sd}SPARQL11Query> }}"
    )
    assert not store.query(f"ASK {{ ?s <{sd}supportedLanguage> <{sd}SPARQL11Update> }}")
    names = {r["g"].value for r in store.query(f"SELECT ?g {{ ?x <{sd}name> ?g }}")}
    assert names == set(kg.stats["triples"])


@pytest.mark.parametrize(
    ("accept", "rdf_format"),
    [
        ("application/rdf+xml", ox.RdfFormat.RDF_XML),
        ("application/ld+json", ox.RdfFormat.JSON_LD),
        (None, ox.RdfFormat.TURTLE),
    ],
)
def test_service_description_formats(
    client: FlaskClient, accept: str | None, rdf_format: ox.RdfFormat
) -> None:
    response = client.get("/sparql", headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    assert len(list(ox.parse(response.data, format=rdf_format))) > 10


def test_browser_gets_the_editor_page(client: FlaskClient) -> None:
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = client.get("/sparql", headers={"Accept": accept})
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")
    assert b"<textarea" in response.data


def test_browser_following_a_query_link_gets_the_editor_prefilled(client: FlaskClient) -> None:
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = get(client, "SELECT ?x WHERE { ?x a kg:Component }", headers={"Accept": accept})
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")
    assert b"?x a kg:Component" in response.data  # prefilled (escaped by the template), not executed
    assert get(client, "ASK {}", headers={"Accept": accept}, format="json").is_json  # format= still answers


# ------------------------------------------------------------------------------------------------ limits and safety
SERVICE_TARGETS = [
    "http://127.0.0.1:9/",
    "http://127.1:9/",
    "http://2130706433:9/",
    "http://0x7f000001:9/",
    "http://[::1]:9/",
    "http://[::ffff:127.0.0.1]:9/",
    "http://localhost:9/",
    "http://10.0.0.1/",
    "http://169.254.169.254/latest/meta-data/",
    "file:///etc/passwd",
    "http://example.org/sparql",
]


@pytest.mark.parametrize("target", SERVICE_TARGETS)
def test_service_is_refused(client: FlaskClient, target: str) -> None:
    response = get(client, f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}")
    assert response.status_code == 403
    assert error(response)["code"] == "service_not_allowed"


@pytest.mark.parametrize(
    "target", ["http://127.0.0.1:9/", "http://2130706433:9/", "http://[::1]:9/", "file:///etc/passwd"]
)
def test_service_refused_even_with_an_allowlist(make_app: Callable[..., Flask], target: str) -> None:
    client = make_app(SERVICE_ALLOWLIST="example.org").test_client()
    response = get(client, f"SELECT * WHERE {{ SERVICE SILENT <{target}> {{ ?s ?p ?o }} }}")
    assert response.status_code == 403
    assert target in error(response)["message"]


def test_service_with_a_variable_is_refused(make_app: Callable[..., Flask]) -> None:
    client = make_app(SERVICE_ALLOWLIST="example.org").test_client()
    response = get(client, "SELECT * WHERE { VALUES ?e { <http://example.org/> } SERVICE ?e { ?s ?p ?o } }")
    assert response.status_code == 403 and "variable" in error(response)["message"]


def test_from_is_never_dereferenced(client: FlaskClient) -> None:
    for iri in ("file:///etc/passwd", "http://127.0.0.1:9/data.ttl"):
        assert n(get(client, f"SELECT (COUNT(*) AS ?n) FROM <{iri}> WHERE {{ ?s ?p ?o }}")) == 0


def test_timeout_parameter_is_validated_and_capped(make_app: Callable[..., Flask]) -> None:
    client = make_app(QUERY_TIMEOUT=5, MAX_TIMEOUT=20).test_client()
    assert get(client, "ASK {}").headers["X-KubeKG-Timeout"] == "5"
    assert get(client, "ASK {}", timeout="2.5").headers["X-KubeKG-Timeout"] == "2.5"
    assert get(client, "ASK {}", timeout="999").headers["X-KubeKG-Timeout"] == "20"
    for bad in ("0", "-1", "soon", "nan"):
        response = get(client, "ASK {}", timeout=bad)
        assert response.status_code == 400 and error(response)["code"] == "invalid_parameter", bad


def test_timeout_is_a_503_json_error(make_app: Callable[..., Flask]) -> None:
    client = make_app(MAX_ROWS=10_000_000).test_client()  # so the cap does not end the product first
    started = time.monotonic()
    response = get(client, "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }", timeout="0.3")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert error(response)["code"] == "query_timeout"
    assert response.headers["Retry-After"] == "1"
    assert elapsed < 0.3 + 1.0


def test_row_cap(make_app: Callable[..., Flask]) -> None:
    client = make_app(MAX_ROWS=5).test_client()
    response = get(client, "SELECT * WHERE { ?s ?p ?o }")
    assert response.headers["X-KubeKG-Truncated"] == "true"
    assert response.headers["X-KubeKG-Row-Limit"] == "5"
    body = json.loads(response.data)
    assert len(body["results"]["bindings"]) == 5
    assert body["kubekg"] == {"truncated": True, "rowLimit": 5}
    small = get(client, "SELECT * WHERE { kr:etcd rdfs:label ?l FILTER(lang(?l) = 'en') }")
    assert "X-KubeKG-Truncated" not in small.headers and "kubekg" not in json.loads(small.data)


def test_default_row_cap_is_ten_thousand(client: FlaskClient) -> None:
    response = get(client, "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }", format="tsv")
    assert response.headers["X-KubeKG-Row-Limit"] == "10000"
    assert len(response.data.decode().splitlines()) == 1 + 10000


# ------------------------------------------------------------------------------------------------ updates
def test_updates_refused_by_default(client: FlaskClient) -> None:
    insert = "INSERT DATA { <http://example.org/a> <http://example.org/b> 1 }"
    attempts = [
        client.post("/sparql/update", data=insert, content_type="application/sparql-update"),
        client.post("/sparql/update", data=urlencode({"update": insert}), content_type=FORM),
        client.post("/sparql", data=urlencode({"update": insert}), content_type=FORM),
        client.post("/sparql", data=insert, content_type="application/sparql-update"),
        client.get("/sparql?update=" + quote(insert)),
        client.get("/sparql/update?update=" + quote(insert)),
    ]
    for response in attempts:
        assert response.status_code == 403
        assert error(response)["code"] == "updates_disabled"
        assert "UPDATES" in error(response)["message"]


@pytest.fixture
def update_client(make_app: Callable[..., Flask], kg: KnowledgeGraph, tmp_path: Path) -> FlaskClient:
    """Updates on, over a private copy of the reasoned store (the shared graph stays untouched)."""
    store = ox.Store()
    store.load(kg.export("nquads"), format=ox.RdfFormat.N_QUADS)
    app = make_app(GRAPH=store, UPDATES=True, UPDATE_TOKEN=TOKEN, DATA_DIR=str(tmp_path))
    return app.test_client()


def post_update(client: FlaskClient, text: str, token: str | None = TOKEN):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post("/sparql/update", data=text, content_type="application/sparql-update", headers=headers)


def test_update_without_token_is_401(update_client: FlaskClient) -> None:
    response = post_update(
        update_client, "INSERT DATA { <http://example.org/a> <http://example.org/b> 1 }", token=None
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert error(response)["code"] == "unauthorized"


def test_update_with_wrong_token_is_403(update_client: FlaskClient) -> None:
    response = post_update(
        update_client,
        "INSERT DATA { <http://example.org/a> <http://example.org/b> 1 }",
        token="wrong-token-123",
    )
    assert response.status_code == 403 and error(response)["code"] == "invalid_token"


def test_update_with_token_is_applied(update_client: FlaskClient) -> None:
    response = post_update(
        update_client,
        "INSERT DATA { GRAPH <http://example.org/mine> { <http://example.org/a> <http://example.org/b> 1 } }",
    )
    assert response.status_code == 200 and response.get_json()["inserted"] == 1
    assert json.loads(get(update_client, "ASK { <http://example.org/a> <http://example.org/b> 1 }").data)[
        "boolean"
    ]


@pytest.mark.parametrize(
    "text",
    [
        f"CLEAR GRAPH <{ns.ONTOLOGY_GRAPH}>",
        f"DROP GRAPH <{ns.INFERRED_GRAPH}>",
        f"DELETE WHERE {{ GRAPH <{ns.DOCUMENT_GRAPH}> {{ ?s ?p ?o }} }}",
        "DELETE WHERE { GRAPH ks:deployment { ?s ?p ?o } }",
        "INSERT DATA { GRAPH ks:deployment { kr:etcd kg:runsOn kr:worker-node } }",
        "WITH ks:deployment DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
        "DELETE { GRAPH ?g { ?s ?p ?o } } WHERE { GRAPH ?g { ?s ?p ?o } }",
        f"MOVE <{ns.DOCUMENT_GRAPH}> TO <http://example.org/stolen>",
    ],
)
def test_update_on_document_graphs_is_refused(
    update_client: FlaskClient, kg: KnowledgeGraph, text: str
) -> None:
    response = post_update(update_client, text)
    assert response.status_code == 403 and error(response)["code"] == "protected_graph"
    counts = json.loads(
        get(update_client, "SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g").data
    )
    assert {b["g"]["value"]: int(b["n"]["value"]) for b in counts["results"]["bindings"]} == kg.stats[
        "triples"
    ]


def test_clear_all_keeps_the_document(update_client: FlaskClient, kg: KnowledgeGraph) -> None:
    post_update(update_client, "INSERT DATA { <http://example.org/a> <http://example.org/b> 1 }")
    response = post_update(update_client, "CLEAR ALL")
    assert response.status_code == 200 and response.get_json()["deleted"] == 1
    assert n(get(update_client, COUNT)) == kg.stats["total"]


def test_update_get_is_405(update_client: FlaskClient) -> None:
    response = update_client.get(
        "/sparql/update?update=CLEAR%20ALL", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 405 and response.headers["Allow"] == "POST"


def test_update_on_query_path_points_to_the_update_path(update_client: FlaskClient) -> None:
    response = update_client.post("/sparql", data=urlencode({"update": "CLEAR ALL"}), content_type=FORM)
    assert response.status_code == 400 and "/sparql/update" in error(response)["message"]


def test_load_is_refused_with_the_token(update_client: FlaskClient) -> None:
    response = post_update(update_client, "LOAD <http://127.0.0.1:9/data.ttl>")
    assert response.status_code == 403 and error(response)["code"] == "load_not_allowed"


def test_service_description_lists_the_update_endpoint(update_client: FlaskClient) -> None:
    response = update_client.get("/sparql", headers={"Accept": "application/n-triples"})
    assert (
        b"<http://localhost/sparql/update> <http://www.w3.org/ns/sparql-service-description#supportedLanguage>"
        in response.data
    )


def test_updates_without_token_fail_at_start_up(make_app: Callable[..., Flask], tmp_path: Path) -> None:
    from kubekg.errors import ConfigError

    with pytest.raises(ConfigError, match="UPDATE_TOKEN"):
        make_app(UPDATES=True, UPDATE_TOKEN="", DATA_DIR=str(tmp_path))


def test_allowlisted_service_cannot_be_redirected_elsewhere(make_app: Callable[..., Flask]) -> None:
    """An allow-listed endpoint answering a redirect to another (loopback) host reaches nothing: no redirects."""
    import http.server
    import threading

    hits: list[str] = []

    class Target(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        do_POST = do_GET

        def log_message(self, *args: object) -> None:
            pass

    target = http.server.HTTPServer(("127.0.0.1", 0), Target)

    class Redirector(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{target.server_port}/secret")
            self.end_headers()

        do_POST = do_GET

        def log_message(self, *args: object) -> None:
            pass

    redirector = http.server.HTTPServer(("127.0.0.1", 0), Redirector)
    for server in (target, redirector):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = make_app(SERVICE_ALLOWLIST=f"127.0.0.1:{redirector.server_port}").test_client()
        query = (
            f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{redirector.server_port}/sparql> {{ ?s ?p ?o }} }}"
        )
        response = get(client, query, timeout="5")
        assert response.status_code == 502 and "redirect" in error(response)["message"]
        assert hits == []  # the redirect target was never contacted
        direct = get(
            client, f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{target.server_port}/> {{ ?s ?p ?o }} }}"
        )
        assert direct.status_code == 403  # and it is not allow-listed itself
    finally:
        for server in (target, redirector):
            server.shutdown()
            server.server_close()
