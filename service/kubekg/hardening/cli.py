"""``kubekg soak``: the full soak test as a command (20,000 mixed requests over 64 connections by default)."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``kubekg soak`` to the kubekg command."""
    parser = subparsers.add_parser(
        "soak",
        help="send many mixed requests to a live kubekg and print the figures (errors, p99, memory)",
        description="Soak test: mixed SPARQL, question, simulation, API and page requests over keep-alive "
        "connections. Without --url it starts its own `kubekg serve` on a free loopback port. Exits 1 when a "
        "request failed, a worker was lost or the workers' memory grew by 10%% or more between the first and "
        "the last quarter.",
    )
    parser.add_argument("--requests", type=int, default=20_000, help="requests to send (default 20000)")
    parser.add_argument("--concurrency", type=int, default=64, help="keep-alive connections (default 64)")
    parser.add_argument("--url", help="base URL of a running kubekg (default: start one)")
    parser.add_argument("--master-pid", type=int, help="gunicorn master PID of --url, to watch its workers")
    parser.add_argument("--workers", type=int, default=2, help="workers of the server it starts (default 2)")
    parser.add_argument(
        "--threads", type=int, default=4, help="threads per worker of that server (default 4)"
    )
    parser.set_defaults(func=cmd_soak)


def cmd_soak(args: argparse.Namespace) -> int:
    from kubekg.hardening.soak import run_soak

    if args.requests < 1 or args.concurrency < 1:
        print("kubekg soak: --requests and --concurrency must be at least 1", file=sys.stderr)
        return 2
    server = None
    url, master = args.url, args.master_pid
    if url is None:
        from kubekg.sparql.testing import LiveServer

        log = Path(tempfile.mkdtemp(prefix="kubekg-soak-")) / "server.log"
        server = LiveServer({"WORKERS": args.workers, "THREADS": args.threads}, log_path=log)
        print(
            f"starting kubekg serve ({args.workers} workers x {args.threads} threads; log {log}) ...",
            flush=True,
        )
        server.start()
        url, master = server.base, server.process.pid if server.process else None
    try:
        report = run_soak(
            url, args.requests, args.concurrency, master_pid=master, progress=lambda s: print(s, flush=True)
        )
    finally:
        if server is not None:
            server.stop()
    print(f"soak: {report.summary()}")
    for sample in report.error_samples:
        print(f"  error: {sample}")
    verdict = "PASS" if report.ok() else "FAIL"
    print(f"soak: {verdict} (zero errors and timeouts, no worker lost, memory growth under 10%)")
    return 0 if report.ok() else 1
