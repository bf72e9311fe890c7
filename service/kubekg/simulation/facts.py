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
