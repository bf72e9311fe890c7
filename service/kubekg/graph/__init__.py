"""The kubekg knowledge graph: load the ontology, reason to a fixed point, query, explain and validate.

    from kubekg.graph import load_graph
    kg = load_graph()                       # cached per process; from the on-disk cache when inputs are unchanged
    kg.query(sparql, bindings={"mode": "https://kubekg.dev/id/ReadWriteMany"}, asserted_only=False)
    kg.select(...) / kg.ask(...) / kg.query_file("competency/x.rq", bindings=...)
    kg.explain("kr:nfs", "kg:supportsAccessMode", "RWX").render()   # or .to_dict()
    kg.labels(iri); kg.find("RWX"); kg.describe(iri); kg.errata(); kg.export("nquads"); kg.stats

``kg.query`` is the one entry point the rest of kubekg uses; ``kg.backend`` (a ``Backend``) can be swapped for a
remote SPARQL store while reasoning, derivation records and look-ups stay local.
"""

from kubekg.graph.backend import Backend, LocalBackend
from kubekg.graph.explain import ExplainError, Explanation
from kubekg.graph.kg import KnowledgeGraph, build_graph, load_graph, normalize_label
from kubekg.graph.load import OntologyLoadError
from kubekg.graph.reason import MAX_ROUNDS, ReasoningError
from kubekg.graph.rules import RuleError

__all__ = [
    "MAX_ROUNDS",
    "Backend",
    "ExplainError",
    "Explanation",
    "KnowledgeGraph",
    "LocalBackend",
    "OntologyLoadError",
    "ReasoningError",
    "RuleError",
    "build_graph",
    "load_graph",
    "normalize_label",
]
