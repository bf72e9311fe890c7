"""The storage and networking errata: each is complete (what the document says, the correction in both languages,
the reason, an upstream reference), lives in its section's graph, and the graph holds the corrected fact."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kubekg import ns

ERRATA = {  # erratum slug -> section slug
    "iscsi-usage-name": "volume-access-modes",
    "glusterfs-usage-name": "volume-access-modes",
    "azurefile-expansion-outdated": "volume-access-modes",
    "flexvolume-rwx-outdated": "volume-access-modes",
    "in-tree-plugins-removed": "volume-access-modes",
    "usage-table-external-storage-kind": "volume-features",
    "usage-table-stray-character": "volume-features",
    "access-modes-must-include": "pv-pvc-binding",
    "selector-matches-labels": "pv-pvc-binding",
    "static-provisioning-claim-waits": "pv-provisioning",
    "retain-returns-to-provisioning": "pv-lifecycle",
    "recycle-deprecated": "pv-lifecycle",
    "delete-physical-deletion-plugins": "pv-lifecycle",
    "container-bridge-range-owner": "pod-network",
    "pause-container-communication": "pod-network",
    "externalname-proxies-nothing": "service-network",
    "clusterip-health-check": "service-nodeport-loadbalancer",
    "nodeport-opened-on-all-nodes": "service-nodeport-loadbalancer",
    "c-example-missing-semicolon": "service-nodeport-loadbalancer",
    "nodeport-range-configurable": "service-nodeport-loadbalancer",
}


@pytest.mark.parametrize(("slug", "section"), ERRATA.items(), ids=list(ERRATA))
def test_erratum_is_complete_and_in_its_section(kg, slug: str, section: str) -> None:
    e, g = ns.KR + "erratum/" + slug, ns.SECTION + section
    assert kg.ask(
        "ASK { GRAPH ?g { ?e a kg:Erratum ; kg:inSection ?g } }", {"e": e, "g": g}, asserted_only=True
    )
    says = kg.select("SELECT ?v WHERE { ?e kg:documentSays ?v }", {"e": e})
    assert [r["v"].language for r in says] == ["ko"]
    assert {r["v"].language for r in kg.select("SELECT ?v WHERE { ?e kg:correction ?v }", {"e": e})} == {
        "en",
        "ko",
    }
    assert "en" in {r["v"].language for r in kg.select("SELECT ?v WHERE { ?e kg:reason ?v }", {"e": e})}
    refs = kg.select("SELECT ?v WHERE { ?e kg:reference ?v }", {"e": e})
    assert refs and all(
        r["v"].datatype.value.endswith("#anyURI") and r["v"].value.startswith("https://") for r in refs
    )
    assert kg.select("SELECT ?k WHERE { ?e kg:errataKind ?k }", {"e": e})
    # an affected row belongs to a table of the same section
    for r in kg.select("SELECT ?row WHERE { ?e kg:affectsRow ?row }", {"e": e}):
        assert kg.ask("ASK { ?row kg:inTable ?t . ?t kg:inSection ?g }", {"row": r["row"], "g": g})


def test_document_quotes_match_the_rows(kg) -> None:
    """Where one of these errata quotes a whole row, the quote is that row's text ."""
    quoted = 0
    for slug in ERRATA:
        rows = kg.select(
            "SELECT ?says ?cells WHERE { ?e kg:documentSays ?says ; kg:affectsRow ?row . ?row kg:cells ?cells }",
            {"e": ns.KR + "erratum/" + slug},
        )
        for r in rows:
            says, cells = r["says"].value, r["cells"].value
            if "|" in says:
                quoted += 1
                assert says == cells, slug
    assert quoted >= 4


def test_corrected_facts_are_in_the_graph(kg) -> None:
    assert kg.ask('ASK { kr:iscsi kg:usageName "iscsi" }')
    assert not kg.ask('ASK { ?p kg:usageName "fc" ; rdfs:label "iSCSI"@en }')
    assert kg.ask('ASK { kr:glusterfs kg:usageName "glusterfs" }')
    assert kg.ask("ASK { kr:usage-db-external-storage-data kg:volumeKind kr:network-volume }")
    assert kg.ask("ASK { kr:usage-db-pod-node-data kg:removedWithPod false }")
    assert kg.ask("ASK { kr:binding-condition-access-modes kg:comparison 'subset' }")
    assert kg.ask("ASK { kr:Retain kg:resultingPhase kr:phase-Released }")
    assert kg.ask("ASK { kr:Recycle kg:resultingPhase kr:phase-Available ; kg:deprecated true }")
    assert kg.ask("ASK { kr:ExternalName kg:proxiesTraffic false }")
    assert kg.ask("ASK { kr:container-bridge-range kg:configuredBy kr:docker }")
    assert kg.ask("ASK { kr:NodePort kg:opensPortOnAllNodes true }")
    assert kg.ask("ASK { kr:binding-condition-selector kg:comparison 'selector-matches' }")
    assert kg.ask(
        "ASK { kr:static-provisioning-example kg:requestSucceeds false ; kg:claimPhaseName 'Pending' }"
    )
    assert kg.ask(
        'ASK { kr:NodePort kg:portRange "30000-32767" ; kg:portRangeFlag "--service-node-port-range" }'
    )


def test_outdated_capabilities_keep_the_documents_values(kg) -> None:
    """Azure File expansion and FlexVolume RWX stay X (the eval's gold follows the document); errata record upstream."""
    assert kg.ask("ASK { kr:azureFile kg:supportsVolumeExpansion false }")
    assert kg.ask("ASK { kr:flexVolume kg:lacksAccessMode kr:ReadWriteMany }")
    for slug in ("azurefile-expansion-outdated", "flexvolume-rwx-outdated"):
        assert kg.ask("ASK { ?e kg:errataKind 'outdated' }", {"e": ns.KR + "erratum/" + slug})


@pytest.mark.parametrize(
    "fragment", ["#include", "return 0", "stdio", "\\frac", "s^2+1", "document.execCommand"]
)
def test_boilerplate_is_not_knowledge(kg, fragment: str) -> None:
    """The C snippet, the "for Test" formula and the copy-button script appear only inside an erratum's quote."""
    rows = kg.select(
        "SELECT ?s WHERE { ?s ?p ?o FILTER(ISLITERAL(?o) && CONTAINS(STR(?o), ?f)) }",
        {"f": ox.Literal(fragment)},
    )
    holders = {r["s"].value for r in rows}
    assert all(kg.ask("ASK { ?s a kg:Erratum }", {"s": s}) for s in holders), (
        f"{fragment!r} appears outside errata: {holders}"
    )
