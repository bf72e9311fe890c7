"""Finding the volume for a claim as the PV controller does: an index by access-mode set, fewest modes first.

Follows ``pkg/controller/volume/persistentvolume/index.go`` (``findByClaim``, ``allPossibleMatchingAccessModes``)
and ``component-helpers/storage/volume/pv_helpers.go`` (``FindMatchingVolume``, ``IsVolumeBoundToClaim``,
``CheckVolumeModeMismatches``, ``CheckAccessModes``). :func:`find_matching_volume` is the literal per-group
filter; :class:`VolumeIndex` gives the same answers without a quadratic scan: inside each access-mode group it
keeps the volumes that could still be chosen (Available, unclaimed, not being deleted) in capacity order per
storage class, and the pre-bound volumes by claim key.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from kubekg.simulation.objects import ACCESS_MODES, Claim, Volume, mode_key


def is_volume_bound_to_claim(volume: Volume, claim: Claim) -> bool:
    """IsVolumeBoundToClaim: same namespace/name, and the same UID when the claimRef has one."""
    ref = volume.claim_ref
    if ref is None:
        return False
    if ref.name != claim.name or ref.namespace != claim.namespace:
        return False
    return not (ref.uid and ref.uid != claim.uid)


def volume_mode_mismatch(claim: Claim, volume: Volume) -> bool:
    """CheckVolumeModeMismatches: nil on either side is Filesystem."""
    return (claim.volume_mode or "Filesystem") != (volume.volume_mode or "Filesystem")


def check_access_modes(claim: Claim, volume: Volume) -> bool:
    """CheckAccessModes: the volume's modes contain every mode the claim requests."""
    return set(claim.access_modes) <= set(volume.access_modes)


def _capacity_ok(volume: Volume, claim: Claim) -> bool:
    if volume.capacity is None:
        return claim.request is None or claim.request.value <= 0
    return claim.request is None or volume.capacity.value >= claim.request.value


def find_matching_volume(claim: Claim, volumes: Iterable[Volume], delay_binding: bool) -> Volume | None:
    """FindMatchingVolume on the PV-controller path (no node): pre-bound wins, else the strictly smallest match."""
    smallest: Volume | None = None
    for volume in volumes:
        if volume.claim_ref is not None and not is_volume_bound_to_claim(volume, claim):
            continue
        if not _capacity_ok(volume, claim):
            continue
        if volume_mode_mismatch(claim, volume):
            continue
        if claim.vac != volume.vac:
            continue
        if volume.deleting:
            continue
        if is_volume_bound_to_claim(volume, claim):
            return volume
        if delay_binding:
            continue
        if volume.phase != "Available":
            continue
        if claim.selector is not None and not claim.selector.matches(volume.labels):
            continue
        if volume.storage_class != claim.storage_class:
            continue
        if smallest is None or smallest.capacity.value > volume.capacity.value:  # type: ignore[union-attr]
            smallest = volume
    return smallest


def possible_mode_keys(keys: Iterable[tuple[str, ...]], requested: Sequence[str]) -> list[tuple[str, ...]]:
    """allPossibleMatchingAccessModes: index keys containing every requested mode, fewest modes first.

    Keys of the same size have no defined order upstream; kubekg orders them by their canonical spelling.
    """
    wanted = set(requested)
    matched = [k for k in keys if wanted <= set(k)]
    order = {m: i for i, m in enumerate(ACCESS_MODES)}
    return sorted(matched, key=lambda k: (len(k), [order[m] for m in k]))


def key_text(key: Sequence[str]) -> str:
    """The index key as GetAccessModesAsString spells it (RWO,ROX,RWX,RWOP)."""
    return ",".join(ACCESS_MODES[m] for m in key)


@dataclass
class Match:
    """The outcome of a search: the volume (or None), the group it came from and how it was chosen."""

    volume: Volume | None
    group: tuple[str, ...] | None = None
    prebound: bool = False
    groups_tried: list[tuple[str, ...]] = field(default_factory=list)


@dataclass
class _Bucket:
    keys: list[tuple] = field(default_factory=list)  # (capacity Decimal, sequence)
    volumes: list[Volume] = field(default_factory=list)


class VolumeIndex:
    """persistentVolumeOrderedIndex keyed by the exact access-mode set, with capacity-ordered candidate buckets."""

    def __init__(self, volumes: Iterable[Volume] = ()) -> None:
        self._seq = itertools.count()
        self._order: dict[str, int] = {}
        self._mode_keys: dict[tuple[str, ...], int] = {}  # key -> number of volumes with it
        self._groups: dict[tuple[str, ...], dict[str, _Bucket]] = {}
        self._prebound: dict[tuple[str, str], list[Volume]] = {}
        self._volumes: dict[str, Volume] = {}
        for v in volumes:
            self.add(v)

    def __len__(self) -> int:
        return len(self._volumes)

    def __contains__(self, name: object) -> bool:
        return name in self._volumes

    def get(self, name: str) -> Volume | None:
        """The indexed volume of that name."""
        return self._volumes.get(name)

    @property
    def mode_keys(self) -> list[tuple[str, ...]]:
        """Every access-mode set some indexed volume has."""
        return list(self._mode_keys)

    @staticmethod
    def _candidate(volume: Volume) -> bool:
        return (
            volume.claim_ref is None
            and volume.phase == "Available"
            and not volume.deleting
            and volume.capacity is not None
        )

    def add(self, volume: Volume) -> None:
        """Index a volume (replacing one of the same name)."""
        if volume.name in self._volumes:
            self.remove(volume.name)
        seq = next(self._seq)
        self._order[volume.name] = seq
        self._volumes[volume.name] = volume
        key = mode_key(volume.access_modes)
        self._mode_keys[key] = self._mode_keys.get(key, 0) + 1
        if volume.claim_ref is not None:
            self._prebound.setdefault((volume.claim_ref.namespace, volume.claim_ref.name), []).append(volume)
        if self._candidate(volume):
            bucket = self._groups.setdefault(key, {}).setdefault(volume.storage_class, _Bucket())
            entry = (volume.capacity.value, seq)  # type: ignore[union-attr]
            i = bisect.bisect_left(bucket.keys, entry)
            bucket.keys.insert(i, entry)
            bucket.volumes.insert(i, volume)

    def remove(self, name: str) -> Volume | None:
        """Drop a volume from the index (after it was bound, deleted or changed)."""
        volume = self._volumes.pop(name, None)
        if volume is None:
            return None
        seq = self._order.pop(name)
        key = mode_key(volume.access_modes)
        self._mode_keys[key] -= 1
        if not self._mode_keys[key]:
            del self._mode_keys[key]
        if volume.claim_ref is not None:
            lst = self._prebound.get((volume.claim_ref.namespace, volume.claim_ref.name), [])
            if volume in lst:
                lst.remove(volume)
        if self._candidate(volume):
            bucket = self._groups[key][volume.storage_class]
            i = bisect.bisect_left(bucket.keys, (volume.capacity.value, seq))  # type: ignore[union-attr]
            del bucket.keys[i]
            del bucket.volumes[i]
        return volume

    def volumes_with_modes(self, key: tuple[str, ...]) -> list[Volume]:
        """listByAccessModes: every indexed volume whose access-mode set is exactly ``key`` (index order)."""
        return sorted(
            (v for v in self._volumes.values() if mode_key(v.access_modes) == key),
            key=lambda v: self._order[v.name],
        )

    def find_best_match(self, claim: Claim, delay_binding: bool) -> Match:
        """findBestMatchForClaim: the first access-mode group (fewest modes first) that yields a volume wins."""
        tried: list[tuple[str, ...]] = []
        prebound = self._prebound.get((claim.namespace, claim.name), [])
        for key in possible_mode_keys(self._mode_keys, claim.access_modes):
            tried.append(key)
            for volume in sorted(
                (v for v in prebound if mode_key(v.access_modes) == key), key=lambda v: self._order[v.name]
            ):
                if not is_volume_bound_to_claim(volume, claim):
                    continue
                if (
                    _capacity_ok(volume, claim)
                    and not volume_mode_mismatch(claim, volume)
                    and claim.vac == volume.vac
                    and not volume.deleting
                ):
                    return Match(volume, key, True, tried)
            if delay_binding:
                continue
            bucket = self._groups.get(key, {}).get(claim.storage_class)
            if bucket is None:
                continue
            start = 0
            if claim.request is not None:
                start = bisect.bisect_left(bucket.keys, (claim.request.value, -1))
            for volume in itertools.islice(bucket.volumes, start, None):
                if volume_mode_mismatch(claim, volume) or claim.vac != volume.vac:
                    continue
                if claim.selector is not None and not claim.selector.matches(volume.labels):
                    continue
                return Match(volume, key, False, tried)
        return Match(None, None, False, tried)


def find_best_match(volumes: Iterable[Volume], claim: Claim, delay_binding: bool) -> Match:
    """One-shot search over a list of volumes (builds the index)."""
    return VolumeIndex(volumes).find_best_match(claim, delay_binding)


def find_best_match_reference(volumes: Sequence[Volume], claim: Claim, delay_binding: bool) -> Volume | None:
    """The controller's search written literally (group by group, FindMatchingVolume on each): the test oracle."""
    keys = {mode_key(v.access_modes) for v in volumes}
    for key in possible_mode_keys(keys, claim.access_modes):
        found = find_matching_volume(
            claim, [v for v in volumes if mode_key(v.access_modes) == key], delay_binding
        )
        if found is not None:
            return found
    return None
