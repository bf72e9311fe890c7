"""Driving a server with a request mix at a fixed concurrency: ``wrk`` where installed, else a Python client.

Each connection sends its next request as soon as the previous answer arrives (closed loop, keep-alive), rotating
through the mix; in unique mode every request's body gets a distinct trailing SPARQL comment, so no cache keyed on
the query text can answer it. ``wrk`` gets a generated Lua script (POST bodies, rotation, unique suffixes, a JSON
summary from ``done``). The fallback client runs the connections in several processes with keep-alive
``http.client`` connections, so the client is not the bottleneck of a 2-core run. A non-2xx answer is an error.
"""

from __future__ import annotations

import http.client
import json
import math
import multiprocessing
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SPARQL_HEADERS = {"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"}
JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
UNIQUE_FORMAT = "\n# unique {tid}-{n}\n"  # appended to a SPARQL body in unique mode
REQUEST_TIMEOUT = 30.0


@dataclass(frozen=True)
class Mix:
    """What to send: POST bodies rotated over one path with fixed headers; ``unique`` appends a distinct comment."""

    path: str
    bodies: tuple[bytes, ...]
    headers: dict[str, str] = field(default_factory=lambda: dict(SPARQL_HEADERS))
    unique: bool = False


@dataclass
class LoadResult:
    """Throughput and latency of one run."""

    tool: str
    concurrency: int
    seconds: float
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p99_ms: float
    mean_ms: float
    error_detail: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "concurrency": self.concurrency,
            "seconds": round(self.seconds, 3),
            "requests": self.requests,
            "errors": self.errors,
            "errorDetail": self.error_detail,
            "rps": round(self.rps, 1),
            "p50Ms": round(self.p50_ms, 3),
            "p99Ms": round(self.p99_ms, 3),
            "meanMs": round(self.mean_ms, 3),
        }


def wrk_binary() -> str | None:
    """The ``wrk`` load generator (Debian package ``wrk``) if installed."""
    return shutil.which("wrk")


def run(
    host: str, port: int, mix: Mix, concurrency: int, seconds: float, tool: str | None = None
) -> LoadResult:
    """Drive host:port with the mix for about ``seconds`` at ``concurrency`` connections."""
    tool = tool or ("wrk" if wrk_binary() else "python")
    if tool == "wrk":
        return run_wrk(host, port, mix, concurrency, seconds)
    return run_python(host, port, mix, concurrency, seconds)


# ------------------------------------------------------------------------------------------------------- wrk
def _lua_string(data: bytes) -> str:
    """A Lua quoted string holding data exactly (printable ASCII as is, every other byte as a decimal escape)."""
    out = []
    for byte in data:
        if 0x20 <= byte < 0x7F and byte not in (0x22, 0x5C):
            out.append(chr(byte))
        else:
            out.append(f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


def lua_script(mix: Mix) -> str:
    """The wrk script: rotation over the bodies, per-thread offsets, unique suffixes, a JSON summary line."""
    bodies = ",\n".join(_lua_string(b) for b in mix.bodies)
    headers = ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in mix.headers.items())
    unique = "true" if mix.unique else "false"
    return f"""
local bodies = {{
{bodies}
}}
local path = {json.dumps(mix.path)}
local headers = {{ {headers} }}
local unique = {unique}
local counter = 0
local threads = {{}}
local prepared = {{}}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  for i, body in ipairs(bodies) do
    prepared[i] = wrk.format("POST", path, headers, body)
  end
end

function request()
  counter = counter + 1
  local i = (counter + tid * 7) % #bodies + 1
  if unique then
    return wrk.format("POST", path, headers, bodies[i] .. "\\n# unique " .. tid .. "-" .. counter .. "\\n")
  end
  return prepared[i]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {{"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d, ' ..
    '"timeout": %d, "p50_us": %d, "p99_us": %d, "mean_us": %f}}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean))
end
"""


def run_wrk(host: str, port: int, mix: Mix, concurrency: int, seconds: float) -> LoadResult:
    binary = wrk_binary()
    if binary is None:
        raise RuntimeError("wrk is not installed")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, encoding="utf-8") as script:
        script.write(lua_script(mix))
    threads = max(1, min(concurrency, 2))
    argv = [binary, f"-t{threads}", f"-c{concurrency}", f"-d{max(1, math.ceil(seconds))}s"]
    argv += [f"--timeout={int(REQUEST_TIMEOUT)}s", "-s", script.name, f"http://{host}:{port}{mix.path}"]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + REQUEST_TIMEOUT + 30)
    finally:
        Path(script.name).unlink(missing_ok=True)
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCHJSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    data = json.loads(line.split(" ", 1)[1])
    detail = {k: int(data[k]) for k in ("connect", "read", "write", "status", "timeout") if data[k]}
    duration = data["duration_us"] / 1e6
    return LoadResult(
        tool="wrk",
        concurrency=concurrency,
        seconds=duration,
        requests=int(data["requests"]),
        errors=sum(detail.values()),
        rps=data["requests"] / duration if duration else 0.0,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        mean_ms=data["mean_us"] / 1000,
        error_detail=detail,
    )


# ------------------------------------------------------------------------------------------------------- Python
def _connection_loop(
    host: str, port: int, mix: Mix, tid: int, deadline: float, out: list[float], errors: list[int]
) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT)
    n = 0
    try:
        while time.perf_counter() < deadline:
            n += 1
            body = mix.bodies[(n + tid * 7) % len(mix.bodies)]
            if mix.unique:
                body += UNIQUE_FORMAT.format(tid=tid, n=n).encode()
            started = time.perf_counter()
            try:
                conn.request("POST", mix.path, body=body, headers=mix.headers)
                response = conn.getresponse()
                response.read()
                ok = 200 <= response.status < 400
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT)
            out.append(time.perf_counter() - started)
            if not ok:
                errors[0] += 1
    finally:
        conn.close()


def _process_main(args: tuple) -> tuple[list[float], int, float]:
    import threading

    host, port, mix, tids, seconds = args
    latencies: list[float] = []
    errors = [0]
    started = time.perf_counter()
    deadline = started + seconds
    workers = [
        threading.Thread(target=_connection_loop, args=(host, port, mix, tid, deadline, latencies, errors))
        for tid in tids
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return latencies, errors[0], time.perf_counter() - started


def run_python(host: str, port: int, mix: Mix, concurrency: int, seconds: float) -> LoadResult:
    """Connections spread over up to 8 processes (threads inside each), keep-alive http.client."""
    processes = max(1, min(concurrency, 8))
    groups = [list(range(i, concurrency, processes)) for i in range(processes)]
    ctx = multiprocessing.get_context("fork")  # no re-import of __main__; the children only run sockets
    with ctx.Pool(processes) as pool:
        parts = pool.map(_process_main, [(host, port, mix, g, seconds) for g in groups])
    latencies = sorted(x for part in parts for x in part[0])
    errors = sum(part[1] for part in parts)
    duration = max(part[2] for part in parts)
    return LoadResult(
        tool="python",
        concurrency=concurrency,
        seconds=duration,
        requests=len(latencies),
        errors=errors,
        rps=len(latencies) / duration if duration else 0.0,
        p50_ms=percentile(latencies, 50) * 1000,
        p99_ms=percentile(latencies, 99) * 1000,
        mean_ms=(sum(latencies) / len(latencies) * 1000) if latencies else 0.0,
        error_detail={"status": errors} if errors else {},
    )


def percentile(sorted_values: list[float], pct: float) -> float:
    """The nearest-rank percentile of already sorted values (0 for none)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


# ------------------------------------------------------------------------------------------------------- checks
def fetch(host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """One POST: (status, body)."""
    conn = http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT)
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()
