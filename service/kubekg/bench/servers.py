"""The servers under test, started on loopback over the same export: kubekg, Oxigraph server, rdflib-endpoint.

kubekg runs exactly as ``kubekg serve`` does (gunicorn, preloaded app, gthread workers), and, when granian is
installed, a second time as ``kubekg serve --server granian`` (server name ``kubekg-granian``); Oxigraph server loads the
N-Quads into a fresh directory and serves it read-only with the union default graph (kubekg's default dataset);
rdflib-endpoint serves the same file from an rdflib ``Dataset`` with ``default_union=True``. A peer that is not
installed is skipped with the reason, never faked.
"""

from __future__ import annotations

import contextlib
import http.client
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

START_TIMEOUT = 120.0  # seconds a server gets to answer its readiness probe


class PeerUnavailable(Exception):
    """A peer cannot run here (not installed, or it failed to start); the message says why."""


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_status(host: str, port: int, path: str, timeout: float = 2.0) -> int | None:
    """The status of GET path, or None when nothing answers."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    except OSError:
        return None
    finally:
        conn.close()


@dataclass
class Server:
    """A running server: where it listens, the path of its query endpoint, its process and start-up figures."""

    name: str
    port: int
    query_path: str
    process: subprocess.Popen
    ready_seconds: float = 0.0
    prepare_seconds: float = 0.0  # loading the data before the server starts (Oxigraph's load step)
    notes: list[str] = field(default_factory=list)
    workdir: Path | None = None
    log_path: Path | None = None

    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{self.query_path}"

    def pids(self) -> list[int]:
        """The server's process and its worker processes (children)."""
        return [self.process.pid, *child_pids(self.process.pid)]

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s) and remove its working directory."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)


def child_pids(pid: int) -> list[int]:
    """The direct children of a process (Linux /proc)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...; comm may contain spaces and parentheses
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            out.append(int(entry.name))
    return sorted(out)


def group_pids(pgid: int) -> list[int]:
    """Every process of a process group (a server and whatever it started, detached or not)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if len(fields) > 2 and int(fields[2]) == pgid:
            out.append(int(entry.name))
    return sorted(out)


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS (resident, shared pages counted in full) and Pss (shared pages divided among sharers) in KiB."""
    out: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                out["rss"] = int(line.split()[1])
    except OSError:
        return out
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                out["pss"] = int(line.split()[1])
    return out


def _wait_ready(
    name: str, process: subprocess.Popen, port: int, path: str, started: float, log: Path | None
) -> float:
    deadline = started + START_TIMEOUT
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            raise PeerUnavailable(
                f"{name} exited with status {process.returncode} before it was ready: {tail}"
            )
        if http_status("127.0.0.1", port, path, timeout=1.0) == 200:
            return time.perf_counter() - started
        time.sleep(0.005)
    raise PeerUnavailable(f"{name} did not answer {path} within {START_TIMEOUT:.0f} s")


def _popen(argv: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=out,
            env=env,
            start_new_session=True,  # its own process group, so stop() also ends its workers
        )


def start_kubekg(
    workdir: Path, workers: int | None = None, threads: int | None = None, front_end: str = "gunicorn"
) -> Server:
    """``kubekg serve`` on a free loopback port; ready when ``/readyz`` answers 200 (that time is the cold start).

    ``front_end`` is ``kubekg serve --server``; under granian the server is named ``kubekg-granian``.
    """
    name = "kubekg" if front_end == "gunicorn" else f"kubekg-{front_end}"
    if front_end == "granian" and importlib.util.find_spec("granian") is None:
        raise PeerUnavailable("granian is not installed (pip install 'kubekg[granian]')")
    port = free_port()
    argv = [sys.executable, "-m", "kubekg.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--server", front_end]
    if workers:
        argv += ["--workers", str(workers)]
    if threads:
        argv += ["--threads", str(threads)]
    log = workdir / f"{name}.log"
    started = time.perf_counter()
    process = _popen(argv, log)
    server = Server(name, port, "/sparql", process, log_path=log)
    try:
        server.ready_seconds = _wait_ready(name, process, port, "/readyz", started, log)
    except PeerUnavailable:
        server.stop()
        raise
    return server


def oxigraph_binary() -> str | None:
    """The ``oxigraph`` server CLI (PyPI ``oxigraph``) beside this Python or on PATH."""
    beside = Path(sys.executable).with_name("oxigraph")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("oxigraph")


def start_oxigraph(export: Path, workdir: Path) -> Server:
    """``oxigraph load`` the export into a fresh directory, then ``oxigraph serve-read-only --union-default-graph``."""
    binary = oxigraph_binary()
    if binary is None:
        raise PeerUnavailable("the oxigraph server CLI is not installed (pip install 'kubekg[bench]')")
    location = Path(tempfile.mkdtemp(prefix="oxigraph-", dir=workdir))
    log = workdir / "oxigraph.log"
    started = time.perf_counter()
    loaded = subprocess.run(
        [binary, "load", "--location", str(location), "--file", str(export)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if loaded.returncode != 0:
        raise PeerUnavailable(f"oxigraph load failed: {loaded.stderr.strip()[-500:]}")
    prepared = time.perf_counter() - started
    port = free_port()
    argv = [binary, "serve-read-only", "--location", str(location), "--bind", f"127.0.0.1:{port}"]
    argv += ["--union-default-graph"]
    started = time.perf_counter()
    process = _popen(argv, log)
    server = Server(
        "oxigraph", port, "/query", process, prepare_seconds=prepared, workdir=location, log_path=log
    )
    try:
        server.ready_seconds = _wait_ready(
            "oxigraph", process, port, "/query?" + urllib.parse.urlencode({"query": "ASK {}"}), started, log
        )
    except PeerUnavailable:
        server.stop()
        raise
    return server


def start_rdflib_endpoint(export: Path, workdir: Path) -> Server:
    """``rdflib-endpoint serve`` over the export (rdflib Dataset, union default graph, uvicorn)."""
    if importlib.util.find_spec("rdflib_endpoint") is None:
        raise PeerUnavailable("rdflib-endpoint is not installed (pip install 'kubekg[bench]')")
    port = free_port()
    argv = [sys.executable, "-m", "rdflib_endpoint", "serve", str(export), "--host", "127.0.0.1"]
    argv += ["--port", str(port)]
    log = workdir / "rdflib-endpoint.log"
    started = time.perf_counter()
    process = _popen(argv, log)
    server = Server("rdflib-endpoint", port, "/", process, log_path=log)  # the CLI serves at /
    try:
        server.ready_seconds = _wait_ready(
            "rdflib-endpoint",
            process,
            port,
            "/?" + urllib.parse.urlencode({"query": "ASK {}"}),
            started,
            log,
        )
    except PeerUnavailable:
        server.stop()
        raise
    return server
