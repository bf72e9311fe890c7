"""The kubekg MCP server, built on the official SDK's low-level ``Server`` (tools, resources, prompt).

The low-level server is used rather than the decorator API so the tools keep the exact JSON Schemas declared in
:mod:`kubekg.mcp.tools` (shared with ``/api/tools``). Tools run in worker threads (pyoxigraph releases the GIL),
their input is validated against the schema first, and any failure becomes a tool result with ``isError: true``
and the error code and message as text: a bad call never takes the server down. ``run_stdio`` serves it over
stdin/stdout (``kubekg mcp``); ``kubekg.web.mcp_http`` serves the same server as Streamable HTTP.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from collections.abc import Callable
from typing import Any

import anyio
import mcp_types as types
from mcp.server import Server
from mcp.shared.exceptions import MCPError

from kubekg import __version__ as KUBEKG_VERSION
from kubekg.errors import KubeKGError
from kubekg.mcp import prompts, resources, tools
from kubekg.mcp.tools import ToolContext

log = logging.getLogger("kubekg.mcp")

SERVER_NAME = "kubekg"
RESOURCE_NOT_FOUND = -32002  # MCP specification: resources/read of an unknown URI
INSTRUCTIONS = (
    "kubekg answers questions about Kubernetes from a knowledge graph built from a Korean Kubernetes overview "
    "document (with its errata), with OWL-RL reasoning. Start with the `ask` tool; use `search`, `describe`, "
    "`explain` and `sparql` to check and cite; `simulate_hpa` and `simulate_pv` run controller simulations. "
    "Every result names the document sections it comes from: cite them. The prompt "
    f"`{prompts.PROMPT_NAME}` gives the full instructions."
)
ANNOTATIONS = types.ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)


def tool_definitions() -> list[types.Tool]:
    """The MCP ``Tool`` objects of every kubekg tool."""
    return [
        types.Tool(
            name=t.name,
            title=t.title,
            description=t.description,
            input_schema=tools.mcp_input_schema(t),
            output_schema=t.output_schema,
            annotations=ANNOTATIONS.model_copy(update={"title": t.title}),
        )
        for t in tools.TOOLS
    ]


def error_result(message: str) -> types.CallToolResult:
    """A tool error: ``isError`` with the message as text (what the model sees and can correct)."""
    return types.CallToolResult(content=[types.TextContent(type="text", text=message)], is_error=True)


def run_tool(ctx: ToolContext, name: str, arguments: dict[str, Any] | None) -> types.CallToolResult:
    """One tool call to a CallToolResult (synchronous; errors become ``isError`` results, never exceptions)."""
    try:
        result = tools.call_tool(name, arguments, ctx)
        extra = []
        tool = tools.get_tool(name)
        if tool.extra_text is not None:
            extra = tool.extra_text(ctx, dict(arguments or {}), result)
    except KubeKGError as exc:
        return error_result(f"{exc.code}: {exc.message}")
    except Exception as exc:  # a bug must not take the server down; the log has the traceback
        log.exception("tool %s failed", name)
        return error_result(
            f"internal_error: the tool {name} failed ({type(exc).__name__}); see the server log"
        )
    content = [types.TextContent(type="text", text=tools.to_text(result))]
    content += [types.TextContent(type="text", text=text) for text in extra]
    return types.CallToolResult(content=content, structured_content=result, is_error=False)


def build_server(context: ToolContext | Callable[[], ToolContext]) -> Server:
    """The MCP server over one tool context (or a function giving it, called once per request)."""

    def current() -> ToolContext:
        return context() if callable(context) and not isinstance(context, ToolContext) else context  # type: ignore[return-value]

    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=tool_definitions())

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        if params.name not in tools.BY_NAME:
            raise MCPError(
                code=types.INVALID_PARAMS,
                message=f"Unknown tool: {params.name}; the tools are {', '.join(tools.BY_NAME)}",
            )
        return await anyio.to_thread.run_sync(run_tool, current(), params.name, params.arguments)

    async def list_resources(ctx: Any, params: Any) -> types.ListResourcesResult:
        return types.ListResourcesResult(
            resources=[
                types.Resource(
                    uri=r.uri, name=r.name, title=r.title, description=r.description, mime_type=r.mime_type
                )
                for r in resources.RESOURCES
            ]
        )

    async def list_resource_templates(ctx: Any, params: Any) -> types.ListResourceTemplatesResult:
        return types.ListResourceTemplatesResult(
            resource_templates=[
                types.ResourceTemplate(
                    uri_template=r.uri,
                    name=r.name,
                    title=r.title,
                    description=r.description,
                    mime_type=r.mime_type,
                )
                for r in resources.TEMPLATES
            ]
        )

    async def read_resource(ctx: Any, params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        uri = str(params.uri)

        def read() -> tuple[str, str]:
            return resources.read(current().kg, uri)

        try:
            text, mime = await anyio.to_thread.run_sync(read)
        except KubeKGError as exc:
            raise MCPError(
                code=RESOURCE_NOT_FOUND if exc.status == 404 else types.INVALID_PARAMS, message=exc.message
            ) from None
        return types.ReadResourceResult(
            contents=[types.TextResourceContents(uri=uri, mime_type=mime, text=text)]
        )

    async def list_prompts(ctx: Any, params: Any) -> types.ListPromptsResult:
        return types.ListPromptsResult(
            prompts=[
                types.Prompt(
                    name=prompts.PROMPT_NAME,
                    title="Answer from kubekg only, with citations",
                    description=prompts.DESCRIPTION,
                    arguments=[
                        types.PromptArgument(name=a.name, description=a.description, required=a.required)
                        for a in prompts.ARGUMENTS
                    ],
                )
            ]
        )

    async def get_prompt(ctx: Any, params: types.GetPromptRequestParams) -> types.GetPromptResult:
        if params.name != prompts.PROMPT_NAME:
            raise MCPError(code=types.INVALID_PARAMS, message=f"Unknown prompt: {params.name}")
        args = params.arguments or {}
        lang = args.get("lang")
        if lang not in (None, "", "ko", "en"):
            raise MCPError(
                code=types.INVALID_PARAMS, message=f"prompt argument lang must be ko or en, not {lang!r}"
            )
        text = prompts.render(args.get("question"), lang or None)
        return types.GetPromptResult(
            description=prompts.DESCRIPTION,
            messages=[types.PromptMessage(role="user", content=types.TextContent(type="text", text=text))],
        )

    return Server(
        SERVER_NAME,
        version=KUBEKG_VERSION,
        title="kubekg Kubernetes knowledge graph",
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_list_resource_templates=list_resource_templates,
        on_read_resource=read_resource,
        on_list_prompts=list_prompts,
        on_get_prompt=get_prompt,
    )


def warm_up(ctx: ToolContext) -> threading.Thread:
    """Build the per-graph indexes (answerer, facts, search) in the background so the first calls are fast."""

    def work() -> None:
        try:
            from kubekg.chat import facts
            from kubekg.qa.engine import get_answerer

            get_answerer(ctx.kg, ctx.max_question_chars)
            facts.facts(ctx.kg, "en")
        except Exception:  # warming is an optimisation; the real call reports any error
            log.debug("warm-up failed", exc_info=True)

    thread = threading.Thread(target=work, name="kubekg-mcp-warm-up", daemon=True)
    thread.start()
    return thread


def stdio_context() -> ToolContext:
    """The tool context of ``kubekg mcp``: the service configuration (``KUBEKG_*``) and its graph."""
    from kubekg.config import Config
    from kubekg.web import open_graph

    config = Config.load()
    with contextlib.redirect_stdout(sys.stderr):  # stdout carries the protocol; nothing else may write there
        kg = open_graph(config)
    return ToolContext.from_config(kg, config)


def run_stdio(ctx: ToolContext | None = None, *, warm: bool = True) -> None:
    """Serve MCP over stdin/stdout until the client closes the stream (warming the answerer in the background)."""
    from mcp.server.stdio import stdio_server

    ctx = ctx or stdio_context()
    server = build_server(ctx)
    if warm:
        warm_up(ctx)

    async def main() -> None:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    anyio.run(main)


__all__ = [
    "ANNOTATIONS",
    "INSTRUCTIONS",
    "build_server",
    "error_result",
    "run_stdio",
    "run_tool",
    "tool_definitions",
]
