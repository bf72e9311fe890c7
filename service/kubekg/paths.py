"""Where the ontology and query files live, in a source checkout or inside an installed wheel."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _locate(name: str, env: str) -> Path:
    override = os.environ.get(env)
    if override:
        path = Path(override)
        if not path.is_dir():
            raise FileNotFoundError(f"{env}={override!r} is not a directory")
        return path
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"cannot find the {name}/ directory next to {_PACKAGE}")


def ontology_dir() -> Path:
    """The directory of Turtle files (TBox, facts per section, SHACL shapes)."""
    return _locate("ontology", "KUBEKG_ONTOLOGY_DIR")


def queries_dir() -> Path:
    """The directory of SPARQL files (rules, competency queries, examples)."""
    return _locate("queries", "KUBEKG_QUERIES_DIR")


def shared_dir() -> Path | None:
    """The read-only ../shared material beside a checkout, or None where it is absent (a user's clone)."""
    override = os.environ.get("KUBEKG_SHARED_DIR")
    candidates = [Path(override)] if override else []
    candidates.append(_PACKAGE.parent.parent.parent / "shared")
    for candidate in candidates:
        if (candidate / "seed").is_dir():
            return candidate
    return None
