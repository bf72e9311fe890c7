"""Kiwi in a process of its own, shared by every gunicorn worker: one model in memory instead of one per worker.

Kiwi's model takes about 370 MB once built; loaded in the gunicorn master it is counted again in every worker's
resident memory, loaded in each worker it is paid again for each. ``start()`` forks a small analyser process
(before the master loads anything big) that builds Kiwi while the master loads the graph, and serves analyses on
a Unix socket; ``KUBEKG_KIWI_SOCKET`` tells ``kubekg.qa.analysis.kiwi()`` in every process forked afterwards to
use :class:`RemoteKiwi` instead of building its own. The protocol is a 4-byte length and a ``marshal``-encoded
tuple each way: ``("tokenize", text)`` -> ``[(form, tag, start, len), ...]`` and ``("add_user_word", word, tag,
score)`` -> bool. The analyser exits when its parent does. If it is gone, clients fall back to an in-process Kiwi
(with the user words added so far), so questions are still answered, only with more memory.
"""

from __future__ import annotations

import contextlib
import logging
import marshal
import os
import socket
import struct
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV = "KUBEKG_KIWI_SOCKET"
_HEADER = struct.Struct("!I")
MAX_MESSAGE = 1 << 22
CONNECT_TIMEOUT = 120.0  # seconds a request waits for the analyser (it may still be loading Kiwi)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tok:
    """The fields of a Kiwi token that kubekg reads."""

    form: str
    tag: str
    start: int
    len: int


def _send(sock: socket.socket, value: Any) -> None:
    data = marshal.dumps(value)
    sock.sendall(_HEADER.pack(len(data)) + data)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    chunks = []
    while n:
        chunk = sock.recv(n)
        if not chunk:
            raise ConnectionError("the analyser closed the connection")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _recv(sock: socket.socket) -> Any:
    (size,) = _HEADER.unpack(_recv_exact(sock, _HEADER.size))
    if size > MAX_MESSAGE:
        raise ConnectionError(f"analyser message of {size} bytes is over the limit")
    return marshal.loads(_recv_exact(sock, size))


# ------------------------------------------------------------------------------------------------ server
def _serve(listener: socket.socket, parent: int, make_kiwi: Callable[[], Any]) -> None:
    """The analyser process: build Kiwi, answer every connection in a thread, end with the parent."""
    kiwi = make_kiwi()
    lock = threading.Lock()

    def handle(conn: socket.socket) -> None:
        with conn:
            while True:
                try:
                    request = _recv(conn)
                except (ConnectionError, OSError, EOFError, ValueError):
                    return
                try:
                    if request[0] == "tokenize":
                        with lock:
                            tokens = kiwi.tokenize(request[1])
                        reply: Any = ("ok", [(t.form, t.tag, t.start, t.len) for t in tokens])
                    elif request[0] == "add_user_word":
                        with lock:
                            reply = ("ok", bool(kiwi.add_user_word(request[1], request[2], request[3])))
                    else:
                        reply = ("error", f"unknown request {request[0]!r}")
                except Exception as exc:  # reported to the client, which raises it
                    reply = ("error", f"{type(exc).__name__}: {exc}")
                try:
                    _send(conn, reply)
                except OSError:
                    return

    def orphaned() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=orphaned, daemon=True).start()
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def _default_kiwi() -> Any:
    from kiwipiepy import Kiwi

    return Kiwi(load_typo_dict=False, load_multi_dict=False)


def start(path: str | None = None, make_kiwi: Callable[[], Any] = _default_kiwi) -> int:
    """Fork the analyser (listening before the fork, so clients can connect at once); set ``KUBEKG_KIWI_SOCKET``.

    Returns the analyser's pid. Call it early, while the process has no other threads.
    """
    path = path or str(Path(tempfile.mkdtemp(prefix="kubekg-kiwi-")) / "kiwi.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the analyser
        try:
            _serve(listener, parent, make_kiwi)
        finally:
            os._exit(1)
    listener.close()
    os.environ[ENV] = path

    def stop() -> None:
        if os.getpid() != parent:
            return
        with contextlib.suppress(OSError):
            os.kill(pid, 15)
        with contextlib.suppress(OSError):
            os.waitpid(pid, 0)
        with contextlib.suppress(OSError):
            os.unlink(path)
            os.rmdir(os.path.dirname(path))

    import atexit

    atexit.register(stop)
    return pid


# ------------------------------------------------------------------------------------------------ client
class RemoteKiwi:
    """The two Kiwi calls kubekg makes, answered by the shared analyser (one connection per thread)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._words: list[tuple[str, str, float]] = []
        self._fallback: Any = None
        self._lock = threading.Lock()
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._after_fork)

    def _after_fork(self) -> None:
        self._local = threading.local()  # a connection must never be shared between processes
        self._lock = threading.Lock()

    def _connection(self) -> socket.socket:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            conn.settimeout(CONNECT_TIMEOUT)
            conn.connect(self.path)
            self._local.conn = conn
        return conn

    def _call(self, *request: Any) -> Any:
        if self._fallback is None:
            try:
                conn = self._connection()
                _send(conn, request)
                status, value = _recv(conn)
            except (OSError, ConnectionError, EOFError, ValueError) as exc:
                self._local.conn = None
                self._use_fallback(exc)
            else:
                if status != "ok":
                    raise RuntimeError(f"Kiwi analyser: {value}")
                return value
        kiwi = self._fallback
        if request[0] == "tokenize":
            return [(t.form, t.tag, t.start, t.len) for t in kiwi.tokenize(request[1])]
        return bool(kiwi.add_user_word(*request[1:]))

    def _use_fallback(self, exc: BaseException) -> None:
        with self._lock:
            if self._fallback is None:
                log.warning(
                    "the shared Kiwi analyser does not answer (%s); loading Kiwi in this process", exc
                )
                kiwi = _default_kiwi()
                for word in self._words:
                    kiwi.add_user_word(*word)
                self._fallback = kiwi

    def tokenize(self, text: str) -> list[Tok]:
        return [Tok(*t) for t in self._call("tokenize", text)]

    def add_user_word(self, word: str, tag: str = "NNP", score: float = 0.0) -> bool:
        self._words.append((word, tag, score))
        return bool(self._call("add_user_word", word, tag, float(score)))


def client() -> RemoteKiwi | None:
    """The shared analyser's client when this process was started under one, else None."""
    path = os.environ.get(ENV)
    return RemoteKiwi(path) if path else None
