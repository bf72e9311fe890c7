"""The kubekg knowledge graph: load the ontology, reason to a fixed point, query, explain and validate."""

from kubekg.graph.explain import ExplainError, Explanation
from kubekg.graph.kg import KnowledgeGraph, build_graph, load_graph, normalize_label
from kubekg.graph.load import OntologyLoadError
from kubekg.graph.reason import MAX_ROUNDS, ReasoningError
from kubekg.graph.rules import RuleError

__all__ = [
    "MAX_ROUNDS",
    "ExplainError",
    "Explanation",
    "KnowledgeGraph",
    "OntologyLoadError",
    "ReasoningError",
    "RuleError",
    "build_graph",
    "load_graph",
    "normalize_label",
]
