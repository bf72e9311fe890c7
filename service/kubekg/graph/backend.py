"""Query backends: where ``KnowledgeGraph.query`` sends SPARQL.

``KnowledgeGraph.query`` is the single entry point the rest of kubekg uses, so the store behind it can be swapped:
the embedded pyoxigraph store here, or (added by the web layer) a remote SPARQL 1.1 endpoint whose results are
parsed back into pyoxigraph result objects with ``pyoxigraph.parse_query_results`` so callers see the same types.
Reasoning and derivation records stay local (from the cache) whatever the backend.
"""

from __future__ import annotations

from typing import Protocol

import pyoxigraph as ox

from kubekg import ns

QueryResult = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples
INFERRED = ox.NamedNode(ns.INFERRED_GRAPH)


class Backend(Protocol):
    """Anything that answers SPARQL queries over the kubekg dataset (asserted graphs + the inferred graph)."""

    name: str

    def query(
        self,
        sparql: str,
        *,
        substitutions: dict[ox.Variable, object] | None = None,
        asserted_only: bool = False,
    ) -> QueryResult:
        """Run a query; the default graph is the union of all graphs, or of all but the inferred one."""
        ...


class LocalBackend:
    """The embedded pyoxigraph store (it releases the GIL while evaluating, so threads overlap)."""

    name = "embedded"

    def __init__(self, store: ox.Store) -> None:
        self.store = store

    def asserted_graphs(self) -> list[ox.NamedNode | ox.BlankNode]:
        """Every named graph except the inferred one (recomputed: updates may add user graphs)."""
        return [g for g in self.store.named_graphs() if g != INFERRED]

    def query(
        self,
        sparql: str,
        *,
        substitutions: dict[ox.Variable, object] | None = None,
        asserted_only: bool = False,
    ) -> QueryResult:
        if asserted_only:
            graphs = self.asserted_graphs() or [ox.DefaultGraph()]
            return self.store.query(
                sparql, prefixes=ns.PREFIXES, default_graph=graphs, substitutions=substitutions or None
            )
        return self.store.query(
            sparql, prefixes=ns.PREFIXES, use_default_graph_as_union=True, substitutions=substitutions or None
        )
