"""``kubekg mcp`` over stdio, driven by the SDK's own ``stdio_client`` in one subprocess session.

The session lists tools, resources and the prompt, calls every tool, asks one real English and one real Korean
question (the subprocess builds its question answerer once, a few seconds), checks the results against the REST
API and the graph's facts with their sections, and keeps calling after errors to show the server survives them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
import mcp_types as types
import pytest
from flask import Flask

from kubekg import ns
from kubekg.mcp import prompts, tools
from mcp import ClientSession, StdioServerParameters, stdio_client

REPO = Path(__file__).resolve().parents[2]
SESSION_SECONDS = 120
# Real questions over stdio: (question, lang, the fact the answer must cite, the section that fact comes from).
ASKS = {
    "en": (
        "Does NFS support ReadWriteMany?",
        None,
        (ns.KR + "nfs", ns.KG + "supportsAccessMode", ns.KR + "ReadWriteMany"),
        ns.KR + "section/volume-access-modes",
    ),
    "ko": (
        "etcd에 직접 접근할 수 있는 컴포넌트는?",
        None,
        (ns.KR + "kube-apiserver", ns.KG + "accessesDirectly", ns.KR + "etcd"),
        ns.KR + "section/cluster-component-overview",
    ),
}


def _env() -> dict[str, str]:
    """The KUBEKG_* settings of this process (e.g. the cache dir) for the server process."""
    return {k: v for k, v in os.environ.items() if k.startswith("KUBEKG_")}


async def _session(errlog: Any) -> dict[str, Any]:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "kubekg.cli", "mcp", "--no-warm-up"],
        cwd=str(REPO),
        env=_env(),
    )
    out: dict[str, Any] = {"calls": {}, "errors": {}}
    with anyio.fail_after(SESSION_SECONDS):
        async with (
            stdio_client(params, errlog=errlog) as (read, write),
            ClientSession(read, write) as session,
        ):
            out["init"] = await session.initialize()
            out["tools"] = (await session.list_tools()).tools
            for tool in tools.TOOLS:
                if tool.name != "ask":
                    out["calls"][tool.name] = await session.call_tool(tool.name, tool.example)
            out["asks"] = {
                key: await session.call_tool(
                    "ask", {"question": q} if lang is None else {"question": q, "lang": lang}
                )
                for key, (q, lang, _fact, _section) in ASKS.items()
            }
            bad = {
                "ask-wrong-type": ("ask", {"question": 12}),
                "ask-bad-lang": ("ask", {"question": "파드란?", "lang": "jp"}),
                "sparql-update": ("sparql", {"query": "INSERT DATA { kr:x kr:y kr:z }"}),
                "describe-unknown": ("describe", {"entity": "definitely-not-an-entity"}),
                "hpa-bad-yaml": ("simulate_hpa", {"scenario": "hpa: {"}),
            }
            for key, (name, args) in bad.items():
                out["errors"][key] = await session.call_tool(name, args)
            out["after"] = await session.call_tool("describe", {"entity": "etcd", "lang": "en"})
            out["resources"] = (await session.list_resources()).resources
            out["schema"] = await session.read_resource("kubekg://schema.json")
            out["prompts"] = (await session.list_prompts()).prompts
            out["prompt"] = await session.get_prompt(prompts.PROMPT_NAME, {"question": "What is etcd?"})
    return out


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    log = tmp_path_factory.mktemp("stdio") / "server.log"
    with log.open("w") as errlog:
        try:
            return anyio.run(_session, errlog)
        except BaseException:
            sys.stderr.write(log.read_text())
            raise


def test_handshake_and_tool_list(session: dict[str, Any]) -> None:
    assert session["init"].server_info.name == "kubekg"
    assert session["init"].capabilities.tools and session["init"].capabilities.resources
    listed = {t.name: t for t in session["tools"]}
    assert list(listed) == [t.name for t in tools.TOOLS]
    for name, tool in listed.items():
        assert tool.input_schema == tools.mcp_input_schema(tools.get_tool(name))
        assert tool.annotations.read_only_hint and tool.annotations.idempotent_hint
        assert tool.annotations.open_world_hint is False


def test_every_tool_answers_with_structured_content(session: dict[str, Any]) -> None:
    assert set(session["calls"]) == {t.name for t in tools.TOOLS} - {"ask"}
    for name, result in session["calls"].items():
        assert result.is_error is False, (name, result.content[0].text[:500])
        assert result.structured_content, name  # the SDK client validated it against the output schema
        assert isinstance(result.content[0], types.TextContent)


def test_results_are_the_rest_api_responses(session: dict[str, Any], app: Flask) -> None:
    client = app.test_client()
    describe = session["calls"]["describe"].structured_content
    rest = client.get(f"/api/entities/{quote(describe['iri'][len(ns.KR) :], safe='/')}").get_json()
    assert describe == rest
    search = tools.BY_NAME["search"].example
    assert (
        session["calls"]["search"].structured_content
        == client.get("/api/search", query_string={"q": search["query"], "limit": search["limit"]}).get_json()
    )
    explain = tools.BY_NAME["explain"].example
    assert (
        session["calls"]["explain"].structured_content
        == client.get(
            "/api/explain",
            query_string={"s": explain["subject"], "p": explain["predicate"], "o": explain["object"]},
        ).get_json()
    )
    sparql = session["calls"]["sparql"].structured_content
    rest_rows = client.post("/sparql", data={"query": tools.BY_NAME["sparql"].example["query"]}).get_json()
    assert sparql["results"] == rest_rows["results"]


def test_real_questions_over_stdio_answer_with_cited_facts(session: dict[str, Any], app: Flask) -> None:
    en = session["asks"]["en"]
    ko = session["asks"]["ko"]
    for result in (en, ko):
        assert result.is_error is False, result.content[0].text[:500]
        assert result.structured_content["understood"] is True
        assert isinstance(result.content[0], types.TextContent)
    assert en.structured_content["answers"] == [{"value": True}]
    assert en.structured_content["lang"] == "en" and en.structured_content["text"].startswith("Yes")
    assert [a["iri"] for a in ko.structured_content["answers"]] == [ns.KR + "kube-apiserver"]
    assert ko.structured_content["lang"] == "ko"
    assert any("\uac00" <= ch <= "\ud7a3" for ch in ko.structured_content["text"])  # answered in Korean
    client = app.test_client()
    for key, (question, lang, (s, p, o), section) in ASKS.items():
        answer = session["asks"][key].structured_content
        cited = [
            e
            for e in answer["evidence"]
            if (e["s"].get("iri"), e["p"].get("iri"), e["o"].get("iri")) == (s, p, o)
        ]
        assert cited, (key, [(e["s"], e["p"], e["o"]) for e in answer["evidence"]])
        assert cited[0]["status"] in ("asserted", "inferred")
        assert section in {src["iri"] for src in cited[0]["sources"]}, cited[0]
        assert section in {src["iri"] for src in answer["sources"]}
        assert answer["sparql"].lstrip().upper().startswith(("#", "SELECT", "ASK", "PREFIX"))
        body = {"question": question} if lang is None else {"question": question, "lang": lang}
        assert answer == client.post("/api/ask", json=body).get_json()  # the same contract as the REST API


def test_bad_input_is_a_tool_error_and_the_server_survives(session: dict[str, Any]) -> None:
    expected = {
        "ask-wrong-type": "invalid_arguments",
        "ask-bad-lang": "invalid_arguments",
        "sparql-update": "forbidden",
        "describe-unknown": "not_found",
        "hpa-bad-yaml": "invalid_body",
    }
    for key, code in expected.items():
        result = session["errors"][key]
        assert result.is_error is True, key
        assert result.content[0].text.startswith(code + ":"), result.content[0].text
    assert session["after"].is_error is False and session["after"].structured_content["iri"] == ns.KR + "etcd"


def test_resources_and_prompt_over_stdio(session: dict[str, Any]) -> None:
    uris = {r.uri for r in session["resources"]}
    assert {"kubekg://schema", "kubekg://queries/competency", "kubekg://document/ko"} <= uris
    assert '"kg:AccessMode"' in session["schema"].contents[0].text
    assert [p.name for p in session["prompts"]] == [prompts.PROMPT_NAME]
    assert "What is etcd?" in session["prompt"].messages[0].content.text
