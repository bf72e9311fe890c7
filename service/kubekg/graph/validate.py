"""Validity checks of the asserted graph: HermiT consistency (through owlready2), SHACL (pyshacl), document coverage.

HermiT runs on the asserted TBox and ABox only (never the inferred graph) and takes seconds, so its verdict is
cached under the same key as the materialization. SHACL validates the asserted data with ``ontology/shapes/*.ttl``.
Coverage compares the tables of the seed markdown, parsed by ``kubekg.graph.document``, with the ``kg:TableRow``
resources of the graph.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
import time
import warnings
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from kubekg import ns
from kubekg.graph.document import Document, normalize_row, parse_document

if TYPE_CHECKING:
    from kubekg.graph.kg import KnowledgeGraph

HERMIT_CACHE_NAME = "hermit.json"


def asserted_ntriples(kg: KnowledgeGraph) -> bytes:
    """Every asserted graph merged into one N-Triples document (blank node ids stay stable across graphs)."""
    out = io.BytesIO()
    for g in sorted(kg.store.named_graphs(), key=str):
        if g.value != ns.INFERRED_GRAPH:
            out.write(kg.store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=g))
    return out.getvalue()


# -------------------------------------------------------------------- HermiT


@dataclass
class HermitResult:
    """HermiT's verdict on the asserted ontology."""

    consistent: bool
    unsatisfiable: list[str] = field(default_factory=list)
    seconds: float = 0.0
    cached: bool = False
    error: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.consistent and not self.unsatisfiable and self.error is None


def hermit(kg: KnowledgeGraph, *, use_cache: bool = True) -> HermitResult:
    """Run HermiT through owlready2 on the asserted graphs: consistency and unsatisfiable classes."""
    if use_cache and kg.cache is not None:
        cached = kg.cache.read_json(kg.digest, HERMIT_CACHE_NAME)
        if cached is not None:
            with contextlib.suppress(TypeError):
                return HermitResult(**{**cached, "cached": True})
    result = _run_hermit(asserted_ntriples(kg))
    if kg.cache is not None and result.error is None:
        with contextlib.suppress(OSError):
            kg.cache.write_json(kg.digest, HERMIT_CACHE_NAME, asdict(result))
    return result


def _run_hermit(data: bytes) -> HermitResult:
    import owlready2

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kubekg-hermit-") as tmp:
        path = Path(tmp) / "asserted.nt"
        path.write_bytes(data)
        world = owlready2.World()
        caught: list[warnings.WarningMessage] = []
        try:
            with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(io.StringIO()):
                warnings.simplefilter("always")
                with path.open("rb") as fh:
                    onto = world.get_ontology("https://kubekg.dev/check/asserted").load(
                        fileobj=fh, format="ntriples"
                    )
                with onto:
                    owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
            unsat = sorted(c.iri for c in world.inconsistent_classes() if c.iri.startswith(ns.BASE))
            return HermitResult(
                True, unsat, time.perf_counter() - started, warnings=[str(w.message) for w in caught]
            )
        except owlready2.OwlReadyInconsistentOntologyError:
            return HermitResult(
                False, [], time.perf_counter() - started, warnings=[str(w.message) for w in caught]
            )
        except (owlready2.OwlReadyJavaError, OSError) as exc:
            return HermitResult(False, [], time.perf_counter() - started, error=str(exc))
        finally:
            world.close()


# -------------------------------------------------------------------- SHACL


@dataclass
class ShaclResult:
    """pyshacl's verdict on the asserted data."""

    conforms: bool
    violations: int
    warnings: int
    text: str
    shapes_files: list[str]
    seconds: float
    cached: bool = False


def shapes_files(kg: KnowledgeGraph) -> list[Path]:
    return sorted((kg.ontology_dir / "shapes").glob("*.ttl"))


def shacl(kg: KnowledgeGraph, *, use_cache: bool = True) -> ShaclResult:
    """Validate the asserted graphs (TBox included, so targets follow rdfs:subClassOf) against the shapes.

    The verdict is cached beside the materialization (the shapes are among the hashed ontology files); pass
    ``use_cache=False`` after changing the store at run time.
    """
    import pyshacl

    files = shapes_files(kg)
    if not files:
        return ShaclResult(True, 0, 0, "no SHACL shapes under ontology/shapes/", [], 0.0)
    name = f"shacl-{pyshacl.__version__}.json"
    if use_cache and kg.cache is not None:
        cached = kg.cache.read_json(kg.digest, name)
        if cached is not None:
            with contextlib.suppress(TypeError):
                return ShaclResult(**{**cached, "cached": True})
    result = _run_shacl(kg, files)
    if kg.cache is not None:
        with contextlib.suppress(OSError):
            kg.cache.write_json(kg.digest, name, asdict(result))
    return result


def _run_shacl(kg: KnowledgeGraph, files: list[Path]) -> ShaclResult:
    import pyshacl
    import rdflib

    started = time.perf_counter()
    data = rdflib.Graph()
    data.parse(data=asserted_ntriples(kg), format="nt")
    shapes = rdflib.Graph()
    for f in files:
        shapes.parse(f, format="turtle")
    conforms, report, text = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", abort_on_first=False, allow_warnings=True
    )
    sh = rdflib.Namespace(ns.PREFIXES["sh"])
    severities = Counter(report.objects(None, sh.resultSeverity))
    return ShaclResult(
        bool(conforms),
        severities[sh.Violation],
        severities[sh.Warning],
        text,
        [f.name for f in files],
        time.perf_counter() - started,
    )


# -------------------------------------------------------------------- document coverage


@dataclass
class MissingRow:
    """A document table row with no represented ``kg:TableRow`` in the graph."""

    heading_path: str
    table_header: str
    row_index: int
    line: int
    text: str


@dataclass
class CoverageResult:
    """Rows represented / rows total over every table of the seed document."""

    represented: int
    total: int
    missing: list[MissingRow]
    unmatched_graph_rows: list[str]

    @property
    def percent(self) -> float:
        return 100.0 * self.represented / self.total if self.total else 100.0

    @property
    def complete(self) -> bool:
        return self.represented == self.total


def _key(text: str) -> str:
    return normalize_row(text)


def _loose_key(text: str) -> str:
    return "".join(text.split())


def coverage(kg: KnowledgeGraph, document: Document | Path | str | None = None) -> CoverageResult:
    """Match every document table row with a graph ``kg:TableRow`` whose ``kg:cells`` equals it and that represents
    at least one entity (texts compared with whitespace normalized; rows that repeat are matched by count)."""
    doc = document if isinstance(document, Document) else parse_document(document)
    rows = kg._select_local(
        """SELECT ?r ?cells (COUNT(?e) AS ?n) WHERE {
             ?r a kg:TableRow ; kg:cells ?cells . OPTIONAL { ?r kg:represents ?e }
           } GROUP BY ?r ?cells""",
        asserted_only=True,
    )
    available: dict[str, list[str]] = {}
    loose: dict[str, list[str]] = {}
    for r in rows:
        if int(r["n"].value) > 0:
            available.setdefault(_key(r["cells"].value), []).append(r["r"].value)
            loose.setdefault(_loose_key(r["cells"].value), []).append(r["r"].value)
    used: set[str] = set()
    missing: list[MissingRow] = []
    for table, row in doc.rows:
        candidates = [x for x in available.get(_key(row.text), []) if x not in used]
        if not candidates:
            candidates = [x for x in loose.get(_loose_key(row.text), []) if x not in used]
        if candidates:
            used.add(candidates[0])
        else:
            missing.append(MissingRow(table.heading_path, table.header, row.index, row.line, row.text))
    unmatched = sorted(r["r"].value for r in rows if r["r"].value not in used)
    total = len(doc.rows)
    return CoverageResult(total - len(missing), total, missing, unmatched)
