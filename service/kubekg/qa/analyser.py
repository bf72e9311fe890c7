"""Kiwi in a process of its own, shared by every gunicorn worker: one model in memory instead of one per worker.

Kiwi's model takes about 370 MB once built; loaded in the gunicorn master it is counted again in every worker's
resident memory, loaded in each worker it is paid again for each. ``start()`` forks a small analyser process
(before the master loads anything big) that builds Kiwi while the master loads the graph, and serves analyses on
a Unix socket; ``KUBEKG_KIWI_SOCKET`` tells ``kubekg.qa.analysis.kiwi()`` in every process forked afterwards to
use :class:`RemoteKiwi` instead of building its own. The protocol is a 4-byte length and a ``marshal``-encoded
tuple each way: ``("tokenize", text)`` -> ``[(form, tag, start, len), ...]``, ``("add_user_word", word, tag,
score)`` -> bool, ``("add_user_words", [(word, tag, score), ...])`` -> how many were new and ``("prime", words,
text)`` (add the words, analyse the text) -> None. The analyser exits when the server does (its lifeline pipe closes). If it is gone, clients fall back to an in-process Kiwi
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
def _serve(listener: socket.socket, lifeline: int, make_kiwi: Callable[[], Any]) -> None:
    """The analyser process: build Kiwi, answer every connection in a thread, end when the lifeline closes."""

    def watch() -> None:
        with contextlib.suppress(OSError):
            os.read(lifeline, 1)  # returns at EOF: every process holding the write end (the server) is gone
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()
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
                    elif request[0] == "add_user_words":
                        with lock:
                            reply = ("ok", sum(bool(kiwi.add_user_word(*word)) for word in request[1]))
                    elif request[0] == "prime":  # user words, then one analysis: Kiwi builds its model now
                        with lock:
                            for word in request[1]:
                                kiwi.add_user_word(*word)
                            kiwi.tokenize(request[2])
                        reply = ("ok", None)
                    else:
                        reply = ("error", f"unknown request {request[0]!r}")
                except Exception as exc:  # reported to the client, which raises it
                    reply = ("error", f"{type(exc).__name__}: {exc}")
                try:
                    _send(conn, reply)
                except OSError:
                    return

    while True:
        conn, _ = listener.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def _default_kiwi() -> Any:
    from kiwipiepy import Kiwi

    return Kiwi(load_typo_dict=False, load_multi_dict=False)


_lifeline: list[int] = []  # the write end of the analyser's lifeline, held open for the server's lifetime


def start(path: str | None = None, make_kiwi: Callable[[], Any] = _default_kiwi) -> int:
    """Start the analyser (listening before it forks, so clients can connect at once); set ``KUBEKG_KIWI_SOCKET``.

    The analyser is detached by a double fork, so it is not a child of this process (gunicorn's arbiter and
    tools that count its workers as its children never see it); it keeps this process group, and it ends when
    the write end of its lifeline pipe, held by this process and inherited by its workers, closes. Returns the
    analyser's pid. Call it while the process has no other threads.
    """
    path = path or str(Path(tempfile.mkdtemp(prefix="kubekg-kiwi-")) / "kiwi.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    lifeline_r, lifeline_w = os.pipe()
    pid_r, pid_w = os.pipe()
    middle = os.fork()
    if middle == 0:
        try:
            os.close(pid_r)
            analyser_pid = os.fork()
            if analyser_pid == 0:  # the analyser
                try:
                    os.close(pid_w)
                    os.close(lifeline_w)
                    _serve(listener, lifeline_r, make_kiwi)
                finally:
                    os._exit(1)
            os.write(pid_w, str(analyser_pid).encode())
        finally:
            os._exit(0)
    os.close(pid_w)
    os.close(lifeline_r)
    listener.close()
    os.waitpid(middle, 0)
    with os.fdopen(pid_r, "rb") as reader:
        pid = int(reader.read() or b"0")
    _lifeline.append(lifeline_w)
    os.environ[ENV] = path
    parent = os.getpid()

    def stop() -> None:
        if os.getpid() != parent:
            return
        with contextlib.suppress(OSError):
            os.kill(pid, 15)
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
        self._pending: list[
            tuple[str, str, float]
        ] = []  # user words not yet sent (sent before the next analysis)
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
        if request[0] == "add_user_words":
            return sum(bool(kiwi.add_user_word(*word)) for word in request[1])
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
        if self._pending:
            self._send_words()
        return [Tok(*t) for t in self._call("tokenize", text)]

    def _send_words(self) -> None:
        with self._lock:
            batch, self._pending = self._pending, []
        if batch:
            self._call("add_user_words", batch)

    def prime(self, text: str) -> None:
        """Send the queued user words and one analysis of text without waiting for the answer.

        The analyser handles it as soon as Kiwi is loaded, so it builds its model (over a second, after the
        user words) before the first question needs it. Used by the master before it forks its workers.
        """
        with self._lock:
            # kept queued: this request may be handled after another connection's analysis, which must not
            # run without the words, so the next analysis sends them again first (the analyser ignores repeats)
            batch = list(self._pending)
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.settimeout(5.0)
                conn.connect(self.path)
                _send(conn, ("prime", batch, text))
        except OSError as exc:
            log.info("could not prime the Kiwi analyser: %s", exc)

    def add_user_word(self, word: str, tag: str = "NNP", score: float = 0.0) -> bool:
        """Queue a user word; the queue goes to the analyser in one request before the next analysis.

        So a process can add the graph's names without waiting for the analyser to finish loading Kiwi (the
        gunicorn master builds the answerer that way); a process forked meanwhile sends the queue itself (the
        analyser ignores a word it already has). Returns True: whether the word was new is not known yet.
        """
        entry = (word, tag, float(score))
        with self._lock:
            self._words.append(entry)
            self._pending.append(entry)
        return True


def client() -> RemoteKiwi | None:
    """The shared analyser's client when this process was started under one, else None."""
    path = os.environ.get(ENV)
    return RemoteKiwi(path) if path else None
