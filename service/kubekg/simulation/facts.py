"""What the simulators take from the knowledge graph: sync period, scalable kinds, plugin abilities, NodePort range.

``Facts`` is the protocol; ``GraphFacts(kg)`` answers it with the SPARQL files in ``queries/simulation/`` (bound
variables, never pasted strings) and ``StaticFacts`` is a test double holding the document's values. Every answer
carries the :class:`Fact` it came from (subject, predicate, object, the section whose named graph holds it) so
a refusal can cite the graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from kubekg import ns

KG, KR = ns.KG, ns.KR
ACCESS_MODE_NAMES = ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod")


def curie(iri: str) -> str:
    """kg:/kr:/ks: short form of an IRI (the IRI itself when no prefix applies)."""
    for prefix in ("ks", "kg", "kr"):
        base = ns.PREFIXES[prefix]
        if iri.startswith(base):
            return f"{prefix}:{iri[len(base) :]}"
    return iri


@dataclass(frozen=True)
class Fact:
    """A graph statement the simulation relied on: ``negative`` for an owl:NegativePropertyAssertion."""

    subject: str
    predicate: str
    object: str
    section: str | None = None
    heading: str | None = None
    negative: bool = False
    evidence: str | None = None  # e.g. the vendor-table row text

    def to_dict(self) -> dict[str, Any]:
        """JSON form with full IRIs and CURIEs."""
        out: dict[str, Any] = {
            "subject": self.subject,
            "predicate": self.predicate,
            "object": self.object,
            "negative": self.negative,
            "statement": (
                f"{'NOT ' if self.negative else ''}{curie(self.subject)} {curie(self.predicate)} {curie(self.object)}"
            ),
            "section": self.section,
            "heading": self.heading,
        }
        if self.evidence:
            out["evidence"] = self.evidence
        return out


@dataclass(frozen=True)
class PluginCapabilities:
    """What the graph says about one volume plugin (by usage name, e.g. ``nfs``)."""

    plugin: str
    label: str | None = None
    #: access mode -> ("supported" | "lacks" | "depends", fact)
    access_modes: dict[str, tuple[str, Fact | None]] = field(default_factory=dict)
    expansion: bool | None = None
    expansion_fact: Fact | None = None
    #: reclaim policy the plugin carries out (Delete, Recycle) -> fact
    reclaim: dict[str, Fact] = field(default_factory=dict)

    @property
    def iri(self) -> str:
        """kr:<usageName>."""
        return KR + self.plugin


class Facts(Protocol):
    """The questions the simulators ask the knowledge graph."""

    source: str

    def hpa_sync_period_seconds(self) -> tuple[int, Fact | None]:
        """The HPA sync (metric check) period in seconds, with its fact."""

    def hpa_scalable_kinds(self) -> dict[str, Fact]:
        """Kinds an HPA can scale (kg:canScale), by kind name."""

    def hpa_unscalable_kinds(self) -> dict[str, Fact]:
        """Kinds an HPA cannot scale (negative kg:canScale assertions), by kind name."""

    def plugin_capabilities(self, plugin: str) -> PluginCapabilities | None:
        """Access modes, expansion and reclaim abilities of a plugin (None when the graph does not know it)."""

    def nodeport_range(self) -> tuple[int, int, Fact | None]:
        """The NodePort range (start, end) with its fact."""


# ---------------------------------------------------------------------------------------------- static double

_VENDOR_TABLE = {
    # usage name: (label, expansion, RWO, ROX, RWX) as the document's vendor table gives them
    "awsElasticBlockStore": ("AWS EBS", True, "O", "X", "X"),
    "azureDisk": ("Azure Disk", True, "O", "X", "X"),
    "azureFile": ("Azure File", False, "O", "O", "O"),
    "gcePersistentDisk": ("GCE PD", True, "O", "O", "X"),
    "glusterfs": ("GlusterFS", True, "O", "O", "O"),
    "portworxVolume": ("Portworx Volume", True, "O", "X", "O"),
    "vsphereVolume": ("vSphere Volume", False, "O", "X", "X"),
    "cephfs": ("CephFS", False, "O", "O", "O"),
    "rbd": ("Ceph RBD", True, "O", "O", "X"),
    "csi": ("CSI", True, "△", "△", "△"),
    "nfs": ("NFS", False, "O", "O", "O"),
    "flexVolume": ("FlexVolume", True, "O", "O", "X"),
    "fc": ("FC", False, "O", "O", "X"),
    "iscsi": ("iSCSI", False, "O", "O", "X"),
}
_DELETERS = ("awsElasticBlockStore", "gcePersistentDisk", "azureDisk")  # the document's list
_RECYCLERS = ("nfs", "hostPath")  # upstream docs
_LEVEL = {"O": "supported", "X": "lacks", "△": "depends"}
_PREDICATE = {
    "supported": "supportsAccessMode",
    "lacks": "lacksAccessMode",
    "depends": "accessModeDependsOnDriver",
}
STATIC_SECTION = ns.SECTION + "static"


class StaticFacts:
    """A Facts double with the document's values (vendor table, HPA 15 s, NodePort 30000-32767)."""

    source = "static"

    def __init__(
        self,
        *,
        sync_period: int = 15,
        scalable: tuple[str, ...] = ("Deployment", "ReplicaSet", "ReplicationController", "StatefulSet"),
        unscalable: tuple[str, ...] = ("DaemonSet",),
        nodeport: tuple[int, int] = (30000, 32767),
        plugins: dict[str, PluginCapabilities] | None = None,
    ) -> None:
        self.sync_period = sync_period
        self.scalable = scalable
        self.unscalable = unscalable
        self.nodeport = nodeport
        self.plugins = plugins if plugins is not None else _static_plugins()

    def hpa_sync_period_seconds(self) -> tuple[int, Fact | None]:
        return self.sync_period, Fact(
            KR + "HorizontalPodAutoscaler",
            KG + "metricCheckPeriodSeconds",
            str(self.sync_period),
            STATIC_SECTION,
        )

    def hpa_scalable_kinds(self) -> dict[str, Fact]:
        return {
            k: Fact(KR + "HorizontalPodAutoscaler", KG + "canScale", KR + k, STATIC_SECTION)
            for k in self.scalable
        }

    def hpa_unscalable_kinds(self) -> dict[str, Fact]:
        return {
            k: Fact(KR + "HorizontalPodAutoscaler", KG + "canScale", KR + k, STATIC_SECTION, negative=True)
            for k in self.unscalable
        }

    def plugin_capabilities(self, plugin: str) -> PluginCapabilities | None:
        return self.plugins.get(plugin)

    def nodeport_range(self) -> tuple[int, int, Fact | None]:
        start, end = self.nodeport
        return start, end, Fact(KR + "NodePort", KG + "portRange", f"{start}-{end}", STATIC_SECTION)


def _static_plugins() -> dict[str, PluginCapabilities]:
    out: dict[str, PluginCapabilities] = {}
    for usage, (label, expansion, rwo, rox, rwx) in _VENDOR_TABLE.items():
        modes = {}
        for mode, cell in zip(ACCESS_MODE_NAMES[:3], (rwo, rox, rwx), strict=True):
            level = _LEVEL[cell]
            modes[mode] = (level, Fact(KR + usage, KG + _PREDICATE[level], KR + mode, STATIC_SECTION))
        reclaim = {}
        if usage in _DELETERS:
            reclaim["Delete"] = Fact(KR + usage, KG + "supportsReclaimPolicy", KR + "Delete", STATIC_SECTION)
        if usage in _RECYCLERS:
            reclaim["Recycle"] = Fact(
                KR + usage, KG + "supportsReclaimPolicy", KR + "Recycle", STATIC_SECTION
            )
        out[usage] = PluginCapabilities(
            usage,
            label,
            modes,
            expansion,
            Fact(KR + usage, KG + "supportsVolumeExpansion", str(expansion).lower(), STATIC_SECTION),
            reclaim,
        )
    out["hostPath"] = PluginCapabilities(
        "hostPath",
        "hostPath",
        reclaim={
            "Recycle": Fact(KR + "hostPath", KG + "supportsReclaimPolicy", KR + "Recycle", STATIC_SECTION)
        },
    )
    return out


DEFAULT_FACTS = StaticFacts()


# ---------------------------------------------------------------------------------------------- the graph


def _value(term: Any) -> str:
    return getattr(term, "value", str(term))


class GraphFacts:
    """Facts read from the knowledge graph with ``queries/simulation/*.rq`` (bound variables), cached per instance.

    A question the graph cannot answer falls back to the StaticFacts value and is listed in ``missing``; the
    answers then say ``source == "graph+static"``.
    """

    def __init__(self, kg: Any, fallback: StaticFacts | None = None) -> None:
        self.kg = kg
        self.fallback = fallback or DEFAULT_FACTS
        self.missing: list[str] = []
        self._cache: dict[str, Any] = {}

    @property
    def source(self) -> str:
        """ "graph", or "graph+static" when some answer came from the fallback."""
        return "graph+static" if self.missing else "graph"

    def _select(self, name: str, bindings: dict[str, str]) -> list[dict[str, Any]]:
        result = self.kg.query_file(f"simulation/{name}", bindings=bindings)
        names = [v.value for v in result.variables]
        rows = []
        for solution in result:
            rows.append({n: solution[n] for n in names if solution[n] is not None})
        return rows

    def _missing(self, what: str) -> None:
        if what not in self.missing:
            self.missing.append(what)

    @staticmethod
    def _section_fact(s: str, p: str, o: str, row: dict[str, Any], **kw: Any) -> Fact:
        graph = _value(row["graph"]) if "graph" in row else None
        section = graph if graph and graph.startswith(ns.SECTION) else None
        return Fact(s, p, o, section or graph, _value(row["heading"]) if "heading" in row else None, **kw)

    def hpa_sync_period_seconds(self) -> tuple[int, Fact | None]:
        if "sync" not in self._cache:
            hpa = KR + "HorizontalPodAutoscaler"
            rows = self._select("hpa-sync-period.rq", {"hpa": hpa})
            rows.sort(key=lambda r: not _value(r.get("graph", "")).startswith(ns.SECTION))
            if rows:
                seconds = int(_value(rows[0]["seconds"]))
                fact = self._section_fact(hpa, KG + "metricCheckPeriodSeconds", str(seconds), rows[0])
                self._cache["sync"] = (seconds, fact)
            else:
                self._missing("kr:HorizontalPodAutoscaler kg:metricCheckPeriodSeconds")
                self._cache["sync"] = self.fallback.hpa_sync_period_seconds()
        return self._cache["sync"]

    def _scale_targets(self) -> tuple[dict[str, Fact], dict[str, Fact]]:
        if "targets" not in self._cache:
            hpa = KR + "HorizontalPodAutoscaler"
            positive: dict[str, Fact] = {}
            negative: dict[str, Fact] = {}
            rows = self._select("hpa-scale-targets.rq", {"autoscaler": hpa})
            rows.sort(key=lambda r: not _value(r.get("graph", "")).startswith(ns.SECTION))
            for row in rows:
                kind_iri = _value(row["kind"])
                if not kind_iri.startswith(KR):
                    continue
                kind = kind_iri[len(KR) :]
                is_positive = _value(row["positive"]) in ("true", "1")
                target = positive if is_positive else negative
                if kind not in target:
                    target[kind] = self._section_fact(
                        hpa, KG + "canScale", kind_iri, row, negative=not is_positive
                    )
            if not positive and not negative:
                self._missing("kr:HorizontalPodAutoscaler kg:canScale")
                positive, negative = self.fallback.hpa_scalable_kinds(), self.fallback.hpa_unscalable_kinds()
            self._cache["targets"] = (positive, negative)
        return self._cache["targets"]

    def hpa_scalable_kinds(self) -> dict[str, Fact]:
        return self._scale_targets()[0]

    def hpa_unscalable_kinds(self) -> dict[str, Fact]:
        return self._scale_targets()[1]

    def plugin_capabilities(self, plugin: str) -> PluginCapabilities | None:
        key = f"plugin:{plugin}"
        if key in self._cache:
            return self._cache[key]
        iri = KR + plugin
        rows = self._select("plugin-capabilities.rq", {"plugin": iri})
        cells = {
            (_value(r["capability"]), _value(r["level"])): r
            for r in self._select("plugin-cells.rq", {"plugin": iri})
        }
        if not rows and not cells:
            self._cache[key] = None
            return None
        label = next((_value(r["label"]) for r in rows if "label" in r), None)
        modes: dict[str, tuple[str, Fact | None]] = {}
        reclaim: dict[str, Fact] = {}
        expansion, expansion_fact = None, None
        level_of = {
            KG + "supportsAccessMode": ("supported", KG + "Supported"),
            KG + "lacksAccessMode": ("lacks", KG + "NotSupported"),
            KG + "accessModeDependsOnDriver": ("depends", KG + "DependsOnDriver"),
        }
        for row in rows:
            predicate, value = _value(row["predicate"]), _value(row["value"])
            if predicate in level_of:
                mode = value[len(KR) :] if value.startswith(KR) else value
                if mode in modes:
                    continue
                level, support_iri = level_of[predicate]
                cell = cells.get((value, support_iri))
                fact = self._section_fact(
                    iri,
                    predicate,
                    value,
                    cell or row,
                    evidence=_value(cell["rowText"]) if cell and "rowText" in cell else None,
                )
                modes[mode] = (level, fact)
            elif predicate == KG + "supportsVolumeExpansion" and expansion is None:
                expansion = value in ("true", "1")
                cell = next((c for (cap, _), c in cells.items() if cap == KR + "volume-expansion"), None)
                expansion_fact = self._section_fact(
                    iri,
                    predicate,
                    str(expansion).lower(),
                    cell or row,
                    evidence=_value(cell["rowText"]) if cell and "rowText" in cell else None,
                )
            elif predicate == KG + "supportsReclaimPolicy":
                policy = value[len(KR) :] if value.startswith(KR) else value
                reclaim.setdefault(policy, self._section_fact(iri, predicate, value, row))
        caps = PluginCapabilities(plugin, label, modes, expansion, expansion_fact, reclaim)
        self._cache[key] = caps
        return caps

    def nodeport_range(self) -> tuple[int, int, Fact | None]:
        if "nodeport" not in self._cache:
            node_port = KR + "NodePort"
            rows = self._select("nodeport-range.rq", {"serviceType": node_port})
            rows.sort(key=lambda r: not _value(r.get("graph", "")).startswith(ns.SECTION))
            if rows:
                start, end = int(_value(rows[0]["start"])), int(_value(rows[0]["end"]))
                fact = self._section_fact(node_port, KG + "portRange", f"{start}-{end}", rows[0])
                self._cache["nodeport"] = (start, end, fact)
            else:
                self._missing("kr:NodePort kg:portRangeStart/kg:portRangeEnd")
                self._cache["nodeport"] = self.fallback.nodeport_range()
        return self._cache["nodeport"]


_GRAPH_FACTS: dict[int, GraphFacts] = {}


def facts_for(kg: Any) -> GraphFacts:
    """The (cached) GraphFacts of a knowledge graph object."""
    found = _GRAPH_FACTS.get(id(kg))
    if found is None or found.kg is not kg:
        found = GraphFacts(kg)
        _GRAPH_FACTS[id(kg)] = found
    return found
