"""/sparql on a live ``kubekg serve`` (gunicorn, 2 workers x 4 threads): the timeout that really stops the work,
and SPARQLWrapper used as a user would use it.

The timeout test sends a streaming cartesian product and an aggregate bomb with ``timeout=1`` while another
client keeps sending simple queries on fresh connections: both bombs must get the 503 ``query_timeout`` within
timeout + 1 s, every simple query must succeed, the worker that ran the unstoppable aggregate must be gone
(recycled, so its evaluation really stopped) and the server must still answer. The figures are printed.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from xml.dom.minidom import Document

import pytest

from kubekg.graph import KnowledgeGraph
from kubekg.sparql.testing import LiveServer

CARTESIAN = "SELECT * { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
AGGREGATE_BOMB = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
SIMPLE = "SELECT ?label WHERE { kr:etcd rdfs:label ?label }"
TIMEOUT = 1.0


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """kubekg serve with 2 workers and a row cap high enough that the cartesian product runs into its timeout."""
    log = tmp_path_factory.mktemp("live") / "server.log"
    server = LiveServer({"WORKERS": 2, "THREADS": 4, "MAX_ROWS": 10_000_000}, log_path=log)
    try:
        server.start()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield server
    server.stop()


class SimpleClient(threading.Thread):
    """Another user: simple queries back to back, each on a fresh connection, timing every answer."""

    def __init__(self, server: LiveServer) -> None:
        super().__init__(name="simple-client", daemon=True)
        self.server = server
        self.halt = threading.Event()
        self.latencies: list[float] = []
        self.failures: list[str] = []

    def run(self) -> None:
        while not self.halt.is_set():
            try:
                reply = self.server.query(SIMPLE, http_timeout=10)
                if reply.status == 200 and b"etcd" in reply.body:
                    self.latencies.append(reply.seconds)
                else:
                    self.failures.append(f"HTTP {reply.status}: {reply.body[:120]!r}")
            except OSError as exc:
                self.failures.append(repr(exc))

    def wait_for(self, count: int, seconds: float = 10.0) -> None:
        deadline = time.monotonic() + seconds
        while len(self.latencies) < count and time.monotonic() < deadline:
            time.sleep(0.01)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def metric(server: LiveServer, name: str, **labels: str) -> float:
    text = server.request("GET", "/metrics").body.decode()
    total = 0.0
    for line in text.splitlines():
        named = line.startswith(name + "{") or line.startswith(name + " ")
        if named and all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_timeout_stops_the_work_while_other_clients_are_answered(
    live: LiveServer, capsys: pytest.CaptureFixture[str]
) -> None:
    other = SimpleClient(live)
    other.start()
    other.wait_for(20)
    workers_before = live.worker_pids()
    assert len(workers_before) == 2
    results = {}
    try:
        for name, query in (("cartesian", CARTESIAN), ("aggregate", AGGREGATE_BOMB)):
            reply = live.query(query, http_timeout=TIMEOUT + 10, timeout=str(TIMEOUT))
            results[name] = reply.seconds
            assert reply.status == 503, (name, reply.status, reply.body[:200])
            assert reply.json()["error"]["code"] == "query_timeout"
            assert reply.seconds < TIMEOUT + 1.0, (name, reply.seconds)
        # the aggregate could not be stopped inside the engine: its worker retires and a fresh one replaces it
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            now = live.worker_pids()
            if len(now) == 2 and now != workers_before:
                break
            time.sleep(0.05)
        gone = workers_before - live.worker_pids()
        assert gone, "no worker was recycled after the unstoppable aggregate"
        for pid in gone:
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)  # the process (and the runaway evaluation in it) no longer exists
        other.wait_for(len(other.latencies) + 20)
    finally:
        other.halt.set()
        other.join(15)
    assert not other.failures, other.failures[:5]
    assert len(other.latencies) >= 40
    assert live.query("ASK {}").status == 200
    assert metric(live, "kubekg_query_timeouts_total", endpoint="/sparql") >= 2
    with capsys.disabled():
        print(
            f"\n[sparql timeout] timeout={TIMEOUT:g}s cartesian answered in {results['cartesian']:.3f}s, "
            f"aggregate in {results['aggregate']:.3f}s; other client: {len(other.latencies)} queries, 0 errors, "
            f"p50 {percentile(other.latencies, 0.5) * 1000:.1f} ms, p99 {percentile(other.latencies, 0.99) * 1000:.1f} ms, "
            f"max {max(other.latencies) * 1000:.1f} ms; recycled workers {sorted(gone)}"
        )


def test_service_to_loopback_is_refused_live(live: LiveServer) -> None:
    reply = live.query("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
    assert reply.status == 403 and reply.json()["error"]["code"] == "service_not_allowed"


# ------------------------------------------------------------------------------------------------ SPARQLWrapper
def wrapper(live: LiveServer, query: str, fmt: str, method: str = "GET"):
    from SPARQLWrapper import POST, SPARQLWrapper

    client = SPARQLWrapper(live.base + "/sparql")
    client.setQuery(query)
    client.setReturnFormat(fmt)
    if method == "POST":
        client.setMethod(POST)
    return client.query().convert()


LABELS = "PREFIX kr: <https://kubekg.dev/id/> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> SELECT ?label WHERE { kr:etcd rdfs:label ?label } ORDER BY ?label"


@pytest.fixture(scope="module")
def expected_labels(kg: KnowledgeGraph) -> list[str]:
    labels = sorted(row["label"].value for row in kg.select(LABELS))
    assert labels
    return labels


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_json(live: LiveServer, expected_labels: list[str], method: str) -> None:
    result = wrapper(live, LABELS, "json", method)
    assert sorted(b["label"]["value"] for b in result["results"]["bindings"]) == expected_labels


def test_sparqlwrapper_xml(live: LiveServer, expected_labels: list[str]) -> None:
    result = wrapper(live, LABELS, "xml")
    assert isinstance(result, Document)
    assert sorted(node.firstChild.data for node in result.getElementsByTagName("literal")) == expected_labels


def test_sparqlwrapper_csv(live: LiveServer, expected_labels: list[str]) -> None:
    lines = wrapper(live, LABELS, "csv").decode().splitlines()
    assert lines[0] == "label"
    assert sorted(line.strip('"') for line in lines[1:]) == expected_labels


def test_sparqlwrapper_tsv(live: LiveServer, expected_labels: list[str]) -> None:
    lines = wrapper(live, LABELS, "tsv").decode().splitlines()
    assert lines[0] == "?label"
    assert sorted(re.match(r'"(.*)"', line).group(1) for line in lines[1:]) == expected_labels


def test_sparqlwrapper_ask(live: LiveServer) -> None:
    assert wrapper(live, "ASK { <https://kubekg.dev/id/etcd> ?p ?o }", "json")["boolean"] is True


def test_sparqlwrapper_turtle(live: LiveServer, expected_labels: list[str]) -> None:
    import rdflib

    query = LABELS.replace("SELECT ?label WHERE", "CONSTRUCT { kr:etcd rdfs:label ?label } WHERE").replace(
        " ORDER BY ?label", ""
    )
    data = wrapper(live, query, "turtle")
    graph = rdflib.Graph().parse(data=data, format="turtle")
    assert sorted(str(o) for o in graph.objects()) == expected_labels


# ------------------------------------------------------------------------------------------------ oversized bodies
def test_ten_megabyte_body_gets_its_413(live: LiveServer) -> None:
    body = b"ASK { " + b"?s ?p ?o . " * (1 << 20) + b"}"  # 11 MiB with a Content-Length
    reply = live.request("POST", "/sparql", body=body, headers={"Content-Type": "application/sparql-query"})
    assert reply.status == 413 and reply.json()["error"]["code"] == "payload_too_large"


def test_chunked_body_over_the_limit_gets_its_413(live: LiveServer) -> None:
    import http.client

    def chunks() -> Iterator[bytes]:
        yield b"ASK { "
        for _ in range(300):
            yield b"?s ?p ?o . " * 1000  # 3.3 MB in all, no Content-Length
        yield b"}"

    conn = http.client.HTTPConnection("127.0.0.1", live.port, timeout=30)
    try:
        conn.request(
            "POST",
            "/sparql",
            body=chunks(),
            headers={"Content-Type": "application/sparql-query"},
            encode_chunked=True,
        )
        response = conn.getresponse()
        assert response.status == 413
        assert b"payload_too_large" in response.read()
    finally:
        conn.close()
    assert live.query("ASK {}").status == 200
