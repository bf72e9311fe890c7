"""One ``kubekg bench`` run: export, start the servers, drive them, time in-process, scale, simulate, judge.

The HTTP runs are interleaved (for each mode and concurrency, every server in turn), so drift in the machine's
background load touches all servers alike; ratios are only ever taken between figures of the same run.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kubekg.bench import inprocess, load, scaling, servers, workload

PEERS = ("kubekg", "kubekg-granian", "oxigraph", "rdflib-endpoint")
# kubekg's own servers: "kubekg" is the default front end (gunicorn); the targets are judged on it, and again on
# "kubekg-granian" (kubekg serve --server granian, when granian is installed) in rows of their own
KUBEKG_SERVERS = ("kubekg", "kubekg-granian")
MODES = ("repeated", "unique")
SCHEMA = 1


@dataclass
class Options:
    """What to run; the defaults are the full benchmark, :meth:`short` the CI form (a few seconds per figure)."""

    seconds: float = 5.0
    concurrency: tuple[int, ...] = (1, 8, 32)
    peers: tuple[str, ...] = PEERS
    tool: str | None = None  # "wrk" | "python" | None (wrk where installed)
    repeats: int = 50
    sizes: tuple[int, ...] = scaling.SIZES
    workers: int | None = None
    threads: int | None = None
    cold_starts: int = 3
    short: bool = False
    notes: list[str] = field(default_factory=list)

    @classmethod
    def short_form(cls, **overrides: Any) -> Options:
        values: dict[str, Any] = {
            "seconds": 1.0,
            "concurrency": (1, 8),
            "repeats": 5,
            "sizes": scaling.SHORT_SIZES,
            "cold_starts": 1,
            "short": True,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


Log = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def machine() -> dict[str, Any]:
    """Where the figures were taken."""
    import pyoxigraph

    wrk = load.wrk_binary()
    version = None
    if wrk:
        done = subprocess.run([wrk, "--version"], capture_output=True, text=True)
        version = (done.stdout or done.stderr).split("[")[0].strip() or None
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "pyoxigraph": getattr(pyoxigraph, "__version__", None),
        "wrk": version,
        "loadAverage": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def run(options: Options, log: Log = _quiet) -> dict[str, Any]:
    """The whole benchmark as a JSON-ready dict (see :func:`kubekg.bench.report.render` for the table)."""
    started = time.perf_counter()
    from kubekg.graph import load_graph

    kg = load_graph()
    queries = workload.catalogue(kg.queries_dir)
    questions = workload.public_questions()
    tool = options.tool or ("wrk" if load.wrk_binary() else "python")
    if tool == "python" and options.tool is None:
        options.notes.append(
            "wrk is not installed (apt-get install wrk); the multi-process Python client drove"
        )
    result: dict[str, Any] = {
        "schema": SCHEMA,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(),
        "options": {k: v for k, v in asdict(options).items() if k != "notes"} | {"tool": tool},
        "graph": {"triples": kg.stats.get("total"), "inferred": kg.stats.get("inferred")},
        "workload": {
            "queries": [
                {
                    "name": q.name,
                    "bindings": {k: str(v) for k, v in q.bindings.items()},
                    "form": "substituted"
                    if workload.substitute(q.text, q.bindings) is not None
                    else "values",
                }
                for q in queries
            ],
            "questions": len(questions),
            "leftOut": workload.left_out(kg.queries_dir),
        },
    }
    workdir = Path(tempfile.mkdtemp(prefix="kubekg-bench-"))
    try:
        export = workdir / "kubekg.nq"
        data = kg.export("nquads")
        export.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        result["http"] = _http(options, tool, export, workdir, queries, questions, kg, log)
        log("in-process: catalogue queries and public questions")
        result["inProcess"] = _in_process(kg, queries, questions, options.repeats)
        log("load and reasoning in fresh processes")
        result["startup"] = result["http"].pop("startup")
        result["startup"]["graph"] = inprocess.load_and_reasoning()
        result["memory"] = result["http"].pop("memory")
        log(f"scaling: {', '.join(f'{s:,}' for s in options.sizes)} triples")
        base = export.read_bytes()
        result["scaling"] = scaling.run(base, queries, options.sizes, max(3, options.repeats // 2))
        log("simulation benchmarks")
        result["simulation"] = inprocess.simulation(options.short)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result["sparql"] = result["http"].pop("sparql")
    result["ask"] = result["http"].pop("ask")
    result["askGranian"] = result["http"].pop("askGranian")
    result["answersAgree"] = result["http"].pop("answersAgree")
    del result["http"]
    from kubekg.bench.report import judge

    result["targets"] = judge(result)
    result["notes"] = options.notes
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


# ------------------------------------------------------------------------------------------------------ HTTP
def _start(name: str, export: Path, workdir: Path, options: Options) -> servers.Server:
    if name == "kubekg":
        return servers.start_kubekg(workdir, options.workers, options.threads)
    if name == "kubekg-granian":
        return servers.start_kubekg(workdir, options.workers, options.threads, front_end="granian")
    if name == "oxigraph":
        return servers.start_oxigraph(export, workdir)
    if name == "rdflib-endpoint":
        return servers.start_rdflib_endpoint(export, workdir)
    raise ValueError(f"unknown server {name!r}; choose from {', '.join(PEERS)}")


def _rows(body: bytes) -> int | None:
    import json

    try:
        doc = json.loads(body)
    except ValueError:
        return None
    if "boolean" in doc:
        return 1
    return len(doc.get("results", {}).get("bindings", []))


def _http(
    options: Options,
    tool: str,
    export: Path,
    workdir: Path,
    queries: list[workload.CatalogueQuery],
    questions: list[str],
    kg: Any,
    log: Log,
) -> dict[str, Any]:
    import json

    from kubekg.bench.inprocess import consume

    started: dict[str, servers.Server] = {}
    out: dict[str, Any] = {
        "sparql": {"servers": {}, "modes": {}},
        "ask": {},
        "askGranian": {},
        "answersAgree": {},
        "startup": {},
        "memory": {},
    }
    names = ["kubekg", *[p for p in options.peers if p != "kubekg"]]
    try:
        for name in names:
            log(f"starting {name}")
            try:
                server = _start(name, export, workdir, options)
            except servers.PeerUnavailable as exc:
                options.notes.append(f"{name} skipped: {exc}")
                out["sparql"]["servers"][name] = {"skipped": str(exc)}
                if name == "kubekg":
                    raise
                continue
            started[name] = server
            out["sparql"]["servers"][name] = {
                "readySeconds": round(server.ready_seconds, 3),
                "prepareSeconds": round(server.prepare_seconds, 3),
                "queryPath": server.query_path,
            }
            if name in KUBEKG_SERVERS:
                # the workers build the question answerer after they start (in the background): nothing is timed
                # until every worker answers questions promptly, and how long that took is reported
                out["sparql"]["servers"][name]["warmSeconds"] = round(_wait_warm(server, questions), 3)
        # the same answers everywhere before anything is timed
        expected = {q.name: consume(kg.query(q.text, dict(q.bindings))) for q in queries}
        for name, server in started.items():
            got = {}
            for q in queries:
                status, body = load.fetch(
                    server.host, server.port, server.query_path, q.http_text.encode(), load.SPARQL_HEADERS
                )
                got[q.name] = _rows(body) if status == 200 else f"HTTP {status}"
            wrong = {k: {"expected": expected[k], "got": v} for k, v in got.items() if v != expected[k]}
            out["answersAgree"][name] = {"agree": not wrong, "differences": wrong}
            if wrong:
                options.notes.append(
                    f"{name} answers differ from kubekg's in-process answers: {sorted(wrong)}"
                )
        bodies = tuple(q.http_text.encode("utf-8") for q in queries)
        for mode in MODES:
            out["sparql"]["modes"][mode] = {}
            for c in options.concurrency:
                level: dict[str, Any] = {}
                for name, server in started.items():
                    log(f"/sparql {mode} c={c} {name}")
                    mix = load.Mix(server.query_path, bodies, unique=mode == "unique")
                    level[name] = _drive(server, mix, c, options.seconds, tool)
                _ratios(level)
                out["sparql"]["modes"][mode][str(c)] = level
        kubekg = started["kubekg"]
        ask_bodies = tuple(json.dumps({"question": q}, ensure_ascii=False).encode("utf-8") for q in questions)
        mix = load.Mix("/api/ask", ask_bodies, headers=dict(load.JSON_HEADERS))
        status, body = load.fetch(kubekg.host, kubekg.port, "/api/ask", ask_bodies[0], load.JSON_HEADERS)
        if status != 200:
            options.notes.append(f"/api/ask answered HTTP {status}: {body[:200]!r}")
        granian = started.get("kubekg-granian")
        for c in options.concurrency:
            log(f"/api/ask c={c}")
            out["ask"][str(c)] = _drive(kubekg, mix, c, options.seconds, tool)
            if granian is not None:
                log(f"/api/ask c={c} kubekg-granian")
                out["askGranian"][str(c)] = _drive(granian, mix, c, options.seconds, tool)
        out["memory"] = _memory(kubekg)
        if granian is not None:
            out["memory"]["granian"] = _memory(granian)
        out["startup"] = {"coldStartSeconds": [round(kubekg.ready_seconds, 3)]}
    finally:
        for server in started.values():
            server.stop()
    for _ in range(max(0, options.cold_starts - 1)):
        log("cold start")
        again = servers.start_kubekg(workdir, options.workers, options.threads)
        out["startup"]["coldStartSeconds"].append(round(again.ready_seconds, 3))
        again.stop()
    samples = sorted(out["startup"]["coldStartSeconds"])
    out["startup"]["coldStartMedianSeconds"] = samples[len(samples) // 2]
    return out


def _wait_warm(server: servers.Server, questions: list[str], timeout: float = 180.0) -> float:
    """Seconds from process start until 8 questions in a row (fresh connections: any worker) answer in < 100 ms."""
    import json

    started = time.perf_counter()
    fast = 0
    i = 0
    while fast < 8 and time.perf_counter() - started < timeout:
        body = json.dumps({"question": questions[i % len(questions)]}, ensure_ascii=False).encode("utf-8")
        i += 1
        t0 = time.perf_counter()
        try:
            status, _ = load.fetch(server.host, server.port, "/api/ask", body, load.JSON_HEADERS)
        except OSError:
            status = 0
        fast = fast + 1 if status == 200 and time.perf_counter() - t0 < 0.1 else 0
    return server.ready_seconds + time.perf_counter() - started


def _drive(
    server: servers.Server, mix: load.Mix, concurrency: int, seconds: float, tool: str
) -> dict[str, Any]:
    try:
        return load.run(server.host, server.port, mix, concurrency, seconds, tool).to_dict()
    except (RuntimeError, OSError) as exc:
        return {"error": str(exc)}


def _ratios(level: dict[str, Any]) -> None:
    """Each other server's figures relative to kubekg's (gunicorn): rps ratio (peer / kubekg) and p99 ratio."""
    base = level.get("kubekg") or {}
    for name, figures in level.items():
        if name == "kubekg" or "rps" not in figures or not base.get("rps"):
            continue
        figures["rpsRatioToKubekg"] = round(figures["rps"] / base["rps"], 3)
        figures["p99RatioToKubekg"] = (
            round(figures["p99Ms"] / base["p99Ms"], 3) if base.get("p99Ms") else None
        )


def _memory(server: servers.Server) -> dict[str, Any]:
    """Resident memory of the gunicorn master and each worker (VmRSS, and Pss sharing copy-on-write pages)."""
    master = servers.memory_kib(server.process.pid)
    workers = {pid: servers.memory_kib(pid) for pid in servers.child_pids(server.process.pid)}
    others = [
        p for p in servers.group_pids(server.process.pid) if p != server.process.pid and p not in workers
    ]
    rss = [m.get("rss", 0) for m in workers.values()]
    pss = [m.get("pss", 0) for m in workers.values()]
    helpers = [servers.memory_kib(p).get("rss", 0) for p in others]
    return {
        "masterRssMB": round(master.get("rss", 0) / 1024, 1),
        "workers": len(workers),
        "workerRssMB": [round(x / 1024, 1) for x in rss],
        "workerPssMB": [round(x / 1024, 1) for x in pss],
        "maxWorkerRssMB": round(max(rss, default=0) / 1024, 1),
        # processes of the server that are not workers (the shared Kiwi analyser)
        "helperRssMB": [round(x / 1024, 1) for x in helpers],
    }


# ------------------------------------------------------------------------------------------------------ in-process
def _in_process(kg: Any, queries: list[workload.CatalogueQuery], questions: list[str], repeats: int) -> dict:
    from kubekg.qa.engine import get_answerer

    built = time.perf_counter()
    answerer = get_answerer(kg)
    build_seconds = time.perf_counter() - built
    return {
        "questions": inprocess.time_questions(answerer, questions, repeats)
        | {"answererBuildSeconds": build_seconds},
        "catalogue": inprocess.time_catalogue(kg, queries, repeats),
    }
