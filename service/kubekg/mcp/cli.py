"""``kubekg mcp``: serve the kubekg MCP server over stdio (configured like the service, by ``KUBEKG_*`` variables)."""

from __future__ import annotations

import argparse
import logging
import sys

EXIT_CONFIG = 2


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``kubekg mcp`` to the kubekg command."""
    parser = subparsers.add_parser(
        "mcp",
        help="serve the MCP tools, resources and prompt over stdio (for MCP chat clients)",
        description="Serve kubekg as an MCP server over stdin/stdout. Settings (QUERY_TIMEOUT, MAX_ROWS, STORE, "
        "CACHE_DIR, ...) come from the KUBEKG_* environment variables, as for `kubekg serve`. Logs go to stderr.",
    )
    parser.add_argument(
        "--log-level",
        default="WARNING",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="log level on stderr (default WARNING)",
    )
    parser.add_argument(
        "--no-warm-up",
        dest="warm_up",
        action="store_false",
        help="do not build the question-answering indexes in the background at start-up",
    )
    parser.set_defaults(func=cmd_mcp)


def cmd_mcp(args: argparse.Namespace) -> int:
    """Load the graph and serve until the client closes stdin."""
    from kubekg.errors import ConfigError
    from kubekg.mcp.server import run_stdio, stdio_context

    logging.basicConfig(stream=sys.stderr, level=getattr(logging, args.log_level), force=True)
    try:
        ctx = stdio_context()
    except ConfigError as exc:
        print(f"kubekg mcp: {exc.message}", file=sys.stderr)
        return EXIT_CONFIG
    run_stdio(ctx, warm=args.warm_up)
    return 0
