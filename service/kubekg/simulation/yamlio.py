"""YAML input for the simulators, bounded: safe tags only, nesting and alias expansion capped before construction.

PyYAML's ``safe_load`` expands aliases without limit, so a small document can stand for millions of objects
("billion laughs"; Kubernetes fixed the same in its YAML decoder for CVE-2019-11253 by bounding alias expansion),
and deep nesting exhausts Python's recursion. Here the document is composed first (libyaml when present, which
also caps nesting), the node graph is measured with aliases expanded, and only a document within the bounds is
constructed. Anything else is a 400 ``invalid_body`` naming the limit.
"""

from __future__ import annotations

from typing import Any

import yaml

from kubekg.simulation.errors import InvalidBody

MAX_NODES = 200_000  # YAML nodes after alias expansion; the document's examples have a few hundred
MAX_DEPTH = 200  # nesting of mappings and sequences; Kubernetes manifests stay under 20

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(raw: bytes | str, what: str = "the request body") -> Any:
    """One YAML document (JSON is YAML) as Python data, or InvalidBody when it is malformed or too big expanded."""
    loader = _Loader(raw)
    try:
        try:
            node = loader.get_single_node()
        except yaml.YAMLError as exc:
            raise InvalidBody(f"{what} is not valid YAML: {exc}") from None
        except RecursionError:
            raise InvalidBody(f"{what} is nested too deeply") from None
        if node is None:
            return None
        _check(node, what)
        try:
            return loader.construct_document(node)
        except yaml.YAMLError as exc:
            raise InvalidBody(f"{what} is not valid YAML: {exc}") from None
        except RecursionError:
            raise InvalidBody(f"{what} is nested too deeply") from None
    finally:
        loader.dispose()


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _check(root: yaml.Node, what: str) -> None:
    """Count nodes with aliases expanded (memoized, iterative), refusing cycles, depth and size over the bounds."""
    size: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            total = 1 + sum(size[id(child)] for child in _children(node))
            if total > MAX_NODES:
                raise InvalidBody(
                    f"{what} expands to more than {MAX_NODES} YAML nodes (aliases included); send less data"
                )
            size[key] = total
            continue
        if key in size:
            continue
        if key in on_path:
            raise InvalidBody(f"{what} refers to itself through a YAML alias")
        if depth > MAX_DEPTH:
            raise InvalidBody(f"{what} is nested more than {MAX_DEPTH} levels deep")
        on_path.add(key)
        stack.append((node, depth, True))
        for child in _children(node):
            if id(child) in on_path:
                raise InvalidBody(f"{what} refers to itself through a YAML alias")
            if id(child) not in size:
                stack.append((child, depth + 1, False))
