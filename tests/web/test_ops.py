"""Operations endpoints: liveness, readiness (graph reasoned, remote store answering) and Prometheus metrics."""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest

from kubekg.errors import StoreUnavailable
from kubekg.web import metrics


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_when_the_graph_is_loaded_and_reasoned(client, kg):
    body = client.get("/readyz").get_json()
    assert body["status"] == "ready" and body["store"] == "embedded"
    assert body["triples"] == kg.stats["total"] and body["inferred"] == kg.stats["inferred"]


def test_readyz_is_503_before_reasoning(make_app, make_graph):
    app = make_app(GRAPH=make_graph("kr:a kg:communicatesWith kr:b .", reasoned=False))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["error"]["code"] == "not_ready" and "not reasoned" in body["error"]["message"]
    assert body["status"] == "not ready"


class _RemoteBackend:
    """A remote store stand-in: answers ASK, or fails like a store that is down."""

    name = "remote"

    def __init__(self, up: bool) -> None:
        self.up = up
        self.calls = 0

    def query(self, sparql, *, substitutions=None, asserted_only=False):
        self.calls += 1
        if not self.up:
            raise StoreUnavailable(
                "the remote SPARQL store at http://127.0.0.1:9/query refused the connection"
            )
        return ox.Store().query("ASK {}")


@pytest.mark.parametrize("up", [True, False], ids=["store-up", "store-down"])
def test_readyz_asks_the_remote_store(make_app, make_graph, up):
    graph = make_graph("kr:a kg:communicatesWith kr:b .")
    graph.backend = _RemoteBackend(up)
    response = make_app(GRAPH=graph).test_client().get("/readyz")
    assert graph.backend.calls == 1
    body = response.get_json()
    assert body["store"] == "remote"
    if up:
        assert response.status_code == 200 and body["store_latency_ms"] >= 0
    else:
        assert response.status_code == 503
        assert "remote SPARQL store" in body["error"]["message"]
        assert "refused the connection" in body["error"]["message"]


def _sample(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_requests_per_url_rule_not_raw_path(client):
    before = client.get("/metrics").get_data(as_text=True)
    client.get("/api/entities/etcd")
    client.get("/api/entities/kube-apiserver")
    client.get("/api/entities/no-such-thing")
    response = client.get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    rule = "/api/entities/<path:entity_id>"
    ok = _sample(text, "kubekg_http_requests_total", endpoint=rule, status="200")
    assert ok - _sample(before, "kubekg_http_requests_total", endpoint=rule, status="200") == 2
    assert "/api/entities/etcd" not in text  # raw paths would explode the label cardinality
    assert _sample(text, "kubekg_http_request_duration_seconds_count", endpoint=rule) >= 3
    assert _sample(text, "kubekg_errors_total", code="not_found", status="404") >= 1


def test_metrics_expose_timeouts_and_cache_hits_for_other_modules(client):
    metrics.record_timeout("/sparql")
    metrics.record_cache_hit("sparql-results")
    metrics.record_cache_miss("sparql-results")
    text = client.get("/metrics").get_data(as_text=True)
    assert _sample(text, "kubekg_query_timeouts_total", endpoint="/sparql") >= 1
    assert _sample(text, "kubekg_cache_hits_total", cache="sparql-results") >= 1
    assert _sample(text, "kubekg_cache_misses_total", cache="sparql-results") >= 1
    assert re.search(r"^# TYPE kubekg_http_request_duration_seconds histogram$", text, re.M)
