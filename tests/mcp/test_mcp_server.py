"""The MCP server in-process (the SDK's own ``Client`` connected to ``build_server``): tools, resources, prompt, errors."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import mcp_types as types
import pytest
from mcp.shared.exceptions import MCPError

from kubekg import ns
from kubekg.mcp import prompts, resources, server, tools
from kubekg.mcp.tools import ToolContext
from mcp import Client


def run_client(ctx: ToolContext, body: Callable[[Client], Awaitable[Any]]) -> Any:
    """Run ``body(client)`` against a fresh in-process server (legacy handshake era, as stdio clients use)."""

    async def main() -> Any:
        async with Client(server.build_server(ctx), mode="legacy") as client:
            try:
                return await body(client)
            except MCPError as exc:  # raised outside the client's task group, not as an ExceptionGroup
                return exc

    result = anyio.run(main)
    if isinstance(result, MCPError):
        raise result
    return result


def test_tools_carry_schemas_and_read_only_annotations(ctx: ToolContext) -> None:
    listed = run_client(ctx, lambda c: c.list_tools()).tools
    assert [t.name for t in listed] == [t.name for t in tools.TOOLS]
    for tool in listed:
        declared = tools.get_tool(tool.name)
        assert tool.input_schema == tools.mcp_input_schema(declared)
        assert tool.output_schema == declared.output_schema
        a = tool.annotations
        assert (a.read_only_hint, a.idempotent_hint, a.open_world_hint, a.destructive_hint) == (
            True,
            True,
            False,
            False,
        )
        assert tool.description and tool.title


def test_a_tool_result_is_structured_content_and_the_same_json_as_text(ctx: ToolContext) -> None:
    result = run_client(ctx, lambda c: c.call_tool("search", {"query": "kube-proxy", "limit": 3}))
    assert result.is_error is False
    assert result.structured_content == tools.call_tool("search", {"query": "kube-proxy", "limit": 3}, ctx)
    assert json.loads(result.content[0].text) == result.structured_content


def test_describe_adds_the_cited_markdown(ctx: ToolContext) -> None:
    result = run_client(ctx, lambda c: c.call_tool("describe", {"entity": "NFS", "lang": "ko"}))
    assert result.structured_content["iri"] == ns.KR + "nfs"
    assert result.content[1].text.startswith("# NFS (`kr:nfs`)") and "## 출처" in result.content[1].text


def test_bad_calls_are_tool_errors_and_the_server_keeps_serving(ctx: ToolContext) -> None:
    async def body(client: Client) -> list[types.CallToolResult]:
        out = [
            await client.call_tool("search", {"query": 7}),
            await client.call_tool("sparql", {"query": "CLEAR ALL"}),
            await client.call_tool("describe", {"entity": "no-such-entity-anywhere"}),
            await client.call_tool("simulate_hpa", {"scenario": {"hpa": {"kind": "Nope"}}}),
        ]
        out.append(await client.call_tool("search", {"query": "etcd"}))
        return out

    *errors, after = run_client(ctx, body)
    for result, code in zip(
        errors, ["invalid_arguments", "forbidden", "not_found", "unknown_kind"], strict=True
    ):
        assert result.is_error is True
        assert result.content[0].text.startswith(code), result.content[0].text
        assert result.structured_content is None
    assert after.is_error is False and after.structured_content["count"] >= 1


def test_an_unexpected_failure_is_a_tool_error_not_a_crash(
    ctx: ToolContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(ctx: ToolContext, args: dict) -> dict:
        raise RuntimeError("boom")

    monkeypatch.setattr(
        tools,
        "BY_NAME",
        {
            **tools.BY_NAME,
            "search": tools.BY_NAME["search"].__class__(
                **{**tools.BY_NAME["search"].__dict__, "run": broken}
            ),
        },
    )
    result = server.run_tool(ctx, "search", {"query": "etcd"})
    assert result.is_error is True and result.content[0].text.startswith("internal_error")
    assert "boom" not in result.content[0].text  # internals stay in the log


def test_unknown_tool_is_a_protocol_error(ctx: ToolContext) -> None:
    with pytest.raises(MCPError, match="Unknown tool"):
        run_client(ctx, lambda c: c.call_tool("rm_rf", {}))


def test_resources_are_listed_and_readable(ctx: ToolContext) -> None:
    async def body(client: Client) -> tuple:
        listed = await client.list_resources()
        templates = await client.list_resource_templates()
        contents = {r.uri: (await client.read_resource(r.uri)).contents[0] for r in listed.resources}
        section = await client.read_resource("kubekg://document/en/volume-access-modes")
        query = await client.read_resource("kubekg://queries/competency/plugins_with_capability")
        entity = await client.read_resource("kubekg://entity/ko/kube-proxy")
        return listed, templates, contents, section, query, entity

    listed, templates, contents, section, query, entity = run_client(ctx, body)
    assert {r.uri for r in listed.resources} == {r.uri for r in resources.RESOURCES}
    assert {t.uri_template for t in templates.resource_templates} == {r.uri for r in resources.TEMPLATES}
    schema = json.loads(contents["kubekg://schema.json"].text)
    access_mode = next(c for c in schema["classes"] if c["id"] == "kg:AccessMode")
    assert access_mode["labels"]["en"] and access_mode["labels"]["ko"] and access_mode["definitions"]["ko"]
    assert any(p["id"] == "kg:supportsAccessMode" for p in schema["properties"])
    assert "`kg:AccessMode`" in contents["kubekg://schema"].text
    catalogue = json.loads(contents["kubekg://queries/competency"].text)
    assert catalogue and all(q["title"] and q["query"].strip() for q in catalogue)
    rwx = next(q for q in catalogue if q["name"] == "plugins_with_capability")
    assert rwx["parameters"] == ["capability"] and query.contents[0].text == rwx["query"]
    ko = contents["kubekg://document/ko"].text
    assert "Kubernetes 개요 > Storage > Volume 구분" in ko and "awsElasticBlockStore" in ko
    assert "NFS" in section.contents[0].text and section.contents[0].text.startswith("#")
    assert entity.contents[0].mime_type == "text/markdown" and "kube-proxy" in entity.contents[0].text


@pytest.mark.parametrize(
    "uri",
    [
        "kubekg://nothing",
        "kubekg://document/fr",
        "kubekg://document/ko/no-such-section",
        "kubekg://queries/competency/../../etc/passwd",
        "kubekg://entity/en/no-such-entity",
    ],
)
def test_unknown_resources_are_resource_errors(ctx: ToolContext, uri: str) -> None:
    with pytest.raises(MCPError) as info:
        run_client(ctx, lambda c: c.read_resource(uri))
    assert info.value.code == server.RESOURCE_NOT_FOUND


def test_the_prompt_grounds_answers_in_the_tools(ctx: ToolContext) -> None:
    async def body(client: Client) -> tuple:
        listed = await client.list_prompts()
        en = await client.get_prompt(prompts.PROMPT_NAME, {"question": "Which volumes support RWX?"})
        ko = await client.get_prompt(prompts.PROMPT_NAME, {"question": "RWX를 지원하는 볼륨은?"})
        return listed, en, ko

    listed, en, ko = run_client(ctx, body)
    assert [p.name for p in listed.prompts] == [prompts.PROMPT_NAME]
    en_text, ko_text = en.messages[0].content.text, ko.messages[0].content.text
    for name in ("ask", "search", "describe", "explain", "sparql"):
        assert f"`{name}`" in en_text and f"`{name}`" in ko_text
    assert (
        "ONLY" in en_text and "Cite" in en_text and en_text.endswith("Question: Which volumes support RWX?")
    )
    assert "출처" in ko_text and ko_text.endswith("질문: RWX를 지원하는 볼륨은?")
    with pytest.raises(MCPError):
        run_client(ctx, lambda c: c.get_prompt("other-prompt", {}))
