"""No way out (issue 6, section 1): SERVICE, LOAD and graph IRIs never reach loopback, private or link-local
addresses, ``file:`` or any host that is not allow-listed, whatever the spelling, and not through redirects.

A recording HTTP server listens on loopback; every hostile spelling points at its port, so anything that slipped
through would show up as a hit. The endpoint runs with an allow-list holding only a public name (example.org),
so the refusals come from the host checks, not from an empty list. LOAD is tried with a valid update token.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox
import pytest
from flask import Flask
from flask.testing import FlaskClient

TOKEN = "hardening-token-0123456789"


class Recorder:
    """A loopback HTTP server remembering every request; optionally redirecting them to ``redirect_to``."""

    def __init__(self, redirect_to: str | None = None) -> None:
        self.hits: list[str] = []
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _any(self) -> None:
                recorder.hits.append(f"{self.command} {self.path}")
                if redirect_to:
                    self.send_response(307)
                    self.send_header("Location", redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = b"<http://leak.example/s> <http://leak.example/p> <http://leak.example/o> .\n"
                self.send_response(200)
                self.send_header("Content-Type", "application/n-triples")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_HEAD = _any  # noqa: N815 - the http.server API

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    server = Recorder()
    yield server
    server.close()


def spellings(port: int) -> list[str]:
    """Ways to write loopback, private, link-local and local-file targets (all at the recorder's port)."""
    hosts = [
        "127.0.0.1",
        "127.1",
        "127.0.1",
        "2130706433",  # decimal
        "0x7f000001",  # hex
        "0X7F.0.0.1",
        "0x7f.1",
        "0177.0.0.1",  # octal
        "017700000001",
        "0177.1",
        "127.000.000.001",
        "127.0.0.1.",
        "[::1]",
        "[0:0:0:0:0:0:0:1]",
        "[::ffff:127.0.0.1]",
        "[::ffff:7f00:1]",
        "[::127.0.0.1]",  # IPv4-compatible
        "[64:ff9b::7f00:1]",  # NAT64
        "[2002:7f00:1::]",  # 6to4
        "[fe80::1]",
        "[fc00::1]",
        "localhost",
        "localhost.",
        "LOCALHOST",
        "LocalHost.",
        "foo.localhost",
        "0.0.0.0",
        "0",
        "10.0.0.1",
        "172.16.0.1",
        "192.168.1.1",
        "100.64.0.1",
        "169.254.169.254",
        "224.0.0.1",
        "%31%32%37.0.0.1",  # percent-encoding
        "127.0.0.1%2f",
        "１２７.０.０.１",  # fullwidth digits (IDNA maps them to ASCII)
        "example.org@127.0.0.1",  # userinfo
        "example.org:80@127.0.0.1",
        "example.org\\@127.0.0.1",
        "127.0.0.1\\.example.org",
        "127.0.0.1\t",
    ]
    iris = [f"http://{host}:{port}/sparql" for host in hosts]
    iris += [f"https://{hosts[3]}:{port}/", f"HTTP://127.0.0.1:{port}/", f"hTTp://[::1]:{port}/"]
    iris += ["file:///etc/passwd", "FILE:///etc/passwd", "file://localhost/etc/passwd", "ftp://127.0.0.1/x"]
    iris += [f"gopher://127.0.0.1:{port}/", f"http://example.net:{port}/"]  # not on the list at all
    return iris


def get(client: FlaskClient, query: str, **params: str) -> Any:
    return client.get("/sparql?" + urlencode({"query": query, **params}))


@pytest.fixture
def guarded(make_app: Any, kg: Any, tmp_path: Any) -> FlaskClient:
    """Updates on (with the token) over a private copy of the store; only example.org is allow-listed."""
    store = ox.Store()
    store.load(kg.export("nquads"), format=ox.RdfFormat.N_QUADS)
    app: Flask = make_app(
        GRAPH=store, UPDATES=True, UPDATE_TOKEN=TOKEN, DATA_DIR=str(tmp_path), SERVICE_ALLOWLIST="example.org"
    )
    return app.test_client()


def update(client: FlaskClient, text: str) -> Any:
    return client.post(
        "/sparql/update",
        data=text.encode("utf-8"),
        content_type="application/sparql-update",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )


def refused(response: Any, code: str) -> str:
    assert response.status_code in (400, 403), (response.status_code, response.data[:300])
    error = response.get_json()["error"]
    if response.status_code == 403:
        assert error["code"] == code, error
    else:  # an IRI that SPARQL itself cannot write (a tab, a backslash) is a syntax error: refused all the same
        assert error["code"] == "query_syntax", error
    return error["message"]


def test_service_to_any_hostile_spelling_is_refused(guarded: FlaskClient, recorder: Recorder) -> None:
    for iri in spellings(recorder.port):
        for form in ("SERVICE <{}> {{ ?s ?p ?o }}", "SERVICE SILENT <{}> {{ ?s ?p ?o }}"):
            query = "SELECT * WHERE { " + form.format(iri) + " }"
            message = refused(get(guarded, query), "service_not_allowed")
            assert message, iri
    assert recorder.hits == []


def test_service_by_prefix_relative_iri_or_escapes_is_refused(
    guarded: FlaskClient, recorder: Recorder
) -> None:
    port = recorder.port
    queries = [
        f"PREFIX x: <http://127.0.0.1:{port}/> SELECT * WHERE {{ SERVICE x:sparql {{ ?s ?p ?o }} }}",
        f"BASE <http://127.0.0.1:{port}/> SELECT * WHERE {{ SERVICE <sparql> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE <//127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ \\u0053ERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE <http://\\u0031\\u0032\\u0037.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SeRvIcE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE#comment\n<http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ BIND(<http://127.0.0.1:{port}/> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }} }} }}",
        f"ASK {{ FILTER EXISTS {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }} }}",
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ OPTIONAL {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }} }}",
    ]
    for query in queries:
        response = get(guarded, query)
        assert response.status_code in (400, 403), (query, response.status_code, response.data[:200])
    assert recorder.hits == []


def test_load_from_any_hostile_spelling_is_refused_even_with_the_token(
    guarded: FlaskClient, recorder: Recorder
) -> None:
    for iri in spellings(recorder.port):
        for form in ("LOAD <{}>", "LOAD SILENT <{}>", "LOAD <{}> INTO GRAPH <urn:kubekg:user:x>"):
            refused(update(guarded, form.format(iri)), "load_not_allowed")
    port = recorder.port
    for text in (
        f"PREFIX x: <http://127.0.0.1:{port}/> LOAD x:data",
        f"BASE <http://127.0.0.1:{port}/> LOAD <data>",
        f"\\u004cOAD <http://127.0.0.1:{port}/data>",
        f"INSERT DATA {{ <urn:a> <urn:b> 1 }} ; LOAD <http://127.0.0.1:{port}/data>",
        f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
    ):
        response = update(guarded, text)
        assert response.status_code in (400, 403), (text, response.status_code, response.data[:200])
    assert recorder.hits == []


def test_graph_iris_are_names_never_fetched(guarded: FlaskClient, recorder: Recorder) -> None:
    port = recorder.port
    targets = [f"http://127.0.0.1:{port}/data.ttl", f"http://[::1]:{port}/", "file:///etc/passwd"]
    for iri in targets:
        for query, params in (
            (f"SELECT (COUNT(*) AS ?n) FROM <{iri}> WHERE {{ ?s ?p ?o }}", {}),
            (f"SELECT (COUNT(*) AS ?n) FROM NAMED <{iri}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", {}),
            (f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}", {}),
            ("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", {"default-graph-uri": iri}),
            ("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", {"named-graph-uri": iri}),
            (f"DESCRIBE <{iri}>", {}),
        ):
            response = get(guarded, query, **params)
            assert response.status_code == 200, (query, response.data[:200])
            assert b"leak.example" not in response.data and b"root:" not in response.data
        assert update(guarded, f"INSERT DATA {{ GRAPH <{iri}> {{ <urn:a> <urn:b> 1 }} }}").status_code == 200
        assert update(guarded, f"DROP SILENT GRAPH <{iri}>").status_code == 200
    assert recorder.hits == []


def test_an_allow_listed_load_source_that_redirects_is_not_followed(
    make_app: Any, kg: Any, tmp_path: Any, recorder: Recorder
) -> None:
    """LOAD from an allow-listed host whose answer is a redirect to a loopback port: the target is never hit."""
    redirector = Recorder(redirect_to=f"http://127.0.0.1:{recorder.port}/secret.nt")
    try:
        store = ox.Store()
        store.load(kg.export("nquads"), format=ox.RdfFormat.N_QUADS)
        client = make_app(
            GRAPH=store,
            UPDATES=True,
            UPDATE_TOKEN=TOKEN,
            DATA_DIR=str(tmp_path),
            SERVICE_ALLOWLIST=f"127.0.0.1:{redirector.port}",
        ).test_client()
        response = update(
            client, f"LOAD <http://127.0.0.1:{redirector.port}/data.nt> INTO GRAPH <urn:kubekg:user:l>"
        )
        assert 400 <= response.status_code < 600 and response.status_code != 500, response.data[:300]
        assert "redirect" in response.get_json()["error"]["message"].lower()
        assert redirector.hits and recorder.hits == []
        leaked = get(client, "ASK { ?s ?p <http://leak.example/o> }")
        assert leaked.get_json()["boolean"] is False
        # the same source without a redirect is read (so the refusal above is the redirect's, not the list's)
        direct = make_app(
            GRAPH=store,
            UPDATES=True,
            UPDATE_TOKEN=TOKEN,
            DATA_DIR=str(tmp_path / "direct"),
            SERVICE_ALLOWLIST=f"127.0.0.1:{recorder.port}",
        ).test_client()
        ok = update(direct, f"LOAD <http://127.0.0.1:{recorder.port}/data.nt> INTO GRAPH <urn:kubekg:user:l>")
        assert ok.status_code == 200, ok.data[:300]
        assert recorder.hits == ["GET /data.nt"]
    finally:
        redirector.close()
