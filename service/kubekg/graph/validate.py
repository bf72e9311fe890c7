"""Validity checks of the asserted graph: HermiT consistency (through owlready2), SHACL (pyshacl), document coverage.

HermiT (owlready2's bundled jar, started as owlready2's ``sync_reasoner_hermit`` starts it) gets only what matters for
DL reasoning, the asserted TBox and ABox without annotation assertions (labels, definitions, notes), and is asked for
class classification only (``-c``): that proves the ontology consistent (HermiT refuses to classify an inconsistent
one) and lists every unsatisfiable class (equivalent to owl:Nothing), without owlready2's property classification
(``-O -D``) and realisation of every individual (``-I``), which made it take ~40 s. Its verdict is cached under the
same key as the materialization. SHACL validates the asserted data, converted once from the store into an rdflib
graph, with ``ontology/shapes/*.ttl`` (SHACL Core, no inference). Coverage compares the tables of the seed markdown,
parsed by ``kubekg.graph.document``, with the ``kg:TableRow`` resources of the graph.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from kubekg import ns
from kubekg.graph.document import Document, normalize_row, parse_document

if TYPE_CHECKING:
    import rdflib

    from kubekg.graph.kg import KnowledgeGraph

HERMIT_CACHE_NAME = "hermit.json"
# HermiT's command line (org.semanticweb.HermiT.cli.CommandLine): -c classifies the classes, which first checks the
# whole ontology (TBox and ABox) for consistency; owlready2 also passes -O -D -I (property classification and
# realisation of every individual), which prove nothing more about consistency or class satisfiability.
HERMIT_ACTIONS = ("-c",)
# A short-lived JVM spends most of its time compiling; the C1 compiler alone halves HermiT's CPU time here.
HERMIT_JVM_OPTIONS = ("-XX:TieredStopAtLevel=1",)
HERMIT_TIMEOUT_SECONDS = 600
OWL_NOTHING = ns.PREFIXES["owl"] + "Nothing"
# Annotation properties OWL 2 builds in (besides any declared owl:AnnotationProperty); their assertions carry no
# DL semantics (OWL 2 Direct Semantics ignores annotations), so HermiT does not need them.
BUILTIN_ANNOTATION_PROPERTIES = frozenset(
    ns.PREFIXES["rdfs"] + p for p in ("label", "comment", "seeAlso", "isDefinedBy")
) | frozenset(
    ns.PREFIXES["owl"] + p for p in ("versionInfo", "deprecated", "priorVersion", "backwardCompatibleWith")
)


def _asserted_graphs(kg: KnowledgeGraph) -> list[ox.NamedNode]:
    return sorted((g for g in kg.store.named_graphs() if g.value != ns.INFERRED_GRAPH), key=str)


def asserted_ntriples(kg: KnowledgeGraph) -> bytes:
    """Every asserted graph merged into one N-Triples document (blank node ids stay stable across graphs)."""
    out = io.BytesIO()
    for g in _asserted_graphs(kg):
        out.write(kg.store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=g))
    return out.getvalue()


def annotation_properties(kg: KnowledgeGraph) -> set[str]:
    """The built-in annotation properties plus every property the asserted graphs declare an owl:AnnotationProperty."""
    declared = kg._select_local(
        "SELECT DISTINCT ?p WHERE { ?p a owl:AnnotationProperty FILTER(isIRI(?p)) }", asserted_only=True
    )
    return set(BUILTIN_ANNOTATION_PROPERTIES) | {r["p"].value for r in declared}


def dl_ntriples(kg: KnowledgeGraph) -> tuple[bytes, int]:
    """The asserted graphs without annotation assertions, as N-Triples, and the number of triples kept."""
    skip = {ox.NamedNode(p) for p in annotation_properties(kg)}
    triples = [
        q.triple
        for g in _asserted_graphs(kg)
        for q in kg.store.quads_for_pattern(None, None, None, g)
        if q.predicate not in skip
    ]
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), len(triples)


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
    triples: int = 0  # triples HermiT was given (annotations left out)

    @property
    def ok(self) -> bool:
        return self.consistent and not self.unsatisfiable and self.error is None


def hermit(kg: KnowledgeGraph, *, use_cache: bool = True) -> HermitResult:
    """Run HermiT on the asserted graphs (annotations left out): consistency and unsatisfiable classes."""
    if use_cache and kg.cache is not None:
        cached = kg.cache.read_json(kg.digest, HERMIT_CACHE_NAME)
        if cached is not None:
            with contextlib.suppress(TypeError):
                return HermitResult(**{**cached, "cached": True})
    started = time.perf_counter()
    data, count = dl_ntriples(kg)
    result = run_hermit(data)
    result.triples, result.seconds = count, time.perf_counter() - started
    if kg.cache is not None and result.error is None:
        with contextlib.suppress(OSError):
            kg.cache.write_json(kg.digest, HERMIT_CACHE_NAME, asdict(result))
    return result


def hermit_command(path: Path) -> list[str]:
    """The java command owlready2's ``sync_reasoner_hermit`` builds (its JAVA_EXE, memory and HermiT classpath), with
    the class-classification action only."""
    import owlready2
    from owlready2 import reasoning

    return [
        owlready2.JAVA_EXE,
        f"-Xmx{reasoning.JAVA_MEMORY}M",
        *HERMIT_JVM_OPTIONS,
        "-cp",
        reasoning._HERMIT_CLASSPATH,
        "org.semanticweb.HermiT.cli.CommandLine",
        *HERMIT_ACTIONS,
        path.as_uri(),
    ]


def run_hermit(data: bytes) -> HermitResult:
    """Classify the classes of an N-Triples ontology with HermiT; unsatisfiable classes of kubekg's namespaces are
    those HermiT puts in an EquivalentClasses axiom with owl:Nothing (parsed with owlready2's own result pattern)."""
    from owlready2 import reasoning

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kubekg-hermit-") as tmp:
        path = Path(tmp) / "asserted.nt"
        path.write_bytes(data)
        try:
            proc = subprocess.run(
                hermit_command(path), capture_output=True, timeout=HERMIT_TIMEOUT_SECONDS, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return HermitResult(False, [], time.perf_counter() - started, error=f"cannot run HermiT: {exc}")
    seconds = time.perf_counter() - started
    out = proc.stdout.decode("utf-8", "replace")
    err = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        if proc.returncode == 1 and "Inconsistent ontology" in out + err:
            return HermitResult(False, [], seconds)
        detail = (err or out).strip().splitlines()
        return HermitResult(
            False, [], seconds, error=f"HermiT exited with {proc.returncode}: {' '.join(detail[:3])}"
        )
    unsat: set[str] = set()
    for relation, iris in reasoning._HERMIT_RESULT_REGEXP.findall(out.replace("\r", "")):
        members = iris.strip()[1:-1].split("> <")
        if relation == "EquivalentClasses" and OWL_NOTHING in members:
            unsat |= {m for m in members if m.startswith(ns.BASE)}
    return HermitResult(True, sorted(unsat), seconds, warnings=[w for w in err.splitlines() if w.strip()])


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
    files = shapes_files(kg)
    if not files:
        return ShaclResult(True, 0, 0, "no SHACL shapes under ontology/shapes/", [], 0.0)
    name = f"shacl-{metadata.version('pyshacl')}.json"  # no pyshacl import on a cache hit
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


def asserted_rdflib_graph(kg: KnowledgeGraph) -> rdflib.Graph:
    """The asserted graphs merged into one rdflib graph, converted term by term from the store (no serialization and
    re-parsing; xsd:string literals become plain literals, as rdflib's own parsers make them)."""
    import rdflib

    xsd_string = ns.PREFIXES["xsd"] + "string"
    iris: dict[str, rdflib.URIRef] = {}
    bnodes: dict[str, rdflib.BNode] = {}

    def term(t: ox.NamedNode | ox.BlankNode | ox.Literal) -> rdflib.term.Node:
        if isinstance(t, ox.NamedNode):
            node = iris.get(t.value)
            if node is None:
                node = iris[t.value] = rdflib.URIRef(t.value)
            return node
        if isinstance(t, ox.BlankNode):
            node = bnodes.get(t.value)
            if node is None:
                node = bnodes[t.value] = rdflib.BNode(t.value)
            return node
        if t.language:
            return rdflib.Literal(t.value, lang=t.language)
        datatype = t.datatype.value
        return (
            rdflib.Literal(t.value) if datatype == xsd_string else rdflib.Literal(t.value, datatype=datatype)
        )

    graph = rdflib.Graph()
    for g in _asserted_graphs(kg):
        for q in kg.store.quads_for_pattern(None, None, None, g):
            graph.add((term(q.subject), term(q.predicate), term(q.object)))
    return graph


def _run_shacl(kg: KnowledgeGraph, files: list[Path]) -> ShaclResult:
    started = time.perf_counter()
    result = shacl_report(asserted_rdflib_graph(kg), files)
    result.seconds = time.perf_counter() - started
    return result


def shacl_report(data: rdflib.Graph, files: list[Path]) -> ShaclResult:
    """Validate an rdflib graph against shape files the way ``kubekg check`` does: SHACL Core (advanced=False), no
    inference, in place (the caller's graph is not copied; SHACL Core never changes it)."""
    import pyshacl
    import rdflib

    started = time.perf_counter()
    shapes = rdflib.Graph()
    for f in files:
        shapes.parse(f, format="turtle")
    conforms, report, text = pyshacl.validate(
        data,
        shacl_graph=shapes,
        inference="none",
        advanced=False,
        inplace=True,
        abort_on_first=False,
        allow_warnings=True,
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


def hermit_and_shacl(kg: KnowledgeGraph, *, use_cache: bool = True) -> tuple[HermitResult, ShaclResult]:
    """Both verdicts, HermiT's JVM running in a thread while pyshacl runs here (the subprocess wait releases the GIL,
    so on two cores the pair takes about as long as the slower one)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kubekg-hermit") as pool:
        future = pool.submit(hermit, kg, use_cache=use_cache)
        s = shacl(kg, use_cache=use_cache)
        return future.result(), s


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
