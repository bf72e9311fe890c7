"""``GET /api/tools``: the MCP tools as OpenAI-style function definitions with strict schemas (issue 5 §2)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator

from kubekg.mcp import tools as T

ALLOWED_TYPES = {"string", "number", "integer", "boolean", "object", "array", "null"}


@pytest.fixture
def chat_client(make_app: Callable[..., Flask]) -> Iterator[FlaskClient]:
    """A client of an app with /api/tools (registered here when create_app does not list it yet)."""
    from kubekg.web import tools as web_tools

    app = make_app()
    if web_tools.bp.name not in app.blueprints:
        app.register_blueprint(web_tools.bp)
    yield app.test_client()


@pytest.fixture
def functions(chat_client: FlaskClient) -> list[dict[str, Any]]:
    response = chat_client.get("/api/tools")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert body["count"] == len(body["tools"])
    return body["tools"]


def strictness_problems(schema: dict[str, Any], where: str = "parameters") -> list[str]:
    """Every violation of strict function-calling rules, recursively (empty when the schema is strict)."""
    problems = []
    kinds = schema.get("type")
    kinds = [kinds] if isinstance(kinds, str) else kinds or []
    if not kinds and "anyOf" not in schema and "enum" not in schema:
        problems.append(f"{where}: no type")
    if set(kinds) - ALLOWED_TYPES:
        problems.append(f"{where}: unknown type {kinds}")
    bad_keywords = set(schema) & T.NON_STRICT_KEYWORDS
    if bad_keywords:
        problems.append(f"{where}: keywords strict mode rejects: {sorted(bad_keywords)}")
    if "enum" in schema and "null" in kinds and None not in schema["enum"]:
        problems.append(f"{where}: nullable enum without null")
    if "object" in kinds:
        properties = schema.get("properties")
        if not isinstance(properties, dict):
            problems.append(f"{where}: object without properties")
        else:
            if schema.get("additionalProperties") is not False:
                problems.append(f"{where}: additionalProperties is not false")
            if sorted(schema.get("required", [])) != sorted(properties):
                problems.append(f"{where}: not every property is required")
            for name, sub in properties.items():
                problems += strictness_problems(sub, f"{where}.{name}")
    if "array" in kinds:
        if not isinstance(schema.get("items"), dict):
            problems.append(f"{where}: array without items")
        else:
            problems += strictness_problems(schema["items"], f"{where}[]")
    for i, branch in enumerate(schema.get("anyOf", [])):
        problems += strictness_problems(branch, f"{where}|{i}")
    return problems


def test_the_same_tools_as_the_mcp_server(functions: list[dict[str, Any]]) -> None:
    assert [f["function"]["name"] for f in functions] == [t.name for t in T.TOOLS]
    for entry in functions:
        assert entry["type"] == "function"
        fn = entry["function"]
        assert set(fn) == {"name", "description", "parameters", "strict"} and fn["strict"] is True
        assert fn["description"] == T.get_tool(fn["name"]).description


def test_every_schema_is_strict(functions: list[dict[str, Any]]) -> None:
    for entry in functions:
        parameters = entry["function"]["parameters"]
        Draft202012Validator.check_schema(parameters)
        assert strictness_problems(parameters) == [], entry["function"]["name"]


def test_optional_arguments_are_nullable_not_omitted(functions: list[dict[str, Any]]) -> None:
    for entry in functions:
        tool = T.get_tool(entry["function"]["name"])
        mcp_required = set(T.mcp_input_schema(tool)["required"])
        properties = entry["function"]["parameters"]["properties"]
        for name, schema in properties.items():
            assert (name in mcp_required) != T.is_nullable(schema), (tool.name, name)


def test_every_example_call_validates_and_names_its_endpoint(functions: list[dict[str, Any]]) -> None:
    for entry in functions:
        fn = entry["function"]
        example = entry["x-kubekg-example"]
        assert example["name"] == fn["name"]
        Draft202012Validator(fn["parameters"]).validate(example["arguments"])
        endpoint = entry["x-kubekg-endpoint"]
        assert endpoint["method"] in ("GET", "POST") and endpoint["path"].startswith("/")
        assert set(endpoint["arguments"]) == set(fn["parameters"]["properties"])


def test_strictness_checker_catches_loose_schemas() -> None:
    loose = {
        "type": "object",
        "properties": {"q": {"type": "string", "minLength": 1}, "n": {"type": "integer"}},
        "required": ["q"],
    }
    problems = strictness_problems(loose)
    assert any("additionalProperties" in p for p in problems)
    assert any("required" in p for p in problems)
    assert any("minLength" in p for p in problems)
    nested = {
        "type": "object",
        "properties": {
            "o": {"type": "object", "properties": {}, "required": [], "additionalProperties": True}
        },
        "required": ["o"],
        "additionalProperties": False,
    }
    assert strictness_problems(nested) == ["parameters.o: additionalProperties is not false"]


def test_extensions_can_be_left_out_for_a_provider(chat_client: FlaskClient) -> None:
    plain = chat_client.get("/api/tools?extensions=false").get_json()["tools"]
    assert all(set(entry) == {"type", "function"} for entry in plain)


@pytest.mark.parametrize("query", ["extensions=maybe", "extensions=2"])
def test_bad_parameter_is_a_400(chat_client: FlaskClient, query: str) -> None:
    response = chat_client.get(f"/api/tools?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_parameter"
    assert "extensions" in response.get_json()["error"]["message"]
