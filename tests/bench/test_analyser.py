"""The shared Kiwi analyser process: same tokens as an in-process Kiwi, user words, fallback when it is gone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

pytest.importorskip("kiwipiepy")

# each case runs in a fresh interpreter: start() forks, which must not happen inside the multi-threaded pytest
SCRIPT = textwrap.dedent(
    """
    import json, os, signal, sys, time
    from kubekg.qa import analyser

    class Fake:
        words = []
        def tokenize(self, text):
            return [analyser.Tok(w, "NNP" if w in self.words else "NNG", i, len(w)) for i, w in enumerate(text.split())]
        def add_user_word(self, word, tag="NNP", score=0.0):
            new = word not in self.words
            self.words.append(word)
            return new

    mode = sys.argv[1]
    pid = analyser.start(make_kiwi=Fake if mode != "real" else analyser._default_kiwi)
    remote = analyser.client()
    out = {"env": os.environ.get(analyser.ENV) is not None, "pid": pid}
    if mode == "real":
        from kiwipiepy import Kiwi
        local = Kiwi(load_typo_dict=False, load_multi_dict=False)
        for k in (remote, local):
            k.add_user_word("워커노드", "NNP", 0.0)
        texts = ["RWX를 지원하는 스토리지는 무엇인가요?", "워커노드에서 실행되는 컴포넌트는?", "HPA를 DaemonSet에 적용할 수 있나요?"]
        out["same"] = all(
            [(t.form, t.tag, t.start, t.len) for t in remote.tokenize(x)]
            == [(t.form, t.tag, t.start, t.len) for t in local.tokenize(x)]
            for x in texts
        )
    else:
        out["added"] = [remote.add_user_word("pod", "NNP", 0.0), remote.add_user_word("pod", "NNP", 0.0)]
        out["tags"] = [t.tag for t in remote.tokenize("pod node")]
        if mode == "kill":
            os.kill(pid, signal.SIGKILL)
            for _ in range(100):  # not our child: wait until it is gone
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
            import kubekg.qa.analyser as a
            a._default_kiwi = Fake  # the fallback Kiwi (a fake here, to stay fast)
            out["after"] = [t.tag for t in remote.tokenize("pod node")]
    print(json.dumps(out))
    """
)


def run(mode: str) -> dict:
    import json

    done = subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_requests_go_to_the_analyser_process():
    out = run("fake")
    assert out["env"] and out["pid"] > 0
    assert out["added"] == [True, True]  # queued: sent in one request before the next analysis
    assert out["tags"] == ["NNP", "NNG"]


def test_a_dead_analyser_falls_back_to_an_in_process_kiwi_with_the_user_words():
    out = run("kill")
    assert out["tags"] == ["NNP", "NNG"] and out["after"] == ["NNP", "NNG"]


def test_the_shared_kiwi_tokenizes_like_an_in_process_one():
    assert run("real")["same"]


def test_the_analyser_ends_with_the_server_and_is_not_its_child():
    code = (
        "import os, subprocess; from kubekg.qa import analyser; "
        "pid = analyser.start(make_kiwi=lambda: None); "
        "kids = subprocess.run(['ps', '-o', 'pid=', '--ppid', str(os.getpid())], capture_output=True, text=True).stdout; "
        "print(pid, str(pid) in kids.split(), flush=True); os._exit(0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    pid, child = done.stdout.split()
    pid = int(pid)
    assert child == "False"  # detached: gunicorn's children are its workers only
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.kill(pid, signal.SIGKILL)
    pytest.fail("the analyser outlived its parent")
