"""The kubekg tools, declared once: JSON Schemas, output schema, REST endpoint, example call, and the code that runs them.

Every tool calls the same domain function as its REST endpoint (``kubekg.qa`` for ``/api/ask``, ``kubekg.sparql``'s
``answer_query`` with the service's timeout and row cap for ``/sparql``, ``kubekg.web.entities`` for
``/api/entities`` and ``/api/search``, ``KnowledgeGraph.explain`` for ``/api/explain``, ``kubekg.simulation`` for
``/api/simulate/...``), so a tool result is the REST response body. The parameter schemas are written in the strict
form of function calling (every property required, optional ones nullable, no additional properties) with
validation keywords; :func:`mcp_input_schema` derives the MCP ``inputSchema`` (optional properties not required) and
:func:`strict_parameters` the OpenAI ``parameters`` (validation keywords removed, as strict mode requires).
Bad input raises a :mod:`kubekg.errors` class with a clear message; the MCP server turns it into ``isError``.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kubekg.errors import BadRequest, Forbidden, InvalidParameter, KubeKGError, NotFound

log = logging.getLogger("kubekg.mcp")

LANG_SCHEMA = {
    "type": ["string", "null"],
    "enum": ["ko", "en", None],
    "description": "Language of the answer: 'ko' or 'en'; null for the default (the question's language for ask).",
}
MAX_TERM_CHARS = 2000  # as /api/entities and /api/explain
MAX_SEARCH_CHARS = 200  # as /api/search (kubekg.web.entities.MAX_QUERY_CHARS)
MAX_SCENARIO_CHARS = 4 * 1024 * 1024  # as /api/simulate (kubekg.web.simulate.MAX_BODY)
SPARQL_ACCEPT = "application/sparql-results+json, text/turtle;q=0.9"

# Validation keywords OpenAI's strict mode does not accept; the server still enforces them.
NON_STRICT_KEYWORDS = frozenset(
    {
        "minLength",
        "maxLength",
        "pattern",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minItems",
        "maxItems",
        "uniqueItems",
        "default",
        "examples",
    }
)


class InvalidArguments(InvalidParameter):
    """Tool arguments that do not satisfy the tool's input schema."""

    code = "invalid_arguments"


class UnknownTool(NotFound):
    """A tool name kubekg does not have."""

    code = "unknown_tool"


class ToolUnavailable(KubeKGError):
    """A tool whose implementing package is not installed in this build."""

    code, status = "tool_unavailable", 501


@dataclass(frozen=True)
class ToolContext:
    """What the tools run against: the graph and the service limits (the same settings as the REST endpoints)."""

    kg: Any
    query_timeout: float = 10.0
    max_timeout: float = 60.0
    max_rows: int = 10_000
    max_question_chars: int = 500
    service_allowlist: tuple[str, ...] = ()
    max_patterns: int = 64  # MAX_PATTERNS: the query complexity cap of /sparql
    simulation_timeout: float = 10.0  # SIMULATION_TIMEOUT: the wall-clock budget of one simulate_* run
    on_runaway: Callable[[], None] | None = None

    @classmethod
    def from_config(cls, kg: Any, config: Any, on_runaway: Callable[[], None] | None = None) -> ToolContext:
        """From a :class:`kubekg.config.Config` or a Flask ``app.config`` mapping (upper-case keys)."""

        def get(name: str, default: Any) -> Any:
            if isinstance(config, Mapping):
                return config.get(name, default)
            return getattr(config, name, default)

        return cls(
            kg=kg,
            query_timeout=float(get("QUERY_TIMEOUT", 10.0)),
            max_timeout=float(get("MAX_TIMEOUT", 60.0)),
            max_rows=int(get("MAX_ROWS", 10_000)),
            max_question_chars=int(get("MAX_QUESTION_CHARS", 500)),
            service_allowlist=tuple(get("SERVICE_ALLOWLIST", ()) or ()),
            max_patterns=int(get("MAX_PATTERNS", 64)),
            simulation_timeout=float(get("SIMULATION_TIMEOUT", 10.0)),
            on_runaway=on_runaway,
        )

    def effective_timeout(self, requested: float | None) -> float:
        """As ``/sparql``: the requested timeout capped at MAX_TIMEOUT, or QUERY_TIMEOUT when none is given."""
        value = self.query_timeout if requested is None else float(requested)
        return min(value, self.max_timeout)


@dataclass(frozen=True)
class Tool:
    """One tool: its schemas, the REST endpoint that executes the same call, an example, and its implementation."""

    name: str
    title: str
    description: str
    parameters: dict[str, Any]
    output_schema: dict[str, Any]
    endpoint: dict[str, Any]
    example: dict[str, Any]
    run: Callable[[ToolContext, dict[str, Any]], dict[str, Any]]
    mcp_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    extra_text: Callable[[ToolContext, dict[str, Any], dict[str, Any]], list[str]] | None = None


# ------------------------------------------------------------------------------------------------ schema helpers
def _obj(properties: dict[str, Any], description: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def is_nullable(schema: Mapping[str, Any]) -> bool:
    """True when a schema admits null (``"type": [..., "null"]``, ``"type": "null"`` or a null branch)."""
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    return any(is_nullable(branch) for branch in schema.get("anyOf", []))


def strict_parameters(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The schema without the validation keywords strict function calling rejects (recursively)."""
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in NON_STRICT_KEYWORDS:
            continue
        if key == "properties":
            out[key] = {name: strict_parameters(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "not") and isinstance(value, Mapping):
            out[key] = strict_parameters(value)
        elif key in ("anyOf", "allOf", "oneOf", "prefixItems"):
            out[key] = [strict_parameters(sub) for sub in value]
        elif key in ("$defs", "definitions"):
            out[key] = {name: strict_parameters(sub) for name, sub in value.items()}
        else:
            out[key] = copy.deepcopy(value)
    return out


def _relax(schema: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(dict(schema))
    if out.get("type") == "object" and "properties" in out:
        out["properties"] = {name: _relax(sub) for name, sub in out["properties"].items()}
        out["required"] = [n for n in out.get("required", []) if not is_nullable(out["properties"][n])]
    if isinstance(out.get("items"), Mapping):
        out["items"] = _relax(out["items"])
    return out


def mcp_input_schema(tool: Tool) -> dict[str, Any]:
    """The MCP ``inputSchema``: the strict form with nullable (optional) properties no longer required."""
    schema = _relax(tool.parameters)
    for name, override in tool.mcp_overrides.items():
        schema["properties"][name] = {**schema["properties"][name], **override}
    return schema


# ------------------------------------------------------------------------------------------------ implementations
def run_ask(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    """``POST /api/ask``: the question-answering contract (answers, text, SPARQL, evidence, sources)."""
    try:
        from kubekg.qa.engine import get_answerer
    except ImportError as exc:  # pragma: no cover - kubekg.qa ships with the package
        raise ToolUnavailable(f"question answering is not installed: {exc}") from None
    return get_answerer(ctx.kg, ctx.max_question_chars).answer(args["question"], args.get("lang"))


def run_sparql(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    """``/sparql``: one read-only query under the service's timeout and row cap, SERVICE guarded; updates refused."""
    from kubekg.sparql import execute, guard, lexer

    query = args["query"]
    keyword = lexer.first_keyword(lexer.tokenize(query))
    if keyword in lexer.UPDATE_KEYWORDS:
        raise Forbidden(
            f"the sparql tool is read-only: SPARQL Update ({keyword}) is refused; "
            "use SELECT, ASK, CONSTRUCT or DESCRIBE"
        )
    timeout = ctx.effective_timeout(args.get("timeout"))
    engine = execute.engine_for(ctx.kg)
    try:
        answer = execute.answer_query(
            engine,
            query,
            default_graphs=[],
            named_graphs=[],
            asserted_only=bool(args.get("asserted_only")),
            accept=SPARQL_ACCEPT,
            formats=[],
            base_iri=None,
            timeout=timeout,
            max_rows=ctx.max_rows,
            allowlist=guard.AllowList(ctx.service_allowlist),
            max_patterns=ctx.max_patterns,
        )
    except execute.Runaway:
        if ctx.on_runaway is not None:
            ctx.on_runaway()
        raise
    if answer.runaway and ctx.on_runaway is not None:
        ctx.on_runaway()
    out: dict[str, Any]
    if answer.format.kind == "graph":
        out = {"kind": "graph", "turtle": answer.body.decode("utf-8")}
    else:
        doc = json.loads(answer.body)
        if "boolean" in doc:
            out = {"kind": "ask", "boolean": bool(doc["boolean"])}
        else:
            out = {"kind": "select", "head": doc["head"], "results": doc["results"]}
    out.update(
        {"rows": answer.rows, "truncated": answer.truncated, "rowLimit": answer.row_limit, "timeout": timeout}
    )
    return out


def resolve_entity(kg: Any, text: str) -> tuple[str, list[str]]:
    """The IRI a label, abbreviation, prefixed name or IRI denotes, and the other candidates (``NotFound`` if none)."""
    text = text.strip()
    matches = list(kg.resolve(text)) if hasattr(kg, "resolve") else []
    if not matches:
        from kubekg.web import entities

        hits = entities.search_index(kg).search(text, 3)
        matches = [
            h["iri"] for h in hits if h["match"] == "exact" or (h["match"] == "fuzzy" and h["score"] >= 0.44)
        ]
    if not matches:
        raise NotFound(
            f"no entity has the label, abbreviation or IRI {text!r}; use the search tool to find similar names"
        )
    return matches[0], matches[1:]


def run_describe(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    """``GET /api/entities/{id}``: labels, definition, types, relations both ways, sections and errata."""
    from kubekg.web import entities

    iri, _ = resolve_entity(ctx.kg, args["entity"])
    return entities.entity_data(ctx.kg, iri)


def describe_text(ctx: ToolContext, args: dict[str, Any], result: dict[str, Any]) -> list[str]:
    """The described entity as cited Markdown too (what ``/api/entities/{id}?format=markdown`` returns)."""
    from kubekg.chat.markdown import entity_markdown

    _, others = resolve_entity(ctx.kg, args["entity"])
    text = entity_markdown(ctx.kg, result["iri"], args.get("lang") or "en")
    if others:
        text += "\nOther entities with this name: " + ", ".join(f"<{o}>" for o in others) + "\n"
    return [text]


def run_search(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    """``GET /api/search``: entities whose Korean or English label or abbreviation matches, best first."""
    from kubekg.web import entities

    query = args["query"].strip()
    if not query:
        raise InvalidArguments("argument query must not be blank")
    limit = args.get("limit") or 10
    results = entities.search_index(ctx.kg).search(query, limit)
    return {"query": query, "count": len(results), "results": results}


def run_explain(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    """``GET /api/explain``: why a triple holds (asserted with its sections, or inferred with rule and premises)."""
    from kubekg.graph import ExplainError

    try:
        explanation = ctx.kg.explain(
            args["subject"].strip(), args["predicate"].strip(), args["object"].strip()
        )
    except ExplainError as exc:
        raise InvalidParameter(str(exc)) from None
    return explanation.to_dict()


def _scenario(raw: Any) -> Any:
    """A scenario given as a JSON/YAML mapping or as YAML/JSON text (safe_load; JSON is YAML)."""
    from kubekg.simulation.errors import InvalidBody

    if isinstance(raw, Mapping):
        return dict(raw)
    from kubekg.simulation import yamlio

    if not raw.strip():
        raise InvalidBody("the scenario is empty; give a YAML or JSON mapping")
    return yamlio.load(raw, "the scenario")


def _simulation_facts(kg: Any) -> Any:
    """The graph's facts for the simulators, as ``/api/simulate`` reads them (static document values otherwise)."""
    from kubekg.simulation.facts import DEFAULT_FACTS, facts_for

    return facts_for(kg) if hasattr(kg, "query_file") else DEFAULT_FACTS


def _simulate(path: str, ctx: ToolContext, scenario: Any) -> dict[str, Any]:
    """Run the function that serves ``POST path`` (the simulation blueprint's route table) on the scenario."""
    try:
        from kubekg.web.simulate import ROUTES
    except ImportError as exc:
        raise ToolUnavailable(f"this kubekg build has no simulation endpoints ({exc})") from None
    runner = ROUTES.get(path)
    if runner is None:
        raise ToolUnavailable(f"this kubekg build has no endpoint POST {path}")
    from kubekg.simulation.budget import Budget

    body = _scenario(scenario)
    try:  # never records a run (recordRun is a write of the REST endpoint only); bounded like /api/simulate
        return runner(body, _simulation_facts(ctx.kg), budget=Budget(ctx.simulation_timeout))
    except RecursionError:
        from kubekg.simulation.errors import InvalidBody

        raise InvalidBody("the scenario is nested too deeply") from None


HPA_PATHS = {"timeline": "/api/simulate/hpa/timeline", "reconcile": "/api/simulate/hpa/reconcile"}
PV_PATHS = {
    "scenario": "/api/simulate/pv/scenario",
    "bind": "/api/simulate/pv/bind",
    "sync-volume": "/api/simulate/pv/sync-volume",
}


def run_simulate_hpa(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    """``POST /api/simulate/hpa/timeline`` (or ``/reconcile`` for one controller sync)."""
    return _simulate(HPA_PATHS[args.get("mode") or "timeline"], ctx, args["scenario"])


def run_simulate_pv(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    """``POST /api/simulate/pv/scenario`` (or ``/bind``, ``/sync-volume`` for one controller step)."""
    return _simulate(PV_PATHS[args.get("mode") or "scenario"], ctx, args["scenario"])


# ------------------------------------------------------------------------------------------------ declarations
_ANY_OBJECT = {"type": "object"}

ASK_OUTPUT = {
    "type": "object",
    "description": "The /api/ask answer contract (issue 4 section 1).",
    "required": ["understood", "answers", "text"],
    "properties": {
        "understood": {"type": "boolean"},
        "answers": {"type": "array", "items": _ANY_OBJECT},
        "text": {"type": "string"},
        "sparql": {"type": ["string", "null"]},
        "evidence": {"type": "array"},
        "sources": {"type": "array"},
    },
}
SPARQL_OUTPUT = {
    "type": "object",
    "description": "SELECT: head and results as SPARQL JSON results; ASK: boolean; CONSTRUCT/DESCRIBE: Turtle.",
    "required": ["kind", "rows", "truncated", "rowLimit", "timeout"],
    "properties": {
        "kind": {"enum": ["select", "ask", "graph"]},
        "head": {"type": "object", "properties": {"vars": {"type": "array", "items": {"type": "string"}}}},
        "results": {"type": "object", "properties": {"bindings": {"type": "array", "items": _ANY_OBJECT}}},
        "boolean": {"type": "boolean"},
        "turtle": {"type": "string"},
        "rows": {"type": "integer"},
        "truncated": {"type": "boolean"},
        "rowLimit": {"type": "integer"},
        "timeout": {"type": "number"},
    },
}
_LABELS = {
    "type": "object",
    "properties": {"en": {"type": ["string", "null"]}, "ko": {"type": ["string", "null"]}},
}
DESCRIBE_OUTPUT = {
    "type": "object",
    "description": "The /api/entities/{id} JSON of the entity.",
    "required": ["iri", "id", "label", "labels", "relations", "sections", "errata"],
    "properties": {
        "iri": {"type": "string"},
        "id": {"type": "string"},
        "label": {"type": "string"},
        "labels": _LABELS,
        "altLabels": {"type": "array", "items": {"type": "string"}},
        "definition": _LABELS,
        "types": {"type": "array", "items": _ANY_OBJECT},
        "relations": {
            "type": "object",
            "required": ["outgoing", "incoming"],
            "properties": {"outgoing": {"type": "array"}, "incoming": {"type": "array"}},
        },
        "sections": {"type": "array", "items": _ANY_OBJECT},
        "errata": {"type": "array", "items": _ANY_OBJECT},
    },
}
SEARCH_OUTPUT = {
    "type": "object",
    "description": "The /api/search JSON: entities best first, each with its labels, the label matched and a score.",
    "required": ["query", "count", "results"],
    "properties": {
        "query": {"type": "string"},
        "count": {"type": "integer"},
        "results": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["iri", "id", "label", "labels", "score"],
                "properties": {
                    "iri": {"type": "string"},
                    "id": {"type": "string"},
                    "label": {"type": "string"},
                    "labels": _LABELS,
                    "matched": {"type": "string"},
                    "match": {"type": "string"},
                    "score": {"type": "number"},
                },
            },
        },
    },
}
EXPLAIN_OUTPUT = {
    "type": "object",
    "description": "The /api/explain tree: status asserted (sections, rows), inferred (rule, premises) or absent.",
    "required": ["triple", "status", "premises"],
    "properties": {
        "triple": {
            "type": "object",
            "required": ["subject", "predicate", "object"],
            "properties": {k: {"type": "string"} for k in ("subject", "predicate", "object")},
        },
        "status": {"enum": ["asserted", "inferred", "absent"]},
        "sections": {"type": "array", "items": _ANY_OBJECT},
        "rows": {"type": "array", "items": _ANY_OBJECT},
        "rule": {"type": ["object", "null"]},
        "premises": {"type": "array", "items": _ANY_OBJECT},
    },
}
SIMULATION_OUTPUT = {
    "type": "object",
    "description": "The JSON the /api/simulate endpoint returns for this scenario (a timeline, or one decision).",
}

_HPA_EXAMPLE = """hpa:
  apiVersion: autoscaling/v2
  kind: HorizontalPodAutoscaler
  metadata: {name: web}
  spec:
    scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
    minReplicas: 2
    maxReplicas: 10
    metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
podTemplate:
  spec:
    containers:
    - name: app
      resources: {requests: {cpu: 200m}}
initialReplicas: 2
duration: 10m
load:
- {at: 0s, value: 200m}
- {at: 2m, value: 1200m}
"""
_PV_EXAMPLE = """start: "2024-01-01T00:00:00Z"
persistentVolumes:
- apiVersion: v1
  kind: PersistentVolume
  metadata: {name: pv-nfs}
  spec:
    capacity: {storage: 10Gi}
    accessModes: [ReadWriteMany]
    persistentVolumeReclaimPolicy: Retain
    storageClassName: ""
    nfs: {server: nfs.example, path: /export}
steps:
- at: 0s
  action: create
  object:
    apiVersion: v1
    kind: PersistentVolumeClaim
    metadata: {name: data, namespace: default}
    spec:
      accessModes: [ReadWriteMany]
      storageClassName: ""
      resources: {requests: {storage: 5Gi}}
- {at: 1m, action: delete, kind: PersistentVolumeClaim, name: data}
"""

TOOLS: tuple[Tool, ...] = (
    Tool(
        name="ask",
        title="Ask a Kubernetes question",
        description=(
            "Answer a question about Kubernetes (in Korean or English) from the kubekg knowledge graph, with the "
            "facts and rules behind the answer and the document sections it comes from. Returns understood=false "
            "(and suggested questions) instead of guessing when the graph does not cover the question."
        ),
        parameters=_obj(
            {
                "question": {
                    "type": "string",
                    "minLength": 1,
                    "description": "The question, in Korean or English (at most the server's MAX_QUESTION_CHARS, "
                    "500 by default).",
                },
                "lang": LANG_SCHEMA,
            }
        ),
        output_schema=ASK_OUTPUT,
        endpoint={
            "method": "POST",
            "path": "/api/ask",
            "body": "json",
            "arguments": {"question": "question", "lang": "lang"},
        },
        example={"question": "Which volume plugins support ReadWriteMany?", "lang": "en"},
        run=run_ask,
    ),
    Tool(
        name="sparql",
        title="Run a read-only SPARQL query",
        description=(
            "Run a SPARQL 1.1 query (SELECT, ASK, CONSTRUCT or DESCRIBE) over the kubekg graph with the service's "
            "timeout and row cap. Prefixes kg: (ontology), kr: (entities), ks: (sections), rdf:, rdfs:, owl:, "
            "skos:, xsd: are predeclared. Updates are refused; SERVICE only reaches allow-listed hosts."
        ),
        parameters=_obj(
            {
                "query": {"type": "string", "minLength": 1, "description": "The SPARQL query text."},
                "asserted_only": {
                    "type": ["boolean", "null"],
                    "description": "true: hide the reasoner's inferred graph; null or false: asserted and inferred.",
                },
                "timeout": {
                    "type": ["number", "null"],
                    "exclusiveMinimum": 0,
                    "description": "Timeout in seconds (capped at the server's MAX_TIMEOUT); null: QUERY_TIMEOUT.",
                },
            }
        ),
        output_schema=SPARQL_OUTPUT,
        endpoint={
            "method": "POST",
            "path": "/sparql",
            "body": "form",
            "accept": "application/sparql-results+json",
            "arguments": {"query": "query", "asserted_only": "asserted-only", "timeout": "timeout"},
        },
        example={
            "query": "SELECT ?plugin WHERE { ?plugin kg:supportsAccessMode kr:ReadWriteMany } ORDER BY ?plugin",
            "asserted_only": None,
            "timeout": None,
        },
        run=run_sparql,
    ),
    Tool(
        name="describe",
        title="Describe an entity",
        description=(
            "Everything the graph says about one entity, found by its Korean or English label, abbreviation, "
            "prefixed name (kr:nfs) or IRI: labels, definition, types, relations in both directions, the document "
            "sections it appears in and errata. The text result is the entity as a cited Markdown document."
        ),
        parameters=_obj(
            {
                "entity": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": MAX_TERM_CHARS,
                    "description": "A label ('kube-proxy', '퍼시스턴트 볼륨'), abbreviation ('PVC'), kr: name or IRI.",
                },
                "lang": LANG_SCHEMA,
            }
        ),
        output_schema=DESCRIBE_OUTPUT,
        endpoint={
            "method": "GET",
            "path": "/api/entities/{entity}",
            "arguments": {
                "entity": "path (kr: local name, prefixed name or URL-encoded IRI; resolve labels "
                "with /api/search first)",
                "lang": "unused by the JSON route",
            },
        },
        example={"entity": "kube-proxy", "lang": None},
        run=run_describe,
        extra_text=describe_text,
    ),
    Tool(
        name="search",
        title="Search entities by name",
        description=(
            "Find entities whose Korean or English label or abbreviation matches a text (exact, prefix, substring "
            "or a near spelling), best first. Use it to find the kr: name of something before describe or explain."
        ),
        parameters=_obj(
            {
                "query": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": MAX_SEARCH_CHARS,
                    "description": "The name or part of it, in Korean or English.",
                },
                "limit": {
                    "type": ["integer", "null"],
                    "minimum": 1,
                    "maximum": 100,
                    "description": "How many results (1-100); null: 10.",
                },
            }
        ),
        output_schema=SEARCH_OUTPUT,
        endpoint={"method": "GET", "path": "/api/search", "arguments": {"query": "q", "limit": "limit"}},
        example={"query": "persistent volume claim", "limit": 5},
        run=run_search,
    ),
    Tool(
        name="explain",
        title="Explain why a fact holds",
        description=(
            "Why a triple holds: asserted (with the document sections and table rows that state it) or inferred "
            "(with the rule and its premises, down to asserted facts), or absent. Terms are prefixed names "
            "(kr:nfs, kg:supportsAccessMode), IRIs, labels, or literals for the object."
        ),
        parameters=_obj(
            {
                "subject": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": MAX_TERM_CHARS,
                    "description": "Subject.",
                },
                "predicate": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": MAX_TERM_CHARS,
                    "description": "Predicate (a kg: property or its label).",
                },
                "object": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": MAX_TERM_CHARS,
                    "description": "Object (an entity or a literal value).",
                },
            }
        ),
        output_schema=EXPLAIN_OUTPUT,
        endpoint={
            "method": "GET",
            "path": "/api/explain",
            "arguments": {"subject": "s", "predicate": "p", "object": "o"},
            "note": "the REST endpoint answers 404 for an absent triple; the tool returns status 'absent'",
        },
        example={"subject": "kr:nfs", "predicate": "kg:supportsAccessMode", "object": "kr:ReadWriteMany"},
        run=run_explain,
    ),
    Tool(
        name="simulate_hpa",
        title="Simulate the Horizontal Pod Autoscaler",
        description=(
            "Run the HPA controller over a scenario: mode 'timeline' (default) reconciles every sync period "
            "(15 s, from the graph) over a load profile and returns replicas, utilization and decisions over time; "
            "mode 'reconcile' runs one controller sync on the /api/simulate/hpa/reconcile contract."
        ),
        parameters=_obj(
            {
                "scenario": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": MAX_SCENARIO_CHARS,
                    "description": "The request body as YAML or JSON text: for a timeline an autoscaling/v2 HPA "
                    "('hpa'), the pods' requests ('podTemplate' or 'deployment'), 'initialReplicas', 'duration' and "
                    "a 'load' profile (steps {at, value}, ramps {type: ramp, from, to, start, end}, spikes).",
                },
                "mode": {
                    "type": ["string", "null"],
                    "enum": ["timeline", "reconcile", None],
                    "description": "'timeline' (default) or 'reconcile' (one sync).",
                },
            }
        ),
        output_schema=SIMULATION_OUTPUT,
        endpoint={
            "method": "POST",
            "path": "/api/simulate/hpa/timeline",
            "body": "scenario (Content-Type application/yaml or application/json)",
            "arguments": {"scenario": "body", "mode": "path: /api/simulate/hpa/{timeline|reconcile}"},
        },
        example={"scenario": _HPA_EXAMPLE, "mode": "timeline"},
        run=run_simulate_hpa,
        mcp_overrides={"scenario": {"type": ["string", "object"]}},
    ),
    Tool(
        name="simulate_pv",
        title="Simulate PersistentVolumes and claims",
        description=(
            "Run the PersistentVolume controller: mode 'scenario' (default) plays a scenario of volumes, claims "
            "and events and returns their states over time; 'bind' picks the volume a claim binds to "
            "(/api/simulate/pv/bind contract); 'sync-volume' runs the volume sync with reclaim "
            "(/api/simulate/pv/sync-volume contract)."
        ),
        parameters=_obj(
            {
                "scenario": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": MAX_SCENARIO_CHARS,
                    "description": "The request body as YAML or JSON text (PersistentVolume, PersistentVolumeClaim "
                    "and StorageClass manifests as the chosen endpoint expects).",
                },
                "mode": {
                    "type": ["string", "null"],
                    "enum": ["scenario", "bind", "sync-volume", None],
                    "description": "'scenario' (default), 'bind' or 'sync-volume'.",
                },
            }
        ),
        output_schema=SIMULATION_OUTPUT,
        endpoint={
            "method": "POST",
            "path": "/api/simulate/pv/scenario",
            "body": "scenario (Content-Type application/yaml or application/json)",
            "arguments": {"scenario": "body", "mode": "path: /api/simulate/pv/{scenario|bind|sync-volume}"},
        },
        example={"scenario": _PV_EXAMPLE, "mode": "scenario"},
        run=run_simulate_pv,
        mcp_overrides={"scenario": {"type": ["string", "object"]}},
    ),
)
BY_NAME: dict[str, Tool] = {t.name: t for t in TOOLS}


# ------------------------------------------------------------------------------------------------ calling
def get_tool(name: str) -> Tool:
    """The tool of that name (``UnknownTool`` otherwise)."""
    tool = BY_NAME.get(name)
    if tool is None:
        raise UnknownTool(f"no tool named {name!r}; the tools are: {', '.join(BY_NAME)}")
    return tool


_VALIDATORS: dict[str, Any] = {}


def _validator(tool: Tool) -> Any:
    validator = _VALIDATORS.get(tool.name)
    if validator is None:
        from jsonschema import Draft202012Validator

        validator = _VALIDATORS[tool.name] = Draft202012Validator(mcp_input_schema(tool))
    return validator


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def validate_arguments(tool: Tool, arguments: Mapping[str, Any] | None) -> dict[str, Any]:
    """The arguments checked against the tool's MCP input schema (``InvalidArguments`` with every problem)."""
    args = dict(arguments or {})
    errors = sorted(_validator(tool).iter_errors(args), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        problems = []
        for error in errors[:5]:
            where = ".".join(str(p) for p in error.absolute_path)
            problems.append(f"{where}: {_short(error.message)}" if where else _short(error.message))
        raise InvalidArguments(f"invalid arguments for tool {tool.name}: " + "; ".join(problems))
    return args


def call_tool(name: str, arguments: Mapping[str, Any] | None, ctx: ToolContext) -> dict[str, Any]:
    """Validate and run one tool; raises a :mod:`kubekg.errors` class for bad input (never returns an error dict)."""
    tool = get_tool(name)
    args = validate_arguments(tool, arguments)
    try:
        return tool.run(ctx, args)
    except RecursionError:
        raise BadRequest(f"the arguments of {name} are nested too deeply") from None


def to_text(result: Mapping[str, Any]) -> str:
    """The structured result as JSON text (the text content every tool result carries)."""
    return json.dumps(result, ensure_ascii=False, indent=1)


# ------------------------------------------------------------------------------------------------ function calling
def openai_function(tool: Tool, extensions: bool = True) -> dict[str, Any]:
    """The tool as an OpenAI-style function definition with a strict schema (and kubekg's endpoint and example)."""
    entry: dict[str, Any] = {
        "type": "function",
        "function": {
            "name": tool.name,
            "description": tool.description,
            "parameters": strict_parameters(tool.parameters),
            "strict": True,
        },
    }
    if extensions:
        entry["x-kubekg-endpoint"] = copy.deepcopy(tool.endpoint)
        entry["x-kubekg-example"] = {"name": tool.name, "arguments": copy.deepcopy(tool.example)}
    return entry


def openai_functions(extensions: bool = True) -> list[dict[str, Any]]:
    """Every tool as an OpenAI-style function definition, in declaration order."""
    return [openai_function(t, extensions) for t in TOOLS]


__all__ = [
    "BY_NAME",
    "TOOLS",
    "InvalidArguments",
    "Tool",
    "ToolContext",
    "ToolUnavailable",
    "UnknownTool",
    "call_tool",
    "get_tool",
    "is_nullable",
    "mcp_input_schema",
    "openai_function",
    "openai_functions",
    "resolve_entity",
    "strict_parameters",
    "to_text",
    "validate_arguments",
]
