"""Running one SPARQL query with a deadline, a row cap, the right dataset, and serializing its result.

pyoxigraph releases the GIL while it evaluates but cannot be cancelled, so evaluation runs in a daemon thread
and the request thread waits only until the deadline (plus ``GRACE`` for the thread's own check). Streaming
SELECT/CONSTRUCT results are pulled row by row with a deadline check between rows, so they stop by themselves;
a query stuck inside native code (an aggregate or ORDER BY over a cartesian product) cannot be stopped from
Python: the caller gets :class:`Runaway` (a 503 ``query_timeout``) and the web layer retires the worker process
after the response is sent, which is what really ends the work (see ``kubekg.web.sparql.recycle``).

Dataset rules (SPARQL 1.1 Protocol 2.1.4): a protocol dataset (default-graph-uri/named-graph-uri) wins over
FROM/FROM NAMED; FROM/FROM NAMED wins over kubekg's default; the default dataset is the union of all graphs as
default graph and every named graph for GRAPH. Asserted-only removes the inferred graph from whichever applies.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import re
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from kubekg import ns
from kubekg.errors import BadRequest, KubeKGError, QueryTimeout
from kubekg.sparql import guard, lexer, negotiate
from kubekg.sparql.negotiate import Format

log = logging.getLogger(__name__)

GRACE = 0.25  # seconds the request thread waits past the deadline for the evaluation thread's own check
DEMOTE_AFTER = 0.1  # seconds after which a still-running evaluation thread gets a lower CPU priority
DEMOTED_NICE = 10  # its niceness then (Linux lets a process lower one of its own threads' priority)
INFERRED = ox.NamedNode(ns.INFERRED_GRAPH)
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
RDF_DIR_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#dirLangString"
_FROM = re.compile(r"from", re.I)  # no such letters, no dataset clause: skip tokenizing the whole query
EVAL_STACK_BYTES = 512 << 20  # pyoxigraph's parser and evaluator recurse: 8 MiB overflows on big queries
QUERY_KINDS = {
    "SELECT": negotiate.RESULTS,
    "ASK": negotiate.RESULTS,
    "CONSTRUCT": negotiate.GRAPH,
    "DESCRIBE": negotiate.GRAPH,
}
RESULT_FORMATS = {
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
    "json": ox.QueryResultsFormat.JSON,
}
RDF_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD,
}


class Runaway(QueryTimeout):
    """The deadline passed while the evaluation thread was still inside the engine; the process must recycle."""


# ---------------------------------------------------------------------------------------------------- deadline
class Deadline:
    """A point in monotonic time after which work must stop."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())

    def expired(self) -> bool:
        return time.monotonic() >= self.at

    def check(self) -> None:
        if self.expired():
            raise QueryTimeout(timeout_message(self.seconds))


def timeout_message(seconds: float) -> str:
    return (
        f"the query did not finish within its timeout of {seconds:g} s and was stopped; "
        "simplify it, add a LIMIT, or pass a larger timeout parameter (up to the server's maximum)"
    )


@dataclass
class Job:
    """What the evaluation thread shares with the request thread."""

    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None
    partial: Any = None  # a capped result, published before probing for one more row
    native_id: int | None = None  # the evaluation thread's kernel id, for demotion
    rows: int = 0  # rows pulled so far (a thread pulling rows runs Python code and keeps its priority)
    evaluating: bool = False  # inside the engine (checks such as rdflib's parse are Python: never demoted)
    demoted: bool = False


@dataclass
class Run:
    """The outcome of run_with_deadline: the value, and whether the evaluation thread was left running."""

    value: Any
    runaway: bool = False


def run_with_deadline(work: Callable[[Deadline, Job], Any], seconds: float, grace: float = GRACE) -> Run:
    """Run work(deadline, job) in a daemon thread; return its value, re-raise its error, or time out.

    On timeout a partial (capped) result is returned when the thread published one; otherwise Runaway is raised.
    Either way ``runaway`` tells the caller that the thread is still running inside the engine.
    """
    deadline = Deadline(seconds)
    job = Job()

    def target() -> bool:
        job.native_id = threading.get_native_id()
        try:
            job.result = work(deadline, job)
        except BaseException as exc:  # handed to the request thread
            _release_frames(exc)
            job.error = exc
        finally:
            job.done.set()
        return (
            job.error is None and not deadline.expired()
        )  # only a clean, timely run leaves a reusable thread

    _start_thread(target)
    while not job.done.wait(min(DEMOTE_AFTER, deadline.remaining())) and not job.demoted:
        if deadline.expired() or job.rows:
            break
        demote(job)  # once the thread is inside the engine (it may still be checking at the first look)
    if job.done.wait(deadline.remaining() + grace):
        if job.error is not None:
            raise job.error
        return Run(job.result)
    if not job.demoted:
        demote(job, abandoned=True)  # left running until the worker retires: it yields the CPU to the others
    if job.partial is not None:
        return Run(job.partial, runaway=True)
    raise Runaway(timeout_message(seconds))


def _release_frames(exc: BaseException) -> None:
    """Drop the locals of the frames an exception (and its chain) keeps, here in the evaluation thread.

    pyoxigraph's result iterators are thread-bound (PyO3 ``unsendable``): they must be freed on the thread that
    made them, never by the request thread that receives the exception.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        traceback.clear_frames(current.__traceback__)
        current = current.__cause__ or current.__context__


_stack_lock = threading.Lock()
_pool_lock = threading.Lock()
_idle: list[queue.SimpleQueue] = []  # inboxes of evaluation threads waiting for their next job
MAX_IDLE_THREADS = 16  # per process; more concurrent evaluations start fresh threads that end afterwards


def _forget_pool() -> None:
    """In a forked child: the parent's evaluation threads do not exist here."""
    global _pool_lock
    _pool_lock = threading.Lock()
    _idle.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _serve(inbox: queue.SimpleQueue) -> None:
    """An evaluation thread: run jobs from its inbox; go back to the pool only after a clean, timely run.

    A job that failed or ran past its deadline, or left the thread with a lowered priority (demoted), ends the
    thread instead, so a reused thread always starts like a fresh one.
    """
    nice = _priority()
    while True:
        target = inbox.get()
        clean = target()
        del target  # the job's result belongs to the request thread now; keep no reference while idle
        if not clean or _priority() != nice:
            return
        with _pool_lock:
            if len(_idle) >= MAX_IDLE_THREADS:
                return
            _idle.append(inbox)


def _priority() -> int | None:
    try:
        return os.getpriority(os.PRIO_PROCESS, 0)  # Linux: the calling thread's niceness
    except (AttributeError, OSError):
        return None


def _start_thread(target: Callable[[], bool]) -> None:
    """Hand target to an idle evaluation thread, or start one with a large stack (virtual memory; only the pages
    used are committed). Reusing threads saves a thread start (and a 512 MiB stack mapping) per query.
    """
    with _pool_lock:
        inbox = _idle.pop() if _idle else None
    if inbox is not None:
        inbox.put(target)
        return
    inbox = queue.SimpleQueue()
    inbox.put(target)
    with _stack_lock:
        previous = threading.stack_size()
        try:
            threading.stack_size(EVAL_STACK_BYTES)
            threading.Thread(target=_serve, args=(inbox,), name="kubekg-sparql-eval", daemon=True).start()
            return
        except (ValueError, RuntimeError):  # the platform or a strict memory limit refuses: default stack
            log.warning(
                "cannot start an evaluation thread with a %d MiB stack; using the default",
                EVAL_STACK_BYTES >> 20,
            )
        finally:
            threading.stack_size(previous)
    threading.Thread(target=_serve, args=(inbox,), name="kubekg-sparql-eval", daemon=True).start()


def can_restore_priority() -> bool:
    """Whether this process may raise a demoted thread's priority back to nice 0 (root, or RLIMIT_NICE >= 20)."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return True
    try:
        import resource

        return resource.getrlimit(resource.RLIMIT_NICE)[0] >= 20  # the nice ceiling is 20 - the soft limit
    except (ImportError, AttributeError, OSError, ValueError):
        return False


def demote(job: Job, *, abandoned: bool = False) -> None:
    """Lower the CPU priority of an evaluation stuck inside the engine, so short queries keep their latency.

    Only a thread that has not produced a row yet is demoted: it runs native code without the GIL, so a lower
    priority cannot delay other threads of the worker (a demoted thread holding the GIL would). When the process
    cannot give the priority back (an unprivileged process without RLIMIT_NICE), a thread that later pulls rows
    would hold the GIL at nice 10 and, on a busy machine, stall the worker's other requests (the deadline's
    answer among them): then only an ``abandoned`` thread (its deadline passed, its client answered) is demoted.
    """
    if job.native_id is None or not job.evaluating or job.rows or not hasattr(os, "setpriority"):
        return
    if not abandoned and not can_restore_priority():
        return
    with contextlib.suppress(OSError):  # not Linux, or the thread already ended
        os.setpriority(os.PRIO_PROCESS, job.native_id, DEMOTED_NICE)
        job.demoted = True


def _restore(job: Job) -> None:
    """A demoted thread that starts pulling rows (Python code, holding the GIL) asks for its priority back."""
    job.demoted = False
    with contextlib.suppress(OSError, AttributeError):  # unprivileged processes may not raise priority again
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 0)


# ---------------------------------------------------------------------------------------------------- dataset
@dataclass
class Dataset:
    """What the engine should use: union default graph, or explicit default and named graph lists (None = store's)."""

    union: bool = False
    default: list[ox.NamedNode | ox.DefaultGraph] | None = None
    named: list[ox.NamedNode] | None = None

    def pyoxigraph_kwargs(self) -> dict[str, Any]:
        if self.union:
            return {"use_default_graph_as_union": True}
        kwargs: dict[str, Any] = {}
        if self.default is not None:
            kwargs["default_graph"] = self.default
        if self.named is not None:
            kwargs["named_graphs"] = self.named
        return kwargs


def resolve_dataset(
    tokens: list[lexer.Token],
    pro: lexer.Prologue,
    default_graphs: list[str],
    named_graphs: list[str],
    asserted_only: bool,
    all_graphs: Callable[[], list[ox.NamedNode]],
) -> Dataset:
    """The dataset a query runs on (protocol > FROM/FROM NAMED > union of everything), minus inferred if asked."""

    def keep(names: Iterable[str]) -> list[ox.NamedNode]:
        nodes = [ox.NamedNode(n) for n in names]
        return [n for n in nodes if n != INFERRED] if asserted_only else nodes

    if default_graphs or named_graphs:
        return Dataset(default=list(keep(default_graphs)), named=keep(named_graphs))
    clauses = lexer.dataset_clauses(tokens, pro)
    if clauses is None:
        if asserted_only:
            raise BadRequest("cannot apply asserted-only: a FROM clause of the query names no resolvable IRI")
        return Dataset()
    from_default, from_named = clauses
    if from_default or from_named:
        # the query's own clauses, made explicit: a remote store with a union default graph would ignore FROM
        return Dataset(default=list(keep(from_default)), named=keep(from_named))
    if not asserted_only:
        return Dataset(union=True)
    graphs = [g for g in all_graphs() if g != INFERRED]
    return Dataset(default=[ox.DefaultGraph(), *graphs], named=graphs)


# ---------------------------------------------------------------------------------------------------- results
@dataclass
class Solutions:
    """A SELECT result pulled into memory: variable names, rows and whether the row cap cut it."""

    variables: list[str]
    rows: list[ox.QuerySolution | dict[str, Any]]
    truncated: bool


@dataclass
class Graph:
    """A CONSTRUCT/DESCRIBE result pulled into memory."""

    triples: list[ox.Triple]
    truncated: bool


Result = bool | Solutions | Graph


def kind_of(result: Result) -> str:
    return negotiate.GRAPH if isinstance(result, Graph) else negotiate.RESULTS


def pull(
    raw: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples | Iterator,
    deadline: Deadline,
    max_rows: int,
    job: Job,
) -> Result:
    """Turn an engine result into a Result: rows pulled with a deadline check each, capped at max_rows."""
    if isinstance(raw, ox.QueryBoolean | bool):
        return bool(raw)
    if isinstance(raw, ox.QuerySolutions):
        variables = [v.value for v in raw.variables]
        rows: list[Any] = []
        iterator: Iterator = iter(raw)
        for row in iterator:
            rows.append(row)
            job.rows += 1
            if job.demoted:
                _restore(job)
            if len(rows) >= max_rows:
                break
            deadline.check()
        else:
            return Solutions(variables, rows, truncated=False)
        job.partial = Solutions(variables, rows, truncated=True)
        more = next(iterator, None) is not None
        return Solutions(variables, rows, truncated=more)
    triples: list[ox.Triple] = []
    iterator = iter(raw)
    for triple in iterator:
        triples.append(triple)
        job.rows += 1
        if job.demoted:
            _restore(job)
        if len(triples) >= max_rows:
            break
        deadline.check()
    else:
        return Graph(triples, truncated=False)
    job.partial = Graph(triples, truncated=True)
    more = next(iterator, None) is not None
    return Graph(triples, truncated=more)


def term_json(term: Any) -> dict[str, Any]:
    """A term in SPARQL 1.1 (and 1.2 triple-term) JSON results form."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
            direction = getattr(term, "direction", None)
            if direction:
                out["its:dir"] = str(getattr(direction, "value", direction)).lower().split(".")[-1]
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {
                "subject": term_json(term.subject),
                "predicate": term_json(term.predicate),
                "object": term_json(term.object),
            },
        }
    raise TypeError(f"not an RDF term: {term!r}")


def solutions_json(result: Solutions, row_limit: int) -> bytes:
    """SPARQL 1.1 JSON results; a capped result carries ``"kubekg": {"truncated": true, "rowLimit": N}``.

    The extra key sits between ``head`` and ``results``: JSON readers (json.loads, SPARQLWrapper, rdflib) ignore
    it, and pyoxigraph's streaming reader accepts keys there but not after ``results``. Written row by row from
    cached per-term fragments, not with one ``json.dumps`` of the whole document: the C encoder holds the GIL for
    the whole call (180 ms for 10,000 rows of 9 terms), stalling every other request of the worker meanwhile.
    """
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    fragments: dict[Any, str] = {}
    keys = [(name, dumps(name) + ":") for name in result.variables]
    rows: list[bytes] = []
    for row in result.rows:
        items = []
        for name, key in keys:
            value = row[name]
            if value is not None:
                fragment = fragments.get(value)
                if fragment is None:
                    fragment = fragments[value] = dumps(term_json(value))
                items.append(key + fragment)
        rows.append(("{" + ",".join(items) + "}").encode("utf-8"))  # small encodes; the final join is a copy
    head = dumps({"head": {"vars": result.variables}})[:-1]
    extra = ',"kubekg":' + dumps({"truncated": True, "rowLimit": row_limit}) if result.truncated else ""
    return (head + extra + ',"results":{"bindings":[').encode("utf-8") + b",".join(rows) + b"]}}"


def serialize(result: Result, fmt: Format, row_limit: int) -> bytes:
    """The bytes of a result in the negotiated format."""
    if isinstance(result, bool):
        body = json.dumps({"head": {}, "boolean": result}).encode()
        if fmt.name == "json":
            return body
        return ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON).serialize(
            format=RESULT_FORMATS[fmt.name]
        )
    if isinstance(result, Solutions):
        body = solutions_json(result, row_limit)
        if fmt.name == "json":
            return body
        parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        return parsed.serialize(format=RESULT_FORMATS[fmt.name])
    prefixes = ns.PREFIXES if fmt.name in ("turtle", "rdfxml") else None
    return ox.serialize(result.triples, format=RDF_FORMATS[fmt.name], prefixes=prefixes)


# ---------------------------------------------------------------------------------------------------- engines
class EvaluationFailed(KubeKGError):
    """The engine failed while evaluating (for example an allow-listed SERVICE endpoint did not answer)."""

    code, status = "evaluation_failed", 502


class EmbeddedEngine:
    """Evaluates on the in-process pyoxigraph store; a stuck evaluation is ended by recycling the process."""

    recycle_on_timeout = True

    def __init__(self, store: ox.Store) -> None:
        self.store = store

    def all_graphs(self) -> list[ox.NamedNode]:
        return [g for g in self.store.named_graphs() if isinstance(g, ox.NamedNode)]

    def evaluate(self, text: str, dataset: Dataset, base_iri: str | None, deadline: Deadline) -> Any:
        try:
            return self.store.query(
                text, base_iri=base_iri, prefixes=ns.PREFIXES, **dataset.pyoxigraph_kwargs()
            )
        except SyntaxError as exc:
            raise guard.syntax_error(exc) from None
        except (OSError, RuntimeError, ValueError) as exc:
            raise EvaluationFailed(f"the query failed during evaluation: {exc}") from None


def engine_for(graph: Any) -> Any:
    """The /sparql engine behind app.extensions["kubekg"]: a remote backend, a KnowledgeGraph or a bare Store."""
    backend = getattr(graph, "backend", None)
    if backend is not None and hasattr(backend, "evaluate"):
        return backend
    if isinstance(graph, ox.Store):
        return EmbeddedEngine(graph)
    store = getattr(graph, "store", None)
    if isinstance(store, ox.Store):
        return EmbeddedEngine(store)
    raise TypeError(f"no SPARQL engine for {type(graph).__name__}")


# ---------------------------------------------------------------------------------------------------- one query
@dataclass
class Answer:
    """A serialized query result and what the HTTP layer needs to know about it."""

    body: bytes
    format: Format
    truncated: bool
    row_limit: int
    rows: int
    runaway: bool = False


def answer_query(
    engine: Any,
    query: str,
    *,
    default_graphs: list[str],
    named_graphs: list[str],
    asserted_only: bool,
    accept: str | None,
    formats: list[str],
    base_iri: str | None,
    timeout: float,
    max_rows: int,
    allowlist: guard.AllowList,
    max_patterns: int = guard.MAX_PATTERNS,
) -> Answer:
    """Check, negotiate, evaluate and pull one query, all under its deadline, then serialize it.

    Even the checks run in the evaluation thread: rdflib's parse (for SERVICE) and tokenizing a 1 MiB query are
    not free, and nothing a client sends may occupy a worker past its timeout.
    """
    chosen: dict[str, Format] = {}

    def work(deadline: Deadline, job: Job) -> Result:
        guard.check_shape(query)
        keyword = lexer.query_form(query)
        if keyword in lexer.UPDATE_KEYWORDS:
            from kubekg.sparql.protocol import UpdateOnQueryPath

            raise UpdateOnQueryPath("this is the query endpoint; SPARQL Update is not accepted here")
        guard.check_patterns(query, max_patterns)
        expected_kind = QUERY_KINDS.get(keyword or "")
        if expected_kind:
            chosen["format"] = negotiate.choose(expected_kind, accept, formats)
        guard.check_service(query, allowlist, base_iri, ns.PREFIXES, wait=deadline.remaining())
        tokens = lexer.tokenize(query) if _FROM.search(query) else []
        pro = lexer.prologue(tokens, base=base_iri, prefixes=ns.PREFIXES)
        dataset = resolve_dataset(tokens, pro, default_graphs, named_graphs, asserted_only, engine.all_graphs)
        deadline.check()
        job.evaluating = True
        raw = engine.evaluate(query, dataset, base_iri, deadline)
        try:
            return pull(raw, deadline, max_rows, job)
        except (
            OSError,
            RuntimeError,
            ValueError,
        ) as exc:  # raised while rows stream (e.g. by a SERVICE call)
            raise EvaluationFailed(f"the query failed during evaluation: {exc}") from None

    try:
        run = run_with_deadline(work, timeout)
    except Runaway:
        if getattr(engine, "recycle_on_timeout", False):
            raise
        raise QueryTimeout(timeout_message(timeout)) from None
    result = run.value
    kind = kind_of(result)
    fmt = chosen.get("format")
    if fmt is None or fmt.kind != kind:
        fmt = negotiate.choose(kind, accept, formats)
    body = serialize(result, fmt, max_rows)
    if isinstance(result, Solutions):
        rows = len(result.rows)
    else:
        rows = len(result.triples) if isinstance(result, Graph) else 1
    truncated = bool(getattr(result, "truncated", False))
    return Answer(body, fmt, truncated, max_rows, rows, runaway=run.runaway and engine.recycle_on_timeout)
