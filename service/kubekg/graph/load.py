"""Load the ontology Turtle files into a pyoxigraph store, one named graph per module, as TEAM.md's layout fixes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kubekg import ns


class OntologyLoadError(Exception):
    """An ontology file cannot be parsed; the message names the file and the line."""

    def __init__(self, path: Path, line: int | None, column: int | None, detail: str) -> None:
        self.path, self.line, self.column, self.detail = path, line, column, detail
        where = f"{path}:{line}" if line else str(path)
        if line and column:
            where += f":{column}"
        super().__init__(f"cannot parse {where}: {detail}")


@dataclass
class LoadReport:
    """Which file went into which named graph, and which files were left out."""

    files: dict[str, str] = field(default_factory=dict)  # relative path -> graph IRI
    ignored: list[str] = field(default_factory=list)


def ontology_files(ontology_dir: Path) -> list[tuple[Path, str]]:
    """Every Turtle file to load with its target graph IRI, in a stable order."""
    plan: list[tuple[Path, str]] = []
    core = ontology_dir / "core.ttl"
    if core.is_file():
        plan.append((core, ns.ONTOLOGY_GRAPH))
    plan += [(p, ns.ONTOLOGY_GRAPH) for p in sorted((ontology_dir / "tbox").glob("*.ttl"))]
    for name in ("document.ttl", "errata.ttl"):
        if (ontology_dir / name).is_file():
            plan.append((ontology_dir / name, ns.DOCUMENT_GRAPH))
    plan += [(p, ns.SECTION + p.stem) for p in sorted((ontology_dir / "facts").glob("*.ttl"))]
    return plan


def ignored_files(ontology_dir: Path) -> list[str]:
    """Turtle files under the ontology directory that the layout does not place in any graph (shapes excepted)."""
    planned = {p for p, _ in ontology_files(ontology_dir)}
    out = []
    for p in sorted(ontology_dir.rglob("*.ttl")):
        rel = p.relative_to(ontology_dir)
        if p not in planned and rel.parts[0] != "shapes":
            out.append(str(rel))
    return out


def _load_error(path: Path, exc: Exception) -> OntologyLoadError:
    if isinstance(exc, SyntaxError):
        detail = exc.msg if isinstance(exc.msg, str) else str(exc)
        return OntologyLoadError(path, exc.lineno, exc.offset, detail)
    return OntologyLoadError(path, None, None, str(exc))


def parse_file(path: Path) -> list[ox.Triple]:
    """Parse one Turtle file, raising OntologyLoadError with the file and line on a syntax error."""
    try:
        return [q.triple for q in ox.parse(path=path, format=ox.RdfFormat.TURTLE, rename_blank_nodes=True)]
    except (SyntaxError, OSError, ValueError) as exc:
        raise _load_error(path, exc) from exc


REQUIRED_FILES = ("core.ttl", "document.ttl")  # TEAM.md's fixed layout
REQUIRED_DIRS = ("tbox", "facts")  # each must hold at least one Turtle file


def check_layout(ontology_dir: Path) -> None:
    """Raise OntologyLoadError naming the first missing file of the fixed layout (a missing file is an error, not an
    empty graph: a server must not start on half an ontology)."""
    for name in REQUIRED_FILES:
        if not (ontology_dir / name).is_file():
            raise OntologyLoadError(
                ontology_dir / name, None, None, "the file is missing (the layout requires it)"
            )
    for name in REQUIRED_DIRS:
        if not any((ontology_dir / name).glob("*.ttl")):
            raise OntologyLoadError(
                ontology_dir / name, None, None, "no Turtle file found (the layout requires at least one)"
            )


def load_into(store: ox.Store, ontology_dir: Path) -> LoadReport:
    """Load every ontology file into its named graph (parsed in Rust straight into the store; blank nodes are
    renamed per load, so files never share them). Raises OntologyLoadError naming the file and line."""
    ontology_dir = Path(ontology_dir)
    if not ontology_dir.is_dir():
        raise FileNotFoundError(f"ontology directory {ontology_dir} does not exist")
    check_layout(ontology_dir)
    report = LoadReport(ignored=ignored_files(ontology_dir))
    for path, graph in ontology_files(ontology_dir):
        try:
            store.load(path=path, format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(graph))
        except (SyntaxError, OSError, ValueError) as exc:
            raise _load_error(path, exc) from exc
        report.files[str(path.relative_to(ontology_dir))] = graph
    return report
