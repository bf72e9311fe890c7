"""Writes (issue 6, section 1): with updates enabled, a wrong or missing token is refused, and the document's
graphs cannot be changed even with the right token, whatever form the update takes; afterwards every document
graph has exactly the triples it had (compared quad for quad, not only counted).
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox
import pytest
from flask.testing import FlaskClient

from kubekg import ns

TOKEN = "hardening-token-0123456789"
SECTION = ns.SECTION + "deployment"
DOC = ns.DOCUMENT_GRAPH
ONTO = ns.ONTOLOGY_GRAPH
INF = ns.INFERRED_GRAPH
USER = "urn:kubekg:user:mine"
SECTION_ESCAPED = SECTION.replace("deployment", "deplo\\u0079ment")  # a SPARQL codepoint escape


@pytest.fixture
def store(kg: Any) -> ox.Store:
    """A private copy of the reasoned store (the shared graph stays untouched)."""
    copy = ox.Store()
    copy.load(kg.export("nquads"), format=ox.RdfFormat.N_QUADS)
    return copy


@pytest.fixture
def writer(make_app: Any, store: ox.Store, tmp_path: Any) -> FlaskClient:
    return make_app(GRAPH=store, UPDATES=True, UPDATE_TOKEN=TOKEN, DATA_DIR=str(tmp_path)).test_client()


def snapshot(store: ox.Store) -> dict[str, frozenset[ox.Quad]]:
    """Every named graph the document loaded, with its quads."""
    return {
        g.value: frozenset(store.quads_for_pattern(None, None, None, g))
        for g in store.named_graphs()
        if isinstance(g, ox.NamedNode)
    }


def post(client: FlaskClient, text: str, headers: dict[str, str] | None = None, **params: str) -> Any:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return client.post(
        "/sparql/update" + (f"?{query}" if query else ""),
        data=text.encode("utf-8"),
        content_type="application/sparql-update",
        headers={"Authorization": f"Bearer {TOKEN}"} if headers is None else headers,
    )


BAD_CREDENTIALS = {
    "no header": {},
    "empty bearer": {"Authorization": "Bearer "},
    "basic scheme": {"Authorization": f"Basic {TOKEN}"},
    "token without scheme": {"Authorization": TOKEN},
    "wrong token": {"Authorization": "Bearer wrong-token-0123456789"},
    "prefix of the token": {"Authorization": f"Bearer {TOKEN[:-1]}"},
    "token plus a suffix": {"Authorization": f"Bearer {TOKEN}x"},
    "upper-cased token": {"Authorization": f"Bearer {TOKEN.upper()}"},
    "token in the query string": {"X-Token": TOKEN},
    "token as a cookie": {"Cookie": f"token={TOKEN}"},
}


@pytest.mark.parametrize("name", list(BAD_CREDENTIALS))
def test_a_wrong_or_missing_token_is_refused(writer: FlaskClient, store: ox.Store, name: str) -> None:
    before = len(store)
    response = post(
        writer, f"INSERT DATA {{ GRAPH <{USER}> {{ <urn:a> <urn:b> 1 }} }}", BAD_CREDENTIALS[name]
    )
    assert response.status_code in (401, 403), response.data[:200]
    assert response.get_json()["error"]["code"] in ("unauthorized", "invalid_token")
    assert len(store) == before


def test_the_token_in_the_url_is_not_accepted(writer: FlaskClient, store: ox.Store) -> None:
    before = len(store)
    response = post(writer, "INSERT DATA { <urn:a> <urn:b> 1 }", {}, access_token=TOKEN, token=TOKEN)
    assert response.status_code == 401 and len(store) == before


def test_updates_are_refused_when_off(make_app: Any, store: ox.Store) -> None:
    client = make_app(GRAPH=store).test_client()
    response = post(client, "INSERT DATA { <urn:a> <urn:b> 1 }")
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "updates_disabled"


# every update form, aimed at the document's graphs (all with the right token)
ATTACKS = [
    f"INSERT DATA {{ GRAPH <{SECTION}> {{ <urn:a> <urn:b> 1 }} }}",
    f"INSERT DATA {{ GRAPH <{DOC}> {{ <urn:a> <urn:b> 1 }} }}",
    f"DELETE DATA {{ GRAPH <{ONTO}> {{ <{ns.KG}Component> a <http://www.w3.org/2002/07/owl#Class> }} }}",
    f"DELETE WHERE {{ GRAPH <{SECTION}> {{ ?s ?p ?o }} }}",
    f"DELETE WHERE {{ GRAPH <{INF}> {{ ?s ?p ?o }} }}",
    "DELETE WHERE { GRAPH ?g { ?s ?p ?o } }",
    "DELETE { GRAPH ?g { ?s ?p ?o } } WHERE { GRAPH ?g { ?s ?p ?o } }",
    f"WITH <{DOC}> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}",
    f"WITH <{SECTION}> INSERT {{ <urn:a> <urn:b> ?o }} WHERE {{ ?s ?p ?o }}",
    f"WITH <{USER}> DELETE {{ GRAPH <{DOC}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{DOC}> {{ ?s ?p ?o }} }}",
    f"DELETE {{ GRAPH <{ONTO}> {{ ?s ?p ?o }} }} USING <{ONTO}> WHERE {{ ?s ?p ?o }}",
    f"INSERT {{ GRAPH <{ns.GRAPH}evil> {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o }}",
    f"CLEAR GRAPH <{SECTION}>",
    f"CLEAR SILENT GRAPH <{INF}>",
    f"DROP GRAPH <{ONTO}>",
    f"DROP SILENT GRAPH <{DOC}>",
    f"CREATE GRAPH <{SECTION}>",
    f"MOVE <{SECTION}> TO <{USER}>",
    f"MOVE DEFAULT TO <{DOC}>",
    f"MOVE SILENT <{USER}> TO <{INF}>",
    f"COPY <{USER}> TO <{ONTO}>",
    f"COPY DEFAULT TO <{SECTION}>",
    f"ADD <{USER}> TO <{DOC}>",
    f"ADD SILENT DEFAULT TO <{INF}>",
    f"LOAD <http://example.org/x.ttl> INTO GRAPH <{DOC}>",
    f"LOAD SILENT <file:///etc/passwd> INTO GRAPH <{SECTION}>",
    f"PREFIX ks: <{ns.SECTION}> CLEAR GRAPH ks:deployment",
    f"BASE <{ns.SECTION}> DROP GRAPH <deployment>",
    f"INSERT DATA {{ <urn:a> <urn:b> 1 }} ; DROP GRAPH <{SECTION}>",
    f"INSERT DATA {{ GRAPH <{USER}> {{ <urn:a> <urn:b> 1 }} }} ; MOVE <{USER}> TO <{DOC}>",
    # SPARQL codepoint escapes and odd spellings of the same graph IRIs and keywords
    f"DROP GRAPH <{SECTION_ESCAPED}>",
    f"\\u0044ROP GRAPH <{SECTION}>",
    f"drop graph <{SECTION}>",
    f"DrOp\tGRAPH\n<{SECTION}>",
    f"CLEAR GRAPH <{SECTION}> # DROP GRAPH <{USER}>",
]
# the scoped forms: accepted, but they may only touch the writable graphs
SCOPED = [
    "CLEAR ALL",
    "DROP ALL",
    "CLEAR NAMED",
    "DROP NAMED",
    "CLEAR DEFAULT",
    "DROP DEFAULT",
    "DROP SILENT ALL",
]


def test_the_document_graphs_cannot_be_changed_even_with_the_token(
    writer: FlaskClient, store: ox.Store
) -> None:
    before = snapshot(store)
    assert len(before) > 10 and sum(len(q) for q in before.values()) > 1000
    assert post(writer, f"INSERT DATA {{ GRAPH <{USER}> {{ <urn:a> <urn:b> 1 }} }}").status_code == 200
    accepted = []
    for text in ATTACKS:
        response = post(writer, text)
        assert response.status_code in (200, 400, 403), (text, response.status_code, response.data[:200])
        if response.status_code == 200:
            accepted.append(text)
        else:
            assert response.get_json()["error"]["message"], text
        after = snapshot(store)
        changed = [g for g in before if after.get(g) != before[g]]
        assert not changed, f"{text!r} changed {changed[:3]}"
    # what was accepted must have been harmless: only the default or the user's graph can have changed
    assert all("DEFAULT" in t or USER in t for t in accepted), accepted
    for text in SCOPED:
        response = post(writer, text)
        assert response.status_code == 200, (text, response.data[:200])
        assert {g: q for g, q in snapshot(store).items() if g in before} == before, text
    assert not store.contains_named_graph(ox.NamedNode(USER))


@pytest.mark.parametrize(
    ("params", "text"),
    [
        ({"using-graph-uri": DOC}, "DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }"),
        (
            {"using-named-graph-uri": SECTION},
            f"DELETE {{ GRAPH <{SECTION}> {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o }}",
        ),
    ],
)
def test_protocol_dataset_parameters_do_not_open_the_document(
    writer: FlaskClient, store: ox.Store, params: dict[str, str], text: str
) -> None:
    before = snapshot(store)
    response = post(writer, text, **{k: v.replace(":", "%3A").replace("/", "%2F") for k, v in params.items()})
    assert response.status_code in (200, 400, 403), response.data[:200]
    assert snapshot(store) == before


def test_the_document_is_intact_after_a_restart_of_the_log(
    make_app: Any, store: ox.Store, tmp_path: Any, kg: Any
) -> None:
    """Replaying the update log (a new process on the same DATA_DIR) does not touch the document either."""
    client = make_app(
        GRAPH=store, UPDATES=True, UPDATE_TOKEN=TOKEN, DATA_DIR=str(tmp_path / "d")
    ).test_client()
    before = snapshot(store)
    for text in (
        f"INSERT DATA {{ GRAPH <{USER}> {{ <urn:a> <urn:b> 1 }} }}",
        f"MOVE <{USER}> TO <{DOC}>",
        "DROP ALL",
    ):
        post(client, text)
    fresh = ox.Store()
    fresh.load(kg.export("nquads"), format=ox.RdfFormat.N_QUADS)
    make_app(GRAPH=fresh, UPDATES=True, UPDATE_TOKEN=TOKEN, DATA_DIR=str(tmp_path / "d"))
    assert {g: q for g, q in snapshot(store).items() if g in before} == before
    # another store: blank nodes get new labels on load, so compare the ground quads and the counts
    assert ground(snapshot(fresh)) == ground(before)


def ground(graphs: dict[str, frozenset[ox.Quad]]) -> dict[str, tuple[int, frozenset[ox.Quad]]]:
    def blank(q: ox.Quad) -> bool:
        return isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode)

    return {g: (len(quads), frozenset(q for q in quads if not blank(q))) for g, quads in graphs.items()}


def test_a_bulk_insert_with_many_blank_nodes_is_accepted(writer: FlaskClient, store: ox.Store) -> None:
    """The query endpoint's variable cap does not apply to updates (they carry the token)."""
    triples = " ".join(f"_:b{i} <urn:p> {i} ." for i in range(600))  # over the query cap of 500
    response = post(writer, f"INSERT DATA {{ GRAPH <{USER}> {{ {triples} }} }}")
    assert response.status_code == 200, response.data[:200]
    assert response.get_json()["inserted"] == 600


def test_a_2000_triple_insert_data_is_accepted_and_visible(writer: FlaskClient, store: ox.Store) -> None:
    """The bulk form takes pyoxigraph's parser (rdflib's took ~60 s for it): accepted within the default timeout,
    visible to queries, and the document's graphs are untouched."""
    before = snapshot(store)
    triples = " ".join(f'<urn:kubekg:s{i}> <urn:p> "값 {i}"@ko .' for i in range(2000))
    response = post(writer, f"INSERT DATA {{ GRAPH <{USER}> {{ {triples} }} }}")
    assert response.status_code == 200, response.data[:200]
    assert response.get_json()["inserted"] == 2000
    reply = writer.get(
        "/sparql",
        query_string={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{USER}> {{ ?s <urn:p> ?o }} }}"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert reply.status_code == 200
    assert reply.get_json()["results"]["bindings"][0]["n"]["value"] == "2000"
    assert {g: q for g, q in snapshot(store).items() if g in before} == before
    refused = post(writer, f"DELETE DATA {{ GRAPH <{SECTION}> {{ {triples} }} }}")
    assert refused.status_code == 403 and "read-only" in refused.get_json()["error"]["message"]
