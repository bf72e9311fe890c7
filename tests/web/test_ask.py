"""``/api/ask`` and the ask page ``/``: the contract over HTTP, its 4xx cases, and a page that works without script."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest


def test_get_and_post_give_the_same_contract(client):
    by_get = client.get("/api/ask", query_string={"q": "Which storage types support ReadWriteMany?"})
    by_post = client.post("/api/ask", json={"question": "Which storage types support ReadWriteMany?"})
    assert by_get.status_code == by_post.status_code == 200
    a, b = by_get.get_json(), by_post.get_json()
    assert a["answers"] == b["answers"]
    assert {"understood", "answers", "text", "sparql", "evidence", "sources"} <= set(a)
    assert {x["label"] for x in a["answers"]} == {
        "Azure File",
        "GlusterFS",
        "Portworx Volume",
        "CephFS",
        "NFS",
    }
    assert by_get.headers["Content-Type"].startswith("application/json")


def test_korean_question_and_lang_parameter(client):
    r = client.post("/api/ask", json={"question": "HPA를 DaemonSet에 적용할 수 있나요?"}).get_json()
    assert r["answers"] == [{"value": False}] and r["lang"] == "ko"
    r = client.post("/api/ask", json={"question": "Does NFS support RWX?", "lang": "ko"}).get_json()
    assert r["lang"] == "ko" and r["answers"] == [{"value": True}]


def test_unknown_question_is_not_understood(client):
    r = client.get("/api/ask", query_string={"q": "What is the capital of France?"}).get_json()
    assert r["understood"] is False and r["answers"] == [] and r["suggestions"]


@pytest.mark.parametrize(
    ("case", "kwargs", "status", "code"),
    [
        ("empty GET", {"method": "GET", "query_string": {"q": ""}}, 400, "missing_parameter"),
        ("no q", {"method": "GET"}, 400, "missing_parameter"),
        ("empty question", {"method": "POST", "json": {"question": "  "}}, 400, "missing_parameter"),
        ("no question", {"method": "POST", "json": {"lang": "en"}}, 400, "missing_parameter"),
        ("question not a string", {"method": "POST", "json": {"question": 42}}, 400, "invalid_parameter"),
        (
            "bad lang",
            {"method": "POST", "json": {"question": "What is etcd?", "lang": "fr"}},
            400,
            "invalid_parameter",
        ),
        ("too long", {"method": "POST", "json": {"question": "x" * 501}}, 400, "question_too_long"),
        (
            "not JSON",
            {"method": "POST", "data": "question=x", "content_type": "application/x-www-form-urlencoded"},
            415,
            "unsupported_media_type",
        ),
        ("no content type", {"method": "POST", "data": b"{}"}, 415, "unsupported_media_type"),
        (
            "bad JSON",
            {"method": "POST", "data": "{oops", "content_type": "application/json"},
            400,
            "invalid_json",
        ),
        (
            "JSON array",
            {"method": "POST", "data": "[1]", "content_type": "application/json"},
            400,
            "invalid_json",
        ),
        (
            "bad UTF-8",
            {"method": "POST", "data": b"\xff\xfe", "content_type": "application/json"},
            400,
            "invalid_json",
        ),
    ],
)
def test_bad_requests_get_the_error_shape(client, case, kwargs, status, code):
    method = kwargs.pop("method")
    response = client.open("/api/ask", method=method, **kwargs)
    assert response.status_code == status, case
    body = response.get_json()
    assert body["error"]["code"] == code and body["error"]["message"]


def test_question_limit_comes_from_the_config(make_app):
    client = make_app(MAX_QUESTION_CHARS=40).test_client()
    assert client.get("/api/ask", query_string={"q": "What is etcd?"}).status_code == 200
    r = client.get("/api/ask", query_string={"q": "Which storage types support ReadWriteMany in Kubernetes?"})
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "question_too_long"


def test_page_without_question_has_the_form_and_examples_in_both_languages(client):
    r = client.get("/", headers={"Accept": "text/html"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'name="q"' in html
    examples = re.findall(r'<li lang="(ko|en)"><a href="/\?q=', html)
    assert "ko" in examples and "en" in examples
    assert "Content-Security-Policy" in r.headers
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "no inline script"


def test_page_shows_answer_entity_links_evidence_and_sparql_link(client):
    html = client.get("/", query_string={"q": "What runs on the master node?"}).get_data(as_text=True)
    assert 'id="answer-text"' in html
    assert re.search(r'<a class="answer-link" href="/entity/kube-apiserver">', html)
    assert '<details class="evidence-block"' in html
    m = re.search(r'<a id="open-sparql" href="([^"]+)"', html)
    assert m
    query = parse_qs(urlsplit(m.group(1).replace("&amp;", "&")).query)["query"][0]
    assert "kg:runsOn" in query and "VALUES" in query


def test_page_form_post_works(client):
    html = client.post("/", data={"q": "PVC가 뭐야?"}).get_data(as_text=True)
    assert "퍼시스턴트 볼륨 클레임" in html


def test_page_escapes_the_question(client):
    html = client.get(
        "/", query_string={"q": '<script>alert(1)</script>"><img src=x onerror=alert(2)>'}
    ).get_data(as_text=True)
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_page_shows_suggestions_when_not_understood(client):
    html = client.get("/", query_string={"q": "asdf qwerty"}).get_data(as_text=True)
    assert 'class="suggestions"' in html and 'data-understood="false"' in html


def test_page_ui_language_switch(client):
    ko = client.get("/", query_string={"lang": "ko"}).get_data(as_text=True)
    en = client.get("/", query_string={"lang": "en"}).get_data(as_text=True)
    assert "쿠버네티스에 대해 질문하세요" in ko and "Ask about Kubernetes" in en
