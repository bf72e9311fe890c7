"""The tool declarations and implementations, without a transport: schemas, REST parity, limits, bad input."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
import yaml
from flask import Flask
from jsonschema import Draft202012Validator

from kubekg import ns
from kubekg.errors import KubeKGError, QueryTimeout
from kubekg.graph import KnowledgeGraph
from kubekg.mcp import tools as T
from kubekg.mcp.tools import ToolContext

FAST_TOOLS = [t.name for t in T.TOOLS if t.name != "ask"]  # ask is driven through both transports instead


@pytest.mark.parametrize("tool", T.TOOLS, ids=lambda t: t.name)
def test_schemas_are_valid_and_accept_the_example(tool: T.Tool) -> None:
    for schema in (T.mcp_input_schema(tool), tool.output_schema, T.strict_parameters(tool.parameters)):
        Draft202012Validator.check_schema(schema)
    Draft202012Validator(T.mcp_input_schema(tool)).validate(tool.example)
    Draft202012Validator(T.strict_parameters(tool.parameters)).validate(tool.example)
    assert T.validate_arguments(tool, tool.example) == tool.example


@pytest.mark.parametrize("tool", T.TOOLS, ids=lambda t: t.name)
def test_mcp_schema_makes_nullable_properties_optional(tool: T.Tool) -> None:
    schema = T.mcp_input_schema(tool)
    strict = tool.parameters
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {n for n, p in strict["properties"].items() if not T.is_nullable(p)}
    minimal = {n: tool.example[n] for n in schema["required"]}
    Draft202012Validator(schema).validate(minimal)


@pytest.mark.parametrize("name", FAST_TOOLS)
def test_example_calls_return_their_output_schema(name: str, ctx: ToolContext) -> None:
    tool = T.get_tool(name)
    result = T.call_tool(name, tool.example, ctx)
    Draft202012Validator(tool.output_schema).validate(result)
    assert json.loads(T.to_text(result)) == result


def _rest_json(app: Flask, path: str) -> Any:
    response = app.test_client().get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_describe_is_the_entity_route(ctx: ToolContext, app: Flask) -> None:
    for given in ("kube-proxy", "PVC", "kr:nfs", ns.KR + "etcd", "퍼시스턴트 볼륨 클레임"):
        result = T.call_tool("describe", {"entity": given}, ctx)
        key = result["iri"][len(ns.KR) :]
        assert result == _rest_json(app, f"/api/entities/{quote(key, safe='/')}")
    assert T.call_tool("describe", {"entity": "PVC"}, ctx)["iri"] == ns.KR + "PersistentVolumeClaim"


def test_describe_tolerates_a_small_misspelling(ctx: ToolContext) -> None:
    assert T.call_tool("describe", {"entity": "kube-proxi"}, ctx)["iri"] == ns.KR + "kube-proxy"


def test_search_and_explain_are_their_routes(ctx: ToolContext, app: Flask) -> None:
    assert T.call_tool("search", {"query": "볼륨", "limit": 7}, ctx) == _rest_json(
        app, "/api/search?q=%EB%B3%BC%EB%A5%A8&limit=7"
    )
    triple = {"subject": "kr:nfs", "predicate": "kg:supportsAccessMode", "object": "kr:ReadWriteMany"}
    explained = T.call_tool("explain", triple, ctx)
    assert explained == _rest_json(app, "/api/explain?s=kr:nfs&p=kg:supportsAccessMode&o=kr:ReadWriteMany")
    assert explained["status"] == "inferred" and explained["rule"]["id"]


def test_explain_reports_an_absent_triple_as_a_result(ctx: ToolContext) -> None:
    result = T.call_tool(
        "explain",
        {"subject": "kr:nfs", "predicate": "kg:supportsAccessMode", "object": "kr:ReadWriteOncePod"},
        ctx,
    )
    assert result["status"] == "absent"


def test_sparql_uses_the_services_limits(kg: KnowledgeGraph, app: Flask) -> None:
    ctx = ToolContext.from_config(kg, app.config)
    assert (ctx.query_timeout, ctx.max_timeout, ctx.max_rows) == (
        app.config["QUERY_TIMEOUT"],
        app.config["MAX_TIMEOUT"],
        app.config["MAX_ROWS"],
    )
    assert ctx.effective_timeout(None) == app.config["QUERY_TIMEOUT"]
    assert ctx.effective_timeout(10_000) == app.config["MAX_TIMEOUT"]
    result = T.call_tool("sparql", {"query": "SELECT * WHERE { ?s ?p ?o }", "timeout": 5}, ctx)
    assert result["timeout"] == 5


def test_sparql_rows_are_capped(kg: KnowledgeGraph) -> None:
    ctx = ToolContext(kg, max_rows=3)
    result = T.call_tool("sparql", {"query": "SELECT ?s WHERE { ?s a kg:VolumePlugin }"}, ctx)
    assert result["kind"] == "select" and result["truncated"] is True
    assert len(result["results"]["bindings"]) == 3 and result["rowLimit"] == 3
    assert (
        T.call_tool("sparql", {"query": "ASK { kr:nfs kg:supportsAccessMode kr:ReadWriteMany }"}, ctx)[
            "boolean"
        ]
        is True
    )
    graph = T.call_tool("sparql", {"query": "CONSTRUCT { kr:nfs ?p ?o } WHERE { kr:nfs ?p ?o }"}, ctx)
    assert graph["kind"] == "graph" and ("kr:nfs" in graph["turtle"] or ns.KR + "nfs" in graph["turtle"])


def test_sparql_refuses_a_query_over_the_configured_pattern_cap(kg: KnowledgeGraph, app: Flask) -> None:
    assert ToolContext.from_config(kg, app.config).max_patterns == app.config["MAX_PATTERNS"]
    ctx = ToolContext(kg, max_patterns=3)
    query = "SELECT * WHERE { ?a ?p ?b . ?b ?q ?c . ?c ?r ?d . ?d ?s ?e }"
    with pytest.raises(KubeKGError) as refused:
        T.call_tool("sparql", {"query": query}, ctx)
    assert refused.value.code == "query_too_complex" and "KUBEKG_MAX_PATTERNS" in refused.value.message
    assert T.call_tool("sparql", {"query": query}, ToolContext(kg))["kind"] == "select"


def test_sparql_asserted_only_hides_the_inferred_graph(ctx: ToolContext) -> None:
    query = (
        "ASK { kr:nfs kg:supportsAccessMode kr:ReadWriteMany }"  # derived by rule from the vendor-table cells
    )
    assert T.call_tool("sparql", {"query": query}, ctx)["boolean"] is True
    assert T.call_tool("sparql", {"query": query, "asserted_only": True}, ctx)["boolean"] is False


def test_sparql_times_out(kg: KnowledgeGraph) -> None:
    ctx = ToolContext(kg, query_timeout=0.2, max_rows=10_000_000)
    with pytest.raises(QueryTimeout, match="timeout"):
        T.call_tool("sparql", {"query": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"}, ctx)


BAD_CALLS = [
    ("ask-missing-question", "ask", {}, "question"),
    ("ask-not-a-string", "ask", {"question": 42}, "not of type"),
    ("ask-empty", "ask", {"question": ""}, "question"),
    ("ask-bad-lang", "ask", {"question": "what is a pod?", "lang": "fr"}, "lang"),
    ("ask-extra", "ask", {"question": "what is a pod?", "verbose": True}, "verbose"),
    ("sparql-update", "sparql", {"query": "INSERT DATA { kr:a kr:b kr:c }"}, "read-only"),
    ("sparql-drop", "sparql", {"query": "DROP ALL"}, "read-only"),
    (
        "sparql-prefixed-update",
        "sparql",
        {"query": "PREFIX x: <urn:x:> DELETE WHERE { ?s ?p ?o }"},
        "read-only",
    ),
    ("sparql-syntax", "sparql", {"query": "SELEKT * WHERE { ?s ?p ?o }"}, "SPARQL"),
    (
        "sparql-service",
        "sparql",
        {"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/q> { ?s ?p ?o } }"},
        "SERVICE",
    ),
    ("sparql-bad-timeout", "sparql", {"query": "ASK {}", "timeout": 0}, "timeout"),
    ("describe-unknown", "describe", {"entity": "zzqqxx-no-such-thing"}, "search"),
    ("describe-blank", "describe", {"entity": ""}, "entity"),
    ("search-too-long", "search", {"query": "x" * 300}, "query"),
    ("search-limit", "search", {"query": "pod", "limit": 0}, "limit"),
    ("search-blank", "search", {"query": "   "}, "blank"),
    (
        "explain-unknown-term",
        "explain",
        {"subject": "kr:nfs", "predicate": "no such property here", "object": "x"},
        "predicate",
    ),
    ("explain-missing", "explain", {"subject": "kr:nfs"}, "predicate"),
    ("hpa-bad-yaml", "simulate_hpa", {"scenario": "hpa: ["}, "YAML"),
    ("hpa-not-a-mapping", "simulate_hpa", {"scenario": "- 1\n- 2"}, "object"),
    (
        "hpa-min-over-max",
        "simulate_hpa",
        {
            "scenario": T.BY_NAME["simulate_hpa"]
            .example["scenario"]
            .replace("minReplicas: 2", "minReplicas: 20")
        },
        "minReplicas",
    ),
    ("hpa-bad-mode", "simulate_hpa", {"scenario": "{}", "mode": "forecast"}, "mode"),
    (
        "pv-bad-quantity",
        "simulate_pv",
        {"scenario": T.BY_NAME["simulate_pv"].example["scenario"].replace("10Gi", "ten gigs")},
        "quantity",
    ),
    ("pv-unknown-kind", "simulate_pv", {"scenario": "persistentVolumes: [{kind: Banana}]"}, "kind"),
    ("unknown-tool", "frobnicate", {}, "no tool named"),
]


@pytest.mark.parametrize(
    ("name", "args", "needle"), [c[1:] for c in BAD_CALLS], ids=[c[0] for c in BAD_CALLS]
)
def test_bad_input_is_a_clear_client_error(name: str, args: dict, needle: str, ctx: ToolContext) -> None:
    with pytest.raises(KubeKGError) as info:
        T.call_tool(name, args, ctx)
    assert 400 <= info.value.status < 500, info.value.message
    assert needle.lower() in info.value.message.lower(), info.value.message


def test_every_tool_names_a_rest_endpoint_of_the_app(app: Flask) -> None:
    rules = {(rule.rule, method) for rule in app.url_map.iter_rules() for method in rule.methods or ()}
    for tool in T.TOOLS:
        path = tool.endpoint["path"].replace("{entity}", "<path:entity_id>")
        if path == "/api/ask" and not any(r == "/api/ask" for r, _ in rules):
            continue  # kubekg.web.ask is the qa helper's blueprint; test_mcp_http compares ask with it when present
        assert (path, tool.endpoint["method"]) in rules, tool.name


RECONCILE = """
hpa:
  apiVersion: autoscaling/v2
  kind: HorizontalPodAutoscaler
  metadata: {name: web, namespace: default}
  spec:
    scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
    minReplicas: 1
    maxReplicas: 10
    metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
scale: {spec: {replicas: 2}, status: {replicas: 2}}
pods:
- metadata: {name: web-1, namespace: default}
  spec: {containers: [{name: app, resources: {requests: {cpu: 200m}}}]}
  status: {phase: Running, startTime: "2024-01-01T00:00:00Z",
           conditions: [{type: Ready, status: "True", lastTransitionTime: "2024-01-01T00:00:10Z"}]}
- metadata: {name: web-2, namespace: default}
  spec: {containers: [{name: app, resources: {requests: {cpu: 200m}}}]}
  status: {phase: Running, startTime: "2024-01-01T00:00:00Z",
           conditions: [{type: Ready, status: "True", lastTransitionTime: "2024-01-01T00:00:10Z"}]}
podMetrics:
- metadata: {name: web-1, namespace: default}
  timestamp: "2024-01-01T01:00:00Z"
  window: 30s
  containers: [{name: app, usage: {cpu: 300m}}]
- metadata: {name: web-2, namespace: default}
  timestamp: "2024-01-01T01:00:00Z"
  window: 30s
  containers: [{name: app, usage: {cpu: 300m}}]
now: "2024-01-01T01:00:05Z"
"""

SIMULATIONS = [
    (
        "hpa-timeline",
        "simulate_hpa",
        T.BY_NAME["simulate_hpa"].example["scenario"],
        None,
        "/api/simulate/hpa/timeline",
    ),
    ("hpa-reconcile", "simulate_hpa", RECONCILE, "reconcile", "/api/simulate/hpa/reconcile"),
    (
        "pv-scenario",
        "simulate_pv",
        T.BY_NAME["simulate_pv"].example["scenario"],
        None,
        "/api/simulate/pv/scenario",
    ),
]


@pytest.mark.parametrize(
    ("name", "scenario", "mode", "path"), [c[1:] for c in SIMULATIONS], ids=[c[0] for c in SIMULATIONS]
)
def test_simulations_are_their_routes(
    name: str, scenario: str, mode: str | None, path: str, ctx: ToolContext, app: Flask
) -> None:
    result = T.call_tool(name, {"scenario": scenario, "mode": mode}, ctx)
    rest = app.test_client().post(path, data=scenario.encode(), content_type="application/yaml")
    assert rest.status_code == 200, rest.get_data(as_text=True)
    assert result == rest.get_json()
    as_object = {"scenario": yaml.safe_load(scenario), "mode": mode}  # MCP clients may send objects
    assert T.call_tool(name, as_object, ctx) == result


def test_one_reconcile_applies_the_scale_up_limit(ctx: ToolContext) -> None:
    """Two pods at 300m of 200m requested, target 50%: 6 wanted, the controller's limit allows 4 this sync."""
    result = T.call_tool("simulate_hpa", {"scenario": RECONCILE, "mode": "reconcile"}, ctx)
    assert (result["desiredReplicas"], result["rescale"], result["reason"]) == (4, True, "ScaleUpLimit")
