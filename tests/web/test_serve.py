"""``kubekg serve``: a live start/stop under gunicorn, start-up refusals, and the worker-recycle hook."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from kubekg import paths
from kubekg.config import Config
from kubekg.web import serve

START_SECONDS = 30.0


def _kubekg(*args: str) -> list[str]:
    return [sys.executable, "-m", "kubekg.cli", "serve", *args]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KUBEKG_", "PROMETHEUS_"))}
    env.update(extra)
    return env


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.mark.slow
def test_live_serve_start_probe_metrics_access_log_and_stop(free_port, wait_http):
    port = free_port
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        _kubekg("--port", str(port), "--workers", "2", "--threads", "2"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
        text=True,
    )
    try:
        wait_http(f"{base}/healthz", START_SECONDS, process)
        assert _get(f"{base}/healthz") == (200, '{"status":"ok"}\n')
        status, body = _get(f"{base}/readyz")
        assert status == 200 and json.loads(body)["status"] == "ready"
        for _ in range(4):  # spread over both workers
            assert _get(f"{base}/api/search?q=etcd")[0] == 200
        assert _get(f"{base}/api/search")[0] == 400
        status, text = _get(f"{base}/metrics")
        assert status == 200
        counts = [
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("kubekg_http_requests_total{")
            and 'endpoint="/api/search"' in line
            and 'status="200"' in line
        ]
        assert sum(counts) == 4  # aggregated over the workers (multiprocess mode)
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert len(lines) >= 8
    search = [entry for entry in lines if entry["path"] == "/api/search"]
    assert {entry["status"] for entry in search} == {200, 400}
    assert all(
        set(e) >= {"time", "method", "path", "status", "duration_ms", "bytes", "remote", "request_id"}
        for e in lines
    )
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "env", "needle"),
    [
        (["--port", "0"], {}, "--port='0'"),
        (["--workers", "many"], {}, "--workers='many'"),
        (["--updates", "on"], {}, "UPDATE_TOKEN"),
        (["--store", "mysql://db"], {}, "--store='mysql://db'"),
        (["--extra-data", "http://g=/no/such/file.nt"], {}, "--extra-data"),
        ([], {"KUBEKG_CORS_ORIGINS": "not-an-origin"}, "KUBEKG_CORS_ORIGINS='not-an-origin'"),
        ([], {"KUBEKG_QUERY_TIMEOUT": "-1"}, "KUBEKG_QUERY_TIMEOUT='-1'"),
        (["--response-cache", "lots"], {}, "--response-cache='lots'"),
        (["--max-patterns", "-3"], {}, "--max-patterns='-3'"),
    ],
    ids=[
        "port",
        "workers",
        "token",
        "store",
        "extra-data",
        "cors-env",
        "timeout-env",
        "response-cache",
        "max-patterns",
    ],
)
def test_bad_configuration_exits_2_with_the_message(args, env, needle, monkeypatch, capsys):
    from kubekg.cli import main

    for key in [k for k in os.environ if k.startswith("KUBEKG_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(serve, "serve", lambda config: pytest.fail("must not start"))
    assert main(["serve", *args]) == 2
    err = capsys.readouterr().err
    assert needle in err and "invalid configuration" in err


@pytest.mark.parametrize(
    ("args", "env"), [(["--port", "70000"], {}), ([], {"KUBEKG_THREADS": "0"})], ids=["flag", "env"]
)
def test_bad_configuration_stops_the_real_command_before_anything_starts(args, env):
    result = subprocess.run(_kubekg(*args), capture_output=True, text=True, env=_env(**env), timeout=60)
    assert result.returncode == 2
    assert "invalid configuration" in result.stderr and "Traceback" not in result.stderr
    assert "Listening" not in result.stderr and "Booting worker" not in result.stderr


def test_print_config_shows_the_resolved_settings(capsys, monkeypatch):
    from kubekg.cli import main

    monkeypatch.setenv("KUBEKG_MAX_ROWS", "77")
    assert (
        main(
            [
                "serve",
                "--print-config",
                "--port",
                "9999",
                "--updates",
                "on",
                "--update-token",
                "secret-token-1",
                "--response-cache",
                "0",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert re.search(r"^PORT\s+9999\b", out, re.M) and re.search(r"^MAX_ROWS\s+77\b", out, re.M)
    assert re.search(r"^RESPONSE_CACHE\s+0\b", out, re.M)
    assert "secret-token-1" not in out


@pytest.mark.slow
def test_a_corrupt_ontology_file_stops_start_up_naming_file_and_line(tmp_path, free_port):
    onto = tmp_path / "ontology"
    shutil.copytree(paths.ontology_dir(), onto)
    broken = onto / "core.ttl"
    broken.write_text(
        broken.read_text(encoding="utf-8") + "\nkg:Broken a owl:Class ;; this is not turtle <\n",
        encoding="utf-8",
    )
    line = broken.read_text(encoding="utf-8").count("\n")
    result = subprocess.run(
        _kubekg("--port", str(free_port)),
        capture_output=True,
        text=True,
        env=_env(KUBEKG_ONTOLOGY_DIR=str(onto), KUBEKG_CACHE_DIR=str(tmp_path / "cache")),
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert f"{broken}:{line}" in result.stderr
    assert "Listening" not in result.stderr


def test_gunicorn_options_follow_the_config():
    config = Config.load(
        {"HOST": "::1", "PORT": 9001, "WORKERS": 3, "THREADS": 5, "MAX_TIMEOUT": 40}, environ={}
    )
    options = serve.gunicorn_options(config)
    assert options["bind"] == ["[::1]:9001"]
    assert (options["workers"], options["threads"], options["worker_class"]) == (3, 5, "gthread")
    assert options["preload_app"] is True and options["accesslog"] is None
    assert options["timeout"] > config.MAX_TIMEOUT
    assert options["post_request"] is serve.post_request


class _Worker:
    pid = 4242

    def __init__(self) -> None:
        self.alive = True
        self.messages: list[str] = []
        self.log = self

    def warning(self, msg, *args):
        self.messages.append(msg % args)


def test_post_request_retires_the_worker_only_when_asked():
    worker = _Worker()
    serve.recycle_requested()  # start clean
    serve.post_request(worker, None, None, None)
    assert worker.alive is True
    serve.request_worker_recycle("query_timeout")
    serve.post_request(worker, None, None, None)
    assert worker.alive is False and "query_timeout" in worker.messages[0]
    assert serve.recycle_requested() == []  # the request was consumed


def test_prepare_metrics_dir_sets_the_environment(monkeypatch):
    # setenv first, so teardown restores the variable's original state (delenv of an absent variable records
    # nothing, and the directory set by prepare_metrics_dir would leak into every later test's metrics)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "")
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    directory = serve.prepare_metrics_dir()
    try:
        assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == directory and Path(directory).is_dir()
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def test_warm_up_builds_the_search_index_and_calls_blueprint_hooks(app, monkeypatch):
    import types

    import kubekg.web
    from kubekg.web import entities

    calls = []
    module = types.SimpleNamespace(warm_up=lambda a: calls.append((a, a.extensions["kubekg"])))
    broken = types.SimpleNamespace(warm_up=lambda a: 1 / 0)
    monkeypatch.setitem(sys.modules, "kubekg_test_warm", module)
    monkeypatch.setitem(sys.modules, "kubekg_test_broken", broken)
    monkeypatch.setattr(
        kubekg.web, "BLUEPRINTS", (("kubekg_test_broken", False), ("kubekg_test_warm", False))
    )
    serve.warm_up(app)  # a failing hook is logged, not fatal
    assert calls == [(app, app.extensions["kubekg"])]
    assert app.extensions["kubekg"] in entities._INDEXES
