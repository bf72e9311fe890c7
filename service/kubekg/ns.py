"""IRIs kubekg mints: the ontology (TBox), resources (ABox), document sections and named graphs."""

from __future__ import annotations

BASE = "https://kubekg.dev/"
KG = BASE + "ontology#"  # classes and properties, prefix kg:
KR = BASE + "id/"  # individuals (entities, cells, errata), prefix kr:
SECTION = KR + "section/"  # a document section; its IRI is also the named graph of its asserted facts
GRAPH = BASE + "graph/"

ONTOLOGY_GRAPH = GRAPH + "ontology"  # TBox axioms, labels and definitions of classes and properties
DOCUMENT_GRAPH = GRAPH + "document"  # the section tree and the errata
INFERRED_GRAPH = GRAPH + "inferred"  # everything the reasoner derives
USER_GRAPH_PREFIX = GRAPH + "user/"  # SPARQL Update writes (never the document's graphs)
RUN_GRAPH_PREFIX = GRAPH + "run/"  # simulation runs as RDF

PREFIXES: dict[str, str] = {
    "kg": KG,
    "kr": KR,
    "ks": SECTION,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "prov": "http://www.w3.org/ns/prov#",
    "sh": "http://www.w3.org/ns/shacl#",
}


def sparql_prefixes() -> str:
    """The PREFIX block every kubekg query may rely on."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())
