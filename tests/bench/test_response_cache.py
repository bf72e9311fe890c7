"""The response cache in front of /sparql and /api/ask: hits equal misses, ETag/304, what is never stored."""

from __future__ import annotations

import io
import json
import logging

import pyoxigraph as ox
import pytest

from kubekg.sparql import cache
from kubekg.web import create_app

QUERY = "SELECT ?p WHERE { kr:etcd ?p ?o } LIMIT 3"
JSON = "application/sparql-results+json"
TOKEN = "bench-token-123"


@pytest.fixture(scope="module")
def kg():
    from kubekg.graph import load_graph

    return load_graph()


@pytest.fixture
def app(kg):
    return create_app({"TESTING": True, "GRAPH": kg})


def post(client, text=QUERY, accept=JSON, **headers):
    return client.post(
        "/sparql", data=text, content_type="application/sparql-query", headers={"Accept": accept, **headers}
    )


def test_a_repeated_query_is_answered_from_the_cache_with_the_same_bytes_and_headers(app):
    client = app.test_client()
    first, second = post(client), post(client)
    assert first.status_code == second.status_code == 200
    assert first.data == second.data
    same = {k: v for k, v in first.headers.items() if k != "X-Request-Id"}
    assert same == {k: v for k, v in second.headers.items() if k != "X-Request-Id"}
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]
    assert first.headers["ETag"] and len(app.extensions["kubekg_response_cache"].entries) == 1


def test_if_none_match_gets_304_without_a_body(app):
    client = app.test_client()
    etag = post(client).headers["ETag"]
    for _ in range(2):  # on a hit, and on a miss of a fresh app
        response = post(client, **{"If-None-Match": etag})
        assert response.status_code == 304 and response.data == b"" and response.headers["ETag"] == etag
    fresh = create_app({"TESTING": True, "GRAPH": app.extensions["kubekg"]}).test_client()
    assert post(fresh, **{"If-None-Match": f'W/{etag}, "other"'}).status_code == 304
    assert post(fresh, **{"If-None-Match": '"other"'}).status_code == 200


@pytest.mark.parametrize(
    ("case", "first", "second"),
    [
        ("format", {"accept": JSON}, {"accept": "text/csv"}),
        ("query text", {"text": QUERY}, {"text": QUERY + " # another"}),
        ("origin", {"Origin": "https://a.example"}, {"Origin": "https://b.example"}),
    ],
)
def test_each_input_a_response_depends_on_is_in_the_key(app, case, first, second):
    client = app.test_client()
    a, b = post(client, **first), post(client, **second)
    assert a.status_code == b.status_code == 200
    assert len(app.extensions["kubekg_response_cache"].entries) == 2, case


def test_errors_truncated_results_and_pages_are_never_stored(kg):
    app = create_app({"TESTING": True, "GRAPH": kg, "MAX_ROWS": 2})
    client = app.test_client()
    assert post(client, "SELECT * WHERE { ?s ?p ?o }").headers.get("X-KubeKG-Truncated") == "true"
    assert post(client, "SELECT * WHERE { oops").status_code == 400
    assert client.get("/sparql", headers={"Accept": "text/html"}).status_code == 200
    assert client.get("/sparql?query=ASK%7B%7D", headers={"Accept": "text/html"}).status_code in (200, 406)
    assert len(app.extensions["kubekg_response_cache"].entries) == 0


def test_a_setting_change_is_a_different_key(kg):
    app = create_app({"TESTING": True, "GRAPH": kg})
    client = app.test_client()
    assert post(client, "SELECT * WHERE { ?s ?p ?o } LIMIT 5").headers.get("X-KubeKG-Truncated") is None
    app.config["MAX_ROWS"] = 2
    assert post(client, "SELECT * WHERE { ?s ?p ?o } LIMIT 5").headers.get("X-KubeKG-Truncated") == "true"


def test_with_updates_on_the_key_follows_the_update_log(kg, tmp_path):
    store = ox.Store()
    store.load(kg.export("nquads"), format=ox.RdfFormat.N_QUADS)
    app = create_app(
        {"TESTING": True, "GRAPH": store, "UPDATES": True, "UPDATE_TOKEN": TOKEN, "DATA_DIR": str(tmp_path)}
    )
    client = app.test_client()
    ask = "ASK { <http://example.org/a> <http://example.org/b> 1 }"
    assert json.loads(post(client, ask).data)["boolean"] is False
    assert json.loads(post(client, ask).data)["boolean"] is False
    done = client.post(
        "/sparql/update",
        data="INSERT DATA { GRAPH <http://example.org/mine> { <http://example.org/a> <http://example.org/b> 1 } }",
        content_type="application/sparql-update",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert done.status_code == 200
    assert json.loads(post(client, ask).data)["boolean"] is True


def test_the_cache_can_be_turned_off(kg):
    assert "kubekg_response_cache" in create_app({"TESTING": True, "GRAPH": kg}).extensions
    for off in (False, 0):
        assert (
            "kubekg_response_cache"
            not in create_app({"TESTING": True, "GRAPH": kg, "RESPONSE_CACHE": off}).extensions
        )


@pytest.mark.parametrize(
    ("value", "entries"),
    [("0", None), ("2", 2), (" 50000 ", 50_000), (None, cache.MAX_ENTRIES)],
    ids=["zero-turns-it-off", "two-entries", "spaces-trimmed", "unset-default"],
)
def test_kubekg_response_cache_sets_the_number_of_entries(kg, monkeypatch, value, entries):
    if value is None:
        monkeypatch.delenv("KUBEKG_RESPONSE_CACHE", raising=False)
    else:
        monkeypatch.setenv("KUBEKG_RESPONSE_CACHE", value)
    app = create_app({"TESTING": True, "GRAPH": kg})
    installed = app.extensions.get("kubekg_response_cache")
    if entries is None:
        assert installed is None and app.config["RESPONSE_CACHE"] == 0
        return
    assert installed.entries.max_entries == entries == app.config["RESPONSE_CACHE"]
    client = app.test_client()
    for k in range(4):
        assert post(client, f"{QUERY} # {k}").status_code == 200
    assert len(installed.entries) == min(4, entries)


@pytest.mark.parametrize("value", ["-1", "ten", "1.5", "on", "", "10000001"])
def test_a_bad_kubekg_response_cache_stops_start_up_naming_it(kg, monkeypatch, value):
    from kubekg.errors import ConfigError

    monkeypatch.setenv("KUBEKG_RESPONSE_CACHE", value)
    with pytest.raises(ConfigError) as caught:
        create_app({"TESTING": True, "GRAPH": kg})
    assert caught.value.variable == "KUBEKG_RESPONSE_CACHE" and caught.value.value == value
    assert f"KUBEKG_RESPONSE_CACHE={value!r}" in caught.value.message


def test_lru_is_bounded_by_the_number_of_entries():
    lru = cache.LRU(max_bytes=1 << 20, max_entries=3)
    for k in range(5):
        lru.put((k,), cache.Entry("200 OK", (), b"x", '"e"'))
    assert len(lru) == 3 and lru.get((0,)) is None and lru.get((4,)) is not None


def test_ask_answers_are_cached_and_hits_are_counted_and_logged(app, caplog):
    client = app.test_client()
    body = {"question": "Which storage types support ReadWriteMany?"}
    first = client.post("/api/ask", json=body)
    with caplog.at_level(logging.INFO, logger="kubekg.access"):
        second = client.post("/api/ask", json=body)
    assert first.status_code == second.status_code == 200 and first.get_json() == second.get_json()
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "kubekg.access"]
    assert (
        lines
        and lines[-1]["cache"] == "hit"
        and lines[-1]["path"] == "/api/ask"
        and lines[-1]["status"] == 200
    )
    metrics = client.get("/metrics").data.decode()
    assert 'kubekg_cache_hits_total{cache="ask"}' in metrics


def test_the_apps_iterable_is_closed_only_after_the_body_was_sent():
    events = []

    class Body:
        def __iter__(self):
            events.append("iterated")
            return iter([b"hello"])

        def close(self):
            events.append("closed")

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "5")])
        return Body()

    wrapped = cache.ResponseCache(app)
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/sparql",
        "QUERY_STRING": "query=x",
        "wsgi.input": io.BytesIO(),
    }
    result = wrapped(environ, lambda status, headers, exc_info=None: events.append("started"))
    assert events == ["iterated", "started"] and b"".join(result) == b"hello"
    result.close()
    assert events[-1] == "closed"
    second = wrapped(dict(environ), lambda status, headers, exc_info=None: events.append("hit"))
    assert b"".join(second) == b"hello" and events[-1] == "hit"


def test_lru_is_bounded_by_bytes():
    lru = cache.LRU(max_bytes=3 * (100 + 512))
    for i in range(5):
        lru.put((i,), cache.Entry("200 OK", (), b"x" * 100, '"e"'))
    assert len(lru) == 3 and lru.get((0,)) is None and lru.get((4,)) is not None
