"""Hostile and malformed input to /api/ask and /api/simulate (issue 6, section 1): an answer or a clear 4xx, never 5xx.

Property tests (hypothesis) send any Unicode string as a question, by GET and by POST, and any number or quantity
in the places of the three simulation contracts (issue 8, section 4) where numbers go. Hand-written cases cover
what random text rarely finds: JSON nested a hundred thousand levels deep, lone surrogates from JSON escapes,
YAML alias bombs ("billion laughs") and deep YAML. Every response must be strict JSON (no NaN/Infinity), a
documented answer or ``{"error": {"code", "message"}}`` with a 4xx status.
"""

from __future__ import annotations

import copy
import json
import math
import time
from typing import Any
from urllib.parse import quote

import jsonschema
import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubekg.simulation import examples

MAX_CHARS = 500  # the default MAX_QUESTION_CHARS
PROPERTY = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def strict_json(data: bytes) -> Any:
    """JSON as RFC 8259 defines it: NaN and Infinity (Python's extensions) are refused."""

    def refuse(name: str) -> None:
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(data.decode("utf-8"), parse_constant=refuse)


def assert_error(response: Any, *statuses: int) -> dict[str, Any]:
    assert response.status_code in statuses, (response.status_code, response.data[:300])
    body = strict_json(response.data)
    assert set(body) >= {"error"}, body
    assert isinstance(body["error"]["code"], str) and body["error"]["code"]
    assert isinstance(body["error"]["message"], str) and len(body["error"]["message"]) > 10
    return body


# ------------------------------------------------------------------------------------------------ /api/ask
@pytest.fixture(scope="module")
def ask_schema(app: Flask) -> dict[str, Any]:
    """The AskResponse schema of the app's own OpenAPI document (issue 4, section 1), resolvable."""
    spec = app.test_client().get("/openapi.json").get_json()
    if "/api/ask" not in spec["paths"]:
        pytest.skip("the ask blueprint is not installed")
    return {"$ref": "#/components/schemas/AskResponse", "components": spec["components"]}


def check_answer(body: dict[str, Any], schema: dict[str, Any]) -> None:
    """The answer contract: schema-valid; not understood means no answers and some suggestions."""
    jsonschema.validate(body, schema)
    assert isinstance(body["text"], str) and body["text"].strip()
    if not body["understood"]:
        assert body["answers"] == []
        assert body.get("suggestions"), "a question that was not understood gets suggestions"
    for answer in body["answers"]:
        if "value" in answer and isinstance(answer["value"], float):
            assert math.isfinite(answer["value"])


def check_question(response: Any, question: str, schema: dict[str, Any]) -> None:
    if not question.strip():
        assert_error(response, 400)
    elif len(question) > MAX_CHARS:
        assert assert_error(response, 400)["error"]["code"] == "question_too_long"
    else:
        assert response.status_code == 200, (question, response.data[:300])
        check_answer(strict_json(response.data), schema)


QUESTIONS = st.one_of(
    st.text(max_size=80),
    st.text(max_size=MAX_CHARS + 40),
    st.text(
        st.sampled_from("RWX 스토리지를 지원하는 HPA DaemonSet?!<>\"'&%\\\u200b\ufeff\x00\n\t"), max_size=120
    ),
    st.sampled_from(
        [
            "",
            " ",
            "\u3000",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            '"} } ; DROP ALL ; SELECT * { ?a ?b "',
            "SELECT * WHERE { ?s ?p ?o }",
            "a" * MAX_CHARS,
            "a" * (MAX_CHARS + 1),
            "가" * MAX_CHARS,
            "\U0001f600" * 50,
            "NFS가 RWX를 지원하나요?" * 20,
            "How many replicas for 1e400 pods at NaN% CPU?",
        ]
    ),
)


@PROPERTY
@given(question=QUESTIONS)
def test_any_question_by_get_gets_an_answer_or_a_400(app: Flask, ask_schema: dict, question: str) -> None:
    response = app.test_client().get("/api/ask?q=" + quote(question, safe=""))
    check_question(response, question, ask_schema)


@PROPERTY
@given(question=QUESTIONS, lang=st.sampled_from([None, "ko", "en"]))
def test_any_question_by_post_gets_an_answer_or_a_400(
    app: Flask, ask_schema: dict, question: str, lang: str | None
) -> None:
    body: dict[str, Any] = {"question": question} if lang is None else {"question": question, "lang": lang}
    response = app.test_client().post("/api/ask", json=body)
    check_question(response, question, ask_schema)


@PROPERTY
@given(value=st.recursive(st.none() | st.booleans() | st.integers() | st.floats(), st.lists, max_leaves=5))
def test_a_question_that_is_not_a_string_is_a_400(app: Flask, value: Any) -> None:
    response = app.test_client().post(
        "/api/ask", data=json.dumps({"question": value}), content_type="application/json"
    )
    assert_error(response, 400)


@PROPERTY
@given(junk=st.binary(max_size=200))
def test_any_bytes_as_the_body_are_an_answer_or_a_4xx(app: Flask, ask_schema: dict, junk: bytes) -> None:
    response = app.test_client().post("/api/ask", data=junk, content_type="application/json")
    if response.status_code == 200:
        check_answer(strict_json(response.data), ask_schema)
    else:
        assert_error(response, 400)


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"question": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"question": "ok", "x": ' + b'{"a":' * 50_000 + b"1" + b"}" * 50_000 + b"}",
    ],
    ids=["deep-array", "deep-question", "deep-extra-field"],
)
def test_deeply_nested_json_is_a_400(client: Any, body: bytes) -> None:
    assert_error(client.post("/api/ask", data=body, content_type="application/json"), 400)


@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "x\\udc00y", "\\ud83d"])
def test_a_lone_surrogate_from_a_json_escape_is_a_400(client: Any, escape: str) -> None:
    body = ('{"question": "Does NFS support RWX? ' + escape + '"}').encode()
    assert assert_error(client.post("/api/ask", data=body, content_type="application/json"), 400)


def test_a_surrogate_pair_escape_is_a_normal_question(client: Any, ask_schema: dict) -> None:
    body = b'{"question": "Does NFS support RWX? \\ud83d\\ude00"}'
    response = client.post("/api/ask", data=body, content_type="application/json")
    assert response.status_code == 200
    check_answer(strict_json(response.data), ask_schema)


# ------------------------------------------------------------------------------------------------ simulation
NOW = examples.EXAMPLE_NOW
pod, pod_metrics = examples.ready_pod, examples.pod_metrics

# the document's scale-out example, with a behavior and a controller config so their numbers are fuzzed too
RECONCILE = examples.reconcile_body()
RECONCILE["hpa"]["spec"]["behavior"] = {
    "scaleUp": {"tolerance": "0.1"},
    "scaleDown": {"stabilizationWindowSeconds": 300},
}
RECONCILE["config"] = {"tolerance": 0.1, "downscaleStabilizationWindowSeconds": 300}
RECONCILE_NUMBERS = [
    ("hpa", "spec", "minReplicas"),
    ("hpa", "spec", "maxReplicas"),
    ("hpa", "spec", "metrics", 0, "resource", "target", "averageUtilization"),
    ("hpa", "spec", "behavior", "scaleUp", "tolerance"),
    ("hpa", "spec", "behavior", "scaleDown", "stabilizationWindowSeconds"),
    ("scale", "spec", "replicas"),
    ("scale", "status", "replicas"),
    ("pods", 0, "spec", "containers", 0, "resources", "requests", "cpu"),
    ("podMetrics", 1, "containers", 0, "usage", "cpu"),
    ("config", "tolerance"),
    ("config", "downscaleStabilizationWindowSeconds"),
]

BIND = examples.bind_body(reclaim_policy="Delete")
PV = BIND["persistentVolumes"][0]
BIND_NUMBERS = [
    ("persistentVolumes", 0, "spec", "capacity", "storage"),
    ("claim", "spec", "resources", "requests", "storage"),
]
SYNC = {"persistentVolume": {**PV, "status": {"phase": "Released"}}, "claims": [], "pods": [], "syncs": 2}
SYNC_NUMBERS = [("syncs",), ("persistentVolume", "spec", "capacity", "storage")]

QUANTITY_TEXT = [
    "200m",
    "0",
    "-1",
    "-200m",
    "1e400",
    "1e-400",
    "1E3",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "inf",
    "9223372036854775807",
    "9223372036854775808",
    "99999999999999999999999999999Ki",
    "1.5",
    "0.0000001m",
    "0x10",
    "1_000",
    "+5",
    " 1",
    "1 ",
    "",
    "1Gi ",
    "1e",
    "e3",
    "1..2",
    "--1",
    "1Qi",
    "١٢٣",
    "１２",
    "10Gi\u0000",
]
NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.integers(min_value=-3, max_value=20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(QUANTITY_TEXT),
    st.text(max_size=8),
    st.none(),
    st.booleans(),
)


def put(body: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(body)
    node: Any = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


def check_simulation(response: Any) -> dict[str, Any]:
    """A result (strict JSON) or a 4xx with the error shape; never a 5xx."""
    if response.status_code == 200:
        return strict_json(response.data)
    assert_error(response, 400, 415, 422)
    return {}


def simulate_with(app: Flask, route: str, body: dict[str, Any], values: list) -> dict[str, Any]:
    """POST ``body`` with each (path, value) put in, checked by :func:`check_simulation`."""
    for path, value in values:
        body = put(body, path, value)
    return check_simulation(
        app.test_client().post(route, data=json.dumps(body), content_type="application/json")
    )


@pytest.fixture(scope="module")
def sim_app(app: Flask) -> Flask:
    if "simulate" not in app.blueprints:
        pytest.skip("the simulation blueprint is not installed")
    return app


@PROPERTY
@given(values=st.lists(st.tuples(st.sampled_from(RECONCILE_NUMBERS), NUMBERS), min_size=1, max_size=4))
def test_hpa_reconcile_takes_any_numbers(sim_app: Flask, values: list) -> None:
    result = simulate_with(sim_app, "/api/simulate/hpa/reconcile", RECONCILE, values)
    if result:
        assert isinstance(result["desiredReplicas"], int) and result["desiredReplicas"] >= 0
        assert isinstance(result["rescale"], bool) and isinstance(result["reason"], str)


@PROPERTY
@given(values=st.lists(st.tuples(st.sampled_from(BIND_NUMBERS), NUMBERS), min_size=1, max_size=2))
def test_pv_bind_takes_any_quantities(sim_app: Flask, values: list) -> None:
    result = simulate_with(sim_app, "/api/simulate/pv/bind", BIND, values)
    if result:
        assert result["volumeName"] in (None, "pv-nfs") and isinstance(result["reason"], str)


@PROPERTY
@given(values=st.lists(st.tuples(st.sampled_from(SYNC_NUMBERS), NUMBERS), min_size=1, max_size=2))
def test_pv_sync_volume_takes_any_numbers(sim_app: Flask, values: list) -> None:
    result = simulate_with(sim_app, "/api/simulate/pv/sync-volume", SYNC, values)
    if result:
        assert isinstance(result["events"], list)


@pytest.mark.parametrize(
    ("path", "value", "code"),
    [
        (("hpa", "spec", "minReplicas"), 11, None),  # min > max
        (("hpa", "spec", "maxReplicas"), -1, None),
        (("scale", "spec", "replicas"), -1, None),
        (("pods", 0, "spec", "containers", 0, "resources", "requests", "cpu"), "1e400", None),
        (("pods", 0, "spec", "containers", 0, "resources", "requests", "cpu"), "NaN", None),
        (("hpa", "spec", "minReplicas"), 2**63, None),
        (("hpa", "spec", "maxReplicas"), "ten", None),
    ],
)
def test_impossible_numbers_are_refused_with_a_message(
    sim_app: Flask, path: tuple, value: Any, code: Any
) -> None:
    response = sim_app.test_client().post(
        "/api/simulate/hpa/reconcile",
        data=json.dumps(put(RECONCILE, path, value)),
        content_type="application/json",
    )
    body = assert_error(response, 400, 422)
    field = ".".join(str(p) for p in path if not isinstance(p, int))
    assert path[-1] in body["error"]["message"] or field in json.dumps(body), body


# ------------------------------------------------------------------------------------------------ YAML and JSON bombs
def alias_bomb(levels: int = 9, width: int = 10) -> str:
    lines = ['a0: &a0 {"kind": "Pod", "metadata": {"name": "x"}}']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + f"\npods: *a{levels}\n"


def wide_aliases(count: int = 150_000) -> str:
    pod_json = json.dumps(pod("web-1"))
    metrics_json = json.dumps(pod_metrics("web-1"))
    return (
        f"p: &a {pod_json}\nm: &b {metrics_json}\n"
        f"hpa: {json.dumps(RECONCILE['hpa'])}\nscale: {json.dumps(RECONCILE['scale'])}\nnow: '{NOW}'\n"
        "pods: [" + ",".join(["*a"] * count) + "]\npodMetrics: [" + ",".join(["*b"] * count) + "]\n"
    )


YAML_ATTACKS = {
    "billion-laughs": alias_bomb(),
    "150k-pods-by-alias": wide_aliases(),
    "self-reference": "hpa: &h {spec: *h}\nnow: '2024-01-01T00:00:00Z'\n",
    "deep-flow": "hpa: " + "[" * 50_000 + "]" * 50_000,
    "deep-block": "hpa:\n" + "".join(" " * i + "- \n" for i in range(1, 1200)),
    "deep-dashes": "hpa: " + "- " * 100_000 + "x",
    "python-object": "hpa: !!python/object/apply:os.system ['true']",
}


@pytest.mark.parametrize("name", list(YAML_ATTACKS))
@pytest.mark.parametrize(
    "path", ["/api/simulate/hpa/reconcile", "/api/simulate/hpa/timeline", "/api/simulate/pv/scenario"]
)
def test_yaml_bombs_are_a_quick_4xx(sim_app: Flask, name: str, path: str, figures: Any) -> None:
    started = time.monotonic()
    response = sim_app.test_client().post(path, data=YAML_ATTACKS[name], content_type="application/yaml")
    seconds = time.monotonic() - started
    assert_error(response, 400, 413, 422)
    assert seconds < 5.0, f"{name} took {seconds:.1f} s"


@pytest.mark.parametrize("name", ["billion-laughs", "deep-flow", "self-reference"])
def test_yaml_bombs_in_the_simulation_page_form_are_refused(sim_app: Flask, name: str) -> None:
    started = time.monotonic()
    response = sim_app.test_client().post(
        "/simulate/hpa", data={"body": YAML_ATTACKS[name]}, headers={"Accept": "text/html"}
    )
    assert response.status_code in (400, 422), response.status_code
    assert time.monotonic() - started < 5.0
    assert response.mimetype == "text/html"


@pytest.mark.parametrize(
    "path",
    [
        "/api/simulate/hpa/reconcile",
        "/api/simulate/pv/bind",
        "/api/simulate/pv/sync-volume",
        "/api/simulate/deployment",
    ],
)
def test_deep_json_to_the_simulators_is_a_400(sim_app: Flask, path: str) -> None:
    body = b'{"hpa": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert_error(sim_app.test_client().post(path, data=body, content_type="application/json"), 400)
