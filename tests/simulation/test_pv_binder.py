"""Claim-to-volume matching (index_test.go cases): access-mode groups fewest first, smallest inside, pre-bound wins."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pv_fixtures import ROX, RWO, RWX, pv, pvc

from kubekg.simulation.objects import parse_pvc
from kubekg.simulation.pv.binder import (
    VolumeIndex,
    check_access_modes,
    find_best_match,
    find_best_match_reference,
    key_text,
    possible_mode_keys,
    volume_mode_mismatch,
)

GLUSTER = {"glusterfs": {"endpoints": "e", "path": "p"}}
LOCAL = {"local": {"path": "/mnt"}}


def _volumes():
    """createTestVolumes, deliberately out of order."""
    return [
        pv("gce003", "10G"),
        pv("gce004", "20G", "def456", "someone-else", "Bound"),
        pv("nfs002", "5G", modes=[RWO, ROX, RWX], source=GLUSTER),
        pv("gce001", "1G", "abc123", "someone-else", "Bound"),
        pv("nfs003", "10G", modes=[RWO, ROX, RWX], source=GLUSTER),
        pv("gce002", "5G"),
        pv("nfs001", "1G", modes=[RWO, ROX, RWX], source=GLUSTER),
        pv("gce0022", "20000G", modes=[RWO], labels={"should-exist": "true"}),
        pv(
            "gce0023",
            "10000G",
            "",
            "",
            "Available",
            "Retain",
            "silver",
            modes=[RWO],
            labels={"should-exist": "true"},
        ),
        pv("gce0024", "100G", "", "", "Available", "Retain", "silver", modes=[RWO]),
        pv("gce0025", "50G", "", "", "Available", "Retain", "gold", modes=[RWO]),
        pv("local001", "200E", "", "", "Available", "Retain", "large", modes=[RWO, ROX, RWX], source=LOCAL),
        pv("local002", "800E", "", "", "Available", "Retain", "large", modes=[RWO, ROX, RWX], source=LOCAL),
    ]


SHOULD_EXIST = {"matchLabels": {"should-exist": "true"}}
MATCH_VOLUME = [
    ("successful-match-gce-10", pvc("claim01", "u", "8G", klass=None, modes=[ROX, RWO]), "gce003"),
    ("successful-match-nfs-5", pvc("claim01", "u", "5G", modes=[ROX, RWO, RWX]), "nfs002"),
    ("successful-skip-1g-bound-volume", pvc("claim01", "u", "1G"), "gce002"),
    ("successful-no-match", pvc("claim01", "u", "999G"), None),
    (
        "successful-no-match-due-to-label",
        pvc("claim01", "u", "999G", selector={"matchLabels": {"should-not-exist": "true"}}),
        None,
    ),
    (
        "successful-no-match-due-to-size-constraint-with-label-selector",
        pvc("claim01", "u", "20000G", modes=[ROX, RWO], selector=SHOULD_EXIST),
        None,
    ),
    (
        "successful-match-due-with-constraint-and-label-selector",
        pvc("claim01", "u", "20000G", modes=[RWO], selector=SHOULD_EXIST),
        "gce0022",
    ),
    (
        "successful-match-with-class",
        pvc("claim01", "u", "1G", klass="silver", modes=[RWO], selector=SHOULD_EXIST),
        "gce0023",
    ),
    (
        "successful-match-with-class-and-labels",
        pvc("claim01", "u", "1G", klass="silver", modes=[RWO]),
        "gce0024",
    ),
    ("successful-match-very-large", pvc("claim01", "u", "1E", klass="large", modes=[RWO]), "local001"),
    (
        "successful-match-exact-extremely-large",
        pvc("claim01", "u", "800E", klass="large", modes=[RWO]),
        "local002",
    ),
    ("successful-no-match-way-too-large", pvc("claim01", "u", "950E", klass="large", modes=[RWO]), None),
]


@pytest.mark.parametrize(
    ("claim", "expected"), [c[1:] for c in MATCH_VOLUME], ids=[c[0] for c in MATCH_VOLUME]
)
def test_match_volume(claim, expected):
    """TestMatchVolume."""
    got = find_best_match(_volumes(), claim, False).volume
    assert (got.name if got else None) == expected
    reference = find_best_match_reference(_volumes(), claim, False)
    assert (reference.name if reference else None) == expected


def test_all_possible_access_modes():
    """TestAllPossibleAccessModes: RWO is in 3 index keys, RWX in 1; fewest modes first."""
    index = VolumeIndex(_volumes())
    keys = possible_mode_keys(index.mode_keys, [RWO])
    assert [key_text(k) for k in keys] == ["RWO", "RWO,ROX", "RWO,ROX,RWX"]
    assert [key_text(k) for k in possible_mode_keys(index.mode_keys, [RWX])] == ["RWO,ROX,RWX"]


def test_list_by_access_modes_is_by_exact_set():
    """TestListByAccessModes: RWO+ROX lists the gce volumes only; [ROX,RWO] is the same key."""
    index = VolumeIndex(_volumes())
    names = sorted(v.name for v in index.volumes_with_modes(("ReadWriteOnce", "ReadOnlyMany")))
    assert names == ["gce001", "gce002", "gce003", "gce004"]


def test_matching_with_bound_volumes():
    """TestMatchingWithBoundVolumes: a bound twin is skipped."""
    vols = [pv("gce001", "1G", "abc123", "other", "Bound"), pv("gce002", "1G")]
    assert find_best_match(vols, pvc("claim01", "u", "1G"), False).volume.name == "gce002"


def test_finding_volume_with_different_access_modes():
    """TestFindingVolumeWithDifferentAccessModes: the group with fewest modes wins before size."""
    gce = pv("gce", "10G")
    ebs = pv("ebs", "10G", modes=[RWO], source={"awsElasticBlockStore": {"volumeID": "v"}})
    nfs = pv("nfs", "10G", modes=[RWO, ROX, RWX], source={"nfs": {"server": "s", "path": "/"}})

    def best(vols, modes):
        return find_best_match(vols, pvc("claim01", "u", "1G", modes=modes), False).volume.name

    assert best([gce, ebs, nfs], [RWO]) == "ebs"
    assert best([gce, ebs, nfs], [RWO, ROX]) == "gce"
    assert best([gce, ebs, nfs], [RWX, RWO, ROX]) == "nfs"
    assert best([gce, ebs, nfs], [RWX]) == "nfs"
    ebs_taken = pv(
        "ebs", "10G", "", "someone", modes=[RWO], source={"awsElasticBlockStore": {"volumeID": "v"}}
    )
    ebs_taken.claim_ref = type(ebs_taken.claim_ref)("", "", "")  # an empty claimRef {} is someone else's
    assert best([gce, ebs_taken, nfs], [RWO]) == "gce"
    gce_taken = pv("gce", "10G", "", "someone")
    assert best([gce_taken, ebs_taken, nfs], [RWO]) == "nfs"
    assert best([gce, ebs_taken, nfs], [ROX]) == "gce"


def test_smaller_volume_in_a_wider_group_loses():
    """A 10G RWO-only PV beats a 1G RWO+ROX PV for an RWO claim."""
    vols = [pv("wide-small", "1G"), pv("narrow-big", "10G", modes=[RWO])]
    assert find_best_match(vols, pvc("c", "u", "1G", modes=[RWO]), False).volume.name == "narrow-big"


def test_finding_prebound_volumes():
    """TestFindingPreboundVolumes: a pre-bound PV wins even when larger, unless too small or in the wrong mode group."""
    claim = pvc("claim01", "uid-c", "1Gi", modes=[RWO])

    def vols(prebound=None):
        base = {"pv1": "1Gi", "pv5": "5Gi", "pv8": "8Gi", "pvBadSize": "1Mi", "pvBadMode": "1Gi"}
        out = []
        for name, size in base.items():
            modes = [ROX] if name == "pvBadMode" else [RWO]
            ref = ("", "claim01") if name == prebound else ("", "")
            out.append(pv(name, size, ref[0], ref[1], source={"hostPath": {"path": "/"}}, modes=modes))
        return out

    assert find_best_match(vols(), claim, False).volume.name == "pv1"
    foo = vols()
    foo[0] = pv(
        "pv1", "1Gi", "", "foo", source={"hostPath": {"path": "/"}}, modes=[RWO], claim_namespace="bar"
    )
    assert find_best_match(foo, claim, False).volume.name == "pv5"
    match = find_best_match(vols("pv8"), claim, False)
    assert (match.volume.name, match.prebound) == ("pv8", True)
    assert find_best_match(vols("pvBadSize"), claim, False).volume.name == "pv1"
    assert find_best_match(vols("pvBadMode"), claim, False).volume.name == "pv1"


def test_prebound_ignores_phase_class_and_selector():
    claim = pvc("claim01", "u", "1Gi", klass="gold", modes=[RWO], selector={"matchLabels": {"tier": "x"}})
    prebound = pv("released", "5Gi", "", "claim01", "Released", "Retain", "silver", modes=[RWO])
    assert (
        find_best_match(
            [prebound, pv("ok", "1Gi", modes=[RWO], klass="gold", labels={"tier": "x"})], claim, False
        ).volume.name
        == "released"
    )


def test_prebound_to_another_uid_is_skipped():
    claim = pvc("claim01", "uid-new", "1Gi", modes=[RWO])
    old = pv("old", "1Gi", "uid-old", "claim01", "Released", modes=[RWO])
    assert find_best_match([old], claim, False).volume is None


def test_best_match_delayed():
    """TestBestMatchDelayed: WaitForFirstConsumer makes the PV controller bind nothing but pre-bound volumes."""
    assert find_best_match(_volumes(), pvc("claim01", "u", "8G", modes=[ROX, RWO]), True).volume is None
    prebound = pv("pre", "10Gi", "", "claim01")
    assert (
        find_best_match(
            [*_volumes(), prebound], pvc("claim01", "u", "8G", modes=[ROX, RWO]), True
        ).volume.name
        == "pre"
    )


@pytest.mark.parametrize("phase", ["Pending", "Failed", "Released", ""])
def test_non_available_volumes_are_skipped(phase):
    """1-17: Pending, Failed, Released and an empty phase are not matched unless pre-bound."""
    assert find_best_match([pv("v", "1Gi", phase=phase)], pvc("c", "u", "1Gi"), False).volume is None


def test_deleting_volume_is_skipped():
    """TestStorageObjectInUseProtectionFiltering."""
    assert find_best_match([pv("v", "1G", deleting=True)], pvc("c", "u", "1G"), False).volume is None
    assert find_best_match([pv("v", "1G")], pvc("c", "u", "1G"), False).volume is not None


# the docs' "Binding Block Volumes" matrix: (pv mode, pvc mode) -> binds
VOLUME_MODE_MATRIX = [
    (None, None, True),
    (None, "Block", False),
    (None, "Filesystem", True),
    ("Block", None, False),
    ("Block", "Block", True),
    ("Block", "Filesystem", False),
    ("Filesystem", "Filesystem", True),
    ("Filesystem", "Block", False),
    ("Filesystem", None, True),
]


@pytest.mark.parametrize(("pv_mode", "pvc_mode", "binds"), VOLUME_MODE_MATRIX, ids=lambda v: str(v))
def test_volume_mode_matrix(pv_mode, pvc_mode, binds):
    volume = pv("v", "10G", mode=pv_mode, modes=[RWO])
    claim = pvc("c", "u", "8G", modes=[RWO], mode=pvc_mode)
    assert volume_mode_mismatch(claim, volume) is not binds
    assert (find_best_match([volume], claim, False).volume is not None) is binds


@pytest.mark.parametrize(
    ("claim_modes", "ok"),
    [([RWX], True), ([RWX, RWO], True), ([ROX], False), ([RWX, ROX], False)],
    ids=["success-single-mode", "success-many-modes", "fail-single-mode", "fail-many-modes"],
)
def test_check_access_modes(claim_modes, ok):
    """TestCheckAccessModes against a RWO+RWX volume."""
    assert check_access_modes(pvc("c", "u", "1G", modes=claim_modes), pv("v", "1G", modes=[RWO, RWX])) is ok


def test_nil_class_equals_empty_class():
    """13-4 / 13-5: a claim without a class and one with "" both bind a class-less PV, never a classed one."""
    vols = [pv("classed-small", "1Gi", klass="gold"), pv("plain-big", "10Gi")]
    for klass in (None, ""):
        assert find_best_match(vols, pvc("c", "u", "1Gi", klass=klass), False).volume.name == "plain-big"


def test_beta_annotation_overrides_class_field():
    doc = {
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "c", "annotations": {"volume.beta.kubernetes.io/storage-class": "gold"}},
        "spec": {
            "accessModes": [RWO, ROX],
            "resources": {"requests": {"storage": "1Gi"}},
            "storageClassName": "silver",
        },
    }
    claim = parse_pvc(doc)
    vols = [pv("silver", "1Gi", klass="silver"), pv("gold", "5Gi", klass="gold")]
    assert find_best_match(vols, claim, False).volume.name == "gold"
    beta_pv = pv("beta", "1Gi", klass="bronze")
    beta_pv.storage_class = "gold"  # a PV's beta annotation wins the same way
    assert find_best_match([beta_pv], claim, False).volume.name == "beta"


def test_smallest_tie_keeps_the_first_seen():
    vols = [pv("first", "5Gi"), pv("second", "5Gi")]
    assert find_best_match(vols, pvc("c", "u", "1Gi"), False).volume.name == "first"


def test_index_add_and_remove_keep_answers():
    index = VolumeIndex(_volumes())
    claim = pvc("claim01", "u", "1G")
    assert index.find_best_match(claim, False).volume.name == "gce002"
    index.remove("gce002")
    assert index.find_best_match(claim, False).volume.name == "gce003"
    index.add(pv("gce002", "5G"))
    assert index.find_best_match(claim, False).volume.name == "gce002"


_NAMES = st.sampled_from(["a", "b", "c"])


@st.composite
def _scenario(draw):
    volumes = []
    for i in range(draw(st.integers(0, 12))):
        modes = draw(st.lists(st.sampled_from([RWO, ROX, RWX]), min_size=1, max_size=3, unique=True))
        ref = draw(st.sampled_from([None, None, ("", "claim01"), ("uid-x", "claim01"), ("", "other")]))
        volumes.append(
            pv(
                f"v{i}",
                f"{draw(st.integers(1, 6))}Gi",
                ref[0] if ref else "",
                ref[1] if ref else "",
                draw(st.sampled_from(["Available", "Available", "Bound", "Released"])),
                "Retain",
                draw(st.sampled_from(["", "gold"])),
                modes=modes,
                labels={"zone": draw(_NAMES)},
                mode=draw(st.sampled_from(["Filesystem", "Block", None])),
                deleting=draw(st.booleans()) and draw(st.booleans()),
            )
        )
    claim = pvc(
        "claim01",
        draw(st.sampled_from(["uid-x", "uid-y"])),
        f"{draw(st.integers(1, 6))}Gi",
        klass=draw(st.sampled_from([None, "", "gold"])),
        modes=draw(st.lists(st.sampled_from([RWO, ROX, RWX]), min_size=1, max_size=2, unique=True)),
        selector=draw(
            st.sampled_from(
                [
                    None,
                    {"matchLabels": {"zone": "a"}},
                    {"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["b"]}]},
                ]
            )
        ),
        mode=draw(st.sampled_from(["Filesystem", "Block", None])),
    )
    return volumes, claim, draw(st.booleans())


@settings(max_examples=60, deadline=None)
@given(_scenario())
def test_index_agrees_with_the_literal_controller_search(case):
    """The capacity-ordered index returns what group-by-group FindMatchingVolume returns."""
    volumes, claim, delay = case
    expected = find_best_match_reference(volumes, claim, delay)
    got = find_best_match(volumes, claim, delay).volume
    assert (got.name if got else None) == (expected.name if expected else None)
