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
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"kubekg serve did not answer within {timeout} s: {self.log_tail()}")

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
