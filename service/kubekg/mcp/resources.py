"""The MCP resources: the schema summary, the competency-query catalogue, the document's sections as text, entities.

Everything is read from the graph and from ``queries/competency/*.rq`` at request time through the graph API, and
rendered deterministically (same graph, same text). The document itself is not in the repository, so
``kubekg://document/{lang}`` rebuilds it from the graph: the section tree with heading paths, each section's
tables and list items as the document wrote them (``kg:cells``, ``kg:itemText``), and its facts verbalized by
:mod:`kubekg.chat.facts`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pyoxigraph as ox

from kubekg import ns
from kubekg.chat import facts as chat_facts
from kubekg.errors import NotFound

SCHEME = "kubekg://"
SCHEMA_URI = SCHEME + "schema"
SCHEMA_JSON_URI = SCHEME + "schema.json"
COMPETENCY_URI = SCHEME + "queries/competency"
DOCUMENT_URI = SCHEME + "document/{lang}"
DOCUMENT_SECTION_URI = SCHEME + "document/{lang}/{slug}"
COMPETENCY_QUERY_URI = SCHEME + "queries/competency/{name}"
ENTITY_URI = SCHEME + "entity/{lang}/{id}"


@dataclass(frozen=True)
class ResourceInfo:
    """A listed resource or resource template."""

    uri: str
    name: str
    title: str
    description: str
    mime_type: str
    template: bool = False


RESOURCES: tuple[ResourceInfo, ...] = (
    ResourceInfo(
        SCHEMA_URI,
        "schema",
        "kubekg schema summary",
        "The ontology's classes and properties with Korean and English labels and definitions (Markdown).",
        "text/markdown",
    ),
    ResourceInfo(
        SCHEMA_JSON_URI,
        "schema.json",
        "kubekg schema summary (JSON)",
        "The same classes and properties as JSON: labels, definitions, superclasses, domains and ranges.",
        "application/json",
    ),
    ResourceInfo(
        COMPETENCY_URI,
        "competency-queries",
        "Competency queries",
        "The catalogue of queries/competency/*.rq: name, title, question kind, parameters to bind, query text.",
        "application/json",
    ),
    ResourceInfo(
        SCHEME + "document/ko",
        "document-ko",
        "The document's sections (Korean)",
        "The source document's section tree with heading paths, tables, list items and each section's facts "
        "verbalized in Korean.",
        "text/markdown",
    ),
    ResourceInfo(
        SCHEME + "document/en",
        "document-en",
        "The document's sections (English)",
        "The same section tree with the facts verbalized in English (the document's own text stays Korean).",
        "text/markdown",
    ),
)
TEMPLATES: tuple[ResourceInfo, ...] = (
    ResourceInfo(
        DOCUMENT_SECTION_URI,
        "document-section",
        "One document section",
        "One section (by slug, e.g. volume-access-modes) as text with its facts, lang ko or en.",
        "text/markdown",
        template=True,
    ),
    ResourceInfo(
        COMPETENCY_QUERY_URI,
        "competency-query",
        "One competency query",
        "The SPARQL text of queries/competency/{name}.rq.",
        "application/sparql-query",
        template=True,
    ),
    ResourceInfo(
        ENTITY_URI,
        "entity",
        "An entity as a cited document",
        "An entity (kr: local name such as nfs or kube-proxy) as Markdown with labels, definition, facts citing "
        "their sections, and errata, lang ko or en.",
        "text/markdown",
        template=True,
    ),
)


class ResourceNotFound(NotFound):
    """A resource URI kubekg does not serve."""

    code = "resource_not_found"


# ------------------------------------------------------------------------------------------------ schema
SCHEMA_Q = """SELECT ?x ?kind ?p ?v WHERE {
  VALUES ?kind { owl:Class owl:ObjectProperty owl:DatatypeProperty owl:AnnotationProperty }
  ?x a ?kind .
  FILTER (STRSTARTS(STR(?x), STR(kg:)))
  OPTIONAL {
    VALUES ?p { rdfs:label skos:definition rdfs:subClassOf rdfs:domain rdfs:range rdfs:subPropertyOf }
    ?x ?p ?v
  }
}"""
_STRUCTURE_KEYS = {
    "subClassOf": "superClasses",
    "subPropertyOf": "superProperties",
    "domain": "domain",
    "range": "range",
}
KINDS = {
    ns.PREFIXES["owl"] + "Class": "class",
    ns.PREFIXES["owl"] + "ObjectProperty": "object property",
    ns.PREFIXES["owl"] + "DatatypeProperty": "datatype property",
    ns.PREFIXES["owl"] + "AnnotationProperty": "annotation property",
}


def _compact(iri: str) -> str:
    from kubekg.graph.terms import compact

    return compact(iri)


def schema_summary(kg: Any) -> dict[str, Any]:
    """Classes and properties under ``kg:`` with labels, definitions (ko/en) and their asserted structure."""
    items: dict[str, dict[str, Any]] = {}
    for row in kg.select(SCHEMA_Q, asserted_only=True):
        iri = row["x"].value
        kind = KINDS[row["kind"].value]
        item = items.setdefault(
            iri,
            {
                "iri": iri,
                "id": _compact(iri),
                "kind": kind,
                "labels": {"en": None, "ko": None},
                "definitions": {"en": None, "ko": None},
                "superClasses": [],
                "superProperties": [],
                "domain": [],
                "range": [],
            },
        )
        if "p" not in row:
            continue
        p, v = row["p"].value, row["v"]
        local = p.rsplit("#", 1)[-1]
        if local in ("label", "definition") and isinstance(v, ox.Literal):
            lang = (v.language or "en")[:2]
            bucket = item["labels"] if local == "label" else item["definitions"]
            if lang in bucket and (bucket[lang] is None or v.value < bucket[lang]):
                bucket[lang] = v.value
        elif local in _STRUCTURE_KEYS and isinstance(v, ox.NamedNode):
            key = _STRUCTURE_KEYS[local]
            if key in item and _compact(v.value) not in item[key]:
                item[key].append(_compact(v.value))
    for item in items.values():
        for key in ("superClasses", "superProperties", "domain", "range"):
            item[key].sort()
    ordered = sorted(items.values(), key=lambda i: i["id"])
    classes = [i for i in ordered if i["kind"] == "class"]
    properties = [i for i in ordered if i["kind"] != "class"]
    for c in classes:
        del c["superProperties"], c["domain"], c["range"]
    for p in properties:
        del p["superClasses"]
    return {
        "prefixes": dict(ns.PREFIXES),
        "classCount": len(classes),
        "propertyCount": len(properties),
        "classes": classes,
        "properties": properties,
    }


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def schema_markdown(kg: Any) -> str:
    """The schema summary as Markdown, one short block per class and property."""
    data = schema_summary(kg)
    lines = ["# kubekg schema", ""]
    lines.append("Prefixes: " + ", ".join(f"{p}: <{iri}>" for p, iri in data["prefixes"].items()))
    lines += ["", f"## Classes ({data['classCount']})", ""]
    for c in data["classes"]:
        lines.append(f"- `{c['id']}` — {c['labels']['en'] or '-'} / {c['labels']['ko'] or '-'}")
        if c["superClasses"]:
            lines.append("  subclass of: " + ", ".join(f"`{s}`" for s in c["superClasses"]))
        for lang in ("en", "ko"):
            if c["definitions"][lang]:
                lines.append(f"  {lang}: {_one_line(c['definitions'][lang])}")
    lines += ["", f"## Properties ({data['propertyCount']})", ""]
    for p in data["properties"]:
        lines.append(f"- `{p['id']}` ({p['kind']}) — {p['labels']['en'] or '-'} / {p['labels']['ko'] or '-'}")
        shape = []
        if p["domain"]:
            shape.append("domain " + ", ".join(f"`{d}`" for d in p["domain"]))
        if p["range"]:
            shape.append("range " + ", ".join(f"`{r}`" for r in p["range"]))
        if p["superProperties"]:
            shape.append("subproperty of " + ", ".join(f"`{s}`" for s in p["superProperties"]))
        if shape:
            lines.append("  " + "; ".join(shape))
        for lang in ("en", "ko"):
            if p["definitions"][lang]:
                lines.append(f"  {lang}: {_one_line(p['definitions'][lang])}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------------ competency queries
_HEADER = re.compile(r"^#\s*([A-Za-z][\w-]*)\s*:\s*(.*)$")
_VARIABLE = re.compile(r"[?$]([A-Za-z_]\w*)")
_NAME = re.compile(r"^[A-Za-z0-9][\w-]*$")


def _competency_dir(kg: Any) -> Path:
    base = getattr(kg, "queries_dir", None)
    if base is None:
        from kubekg import paths

        base = paths.queries_dir()
    return Path(base) / "competency"


def competency_catalogue(kg: Any) -> list[dict[str, Any]]:
    """Every ``queries/competency/*.rq``: name, title and kind from its ``# key: value`` header, parameters, text."""
    out = []
    directory = _competency_dir(kg)
    for path in sorted(directory.glob("*.rq")) if directory.is_dir() else []:
        text = path.read_text(encoding="utf-8")
        header: dict[str, str] = {}
        notes: list[str] = []
        for line in text.splitlines():
            if not line.startswith("#"):
                break
            m = _HEADER.match(line)
            if m and m.group(1).lower() not in header:
                header[m.group(1).lower()] = m.group(2).strip()
            else:
                notes.append(line.lstrip("#").strip())
        kind_line = header.get("kind", "")
        kind, _, binds = kind_line.partition(";")
        parameters = list(dict.fromkeys(_VARIABLE.findall(binds)))
        out.append(
            {
                "name": path.stem,
                "uri": COMPETENCY_QUERY_URI.replace("{name}", path.stem),
                "file": f"queries/competency/{path.name}",
                "title": header.get("title"),
                "kind": kind.strip() or None,
                "parameters": parameters,
                "bind": binds.strip() or None,
                "notes": " ".join(n for n in notes if n) or None,
                "query": text,
            }
        )
    return out


def competency_query(kg: Any, name: str) -> str:
    """The text of one competency query (``ResourceNotFound`` for an unknown or odd name)."""
    if not _NAME.match(name):
        raise ResourceNotFound(f"no competency query named {name!r}")
    path = _competency_dir(kg) / f"{name}.rq"
    if not path.is_file():
        raise ResourceNotFound(f"no competency query named {name!r}")
    return path.read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------------------ the document
PARTS_Q = """SELECT ?sec ?part ?kind ?order ?text ?row ?index ?cells WHERE {
  {
    ?part a kg:Table ; kg:inSection ?sec . BIND ("table" AS ?kind)
    OPTIONAL { ?part kg:order ?order } OPTIONAL { ?part kg:header ?text }
    OPTIONAL { ?row kg:inTable ?part . OPTIONAL { ?row kg:rowIndex ?index } OPTIONAL { ?row kg:cells ?cells } }
  } UNION {
    ?part a kg:ListItem ; kg:inSection ?sec . BIND ("item" AS ?kind)
    OPTIONAL { ?part kg:order ?order } OPTIONAL { ?part kg:itemText ?text }
  }
}"""


def _int(term: Any, default: int = 0) -> int:
    try:
        return int(term.value)
    except (AttributeError, ValueError):
        return default


def document_parts(kg: Any) -> dict[str, list[dict[str, Any]]]:
    """Per section IRI: its tables (header and rows, raw) and list items (raw), in document order."""
    parts: dict[str, dict[str, dict[str, Any]]] = {}
    for row in kg.select(PARTS_Q, asserted_only=True):
        sec, part = row["sec"].value, row["part"].value
        entry = parts.setdefault(sec, {}).setdefault(
            part,
            {
                "iri": part,
                "kind": row["kind"].value,
                "order": _int(row.get("order")),
                "text": row["text"].value if "text" in row else None,
                "rows": {},
            },
        )
        if "row" in row:
            entry["rows"][row["row"].value] = (
                _int(row.get("index")),
                row["cells"].value if "cells" in row else "",
            )
    out: dict[str, list[dict[str, Any]]] = {}
    for sec, items in parts.items():
        ordered = sorted(items.values(), key=lambda p: (p["kind"] != "table", p["order"], p["iri"]))
        for p in ordered:
            p["rows"] = [cells for _, cells in sorted(p["rows"].values())]
        out[sec] = ordered
    return out


DOC_TEXT = {
    "en": {
        "title": "The source document, rebuilt from the kubekg graph",
        "note": "Headings are the document's own (Korean). Tables and list items are quoted as the document "
        "wrote them; the facts under each section are what kubekg asserts from it.",
        "path": "Heading path",
        "table": "Table",
        "items": "List items",
        "facts": "Facts",
        "none": "(no facts asserted from this section)",
    },
    "ko": {
        "title": "kubekg 그래프에서 다시 구성한 원문 문서",
        "note": "제목은 문서의 원래 제목이다. 표와 목록은 문서에 적힌 그대로 인용하고, 각 절 아래의 사실은 kubekg가 "
        "그 절에서 주장하는 내용이다.",
        "path": "제목 경로",
        "table": "표",
        "items": "목록 항목",
        "facts": "사실",
        "none": "(이 절에서 주장한 사실 없음)",
    },
}


def _section_block(section: dict, parts: list[dict], facts: list[dict], lang: str) -> list[str]:
    t = DOC_TEXT[lang]
    path = section["headingPath"] or section["id"]
    depth = min(path.count(" > ") + 2, 6)
    title = path.rsplit(" > ", 1)[-1]
    lines = [f"{'#' * depth} {title} (`{section['id']}`)", "", f"{t['path']}: {path}"]
    tables = [p for p in parts if p["kind"] == "table"]
    items = [p for p in parts if p["kind"] == "item"]
    for table in tables:
        lines += ["", f"{t['table']} {table['order']}:", ""]
        if table["text"]:
            header = table["text"].strip()
            cells = [c.strip() for c in header.strip("|").split("|")]
            lines.append("| " + " | ".join(cells) + " |")
            lines.append("|" + "---|" * len(cells))
        lines += [
            "| " + " | ".join(c.strip() for c in row.strip().strip("|").split("|")) + " |"
            for row in table["rows"]
        ]
    if items:
        lines += ["", f"{t['items']}:", ""]
        for item in items:
            text = (item["text"] or "").strip()
            lines.append(text if text.startswith(("-", "*", "+")) or text[:1].isdigit() else f"- {text}")
    lines += ["", f"{t['facts']}:", ""]
    lines += [f"- {f['text']}" for f in facts] or [t["none"]]
    lines.append("")
    return lines


def document_markdown(kg: Any, lang: str = "ko", slug: str | None = None) -> str:
    """The document's sections as text (all of them, or the one with ``slug``) with their facts in ``lang``."""
    lang = chat_facts.check_lang(lang)
    sections = chat_facts.sections(kg)
    if slug is not None:
        sections = [s for s in sections if s["slug"] == slug]
        if not sections:
            raise ResourceNotFound(f"no document section with slug {slug!r}")
    grouped = chat_facts.section_facts(kg, lang)
    parts = document_parts(kg)
    lines: list[str] = []
    if slug is None:
        lines += [f"# {DOC_TEXT[lang]['title']}", "", DOC_TEXT[lang]["note"], ""]
    for section in sections:
        lines += _section_block(section, parts.get(section["iri"], []), grouped.get(section["iri"], []), lang)
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------ reading
def read(kg: Any, uri: str) -> tuple[str, str]:
    """The text and MIME type of a resource URI (``ResourceNotFound`` for anything kubekg does not serve)."""
    if uri == SCHEMA_URI:
        return schema_markdown(kg), "text/markdown"
    if uri == SCHEMA_JSON_URI:
        return json.dumps(schema_summary(kg), ensure_ascii=False, indent=1), "application/json"
    if uri == COMPETENCY_URI:
        return json.dumps(competency_catalogue(kg), ensure_ascii=False, indent=1), "application/json"
    if uri.startswith(COMPETENCY_URI + "/"):
        return competency_query(kg, uri[len(COMPETENCY_URI) + 1 :]), "application/sparql-query"
    prefix = SCHEME + "document/"
    if uri.startswith(prefix):
        lang, _, slug = uri[len(prefix) :].partition("/")
        if lang not in chat_facts.LANGS:
            raise ResourceNotFound(f"no document resource {uri!r}: the language must be ko or en")
        return document_markdown(kg, lang, slug or None), "text/markdown"
    prefix = SCHEME + "entity/"
    if uri.startswith(prefix):
        lang, _, ident = uri[len(prefix) :].partition("/")
        if lang not in chat_facts.LANGS or not ident:
            raise ResourceNotFound(f"no entity resource {uri!r}: use kubekg://entity/{{ko|en}}/{{id}}")
        return entity_resource(kg, unquote(ident), lang), "text/markdown"
    raise ResourceNotFound(f"kubekg has no resource {uri!r}")


def entity_resource(kg: Any, ident: str, lang: str) -> str:
    """An entity's cited Markdown by ``kr:`` local name, prefixed name or IRI."""
    from kubekg.chat.markdown import entity_markdown
    from kubekg.graph.terms import TermError, expand

    if ident.startswith(("http://", "https://")):
        iri = ident
    else:
        try:
            iri = expand(ident) or ns.KR + ident
        except TermError:
            iri = ns.KR + ident
    try:
        return entity_markdown(kg, iri, lang)
    except (ValueError, NotFound):
        raise ResourceNotFound(f"no entity {ident!r} in the graph") from None


__all__ = [
    "RESOURCES",
    "TEMPLATES",
    "ResourceInfo",
    "ResourceNotFound",
    "competency_catalogue",
    "document_markdown",
    "read",
    "schema_markdown",
    "schema_summary",
]
