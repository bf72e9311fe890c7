"""The OpenAPI document matches the implementation: every /api route is documented, and real responses of every
documented operation (successes and errors) validate against their documented schema (JSON Schema 2020-12).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from kubekg.simulation import examples
from kubekg.web.openapi import build_spec

SCENARIOS = ("hpa/timeline", "pv/scenario", "daemonset", "job", "cronjob", "deployment", "nodeport")
# the document's worked example: 2 pods averaging 300m, requests 200m, target 50% -> 6 replicas
HPA_RECONCILE = examples.reconcile_body()
PV_BIND = examples.bind_body()

# Real requests per documented operation: (method, path, query or JSON body, expected status).
# Operations of other blueprints (ask, simulate) are exercised when their routes exist.
EXAMPLES: dict[tuple[str, str], list[tuple[str, dict[str, Any] | None, int]]] = {
    ("get", "/api/simulate/runs"): [("/api/simulate/runs", None, 200)],
    ("delete", "/api/simulate/runs/{run_id}"): [("/api/simulate/runs/pv-0123456789abcdef", None, 403)],
    ("get", "/api/entities/{id}"): [
        ("/api/entities/etcd", None, 200),
        ("/api/entities/kube-apiserver", None, 200),
        ("/api/entities/https%3A%2F%2Fkubekg.dev%2Fontology%23Component", None, 200),
        ("/api/entities/kr:nope", None, 404),
        ("/api/entities/etcd?format=yaml", None, 400),
    ],
    ("get", "/api/search"): [
        ("/api/search?q=etcd", None, 200),
        ("/api/search?q=스테이트풀셋&limit=3", None, 200),
        ("/api/search?q=kube-porxy", None, 200),
        ("/api/search", None, 400),
        ("/api/search?q=etcd&limit=1000", None, 400),
    ],
    ("get", "/api/explain"): [
        ("/api/explain?s=kr:kube-apiserver&p=kg:accessesDirectly&o=kr:etcd", None, 200),
        ("/api/explain?s=kr:kubelet&p=kg:accessesDirectly&o=kr:etcd", None, 404),
        ("/api/explain?s=kr:etcd", None, 400),
    ],
    ("get", "/api/errata"): [("/api/errata", None, 200)],
    ("get", "/api/facts"): [
        ("/api/facts?lang=ko", None, 200),
        ("/api/facts?format=jsonl&inferred=true", None, 200),
        ("/api/facts?format=xml", None, 400),
    ],
    ("get", "/api/tools"): [("/api/tools", None, 200), ("/api/tools?extensions=maybe", None, 400)],
    ("get", "/api/graphs"): [("/api/graphs", None, 200)],
    ("get", "/healthz"): [("/healthz", None, 200)],
    ("get", "/readyz"): [("/readyz", None, 200)],
    ("get", "/api/ask"): [
        ("/api/ask?q=What+is+kube-proxy%3F", None, 200),
        ("/api/ask?q=NFS%EB%8A%94+RWX%EB%A5%BC+%EC%A7%80%EC%9B%90%ED%95%98%EB%82%98%EC%9A%94%3F", None, 200),
        ("/api/ask?q=", None, 400),
    ],
    ("post", "/api/ask"): [
        ("/api/ask", {"question": "Which storage supports RWX?"}, 200),
        ("/api/ask", {"question": "바나나는 무슨 색?", "lang": "ko"}, 200),
        ("/api/ask", {"question": ""}, 400),
    ],
    ("post", "/api/simulate/hpa/reconcile"): [
        ("/api/simulate/hpa/reconcile", HPA_RECONCILE, 200),
        ("/api/simulate/hpa/reconcile", examples.reconcile_body("DaemonSet"), 422),
        ("/api/simulate/hpa/reconcile", {**HPA_RECONCILE, "hpa": "not an object"}, 422),
        ("/api/simulate/hpa/reconcile", [], 400),
    ],
    ("post", "/api/simulate/pv/bind"): [
        ("/api/simulate/pv/bind", PV_BIND, 200),
        ("/api/simulate/pv/bind", {**PV_BIND, "claim": "not an object"}, 422),
        ("/api/simulate/pv/bind", "just a string", 400),
    ],
    ("post", "/api/simulate/pv/sync-volume"): [
        (
            "/api/simulate/pv/sync-volume",
            {"persistentVolume": PV_BIND["persistentVolumes"][0], "claims": [], "syncs": 1},
            200,
        ),
        ("/api/simulate/pv/sync-volume", {"persistentVolume": "not an object"}, 422),
    ],
    **{("post", f"/api/simulate/{name}"): [(f"/api/simulate/{name}", [], 400)] for name in SCENARIOS},
}


@pytest.fixture
def spec(app) -> dict[str, Any]:
    return build_spec(app)


def _validator(spec: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    """A validator whose $refs (#/components/schemas/...) resolve inside the OpenAPI document."""
    root = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": spec["components"],
        **schema,
    }
    Draft202012Validator.check_schema(root)
    return Draft202012Validator(root)


def test_openapi_json_is_served_and_is_openapi_3_1(client, spec):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    served = response.get_json()
    assert served["openapi"].startswith("3.1")
    assert served == json.loads(json.dumps(spec))
    for schema in spec["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_every_api_route_is_documented(app, spec):
    documented = set()
    for path, ops in spec["paths"].items():
        for method in ops:
            documented.add((method, path))
    rules = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.rule == "/api/docs":
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            rules.append((method.lower(), rule.rule))
    import re

    for method, rule in rules:
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule).replace("{entity_id}", "{id}")
        assert (method, path) in documented, f"{method.upper()} {rule} is not in the OpenAPI document"


def test_every_documented_operation_has_examples_here(spec):
    for path, ops in spec["paths"].items():
        for method in ops:
            assert (method, path) in EXAMPLES, f"add real requests for {method.upper()} {path} to EXAMPLES"


def test_real_responses_validate_against_the_document(client, spec):
    checked = 0
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            for url, body, status in EXAMPLES[(method, path)]:
                if method == "get":
                    response = client.get(url, headers={"Accept": "application/json"})
                elif method == "delete":
                    response = client.delete(url, headers={"Accept": "application/json"})
                else:
                    response = client.post(url, json=body)
                assert response.status_code == status, (url, response.get_data(as_text=True)[:500])
                documented = op["responses"].get(str(status))
                assert documented is not None, f"{method.upper()} {path} answers {status}, undocumented"
                content = documented["content"]
                assert response.mimetype in content, (url, response.mimetype)
                schema = content[response.mimetype]["schema"]
                body = response.get_json() if response.is_json else response.get_data(as_text=True)
                try:
                    _validator(spec, schema).validate(body)
                except ValidationError as exc:
                    pytest.fail(
                        f"{method.upper()} {url} -> {status} breaks its schema: {exc.message} at {list(exc.absolute_path)}"
                    )
                checked += 1
    assert checked >= 15


def test_markdown_entity_format_is_documented(client, spec):
    response = client.get("/api/entities/etcd?format=markdown")
    content = spec["paths"]["/api/entities/{id}"]["get"]["responses"]["200"]["content"]
    assert response.mimetype in content


def test_the_schemas_reject_a_wrong_shape(spec):
    validator = _validator(spec, {"$ref": "#/components/schemas/Entity"})
    with pytest.raises(ValidationError):
        validator.validate({"iri": "x"})
    error = _validator(spec, {"$ref": "#/components/schemas/Error"})
    error.validate({"error": {"code": "x", "message": "y"}})
    with pytest.raises(ValidationError):
        error.validate({"message": "no error object"})


def test_api_docs_page_uses_its_own_script(client):
    response = client.get("/api/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert '<script src="/static/api-docs.js"' in html
    with client.get("/static/api-docs.js") as script:
        assert script.status_code == 200 and "openapi" in script.get_data(as_text=True)
    assert "cdn" not in html.lower()
