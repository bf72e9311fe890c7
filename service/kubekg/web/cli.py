"""``kubekg serve``: flags that override ``KUBEKG_*`` settings, validated before anything starts (exit 2 if bad)."""

from __future__ import annotations

import argparse
import sys

from kubekg.config import SETTINGS, Config
from kubekg.errors import ConfigError

EXIT_CONFIG = 2
# flag -> setting; every flag is optional and overrides the environment
FLAGS: dict[str, str] = {
    "--server": "SERVER",
    "--host": "HOST",
    "--port": "PORT",
    "--workers": "WORKERS",
    "--threads": "THREADS",
    "--timeout": "QUERY_TIMEOUT",
    "--max-timeout": "MAX_TIMEOUT",
    "--max-rows": "MAX_ROWS",
    "--max-patterns": "MAX_PATTERNS",
    "--max-body-bytes": "MAX_BODY_BYTES",
    "--max-question-chars": "MAX_QUESTION_CHARS",
    "--store": "STORE",
    "--updates": "UPDATES",
    "--update-token": "UPDATE_TOKEN",
    "--data-dir": "DATA_DIR",
    "--extra-data": "EXTRA_DATA",
    "--cors-origins": "CORS_ORIGINS",
    "--service-allowlist": "SERVICE_ALLOWLIST",
    "--log-level": "LOG_LEVEL",
    "--cache-dir": "CACHE_DIR",
    "--simulation-timeout": "SIMULATION_TIMEOUT",
    "--max-recorded-runs": "MAX_RECORDED_RUNS",
    "--response-cache": "RESPONSE_CACHE",
}
GRANIAN_NOTE = """\
granian (opt-in) serves the same preloaded app in WORKERS forked processes with THREADS Python threads each.
It does NOT keep two gunicorn guarantees:
  - a worker is not recycled after a runaway query (one whose evaluation outlived its timeout): the client
    still gets its 503 at the deadline, but the evaluation thread keeps a core busy until the engine returns;
  - SPARQL Update is refused (UPDATES=on with SERVER=granian is a configuration error, exit 2): a runaway
    update would hold the update log's exclusive lock until its worker retires, which only gunicorn does.
Also absent under granian: gunicorn's worker heartbeat timeout and the LIMIT_REQUEST_LINE cap (granian's own
HTTP/1 buffer limits apply)."""
_FLAG_OF = {setting: flag for flag, setting in FLAGS.items()}
_HELP = {s.name: s.help for s in SETTINGS}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``kubekg serve`` to the kubekg command."""
    parser = subparsers.add_parser(
        "serve",
        help="serve the SPARQL endpoint, REST API and web pages (gunicorn, or granian with --server granian)",
        description="Serve kubekg under gunicorn (default) or granian (--server granian, pip install\n"
        "'kubekg[granian]'). Each flag overrides its KUBEKG_* environment variable; a bad value stops\n"
        "start-up with exit status 2.",
        epilog=GRANIAN_NOTE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for flag, name in FLAGS.items():
        kwargs = {
            "dest": name,
            "default": None,
            "metavar": name,
            "help": f"{_HELP[name]} (env KUBEKG_{name})",
        }
        if name == "EXTRA_DATA":
            parser.add_argument(flag, action="append", **kwargs)
        else:
            parser.add_argument(flag, **kwargs)
    parser.add_argument(
        "--print-config",
        action="store_true",
        help="print the resolved configuration and exit without serving",
    )
    parser.set_defaults(func=run)


def load_config(args: argparse.Namespace) -> Config:
    """The Config from defaults, the environment and the flags given (ConfigError names the flag or variable)."""
    overrides = {name: getattr(args, name, None) for name in FLAGS.values()}
    if overrides.get("EXTRA_DATA"):
        overrides["EXTRA_DATA"] = ",".join(overrides["EXTRA_DATA"])
    return Config.load(overrides, override_label=lambda name: _FLAG_OF.get(name, name))


def run(args: argparse.Namespace) -> int:
    """Validate the configuration, then serve (or print it with --print-config)."""
    try:
        config = load_config(args)
    except ConfigError as exc:
        print(f"kubekg serve: {exc.message}", file=sys.stderr)
        return EXIT_CONFIG
    if args.print_config:
        width = max(len(name) for name, _, _ in config.describe())
        for name, value, help_text in config.describe():
            print(f"{name:<{width}}  {value}    # {help_text}")
        return 0
    from kubekg.web.serve import serve

    return serve(config)
