"""Guarded, durable SPARQL Update: static refusals, ALL/NAMED scoping, USING splicing, the framed log and replay."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kubekg import ns
from kubekg.sparql import guard, update

N = ox.NamedNode
SECTION = ns.SECTION + "deployment"
EX = "http://example.org/"
BASE = "http://localhost/sparql/update"


def document_store() -> ox.Store:
    """A store shaped like kubekg's: ontology, document, one section and the inferred graph, plus user data."""
    s = ox.Store()
    for graph in (ns.ONTOLOGY_GRAPH, ns.DOCUMENT_GRAPH, SECTION, ns.INFERRED_GRAPH):
        s.add(ox.Quad(N(ns.KR + "x"), N(ns.KG + "p"), ox.Literal(graph), N(graph)))
    return s


@pytest.fixture
def store() -> ox.Store:
    return document_store()


@pytest.fixture
def protection(store: ox.Store) -> update.Protection:
    return update.Protection.from_store(store, writable_extra=[])


def make_updater(store: ox.Store, protection: update.Protection, directory: Path) -> update.Updater:
    log = update.UpdateLog(directory, store, protection)
    log.replay()
    return update.Updater(store, log, protection, guard.AllowList([]))


def run(updater: update.Updater, text: str, **kw: list[str]) -> update.Outcome:
    outcome, runaway = updater.execute(
        text, base_iri=BASE, using=kw.get("using", []), using_named=kw.get("using_named", []), timeout=5.0
    )
    assert not runaway
    return outcome


def check(text: str, protection: update.Protection, **kw: list[str]) -> update.Plan:
    return update.check(
        text,
        base_iri=BASE,
        using=kw.get("using", []),
        using_named=kw.get("using_named", []),
        protection=protection,
        allowlist=guard.AllowList([]),
    )


# ------------------------------------------------------------------------------------------------ static guard
@pytest.mark.parametrize(
    ("case", "text"),
    [
        ("insert data into section", f"INSERT DATA {{ GRAPH <{SECTION}> {{ <{EX}a> <{EX}b> 1 }} }}"),
        (
            "delete data from ontology",
            f"DELETE DATA {{ GRAPH <{ns.ONTOLOGY_GRAPH}> {{ <{EX}a> <{EX}b> 1 }} }}",
        ),
        ("delete where in inferred", f"DELETE WHERE {{ GRAPH <{ns.INFERRED_GRAPH}> {{ ?s ?p ?o }} }}"),
        ("with document", f"WITH <{ns.DOCUMENT_GRAPH}> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}"),
        (
            "insert template into kg namespace",
            f"INSERT {{ GRAPH <{ns.GRAPH}new> {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o }}",
        ),
        ("variable graph", "INSERT { GRAPH ?g { ?s ?p 1 } } WHERE { GRAPH ?g { ?s ?p ?o } }"),
        ("delete where variable graph", "DELETE WHERE { GRAPH ?g { ?s ?p ?o } }"),
        ("clear section", f"CLEAR GRAPH <{SECTION}>"),
        ("drop ontology", f"DROP GRAPH <{ns.ONTOLOGY_GRAPH}>"),
        ("create in kg namespace", f"CREATE GRAPH <{ns.GRAPH}other>"),
        ("copy over document", f"COPY DEFAULT TO <{ns.DOCUMENT_GRAPH}>"),
        ("move out of section", f"MOVE <{SECTION}> TO <{EX}mine>"),
        ("add into inferred", f"ADD <{EX}mine> TO <{ns.INFERRED_GRAPH}>"),
        ("prefixed name", f"PREFIX ks: <{ns.SECTION}> CLEAR GRAPH ks:deployment"),
        ("second operation", f"INSERT DATA {{ <{EX}a> <{EX}b> 1 }} ; DROP GRAPH <{SECTION}>"),
    ],
)
def test_writes_to_document_graphs_are_refused(case: str, text: str, protection: update.Protection) -> None:
    with pytest.raises(update.ProtectedGraph) as info:
        check(text, protection)
    assert info.value.status == 403


@pytest.mark.parametrize(
    "text",
    [
        f"INSERT DATA {{ <{EX}a> <{EX}b> 1 }}",
        f"INSERT DATA {{ GRAPH <{ns.USER_GRAPH_PREFIX}notes> {{ <{EX}a> <{EX}b> 1 }} }}",
        f"INSERT {{ GRAPH <{EX}copy> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{SECTION}> {{ ?s ?p ?o }} }}",
        f"COPY <{SECTION}> TO <{EX}copy>",
        "CLEAR ALL",
        "DROP NAMED",
        "CLEAR DEFAULT",
    ],
)
def test_user_writes_pass(text: str, protection: update.Protection) -> None:
    check(text, protection)


def test_load_is_refused(protection: update.Protection) -> None:
    with pytest.raises(guard.LoadRefused):
        check("LOAD <http://127.0.0.1/x.ttl> INTO GRAPH <http://example.org/x>", protection)


def test_service_inside_an_update_is_refused(protection: update.Protection) -> None:
    with pytest.raises(guard.ServiceRefused):
        check(
            f"INSERT {{ <{EX}a> <{EX}b> ?o }} WHERE {{ SERVICE <http://127.0.0.1:9/> {{ ?s ?p ?o }} }}",
            protection,
        )


def test_dataset_conflict(protection: update.Protection) -> None:
    text = f"WITH <{EX}addresses> DELETE {{ ?s ?p 'Bill' }} INSERT {{ ?s ?p 'William' }} WHERE {{ ?s ?p 'Bill' }}"
    with pytest.raises(update.DatasetConflict):
        check(text, protection, using_named=[f"{EX}people"])


def test_syntax_error_is_400(protection: update.Protection) -> None:
    with pytest.raises(update.UpdateSyntaxError) as info:
        check("CLEAR XYZ", protection)
    assert info.value.status == 400


# ------------------------------------------------------------------------------------------------ rewriting
def test_clear_all_is_scoped_to_writable_graphs(protection: update.Protection) -> None:
    plan = check("PREFIX e: <http://e/> CLEAR ALL ; INSERT DATA { <http://a> <http://b> 1 }", protection)
    text = update.rewrite(plan, [N(f"{EX}mine")])
    assert text == (
        "PREFIX e: <http://e/> CLEAR SILENT GRAPH <http://example.org/mine> ; CLEAR SILENT DEFAULT; "
        "INSERT DATA { <http://a> <http://b> 1 }"
    )


def test_drop_named_without_writable_graphs_is_a_no_op(protection: update.Protection) -> None:
    assert update.rewrite(check("DROP NAMED", protection), []) == update.NOOP


def test_using_is_spliced_before_where(protection: update.Protection) -> None:
    text = "INSERT { GRAPH <http://out> { ?s ?p ?o } } WHERE { ?s ?p ?o }"
    plan = check(text, protection, using=[f"{EX}d1"], using_named=[f"{EX}d2"])
    assert update.rewrite(plan, []) == (
        "INSERT { GRAPH <http://out> { ?s ?p ?o } } USING <http://example.org/d1> "
        "USING NAMED <http://example.org/d2> WHERE { ?s ?p ?o }"
    )


def test_where_inside_strings_and_subqueries_is_not_a_splice_point(protection: update.Protection) -> None:
    text = 'INSERT { <http://a> <http://b> "WHERE" } WHERE { { SELECT ?s WHERE { ?s ?p ?o } } }'
    plan = check(text, protection, using=[f"{EX}d1"])
    assert update.rewrite(plan, []).startswith(
        'INSERT { <http://a> <http://b> "WHERE" } USING <http://example.org/d1> WHERE {'
    )


# ------------------------------------------------------------------------------------------------ execution
def test_clear_all_keeps_the_document(store: ox.Store, protection: update.Protection, tmp_path: Path) -> None:
    updater = make_updater(store, protection, tmp_path)
    run(updater, f"INSERT DATA {{ GRAPH <{EX}mine> {{ <{EX}a> <{EX}b> 1 }} <{EX}a> <{EX}b> 2 }}")
    outcome = run(updater, "CLEAR ALL")
    assert outcome.deleted == 2
    assert {q.graph_name.value for q in store} == {
        ns.ONTOLOGY_GRAPH,
        ns.DOCUMENT_GRAPH,
        SECTION,
        ns.INFERRED_GRAPH,
    }


def test_protocol_using_sets_the_where_dataset(
    store: ox.Store, protection: update.Protection, tmp_path: Path
) -> None:
    updater = make_updater(store, protection, tmp_path)
    run(
        updater,
        f"INSERT DATA {{ GRAPH <{EX}d1> {{ <{EX}x1> a <{EX}Doc> }} GRAPH <{EX}d2> {{ <{EX}x2> a <{EX}Doc> }} }}",
    )
    run(
        updater,
        f"INSERT {{ GRAPH <{EX}out> {{ ?s a <{EX}Seen> }} }} WHERE {{ ?s a <{EX}Doc> }}",
        using=[f"{EX}d1"],
    )
    seen = {q.subject.value for q in store.quads_for_pattern(None, None, None, N(f"{EX}out"))}
    assert seen == {f"{EX}x1"}


def test_relative_iris_resolve_against_the_endpoint(
    store: ox.Store, protection: update.Protection, tmp_path: Path
) -> None:
    updater = make_updater(store, protection, tmp_path)
    run(updater, f"INSERT DATA {{ GRAPH <{EX}b> {{ <{EX}s> <{EX}p> <test> }} }}")
    (quad,) = list(store.quads_for_pattern(None, None, None, N(f"{EX}b")))
    assert quad.object == N("http://localhost/sparql/test")


# ------------------------------------------------------------------------------------------------ durability
def test_replay_restores_acknowledged_updates(protection: update.Protection, tmp_path: Path) -> None:
    first = document_store()
    updater = make_updater(first, protection, tmp_path)
    run(updater, f'INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}a> <{EX}b> "x" . _:b <{EX}b> "y" }} }}')
    run(updater, f"INSERT {{ <{EX}a> <{EX}at> ?now }} WHERE {{ BIND(NOW() AS ?now) }}")
    run(updater, f'DELETE DATA {{ GRAPH <{EX}g> {{ <{EX}a> <{EX}b> "x" }} }}')
    run(updater, f"CREATE GRAPH <{EX}empty>")
    second = document_store()
    update.UpdateLog(tmp_path, second, protection).replay()
    assert set(second) == set(first)  # same quads, same blank node ids, the same NOW() value
    assert second.contains_named_graph(N(f"{EX}empty"))


def test_another_worker_catches_up(protection: update.Protection, tmp_path: Path) -> None:
    a_store, b_store = document_store(), document_store()
    a = make_updater(a_store, protection, tmp_path)
    b_log = update.UpdateLog(tmp_path, b_store, protection)
    b_log.replay()
    assert b_log.catch_up() == 0
    run(a, f"INSERT DATA {{ <{EX}a> <{EX}b> 1 }}")
    assert b_log.catch_up() == 1
    assert set(b_store) == set(a_store)


def test_torn_tail_is_ignored_and_truncated(protection: update.Protection, tmp_path: Path) -> None:
    updater = make_updater(document_store(), protection, tmp_path)
    run(updater, f"INSERT DATA {{ <{EX}a> <{EX}b> 1 }}")
    path = tmp_path / update.LOG_NAME
    good = path.stat().st_size
    record = update.frame(
        b'{"v":1,"deleted":"","inserted":"<http://x> <http://y> <http://z> .\\n","created":[],"dropped":[]}'
    )
    with open(path, "ab") as fh:
        fh.write(record[: len(record) // 2])  # a writer killed mid-append
    fresh = document_store()
    assert update.UpdateLog(tmp_path, fresh, protection).replay() == 1
    assert path.stat().st_size == good
    assert ox.Quad(
        N(f"{EX}a"), N(f"{EX}b"), ox.Literal("1", datatype=N(ns.PREFIXES["xsd"] + "integer"))
    ) in set(fresh)


def test_corruption_before_the_end_stops_start_up(protection: update.Protection, tmp_path: Path) -> None:
    updater = make_updater(document_store(), protection, tmp_path)
    run(updater, f"INSERT DATA {{ <{EX}a> <{EX}b> 1 }}")
    run(updater, f"INSERT DATA {{ <{EX}a> <{EX}b> 2 }}")
    path = tmp_path / update.LOG_NAME
    data = bytearray(path.read_bytes())
    data[update.HEADER.size + 2] ^= 0xFF  # a flipped bit inside the first record's payload
    path.write_bytes(bytes(data))
    with pytest.raises(update.LogCorrupt):
        update.UpdateLog(tmp_path, document_store(), protection).replay()


@pytest.mark.parametrize(
    ("case", "data", "reason"),
    [
        ("empty", b"", None),
        ("half header", update.MAGIC + b"\x00", "torn"),
        ("zeros after a crash", b"\x00" * 40, "torn"),
        ("garbage", b"garbage that is not a record at all", "corrupt"),
    ],
)
def test_read_records_reasons(case: str, data: bytes, reason: str | None) -> None:
    records, end, why = update.read_records(data)
    assert (records, end, why) == ([], 0, reason)


def test_failed_fsync_rolls_back(
    store: ox.Store, protection: update.Protection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    updater = make_updater(store, protection, tmp_path)
    before = set(store)

    def broken_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(update.os, "fsync", broken_fsync)
    with pytest.raises(update.DurabilityError):
        run(updater, f"INSERT DATA {{ <{EX}a> <{EX}b> 1 }}")
    assert set(store) == before
    assert (tmp_path / update.LOG_NAME).stat().st_size == 0


# ------------------------------------------------------------------------------------------------ the DATA fast path
@pytest.mark.parametrize(
    ("case", "text", "keywords"),
    [
        ("insert data", f"INSERT DATA {{ <{EX}a> <{EX}b> 1 }}", ["INSERT"]),
        ("delete data", f"DELETE DATA {{ <{EX}a> <{EX}b> 1 }}", ["DELETE"]),
        (
            "several with prologues",
            f"PREFIX e: <{EX}> INSERT DATA {{ e:a e:b 1 }} ; BASE <{EX}> DELETE DATA {{ <a> e:b 2 }} ;",
            ["INSERT", "DELETE"],
        ),
        ("keywords in strings", f'INSERT DATA {{ <{EX}a> <{EX}b> "}} ; DROP ALL ; {{" }}', ["INSERT"]),
        ("keywords in comments", f"INSERT DATA {{ <{EX}a> <{EX}b> 1 # }} ; DROP ALL\n }}", ["INSERT"]),
        ("insert where", f"INSERT {{ <{EX}a> <{EX}b> 1 }} WHERE {{}}", None),
        ("data then drop", f"INSERT DATA {{ <{EX}a> <{EX}b> 1 }} ; DROP GRAPH <{SECTION}>", None),
        ("codepoint escape", f"INSERT DATA {{ <{EX}a> <{EX}b> 1 }} ; \\u0044ROP GRAPH <{SECTION}>", None),
        ("two blocks", f"INSERT DATA {{ <{EX}a> <{EX}b> 1 }} {{ }}", None),
        ("empty operation", f"; INSERT DATA {{ <{EX}a> <{EX}b> 1 }}", None),
        ("clear all", "CLEAR ALL", None),
    ],
)
def test_data_operations_take_only_pure_data_forms(case: str, text: str, keywords: list[str] | None) -> None:
    operations = update.data_operations(text)
    assert (None if operations is None else [op.keyword for op in operations]) == keywords


@pytest.mark.parametrize(
    "text",
    [
        f"INSERT DATA {{ GRAPH <{SECTION}> {{ <{EX}a> <{EX}b> 1 }} }}",
        f"DELETE DATA {{ GRAPH <{ns.ONTOLOGY_GRAPH}> {{ <{ns.KR}x> <{ns.KG}p> '{ns.ONTOLOGY_GRAPH}' }} }}",
        f"PREFIX ks: <{ns.SECTION}> INSERT DATA {{ GRAPH ks:deployment {{ <{EX}a> <{EX}b> 1 }} }}",
        f"BASE <{ns.SECTION}> DELETE DATA {{ GRAPH <deployment> {{ <{ns.KR}x> <{ns.KG}p> '{SECTION}' }} }}",
        f"INSERT DATA {{ <{EX}a> <{EX}b> 1 }} ; INSERT DATA {{ GRAPH <{ns.GRAPH}new> {{ <{EX}a> <{EX}b> 1 }} }}",
        f"INSERT DATA {{ GRAPH <{EX}ok> {{ <{EX}a> <{EX}b> 1 }} GRAPH <{ns.INFERRED_GRAPH}> {{ <{EX}a> <{EX}b> 1 }} }}",
    ],
)
def test_the_data_fast_path_refuses_protected_graphs(
    text: str, store: ox.Store, protection: update.Protection, tmp_path: Path
) -> None:
    assert update.data_operations(text) is not None
    updater = make_updater(store, protection, tmp_path)
    before = set(store)
    with pytest.raises(update.ProtectedGraph) as info:
        run(updater, text)
    assert info.value.status == 403
    assert set(store) == before
    assert (tmp_path / update.LOG_NAME).stat().st_size == 0


@pytest.mark.parametrize(
    "text",
    [
        f"DELETE DATA {{ _:b <{EX}p> 1 }}",
        f"INSERT DATA {{ <{EX}a> <{EX}b> ?x }}",
        f"INSERT DATA {{ <{EX}a> <{EX}b> 1 }} ;",
        f"INSERT DATA {{ e:a <{EX}b> 1 }}",
    ],
    ids=["blank node in delete", "variable", "trailing semicolon", "unknown prefix"],
)
def test_the_data_fast_path_gives_pyoxigraphs_verdict(
    text: str, store: ox.Store, protection: update.Protection, tmp_path: Path
) -> None:
    updater = make_updater(store, protection, tmp_path)
    expected: type[Exception] | None
    try:
        ox.Store().update(text, prefixes=ns.PREFIXES)
        expected = None
    except SyntaxError:
        expected = guard.QuerySyntaxError
    if expected is None:
        assert run(updater, text).inserted == 1
    else:
        with pytest.raises(expected) as info:
            run(updater, text)
        assert info.value.status == 400


SEQUENCES = [
    [
        f'INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}a> <{EX}b> "x" , "y" . <{EX}c> a <{EX}K> }} <{EX}d> <{EX}e> 1 }}'
    ],
    [
        f"INSERT DATA {{ <{EX}a> <{EX}b> 1 }} ; DELETE DATA {{ <{EX}a> <{EX}b> 1 }} ; INSERT DATA {{ <{EX}a> <{EX}b> 2 }}",
        f"DELETE DATA {{ <{EX}a> <{EX}b> 2 . <{EX}never> <{EX}b> 3 }}",
    ],
    [
        f"PREFIX e: <{EX}> INSERT DATA {{ GRAPH e:g {{ e:s e:p (1 2) , [ e:q 'n'@ko ] }} }}",
        f"PREFIX e: <{EX}> DELETE DATA {{ GRAPH e:g {{ e:s e:p e:missing }} }} ; INSERT DATA {{ GRAPH e:h {{}} }}",
    ],
]


@pytest.mark.parametrize("texts", SEQUENCES, ids=["one insert", "insert delete insert", "lists and bnodes"])
def test_the_data_fast_path_does_what_the_store_would(
    texts: list[str], protection: update.Protection, tmp_path: Path
) -> None:
    """Same quads (blank nodes aside, their labels are fresh), same named graphs, same counts as store.update."""
    fast, reference = document_store(), document_store()
    updater = make_updater(fast, protection, tmp_path)
    for text in texts:
        assert update.data_operations(text) is not None
        run(updater, text)
        reference.update(text, base_iri=BASE, prefixes=ns.PREFIXES)

    def ground(s: ox.Store) -> set[ox.Quad]:
        return {q for q in s if not isinstance(q.subject, ox.BlankNode | ox.Triple)}

    assert len(fast) == len(reference)
    assert {q for q in ground(fast) if not isinstance(q.object, ox.BlankNode)} == {
        q for q in ground(reference) if not isinstance(q.object, ox.BlankNode)
    }
    assert set(fast.named_graphs()) == set(reference.named_graphs())
    replayed = document_store()
    update.UpdateLog(tmp_path, replayed, protection).replay()
    assert set(replayed) == set(fast)


def test_a_2000_triple_insert_data_is_accepted_and_visible(
    store: ox.Store, protection: update.Protection, tmp_path: Path
) -> None:
    """The bulk form the rdflib path took ~60 s for; the server's default timeout (10 s) is the bound here."""
    updater = make_updater(store, protection, tmp_path)
    triples = " ".join(f'<{EX}s{i}> <{EX}p> "value {i}"@en .' for i in range(2000))
    text = f"INSERT DATA {{ GRAPH <{ns.USER_GRAPH_PREFIX}bulk> {{ {triples} }} }}"
    outcome, runaway = updater.execute(text, base_iri=BASE, using=[], using_named=[], timeout=10.0)
    assert not runaway and outcome.inserted == 2000 and outcome.graphs_created == 1
    count = store.query(f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{ns.USER_GRAPH_PREFIX}bulk> {{ ?s ?p ?o }} }}")
    assert int(next(iter(count))["n"].value) == 2000
    replayed = document_store()
    update.UpdateLog(tmp_path, replayed, protection).replay()
    assert set(replayed) == set(store)
    outcome, _ = updater.execute(
        text.replace("INSERT", "DELETE"), base_iri=BASE, using=[], using_named=[], timeout=10.0
    )
    assert outcome.deleted == 2000
    assert not list(store.quads_for_pattern(None, None, None, N(f"{ns.USER_GRAPH_PREFIX}bulk")))
