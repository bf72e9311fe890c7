"""``GET /api/tools``: kubekg's tools as OpenAI-style function definitions with strict JSON Schemas.

The same tools the MCP server offers (declared once in :mod:`kubekg.mcp.tools`), each naming the REST endpoint that
executes it (``x-kubekg-endpoint``) and carrying an example call (``x-kubekg-example``). ``?extensions=false``
leaves those two keys out, so the list can be passed unchanged as the ``tools`` of a chat-completion request.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from kubekg.errors import InvalidParameter
from kubekg.mcp import tools

bp = Blueprint("tools", __name__, url_prefix="/api")

TRUE = ("true", "1", "yes", "on")
FALSE = ("false", "0", "no", "off")


def bool_arg(name: str, default: bool) -> bool:
    """A boolean query parameter (true/false, 1/0, yes/no, on/off); 400 otherwise."""
    raw = request.args.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise InvalidParameter(f"parameter {name} must be true or false, not {raw!r}")


@bp.get("/tools")
def tool_list() -> Response:
    """Every tool as ``{"type": "function", "function": {name, description, parameters, strict}}``."""
    extensions = bool_arg("extensions", True)
    functions = tools.openai_functions(extensions=extensions)
    response = jsonify(
        {
            "count": len(functions),
            "tools": functions,
            "mcp": {"streamableHttp": "/mcp", "stdio": "kubekg mcp"},
        }
    )
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
