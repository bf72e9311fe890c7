"""``kubekg serve``: the Flask app under gunicorn (gthread workers, app preloaded so the graph loads once), or,
opt-in with ``KUBEKG_SERVER=granian``, under granian (a Rust HTTP server) with the same preloaded app.

The app is built in the master before gunicorn starts (``preload_app``), so a bad configuration or a broken
ontology file stops start-up with a message and a non-zero exit, and no half-started server is left. Metrics use
prometheus_client's multiprocess mode in a fresh temp directory. A request that must not leave its worker behind
(e.g. a query timeout that could not be interrupted) calls :func:`request_worker_recycle`; the ``post_request``
hook then retires the worker gracefully and gunicorn starts a fresh one (the arbiter's usual replacement).

Under granian (:func:`run_granian`) the app is built, warmed and ``gc.freeze``-d in the master the same way and
granian forks its workers from it (its Python API with a loader that returns the built app, so nothing is
imported twice). What it does not keep: no worker is recycled after a runaway query (granian has no per-request
hook, and its crash-loop guard ends the whole server when a worker exits twice within 5.5 s, so a worker retiring
itself is not safe); the runaway evaluation thread runs on until the engine returns. Updates are refused with it
(``Config`` raises), because a runaway update holds the update log's exclusive lock until its worker retires.
"""

from __future__ import annotations

import atexit
import gc
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from typing import Any

from kubekg.config import Config

log = logging.getLogger("kubekg.serve")

GRACEFUL_TIMEOUT = 10  # seconds workers get to finish in-flight requests on shutdown or recycle
LIMIT_REQUEST_LINE = 8190  # gunicorn's maximum; long SPARQL GET queries need more than the 4094 default

_recycle_lock = threading.Lock()
_recycle_reasons: list[str] = []


def request_worker_recycle(reason: str) -> None:
    """Ask for the current gunicorn worker to be replaced after this request (no-op outside gunicorn)."""
    with _recycle_lock:
        _recycle_reasons.append(reason)
    log.warning("worker %d will be recycled after this request: %s", os.getpid(), reason)


def recycle_requested() -> list[str]:
    """The reasons given since the last check (and clears them)."""
    with _recycle_lock:
        reasons = list(_recycle_reasons)
        _recycle_reasons.clear()
    return reasons


# ------------------------------------------------------------------------------------------------- logging
class _MaxLevel(logging.Filter):
    def __init__(self, below: int) -> None:
        super().__init__()
        self.below = below

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno < self.below


def configure_logging(level: str) -> None:
    """Access lines (JSON) on stdout, everything else as text on stderr at ``level``."""
    access = logging.getLogger("kubekg.access")
    access.handlers.clear()
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    access.propagate = False
    root = logging.getLogger()
    root.handlers.clear()
    err = logging.StreamHandler(sys.stderr)
    err.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"))
    root.addHandler(err)
    root.setLevel(level)


# ------------------------------------------------------------------------------------------------- gunicorn hooks
def post_request(worker: Any, req: Any, environ: Any, resp: Any) -> None:
    """Retire the worker gracefully when a request asked for it (after the response was written)."""
    reasons = recycle_requested()
    if reasons:
        from kubekg.web.metrics import WORKER_RECYCLES

        for reason in reasons:
            WORKER_RECYCLES.labels(reason=reason).inc()
        worker.log.warning("recycling worker %s: %s", worker.pid, "; ".join(reasons))
        worker.alive = False


def post_fork(server: Any, worker: Any) -> None:
    """A fresh worker starts with no pending recycle request inherited from the master."""
    recycle_requested()


def worker_exit(server: Any, worker: Any) -> None:
    """Let the multiprocess metrics forget live gauges of a dead worker."""
    from prometheus_client import multiprocess

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)


def when_ready(server: Any) -> None:
    """Say where the service listens, once every worker can accept."""
    server.log.info("kubekg listening on %s", ", ".join(str(s) for s in server.LISTENERS))


def gunicorn_options(config: Config) -> dict[str, Any]:
    """The gunicorn settings for a validated Config."""
    host = f"[{config.HOST}]" if ":" in config.HOST else config.HOST
    return {
        "bind": [f"{host}:{config.PORT}"],
        "workers": config.WORKERS,
        "threads": config.THREADS,
        "worker_class": "gthread",
        "preload_app": True,
        # the worker heartbeat must outlast the longest query a client may ask for
        "timeout": int(config.MAX_TIMEOUT) + 30,
        "graceful_timeout": GRACEFUL_TIMEOUT,
        "keepalive": 5,
        "accesslog": None,  # kubekg writes its own JSON access line
        "errorlog": "-",
        "loglevel": config.LOG_LEVEL.lower(),
        "limit_request_line": LIMIT_REQUEST_LINE,
        "proc_name": "kubekg",
        "control_socket_disable": True,
        "post_request": post_request,
        "post_fork": post_fork,
        "post_worker_init": post_worker_init,
        "worker_exit": worker_exit,
        "when_ready": when_ready,
    }


def _application_class() -> type:
    from gunicorn.app.base import BaseApplication

    class KubeKGApplication(BaseApplication):
        """gunicorn with kubekg's settings and an already built app (no gunicorn command line is read)."""

        def __init__(self, app: Any, options: dict[str, Any]) -> None:
            self.application = app
            self.options = options
            super().__init__()

        def load_config(self) -> None:
            for key, value in self.options.items():
                if key in self.cfg.settings and value is not None:
                    self.cfg.set(key, value)

        def load(self) -> Any:
            return self.application

    return KubeKGApplication


# ------------------------------------------------------------------------------------------------- entry point
def prepare_metrics_dir() -> str:
    """A fresh PROMETHEUS_MULTIPROC_DIR for this server (removed at exit), set before any metric exists."""
    directory = tempfile.mkdtemp(prefix="kubekg-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    pid = os.getpid()
    atexit.register(lambda: os.getpid() == pid and shutil.rmtree(directory, ignore_errors=True))
    return directory


def warm_up(app: Any, hooks: bool = True) -> None:
    """Build the lazy look-up tables in the master, so every forked worker shares them (copy-on-write).

    Besides the search index, each registered blueprint module may define ``warm_up(app)`` (e.g. the question
    answerer); with ``hooks`` they run here, inside an app context, so a worker answers its first question at
    once. The answerer's build needs no Kiwi when the analyses of an earlier start are cached (about 0.4 s);
    what only some questions need is left to each worker's warm-up thread (:func:`warm_up_worker`).
    """
    from kubekg.web import entities

    kg = app.extensions["kubekg"]
    if getattr(getattr(kg, "backend", None), "name", "embedded") != "embedded":
        return  # a remote store may be down at start-up; the tables are built on first use
    started = time.perf_counter()
    entities.search_index(kg)
    if hasattr(kg, "find"):
        kg.find("etcd")  # graph-core's label table and index
    if hooks:
        warm_up_hooks(app)
    log.info("look-up tables built in %.2f s", time.perf_counter() - started)


def warm_up_hooks(app: Any) -> None:
    """Run every blueprint module's ``warm_up(app)`` inside an app context (a failure is logged, not raised)."""
    from kubekg.web import BLUEPRINTS

    with app.app_context():
        for module_name, _ in BLUEPRINTS:
            module = sys.modules.get(module_name)
            hook = getattr(module, "warm_up", None) if module is not None else None
            if callable(hook):
                try:
                    hook(app)
                except Exception as exc:  # a cold cache only costs the first request its time
                    log.warning("warm-up of %s failed: %s", module_name, exc)


def warm_up_worker(app: Any) -> None:
    """After the fork, in a worker: the blueprints' hooks (a no-op when the master built everything), then what
    only some questions need: the shared analyser's first analysis (it sends the graph's names and makes Kiwi
    build its model) and the answerer's fuzzy-match index (questions with a misspelled name)."""
    warm_up_hooks(app)
    try:
        from kubekg.qa import engine
        from kubekg.qa.analysis import analyse
    except ImportError:
        return
    try:
        answerer = engine.get_answerer(app.extensions.get("kubekg"), app.config.get("MAX_QUESTION_CHARS"))
        answerer.lexicon.deletion_index  # noqa: B018  # built on first use
        analyse("쿠버네티스 파드")
    except Exception as exc:  # the first question that needs it pays instead
        log.warning("worker warm-up failed: %s", exc)


def post_worker_init(worker: Any) -> None:
    """In each new worker: :func:`warm_up_worker` in a background thread, after the fork.

    The worker serves at once (the master built the answerer); a question that needs what the thread builds
    waits for its lock. The thread starts in the worker, which never forks, so no lock it takes can be inherited
    half-held by another process.
    """
    app = getattr(worker, "wsgi", None)
    if app is None or not hasattr(app, "extensions"):
        return
    kg = app.extensions.get("kubekg")
    if getattr(getattr(kg, "backend", None), "name", "embedded") != "embedded":
        return
    threading.Thread(target=warm_up_worker, args=(app,), name="kubekg-warm-up", daemon=True).start()


def start_analyser() -> None:
    """Fork the shared Kiwi analyser (kubekg.qa.analyser) before the app is built.

    It builds Kiwi while the master starts (the answerer, built before the fork, primes it with the graph's
    names); every worker then uses it instead of holding its own copy
    (about 370 MB each). Skipped when kiwipiepy or the question package is absent, when one already runs, or when
    this process has other threads (forking those is unsafe: each worker then loads Kiwi itself, as before).
    """
    import importlib.util

    if os.environ.get("KUBEKG_KIWI_SOCKET") or importlib.util.find_spec("kiwipiepy") is None:
        return
    if threading.active_count() > 1:
        log.info("not starting a shared Kiwi analyser: this process already runs other threads")
        return
    try:
        from kubekg.qa import analyser
    except ImportError:
        return
    pid = analyser.start()
    log.info("Kiwi analyser process %d at %s", pid, os.environ.get(analyser.ENV))


def serve(config: Config) -> int:
    """Build the app in this (master) process, then run gunicorn; returns an exit status on start-up failure.

    The cyclic garbage collector is off while the app is built (start-up makes many objects and little garbage:
    10-15 % less start-up CPU) and the survivors are frozen before the workers fork, so no worker's collection
    touches (and copies) the pages they share with the master (CPython's advice for pre-fork servers, gc.freeze).
    """
    gc.disable()
    try:
        return _serve(config)
    finally:
        gc.enable()


def _serve(config: Config) -> int:
    prepare_metrics_dir()
    configure_logging(config.LOG_LEVEL)
    # first, while this process is small and has no threads: Kiwi loads in the analyser while the app is built
    start_analyser()
    from kubekg.errors import KubeKGError
    from kubekg.graph import OntologyLoadError, ReasoningError, RuleError
    from kubekg.web import create_app

    try:
        app = create_app(config)
    except KubeKGError as exc:
        print(f"kubekg serve: {exc.message}", file=sys.stderr)
        return 2 if exc.code == "config_error" else 1
    except (OntologyLoadError, RuleError, ReasoningError, OSError, ValueError, RuntimeError) as exc:
        print(f"kubekg serve: cannot start: {exc}", file=sys.stderr)
        return 1
    warm_up(app)
    log.info(
        "starting kubekg on %s:%d (%d workers x %d threads, store %s)",
        config.HOST,
        config.PORT,
        config.WORKERS,
        config.THREADS,
        config.STORE,
    )
    gc.freeze()
    gc.enable()
    if config.SERVER == "granian":
        return run_granian(app, config)
    _application_class()(app, gunicorn_options(config)).run()
    return 0


# ------------------------------------------------------------------------------------------------- granian
GRANIAN_LOGGING: dict[str, Any] = {
    # granian's own lines go to stderr as text, so stdout carries only kubekg's JSON access lines
    "handlers": {
        "console": {"formatter": "generic", "class": "logging.StreamHandler", "stream": "ext://sys.stderr"},
        "access": {"formatter": "access", "class": "logging.StreamHandler", "stream": "ext://sys.stderr"},
    },
}


def granian_options(config: Config) -> dict[str, Any]:
    """The keyword arguments of ``granian.Granian`` for a validated Config (WSGI, one process per worker)."""
    from granian.constants import Interfaces
    from granian.log import LogLevels

    return {
        "address": config.HOST,
        "port": config.PORT,
        "interface": Interfaces.WSGI,
        "workers": config.WORKERS,
        "blocking_threads": config.THREADS,  # the Python threads that run the app in each worker
        "runtime_threads": 1,
        "log_enabled": True,
        "log_level": LogLevels(config.LOG_LEVEL.lower()),
        "log_dictconfig": GRANIAN_LOGGING,
        "log_access": False,  # kubekg writes its own JSON access line
        "respawn_failed_workers": True,  # a worker that died (e.g. killed for memory) is replaced
        "workers_kill_timeout": GRACEFUL_TIMEOUT,
        "process_name": None,
        "websockets": False,
    }


def granian_worker_loader(app: Any) -> Any:
    """Runs in each granian worker after the fork (granian's target loader): the worker warm-up, then the app."""
    recycle_requested()  # nothing inherited from the master
    kg = app.extensions.get("kubekg")
    if getattr(getattr(kg, "backend", None), "name", "embedded") == "embedded":
        threading.Thread(target=warm_up_worker, args=(app,), name="kubekg-warm-up", daemon=True).start()
    return app


def run_granian(app: Any, config: Config) -> int:
    """Serve the built app under granian's process workers (forked from this process, so they share its pages).

    granian forks with the platform's start method; under ``spawn`` the built app could not be shared, so that is
    refused rather than silently building the app once per worker.
    """
    import multiprocessing

    from granian import Granian

    if multiprocessing.get_start_method() != "fork":
        print("kubekg serve: --server granian needs the 'fork' start method (Linux)", file=sys.stderr)
        return 2
    server = Granian("kubekg.web:create_app", **granian_options(config))
    server.serve(target_loader=lambda: granian_worker_loader(app), wrap_loader=False)
    return 0
