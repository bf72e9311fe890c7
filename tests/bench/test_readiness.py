"""Readiness: `kubekg serve` builds the question answerer before its workers fork, so a question asked as soon as
/readyz says ready is answered at once; the build reads Kiwi's analyses of the graph from a memo of an earlier
start instead of running Kiwi."""

from __future__ import annotations

import json
import re
import time
import types

import pytest

pytest.importorskip("kiwipiepy")

QUESTIONS = [
    "Which storage types support ReadWriteMany?",
    "RWX를 지원하는 스토리지는 무엇인가요?",
    "워커 노드에서 실행되는 컴포넌트는?",
]


@pytest.fixture(scope="module")
def kg():
    from kubekg.graph import load_graph

    return load_graph()


def _graph_with_cache(kg, root):
    """The graph seen through a cache directory of the test's own (what the answerer's build reads of it)."""
    return types.SimpleNamespace(
        store=kg.store,
        cache=types.SimpleNamespace(root=root),
        queries_dir=kg.queries_dir,
        select=kg.select,
        query=kg.query,
        explain=kg.explain,
    )


def test_a_second_build_reads_the_analyses_from_the_memo_and_answers_alike(kg, tmp_path, monkeypatch):
    from kubekg.qa import analysis
    from kubekg.qa.engine import Answerer

    first = Answerer(_graph_with_cache(kg, tmp_path))
    expected = [first.answer(q) for q in QUESTIONS]
    memos = list((tmp_path / "qa").glob("analyses-*.marshal"))
    assert len(memos) == 1 and memos[0].stat().st_size > 0

    calls: list[str] = []
    k = analysis.kiwi()
    real = k.tokenize
    monkeypatch.setattr(k, "tokenize", lambda text, *a, **kw: calls.append(text) or real(text, *a, **kw))
    second = Answerer(_graph_with_cache(kg, tmp_path))
    assert calls == ["쿠버네티스 파드"]  # only the model warm-up after the build; no graph text went to Kiwi
    assert [second.answer(q) for q in QUESTIONS] == expected
    assert calls[1:] == [q for q in QUESTIONS if analysis.has_hangul(q)]  # questions always go to Kiwi


def test_a_corrupt_memo_is_ignored(kg, tmp_path):
    from kubekg.qa import engine

    path = engine._memo_path(_graph_with_cache(kg, tmp_path))
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not marshal")
    assert engine._load_memo(path) == {}
    assert engine._load_memo(None) == {}


def test_a_question_right_after_ready_is_answered_at_once(tmp_path):
    from kubekg.bench import load, servers

    server = servers.start_kubekg(tmp_path, workers=2)
    try:
        started = time.perf_counter()
        body = json.dumps({"question": QUESTIONS[0]}).encode()
        status, answer = load.fetch(server.host, server.port, "/api/ask", body, load.JSON_HEADERS)
        took = time.perf_counter() - started
    finally:
        server.stop()
    assert status == 200 and json.loads(answer)["understood"] is True
    log = server.log_path.read_text(errors="replace")
    built = re.search(r"question answerer built", log)
    forked = re.search(r"Booting worker", log)
    assert built and forked and built.start() < forked.start(), log[
        -2000:
    ]  # built in the master, before fork
    assert took < 2.0, f"the first question took {took:.2f} s"  # building the answerer takes seconds
