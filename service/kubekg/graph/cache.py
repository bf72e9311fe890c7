"""On-disk cache of the reasoned graph: N-Quads plus derivation records, keyed by a sha256 of every input.

The key covers the ontology files, the rule files, the package version and the graph package's own source, so
any change to what the materialization depends on yields a new entry. Writes are atomic (temp file + rename);
an unreadable or inconsistent entry is ignored and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

import pyoxigraph as ox

import kubekg

log = logging.getLogger(__name__)

KEEP_ENTRIES = 4  # older cache entries beyond this many are pruned
_GRAPH_PKG = Path(__file__).resolve().parent


def default_cache_dir() -> Path:
    """``$KUBEKG_CACHE_DIR`` or ``~/.cache/kubekg``."""
    env = os.environ.get("KUBEKG_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "kubekg"


def atomic_write(path: Path, data: bytes) -> None:
    """Write bytes to path through a temporary file in the same directory and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def input_digest(ontology_dir: Path, queries_dir: Path) -> str:
    """sha256 over the ontology files, the rule files, the package version and the graph package source."""
    h = hashlib.sha256()
    h.update(f"kubekg {kubekg.__version__} pyoxigraph {ox.__version__}\0".encode())
    groups = [
        ("ontology", Path(ontology_dir), sorted(Path(ontology_dir).rglob("*.ttl"))),
        ("rules", Path(queries_dir), sorted((Path(queries_dir) / "rules").glob("*.rq"))),
        ("engine", _GRAPH_PKG, sorted(_GRAPH_PKG.glob("*.py"))),
    ]
    for label, root, files in groups:
        for p in files:
            h.update(f"{label}:{p.relative_to(root).as_posix()}\0".encode())
            h.update(p.read_bytes())
            h.update(b"\0")
    return h.hexdigest()


class GraphCache:
    """One cache directory; each entry is ``<digest>/`` with graph.nq, derivations.json and meta.json (written last)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def entry(self, digest: str) -> Path:
        return self.root / "graph" / digest

    def load(self, digest: str, store: ox.Store) -> tuple[dict, dict] | None:
        """Fill store from the entry and return (derivations, meta), or None when absent or corrupt."""
        d = self.entry(digest)
        try:
            meta = json.loads((d / "meta.json").read_text(encoding="utf-8"))
            derivations = json.loads((d / "derivations.json").read_text(encoding="utf-8"))
            data = (d / "graph.nq").read_bytes()
            if hashlib.sha256(data).hexdigest() != meta["nquads_sha256"]:
                raise ValueError("graph.nq does not match its checksum")
            if len(derivations) != meta["inferred"]:
                raise ValueError("derivations.json does not match meta.json")
            # parse + extend, not Store.load: load renames blank nodes, and derivation records name them
            store.extend(ox.parse(data, format=ox.RdfFormat.N_QUADS))
            if len(store) != meta["quads"]:
                raise ValueError("graph.nq does not hold the recorded number of quads")
            return derivations, meta
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, SyntaxError) as exc:
            log.warning("ignoring corrupt kubekg cache entry %s: %s", d, exc)
            store.clear()
            return None

    def save(self, digest: str, store: ox.Store, derivations: dict, meta: dict) -> None:
        """Write an entry (quads, derivations, then meta as the commit marker) and prune old entries."""
        d = self.entry(digest)
        data = store.dump(format=ox.RdfFormat.N_QUADS)
        meta = {**meta, "nquads_sha256": hashlib.sha256(data).hexdigest(), "quads": len(store)}
        meta["inferred"] = len(derivations)
        atomic_write(d / "graph.nq", data)
        atomic_write(d / "derivations.json", json.dumps(derivations, ensure_ascii=False).encode())
        atomic_write(d / "meta.json", json.dumps(meta, ensure_ascii=False, indent=1).encode())
        self._prune(keep=d)

    def read_json(self, digest: str, name: str) -> dict | None:
        """A side result (e.g. HermiT's verdict) stored beside an entry, or None."""
        try:
            return json.loads((self.entry(digest) / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def write_json(self, digest: str, name: str, value: dict) -> None:
        atomic_write(self.entry(digest) / name, json.dumps(value, ensure_ascii=False, indent=1).encode())

    def _prune(self, keep: Path) -> None:
        entries = [p for p in (self.root / "graph").iterdir() if p.is_dir() and p != keep]
        entries.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[KEEP_ENTRIES - 1 :]:
            shutil.rmtree(old, ignore_errors=True)
