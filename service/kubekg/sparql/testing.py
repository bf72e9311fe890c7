"""A live ``kubekg serve`` (gunicorn) on a free loopback port, for tests and benchmark commands (like flask.testing).

Start it with settings as ``KUBEKG_*`` environment values, talk to it over real HTTP, stop it gracefully,
SIGKILL it (to test durability) or start it again on the same data directory.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

START_SECONDS = 60.0
WORKERS_SECONDS = 30.0  # how long to wait for every gunicorn worker to be serving


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Reply:
    """An HTTP response read whole."""

    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    def json(self) -> Any:
        import json

        return json.loads(self.body.decode("utf-8"))

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip()


def _listening_inodes(port: int) -> set[str]:
    """Socket inodes listening on a TCP port, from /proc/net/tcp{,6} (empty where there is no /proc)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table, encoding="ascii") as fh:
                lines = fh.readlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    return inodes


def _polls(pid: int, inodes: set[str]) -> bool:
    """Whether a process has one of the listening sockets registered in one of its epoll instances."""
    listeners: set[str] = set()
    epolls: list[str] = []
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:[") and link[8:-1] in inodes:
                listeners.add(fd)
            elif link == "anon_inode:[eventpoll]":
                epolls.append(fd)
        for fd in epolls:
            with open(f"/proc/{pid}/fdinfo/{fd}", encoding="ascii") as fh:
                for line in fh:
                    if line.startswith("tfd:") and line.split()[1] in listeners:
                        return True
    except OSError:  # the process ended meanwhile
        return False
    return False


class LiveServer:
    """One ``kubekg serve`` subprocess; ``settings`` are KUBEKG_* values (names without the prefix)."""

    command: tuple[str, ...] = (sys.executable, "-m", "kubekg.cli", "serve")

    def __init__(self, settings: Mapping[str, Any] | None = None, log_path: Path | None = None) -> None:
        self.settings = {k.upper(): str(v) for k, v in (settings or {}).items()}
        self.log_path = log_path
        self.port = 0
        self.process: subprocess.Popen | None = None
        self._log: Any = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = START_SECONDS) -> LiveServer:
        """Start on a fresh port and wait until /healthz answers (raises with the log tail if it does not)."""
        self.port = free_port()
        env = dict(os.environ)
        env.update({f"KUBEKG_{k}": v for k, v in self.settings.items()})
        env["KUBEKG_HOST"] = "127.0.0.1"
        env["KUBEKG_PORT"] = str(self.port)
        env.setdefault("KUBEKG_LOG_LEVEL", "WARNING")
        self._log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            list(self.command),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._close_log()
                raise RuntimeError(f"kubekg serve exited with {self.process.returncode}: {self.log_tail()}")
            try:
                if self.request("GET", "/healthz", timeout=1.0).status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.05)
        else:
            self.kill()
            raise RuntimeError(f"kubekg serve did not answer within {timeout} s: {self.log_tail()}")
        try:
            self.wait_for_workers(timeout=max(1.0, deadline - time.monotonic()))
        except RuntimeError:
            self.kill()
            raise
        return self

    def log_tail(self, chars: int = 3000) -> str:
        if self.log_path and self.log_path.exists():
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        return "(no log)"

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
    ) -> Reply:
        """One request on a fresh connection (so a recycling worker's kept-alive socket never matters)."""
        if isinstance(body, str):
            body = body.encode("utf-8")
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=dict(headers or {}))
            resp = conn.getresponse()
            data = resp.read()
            return Reply(
                resp.status, {k.lower(): v for k, v in resp.getheaders()}, data, time.monotonic() - started
            )
        finally:
            conn.close()

    def query(self, sparql: str, http_timeout: float = 30.0, **params: str) -> Reply:
        """GET /sparql?query=...&params (a ``timeout`` param is the SPARQL timeout, not the HTTP one)."""
        qs = urllib.parse.urlencode({"query": sparql, **params})
        return self.request("GET", f"/sparql?{qs}", timeout=http_timeout)

    def worker_pids(self) -> set[int]:
        """PIDs of the gunicorn workers (children of the master)."""
        if self.process is None:
            return set()
        try:
            out = subprocess.run(
                ["ps", "-o", "pid=", "--ppid", str(self.process.pid)],
                capture_output=True,
                text=True,
                check=False,
            ).stdout
        except OSError:
            return set()
        return {int(p) for p in out.split()}

    def expected_workers(self) -> int | None:
        """The WORKERS setting this server was started with (None: gunicorn's default, not known here)."""
        value = self.settings.get("WORKERS")
        return int(value) if value else None

    def serving_workers(self) -> set[int]:
        """Workers that poll the listening socket, i.e. accept connections (Linux: their epoll set, in /proc).

        gunicorn's gthread worker registers the listener with its poller when its run loop starts, after the fork
        and the worker's init; before that it exists but serves nobody. Elsewhere every worker counts as serving.
        """
        pids = self.worker_pids()
        inodes = _listening_inodes(self.port)
        if not inodes:
            return pids
        return {pid for pid in pids if _polls(pid, inodes)}

    def wait_for_workers(self, count: int | None = None, timeout: float = WORKERS_SECONDS) -> set[int]:
        """Poll (bounded by ``timeout``) until exactly ``count`` workers (default: the WORKERS setting, else at
        least one) exist and all are serving; returns their PIDs. Raises RuntimeError naming what was seen."""
        count = self.expected_workers() if count is None else count
        deadline = time.monotonic() + timeout
        pids: set[int] = set()
        serving: set[int] = set()
        while True:
            pids = self.worker_pids()
            serving = self.serving_workers() if pids else set()
            enough = len(pids) == count if count is not None else bool(pids)
            if enough and serving == pids:
                return pids
            if time.monotonic() >= deadline or (self.process is not None and self.process.poll() is not None):
                raise RuntimeError(
                    f"expected {count or 'some'} serving gunicorn workers within {timeout:g} s; saw workers "
                    f"{sorted(pids)}, serving {sorted(serving)}: {self.log_tail(1500)}"
                )
            time.sleep(0.02)

    def stop(self, timeout: float = 15.0, *, graceful: bool = True) -> None:
        """Stop: SIGTERM (graceful) or SIGQUIT (gunicorn's quick shutdown) to the master; SIGKILL if it lingers."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM if graceful else signal.SIGQUIT)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self._close_log()

    def kill(self) -> None:
        """SIGKILL the master and its workers at once (a crash: nothing gets to clean up)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self._close_log()

    def _close_log(self) -> None:
        if self._log not in (None, subprocess.DEVNULL):
            self._log.close()
        self._log = None

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class OxigraphProcess:
    """``oxigraph serve-read-only`` over a store directory on a fixed loopback port, stoppable and restartable
    (a remote store to take away and bring back in outage tests)."""

    def __init__(self, binary: str, location: Path, port: int | None = None) -> None:
        self.binary, self.location, self.port = binary, location, port or free_port()
        self.process: subprocess.Popen | None = None

    @classmethod
    def loaded(cls, binary: str, nquads: bytes, workdir: Path) -> OxigraphProcess:
        """``oxigraph load`` the N-Quads into ``workdir/db`` (not started yet)."""
        dump = workdir / "kubekg.nq"
        dump.write_bytes(nquads)
        subprocess.run(
            [binary, "load", "--location", str(workdir / "db"), "--file", str(dump)],
            check=True,
            capture_output=True,
            timeout=120,
        )
        return cls(binary, workdir / "db")

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/query"

    def start(self, timeout: float = 20.0) -> None:
        """Start serving and return once a SPARQL ASK is answered (RuntimeError after ``timeout`` seconds)."""
        from kubekg.errors import StoreUnavailable
        from kubekg.graph.remote import RemoteBackend

        self.process = subprocess.Popen(
            [
                self.binary,
                "serve-read-only",
                "--location",
                str(self.location),
                "--bind",
                f"127.0.0.1:{self.port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        backend = RemoteBackend(self.endpoint)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                backend.ping(timeout=1.0)
                return
            except StoreUnavailable:
                time.sleep(0.05)
        raise RuntimeError("oxigraph did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
