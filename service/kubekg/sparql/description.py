"""The W3C SPARQL 1.1 Service Description (W3C REC 2013) of the endpoint, as RDF triples.

One ``sd:Service`` per endpoint: the query endpoint (``sd:SPARQL11Query``) and, when updates are enabled, the
update endpoint (``sd:SPARQL11Update``). Both describe the same default dataset: the union default graph and
every named graph with its triple count (``void:triples``).
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_COMMENT = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
PREFIXES = {"sd": SD, "formats": FORMATS, "void": VOID, "rdfs": "http://www.w3.org/2000/01/rdf-schema#"}

RESULT_FORMATS = (
    "SPARQL_Results_JSON",
    "SPARQL_Results_XML",
    "SPARQL_Results_CSV",
    "SPARQL_Results_TSV",
    "Turtle",
    "N-Triples",
    "RDF_XML",
    "JSON-LD",
)


def _sd(local: str) -> ox.NamedNode:
    return ox.NamedNode(SD + local)


def describe(
    query_endpoint: str,
    graph_counts: Iterable[tuple[str, int]],
    *,
    update_endpoint: str | None = None,
    federated: bool = False,
) -> list[ox.Triple]:
    """The service description triples for the query endpoint (and the update endpoint when given)."""
    triples: list[ox.Triple] = []

    def add(
        s: ox.NamedNode | ox.BlankNode, p: ox.NamedNode, o: ox.NamedNode | ox.BlankNode | ox.Literal
    ) -> None:
        triples.append(ox.Triple(s, p, o))

    dataset = ox.BlankNode("dataset")
    add(dataset, RDF_TYPE, _sd("Dataset"))
    default = ox.BlankNode("defaultGraph")
    add(dataset, _sd("defaultGraph"), default)
    add(default, RDF_TYPE, _sd("Graph"))
    add(
        default,
        RDFS_COMMENT,
        ox.Literal("the union of all named graphs (and of all but the inferred one with asserted-only=true)"),
    )
    total = 0
    for i, (name, count) in enumerate(sorted(graph_counts)):
        total += count
        named = ox.BlankNode(f"named{i}")
        graph = ox.BlankNode(f"graph{i}")
        add(dataset, _sd("namedGraph"), named)
        add(named, RDF_TYPE, _sd("NamedGraph"))
        add(named, _sd("name"), ox.NamedNode(name))
        add(named, _sd("graph"), graph)
        add(graph, RDF_TYPE, _sd("Graph"))
        add(graph, ox.NamedNode(VOID + "triples"), ox.Literal(str(count), datatype=_xsd("integer")))
    add(default, ox.NamedNode(VOID + "triples"), ox.Literal(str(total), datatype=_xsd("integer")))

    endpoints = [(query_endpoint, "SPARQL11Query")]
    if update_endpoint:
        endpoints.append((update_endpoint, "SPARQL11Update"))
    for url, language in endpoints:
        service = ox.NamedNode(url)
        add(service, RDF_TYPE, _sd("Service"))
        add(service, _sd("endpoint"), ox.NamedNode(url))
        add(service, _sd("supportedLanguage"), _sd(language))
        add(service, _sd("feature"), _sd("UnionDefaultGraph"))
        if federated and language == "SPARQL11Query":
            add(service, _sd("feature"), _sd("BasicFederatedQuery"))
        for fmt in RESULT_FORMATS:
            add(service, _sd("resultFormat"), ox.NamedNode(FORMATS + fmt))
        add(service, _sd("defaultDataset"), dataset)
    return triples


def _xsd(local: str) -> ox.NamedNode:
    return ox.NamedNode("http://www.w3.org/2001/XMLSchema#" + local)
