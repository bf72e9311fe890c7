"""Query execution: deadline runner, row cap, dataset rules, asserted-only and every serialization."""

from __future__ import annotations

import csv
import io
import json
import os
import threading
import time
import xml.etree.ElementTree as ET

import pyoxigraph as ox
import pytest

from kubekg import ns
from kubekg.errors import QueryTimeout
from kubekg.sparql import execute, guard, negotiate

EX = "http://example.org/"
N = ox.NamedNode


@pytest.fixture(scope="module")
def store() -> ox.Store:
    """Three asserted graphs of 40 triples each, one inferred triple and one triple per kasei-style data graph."""
    s = ox.Store()
    for g in range(3):
        for i in range(40):
            s.add(ox.Quad(N(f"{EX}s{i}"), N(f"{EX}p{g}"), ox.Literal(f"v{i}", language="en"), N(f"{EX}g{g}")))
    s.add(
        ox.Quad(
            N(f"{EX}s0"),
            N(f"{EX}derived"),
            ox.Literal("1", datatype=N(ns.PREFIXES["xsd"] + "integer")),
            N(ns.INFERRED_GRAPH),
        )
    )
    for i in (1, 2, 3):
        doc = N(f"http://kasei.us/2009/09/sparql/data/data{i}.rdf")
        s.add(ox.Quad(doc, N(ns.PREFIXES["rdf"] + "type"), N("http://xmlns.com/foaf/0.1/Document"), doc))
    return s


def answer(store: ox.Store, query: str, **overrides: object) -> execute.Answer:
    options: dict[str, object] = {
        "default_graphs": [],
        "named_graphs": [],
        "asserted_only": False,
        "accept": None,
        "formats": [],
        "base_iri": "http://localhost/sparql",
        "timeout": 5.0,
        "max_rows": 1000,
        "allowlist": guard.AllowList([]),
    }
    options.update(overrides)
    return execute.answer_query(execute.EmbeddedEngine(store), query, **options)  # type: ignore[arg-type]


def count(store: ox.Store, query: str, **overrides: object) -> int:
    body = json.loads(answer(store, query, **overrides).body)
    return int(body["results"]["bindings"][0]["n"]["value"])


# ------------------------------------------------------------------------------------------------ deadline runner
def test_deadline_runner_returns_the_value() -> None:
    assert execute.run_with_deadline(lambda deadline, job: 42, 1.0).value == 42


def test_deadline_runner_reraises_errors() -> None:
    def boom(deadline: execute.Deadline, job: execute.Job) -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        execute.run_with_deadline(boom, 1.0)


def test_deadline_runner_answers_at_the_deadline_while_work_continues() -> None:
    release = threading.Event()

    def stuck(deadline: execute.Deadline, job: execute.Job) -> None:
        release.wait(5)  # like native code that ignores the deadline

    started = time.monotonic()
    with pytest.raises(execute.Runaway) as info:
        execute.run_with_deadline(stuck, 0.2, grace=0.05)
    elapsed = time.monotonic() - started
    release.set()
    assert 0.2 <= elapsed < 0.5
    assert info.value.status == 503 and info.value.code == "query_timeout"


def test_work_that_checks_its_deadline_stops_by_itself() -> None:
    def cooperative(deadline: execute.Deadline, job: execute.Job) -> None:
        while True:
            deadline.check()
            time.sleep(0.01)

    started = time.monotonic()
    with pytest.raises(QueryTimeout) as info:
        execute.run_with_deadline(cooperative, 0.2)
    assert not isinstance(info.value, execute.Runaway)
    assert time.monotonic() - started < 0.5


def test_partial_result_is_returned_when_the_probe_hangs() -> None:
    release = threading.Event()

    def capped(deadline: execute.Deadline, job: execute.Job) -> str:
        job.partial = "first rows"
        release.wait(5)
        return "all rows"

    run = execute.run_with_deadline(capped, 0.2, grace=0.05)
    release.set()
    assert (run.value, run.runaway) == ("first rows", True)


def test_streaming_cartesian_product_stops_at_the_deadline(store: ox.Store) -> None:
    before = set(threading.enumerate())
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        answer(store, "SELECT * { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }", timeout=0.2, max_rows=10**9)
    assert time.monotonic() - started < 0.2 + 0.5
    # the evaluation thread checks the deadline between rows, so it ends by itself: nothing keeps running
    ours = [t for t in threading.enumerate() if t not in before and t.name == "kubekg-sparql-eval"]
    for thread in ours:
        thread.join(2.0)
    assert not any(t.is_alive() for t in ours)


# ------------------------------------------------------------------------------------------------ row cap
def test_row_cap_truncates_and_reports(store: ox.Store) -> None:
    result = answer(store, "SELECT * { ?s ?p ?o }", max_rows=10)
    body = json.loads(result.body)
    assert result.truncated and result.rows == 10
    assert len(body["results"]["bindings"]) == 10
    assert body["kubekg"] == {"truncated": True, "rowLimit": 10}
    assert list(body)[:3] == [
        "head",
        "kubekg",
        "results",
    ]  # before "results", where streaming readers accept it


def test_exactly_the_cap_is_not_truncated(store: ox.Store) -> None:
    result = answer(store, "SELECT ?s { GRAPH <http://example.org/g0> { ?s ?p ?o } }", max_rows=40)
    assert not result.truncated and result.rows == 40
    assert "kubekg" not in json.loads(result.body)


def test_truncated_json_still_parses_with_pyoxigraph(store: ox.Store) -> None:
    result = answer(store, "SELECT * { ?s ?p ?o }", max_rows=5)
    assert len(list(ox.parse_query_results(result.body, format=ox.QueryResultsFormat.JSON))) == 5


def test_row_cap_applies_to_construct(store: ox.Store) -> None:
    result = answer(store, "CONSTRUCT WHERE { ?s ?p ?o }", max_rows=7, formats=["ntriples"])
    assert result.truncated and len(result.body.decode().strip().splitlines()) == 7


# ------------------------------------------------------------------------------------------------ datasets
def test_default_dataset_is_the_union(store: ox.Store) -> None:
    assert count(store, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }") == 124


def test_asserted_only_hides_the_inferred_graph(store: ox.Store) -> None:
    assert count(store, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", asserted_only=True) == 123
    assert count(store, "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }", asserted_only=True) == 123
    assert count(store, "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }") == 124


def test_asserted_only_also_filters_from_and_protocol_datasets(store: ox.Store) -> None:
    inferred = f"<{ns.INFERRED_GRAPH}>"
    assert count(store, f"SELECT (COUNT(*) AS ?n) FROM {inferred} {{ ?s ?p ?o }}") == 1
    assert count(store, f"SELECT (COUNT(*) AS ?n) FROM {inferred} {{ ?s ?p ?o }}", asserted_only=True) == 0
    assert (
        count(
            store,
            "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }",
            default_graphs=[ns.INFERRED_GRAPH],
            asserted_only=True,
        )
        == 0
    )


def test_from_restricts_the_default_graph(store: ox.Store) -> None:
    assert count(store, "SELECT (COUNT(*) AS ?n) FROM <http://example.org/g1> { ?s ?p ?o }") == 40


def test_protocol_dataset_wins_over_from(store: ox.Store) -> None:
    n = count(
        store,
        "SELECT (COUNT(*) AS ?n) FROM <http://example.org/g1> { ?s ?p ?o }",
        default_graphs=[f"{EX}g0", f"{EX}g2"],
    )
    assert n == 80


def test_named_graph_uri_limits_graph_patterns(store: ox.Store) -> None:
    n = count(store, "SELECT (COUNT(DISTINCT ?g) AS ?n) { GRAPH ?g { ?s ?p ?o } }", named_graphs=[f"{EX}g1"])
    assert n == 1


def test_protocol_named_only_leaves_default_graph_empty(store: ox.Store) -> None:
    assert count(store, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", named_graphs=[f"{EX}g1"]) == 0


# ------------------------------------------------------------------------------------------------ formats
SELECT_TWO = "SELECT ?s ?o { GRAPH <http://example.org/g0> { ?s ?p ?o } } ORDER BY ?s LIMIT 2"


def test_select_as_json(store: ox.Store) -> None:
    result = answer(store, SELECT_TWO)
    body = json.loads(result.body)
    assert result.format.content_type == "application/sparql-results+json"
    assert body["head"]["vars"] == ["s", "o"]
    assert body["results"]["bindings"][0]["o"] == {"type": "literal", "value": "v0", "xml:lang": "en"}


def test_select_as_xml(store: ox.Store) -> None:
    result = answer(store, SELECT_TWO, accept="application/sparql-results+xml")
    root = ET.fromstring(result.body)
    ns_sr = "{http://www.w3.org/2005/sparql-results#}"
    assert [v.get("name") for v in root.iter(f"{ns_sr}variable")] == ["s", "o"]
    assert len(list(root.iter(f"{ns_sr}result"))) == 2


def test_select_as_csv(store: ox.Store) -> None:
    result = answer(store, SELECT_TWO, formats=["csv"])
    rows = list(csv.reader(io.StringIO(result.body.decode())))
    assert rows[0] == ["s", "o"] and rows[1] == [f"{EX}s0", "v0"]
    assert result.format.content_type.startswith("text/csv")


def test_select_as_tsv(store: ox.Store) -> None:
    result = answer(store, SELECT_TWO, accept="text/tab-separated-values")
    lines = result.body.decode().splitlines()
    assert lines[0] == "?s\t?o" and lines[1] == f'<{EX}s0>\t"v0"@en'


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_ask_in_every_results_format(store: ox.Store, fmt: str) -> None:
    result = answer(store, "ASK { ?s ?p ?o }", formats=[fmt])
    assert b"true" in result.body


@pytest.mark.parametrize(
    ("fmt", "rdf_format"),
    [
        ("turtle", ox.RdfFormat.TURTLE),
        ("ntriples", ox.RdfFormat.N_TRIPLES),
        ("rdfxml", ox.RdfFormat.RDF_XML),
        ("jsonld", ox.RdfFormat.JSON_LD),
    ],
)
def test_construct_in_every_graph_format(store: ox.Store, fmt: str, rdf_format: ox.RdfFormat) -> None:
    result = answer(
        store, "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH <http://example.org/g0> { ?s ?p ?o } }", formats=[fmt]
    )
    triples = list(ox.parse(result.body, format=rdf_format))
    assert len(triples) == 40


def test_describe_is_a_graph(store: ox.Store) -> None:
    result = answer(store, "DESCRIBE <http://example.org/s1>")
    assert result.format.kind == negotiate.GRAPH
    assert len(list(ox.parse(result.body, format=ox.RdfFormat.TURTLE))) >= 3


def test_406_before_evaluation(store: ox.Store) -> None:
    from kubekg.errors import NotAcceptable

    with pytest.raises(NotAcceptable):
        answer(store, "SELECT * { ?s ?p ?o }", accept="text/turtle")


def test_syntax_error_carries_the_parser_message(store: ox.Store) -> None:
    from kubekg.errors import QuerySyntaxError

    with pytest.raises(QuerySyntaxError, match="error at 1:"):
        answer(store, "SELECT * { ?s ?p ")


def test_update_text_on_the_query_path_is_refused(store: ox.Store) -> None:
    from kubekg.sparql.protocol import UpdateOnQueryPath

    with pytest.raises(UpdateOnQueryPath):
        answer(store, "INSERT DATA { <http://a> <http://b> <http://c> }")


# ------------------------------------------------------------------------------------------------ hostile shapes
@pytest.mark.parametrize(
    ("case", "query"),
    [
        ("deep braces", "SELECT * WHERE " + "{" * 10_000 + "}" * 10_000),
        ("deep parentheses", "SELECT * WHERE { FILTER(" + "(" * 10_000 + "true" + ")" * 10_000 + ") }"),
        ("negation chain", "SELECT * WHERE { FILTER(" + "!" * 10_000 + "true) }"),
    ],
)
def test_deep_nesting_is_refused_before_any_parser(store: ox.Store, case: str, query: str) -> None:
    from kubekg.sparql.guard import TooComplex

    with pytest.raises(TooComplex) as info:
        answer(store, query)
    assert info.value.status == 400 and info.value.code == "query_too_complex"


def _own_stack_size() -> int:
    """The calling thread's stack size from glibc's pthread_getattr_np (0 where that is unavailable)."""
    import ctypes
    import ctypes.util

    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    if not hasattr(libc, "pthread_getattr_np"):
        return 0
    attr = ctypes.create_string_buffer(128)  # pthread_attr_t is 56 bytes on x86-64 glibc
    libc.pthread_self.restype = ctypes.c_ulong
    if libc.pthread_getattr_np(ctypes.c_ulong(libc.pthread_self()), attr) != 0:
        return 0
    size = ctypes.c_size_t()
    libc.pthread_attr_getstacksize(attr, ctypes.byref(size))
    libc.pthread_attr_destroy(attr)
    return size.value


def test_evaluation_threads_get_a_large_stack() -> None:
    # pyoxigraph's parser and evaluator recurse: on the default 8 MiB stack a 10,000-term sum or a
    # 12,000-step path segfaults the whole worker process; the evaluation thread gets EVAL_STACK_BYTES
    size = execute.run_with_deadline(lambda deadline, job: _own_stack_size(), 5.0).value
    if size == 0:
        pytest.skip("pthread_getattr_np is not available on this platform")
    assert size >= execute.EVAL_STACK_BYTES
    assert threading.stack_size() == 0  # the process-wide default is left as it was


@pytest.mark.parametrize("truncated", [False, True])
def test_solutions_json_is_the_documents_json_written_row_by_row(truncated: bool) -> None:
    """Same bytes as one json.dumps of the whole document (which held the GIL for ~100 ms per 10,000 rows)."""

    store = ox.Store()
    store.update(
        'INSERT DATA { <urn:a> <urn:p> "쿠버네티스"@ko , "x\\"y\\n"@en , 1.5 , _:b , <urn:c> . <urn:b> <urn:p> "s" }'
    )
    raw = store.query("SELECT ?s ?o ?none WHERE { ?s <urn:p> ?o OPTIONAL { ?o <urn:q> ?none } }")
    variables = [v.value for v in raw.variables]
    rows = list(raw)
    result = execute.Solutions(variables, rows, truncated=truncated)
    doc: dict = {"head": {"vars": variables}}
    if truncated:
        doc["kubekg"] = {"truncated": True, "rowLimit": 7}
    doc["results"] = {
        "bindings": [{n: execute.term_json(row[n]) for n in variables if row[n] is not None} for row in rows]
    }
    expected = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    assert execute.solutions_json(result, 7) == expected
    assert len(json.loads(expected)["results"]["bindings"]) == 6


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="thread priorities need os.setpriority (Linux)")
@pytest.mark.parametrize(
    ("case", "restorable", "abandoned", "rows", "demoted"),
    [
        ("privileged, in the engine", True, False, 0, True),
        ("unprivileged, in the engine before the deadline", False, False, 0, False),
        ("unprivileged, abandoned after the deadline", False, True, 0, True),
        ("pulling rows (holds the GIL)", True, True, 5, False),
    ],
)
def test_demotion_never_leaves_a_thread_that_may_hold_the_gil_at_low_priority(
    monkeypatch: pytest.MonkeyPatch, case: str, restorable: bool, abandoned: bool, rows: int, demoted: bool
) -> None:
    monkeypatch.setattr(execute, "can_restore_priority", lambda: restorable)
    release, ready = threading.Event(), threading.Event()
    ids: list[int] = []

    def stand_in() -> None:  # plays the evaluation thread
        ids.append(threading.get_native_id())
        ready.set()
        release.wait(10)

    thread = threading.Thread(target=stand_in, daemon=True)
    thread.start()
    ready.wait(5)
    try:
        job = execute.Job(native_id=ids[0], rows=rows, evaluating=True)
        execute.demote(job, abandoned=abandoned)
        assert job.demoted is demoted
        assert (os.getpriority(os.PRIO_PROCESS, ids[0]) > os.getpriority(os.PRIO_PROCESS, 0)) is demoted
    finally:
        release.set()
        thread.join(5)
