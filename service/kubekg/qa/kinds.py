"""Question kinds, declared as data in ``kinds.yaml``: each names its strategy, its competency query, its slots, its
cue words in both languages, its answer type, its sentence templates and its example questions (quepy's idea of
question templates kept apart from the vocabulary, which comes from the graph's labels).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kubekg import ns

KINDS_FILE = Path(__file__).with_name("kinds.yaml")
STRATEGIES = {
    "capability_set",
    "capability_yesno",
    "capability_by_traits",
    "relation",
    "relation_yesno",
    "is_a",
    "instances",
    "definition",
    "describe",
    "boolean_filter",
    "example_chain",
    "hpa",
    "comparison",
    "described_value",
}
ANSWER_TYPES = {"entities", "boolean", "number", "string", "auto"}
FORMS = {"wh", "yesno", "any"}


class KindError(ValueError):
    """kinds.yaml is malformed; the message names the kind and the field."""


@dataclass(frozen=True)
class Kind:
    """One kind of question."""

    id: str
    strategy: str
    query: str
    answer: str
    form: str
    title: dict[str, str]
    cues: dict[str, list[list[str]]]  # require: [[phrases...]], boost: [[phrases]], forbid: [[phrases]]
    params: dict[str, Any]
    text: dict[str, Any]
    examples: dict[str, list[str]]
    min_score: float = 2.0
    queries: dict[str, str] = field(default_factory=dict)  # extra named query files
    slots: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> {types: [IRI], many, via, note}

    def slot_types(self, name: str) -> set[str]:
        """The classes (or properties, or datatypes) a slot takes, as full IRIs; empty when any will do.

        Expanded once per slot (readers ask on every question); each call gets its own copy.
        """
        cache = self.__dict__.setdefault("_slot_types", {})  # not a field: equality and hash ignore it
        found = cache.get(name)
        if found is None:
            found = cache[name] = frozenset(expand(x) for x in (self.slots.get(name) or {}).get("types", []))
        return set(found)

    def slot_via(self, name: str) -> str | None:
        via = (self.slots.get(name) or {}).get("via")
        return expand(via) if via else None


@functools.lru_cache(maxsize=4096)
def expand(name: str) -> str:
    """``kg:Foo`` -> full IRI (kinds.yaml writes prefixed names)."""
    prefix, _, local = name.partition(":")
    if prefix in ns.PREFIXES and not name.startswith("http"):
        return ns.PREFIXES[prefix] + local
    return name


def _phrases(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise KindError(f"{where}: expected a list of phrases")
    return list(value)


def load_kinds(path: Path = KINDS_FILE) -> tuple[list[Kind], dict[str, Any]]:
    """The kinds and the shared settings (``property_cues``, ``wh_words`` ...) of kinds.yaml, validated."""
    # libyaml's parser when PyYAML has it (same constructors and resolvers as safe_load, 10x faster)
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    if not isinstance(data, dict) or not isinstance(data.get("kinds"), list):
        raise KindError(f"{path}: expected a mapping with a 'kinds' list")
    kinds: list[Kind] = []
    seen: set[str] = set()
    for i, raw in enumerate(data["kinds"]):
        kid = raw.get("id")
        where = f"{path.name} kind {kid or i}"
        if not kid or kid in seen:
            raise KindError(f"{where}: missing or duplicate id")
        seen.add(kid)
        strategy = raw.get("strategy")
        if strategy not in STRATEGIES:
            raise KindError(f"{where}: unknown strategy {strategy!r}")
        answer = raw.get("answer", "entities")
        if answer not in ANSWER_TYPES:
            raise KindError(f"{where}: unknown answer type {answer!r}")
        form = raw.get("form", "any")
        if form not in FORMS:
            raise KindError(f"{where}: unknown form {form!r}")
        query = raw.get("query")
        if not query or not str(query).startswith("competency/"):
            raise KindError(f"{where}: query must be a file under competency/")
        cues_raw = raw.get("cues") or {}
        cues: dict[str, list[list[str]]] = {}
        for key in ("require", "boost", "forbid"):
            groups = cues_raw.get(key) or []
            if key == "require":
                cues[key] = [_phrases(g, f"{where} cues.{key}") for g in groups]
            else:
                cues[key] = [_phrases(groups, f"{where} cues.{key}")] if groups else []
        examples = raw.get("examples") or {}
        if not examples.get("en") or not examples.get("ko"):
            raise KindError(f"{where}: needs at least one example question per language (en, ko)")
        slots = raw.get("slots") or {}
        if not isinstance(slots, dict) or not all(
            isinstance(v, dict) and isinstance(v.get("types", []), list) for v in slots.values()
        ):
            raise KindError(f"{where}: slots must map a name to {{types: [...], ...}}")
        text = raw.get("text") or {}
        if "en" not in text or "ko" not in text:
            raise KindError(f"{where}: needs a text template per language (en, ko)")
        kinds.append(
            Kind(
                id=kid,
                strategy=strategy,
                query=str(query),
                answer=answer,
                form=form,
                title=raw.get("title") or {"en": kid, "ko": kid},
                cues=cues,
                params=raw.get("params") or {},
                text=text,
                examples={"en": list(examples["en"]), "ko": list(examples["ko"])},
                min_score=float(raw.get("min_score", 2.0)),
                queries=dict(raw.get("queries") or {}),
                slots=slots,
            )
        )
    shared = {k: v for k, v in data.items() if k != "kinds"}
    return kinds, shared
