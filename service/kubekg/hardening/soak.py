"""A soak test of a live kubekg: many mixed requests over many keep-alive connections, with its figures (issue 6).

The mix is SPARQL (GET and POST, JSON and CSV), questions (``/api/ask`` by GET and POST, both languages), the
simulation contracts (HPA reconcile, PV bind), the REST API and the HTML pages. Each of ``concurrency`` client
threads keeps one HTTP/1.1 connection alive (``http.client``; the client waits on sockets, so it is not the
bottleneck) and takes the next request from a shared counter until ``requests`` were sent. The figures: requests
sent, errors (any unexpected status or a broken connection), timeouts, latency percentiles, throughput, the
worker PIDs before and after (a lost worker shows as a changed set) and the workers' resident memory sampled
during the run, compared between the first and the last quarter of the requests.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kubekg.simulation import examples

MAX_MEMORY_GROWTH = 0.10  # the bound between the first and the last quarter
WARM_UP_PER_KIND = 3  # requests of each kind per connection before measuring (first-use caches)


@dataclass(frozen=True)
class Request:
    """One kind of request in the mix and the status it must get."""

    kind: str
    method: str
    path: str
    body: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()
    status: int = 200
    expect: bytes = b""  # a fragment the body must contain


RECONCILE = examples.reconcile_body()  # the document's scale-out example
BIND = examples.bind_body()
JSON = (("Content-Type", "application/json"),)
HTML = (("Accept", "text/html"),)


def _sparql_get(query: str, fmt: str = "json") -> str:
    return "/sparql?" + urllib.parse.urlencode({"query": query, "format": fmt})


def _ask_get(question: str) -> str:
    return "/api/ask?" + urllib.parse.urlencode({"q": question})


def default_mix() -> list[Request]:
    """The request kinds of the soak, each once in the cycle (so the mix is even across kinds)."""
    rwx = "SELECT ?p WHERE { ?p kg:supportsAccessMode kr:ReadWriteMany }"
    return [
        Request(
            "sparql", "GET", _sparql_get("SELECT ?label WHERE { kr:etcd rdfs:label ?label }"), expect=b"etcd"
        ),
        Request("sparql", "GET", _sparql_get(rwx, "csv"), expect=b"p"),
        Request(
            "sparql",
            "POST",
            "/sparql",
            rwx.encode(),
            (("Content-Type", "application/sparql-query"), ("Accept", "application/sparql-results+json")),
            expect=b"bindings",
        ),
        Request(
            "sparql",
            "GET",
            _sparql_get("SELECT (COUNT(*) AS ?n) WHERE { ?s a kg:Component }"),
            expect=b"bindings",
        ),
        Request("ask", "GET", _ask_get("Which storage supports RWX?"), expect=b"understood"),
        Request(
            "ask",
            "POST",
            "/api/ask",
            json.dumps({"question": "HPA를 DaemonSet에 적용할 수 있나요?"}).encode(),
            JSON,
            expect=b"understood",
        ),
        Request("ask", "GET", _ask_get("What is kube-proxy?"), expect=b"understood"),
        Request(
            "simulate",
            "POST",
            "/api/simulate/hpa/reconcile",
            json.dumps(RECONCILE).encode(),
            JSON,
            expect=b"desiredReplicas",
        ),
        Request(
            "simulate", "POST", "/api/simulate/pv/bind", json.dumps(BIND).encode(), JSON, expect=b"volumeName"
        ),
        Request("api", "GET", "/api/search?q=etcd", expect=b"etcd"),
        Request("api", "GET", "/api/entities/kube-apiserver", expect=b"kube-apiserver"),
        Request("page", "GET", "/", headers=HTML, expect=b"<html"),
        Request("page", "GET", "/entity/etcd", headers=HTML, expect=b"etcd"),
        Request(
            "page", "GET", "/" + "?" + urllib.parse.urlencode({"q": "NFS가 RWX를 지원하나요?"}), headers=HTML
        ),
        Request("page", "GET", "/sparql", headers=HTML, expect=b"<textarea"),
    ]


@dataclass
class SoakReport:
    """The figures of one soak run."""

    requests: int
    concurrency: int
    seconds: float
    errors: int
    timeouts: int
    latencies: list[float]
    by_kind: Counter
    error_samples: list[str]
    workers_before: set[int]
    workers_after: set[int]
    memory_quarters: list[float] = field(default_factory=list)  # mean RSS (MiB, all workers) per quarter

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))]

    @property
    def memory_growth(self) -> float | None:
        quarters = [q for q in self.memory_quarters if q > 0]
        if len(self.memory_quarters) < 4 or len(quarters) < 4:
            return None
        return (self.memory_quarters[-1] - self.memory_quarters[0]) / self.memory_quarters[0]

    @property
    def workers_lost(self) -> int:
        return len(self.workers_before - self.workers_after) if self.workers_before else 0

    def ok(self) -> bool:
        growth = self.memory_growth
        return (
            self.errors == 0
            and self.timeouts == 0
            and self.workers_lost == 0
            and (growth is None or growth < MAX_MEMORY_GROWTH)
        )

    def summary(self) -> str:
        growth = self.memory_growth
        memory = (
            " -> ".join(f"{q:.0f}" for q in self.memory_quarters) + f" MiB ({growth * 100:+.1f}%)"
            if growth is not None
            else "not measured"
        )
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(self.by_kind.items()))
        return (
            f"{self.requests} requests over {self.concurrency} connections in {self.seconds:.1f} s "
            f"({self.requests / self.seconds:.0f}/s): {self.errors} errors, {self.timeouts} timeouts; "
            f"latency p50 {self.percentile(0.5) * 1000:.1f} ms, p99 {self.percentile(0.99) * 1000:.1f} ms, "
            f"max {max(self.latencies, default=0) * 1000:.1f} ms; workers {len(self.workers_before)} before, "
            f"{self.workers_lost} lost; worker RSS by quarter {memory}; mix: {kinds}"
        )


def worker_pids(master: int) -> set[int]:
    """The gunicorn workers of a master PID (its children)."""
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True, check=False
    )
    return {int(p) for p in out.stdout.split()}


def rss_mib(pids: set[int]) -> float:
    """Resident memory of the given processes, in MiB (0 for a process that is gone)."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
                    break
        except OSError:
            continue
    return total / 1024


class _Connection:
    """One keep-alive HTTP/1.1 connection, reopened after an error."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.conn: http.client.HTTPConnection | None = None

    def send(self, req: Request) -> tuple[int, bytes]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            self.conn.request(req.method, req.path, body=req.body, headers=dict(req.headers))
            resp = self.conn.getresponse()
            data = resp.read()
            if resp.will_close:
                self.close()
            return resp.status, data
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def run_soak(
    base_url: str,
    requests: int,
    concurrency: int,
    *,
    master_pid: int | None = None,
    mix: list[Request] | None = None,
    timeout: float = 30.0,
    progress: Callable[[str], None] | None = None,
) -> SoakReport:
    """Send ``requests`` mixed requests over ``concurrency`` keep-alive connections and measure them."""
    parts = urllib.parse.urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    kinds = mix or default_mix()
    lock = threading.Lock()
    state = {"next": 0, "done": 0}
    latencies: list[float] = []
    by_kind: Counter = Counter()
    errors: list[str] = []
    timeouts = 0
    samples: list[tuple[int, float]] = []
    stop_sampling = threading.Event()

    def check(req: Request, status: int, body: bytes) -> str | None:
        if status != req.status:
            return f"{req.method} {req.path[:80]}: HTTP {status} {body[:160]!r}"
        if req.expect and req.expect not in body:
            return f"{req.method} {req.path[:80]}: body lacks {req.expect!r}: {body[:160]!r}"
        return None

    def warm(conn: _Connection) -> None:
        for _ in range(WARM_UP_PER_KIND):
            for req in kinds:
                status, body = conn.send(req)
                problem = check(req, status, body)
                if problem:
                    raise RuntimeError(f"warm-up failed: {problem}")

    def client(conn: _Connection) -> None:
        nonlocal timeouts
        while True:
            with lock:
                i = state["next"]
                if i >= requests:
                    return
                state["next"] = i + 1
            req = kinds[i % len(kinds)]
            started = time.perf_counter()
            problem: str | None
            try:
                status, body = conn.send(req)
                problem = check(req, status, body)
            except TimeoutError as exc:
                problem = f"{req.method} {req.path[:80]}: timed out ({exc})"
                with lock:
                    timeouts += 1
            except (OSError, http.client.HTTPException) as exc:
                problem = f"{req.method} {req.path[:80]}: {type(exc).__name__}: {exc}"
            elapsed = time.perf_counter() - started
            with lock:
                state["done"] += 1
                latencies.append(elapsed)
                by_kind[req.kind] += 1
                if problem:
                    errors.append(problem)

    def sampler(pids: set[int]) -> None:
        while not stop_sampling.wait(0.2):
            current = worker_pids(master_pid) if master_pid else pids
            samples.append((state["done"], rss_mib(current)))

    connections = [_Connection(host, port, timeout) for _ in range(concurrency)]
    warmers = [
        threading.Thread(target=warm, args=(c,), daemon=True) for c in connections[: min(concurrency, 8)]
    ]
    for t in warmers:
        t.start()
    for t in warmers:
        t.join()
    before = worker_pids(master_pid) if master_pid else set()
    sampling = threading.Thread(target=sampler, args=(before,), daemon=True)
    if master_pid:
        samples.append((0, rss_mib(before)))
        sampling.start()
    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(c,), daemon=True) for c in connections]
    for t in threads:
        t.start()
    last_report = time.monotonic()
    while any(t.is_alive() for t in threads):
        time.sleep(0.2)
        if progress and time.monotonic() - last_report > 5:
            last_report = time.monotonic()
            progress(f"{state['done']}/{requests} requests, {len(errors)} errors")
    seconds = time.perf_counter() - started
    stop_sampling.set()
    if master_pid:
        sampling.join(5)
        samples.append((state["done"], rss_mib(worker_pids(master_pid))))
    for c in connections:
        c.close()
    after = worker_pids(master_pid) if master_pid else set()
    quarters: list[float] = []
    if samples:
        for q in range(4):
            lo, hi = q * requests / 4, (q + 1) * requests / 4
            inside = [rss for done, rss in samples if lo <= done < hi or (q == 3 and done >= requests)]
            quarters.append(sum(inside) / len(inside) if inside else 0.0)
    return SoakReport(
        requests=state["done"],
        concurrency=concurrency,
        seconds=seconds,
        errors=len(errors),
        timeouts=timeouts,
        latencies=latencies,
        by_kind=by_kind,
        error_samples=errors[:10],
        workers_before=before,
        workers_after=after,
        memory_quarters=quarters,
    )
