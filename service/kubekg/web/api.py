"""The JSON REST API under ``/api``: entities, search, explanations, errata and graphs (issue 3, section 4).

Every client mistake raises a :mod:`kubekg.errors` class; ``kubekg.web`` turns it into the one error shape.
The OpenAPI document (``kubekg.web.openapi``) describes exactly these routes, and a test checks real responses
against it.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from flask import Blueprint, Response, jsonify, request

from kubekg.errors import InvalidParameter, MissingParameter, NotFound
from kubekg.web import entities, error_response, get_graph

bp = Blueprint("api", __name__, url_prefix="/api")

SEARCH_LIMIT_DEFAULT = 10
SEARCH_LIMIT_MAX = 100
MAX_TERM_CHARS = 2000
ENTITY_FORMATS = ("json", "markdown")
MARKDOWN_LANGS = ("en", "ko")


def int_arg(name: str, default: int, lo: int, hi: int) -> int:
    """An integer query parameter within [lo, hi] (400 invalid_parameter otherwise)."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise InvalidParameter(
            f"parameter {name} must be an integer between {lo} and {hi}, not {raw!r}"
        ) from None
    if not lo <= value <= hi:
        raise InvalidParameter(f"parameter {name} must be between {lo} and {hi}, not {value}")
    return value


def text_arg(name: str, max_chars: int = MAX_TERM_CHARS) -> str:
    """A required, non-blank text query parameter (400 missing_parameter / invalid_parameter otherwise)."""
    raw = request.args.get(name)
    if raw is None or not raw.strip():
        raise MissingParameter(f"parameter {name} is required and must not be empty")
    if len(raw) > max_chars:
        raise InvalidParameter(f"parameter {name} is longer than {max_chars} characters")
    if "\x00" in raw:
        raise InvalidParameter(f"parameter {name} contains a NUL character")
    return raw.strip()


@bp.get("/entities/<path:entity_id>", merge_slashes=False)
def entity(entity_id: str) -> Response:
    """An entity by ``kr:`` local name, prefixed name or URL-encoded IRI."""
    fmt = request.args.get("format", "json")
    if fmt not in ENTITY_FORMATS:
        raise InvalidParameter(f"parameter format must be one of {', '.join(ENTITY_FORMATS)}, not {fmt!r}")
    lang = request.args.get("lang", "en")
    if lang not in MARKDOWN_LANGS:
        raise InvalidParameter(f"parameter lang must be one of {', '.join(MARKDOWN_LANGS)}, not {lang!r}")
    iri = entities.parse_entity_id(entity_id)
    if fmt == "markdown":
        return Response(entity_markdown(iri, lang), mimetype="text/markdown")
    return jsonify(entities.entity_data(get_graph(), iri))


def entity_markdown(iri: str, lang: str) -> str:
    """The cited Markdown of an entity: the chat package's (issue 5) when installed, else the built-in one."""
    if importlib.util.find_spec("kubekg.chat.markdown") is not None:
        from kubekg.chat.markdown import entity_markdown as chat_markdown

        if not entities.entity_exists(get_graph(), iri):
            raise NotFound(f"no entity {entities.compact(iri)} in the graph")
        return chat_markdown(get_graph(), iri, lang)
    return entities.entity_markdown(entities.entity_data(get_graph(), iri))


@bp.get("/search")
def search() -> Response:
    """Entities whose Korean or English label, abbreviation or near spelling matches ``q``."""
    q = text_arg("q", entities.MAX_QUERY_CHARS)
    limit = int_arg("limit", SEARCH_LIMIT_DEFAULT, 1, SEARCH_LIMIT_MAX)
    index = entities.search_index(get_graph())
    results = index.search(q, limit)
    return jsonify({"query": q, "count": len(results), "results": results})


@bp.get("/explain")
def explain() -> Response:
    """Why a triple holds (``s``, ``p``, ``o`` as prefixed names, IRIs, labels or literals): the rule chain."""
    from kubekg.graph import ExplainError

    s, p, o = text_arg("s"), text_arg("p"), text_arg("o")
    if p.startswith("_:") or p.startswith('"'):
        raise InvalidParameter(
            f"parameter p must be an IRI or a prefixed name such as kg:accessesDirectly, not {p!r}"
        )
    try:
        explanation = get_graph().explain(s, p, o)
    except ExplainError as exc:
        raise InvalidParameter(str(exc)) from None
    data: dict[str, Any] = explanation.to_dict()
    if data.get("status") == "absent":
        t = data["triple"]
        return error_response(
            404,
            "not_found",
            f"the triple {t['subject']} {t['predicate']} {t['object']} is neither asserted nor inferred",
            extra={"explanation": data},
        )
    return jsonify(data)


@bp.get("/errata")
def errata() -> Response:
    """The document's errata: what it says, the correction, why, the upstream reference, where."""
    items = entities.errata_data(get_graph())
    return jsonify({"count": len(items), "errata": items})


@bp.get("/graphs")
def graphs() -> Response:
    """The named graphs of the dataset with their triple counts."""
    return jsonify(entities.graphs_data(get_graph()))
