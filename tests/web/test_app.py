"""The application factory: configuration forms, blueprints, the one error shape, request ids, access log, CORS."""

from __future__ import annotations

import json
import logging

import pytest

from kubekg.config import Config
from kubekg.errors import ConfigError, Forbidden, QueryTimeout, StoreUnavailable
from kubekg.web import BLUEPRINTS, create_app


def test_create_app_accepts_a_config_object(kg):
    config = Config.load({"MAX_ROWS": 7}, environ={})
    app = create_app(config)
    assert app.config["MAX_ROWS"] == 7
    assert app.extensions["kubekg_config"] is config
    assert app.extensions["kubekg"] is kg  # load_graph() is cached per process


def test_create_app_accepts_a_dict_of_overrides_and_extra_flask_keys(kg):
    app = create_app({"max_rows": "12", "TESTING": True, "GRAPH": kg})
    assert app.config["MAX_ROWS"] == 12 and app.testing
    assert "GRAPH" not in app.config


def test_create_app_with_none_reads_the_environment(monkeypatch):
    monkeypatch.setenv("KUBEKG_MAX_ROWS", "33")
    assert create_app().config["MAX_ROWS"] == 33


def test_create_app_rejects_a_bad_value_before_loading_anything(monkeypatch):
    monkeypatch.setenv("KUBEKG_MAX_ROWS", "lots")
    with pytest.raises(ConfigError, match="KUBEKG_MAX_ROWS='lots'"):
        create_app()


def test_required_blueprints_are_registered(app):
    for module, required in BLUEPRINTS:
        if required:
            assert module.rsplit(".", 1)[1] in app.blueprints


def test_extra_data_is_loaded_into_its_named_graph(tmp_path, monkeypatch):
    import kubekg.graph
    from kubekg.graph import build_graph
    from kubekg.web import load_extra_data

    private = build_graph()  # extra data must not leak into the process-wide graph other tests use
    monkeypatch.setattr(kubekg.graph, "load_graph", lambda **_: private)
    data = tmp_path / "data.ttl"
    data.write_text("<http://example.org/s> <http://example.org/p> 'x' .\n")
    app = create_app({"TESTING": True, "EXTRA_DATA": f"http://example.org/g={data}"})
    assert app.extensions["kubekg"] is private
    load_extra_data(private.store, (("http://example.org/g", str(data)),))  # again: the graph is replaced
    rows = private.select("SELECT ?o WHERE { GRAPH <http://example.org/g> { ?s ?p ?o } }")
    assert [r["o"].value for r in rows] == ["x"]


def test_extra_data_needs_the_embedded_store(tmp_path):
    data = tmp_path / "data.nt"
    data.write_text("<http://example.org/s> <http://example.org/p> <http://example.org/o> .\n")
    with pytest.raises(ConfigError, match="embedded store"):
        create_app({"STORE": "http://127.0.0.1:9/query", "EXTRA_DATA": f"http://example.org/g={data}"})


# ------------------------------------------------------------------------------------------------ errors
def _error(response):
    body = response.get_json()
    assert set(body) >= {"error"}, body
    assert set(body["error"]) >= {"code", "message"}
    assert body["error"]["message"]
    return body["error"]


def test_unknown_route_is_404_json(client):
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"


def test_wrong_method_is_405_json_with_allow(client):
    response = client.post("/api/search?q=etcd")
    assert response.status_code == 405
    assert _error(response)["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_body_over_the_limit_is_413_json(make_app):
    app = make_app(MAX_BODY_BYTES=2048)

    @app.post("/api/_echo")
    def _echo():
        from flask import request

        return {"n": len(request.get_data())}

    client = app.test_client()
    assert client.post("/api/_echo", data=b"x" * 100).get_json() == {"n": 100}
    response = client.post("/api/_echo", data=b"x" * 5000)
    assert response.status_code == 413
    error = _error(response)
    assert error["code"] == "payload_too_large" and "2048" in error["message"]


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (Forbidden("updates are disabled"), 403, "forbidden"),
        (QueryTimeout("query ran past 1.0 s"), 503, "query_timeout"),
        (StoreUnavailable("remote store down"), 503, "store_unavailable"),
    ],
    ids=["forbidden", "timeout", "store-down"],
)
def test_kubekg_errors_map_to_their_status_in_one_place(make_app, exc, status, code):
    app = make_app()

    @app.get("/api/_raise")
    def _raise():
        raise exc

    response = app.test_client().get("/api/_raise")
    assert response.status_code == status
    assert _error(response) == {"code": code, "message": exc.message}
    if status == 503:
        assert response.headers["Retry-After"] == "1"


def test_uncaught_exception_is_500_json_without_traceback(make_app, caplog):
    app = make_app(TESTING=False)

    @app.get("/api/_boom")
    def _boom():
        raise RuntimeError("secret internal detail")

    with caplog.at_level(logging.ERROR, logger="kubekg.web"):
        response = app.test_client().get("/api/_boom")
    assert response.status_code == 500
    error = _error(response)
    assert error["code"] == "internal_error"
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and "secret internal detail" not in text
    assert "secret internal detail" in caplog.text  # the log keeps the details


def test_testing_apps_raise_bugs_instead_of_hiding_them(make_app):
    app = make_app()

    @app.get("/api/_bug")
    def _bug():
        raise RuntimeError("bug")

    with pytest.raises(RuntimeError, match="bug"):
        app.test_client().get("/api/_bug")


def test_browsers_get_an_html_error_page_with_escaped_text(client):
    response = client.get("/entity/%3Cscript%3Ealert(1)%3C%2Fscript%3E", headers={"Accept": "text/html"})
    assert response.status_code in (400, 404)
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;" in html or "not a valid entity" in html


def test_api_errors_stay_json_for_browsers(client):
    response = client.get("/api/entities/does-not-exist", headers={"Accept": "text/html"})
    assert response.status_code == 404 and response.mimetype == "application/json"


# ------------------------------------------------------------------------------------------------ hooks
def test_request_id_is_echoed_or_generated(client):
    assert client.get("/healthz", headers={"X-Request-Id": "abc-123"}).headers["X-Request-Id"] == "abc-123"
    generated = client.get("/healthz", headers={"X-Request-Id": "bad id with spaces"}).headers["X-Request-Id"]
    assert generated != "bad id with spaces" and len(generated) == 32


def test_one_json_access_log_line_per_request(client, caplog):
    with caplog.at_level(logging.INFO, logger="kubekg.access"):
        client.get("/api/search?q=etcd", headers={"X-Request-Id": "req-1"})
        client.get("/api/nope")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "kubekg.access"]
    assert len(lines) == 2
    first, second = lines
    assert set(first) >= {"time", "method", "path", "status", "duration_ms", "bytes", "remote", "request_id"}
    assert (first["method"], first["path"], first["status"], first["request_id"]) == (
        "GET",
        "/api/search",
        200,
        "req-1",
    )
    assert first["endpoint"] == "/api/search" and first["duration_ms"] >= 0 and first["bytes"] > 0
    assert (second["status"], second["endpoint"]) == (404, "<unmatched>")


@pytest.mark.parametrize("path", ["/api/search?q=etcd", "/openapi.json", "/api/nope"])
def test_cors_default_is_public_read(client, path):
    response = client.get(path, headers={"Origin": "https://elsewhere.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_cors_is_not_added_to_pages(client):
    response = client.get("/healthz", headers={"Origin": "https://elsewhere.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_preflight(client):
    response = client.options(
        "/api/search",
        headers={
            "Origin": "https://elsewhere.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "Content-Type",
        },
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]
    assert "Authorization" not in response.headers["Access-Control-Allow-Headers"]


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [("https://app.example", "https://app.example"), ("https://evil.example", None), (None, None)],
)
def test_cors_with_an_origin_list(make_app, origin, allowed):
    client = make_app(CORS_ORIGINS="https://app.example,http://localhost:3000").test_client()
    headers = {"Origin": origin} if origin else {}
    response = client.get("/api/search?q=etcd", headers=headers)
    assert response.headers.get("Access-Control-Allow-Origin") == allowed
    assert "Origin" in response.headers.get("Vary", "")


def test_cors_disabled_with_an_empty_list(make_app):
    client = make_app(CORS_ORIGINS="").test_client()
    response = client.get("/api/search?q=etcd", headers={"Origin": "https://app.example"})
    assert "Access-Control-Allow-Origin" not in response.headers
