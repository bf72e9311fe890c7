"""The OpenAPI 3.1 document of the REST API, built in code, served at ``/openapi.json`` and rendered at ``/api/docs``.

Schema objects are JSON Schema 2020-12 (OpenAPI 3.1), so the tests validate real responses with ``jsonschema``.
Only operations whose route is registered in the running app are listed (the ask and simulate blueprints come from
other modules), so the document always matches the implementation.
"""

from __future__ import annotations

import copy
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template

import kubekg

bp = Blueprint("openapi", __name__)

JSON = "application/json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema_type: str) -> dict[str, Any]:
    return {"type": [schema_type, "null"]}


def _obj(props: dict[str, Any], required: list[str] | None = None, *, closed: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "object",
        "properties": props,
        "required": required if required is not None else list(props),
    }
    if closed:
        out["additionalProperties"] = False
    return out


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


STR, INT, BOOL, NUM = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}, {"type": "number"}
LANG_TEXT = _obj({"en": _nullable("string"), "ko": _nullable("string")})
REF_PROPS = {"iri": STR, "id": STR, "key": STR, "label": STR, "labels": _ref("LangText")}

SCHEMAS: dict[str, Any] = {
    "Error": _obj(
        {
            "error": _obj(
                {"code": STR, "message": STR, "details": {"type": "object"}}, required=["code", "message"]
            )
        },
        closed=False,
    ),
    "LangText": LANG_TEXT,
    "Ref": _obj(REF_PROPS),
    "Node": {
        "oneOf": [
            _obj({"type": {"const": "iri"}, **REF_PROPS}),
            _obj({"type": {"const": "literal"}, "value": STR, "datatype": STR, "lang": _nullable("string")}),
            _obj({"type": {"const": "bnode"}, "value": STR}),
        ]
    },
    "TypeRef": _obj({**REF_PROPS, "inferred": BOOL}),
    "SectionRef": _obj({**REF_PROPS, "headingPath": _nullable("string"), "order": _nullable("integer")}),
    "OutgoingRelation": _obj(
        {"predicate": _ref("Ref"), "object": _ref("Node"), "graphs": _array(STR), "inferred": BOOL}
    ),
    "IncomingRelation": _obj(
        {"subject": _ref("Node"), "predicate": _ref("Ref"), "graphs": _array(STR), "inferred": BOOL}
    ),
    "Erratum": _obj(
        {
            "iri": STR,
            "id": STR,
            "about": _array(_ref("Ref")),
            "sections": _array(_obj({**REF_PROPS, "headingPath": _nullable("string")})),
            "rows": _array(_obj({"iri": STR, "id": STR, "text": _nullable("string")})),
            "documentSays": _ref("LangText"),
            "correction": _ref("LangText"),
            "reason": _ref("LangText"),
            "references": _array(STR),
            "kind": _nullable("string"),
        }
    ),
    "Entity": _obj(
        {
            **REF_PROPS,
            "altLabels": _array(STR),
            "definition": _ref("LangText"),
            "types": _array(_ref("TypeRef")),
            "relations": _obj(
                {"outgoing": _array(_ref("OutgoingRelation")), "incoming": _array(_ref("IncomingRelation"))}
            ),
            "sections": _array(_ref("SectionRef")),
            "errata": _array(_ref("Erratum")),
        }
    ),
    "SearchResult": _obj(
        {
            **REF_PROPS,
            "matched": STR,
            "match": {"enum": ["exact", "prefix", "substring", "fuzzy"]},
            "score": {"type": "number", "minimum": 0, "maximum": 1},
        }
    ),
    "SearchResponse": _obj({"query": STR, "count": INT, "results": _array(_ref("SearchResult"))}),
    "Term": {
        "type": "object",
        "required": ["type", "value"],
        "properties": {
            "type": {"enum": ["uri", "bnode", "literal"]},
            "value": STR,
            "datatype": STR,
            "xml:lang": STR,
        },
        "additionalProperties": False,
    },
    "Explanation": _obj(
        {
            "triple": _obj({"subject": STR, "predicate": STR, "object": STR}),
            "terms": _obj({"subject": _ref("Term"), "predicate": _ref("Term"), "object": _ref("Term")}),
            "labels": {"type": "object", "additionalProperties": STR},
            "status": {"enum": ["asserted", "inferred", "absent"]},
            "graphs": _array(STR),
            "sections": _array(_obj({"iri": STR, "id": STR, "headingPath": _nullable("string")})),
            "rows": _array(_obj({"iri": STR, "id": STR, "kind": STR, "text": _nullable("string")})),
            "rule": {"oneOf": [{"type": "null"}, _obj({"id": STR, "comment": _nullable("string")})]},
            "premises": _array(_ref("Explanation")),
        }
    ),
    "ExplanationNotFound": {
        "allOf": [
            _ref("Error"),
            {
                "type": "object",
                "required": ["explanation"],
                "properties": {
                    "explanation": {
                        "allOf": [_ref("Explanation"), {"properties": {"status": {"const": "absent"}}}]
                    }
                },
            },
        ]
    },
    "ErrataResponse": _obj({"count": INT, "errata": _array(_ref("Erratum"))}),
    "Graph": _obj(
        {
            "iri": STR,
            "id": STR,
            "kind": {"enum": ["ontology", "document", "section", "inferred", "user", "run", "other"]},
            "triples": {"type": "integer", "minimum": 0},
            "headingPath": _nullable("string"),
        }
    ),
    "GraphsResponse": _obj({"graphs": _array(_ref("Graph")), "count": INT, "triples": INT}),
    "Health": _obj({"status": {"const": "ok"}}),
    "Ready": _obj(
        {
            "status": {"const": "ready"},
            "store": STR,
            "triples": INT,
            "inferred": INT,
            "store_latency_ms": NUM,
        },
        required=["status", "store"],
    ),
    "NotReady": {
        "allOf": [
            _ref("Error"),
            {"type": "object", "required": ["status"], "properties": {"status": {"const": "not ready"}}},
        ]
    },
    # ---- issue 4 (the QA helper's /api/ask): the answer contract, kept open for additive fields
    "AskRequest": _obj(
        {"question": {"type": "string"}, "lang": {"enum": ["ko", "en"]}}, required=["question"], closed=False
    ),
    "Answer": {
        "oneOf": [
            {
                "type": "object",
                "required": ["iri", "label", "labels"],
                "properties": {"iri": STR, "label": STR, "labels": {"type": "object"}},
            },
            {
                "type": "object",
                "required": ["value"],
                "properties": {"value": {"type": ["number", "boolean", "string"]}},
                "not": {"required": ["iri"]},
            },
        ]
    },
    "AskResponse": _obj(
        {
            "understood": BOOL,
            "answers": _array(_ref("Answer")),
            "text": STR,
            "sparql": _nullable("string"),
            "evidence": _array({"type": "object"}),
            "sources": _array({"type": "object"}),
        },
        required=["understood", "answers", "text", "evidence", "sources"],
        closed=False,
    ),
    # ---- issue 8 (the simulation helper's routes): the three external contracts
    "HpaReconcileRequest": _obj(
        {
            "hpa": {"type": "object"},
            "scale": {"type": "object"},
            "pods": _array({"type": "object"}),
            "podMetrics": _array({"type": "object"}),
            "objectMetrics": _array({"type": "object"}),
            "externalMetrics": _array({"type": "object"}),
            "history": {"type": "object"},
            "now": STR,
            "config": {"type": "object"},
        },
        required=["hpa"],
        closed=False,
    ),
    "HpaReconcileResponse": _obj(
        {
            "desiredReplicas": INT,
            "rescale": BOOL,
            "reason": STR,
            "message": STR,
            "conditions": _array({"type": "object"}),
            "currentMetrics": _array({"type": "object"}),
            "history": {"type": "object"},
        },
        closed=False,
    ),
    "PvBindRequest": _obj(
        {
            "persistentVolumes": _array({"type": "object"}),
            "claim": {"type": "object"},
            "storageClasses": _array({"type": "object"}),
        },
        required=["claim"],
        closed=False,
    ),
    "PvBindResponse": _obj({"volumeName": _nullable("string"), "reason": STR, "message": STR}, closed=False),
    "PvSyncRequest": _obj(
        {
            "persistentVolume": {"type": "object"},
            "claims": _array({"type": "object"}),
            "storageClasses": _array({"type": "object"}),
            "pods": _array({"type": "object"}),
            "faults": {"type": "object"},
            "syncs": INT,
        },
        required=["persistentVolume"],
        closed=False,
    ),
    "FactsDocument": {
        "type": "object",
        "description": "The fact rule, the count and the facts (kubekg.chat.facts)",
    },
    "ToolsDocument": {
        "type": "object",
        "required": ["count", "tools"],
        "properties": {
            "count": INT,
            "tools": _array(
                {
                    "type": "object",
                    "required": ["type", "function"],
                    "properties": {
                        "type": {"const": "function"},
                        "function": {"type": "object", "required": ["name", "parameters"]},
                    },
                }
            ),
        },
    },
    "SimulationRequest": {
        "type": "object",
        "description": "A scenario: Kubernetes objects and timed actions",
    },
    "SimulationResponse": {"type": "object", "description": "The scenario's timeline and final state"},
    "RecordedRuns": _obj(
        {
            "runs": {
                "type": "array",
                "items": _obj(
                    {"id": {"type": "string"}, "graph": {"type": "string"}, "triples": {"type": "integer"}},
                    ["id", "graph", "triples"],
                ),
            },
            "count": {"type": "integer"},
            "limit": {"type": "integer"},
        },
        ["runs", "count", "limit"],
    ),
    "DeletedRun": _obj(
        {"deleted": {"type": "string"}, "triples": {"type": "integer"}}, ["deleted", "triples"]
    ),
    "RecordableSimulationRequest": _obj(
        {
            "recordRun": {
                "type": "boolean",
                "description": "Also store the run as a named graph https://kubekg.dev/graph/run/<id> (a write: "
                "needs KUBEKG_UPDATES=on and 'Authorization: Bearer <KUBEKG_UPDATE_TOKEN>'; at most MAX_RECORDED_RUNS run "
                "graphs are kept). The response then carries runGraph.",
            }
        },
        required=[],
        closed=False,
    ),
    "PvSyncResponse": _obj(
        {
            "persistentVolume": {"type": ["object", "null"]},
            "events": _array(_obj({"type": STR, "reason": STR, "message": STR}, closed=False)),
        },
        closed=False,
    ),
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": _ref("Error")}}}


def _ok(schema: str, description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": _ref(schema)}}}


def _query(name: str, description: str, schema: dict[str, Any], required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": _ref(schema)}}}


COMMON_ERRORS = {"405": _error("Method not allowed")}

# path -> (Flask rule, {method: operation}); only paths whose rule the app has are published
OPERATIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "/api/entities/{id}": (
        "/api/entities/<path:entity_id>",
        {
            "get": {
                "operationId": "getEntity",
                "tags": ["entities"],
                "summary": "An entity: labels, definition, types, relations both ways, document sections, errata",
                "parameters": [
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "description": "The local name after kr: (e.g. nfs), a prefixed name (kg:Component) or a full IRI, URL-encoded.",
                        "schema": {"type": "string"},
                        "example": "nfs",
                    },
                    _query(
                        "format",
                        "json (default) or markdown (a small cited document for retrieval)",
                        {"enum": ["json", "markdown"], "default": "json"},
                    ),
                    _query(
                        "lang",
                        "The language of the markdown document",
                        {"enum": ["en", "ko"], "default": "en"},
                    ),
                ],
                "responses": {
                    "200": {
                        "description": "The entity",
                        "content": {
                            JSON: {"schema": _ref("Entity")},
                            "text/markdown": {"schema": {"type": "string"}},
                        },
                    },
                    "400": _error("Invalid id or format"),
                    "404": _error("No such entity"),
                },
            }
        },
    ),
    "/api/search": (
        "/api/search",
        {
            "get": {
                "operationId": "searchEntities",
                "tags": ["entities"],
                "summary": "Entities by Korean or English label, abbreviation or near spelling, best first",
                "parameters": [
                    _query(
                        "q",
                        "The text to look for (1-200 characters)",
                        {"type": "string", "minLength": 1, "maxLength": 200},
                        True,
                    ),
                    _query(
                        "limit",
                        "How many results (1-100, default 10)",
                        {"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
                    ),
                ],
                "responses": {"200": _ok("SearchResponse"), "400": _error("Missing or invalid q or limit")},
            }
        },
    ),
    "/api/explain": (
        "/api/explain",
        {
            "get": {
                "operationId": "explainTriple",
                "tags": ["reasoning"],
                "summary": "Why a triple holds: asserted in which sections, or inferred by which rule from which premises",
                "parameters": [
                    _query("s", "Subject: prefixed name (kr:nfs), IRI or label", {"type": "string"}, True),
                    _query("p", "Predicate: prefixed name or IRI", {"type": "string"}, True),
                    _query("o", "Object: prefixed name, IRI, label or literal", {"type": "string"}, True),
                ],
                "responses": {
                    "200": _ok("Explanation", "The explanation tree"),
                    "400": _error("A missing or unreadable term"),
                    "404": {
                        "description": "The triple is neither asserted nor inferred (status absent)",
                        "content": {JSON: {"schema": _ref("ExplanationNotFound")}},
                    },
                },
            }
        },
    ),
    "/api/errata": (
        "/api/errata",
        {
            "get": {
                "operationId": "listErrata",
                "tags": ["document"],
                "summary": "The document's errata: what it says, the correction, the reason, the upstream reference",
                "responses": {"200": _ok("ErrataResponse")},
            }
        },
    ),
    "/api/graphs": (
        "/api/graphs",
        {
            "get": {
                "operationId": "listGraphs",
                "tags": ["document"],
                "summary": "The named graphs of the dataset with their triple counts",
                "responses": {"200": _ok("GraphsResponse")},
            }
        },
    ),
    "/api/ask": (
        "/api/ask",
        {
            "get": {
                "operationId": "askGet",
                "tags": ["questions"],
                "summary": "Answer a Korean or English question about Kubernetes, with evidence and sources",
                "parameters": [
                    _query("q", "The question", {"type": "string"}, True),
                    _query("lang", "The answer language (default: the question's)", {"enum": ["ko", "en"]}),
                ],
                "responses": {"200": _ok("AskResponse"), "400": _error("Empty or oversized question")},
            },
            "post": {
                "operationId": "askPost",
                "tags": ["questions"],
                "summary": "Answer a question sent as JSON",
                "requestBody": _body("AskRequest"),
                "responses": {
                    "200": _ok("AskResponse"),
                    "400": _error("Empty or oversized question, or invalid JSON"),
                    "413": _error("Body too large"),
                    "415": _error("Not JSON"),
                },
            },
        },
    ),
    "/api/facts": (
        "/api/facts",
        {
            "get": {
                "operationId": "listFacts",
                "tags": ["retrieval"],
                "summary": "Every asserted fact as a short cited sentence (inferred ones on request), stable order",
                "parameters": [
                    _query("lang", "Sentence language", {"enum": ["en", "ko"], "default": "en"}),
                    _query(
                        "format",
                        "json (one document) or jsonl (one fact per line)",
                        {"enum": ["json", "jsonl"], "default": "json"},
                    ),
                    _query(
                        "inferred",
                        "Add the inferred facts with their rule",
                        {"type": "boolean", "default": False},
                    ),
                ],
                "responses": {
                    "200": {
                        "description": "The facts",
                        "content": {
                            JSON: {"schema": _ref("FactsDocument")},
                            "application/x-ndjson": {"schema": {"type": "string"}},
                        },
                    },
                    "400": _error("Invalid lang, format or inferred"),
                },
            }
        },
    ),
    "/api/tools": (
        "/api/tools",
        {
            "get": {
                "operationId": "listTools",
                "tags": ["retrieval"],
                "summary": "kubekg's tools as OpenAI-style function definitions with strict JSON Schemas",
                "parameters": [
                    _query(
                        "extensions",
                        "Include x-kubekg-endpoint and x-kubekg-example",
                        {"type": "boolean", "default": True},
                    ),
                ],
                "responses": {"200": _ok("ToolsDocument"), "400": _error("Invalid extensions")},
            }
        },
    ),
    "/healthz": (
        "/healthz",
        {
            "get": {
                "operationId": "healthz",
                "tags": ["operations"],
                "summary": "Liveness",
                "responses": {"200": _ok("Health")},
            }
        },
    ),
    "/readyz": (
        "/readyz",
        {
            "get": {
                "operationId": "readyz",
                "tags": ["operations"],
                "summary": "Readiness: the graph is loaded and reasoned and the store answers",
                "responses": {
                    "200": _ok("Ready"),
                    "503": {
                        "description": "Not ready, with the reason",
                        "content": {JSON: {"schema": _ref("NotReady")}},
                    },
                },
            }
        },
    ),
}

SIMULATION_ERRORS = {
    "400": _error("Malformed body or objects (not an object, bad quantity, min > max, unknown kind...)"),
    "413": _error("Body too large"),
    "415": _error("Not JSON or YAML"),
    "422": _error(
        "Well-formed objects the API server or the graph would refuse (e.g. an HPA targeting a DaemonSet), "
        "or a scenario over a size limit, refused before it runs (scenario_too_large, details name the limit)"
    ),
    "503": _error(
        "The simulation ran past SIMULATION_TIMEOUT seconds and was stopped (simulation_timeout; Retry-After)"
    ),
}
# recordRun is a write, gated like SPARQL Update (same token check, same statuses)
RECORD_ERRORS = {
    "401": _error("recordRun without an 'Authorization: Bearer <token>' header"),
    "403": _error(
        "recordRun while updates are disabled (updates_disabled) or with a wrong token (invalid_token)"
    ),
    "409": _error("recordRun when MAX_RECORDED_RUNS run graphs are already kept (run_limit_reached)"),
}
# path -> (operationId, summary, request schema, response schema); bodies are JSON or YAML
SIMULATIONS: dict[str, tuple[str, str, str, str]] = {
    "/api/simulate/hpa/reconcile": (
        "simulateHpaReconcile",
        "One HPA reconcile as kube-controller-manager does it",
        "HpaReconcileRequest",
        "HpaReconcileResponse",
    ),
    "/api/simulate/hpa/timeline": (
        "simulateHpaTimeline",
        "An HPA over time: a load profile, pod start-up delay -> replicas, utilization and reason at every sync",
        "RecordableSimulationRequest",
        "SimulationResponse",
    ),
    "/api/simulate/pv/bind": (
        "simulatePvBind",
        "Which PersistentVolume the PV controller binds a claim to",
        "PvBindRequest",
        "PvBindResponse",
    ),
    "/api/simulate/pv/sync-volume": (
        "simulatePvSyncVolume",
        "The PV controller's volume sync (reclaim included) run n times",
        "PvSyncRequest",
        "PvSyncResponse",
    ),
    "/api/simulate/pv/scenario": (
        "simulatePvScenario",
        "Timed actions on PVs, claims, classes and pods -> phases and events after each step",
        "RecordableSimulationRequest",
        "SimulationResponse",
    ),
    "/api/simulate/daemonset": (
        "simulateDaemonSet",
        "A DaemonSet as nodes join and leave",
        "SimulationRequest",
        "SimulationResponse",
    ),
    "/api/simulate/job": (
        "simulateJob",
        "A Job retrying failed pods within backoffLimit",
        "SimulationRequest",
        "SimulationResponse",
    ),
    "/api/simulate/cronjob": (
        "simulateCronJob",
        "A CronJob creating Jobs on its schedule over a time window",
        "SimulationRequest",
        "SimulationResponse",
    ),
    "/api/simulate/deployment": (
        "simulateDeployment",
        "A Deployment rolling update (maxSurge/maxUnavailable) and rollback",
        "SimulationRequest",
        "SimulationResponse",
    ),
    "/api/simulate/nodeport": (
        "simulateNodePort",
        "NodePort allocation within the service node port range",
        "SimulationRequest",
        "SimulationResponse",
    ),
}
OPERATIONS["/api/simulate/runs"] = (
    "/api/simulate/runs",
    {
        "get": {
            "operationId": "listSimulationRuns",
            "tags": ["simulation"],
            "summary": "The simulation runs recorded with recordRun: id, named graph, triples; and the limit",
            "responses": {"200": _ok("RecordedRuns")},
        }
    },
)
OPERATIONS["/api/simulate/runs/{run_id}"] = (
    "/api/simulate/runs/<run_id>",
    {
        "delete": {
            "operationId": "deleteSimulationRun",
            "tags": ["simulation"],
            "summary": "Remove a recorded run's graph (a write, gated like SPARQL Update, logged durably)",
            "parameters": [
                {
                    "name": "run_id",
                    "in": "path",
                    "required": True,
                    "description": "The run id, as GET /api/simulate/runs lists it (pv-... or hpa-...)",
                    "schema": {"type": "string"},
                    "example": "pv-0123456789abcdef",
                }
            ],
            "responses": {
                "200": _ok("DeletedRun"),
                "401": _error("No 'Authorization: Bearer <token>' header"),
                "403": _error(
                    "Updates are disabled (updates_disabled) or the token is wrong (invalid_token)"
                ),
                "404": _error("No recorded run has this id (not_found)"),
            },
        }
    },
)
for _path, (_op_id, _summary, _req, _resp) in SIMULATIONS.items():
    OPERATIONS[_path] = (
        _path,
        {
            "post": {
                "operationId": _op_id,
                "tags": ["simulation"],
                "summary": _summary,
                "requestBody": {
                    "required": True,
                    "content": {JSON: {"schema": _ref(_req)}, "application/yaml": {"schema": _ref(_req)}},
                },
                "responses": {
                    "200": _ok(_resp),
                    **SIMULATION_ERRORS,
                    **(RECORD_ERRORS if _req == "RecordableSimulationRequest" else {}),
                },
            }
        },
    )

# Extra operations other blueprints may publish: path -> (rule, operations), added with ``register_operations``.
EXTRA_OPERATIONS: dict[str, tuple[str, dict[str, Any]]] = {}
EXTRA_SCHEMAS: dict[str, Any] = {}


def register_operations(
    paths: dict[str, tuple[str, dict[str, Any]]], schemas: dict[str, Any] | None = None
) -> None:
    """Let another blueprint (e.g. simulation scenarios) document its routes: {path: (flask rule, {method: op})}."""
    EXTRA_OPERATIONS.update(paths)
    EXTRA_SCHEMAS.update(schemas or {})


def build_spec(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.1 document for the routes this app really has."""
    rules: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        rules.setdefault(rule.rule, set()).update(m.lower() for m in rule.methods or ())
    paths: dict[str, Any] = {}
    for path, (rule, operations) in {**OPERATIONS, **EXTRA_OPERATIONS}.items():
        if rule not in rules:
            continue
        ops = {m: copy.deepcopy(op) for m, op in operations.items() if m in rules[rule]}
        for op in ops.values():
            op["responses"] = {**op["responses"], **COMMON_ERRORS}
        if ops:
            paths[path] = ops
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "kubekg REST API",
            "version": kubekg.__version__,
            "description": "A knowledge graph of a Korean Kubernetes overview: entities, search, explanations, errata, "
            "questions and controller simulations. Every client error has the shape "
            '{"error": {"code": ..., "message": ...}}. SPARQL 1.1 is served at /sparql (Protocol, not described here).',
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": {**SCHEMAS, **EXTRA_SCHEMAS}},
    }


@bp.get("/openapi.json")
def openapi_json() -> Response:
    """The OpenAPI 3.1 document (built once per app)."""
    spec = current_app.extensions.get("kubekg_openapi")
    if spec is None:
        spec = current_app.extensions["kubekg_openapi"] = build_spec(current_app)
    return jsonify(spec)


@bp.get("/api/docs")
def docs() -> str:
    """A page that renders the OpenAPI document with kubekg's own script (no CDN)."""
    return render_template("api-docs.html")
