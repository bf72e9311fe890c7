"""The benchmark's request mix: every competency query of ``queries/competency`` with realistic bindings.

kubekg binds variables through pyoxigraph substitutions, which the peers do not have, so for HTTP each query is
sent as self-contained SPARQL: the prefixes kubekg predeclares spelled out, and each bound variable replaced by its
term (N-Triples form; a projected variable becomes ``(term AS ?var)``), which is what substitution does. Where a
variable cannot be replaced in the text (it is also a VALUES or BIND target), the bindings go into a ``VALUES``
block opening the WHERE group instead (graph-core's remote-store rewrite, :func:`kubekg.graph.remote.bind`).
Both give the answers of in-process substitution; a test checks the row counts. Not the VALUES form everywhere:
Oxigraph plans ``VALUES`` + ``BIND(EXISTS ..)`` + ``OPTIONAL`` (is_a.rq) about 80x slower than the substituted
text (16 ms against 0.2 ms), which would make one query the whole benchmark. The bindings are those the
question answerer uses for the public questions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kubekg import ns
from kubekg.paths import queries_dir, shared_dir

KG, KR = ns.KG, ns.KR
XSD = ns.PREFIXES["xsd"]


def _kr(local: str) -> ox.NamedNode:
    return ox.NamedNode(KR + local)


def _kg(local: str) -> ox.NamedNode:
    return ox.NamedNode(KG + local)


def _int(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=ox.NamedNode(XSD + "integer"))


TRUE = ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean"))

# file -> bindings, one realistic question each (the question the binding answers in the comment)
BINDINGS: dict[str, dict[str, ox.NamedNode | ox.Literal]] = {
    # Which reclaim policy deletes the physical volume?
    "boolean_filter.rq": {
        "class": _kg("ReclaimPolicy"),
        "property": _kg("deletesPhysicalData"),
        "flag": TRUE,
    },
    # Is emptyDir deleted with its pod?
    "boolean_value.rq": {"entity": _kr("emptyDir"), "property": _kg("deletedWithPod")},
    # What should I deploy MongoDB with?
    "controller_for_example.rq": {"example": _kr("mongodb")},
    # What is kube-proxy?
    "definition.rq": {"entity": _kr("kube-proxy")},
    # log collection on every node -> the controllers and their descriptions
    "describe.rq": {"class": _kg("WorkloadController"), "entity": _kr("DaemonSet")},
    # Two pods average 300m CPU, each requests 200m, target 50%
    "hpa_replicas.rq": {"current": _int(2), "usage": _int(300), "request": _int(200), "target": _int(50)},
    # What service types are there?
    "instances.rq": {"class": _kg("ServiceType")},
    # Is Ingress a Service type?
    "is_a.rq": {"entity": _kr("Ingress"), "class": _kg("ServiceType")},
    # Does AWS EBS support ReadWriteMany?
    "plugin_supports_capability.rq": {
        "plugin": _kr("awsElasticBlockStore"),
        "capability": _kr("ReadWriteMany"),
    },
    # Which storage supports RWX?
    "plugins_with_capability.rq": {"capability": _kr("ReadWriteMany")},
    # Which plugins support only ReadWriteOnce?
    "plugins_with_only_access_mode.rq": {"capability": _kr("ReadWriteOnce")},
    # Which volumes do not support ROX?
    "plugins_without_capability.rq": {"capability": _kr("ReadOnlyMany")},
    # Which components does kube-apiserver communicate with?
    "relation.rq": {"entity": _kr("kube-apiserver"), "property": _kg("communicatesWith")},
    # Can an HPA scale a DaemonSet?
    "relation_check.rq": {
        "subject": _kr("HorizontalPodAutoscaler"),
        "property": _kg("canScale"),
        "object": _kr("DaemonSet"),
    },
    # What runs on the master node?
    "relation_inverse.rq": {"entity": _kr("master-node"), "property": _kg("runsOn")},
    # Which controller for a one-off job / log collection on every node ...
    "use_case.rq": {"class": _kg("UseCase"), "via": _kg("servedBy"), "entity": _kr("usecase-log-collection")},
    # Which access mode lets many nodes mount a volume read-write?
    "access_mode_by_traits.rq": {"scope": _kr("scope-many-nodes"), "write": TRUE},
    # What can an HPA not scale?
    "relation_denied.rq": {"entity": _kr("HorizontalPodAutoscaler"), "property": _kg("canScale")},
}

PREFIX_LINE = " ".join(f"PREFIX {p}: <{iri}>" for p, iri in ns.PREFIXES.items())


@dataclass(frozen=True)
class CatalogueQuery:
    """One competency query: its file name, text as kubekg runs it, bindings, and the self-contained HTTP text."""

    name: str
    text: str
    bindings: Mapping[str, Any] = field(default_factory=dict)
    http_text: str = ""

    def substitutions(self) -> dict[ox.Variable, Any]:
        return {ox.Variable(k): v for k, v in self.bindings.items()}


def substitute(text: str, bindings: Mapping[str, Any]) -> str | None:
    """The query with each bound variable replaced by its term, or None when a variable cannot be replaced."""
    from kubekg.sparql import lexer

    if not bindings:
        return text
    tokens = lexer.tokenize(text)
    where = lexer.where_group(tokens)
    form = next((i for i, t in enumerate(tokens) if t.depth == 0 and t.is_word("SELECT")), None)
    if where is None or form is None:
        return None
    names = {k.lstrip("?$"): str(v) for k, v in bindings.items()}
    out: list[str] = []
    last = 0
    parens = 0
    for i, tok in enumerate(tokens):
        if tok.text == "(":
            parens += 1
        elif tok.text == ")":
            parens -= 1
        if tok.kind != "var" or tok.text[1:] not in names:
            continue
        before = tokens[i - 1] if i else None
        if before is not None and (
            before.is_word("VALUES", "AS")
            or (before.text == "(" and parens > 0 and i > 1 and tokens[i - 2].is_word("VALUES"))
        ):
            return None
        term = names[tok.text[1:]]
        if form < i < where:
            replacement = f"({term} AS {tok.text})" if parens == 0 else None
            if replacement is None:
                return None
        elif i > where and tok.depth == 0:
            replacement = f"({term})"  # ORDER BY/GROUP BY take a bracketed expression, not a bare term
        else:
            replacement = term
        out.append(text[last : tok.start])
        out.append(replacement)
        last = tok.end
    out.append(text[last:])
    return "".join(out)


def self_contained(text: str, bindings: Mapping[str, Any]) -> str:
    """The query as any SPARQL 1.1 endpoint takes it: PREFIX declarations and the bindings in the text."""
    from kubekg.graph.remote import bind

    substituted = substitute(text, bindings)
    if substituted is None:
        substituted = bind(text, {ox.Variable(k): v for k, v in bindings.items()})
    return PREFIX_LINE + "\n" + substituted


_DECLARED = re.compile(r"^#.*\bbind\b(.*)$", re.M)


def declared_parameters(text: str) -> list[str]:
    """The variables a catalogue query's header says to bind (``# kind: ...; bind ?a and ?b``)."""
    found = _DECLARED.search(text)
    return re.findall(r"\?(\w+)", found.group(1)) if found else []


def catalogue(directory: Path | None = None) -> list[CatalogueQuery]:
    """Every ``competency/*.rq`` with the benchmark's bindings.

    A query that declares parameters the benchmark has no binding for (one added after this table) is left out,
    not run unbound: unbound it would scan the whole graph, which is not the question it answers. See
    :func:`left_out`.
    """
    base = (directory or queries_dir()) / "competency"
    out = []
    for path in sorted(base.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        bindings = BINDINGS.get(path.name, {})
        if declared_parameters(text) and not bindings:
            continue
        out.append(CatalogueQuery(path.name, text, bindings, self_contained(text, bindings)))
    return out


def left_out(directory: Path | None = None) -> list[str]:
    """Catalogue queries with declared parameters but no binding in :data:`BINDINGS` (reported, not run)."""
    base = (directory or queries_dir()) / "competency"
    return [
        p.name
        for p in sorted(base.glob("*.rq"))
        if p.name not in BINDINGS and declared_parameters(p.read_text(encoding="utf-8"))
    ]


def unique_text(text: str, n: int) -> str:
    """The same query made unique by a trailing comment, so no cache keyed on the text can answer it."""
    return f"{text}\n# unique {n}\n"


def public_questions() -> list[str]:
    """The public question set (``../shared/eval/competency_questions.yaml``), or a few built-in ones if absent."""
    import yaml

    shared = shared_dir()
    path = shared / "eval" / "competency_questions.yaml" if shared else None
    if path is not None and path.is_file():
        items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        questions = [str(item["q"]) for item in items if isinstance(item, dict) and item.get("q")]
        if questions:
            return questions
    return [
        "Which storage types support ReadWriteMany?",
        "RWX를 지원하는 스토리지는 무엇인가요?",
        "Does AWS EBS support ReadWriteMany?",
        "What runs on the master node?",
        "HPA를 DaemonSet에 적용할 수 있나요?",
        "What is kube-proxy?",
    ]
