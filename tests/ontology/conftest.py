"""Shared fixtures for the ontology tests: the ontology files as one rdflib graph, and the seed's tables parsed
independently of the graph (so a test can compare the two)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import rdflib

from kubekg import ns
from kubekg.paths import ontology_dir, shared_dir

SEED_NAME = "000_3d687f91bb2026cb.txt"
KG = rdflib.Namespace(ns.KG)
KR = rdflib.Namespace(ns.KR)

# The sections ontology-A models (TEAM.md "Section slugs"); their tables, rows and errata live in facts/<slug>.ttl.
A_SLUGS = (
    "cluster-components",
    "cluster-component-overview",
    "master-ha",
    "controller-overview",
    "stateless-stateful",
    "deployment",
    "statefulset",
    "daemonset",
    "job-cronjob",
    "pod-deploy-flow",
    "multi-container",
    "autoscaler",
    "hpa-operation",
)

# A markdown table separator line such as "---|---|---" (possibly indented).
_SEPARATOR = re.compile(r"^\s*-{3,}(\s*\|\s*-{3,})+\s*$")


@dataclass(frozen=True)
class SeedTable:
    """One markdown table of the seed: its section slug, 1-based position in the section, header and data rows."""

    slug: str
    number: int
    header: str
    rows: tuple[str, ...]


def section_starts(lines: list[str], sections: list[tuple[int, str, str]]) -> list[tuple[int, str]]:
    """Find each section's first line by searching its heading in document order; returns (line index, slug)."""
    starts: list[tuple[int, str]] = []
    cursor = 0
    for _order, slug, heading in sections:
        # A repeated heading is disambiguated in document.ttl by a " (2)" suffix the seed does not have.
        plain = re.sub(r"\s*\(\d+\)$", "", heading)
        for i in range(cursor, len(lines)):
            if heading in lines[i] or plain in lines[i]:
                starts.append((i, slug))
                cursor = i + 1
                break
        else:
            raise AssertionError(f"heading of section {slug!r} not found in the seed: {heading!r}")
    return starts


def parse_tables(text: str, sections: list[tuple[int, str, str]]) -> list[SeedTable]:
    """Split the seed into sections and return every markdown table; a wrapped row line is joined with a space."""
    lines = text.splitlines()
    starts = section_starts(lines, sections)

    def slug_at(index: int) -> str:
        current = starts[0][1]
        for start, slug in starts:
            if start <= index:
                current = slug
        return current

    tables: list[SeedTable] = []
    counts: dict[str, int] = {}
    i = 0
    while i < len(lines):
        if _SEPARATOR.match(lines[i]) and i > 0 and "|" in lines[i - 1]:
            header = lines[i - 1].strip()
            rows: list[str] = []
            j = i + 1
            while j < len(lines) and lines[j].strip():
                if "|" in lines[j]:
                    rows.append(lines[j].strip())
                elif rows:
                    rows[-1] = rows[-1] + " " + lines[j].strip()
                j += 1
            slug = slug_at(i)
            counts[slug] = counts.get(slug, 0) + 1
            tables.append(SeedTable(slug, counts[slug], header, tuple(rows)))
            i = j
        else:
            i += 1
    return tables


def load_sections(graph: rdflib.Graph) -> list[tuple[int, str, str]]:
    """(order, slug, heading) of every document section, in document order."""
    rows = graph.query(
        "SELECT ?order ?slug ?heading WHERE { ?s a kg:Section ; kg:order ?order ; kg:slug ?slug ; kg:heading ?heading }",
        initNs={"kg": KG},
    )
    return sorted((int(o), str(s), str(h)) for o, s, h in rows)


def parse_ontology_files(directory: Path) -> rdflib.Graph:
    """Every Turtle file of the ontology directory, merged into one rdflib graph."""
    graph = rdflib.Graph()
    for path in sorted(directory.rglob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="session")
def onto() -> rdflib.Graph:
    """The whole ontology (core, document, TBox, facts, shapes) as one graph, with the kubekg prefixes bound."""
    graph = parse_ontology_files(ontology_dir())
    for prefix, iri in ns.PREFIXES.items():
        graph.bind(prefix, iri, override=True)
    return graph


@pytest.fixture(scope="session")
def seed_text() -> str:
    """The source document, or a skip when ../shared is not beside the checkout."""
    shared = shared_dir()
    if shared is None or not (shared / "seed" / SEED_NAME).is_file():
        pytest.skip("the shared seed document is absent (../shared/seed); table content cannot be compared")
    return (shared / "seed" / SEED_NAME).read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_tables(seed_text: str, onto: rdflib.Graph) -> list[SeedTable]:
    """Every table of the seed, attributed to its section by the headings in ontology/document.ttl."""
    return parse_tables(seed_text, load_sections(onto))


@pytest.fixture(scope="session")
def kg():
    """The loaded and reasoned knowledge graph (kubekg.graph.load_graph, cached per process)."""
    from kubekg.graph import load_graph

    return load_graph()


@pytest.fixture(scope="session")
def en_labels(kg):
    """A helper: the English labels of the ?x bound by a graph pattern (variables bound by term or IRI)."""

    def run(sparql: str, bindings: dict | None = None) -> set[str]:
        rows = kg.select(
            "SELECT ?l WHERE { { " + sparql + " } ?x rdfs:label ?l FILTER(LANG(?l) = 'en') }", bindings or {}
        )
        return {r["l"].value for r in rows}

    return run


@pytest.fixture(scope="session")
def iris(kg):
    """A helper: the set of IRI strings bound to one variable of a SELECT, with variables bound by IRI."""

    def run(sparql: str, var: str = "x", asserted_only: bool = False, **bindings: object) -> set[str]:
        rows = kg.select(sparql, bindings=bindings, asserted_only=asserted_only)
        return {row[var].value for row in rows if var in row}

    return run


@pytest.fixture(scope="session")
def a_slugs() -> tuple[str, ...]:
    """The section slugs ontology-A owns."""
    return A_SLUGS


@pytest.fixture(scope="session")
def a_fact_graph() -> rdflib.Graph:
    """Only ontology-A's facts files (one per owned section that has facts), merged."""
    graph = rdflib.Graph()
    for slug in A_SLUGS:
        path = ontology_dir() / "facts" / f"{slug}.ttl"
        if path.is_file():
            graph.parse(path, format="turtle")
    return graph
