"""The ``kubekg`` command: SPARQL, describe, explain, check and export over the reasoned graph.

Other packages add their own subcommands through ``register(subparsers)`` in ``kubekg.web.cli``,
``kubekg.qa.cli`` and ``kubekg.simulation.cli``; each parser sets ``func`` to a handler ``(args) -> int | None``.
Bad input gets a clear message on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import pyoxigraph as ox

PLUGIN_MODULES = (
    "kubekg.web.cli",
    "kubekg.qa.cli",
    "kubekg.simulation.cli",
    "kubekg.mcp.cli",
    "kubekg.bench.cli",
    "kubekg.hardening.cli",
)
EXIT_USAGE = 2


class UsageError(Exception):
    """Bad input from the command line (exit status 2)."""


# ------------------------------------------------------------------ helpers


def _graph():
    from kubekg.graph import load_graph

    return load_graph()


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def format_table(header: list[str], rows: list[list[str]]) -> str:
    """An aligned text table (East Asian wide characters count double)."""
    cells = [[c.replace("\n", " ") for c in r] for r in rows]
    widths = [max([_width(h)] + [_width(r[i]) for r in cells]) for i, h in enumerate(header)]
    lines = [" | ".join(_pad(h, w) for h, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines)


def _write(out: bytes | str) -> None:
    if isinstance(out, bytes):
        sys.stdout.flush()
        sys.stdout.buffer.write(out) if hasattr(sys.stdout, "buffer") else sys.stdout.write(out.decode())
        if not out.endswith(b"\n"):
            sys.stdout.write("\n")
    else:
        print(out)


# ------------------------------------------------------------------ sparql

RESULT_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}


def _parse_bindings(items: list[str]) -> dict[str, object]:
    from kubekg.graph.terms import TermError, parse_term

    out: dict[str, object] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip("?$ "):
            raise UsageError(f"--bind expects NAME=TERM, got {item!r}")
        try:
            out[name.strip().lstrip("?$")] = parse_term(value)
        except TermError as exc:
            raise UsageError(f"--bind {name}: {exc}") from exc
    return out


def cmd_sparql(args: argparse.Namespace) -> int:
    from kubekg.graph.terms import display

    text = args.query
    path = Path(text)
    if len(text) < 4096 and "\n" not in text and path.is_file():
        text = path.read_text(encoding="utf-8")
    kg = _graph()
    try:
        result = kg.query(text, _parse_bindings(args.bind), asserted_only=args.asserted_only)
    except SyntaxError as exc:
        raise UsageError(f"invalid SPARQL: {exc}") from exc
    fmt = args.format
    if isinstance(result, ox.QueryTriples):
        if fmt in RESULT_FORMATS:
            raise UsageError(
                f"--format {fmt} is for SELECT and ASK; use turtle or table for CONSTRUCT/DESCRIBE"
            )
        if fmt == "turtle":
            from kubekg import ns

            _write(ox.serialize(list(result), format=ox.RdfFormat.TURTLE, prefixes=ns.PREFIXES))
        else:
            from kubekg.graph.terms import compact

            triples = [[compact(t.subject), compact(t.predicate), compact(t.object)] for t in result]
            print(format_table(["subject", "predicate", "object"], triples))
            print(f"({len(triples)} triples)")
        return 0
    if fmt == "turtle":
        raise UsageError("--format turtle is for CONSTRUCT and DESCRIBE queries; use table, json, csv or tsv")
    if fmt in RESULT_FORMATS:
        _write(result.serialize(format=RESULT_FORMATS[fmt]))
        return 0
    if isinstance(result, ox.QueryBoolean):
        print("true" if bool(result) else "false")
        return 0
    names = [v.value for v in result.variables]
    rows = [[display(sol[n]) if sol[n] is not None else "" for n in names] for sol in result]
    print(format_table(names, rows))
    print(f"({len(rows)} rows)")
    return 0


# ------------------------------------------------------------------ describe


def _render_description(d: dict) -> str:
    lines = [f"{d['id']}  <{d['iri']}>"]
    labels = d["labels"]
    lines.append(f"  label: {labels.get('en') or '-'} / {labels.get('ko') or '-'}")
    if d["altLabels"]:
        lines.append(f"  also: {', '.join(d['altLabels'])}")
    for lang in ("en", "ko"):
        if d["definitions"].get(lang):
            lines.append(f"  definition ({lang}): {d['definitions'][lang]}")
    if d["types"]:
        lines.append(
            "  types: " + ", ".join(t["id"] + (" (inferred)" if t["inferred"] else "") for t in d["types"])
        )
    if d["outgoing"]:
        lines.append("  relations:")
        for e in d["outgoing"]:
            mark = "  [inferred]" if e["inferred"] else ""
            lines.append(
                f"    {e['predicateId']} -> {e['objectId']}"
                + (
                    f" ({e['objectLabel']})"
                    if e["objectType"] == "iri" and e["objectLabel"] != e["objectId"]
                    else ""
                )
                + mark
            )
    if d["incoming"]:
        lines.append("  referenced by:")
        for e in d["incoming"]:
            mark = "  [inferred]" if e["inferred"] else ""
            lines.append(f"    {e['subjectId']} {e['predicateId']}{mark}")
    if d["sections"]:
        lines.append("  sections:")
        lines += [f"    {s['id']}: {s['headingPath']}" for s in d["sections"]]
    if d["rows"]:
        lines.append("  document rows:")
        lines += [
            f"    {r['iri'].rsplit('/', 1)[-1]}: {(r['text'] or '').replace(chr(10), ' ')}" for r in d["rows"]
        ]
    if d["errata"]:
        lines.append("  errata:")
        for e in d["errata"]:
            corr = e["correction"].get("en") or e["correction"].get("ko")
            lines.append(f"    {e['iri'].rsplit('/', 1)[-1]}: document says {e['documentSays']!r} -> {corr}")
    return "\n".join(lines)


def cmd_describe(args: argparse.Namespace) -> int:
    kg = _graph()
    matches = kg.resolve(args.term)
    if not matches:
        print(f"kubekg: no entity has the label, abbreviation or IRI {args.term!r}", file=sys.stderr)
        return 1
    descriptions = [kg.describe(iri) for iri in matches]
    if args.json:
        print(
            json.dumps(
                descriptions if len(descriptions) > 1 else descriptions[0], ensure_ascii=False, indent=2
            )
        )
    else:
        print("\n\n".join(_render_description(d) for d in descriptions))
    return 0


# ------------------------------------------------------------------ explain


def cmd_explain(args: argparse.Namespace) -> int:
    from kubekg.graph import ExplainError

    kg = _graph()
    try:
        exp = kg.explain(args.subject, args.predicate, args.object)
    except ExplainError as exc:
        raise UsageError(str(exc)) from exc
    if args.json:
        print(json.dumps(exp.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(exp.render())
    return 0 if exp.status != "absent" else 1


# ------------------------------------------------------------------ check


def run_check(kg, *, hermit_cache: bool = True, seed: Path | None = None) -> dict:  # noqa: ANN001 - KnowledgeGraph
    """Every validity figure ``kubekg check`` prints, as a dict (coverage None when the seed is absent)."""
    from kubekg.graph import validate
    from kubekg.graph.document import seed_path

    h, s = validate.hermit_and_shacl(kg, use_cache=hermit_cache)  # HermiT's JVM runs while pyshacl does
    seed = seed or seed_path()
    cov = validate.coverage(kg, seed) if seed is not None else None
    return {
        "consistency": {
            "consistent": h.consistent,
            "unsatisfiable": h.unsatisfiable,
            "error": h.error,
            "seconds": round(h.seconds, 3),
            "cached": h.cached,
        },
        "shacl": {
            "conforms": s.conforms,
            "violations": s.violations,
            "warnings": s.warnings,
            "shapes": s.shapes_files,
            "text": s.text,
            "seconds": round(s.seconds, 3),
            "cached": s.cached,
        },
        "coverage": None
        if cov is None
        else {
            "represented": cov.represented,
            "total": cov.total,
            "percent": round(cov.percent, 1),
            "missing": [m.__dict__ for m in cov.missing],
        },
        "errata": kg.errata(),
        "triples": kg.stats["triples"],
        "total_triples": kg.stats["total"],
        "load_seconds": round(kg.stats["load_seconds"], 4),
        "reasoning_seconds": round(kg.stats["reasoning_seconds"], 4),
        "cold_reasoning_seconds": kg.stats.get("cold_reasoning_seconds"),
        "cache_hit": kg.stats["cache_hit"],
        "rounds": kg.stats["rounds"],
        "rules": kg.stats["rules"],
    }


def check_passed(report: dict) -> bool:
    """Consistent with every class satisfiable, SHACL-valid, and 100% table coverage (when the seed is present)."""
    c, s, cov = report["consistency"], report["shacl"], report["coverage"]
    return (
        c["consistent"]
        and not c["unsatisfiable"]
        and not c["error"]
        and s["conforms"]
        and (cov is None or cov["represented"] == cov["total"])
    )


def _render_check(r: dict) -> str:
    from kubekg.graph.terms import compact, graph_name

    c, s, cov = r["consistency"], r["shacl"], r["coverage"]
    out = []
    if c["error"]:
        out.append(f"consistency:   ERROR running HermiT: {c['error']}")
    else:
        verdict = "consistent" if c["consistent"] else "INCONSISTENT"
        unsat = ", ".join(compact(u) for u in c["unsatisfiable"]) or "none"
        out.append(
            f"consistency:   {verdict} (HermiT via owlready2, {c['seconds']} s{', cached' if c['cached'] else ''})"
        )
        out.append(f"unsatisfiable: {unsat}")
    out.append(
        f"SHACL:         {'conforms' if s['conforms'] else 'DOES NOT CONFORM'}, {s['violations']} violations, "
        f"{s['warnings']} warnings ({len(s['shapes'])} shape files, {s['seconds']} s{', cached' if s['cached'] else ''})"
    )
    if not s["conforms"]:
        out += ["    " + line for line in s["text"].splitlines()[:60]]
    if cov is None:
        out.append("coverage:      not measured (the seed document ../shared/seed is absent; see --seed)")
    else:
        out.append(
            f"coverage:      {cov['represented']}/{cov['total']} table rows represented ({cov['percent']}%)"
        )
        for m in cov["missing"][:40]:
            out.append(
                f"    missing line {m['line']} ({m['heading_path'].rsplit(' > ', 1)[-1]}): {m['text'][:100]}"
            )
        if len(cov["missing"]) > 40:
            out.append(f"    ... and {len(cov['missing']) - 40} more")
    out.append(f"errata:        {len(r['errata'])}")
    for e in r["errata"]:
        about = ", ".join(compact(a) for a in e["about"]) or "-"
        corr = e["correction"].get("en") or e["correction"].get("ko") or "-"
        out.append(f"  {compact(e['iri'])} about {about}:")
        out.append(f"      document says: {e['documentSays'] or '-'}")
        out.append(f"      correction:    {corr}")
    out.append(f"triples:       {r['total_triples']} in {len(r['triples'])} graphs")
    for g, n in r["triples"].items():
        out.append(f"  {n:>7}  {graph_name(g)}")
    cold = r["cold_reasoning_seconds"]
    out.append(
        f"load time:     {r['load_seconds']} s ({'from cache' if r['cache_hit'] else 'parsed and reasoned'}); "
        f"reasoning {r['reasoning_seconds']} s this run"
        + (f", {round(cold, 4)} s when built" if cold is not None else "")
        + f" ({r['rules']} rules, {r['rounds']} rounds)"
    )
    out.append("result:        " + ("OK" if check_passed(r) else "FAILED"))
    return "\n".join(out)


def cmd_check(args: argparse.Namespace) -> int:
    kg = _graph()
    if args.seed is not None and not args.seed.is_file():
        raise UsageError(f"--seed {args.seed}: no such file")
    report = run_check(kg, hermit_cache=not args.no_cache, seed=args.seed)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(_render_check(report))
    return 0 if check_passed(report) else 1


# ------------------------------------------------------------------ export


def cmd_export(args: argparse.Namespace) -> int:
    data = _graph().export(args.format)
    if args.output and args.output != "-":
        from kubekg.graph.cache import atomic_write

        atomic_write(Path(args.output), data)
        print(f"wrote {len(data)} bytes to {args.output}", file=sys.stderr)
    else:
        _write(data)
    return 0


# ------------------------------------------------------------------ parser and main


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kubekg", description="A knowledge graph of a Kubernetes overview.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("sparql", help="run a SPARQL query (text or file) over the reasoned graph")
    p.add_argument("query", metavar="QUERY_OR_FILE")
    p.add_argument("--format", choices=["table", "json", "csv", "tsv", "turtle"], default="table")
    p.add_argument("--asserted-only", action="store_true", help="hide the inferred graph")
    p.add_argument(
        "--bind", action="append", metavar="NAME=TERM", help="bind a variable (IRI, kr:x or literal)"
    )
    p.set_defaults(func=cmd_sparql)

    p = sub.add_parser("describe", help="everything about an entity, by label, abbreviation or IRI")
    p.add_argument("term", metavar="TERM")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_describe)

    p = sub.add_parser("explain", help="why a triple holds: rule chain down to document rows")
    p.add_argument("subject", metavar="SUBJECT")
    p.add_argument("predicate", metavar="PREDICATE")
    p.add_argument("object", metavar="OBJECT")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser("check", help="consistency, SHACL, document coverage, errata, counts and timing")
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--no-cache", action="store_true", help="rerun HermiT and SHACL even when their verdicts are cached"
    )
    p.add_argument(
        "--seed", type=Path, metavar="FILE", help="the seed markdown (default: ../shared/seed/...)"
    )
    p.set_defaults(func=cmd_check)

    p = sub.add_parser(
        "export", help="the whole graph with its named graphs, for loading into a SPARQL server"
    )
    p.add_argument("--format", choices=["nquads", "trig"], default="nquads")
    p.add_argument("-o", "--output", metavar="FILE")
    p.set_defaults(func=cmd_export)

    for name in PLUGIN_MODULES:
        module = _plugin(name)
        if module is not None:
            module.register(sub)
    return parser


def _plugin(name: str):  # noqa: ANN202 - a module
    """Import ``kubekg.<pkg>.cli`` when its file exists; real import errors propagate."""
    parent, _, leaf = name.rpartition(".")
    spec = importlib.util.find_spec(parent)
    if spec is None or not spec.submodule_search_locations:
        return None
    if not any((Path(loc) / f"{leaf}.py").is_file() for loc in spec.submodule_search_locations):
        return None
    return importlib.import_module(name)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``kubekg`` console script; returns the exit status."""
    from kubekg.graph import OntologyLoadError, ReasoningError, RuleError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed the usage message
        return int(exc.code or 0)
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        print(f"kubekg {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (OntologyLoadError, RuleError, ReasoningError) as exc:
        print(f"kubekg: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
