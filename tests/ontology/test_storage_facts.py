"""Key storage facts of the graph (volumes, usage table, PV/PVC, lifecycle, reclaim, access modes), each asked with
SPARQL over the reasoned graph, and every row of the storage sections' tables present with its exact text."""

from __future__ import annotations

import pytest

from kubekg import ns

STORAGE_SLUGS = [
    "volume-relation",
    "volume-features",
    "pv-pvc",
    "pv-pvc-binding",
    "pv-lifecycle",
    "pv-provisioning",
    "volume-access-modes",
]


# ------------------------------------------------------------------ rows of every storage table


def test_every_storage_table_row_is_in_its_section(kg, seed_tables) -> None:
    tables = [t for t in seed_tables if t.slug in STORAGE_SLUGS]
    assert {t.slug for t in tables} == set(STORAGE_SLUGS)
    for table in tables:
        table_iri = f"{ns.KR}table/{table.slug}-{table.number}"
        header = kg.select(
            "SELECT ?h WHERE { GRAPH ?g { ?t a kg:Table ; kg:header ?h ; kg:inSection ?g ; kg:order ?n } }",
            {"t": table_iri, "g": ns.SECTION + table.slug},
        )
        assert [r["h"].value for r in header] == [table.header], table_iri
        for i, text in enumerate(table.rows, 1):
            got = kg.select(
                "SELECT ?cells ?i (COUNT(?e) AS ?n) WHERE { GRAPH ?g { ?r a kg:TableRow ; kg:inTable ?t ; "
                "kg:rowIndex ?i ; kg:cells ?cells ; kg:represents ?e } } GROUP BY ?cells ?i",
                {
                    "r": f"{ns.KR}row/{table.slug}-{table.number}-{i}",
                    "t": table_iri,
                    "g": ns.SECTION + table.slug,
                },
            )
            assert len(got) == 1, f"{table.slug} table {table.number} row {i} missing"
            assert got[0]["cells"].value == text
            assert int(got[0]["i"].value) == i
            assert int(got[0]["n"].value) >= 1


# ------------------------------------------------------------------ volumes and the usage table


def test_volume_kinds_and_types(en_labels, kg) -> None:
    assert kg.ask(
        "ASK { kr:emptyDir a kg:PodLocalVolume . kr:hostPath a kg:NodeLocalVolume . kr:nfs a kg:NetworkVolume }"
    )
    assert en_labels("?x kg:deletedWithPod true . ?x a kg:VolumeType") == {"emptyDir"}
    assert kg.ask(
        "ASK { kr:hostPath kg:deletedWithPod false ; kg:dataFollowsPodToOtherNode false ; kg:mountsNodeFileSystem true }"
    )
    assert kg.ask("ASK { kr:emptyDir kg:storedOn kr:node-disk , kr:tmpfs-memory }")
    # the volume kind rule gives every network plugin "not deleted with the pod"
    assert kg.ask("ASK { kr:awsElasticBlockStore kg:deletedWithPod false }")
    assert not kg.ask("ASK { kr:awsElasticBlockStore kg:deletedWithPod ?b }", asserted_only=True)


@pytest.mark.parametrize(
    ("usage", "category", "kind", "removed"),
    [
        ("usage-app-temp-space", "application", "pod-local-volume", True),
        ("usage-app-config-reference", "application", "pod-local-volume", True),
        ("usage-app-pod-node-files", "application", "node-local-volume", False),
        ("usage-app-specific-node-files", "application", "node-local-volume", False),
        ("usage-app-external-storage-files", "application", "network-volume", False),
        ("usage-db-config-reference", "database", "pod-local-volume", True),
        ("usage-db-pod-node-data", "database", "node-local-volume", False),
        ("usage-db-specific-node-data", "database", "node-local-volume", False),
        ("usage-db-external-storage-data", "database", "network-volume", False),
    ],
)
def test_usage_table_entries(kg, usage: str, category: str, kind: str, removed: bool) -> None:
    rows = kg.select(
        "SELECT ?cat ?kind ?removed WHERE { ?u a kg:VolumeUsage ; kg:usageCategory ?cat ; kg:volumeKind ?kind ; "
        "kg:removedWithPod ?removed }",
        {"u": ns.KR + usage},
    )
    assert [(r["cat"].value, r["kind"].value, r["removed"].value) for r in rows] == [
        (ns.KR + "usage-category-" + category, ns.KR + kind, str(removed).lower())
    ]


def test_mounting_styles_prefer_pv(en_labels, kg) -> None:
    assert en_labels("?x a kg:MountingStyle ; kg:preferred true") == {"PV mounting"}
    assert kg.ask(
        "ASK { kr:mounting-emptyDir a kg:LocalMountingStyle . kr:mounting-direct a kg:NetworkMountingStyle }"
    )


# ------------------------------------------------------------------ PV / PVC


def test_pv_and_pvc_roles(en_labels, kg) -> None:
    assert kg.ask(
        "ASK { kr:PersistentVolume kg:providedBy kr:cluster-operator . kr:PersistentVolumeClaim kg:requestedBy kr:developer }"
    )
    optional = en_labels("?x kg:fieldOf kr:PersistentVolume ; kg:optional true")
    assert optional == {
        "PV labels",
        "PV storageClassName",
        "PV persistentVolumeReclaimPolicy",
        "PV volumeMode",
    }


def test_matching_conditions(kg) -> None:
    rows = kg.select("SELECT ?c ?cmp WHERE { ?c a kg:BindingCondition ; kg:comparison ?cmp }")
    comparisons = {r["c"].value.rsplit("/", 1)[1]: r["cmp"].value for r in rows}
    assert comparisons["binding-condition-storage-class"] == "equal"
    assert comparisons["binding-condition-capacity"] == "less-or-equal"
    assert comparisons["binding-condition-one-to-one"] == "one-to-one"
    assert comparisons["binding-condition-access-modes"] == "subset"  # corrected (erratum)
    assert comparisons["binding-condition-selector"] == "selector-matches"


def test_provisioning(kg) -> None:
    assert kg.ask(
        "ASK { kr:static-provisioning-example kg:exampleOf kr:static-provisioning ; kg:pvCapacityGB 100 ; "
        "kg:requestedGB 150 ; kg:requestSucceeds false }"
    )
    assert kg.ask(
        "ASK { kr:dynamic-provisioning-example kg:storagePoolGB 1000 ; kg:requestedGB 200 ; kg:requestSucceeds true }"
    )
    assert kg.ask(
        "ASK { kr:dynamic-provisioning kg:usesStorageClass kr:StorageClass ; kg:requires kr:csi-driver }"
    )
    steps = kg.select(
        "SELECT ?s ?o WHERE { ?s a kg:ProvisioningStep ; kg:partOfProcedure kr:dynamic-provisioning ; kg:order ?o }"
    )
    assert sorted(int(r["o"].value) for r in steps) == list(range(1, 8))
    chain = kg.select("SELECT ?a WHERE { ?a kg:nextStep ?b . ?a kg:partOfProcedure kr:dynamic-provisioning }")
    assert len(chain) == 6


# ------------------------------------------------------------------ lifecycle, reclaim, phases


def test_lifecycle_stages_are_ordered(kg) -> None:
    rows = kg.select("SELECT ?s ?o WHERE { ?s a kg:PVLifecycleStage ; kg:order ?o }")
    order = [r["s"].value.rsplit("-", 1)[1] for r in sorted(rows, key=lambda r: int(r["o"].value))]
    assert order == ["provisioning", "binding", "using", "reclaiming", "deleting"]
    assert len(kg.select("SELECT * WHERE { ?a kg:nextStage ?b }")) == 4
    assert kg.ask("ASK { kr:pv-stage-deleting kg:onlyWithPolicy kr:Delete }")


def test_deletion_order(kg) -> None:
    assert kg.ask(
        "ASK { kr:pv-deletion-when-in-use kg:deleteFirst kr:Pod ; kg:deleteThen kr:PersistentVolumeClaim }"
    )
    assert kg.ask("ASK { kr:pv-deletion-when-bound kg:deleteFirst kr:PersistentVolumeClaim }")
    items = kg.select(
        "SELECT ?t WHERE { GRAPH ks:pv-lifecycle { ?i a kg:ListItem ; kg:itemText ?t ; kg:represents ?e } }"
    )
    assert len({r["t"].value for r in items}) == 2


def test_reclaim_policies(en_labels, kg) -> None:
    assert en_labels("?x a kg:ReclaimPolicy ; kg:deletesPhysicalData true") == {"Delete"}
    assert en_labels("?x kg:supportsReclaimPolicy kr:Delete") == {"AWS EBS", "GCE PD", "Azure Disk"}
    assert en_labels("?x kg:supportsReclaimPolicy kr:Recycle") == {"NFS", "hostPath"}
    assert kg.ask("ASK { kr:Retain kg:resultingPhase kr:phase-Released ; kg:keepsClaimRef true }")
    assert kg.ask(
        "ASK { kr:Recycle kg:resultingPhase kr:phase-Available ; kg:scrubsVolume true ; kg:deprecated true }"
    )
    for policy in ("Retain", "Delete", "Recycle"):
        langs = {
            r["e"].language for r in kg.select("SELECT ?e WHERE { ?p kg:effect ?e }", {"p": ns.KR + policy})
        }
        assert langs == {"en", "ko"}


def test_pv_phases(kg) -> None:
    rows = kg.select("SELECT ?n WHERE { ?p a kg:PVPhase ; kg:phaseName ?n ; kg:upstreamSource ?u }")
    assert {r["n"].value for r in rows} == {"Pending", "Available", "Bound", "Released", "Failed"}


# ------------------------------------------------------------------ access modes


def test_access_modes(kg) -> None:
    rows = kg.select(
        "SELECT ?m ?scope ?w WHERE { ?m a kg:AccessMode ; kg:mountScope ?scope ; kg:allowsWrite ?w }"
    )
    got = {r["m"].value.rsplit("/", 1)[1]: (r["scope"].value.rsplit("/", 1)[1], r["w"].value) for r in rows}
    assert got == {
        "ReadWriteOnce": ("scope-one-node", "true"),
        "ReadOnlyMany": ("scope-many-nodes", "false"),
        "ReadWriteMany": ("scope-many-nodes", "true"),
        "ReadWriteOncePod": ("scope-one-pod", "true"),
    }
    for mode, abbreviation in [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ]:
        assert kg.ask(
            "ASK { ?m skos:altLabel ?a FILTER(STR(?a) = ?s) }", {"m": ns.KR + mode, "s": _lit(abbreviation)}
        )


def test_rwop_is_only_for_csi_upstream(en_labels, kg) -> None:
    assert en_labels("?x kg:accessModeDependsOnDriver kr:ReadWriteOncePod") == {"CSI"}
    assert not kg.ask("ASK { ?x kg:supportsAccessMode kr:ReadWriteOncePod }")
    assert len(kg.select("SELECT ?x WHERE { ?x kg:lacksAccessMode kr:ReadWriteOncePod }")) == 13
    assert kg.ask("ASK { ?c kg:upstreamSource ?u }", {"c": ns.KR + "cell/csi-RWOP"})


def test_aws_ebs_does_not_support_rwx(kg) -> None:
    assert not kg.ask("ASK { kr:awsElasticBlockStore kg:supportsAccessMode kr:ReadWriteMany }")
    assert kg.ask("ASK { kr:awsElasticBlockStore kg:lacksAccessMode kr:ReadWriteMany }")


def _lit(text: str):
    import pyoxigraph as ox

    return ox.Literal(text)
