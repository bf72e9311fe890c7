"""The REST API, run on the embedded store and on a real Oxigraph server (``api_client`` is parametrized).

Expected values come from the graph itself (SPARQL in the test), or from the vocabulary contract in TEAM.md
(``kr:kube-apiserver kg:accessesDirectly kr:etcd``), never from a list of answers kept here.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubekg import ns

ETCD = ns.KR + "etcd"
APISERVER = ns.KR + "kube-apiserver"
ACCESSES_DIRECTLY = ns.KG + "accessesDirectly"


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body


# ------------------------------------------------------------------------------------------------ entities
@pytest.mark.parametrize(
    "entity_id",
    [
        "etcd",
        "kr:etcd",
        "<https://kubekg.dev/id/etcd>",
        quote(ETCD, safe=""),
        "https://kubekg.dev/id/etcd",  # unencoded: the // must survive routing
        "https:/kubekg.dev/id/etcd",  # merged by a proxy
    ],
    ids=["local", "prefixed", "angle", "encoded", "raw-iri", "merged-slashes"],
)
def test_entity_id_forms_denote_the_same_entity(api_client, entity_id):
    response = api_client.get(f"/api/entities/{entity_id}")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["iri"] == ETCD and body["id"] == "kr:etcd" and body["key"] == "etcd"


def test_entity_labels_definition_and_types_come_from_the_graph(api_client, kg):
    body = api_client.get("/api/entities/etcd").get_json()
    assert body["labels"] == kg.labels(ETCD)
    assert sorted(body["altLabels"]) == sorted(kg.alt_labels(ETCD))
    definitions = {
        r["d"].language: r["d"].value for r in kg.select("SELECT ?d WHERE { kr:etcd skos:definition ?d }")
    }
    assert {k: v for k, v in body["definition"].items() if v} == definitions
    types = {r["t"].value for r in kg.select("SELECT ?t WHERE { kr:etcd a ?t FILTER(isIRI(?t)) }")}
    assert {t["iri"] for t in body["types"]} == types
    for t in body["types"]:
        asserted = kg.ask("ASK { kr:etcd a ?t }", {"t": t["iri"]}, asserted_only=True)
        assert t["inferred"] is (not asserted)


def test_entity_relations_both_directions_match_the_graph(api_client, kg):
    body = api_client.get("/api/entities/etcd").get_json()
    incoming = {(r["subject"]["iri"], r["predicate"]["iri"]) for r in body["relations"]["incoming"]}
    expected_in = {
        (r["s"].value, r["p"].value) for r in kg.select("SELECT DISTINCT ?s ?p WHERE { ?s ?p kr:etcd }")
    }
    assert incoming == expected_in
    assert (APISERVER, ACCESSES_DIRECTLY) in incoming  # the vocabulary contract
    annotations = "(rdfs:label, skos:altLabel, skos:definition, skos:prefLabel, rdf:type)"
    expected_out = {
        (r["p"].value, str(r["o"]))
        for r in kg.select(f"SELECT DISTINCT ?p ?o WHERE {{ kr:etcd ?p ?o FILTER(?p NOT IN {annotations}) }}")
    }
    outgoing = set()
    for r in body["relations"]["outgoing"]:
        o = r["object"]
        text = f"<{o['iri']}>" if o["type"] == "iri" else None
        if o["type"] == "literal":
            text = next(
                str(x["o"])
                for x in kg.select("SELECT ?o WHERE { kr:etcd ?p ?o }", {"p": r["predicate"]["iri"]})
                if getattr(x["o"], "value", None) == o["value"]
            )
        outgoing.add((r["predicate"]["iri"], text))
    assert outgoing == expected_out
    labelled = next(r for r in body["relations"]["incoming"] if r["predicate"]["iri"] == ACCESSES_DIRECTLY)
    assert labelled["subject"]["labels"] == kg.labels(APISERVER)
    assert labelled["predicate"]["labels"] == kg.labels(ACCESSES_DIRECTLY)
    assert labelled["inferred"] is False and labelled["graphs"]


def test_entity_sections_have_heading_paths(api_client, kg):
    body = api_client.get("/api/entities/etcd").get_json()
    assert body["sections"], "etcd is stated in at least one section"
    headings = kg.heading_paths()
    for section in body["sections"]:
        assert section["iri"].startswith(ns.SECTION)
        assert section["headingPath"] == headings[section["iri"]]
    orders = [s["order"] for s in body["sections"] if s["order"] is not None]
    assert orders == sorted(orders)


def test_entity_errata_are_those_about_it(api_client, kg):
    about = {r["e"].value for r in kg.select("SELECT ?e WHERE { ?e a kg:Erratum ; kg:about kr:etcd }")}
    body = api_client.get("/api/entities/etcd").get_json()
    assert {e["iri"] for e in body["errata"]} == about


def test_entity_markdown_is_a_cited_document(api_client, kg, store_backend):
    if store_backend != "embedded":
        pytest.skip(
            "kubekg.chat builds its fact table from whole-graph queries (~7-13 s over HTTP); embedded only"
        )
    response = api_client.get("/api/entities/etcd?format=markdown")
    assert response.status_code == 200 and response.mimetype == "text/markdown"
    text = response.get_data(as_text=True)
    assert text.startswith(f"# {kg.labels(ETCD)['en']} (`kr:etcd`)")
    assert "[1]" in text  # facts cite their sections
    assert any(path in text for path in kg.heading_paths().values())
    korean = api_client.get("/api/entities/etcd?format=markdown&lang=ko")
    assert korean.status_code == 200 and korean.get_data(as_text=True) != text


def test_class_entities_work_by_full_iri(api_client, kg):
    component = ns.KG + "Component"
    body = api_client.get(f"/api/entities/{quote(component, safe='')}").get_json()
    assert body["iri"] == component and body["labels"] == kg.labels(component)
    assert body["key"] == quote(component, safe="")


# ------------------------------------------------------------------------------------------------ search
def _ids(body: dict) -> list[str]:
    return [r["iri"] for r in body["results"]]


@pytest.mark.parametrize("entity", ["etcd", "kube-proxy", "kube-apiserver", "StatefulSet", "DaemonSet"])
def test_search_by_english_korean_and_alt_labels(api_client, kg, entity):
    iri = ns.KR + entity
    labels = kg.labels(iri)
    queries = [v for v in (labels["en"], labels["ko"], *kg.alt_labels(iri)[:3]) if v]
    for q in queries:
        body = api_client.get("/api/search", query_string={"q": q}).get_json()
        assert body["results"][0]["score"] == max(r["score"] for r in body["results"])
        top = [r for r in body["results"] if r["match"] == "exact"]
        assert iri in [r["iri"] for r in top], (q, body)


def _misspell(text: str) -> str:
    """Swap two different adjacent letters near the middle (a typing slip)."""
    for i in sorted(range(1, len(text)), key=lambda k: abs(k - len(text) // 2)):
        a, b = text[i - 1], text[i]
        if a.isalnum() and b.isalnum() and a.lower() != b.lower():
            return text[: i - 1] + b + a + text[i + 1 :]
    raise ValueError(f"cannot misspell {text!r}")


@pytest.mark.parametrize("entity", ["kube-proxy", "kube-scheduler", "StatefulSet", "Deployment"])
def test_search_tolerates_a_small_misspelling(api_client, kg, entity):
    iri = ns.KR + entity
    q = _misspell(kg.labels(iri)["en"])
    body = api_client.get("/api/search", query_string={"q": q, "limit": 5}).get_json()
    assert iri in _ids(body), (q, body)
    hit = next(r for r in body["results"] if r["iri"] == iri)
    assert hit["match"] == "fuzzy"


def test_search_ranks_exact_before_prefix_and_respects_limit(api_client):
    body = api_client.get("/api/search", query_string={"q": "kube", "limit": 3}).get_json()
    assert body["count"] == len(body["results"]) <= 3
    scores = [r["score"] for r in body["results"]]
    assert scores == sorted(scores, reverse=True)
    full = api_client.get("/api/search", query_string={"q": "etcd", "limit": 100}).get_json()
    kinds = [r["match"] for r in full["results"]]
    assert kinds[0] == "exact"
    order = {"exact": 0, "prefix": 1, "substring": 2, "fuzzy": 3}
    assert [order[k] for k in kinds if k in ("exact", "prefix")] == sorted(
        order[k] for k in kinds if k in ("exact", "prefix")
    )


def test_search_for_nonsense_finds_nothing(api_client):
    body = api_client.get("/api/search", query_string={"q": "zzqqxxjj"}).get_json()
    assert body == {"query": "zzqqxxjj", "count": 0, "results": []}


# ------------------------------------------------------------------------------------------------ explain
def test_explain_an_inferred_triple_gives_its_rule_and_premises(api_client, kg):
    row = kg.select(
        "SELECT ?s ?p ?o WHERE { GRAPH <https://kubekg.dev/graph/inferred> { ?s ?p ?o } "
        "FILTER(isIRI(?o) && ?p != rdf:type && STRSTARTS(STR(?s), STR(kr:))) } ORDER BY ?s ?p ?o LIMIT 1"
    )[0]
    query = {"s": row["s"].value, "p": row["p"].value, "o": row["o"].value}
    body = api_client.get("/api/explain", query_string=query).get_json()
    assert body["status"] == "inferred"
    assert body["rule"]["id"] in kg.rules
    assert body["premises"], "an inferred triple rests on premises"
    assert body["terms"]["subject"]["value"] == row["s"].value


def test_explain_an_asserted_triple_gives_its_sections(api_client):
    body = api_client.get(
        "/api/explain", query_string={"s": "kr:kube-apiserver", "p": "kg:accessesDirectly", "o": "kr:etcd"}
    ).get_json()
    assert body["status"] == "asserted"
    assert body["sections"] and all(s["headingPath"] for s in body["sections"])


def test_explain_an_absent_triple_is_404_with_status_absent(api_client):
    response = api_client.get(
        "/api/explain", query_string={"s": "kr:kubelet", "p": "kg:accessesDirectly", "o": "kr:etcd"}
    )
    body = _error(response, 404, "not_found")
    assert body["explanation"]["status"] == "absent"


# ------------------------------------------------------------------------------------------------ errata, graphs
def test_errata_lists_every_erratum_with_its_parts(api_client, kg):
    expected = {r["e"].value for r in kg.select("SELECT DISTINCT ?e WHERE { ?e a kg:Erratum }")}
    body = api_client.get("/api/errata").get_json()
    assert body["count"] == len(body["errata"]) == len(expected)
    assert {e["iri"] for e in body["errata"]} == expected
    for e in body["errata"]:
        assert e["sections"], e["iri"]  # (an erratum about a code example has no entity to be about)
        assert e["documentSays"]["ko"] or e["documentSays"]["en"]
        assert e["correction"]["en"] or e["correction"]["ko"]
        assert all(s["headingPath"] for s in e["sections"])
        assert all(url.startswith(("http://", "https://")) for url in e["references"])


def test_graphs_lists_named_graphs_with_counts(api_client, kg):
    body = api_client.get("/api/graphs").get_json()
    counts = kg.triple_counts()
    assert {g["iri"]: g["triples"] for g in body["graphs"]} == counts
    assert body["triples"] == sum(counts.values())
    kinds = {g["iri"]: g["kind"] for g in body["graphs"]}
    assert kinds[ns.ONTOLOGY_GRAPH] == "ontology" and kinds[ns.INFERRED_GRAPH] == "inferred"
    assert all(g["headingPath"] for g in body["graphs"] if g["kind"] == "section")


# ------------------------------------------------------------------------------------------------ client errors
LONG = "x" * 201


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("/api/search", 400, "missing_parameter"),
        ("/api/search?q=", 400, "missing_parameter"),
        ("/api/search?q=%20%20", 400, "missing_parameter"),
        (f"/api/search?q={LONG}", 400, "invalid_parameter"),
        ("/api/search?q=a%00b", 400, "invalid_parameter"),
        ("/api/search?q=etcd&limit=0", 400, "invalid_parameter"),
        ("/api/search?q=etcd&limit=101", 400, "invalid_parameter"),
        ("/api/search?q=etcd&limit=-1", 400, "invalid_parameter"),
        ("/api/search?q=etcd&limit=ten", 400, "invalid_parameter"),
        ("/api/entities/no-such-entity", 404, "not_found"),
        ("/api/entities/kg:NoSuchClass", 404, "not_found"),
        ("/api/entities/%20", 400, "invalid_parameter"),
        ("/api/entities/a%22b", 400, "invalid_parameter"),
        ("/api/entities/a%3Cb%3E", 400, "invalid_parameter"),
        (f"/api/entities/{'y' * 2001}", 400, "invalid_parameter"),
        ("/api/entities/etcd?format=xml", 400, "invalid_parameter"),
        ("/api/entities/etcd?format=markdown&lang=fr", 400, "invalid_parameter"),
        ("/api/entities/no-such-entity?format=markdown", 404, "not_found"),
        ("/api/explain", 400, "missing_parameter"),
        ("/api/explain?s=kr:etcd&p=kg:accessesDirectly", 400, "missing_parameter"),
        ("/api/explain?s=nosuchprefix:x&p=kg:accessesDirectly&o=kr:etcd", 400, "invalid_parameter"),
        ("/api/explain?s=kr:kubelet&p=kg:accessesDirectly&o=kr:etcd", 404, "not_found"),
        ("/api/explain?s=_:b1&p=_:b1&o=_:b1", 400, "invalid_parameter"),
        ('/api/explain?s=kr:etcd&p="lit"&o=kr:etcd', 400, "invalid_parameter"),
        ("/api/nothing-here", 404, "not_found"),
    ],
)
def test_client_mistakes_get_4xx_and_the_error_shape(api_client, url, status, code):
    _error(api_client.get(url), status, code)


@pytest.mark.parametrize("url", ["/api/search?q=etcd", "/api/errata", "/api/graphs", "/api/entities/etcd"])
def test_wrong_method_is_405(api_client, url):
    _error(api_client.delete(url), 405, "method_not_allowed")


# ------------------------------------------------------------------------------------------------ robustness
def test_a_remote_store_that_is_down_gives_503_not_500(free_port):
    from kubekg.web import create_app

    client = create_app({"TESTING": True, "STORE": f"http://127.0.0.1:{free_port}/query"}).test_client()
    for url in ("/api/entities/etcd", "/api/search?q=etcd", "/api/errata", "/api/graphs"):
        _error(client.get(url), 503, "store_unavailable")
    body = _error(client.get("/readyz"), 503, "not_ready")
    assert body["store"] == "remote"


TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=60)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entity=TEXT, q=TEXT, s=TEXT, p=TEXT, o=TEXT, limit=st.one_of(st.none(), TEXT, st.integers()))
def test_any_input_gets_a_response_or_a_4xx_never_a_crash(client, entity, q, s, p, o, limit):
    requests = [
        ("/api/entities/" + quote(entity, safe=""), None),
        ("/api/search", {"q": q, **({} if limit is None else {"limit": str(limit)})}),
        ("/api/explain", {"s": s, "p": p, "o": o}),
    ]
    for url, args in requests:
        response = client.get(url, query_string=args)
        assert response.status_code < 500, (url, args)
        if response.status_code >= 400:
            assert response.get_json()["error"]["code"]
