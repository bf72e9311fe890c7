"""The HTML pages: the entity page, the SPARQL editor, the API docs page, navigation and the ko/en switch."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape

from kubekg import ns
from kubekg.web import i18n
from kubekg.web.pages import example_queries, render_sparql_editor

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_entity_page_shows_labels_definition_relations_and_sections(client, kg):
    response = client.get("/entity/etcd", headers=BROWSER)
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    labels = kg.labels(ns.KR + "etcd")
    assert f'<dd lang="en">{labels["en"]}</dd>' in html
    definition = kg.select('SELECT ?d WHERE { kr:etcd skos:definition ?d FILTER(lang(?d) = "en") }')[0][
        "d"
    ].value
    assert definition.replace("'", "&#39;").replace('"', "&#34;") in html
    assert 'href="/entity/kube-apiserver"' in html  # the incoming kg:accessesDirectly, as a link
    for path in kg.heading_paths().values():
        if f">{escape(path)}</a>" in html:
            break
    else:
        pytest.fail("no section heading path on the page")
    assert 'href="/api/entities/etcd"' in html


def test_entity_page_links_classes_by_encoded_iri(client):
    html = client.get("/entity/etcd", headers=BROWSER).get_data(as_text=True)
    assert 'href="/entity/https%3A%2F%2Fkubekg.dev%2Fontology%23Component"' in html
    follow = client.get("/entity/https%3A%2F%2Fkubekg.dev%2Fontology%23Component", headers=BROWSER)
    assert follow.status_code == 200


def test_unknown_entity_page_is_a_404_page(client):
    response = client.get("/entity/no-such-entity", headers=BROWSER)
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "no entity kr:no-such-entity" in response.get_data(as_text=True)


@pytest.mark.parametrize(("lang", "word"), [("ko", "정의"), ("en", "Definition")])
def test_language_switch_by_parameter_is_remembered_in_a_cookie(client, lang, word):
    response = client.get(f"/entity/etcd?lang={lang}", headers=BROWSER)
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html and word in html
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"lang={lang}") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    again = client.get("/entity/etcd", headers=BROWSER).get_data(as_text=True)
    assert f'<html lang="{lang}">' in again


def test_language_from_accept_language_and_a_bad_lang_is_ignored(client):
    html = client.get(
        "/entity/etcd?lang=fr", headers={**BROWSER, "Accept-Language": "ko-KR,ko;q=0.9"}
    ).get_data(as_text=True)
    assert '<html lang="ko">' in html


def test_language_links_keep_other_parameters(app):
    with app.test_request_context("/sparql?query=ASK%7B%7D&lang=en"):
        assert i18n.lang_url("ko") == "/sparql?query=ASK%7B%7D&lang=ko"


def test_every_message_has_korean_and_english():
    for key, texts in i18n.MESSAGES.items():
        assert texts.get("ko") and texts.get("en"), key


def test_register_messages_and_missing_keys(app):
    i18n.register_messages({"test.hello": {"ko": "안녕", "en": "hello"}})
    with app.test_request_context("/?lang=ko"):
        assert i18n.t("test.hello") == "안녕"
        assert i18n.t("test.hello", "en") == "hello"
        assert i18n.t("no.such.key") == "no.such.key"


def test_navigation_lists_only_pages_that_exist(client, app):
    html = client.get("/api/docs", headers=BROWSER).get_data(as_text=True)
    nav = re.search(r'<ul class="nav-links">(.*?)</ul>', html, re.S).group(1)
    links = re.findall(r'href="([^"]+)"', nav)
    assert "/api/docs" in links
    adapter = app.url_map.bind("localhost")
    for link in links:
        adapter.match(link, method="GET")  # raises NotFound for a dead link


# ------------------------------------------------------------------------------------------------ SPARQL editor
@pytest.fixture
def examples_dir(tmp_path, monkeypatch):
    examples = tmp_path / "examples"
    examples.mkdir()
    (examples / "01-components.rq").write_text(
        "# Components and where they run\nSELECT ?c WHERE { ?c a kg:Component }\n"
    )
    (examples / "02-untitled.rq").write_text("ASK { ?s ?p ?o }\n")
    monkeypatch.setenv("KUBEKG_QUERIES_DIR", str(tmp_path))
    return examples


def test_example_queries_take_their_title_from_the_first_comment(examples_dir):
    found = example_queries()
    assert [(e.name, e.title) for e in found] == [
        ("01-components", "Components and where they run"),
        ("02-untitled", "02 untitled"),
    ]
    assert found[0].query.startswith("# Components")


def test_sparql_editor_page_lists_examples_and_escapes_the_prefill(app, examples_dir):
    with app.test_request_context("/sparql"):
        html, status = render_sparql_editor("SELECT * { ?s ?p '</textarea><script>alert(1)</script>' }")
    assert status == 200
    assert "<script>alert(1)" not in html
    assert "&lt;/textarea&gt;&lt;script&gt;" in html
    assert '<option value="01-components" data-query="# Components and where they run' in html
    assert "Components and where they run</option>" in html
    assert '<script src="/static/sparql.js" defer></script>' in html
    for fmt in ("json", "xml", "csv", "tsv", "turtle"):
        assert f'data-format="{fmt}"' in html


def test_sparql_editor_prefills_the_first_example_without_a_query(app, examples_dir):
    with app.test_request_context("/sparql"):
        html, _ = render_sparql_editor(None)
    textarea = re.search(r"<textarea[^>]*>(.*?)</textarea>", html, re.S).group(1)
    assert textarea.startswith("# Components and where they run")


def test_sparql_editor_prefills_the_query_parameter(app, examples_dir):
    with app.test_request_context("/sparql?query=ASK%20%7B%20kr%3Aetcd%20%3Fp%20%3Fo%20%7D"):
        html, _ = render_sparql_editor()
    textarea = re.search(r"<textarea[^>]*>(.*?)</textarea>", html, re.S).group(1)
    assert textarea == "ASK { kr:etcd ?p ?o }"


def test_sparql_editor_at_sparql_for_browsers(client, app, examples_dir):
    if "/sparql" not in {r.rule for r in app.url_map.iter_rules()}:
        pytest.skip("the /sparql blueprint (kubekg.web.sparql) is not written yet")
    response = client.get("/sparql", headers=BROWSER)
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert 'id="sparql-editor"' in html and "Components and where they run" in html


def test_static_assets_are_served_by_kubekg(client):
    for name, needle in (
        ("kubekg.css", ".nav"),
        ("sparql.js", "sparql"),
        ("api-docs.js", "openapi"),
        ("favicon.svg", "<svg"),
    ):
        with client.get(f"/static/{name}") as response:
            assert response.status_code == 200, name
            assert needle in response.get_data(as_text=True)


def test_example_titles_drop_a_title_prefix_and_read_titles_in_other_languages(tmp_path, monkeypatch):
    examples = tmp_path / "examples"
    examples.mkdir()
    (examples / "01-rwx.rq").write_text(
        "# title: Storage that supports RWX\n# title@ko: RWX를 지원하는 스토리지\n# a note\nSELECT * {}\n",
        encoding="utf-8",
    )
    (examples / "02-plain.rq").write_text("# title: Only English\nASK {}\n", encoding="utf-8")
    monkeypatch.setenv("KUBEKG_QUERIES_DIR", str(tmp_path))
    rwx, plain = example_queries()
    assert rwx.title == "Storage that supports RWX" and rwx.title_in("ko") == "RWX를 지원하는 스토리지"
    assert rwx.title_in("en") == "Storage that supports RWX"
    assert plain.title_in("ko") == "Only English"


def test_entity_page_hides_blank_node_rows_and_words_booleans(client, kg):
    blank_types = kg.select("SELECT (COUNT(*) AS ?n) WHERE { kr:nfs ?p ?o FILTER(isBlank(?o)) }")[0][
        "n"
    ].value
    for lang in ("en", "ko"):
        html = client.get(f"/entity/nfs?lang={lang}", headers=BROWSER).get_data(as_text=True)
        outgoing = html.split('id="outgoing"')[1].split("</section>")[0]
        assert not re.search(r"<td>\s*<span class=\"bnode\">", outgoing)
        if int(blank_types):
            assert i18n.t("entity.anonymous", lang).split("{n}")[0][:10] in outgoing
        assert f"{i18n.t('common.no', lang)} (false)" in outgoing  # kg:supportsVolumeExpansion false


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_error_page_headline_is_translated_and_keeps_the_message(client, lang):
    response = client.get(f"/entity/no-such-entity?lang={lang}", headers=BROWSER)
    html = response.get_data(as_text=True)
    assert response.status_code == 404 and f'<html lang="{lang}">' in html
    assert f"404 · {i18n.t('error.404', lang)}</h1>" in html
    assert "no entity kr:no-such-entity" in html and i18n.t("error.hint", lang) in html


def test_tr_translates_known_data_texts_on_korean_pages_only(app):
    with app.test_request_context("/?lang=ko"):
        assert i18n.tr("scale out") == "스케일 아웃"
        assert i18n.tr("something new") == "something new"
        assert i18n.tr("scale out", "en") == "scale out"
    with app.test_request_context("/?lang=en"):
        assert i18n.tr("scale out") == "scale out"
