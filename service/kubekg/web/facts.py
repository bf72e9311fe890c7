"""``GET /api/facts``: every asserted fact as a short cited sentence in Korean or English, for retrieval.

``lang`` is ``en`` (default) or ``ko``; ``format`` is ``json`` (default: the rule, the count and the facts) or
``jsonl`` (one fact per line, ``application/x-ndjson``); ``inferred=true`` adds the inferred facts with their rule.
Which triples count as facts, and their order, is :data:`kubekg.chat.facts.FACT_RULE`; the same graph always gives
the same bytes. The entity Markdown of ``/api/entities/<id>?format=markdown`` is
:func:`kubekg.chat.markdown.entity_markdown`.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from kubekg.chat import facts as chat_facts
from kubekg.errors import InvalidParameter
from kubekg.web import get_graph
from kubekg.web.tools import bool_arg

bp = Blueprint("facts", __name__, url_prefix="/api")

FORMATS = ("json", "jsonl")
JSONL_MIMETYPE = "application/x-ndjson"


@bp.get("/facts")
def fact_list() -> Response:
    """The facts of the graph in the chosen language and format."""
    lang = chat_facts.check_lang(request.args.get("lang"), default="en")
    fmt = (request.args.get("format") or "json").strip().lower()
    if fmt not in FORMATS:
        raise InvalidParameter(
            f"parameter format must be one of {', '.join(FORMATS)}, not {request.args.get('format')!r}"
        )
    inferred = bool_arg("inferred", False)
    kg = get_graph()
    if fmt == "jsonl":
        body = chat_facts.to_jsonl(chat_facts.facts(kg, lang, inferred))
        response = Response(body, mimetype=JSONL_MIMETYPE)
        response.headers["Content-Type"] = f"{JSONL_MIMETYPE}; charset=utf-8"
    else:
        response = jsonify(chat_facts.document(kg, lang, inferred))
    response.headers["X-KubeKG-Fact-Count"] = str(len(chat_facts.facts(kg, lang, inferred)))
    response.headers["Content-Language"] = lang
    return response
