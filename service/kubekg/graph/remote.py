"""The remote store backend: kubekg's query contract over any SPARQL 1.1 endpoint, read through SPARQLWrapper.

``connect(url)`` gives a KnowledgeGraph whose ``query()`` goes to the endpoint (Oxigraph server, Fuseki, GraphDB)
holding ``kubekg export``; derivation records and labels stay local, as graph-core's backend design says.
Results come back as pyoxigraph objects (``parse_query_results`` for JSON, ``parse`` for N-Triples), so callers
cannot tell the stores apart. Bindings are never pasted as user text: each value becomes a pyoxigraph term and
enters the query as its N-Triples serialization in a ``VALUES`` block at the top of the WHERE group. The dataset
is always explicit (``default-graph-uri``/``named-graph-uri`` = every named graph, minus the inferred graph for
asserted-only), so the remote's own default-graph setting does not matter. A store that refuses connections,
answers 5xx or garbage raises :class:`StoreUnavailable` (503); each request tries again, so kubekg recovers by
itself as soon as the store is back.
"""

from __future__ import annotations

import ast
import copy
import http.client
import socket
import threading
import time
import urllib.error
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kubekg import ns
from kubekg.errors import QuerySyntaxError, QueryTimeout, StoreUnavailable

QueryResult = ox.QuerySolutions | ox.QueryBoolean | list[ox.Triple]
INFERRED = ox.NamedNode(ns.INFERRED_GRAPH)
ACCEPT = (
    "application/sparql-results+json, application/n-triples;q=0.9, text/turtle;q=0.8, "
    "application/sparql-results+xml;q=0.7"
)
# predeclared prefixes on one line, so the remote's error positions keep the user's line numbers
PREFIX_LINE = " ".join(f"PREFIX {p}: <{iri}>" for p, iri in ns.PREFIXES.items()) + " "
GRAPHS_TTL = 60.0  # seconds the remote's list of named graphs is reused
GRAPHS_QUERY = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
COUNTS_QUERY = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
_RDF_TYPES = {
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
}
_RESULT_TYPES = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
}


def values_block(substitutions: Mapping[ox.Variable, Any]) -> str:
    """A ``VALUES (?a ?b) { (<x> "y") }`` block from pyoxigraph terms (their N-Triples form; no blank nodes)."""
    names = []
    cells = []
    for variable, term in substitutions.items():
        name = variable.value if isinstance(variable, ox.Variable) else str(variable).lstrip("?$")
        ox.Variable(name)  # validates the name
        if not isinstance(term, ox.NamedNode | ox.Literal):
            raise ValueError(f"cannot bind ?{name} to {term!r} on a remote store (IRIs and literals only)")
        names.append(f"?{name}")
        cells.append(str(term))
    return f"VALUES ({' '.join(names)}) {{ ({' '.join(cells)}) }}"


def bind(sparql: str, substitutions: Mapping[ox.Variable, Any] | None) -> str:
    """The query with its bindings as a VALUES block opening the WHERE group (found by the SPARQL tokenizer)."""
    if not substitutions:
        return sparql
    from kubekg.sparql import lexer

    tokens = lexer.tokenize(sparql)
    at = lexer.where_group(tokens)
    if at is None:
        raise ValueError("cannot bind variables: the query has no WHERE group")
    cut = tokens[at].end
    return f"{sparql[:cut]} {values_block(substitutions)} {sparql[cut:]}"


class RemoteBackend:
    """A SPARQL 1.1 Protocol endpoint answering kubekg's queries (graph-core's Backend protocol)."""

    name = "remote"
    recycle_on_timeout = False  # nothing runs in this process: the HTTP timeout ends our side of the work

    def __init__(self, endpoint: str, timeout: float = 10.0) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self._graphs: list[ox.NamedNode] | None = None
        self._graphs_at = 0.0
        self._lock = threading.Lock()

    # ------------------------------------------------------------------------------------------- HTTP
    def _request(
        self,
        text: str,
        default_graphs: Iterable[ox.NamedNode] | None,
        named_graphs: Iterable[ox.NamedNode] | None,
        timeout: float,
    ) -> tuple[str, bytes]:
        from SPARQLWrapper import POST, SELECT, URLENCODED, SPARQLWrapper
        from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

        client = SPARQLWrapper(self.endpoint)
        client.setMethod(POST)
        client.setRequestMethod(URLENCODED)
        client.setOnlyConneg(True)
        client.queryString = text  # setQuery() would guess the query form and warn on what it cannot guess
        client.queryType = SELECT
        client.addCustomHttpHeader("Accept", ACCEPT)
        client.setTimeout(max(0.05, timeout))
        for g in default_graphs or ():
            client.addParameter("default-graph-uri", g.value)
        for g in named_graphs or ():
            client.addParameter("named-graph-uri", g.value)
        try:
            result = client.query()
            response = result.response
            content_type = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            return content_type, response.read()
        except SPARQLWrapperException as exc:
            detail = _detail(exc)
            if type(exc).__name__ == "QueryBadFormed":
                raise QuerySyntaxError(f"the remote store rejected the query: {detail}") from None
            raise StoreUnavailable(f"the remote SPARQL store {self.endpoint} failed: {detail}") from None
        except urllib.error.HTTPError as exc:
            raise StoreUnavailable(
                f"the remote SPARQL store {self.endpoint} answered HTTP {exc.code}"
            ) from None
        except TimeoutError as exc:
            raise QueryTimeout(
                f"the remote SPARQL store did not answer within {timeout:g} s ({exc})"
            ) from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError | socket.timeout):
                raise QueryTimeout(f"the remote SPARQL store did not answer within {timeout:g} s") from None
            raise StoreUnavailable(
                f"the remote SPARQL store {self.endpoint} is unreachable: {exc.reason}"
            ) from None
        except (OSError, ValueError) as exc:
            raise StoreUnavailable(f"the remote SPARQL store {self.endpoint} is unreachable: {exc}") from None
        except http.client.HTTPException as exc:  # a status line or body that is not HTTP (not an OSError)
            raise StoreUnavailable(
                f"the remote SPARQL store {self.endpoint} answered something that is not HTTP: {exc!r}"[:500]
            ) from None

    def _parse(self, content_type: str, body: bytes) -> QueryResult:
        try:
            if content_type in _RESULT_TYPES:
                fmt = _RESULT_TYPES[content_type]
                checked = ox.parse_query_results(body, format=fmt)
                if isinstance(checked, ox.QuerySolutions):
                    for _ in checked:  # parsing is lazy: read it all once so garbage fails here, not later
                        pass
                return ox.parse_query_results(body, format=fmt)
            if content_type in _RDF_TYPES:
                return [q.triple for q in ox.parse(body, format=_RDF_TYPES[content_type])]
        except (SyntaxError, ValueError, OSError) as exc:
            raise StoreUnavailable(f"the remote SPARQL store answered something unreadable: {exc}") from None
        raise StoreUnavailable(
            f"the remote SPARQL store answered an unexpected Content-Type {content_type!r}"
        )

    # ------------------------------------------------------------------------------------------- graphs
    def all_graphs(self) -> list[ox.NamedNode]:
        """The remote's named graphs (cached for GRAPHS_TTL seconds)."""
        with self._lock:
            if self._graphs is not None and time.monotonic() - self._graphs_at < GRAPHS_TTL:
                return list(self._graphs)
        content_type, body = self._request(GRAPHS_QUERY, None, None, self.timeout)
        result = self._parse(content_type, body)
        if not isinstance(result, ox.QuerySolutions):
            raise StoreUnavailable("the remote SPARQL store answered the graph list with something else")
        graphs = sorted(
            (row["g"] for row in result if isinstance(row["g"], ox.NamedNode)), key=lambda g: g.value
        )
        with self._lock:
            self._graphs, self._graphs_at = graphs, time.monotonic()
        return list(graphs)

    def graph_counts(self) -> list[tuple[str, int]]:
        """(graph IRI, triples) for the service description."""
        result = self._parse(*self._request(COUNTS_QUERY, None, None, self.timeout))
        if not isinstance(result, ox.QuerySolutions):
            return []
        return [(row["g"].value, int(row["n"].value)) for row in result if isinstance(row["g"], ox.NamedNode)]

    def ping(self, timeout: float = 2.0) -> None:
        """Raise StoreUnavailable (or QueryTimeout) unless the store answers ``ASK {}`` in time."""
        result = self._parse(*self._request("ASK {}", None, None, timeout))
        if not isinstance(result, ox.QueryBoolean):
            raise StoreUnavailable("the remote SPARQL store did not answer ASK {} with a boolean")

    # ------------------------------------------------------------------------------------------- queries
    def query(
        self,
        sparql: str,
        *,
        substitutions: dict[ox.Variable, object] | None = None,
        asserted_only: bool = False,
    ) -> QueryResult:
        """Run a query with ns.PREFIXES predeclared on the union of all graphs (or all but the inferred one)."""
        text = PREFIX_LINE + bind(sparql, substitutions)
        graphs = self.all_graphs()
        if asserted_only:
            graphs = [g for g in graphs if g != INFERRED]
        return self._parse(*self._request(text, graphs, graphs, self.timeout))

    def evaluate(self, text: str, dataset: Any, base_iri: str | None, deadline: Any) -> QueryResult:
        """The /sparql path: run a user's query on a resolved dataset (kubekg.sparql.execute.Dataset)."""
        prologue = (f"BASE {ox.NamedNode(base_iri)} " if base_iri else "") + PREFIX_LINE
        if dataset.union:
            default = named = self.all_graphs()
        else:
            default = (
                [g for g in dataset.default or () if isinstance(g, ox.NamedNode)]
                if dataset.default is not None
                else None
            )
            named = list(dataset.named) if dataset.named is not None else None
            if default is not None and named is None:
                named = []
            if named is not None and default is None:
                default = []
        return self._parse(*self._request(prologue + text, default, named, max(0.05, deadline.remaining())))


def _detail(exc: Exception) -> str:
    """The remote's own message out of a SPARQLWrapper exception (it keeps the body only as a repr)."""
    text = str(exc)
    _, sep, rest = text.partition("Response:\n")
    if sep:
        try:
            body = ast.literal_eval(rest.strip())
            text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
        except (ValueError, SyntaxError):
            text = rest
    return " ".join(text.split())[:1000]


def connect(endpoint: str, timeout: float = 10.0, cache_dir: str | Path | None = None) -> Any:
    """A KnowledgeGraph whose queries go to the remote endpoint (look-ups of derivations stay local)."""
    from kubekg.graph import load_graph

    local = load_graph(cache_dir=cache_dir) if cache_dir else load_graph()
    kg = copy.copy(local)  # the cached local graph stays untouched for other users in this process
    kg.backend = RemoteBackend(endpoint, timeout=timeout)
    return kg
