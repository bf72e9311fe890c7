"""``kubekg serve --server granian``: a live start (2 workers), a query, a question, a bad query, a runaway
query (503, not recycled) and SIGTERM; the settings it refuses."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from kubekg.bench.servers import child_pids
from kubekg.config import Config
from kubekg.errors import ConfigError
from kubekg.web import serve

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("granian") is None,
    reason="granian is not installed (pip install 'kubekg[granian]')",
)

START_SECONDS = 30.0
STOP_SECONDS = 15.0


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("KUBEKG_", "PROMETHEUS_"))}


def _get(url: str, accept: str | None = None) -> tuple[int, str, str]:
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read().decode()


def _wait_ready(base: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"kubekg serve exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            if _get(f"{base}/readyz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    pytest.fail(f"/readyz not ready within {START_SECONDS} s: {log.read_text()[-2000:]}")


@pytest.mark.slow
def test_granian_serves_queries_questions_errors_and_stops_on_sigterm(free_port, tmp_path):
    base = f"http://127.0.0.1:{free_port}"
    log = tmp_path / "stderr.log"
    out = tmp_path / "stdout.log"
    with log.open("wb") as err_file, out.open("wb") as out_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "kubekg.cli", "serve", "--server", "granian", "--port", str(free_port)]
            + ["--workers", "2", "--threads", "2"],
            stdout=out_file,
            stderr=err_file,
            env=_env(),
        )
    workers: list[int] = []
    try:
        _wait_ready(base, process, log)
        workers = child_pids(process.pid)
        assert len(workers) >= 2, f"expected 2 granian workers, found {workers}"

        query = "SELECT ?label WHERE { kr:etcd rdfs:label ?label FILTER(lang(?label) = 'en') }"
        status, ctype, body = _get(
            f"{base}/sparql?" + urllib.parse.urlencode({"query": query}), "application/sparql-results+json"
        )
        assert status == 200 and ctype.startswith("application/sparql-results+json")
        assert [b["label"]["value"] for b in json.loads(body)["results"]["bindings"]] == ["etcd"]

        status, _, body = _get(f"{base}/api/ask?" + urllib.parse.urlencode({"q": "etcd는 무엇인가요?"}))
        answer = json.loads(body)
        assert status == 200 and answer["understood"] is True
        assert "https://kubekg.dev/id/etcd" in [a["iri"] for a in answer["answers"]]

        status, ctype, body = _get(f"{base}/sparql?" + urllib.parse.urlencode({"query": "SELEC ?x"}))
        assert status == 400 and ctype.startswith("application/json")
        assert json.loads(body)["error"]["code"] == "query_syntax"

        # a runaway query: 503 at its deadline; the worker is not recycled under granian (a documented limit)
        runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
        status, _, body = _get(
            f"{base}/sparql?" + urllib.parse.urlencode({"query": runaway, "timeout": "0.3"})
        )
        assert status == 503 and json.loads(body)["error"]["code"] == "query_timeout"
        assert _get(f"{base}/readyz")[0] == 200
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
            pytest.fail("kubekg serve --server granian did not stop within 15 s of SIGTERM")
    assert process.returncode == 0, log.read_text()[-2000:]
    assert "not recycled" in log.read_text()  # SIGTERM stopped it even with the runaway evaluation running
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists() and _is_running(pid)]
    access = [json.loads(line) for line in out.read_text().splitlines() if line.startswith("{")]
    assert {entry["path"] for entry in access} >= {
        "/readyz",
        "/sparql",
        "/api/ask",
    }  # stdout: JSON lines only


def _is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_granian_options_follow_the_config():
    config = Config.load({"SERVER": "granian", "WORKERS": 3, "THREADS": 5, "PORT": 8123}, environ={})
    options = serve.granian_options(config)
    assert (options["address"], options["port"]) == ("127.0.0.1", 8123)
    assert (options["workers"], options["blocking_threads"]) == (3, 5)
    assert options["interface"].value == "wsgi" and options["log_access"] is False


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"SERVER": "nginx"}, "expected one of gunicorn, granian"),
        ({"SERVER": "granian", "UPDATES": "on", "UPDATE_TOKEN": "s3cret-token"}, "needs SERVER=gunicorn"),
    ],
    ids=["unknown-server", "granian-with-updates"],
)
def test_unsafe_or_unknown_server_settings_are_refused(overrides, needle):
    with pytest.raises(ConfigError, match=needle):
        Config.load(overrides, environ={})
