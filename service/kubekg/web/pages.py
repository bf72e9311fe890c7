"""HTML pages owned by the service: the entity page and the SPARQL editor (rendered for the ``/sparql`` blueprint).

Templates autoescape every value; pages carry no inline script or style (the CSP forbids them), so behaviour
lives in ``static/*.js`` and data reaches scripts through escaped ``data-*`` attributes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, current_app, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from kubekg import paths
from kubekg.web import entities, get_graph
from kubekg.web.i18n import get_lang

bp = Blueprint("pages", __name__)

MAX_PREFILL_CHARS = 100_000
# (message key, path) of the navigation; an item shows only when the app has a GET route for its path
NAV = (
    ("nav.ask", "/"),
    ("nav.sparql", "/sparql"),
    ("nav.simulate_hpa", "/simulate/hpa"),
    ("nav.simulate_pv", "/simulate/pv"),
    ("nav.api_docs", "/api/docs"),
)


@dataclass(frozen=True)
class NavItem:
    """One navigation link."""

    key: str
    path: str


def nav_items() -> list[NavItem]:
    """The navigation links whose pages exist in this app (computed once per app)."""
    items = current_app.extensions.get("kubekg_nav")
    if items is None:
        adapter = current_app.url_map.bind("localhost")
        items = []
        for key, path in NAV:
            try:
                adapter.match(path, method="GET")
            except HTTPException:
                continue
            items.append(NavItem(key, path))
        current_app.extensions["kubekg_nav"] = items
    return items


def asset_url(filename: str) -> str:
    """The URL of a file of ``web/static``: the app's static route when it serves the file, else the current
    blueprint's (an app that registers only the simulation blueprint still gets its stylesheets)."""
    candidates = [("static", current_app.static_folder)]
    blueprint = current_app.blueprints.get(request.blueprint or "")
    if blueprint is not None:
        candidates.append((f"{blueprint.name}.static", blueprint.static_folder))
    for endpoint, folder in candidates:
        if endpoint in current_app.view_functions and folder and (Path(folder) / filename).is_file():
            return url_for(endpoint, filename=filename)
    return url_for("static", filename=filename)


def site_context() -> dict:
    """What ``base.html`` needs besides the translations: the navigation and the asset URLs."""
    return {"nav_items": nav_items(), "asset_url": asset_url}


@bp.app_context_processor
def _navigation() -> dict:
    return site_context()


@bp.app_template_filter("safe_url")
def safe_url(url: str) -> str:
    """The URL when it is http(s) or site-relative, else "#" (no javascript: or data: links from graph data)."""
    text = str(url or "").strip()
    scheme = urlsplit(text).scheme.lower()
    if scheme in ("http", "https") or (not scheme and text.startswith("/") and not text.startswith("//")):
        return text
    return "#"


@bp.get("/entity/<path:entity_id>", merge_slashes=False)
def entity(entity_id: str) -> str:
    """The page of one entity: labels, definition, types, relations both ways as links, sections and errata."""
    iri = entities.parse_entity_id(entity_id)
    data = entities.entity_data(get_graph(), iri)
    lang = get_lang()
    title = data["labels"].get(lang) or data["label"]
    return render_template(
        "entity.html", e=data, title=title, api_url="/api/entities/" + entities.entity_key(iri)
    )


@dataclass(frozen=True)
class ExampleQuery:
    """One file of ``queries/examples``: its name, its title (the first comment line) and its text.

    ``titles`` holds per-language titles from header comments like ``# title@ko: ...``; ``title_in(lang)`` picks.
    """

    name: str
    title: str
    query: str
    titles: tuple[tuple[str, str], ...] = ()

    def title_in(self, lang: str) -> str:
        """The title in lang when the file gives one, else the plain title."""
        return dict(self.titles).get(lang, self.title)


_COMMENT = re.compile(r"^\s*#\s*(.*?)\s*$")
_TITLE = re.compile(r"^title(?:@([a-z]{2}))?\s*:\s*(.+)$", re.I)


def example_queries(directory: Path | None = None) -> list[ExampleQuery]:
    """Every ``queries/examples/*.rq`` in name order.

    The title is the first comment line (a ``title:`` prefix dropped), else the file name; leading comment lines
    ``# title@ko: ...`` give titles in other languages.
    """
    try:
        directory = directory or paths.queries_dir() / "examples"
    except FileNotFoundError:
        return []
    out = []
    for path in sorted(directory.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        title = path.stem.replace("-", " ").replace("_", " ")
        titles: dict[str, str] = {}
        first = True
        for line in text.splitlines():
            if not line.strip():
                continue
            m = _COMMENT.match(line)
            if not m:
                break
            comment = m.group(1)
            tagged = _TITLE.match(comment)
            if tagged and tagged.group(1):
                titles.setdefault(tagged.group(1).lower(), tagged.group(2).strip())
            elif first and comment:
                title = tagged.group(2).strip() if tagged else comment
                first = False
            elif not tagged:
                break
        out.append(ExampleQuery(path.stem, title, text, tuple(titles.items())))
    return out


def render_sparql_editor(query: str | None = None, status: int = 200) -> tuple[str, int]:
    """The SPARQL editor page (textarea, example select, run button, result table, downloads).

    The textarea holds ``query``, else the request's ``?query=`` (the ask page links to the editor that way),
    else the first example.
    """
    examples = example_queries()
    if query is None:
        query = request.args.get("query")
    prefill = (query or "")[:MAX_PREFILL_CHARS]
    if not prefill and examples:
        prefill = examples[0].query
    return (
        render_template(
            "sparql.html",
            examples=examples,
            query=prefill,
            max_rows=current_app.config["MAX_ROWS"],
            timeout=current_app.config["QUERY_TIMEOUT"],
        ),
        status,
    )
