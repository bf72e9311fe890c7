"""Web page hardening (issue 6, section 1): security headers everywhere, no inline script or style, escaping."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from kubekg.web import CSP

BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
PAGES = ["/entity/etcd", "/entity/kube-apiserver?lang=ko", "/api/docs", "/entity/no-such-entity"]


class _Audit(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, style elements/attributes, event handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.in_script = False
        self.scripts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name} on <{tag}>")
            if name == "style":
                self.problems.append(f"style attribute on <{tag}>")
            if (
                name in ("href", "src", "action")
                and value
                and value.strip().lower().startswith(("javascript:", "data:text"))
            ):
                self.problems.append(f"{name}={value!r} on <{tag}>")
        if tag == "style":
            self.problems.append("<style> element")
        if tag == "script":
            src = names.get("src")
            if not src and names.get("type") != "application/json":
                self.problems.append("inline <script>")
            elif src and not src.startswith("/"):
                self.problems.append(f"script from another origin: {src}")
            self.in_script = True
        if tag == "link" and names.get("href") and not names["href"].startswith("/"):
            self.problems.append(f"link to another origin: {names['href']}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.in_script = False

    def handle_data(self, data: str) -> None:
        if self.in_script and data.strip():
            self.problems.append("script with inline code")


def audit(html: str) -> list[str]:
    parser = _Audit()
    parser.feed(html)
    return parser.problems


def test_the_csp_forbids_inline_script_and_framing():
    directives = dict(d.strip().split(" ", 1) for d in CSP.split(";"))
    assert directives["script-src"] == "'self'" and "unsafe-inline" not in CSP
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["default-src"] == "'self'"


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("get", "/entity/etcd", BROWSER),
        ("get", "/api/docs", BROWSER),
        ("get", "/api/search?q=etcd", {}),
        ("get", "/api/entities/nope", {}),
        ("get", "/no/such/page", BROWSER),
        ("get", "/healthz", {}),
        ("get", "/metrics", {}),
        ("get", "/openapi.json", {}),
        ("get", "/static/kubekg.css", {}),
        ("options", "/api/search", {"Origin": "https://x.example", "Access-Control-Request-Method": "GET"}),
    ],
)
def test_security_headers_on_every_response(client, method, path, headers):
    with getattr(client, method)(path, headers=headers) as response:
        assert response.headers["Content-Security-Policy"] == CSP
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "path", [*PAGES, "/", "/?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E", "/simulate/hpa", "/simulate/pv"]
)
def test_pages_have_no_inline_script_style_or_handlers(client, app, path):
    from werkzeug.exceptions import NotFound

    try:
        endpoint, _ = app.url_map.bind("localhost").match(path.split("?")[0])
    except NotFound:
        endpoint = None
    if endpoint is None or (path.startswith("/simulate") and "simulate" not in app.blueprints):
        pytest.skip(f"{path} is served by a blueprint that is not installed")
    response = client.get(path, headers=BROWSER)
    assert response.mimetype == "text/html"
    assert audit(response.get_data(as_text=True)) == []


def test_the_sparql_editor_page_passes_the_audit(app):
    from kubekg.web.pages import render_sparql_editor

    with app.test_request_context("/sparql"):
        html, _ = render_sparql_editor("SELECT * { ?s ?p ?o }")
    assert audit(html) == []


HOSTILE = """
kr:evil rdfs:label "<script>alert('label')</script>"@en , "<img src=x onerror=alert(1)>"@ko ;
    skos:altLabel "\\"><svg onload=alert(2)>" ;
    skos:definition "<b onclick=alert(3)>bold</b>"@en ;
    kg:role "</td><script>alert(4)</script>"@en .
kr:other kg:communicatesWith kr:evil ; rdfs:label "javascript:alert(5)"@en .
<https://kubekg.dev/id/erratum/evil> a kg:Erratum ; kg:about kr:evil ; kg:documentSays "<script>alert(6)</script>"@ko ;
    kg:correction "<iframe src=//evil.example>"@en ; kg:reference "javascript:alert(7)" .
"""


@pytest.fixture
def hostile_client(make_app, make_graph):
    return make_app(GRAPH=make_graph(HOSTILE)).test_client()


def test_graph_strings_are_escaped_on_the_entity_page(hostile_client):
    response = hostile_client.get("/entity/evil", headers=BROWSER)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert audit(html) == []
    for raw in ("<script>alert", "<img src=x", "<svg", "<b onclick", "<iframe", 'href="javascript:'):
        assert raw not in html, raw
    assert "&lt;script&gt;alert(&#39;label&#39;)&lt;/script&gt;" in html
    assert 'href="#"' in html  # the javascript: reference is not a link target


def test_user_input_in_urls_is_escaped_in_error_pages(client):
    response = client.get("/entity/%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E", headers=BROWSER)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "<script>alert(1)" not in html and audit(html) == []


def test_json_is_never_sniffed_as_html(hostile_client):
    response = hostile_client.get("/api/entities/evil")
    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.get_json()["labels"]["en"] == "<script>alert('label')</script>"  # data stays data in JSON
