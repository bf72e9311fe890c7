"""``kubekg bench``: kubekg against Oxigraph server and rdflib-endpoint on this machine; a table and JSON."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EXIT_USAGE = 2


def _ints(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def _peers(text: str) -> tuple[str, ...]:
    from kubekg.bench.runner import PEERS

    names = tuple(x.strip() for x in text.split(",") if x.strip())
    unknown = [n for n in names if n not in PEERS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown server(s) {', '.join(unknown)}; choose from {', '.join(PEERS)}"
        )
    return names


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not 1 <= value <= 600:
        raise argparse.ArgumentTypeError("seconds per measurement must be between 1 and 600")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``kubekg bench`` to the kubekg command."""
    p = subparsers.add_parser(
        "bench",
        help="benchmark kubekg against Oxigraph server and rdflib-endpoint on this machine",
        description="Start kubekg, Oxigraph server and rdflib-endpoint on loopback over the same export, drive "
        "them with the catalogue queries (repeated and unique texts) and the public questions, time the "
        "in-process pipeline, start-up, memory, scaling to a million triples and the simulations; print one "
        "table (and write JSON with --json). Peers come with pip install 'kubekg[bench]'; wrk is used "
        "where installed.",
    )
    p.add_argument("--short", action="store_true", help="the CI form: about a second per measurement")
    p.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON ('-' = stdout)")
    p.add_argument("--seconds", type=_seconds, metavar="S", help="seconds per load measurement (default 5)")
    p.add_argument("--concurrency", type=_ints, metavar="N,N", help="connection counts (default 1,8,32)")
    p.add_argument("--peers", type=_peers, metavar="NAMES", help="servers to run (kubekg always runs)")
    p.add_argument("--tool", choices=["wrk", "python"], help="load generator (default: wrk where installed)")
    p.add_argument("--repeats", type=_ints, metavar="N", help="in-process repetitions per item (default 50)")
    p.add_argument(
        "--sizes", type=_ints, metavar="N,N", help="scaling sizes in triples (default 10k,100k,1M)"
    )
    p.add_argument("--workers", type=int, metavar="N", help="kubekg serve --workers (default: cores)")
    p.add_argument("--threads", type=int, metavar="N", help="kubekg serve --threads")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the benchmark, print the table, write JSON when asked."""
    from kubekg.bench import load, report, runner

    if args.tool == "wrk" and load.wrk_binary() is None:
        print("kubekg bench: --tool wrk, but wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return EXIT_USAGE
    overrides = {
        "seconds": args.seconds,
        "concurrency": args.concurrency,
        "tool": args.tool,
        "repeats": args.repeats[0] if args.repeats else None,
        "sizes": args.sizes,
        "workers": args.workers,
        "threads": args.threads,
    }
    if args.peers is not None:
        overrides["peers"] = ("kubekg", *[p for p in args.peers if p != "kubekg"])
    if args.short:
        options = runner.Options.short_form(**overrides)
    else:
        options = runner.Options(**{k: v for k, v in overrides.items() if v is not None})

    def progress(message: str) -> None:
        if not args.quiet:
            print(f"kubekg bench: {message}", file=sys.stderr, flush=True)

    result = runner.run(options, progress)
    table = report.render(result)
    if args.json is not None and str(args.json) == "-":
        print(json.dumps(result, ensure_ascii=False, indent=2))
        print(table, file=sys.stderr)
        return 0
    print(table)
    if args.json is not None:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        progress(f"wrote {args.json}")
    return 0
