"""The matching procedures behind the question kinds: each reads a linked question into scored readings (no SPARQL)
and runs the best reading's competency query with its parameters bound (never pasted into the text).

A reading's score adds what the kind explains (slots filled, cue words, property words, description words) and
subtracts one point per content word it leaves unexplained, so the kind that accounts for the whole question wins
and a question about something outside the graph scores too low to be answered at all.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from kubekg import ns
from kubekg.qa import hpa as hpa_math
from kubekg.qa.context import Context, phrase_seq
from kubekg.qa.describe import word_run
from kubekg.qa.kinds import Kind, expand
from kubekg.qa.lexicon import Mention

if TYPE_CHECKING:
    from kubekg.qa.engine import Answerer

KG = ns.KG
KR = ns.KR
XSD = ns.PREFIXES["xsd"]
VOLUME_CAPABILITY = KG + "VolumeCapability"
VOLUME_TYPE = KG + "VolumeType"
ACCESS_MODE = KG + "AccessMode"
STORAGE_TOPICS = {KG + "VolumeType", KG + "VolumePlugin", KG + "VolumeCapability", KG + "AccessMode"}
UNEXPLAINED_COST = 1.0


@dataclass
class Reading:
    """One way to read the question as a kind, with its score and what it needs to run."""

    kind: Kind
    score: float
    explained: set[int]
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Outcome:
    """What running a reading produced."""

    answers: list[ox.NamedNode | ox.Literal | bool | int | float | str]
    text_params: dict[str, Any]
    queries: list[tuple[str, dict[str, Any]]]  # (query file, bindings) in the order they ran
    evidence: list[tuple[Any, Any, Any]]
    variant: str | None = None  # "true"/"false"/"forward"/... selects a text template


Strategy = Callable[["Answerer", Kind, Context], list[Reading]]


# ---------------------------------------------------------------------------------------------- helpers


def unexplained(ctx: Context, explained: set[int]) -> int:
    """Content tokens the reading does not account for (question words and particles never count)."""
    return len(ctx.content - explained)


def cue_match(eng: Answerer, kind: Kind, ctx: Context) -> tuple[float, set[int]] | None:
    """(boost score, tokens) of a kind's cues; None when a required group is missing or a forbidden cue is present."""
    compiled = eng.cues[kind.id]
    present = ctx.lemma_index  # a phrase whose first word is absent cannot match: skip the call
    tokens: set[int] = set()
    for group in compiled["require"]:
        hit = None
        for phrase in group:
            if phrase[0] in present:
                hit = ctx.match_phrase(phrase)
                if hit:
                    break
        if not hit:
            return None
        tokens |= hit
    for phrase in compiled["forbid"]:
        if phrase[0] in present and ctx.match_phrase(phrase):
            return None
    boost = 0.0
    for phrase in compiled["boost"]:
        if phrase[0] not in present:
            continue
        hit = ctx.match_phrase(phrase)
        if hit and not hit <= tokens:
            boost += 0.5
            tokens |= hit
    return min(boost, 2.0), tokens


def entity_mentions(
    eng: Answerer, ctx: Context, classes: set[str] | None = None
) -> list[tuple[Mention, str]]:
    """(mention, entity IRI) pairs, optionally only entities of the given classes.

    Computed once per question and class set (every kind's reader asks): callers must not change the list.
    """
    memo = ctx.__dict__.setdefault("_entity_mentions", {})
    key = frozenset(classes) if classes else None
    found = memo.get(key)
    if found is None:
        found = memo[key] = _entity_mentions(eng, ctx, classes)
    return found


def _entity_mentions(eng: Answerer, ctx: Context, classes: set[str] | None) -> list[tuple[Mention, str]]:
    out = []
    for m in ctx.mentions:
        iris = [c.iri for c in m.candidates if c.kind == "entity"]
        for c in m.candidates:  # a class with a single member names that member ("control plane node")
            if c.kind == "class":
                members = eng.index.instances_of(c.iri)
                if len(members) == 1 and members[0] not in iris:
                    iris.append(members[0])
        for iri in iris:
            if classes and not eng.index.has_type(iri, classes):
                continue
            out.append((m, iri))
    return out


def form_ok(kind: Kind, ctx: Context) -> bool:
    if kind.form == "wh":
        return not ctx.yesno
    if kind.form == "yesno":
        return ctx.yesno
    return True


def target_tokens(ctx: Context) -> set[int]:
    return ctx.mention_tokens(ctx.target[0]) if ctx.target else set()


def _lit_value(lit: ox.Literal) -> Any:
    dt = lit.datatype.value if lit.datatype else ""
    if dt == XSD + "boolean":
        return lit.value in ("true", "1")
    if dt in (
        XSD + "integer",
        XSD + "int",
        XSD + "long",
        XSD + "nonNegativeInteger",
        XSD + "positiveInteger",
    ):
        return int(lit.value)
    if dt in (XSD + "decimal", XSD + "double", XSD + "float"):
        v = float(lit.value)
        return int(v) if v.is_integer() and dt == XSD + "decimal" and "." not in lit.value else v
    return lit.value


def literal_value(lit: ox.Literal) -> Any:
    """A literal as the JSON value of an answer (numbers, booleans, strings)."""
    return _lit_value(lit)


# ---------------------------------------------------------------------------------------------- storage


def read_capability_set(eng: Answerer, kind: Kind, ctx: Context) -> list[Reading]:
    mode = kind.params.get("mode", "with")
    if not form_ok(kind, ctx):
        return []
    caps = entity_mentions(eng, ctx, kind.slot_types("capability") or {VOLUME_CAPABILITY})
    if not caps:
        return []
    if any(
        eng.index.has_type(iri, {VOLUME_TYPE}) and not any(c.kind == "class" for c in m.candidates)
        for m, iri in entity_mentions(eng, ctx)
    ):
        return []  # a named plugin: a yes/no or a "what does X support" question
    only = bool(ctx.only)
    negative = {iri for m, iri in caps if _negated(ctx, m, [c for c, _ in caps])}
    positive = {iri for _, iri in caps} - negative
    if (mode == "with" and (not positive or only)) or (mode == "without" and (positive or only)):
        return []
    if mode == "only" and (not only or len(caps) != 1):
        return []
    cue = cue_match(eng, kind, ctx)
    if cue is None:
        return []
    boost, explained = cue
    seen: list[str] = []
    for m, iri in caps:
        explained |= ctx.mention_tokens(m)
        if iri not in seen:
            seen.append(iri)
    for m in ctx.mentions:  # "storage", "volume plugin", "access mode": the topic of the question
        if any(c.kind == "class" and eng.index.subclass_of(c.iri, STORAGE_TOPICS) for c in m.candidates):
            explained |= ctx.mention_tokens(m)
    explained |= ctx.negation | ctx.only | ctx.disjunction
    bonus = 1.0 if ctx.target and eng.index.subclass_of(ctx.target[1], STORAGE_TOPICS) else 0.0
    explained |= eng.elaborated(ctx, seen, explained, set().union(*(ctx.mention_tokens(m) for m, _ in caps)))
    score = 3.0 + 3.0 * len(seen) + bonus + boost - UNEXPLAINED_COST * unexplained(ctx, explained)
    return [
        Reading(
            kind,
            score,
            explained,
            {
                "capabilities": seen,
                "negative": sorted(negative) if mode == "with" else [],
                "any": bool(ctx.disjunction),
            },
        )
    ]


def _negated(ctx: Context, m: Mention, others: list[Mention]) -> bool:
    """Whether a negation applies to this mention: before it in English ("but not RWX"), after it in Korean
    ("RWX는 지원하지 않는"), in both cases without another capability in between."""
    if not ctx.negation:
        return False
    if ctx.lang == "en":
        start = max([o.last for o in others if o.last < m.first], default=-1)
        return any(start < i < m.first for i in ctx.negation)
    end = min([o.first for o in others if o.first > m.last], default=len(ctx.tokens))
    return any(m.last < i < end for i in ctx.negation)


def run_capability_set(eng: Answerer, kind: Kind, ctx: Context, r: Reading) -> Outcome | None:
    result: list[str] | None = None
    evidence: list[tuple[Any, Any, Any]] = []
    queries = []
    negative = set(r.params.get("negative") or [])
    for cap in r.params["capabilities"]:
        bindings = {"capability": ox.NamedNode(cap)}
        query = kind.queries["without"] if cap in negative else kind.query
        rows = eng.select_file(query, bindings)
        queries.append((query, bindings))
        plugins: list[str] = []
        for row in rows:
            plugin = row["plugin"].value
            if plugin not in plugins:
                plugins.append(plugin)
            if "p" in row:
                evidence.append((row["plugin"], row["p"], row["o"]))
            elif "lacking" in row:
                evidence.append((row["plugin"], ox.NamedNode(KG + "supportsAccessMode"), row["capability"]))
                evidence.append((row["plugin"], ox.NamedNode(KG + "lacksAccessMode"), row["lacking"]))
            else:
                evidence.append((row["plugin"], ox.NamedNode(KG + "supportsAccessMode"), row["capability"]))
        if result is None:
            result = plugins
        elif r.params["any"]:
            result += [p for p in plugins if p not in result]
        else:
            result = [p for p in result if p in plugins]
    if result is None:
        return None
    keep = {ox.NamedNode(p) for p in result}
    evidence = [t for t in dict.fromkeys(evidence) if t[0] in keep]
    caps = [c for c in r.params["capabilities"] if c not in negative]
    joiner = {"en": " or " if r.params["any"] else " and ", "ko": " 또는 " if r.params["any"] else "와(과) "}
    if negative:
        caps_text = joiner[ctx.lang].join(eng.index.label(c, ctx.lang) for c in caps)
        neg_text = ", ".join(eng.index.label(c, ctx.lang) for c in sorted(negative))
        caps_label = (
            f"{caps_text} (but not {neg_text})" if ctx.lang == "en" else f"{caps_text}(단, {neg_text} 제외)"
        )
    else:
        caps_label = None
    return Outcome(
        [ox.NamedNode(p) for p in sorted(result, key=lambda p: eng.index.label(p))],
        {"capabilities": caps_label or joiner[ctx.lang].join(eng.index.label(c, ctx.lang) for c in caps)},
        queries,
        evidence,
    )


def read_capability_yesno(eng: Answerer, kind: Kind, ctx: Context) -> list[Reading]:
    if ctx.wh and not ctx.yesno:
        return []
    caps = entity_mentions(eng, ctx, kind.slot_types("capability"))
    plugins = [(m, i) for m, i in entity_mentions(eng, ctx, kind.slot_types("plugin")) if (m, i) not in caps]
    if not caps or not plugins:
        return []
    cue = cue_match(eng, kind, ctx)
    if cue is None:
        return []
    boost, explained = cue
    (pm, plugin), (cm, cap) = plugins[0], caps[0]
    explained |= ctx.mention_tokens(pm) | ctx.mention_tokens(cm) | ctx.negation
    explained |= eng.elaborated(
        ctx, [plugin, cap], explained, ctx.mention_tokens(pm) | ctx.mention_tokens(cm)
    )
    score = 3.0 + 3.0 + 3.0 + boost - UNEXPLAINED_COST * unexplained(ctx, explained)
    return [Reading(kind, score, explained, {"plugin": plugin, "capability": cap})]


def run_capability_yesno(eng: Answerer, kind: Kind, ctx: Context, r: Reading) -> Outcome | None:
    bindings = {
        "plugin": ox.NamedNode(r.params["plugin"]),
        "capability": ox.NamedNode(r.params["capability"]),
    }
    rows = eng.select_file(kind.query, bindings)
    if not rows:
        return None
    row = rows[0]
    value = _lit_value(row["answer"])
    variant = "true" if value is True else "false" if value is False else "other"
    return Outcome(
        [value],
        {
            "plugin": eng.index.label(r.params["plugin"], ctx.lang),
            "capability": eng.index.label(r.params["capability"], ctx.lang),
            "value": value,
        },
        [(kind.query, bindings)],
        [(row["plugin"], row["p"], row["o"])],
        variant,
    )


# ---------------------------------------------------------------------------------------------- relations


def _direction_hint(ctx: Context, m: Mention, prop_tokens: set[int]) -> str | None:
    """'out' when the anchor is the subject of the relation word, 'in' when it is its object."""
    if ctx.lang == "ko":
        particle = ctx.particle_after(m)
        if particle is None:
            return None
        if particle.tag == "JKS" or (particle.tag == "JX" and particle.form in ("은", "는")):
            return "out"
        if particle.tag in ("JKB", "JKO", "JC"):
            return "in"
        return None
    if not prop_tokens:
        return None
    first_prop = min(prop_tokens)
    passive = any(t.form.lower() == "by" for t in ctx.tokens[first_prop : m.first])
    before = m.last < first_prop
    return "out" if before != passive else "in"


def _values(eng: Answerer, entity: str, prop: str, direction: str) -> list[str | ox.Literal]:
    if direction == "out":
        return list(eng.index.out_edges.get((entity, prop), [])) + list(
            eng.index.literals.get((entity, prop), [])
        )
    return list(eng.index.in_edges.get((entity, prop), []))


def read_relation(eng: Answerer, kind: Kind, ctx: Context) -> list[Reading]:
    if ctx.yesno:
        return []
    anchor_classes = kind.slot_types("entity")
    allowed = kind.slot_types("property")
    base = float(kind.params.get("base", 3.0))
    cue = cue_match(eng, kind, ctx)
    if cue is None:
        return []
    boost, cue_tokens = cue
    target = ctx.target[1] if ctx.target else None
    t_tokens = target_tokens(ctx)
    if ctx.target and _possessed_by_unrelated(eng, ctx, *ctx.target):
        # "the purpose of ClusterIP": the class word names a property of the thing, not the kind of the answer
        target, t_tokens = None, set()
    readings: list[Reading] = []
    named = entity_mentions(eng, ctx)
    for m, entity in entity_mentions(eng, ctx, anchor_classes or None):
        anchor = ctx.mention_tokens(m)
        if anchor & t_tokens:
            continue
        asked_for = _asked_for(ctx, m)
        if asked_for and any(c.kind == "class" for c in m.candidates):
            continue  # "which load balancer ...": the kind of thing asked for, not what the question is about
        if ctx.disjunction and any(o is not m and _shared_class(eng, [entity, e2]) for o, e2 in named):
            continue  # "emptyDir or hostPath": a choice between named things, not a relation of one
        # "the Retain reclaim policy", "the access mode RWO": the entity's own class named beside it
        anchor = anchor | _apposed_class_tokens(eng, ctx, m, entity)
        options = []
        not_wording = anchor | t_tokens
        for prop, direction in eng.index.entity_props.get(entity, set()):
            if allowed and prop not in allowed:
                continue
            if asked_for and (prop not in eng.kind_of_properties or direction != "out"):
                continue  # "which container runtimes": only the kinds or examples of the thing named
            if prop not in eng.index.properties:
                continue
            score, tokens = eng.property_match(prop, ctx, not_wording)
            options.append((score, prop, direction, tokens))
        if not options:
            continue
        scored = [o for o in options if o[0] > 0]
        if not scored and not target and eng.index.has_type(entity, eng.describing_classes):
            # an entity that is itself a description ("share a Linux namespace", "run a job periodically")
            # has one relation to follow
            objects = {(p, d) for _, p, d, _ in options if not eng.index.properties[p].datatype}
            if len(objects) == 1:
                p, d = next(iter(objects))
                scored = [(0.5, p, d, set())]
        if not scored and not target and _asks_function(eng, ctx, m):
            for fp in eng.function_properties:
                if (fp, "out") in {(p, d) for _, p, d, _ in options}:
                    scored = [(0.5, fp, "out", set())]
                    break
        if not scored and target:
            fitting = {
                (p, d)
                for _, p, d, _ in options
                if p not in eng.negative_props or ctx.negation
                if any(
                    isinstance(v, str) and eng.index.has_type(v, {target}) for v in _values(eng, entity, p, d)
                )
            }
            props = {p for p, _ in fitting}
            if len(props) > 1:
                # "디플로이먼트의 장점": a property and its sub-property both fit; the sub-property is the more
                # specific reading (as when words fit both)
                narrower = {p for p in props if eng.index.super_props.get(p, set()) & props}
                if len(narrower) == 1:
                    props = narrower
                    fitting = {(p, d) for p, d in fitting if p in narrower}
            if len(props) == 1:
                scored = [(0.4, p, d, set()) for p, d in fitting]
        if not scored:
            continue
        best = max(s for s, *_ in scored)
        top = [o for o in scored if o[0] == best]
        props = {p for _, p, _, _ in top}
        if len(props) > 1:
            # the same words fit several properties: prefer one whose values have the asked-for class
            if target:
                top = [
                    o
                    for o in top
                    if any(
                        isinstance(v, str) and eng.index.has_type(v, {target})
                        for v in _values(eng, entity, o[1], o[2])
                    )
                ] or top
            props = {p for _, p, _, _ in top}
            if len(props) > 1:
                # a sub-property is the more specific reading
                narrower = {p for p in props if eng.index.super_props.get(p, set()) & props}
                top = [o for o in top if o[1] in narrower] or top
            props = {p for _, p, _, _ in top}
            if len(props) > 1:
                # "VPA는 어떤 애플리케이션에 쓰나요?": the word the question word asks about ("어떤 애플리케이션")
                # names the relation wanted, not the verb ("쓰")
                asked_word = _word_after_question_word(eng, ctx)
                if asked_word is not None:
                    top = [o for o in top if asked_word in o[3]] or top
        # equal fits: things before texts, then by IRI, so the reading does not depend on set order
        # then the wording nearer the end: a noun phrase ends in its head ("the default NodePort RANGE")
        top.sort(
            key=lambda o: (bool(eng.index.properties[o[1]].datatype), -max(o[3], default=-1), o[1], o[2])
        )
        score, prop, _, tokens = top[0]
        directions = {d for _, p, d, _ in top if p == prop}
        said = eng.direction_of(prop, ctx, anchor)
        if said in directions:
            directions = {said}
        if len(directions) > 1:
            hint = _direction_hint(ctx, m, tokens)
            direction = hint or "out"
            if direction == "in" and _comitative(ctx, m):
                # "components that talk WITH the API server": both directions, through a symmetric super-property
                sym = [
                    q
                    for q in eng.index.super_props.get(prop, set())
                    if q in eng.index.properties and eng.index.properties[q].symmetric
                ]
                if sym:
                    prop, direction = sym[0], "out"
        else:
            direction = directions.pop()
        if direction == "in":
            # "who talks to the API server": a relation with a symmetric super-property holds both ways
            # only when the question's words fit it as well: "직접 접근" names direct access, not interaction
            sym = [
                q
                for q in eng.index.super_props.get(prop, set())
                if q in eng.index.properties
                and eng.index.properties[q].symmetric
                and eng.property_match(q, ctx, anchor | t_tokens)[0] >= score
            ]
            if sym:
                prop, direction = sym[0], "out"
        denied = False
        if ctx.negation and not (ctx.negation <= tokens) and prop not in eng.negative_props:
            # "HPA가 적용되지 않는 리소스는?": the things the document says the relation does NOT hold for
            negative = [q for q in eng.index.disjoint_props.get(prop, set()) if q in eng.negative_props]
            if negative and (negative[0], direction) in eng.index.entity_props.get(entity, set()):
                prop = negative[0]
            elif direction == "out" and any(s == entity and p == prop for s, p, _o in eng.index.negatives):
                denied = True
            else:
                continue
            tokens = tokens | ctx.negation
        values = (
            [o for s, p, o in eng.index.negatives if s == entity and p == prop]
            if denied
            else _values(eng, entity, prop, direction)
        )
        literal = any(isinstance(v, ox.Literal) for v in values)
        if ctx.how_many and not literal:
            continue  # "how many ..." asks for a number, not for things
        explained = anchor | tokens | cue_tokens | ctx.ordinal_tokens
        # another named entity narrows the answer when some answers are linked to it ("used on premises")
        restrict: list[str] = []
        rival = False
        for o, e2 in named:
            otoks = ctx.mention_tokens(o)
            if o is m or otoks <= explained or e2 == entity:
                continue
            if otoks & ctx.excepted:
                explained |= otoks | ctx.excepted  # set aside ("besides etcd"): left out of the answers later
                continue
            answers = [v for v in _values(eng, entity, prop, direction) if isinstance(v, str)]
            if (
                not ctx.disjunction  # "Deployment or StatefulSet?" names the choices, not a rival
                and e2 not in answers
                and any(_shared_class(eng, [v, e2]) for v in answers)
            ):
                # "LoadBalancer ... in a PRIVATE environment" against the answer "public cloud": the question names
                # another thing of the answer's kind, so it asks from that thing, not for this relation's values
                rival = True
                break
            linked = [
                v for v in _values(eng, entity, prop, direction) if isinstance(v, str) and _linked(eng, v, e2)
            ]
            n_entities = len([v for v in _values(eng, entity, prop, direction) if isinstance(v, str)])
            if linked and len(linked) < n_entities:
                restrict.append(e2)
                explained |= otoks
        if rival:
            continue
        # "node" names the class as much as an entity
        # ("CNI plugin" is the entity's own label and only an alternative name of its one-member class: no ambiguity)
        own_label = any(c.iri == entity and c.source == "label" for c in m.candidates)
        bonus_ambiguous = (
            -1.0
            if any(
                c.kind == "class" and not (own_label and eng.index.instances_of(c.iri) == [entity])
                for c in m.candidates
            )
            else 0.0
        )
        bonus = 0.0
        if literal and _wh_noun_unexplained(ctx, explained):
            bonus -= 1.5  # "what storage ...": the question asks for a thing, not a value
        if target:
            typed = [v for v in values if isinstance(v, str) and eng.index.has_type(v, {target})]
            if literal and not typed:
                continue  # "which <class> ..." cannot be answered by a literal
            if typed:
                explained |= t_tokens
                bonus = 1.0
            else:
                bonus = -1.0
        # "what does RWO mean?" asks for a definition, whatever relation its words also fit
        for ph in eng.strong_definition_cues:
            hit = ctx.match_phrase(ph)
            if hit and not hit <= explained:
                bonus -= 2.0
                break
        s = (
            base
            + 3.0 * score
            + bonus
            + bonus_ambiguous
            + boost
            - UNEXPLAINED_COST * unexplained(ctx, explained)
        )
        readings.append(
            Reading(
                kind,
                s,
                explained,
                {
                    "entity": entity,
                    "property": prop,
                    "direction": direction,
                    "target": target,
                    "literal": literal,
                    "restrict": restrict,
                    "denied": denied,
                },
            )
        )
    return readings


def _asks_function(eng: Answerer, ctx: Context, m: Mention) -> bool:
    """'What does X do?': a what-question about one thing whose last word is a function verb."""
    if ctx.lang != "en" or not ctx.tokens or ctx.tokens[0].form.lower() != "what":
        return False
    words = [t for t in ctx.tokens[m.last + 1 :] if t.tag != "PUNCT" and t.form not in ("?", ".", "!")]
    return bool(words) and words[-1].form.lower() in eng.function_verbs


def _apposed_class_tokens(eng: Answerer, ctx: Context, m: Mention, entity: str) -> set[int]:
    """The tokens of a class mention right beside m that is the entity's own class ("the Retain reclaim policy")."""
    out: set[int] = set()
    for o in ctx.mentions:
        if o is m or not (o.first == m.last + 1 or o.last == m.first - 1):
            continue
        if any(c.kind == "class" and eng.index.has_type(entity, {c.iri}) for c in o.candidates):
            out |= ctx.mention_tokens(o)
    return out


def _wh_noun_unexplained(ctx: Context, explained: set[int]) -> bool:
    """'What storage ...' with 'storage' unexplained: the question names the kind of thing it wants."""
    for i, t in enumerate(ctx.tokens[:-1]):
        if t.form.lower() in ("which", "what"):
            nxt = i + 1
            return nxt in ctx.content and nxt not in explained
    return False


def _asked_for(ctx: Context, m: Mention) -> bool:
    """'which X' / 'what X' / '어떤 X': the mention names the kind of the answer."""
    if ctx.lang == "en" and any(o.first == m.last + 1 and o.iris("class") for o in ctx.mentions):
        return False  # "which Ingress controllers": a modifier, the head noun after it is the kind asked for
    k = m.first - 1
    while k >= 0 and ctx.tokens[k].form.lower() in ("the", "a", "an", "kind", "of", "type"):
        k -= 1
    return k >= 0 and ctx.tokens[k].form.lower() in ("which", "what", "어떤", "어느", "무슨")


def _only_negatively_linked(eng: Answerer, a: str, b: str) -> bool:
    """Whether every edge between a and b is a negative property (not involved in, lacks)."""
    found = False
    for p, _d in eng.index.entity_props.get(a, set()) | eng.index.entity_props.get(b, set()):
        if b in eng.index.out_edges.get((a, p), []) or a in eng.index.out_edges.get((b, p), []):
            if p not in eng.negative_props:
                return False
            found = True
    return found


def _comitative(ctx: Context, m: Mention) -> bool:
    """'with X' / 'X와': X is a partner of the relation rather than its object."""
    if ctx.lang == "ko":
        particle = ctx.particle_after(m)
        return particle is not None and particle.form in ("와", "과", "랑", "이랑", "하고")
    return (
        m.first > 0
        and ctx.tokens[m.first - 1].form.lower() == "with"
        or (m.first > 1 and ctx.tokens[m.first - 2].form.lower() == "with")
    )


def _linked(eng: Answerer, a: str, b: str) -> bool:
    """Whether a graph edge (any positive property, either direction) joins two entities."""
    for p, _d in eng.index.entity_props.get(a, set()):
        if p in eng.negative_props:
            continue
        if b in eng.index.out_edges.get((a, p), []) or b in eng.index.in_edges.get((a, p), []):
            return True
    return False


def run_relation(eng: Answerer, kind: Kind, ctx: Context, r: Reading) -> Outcome | None:
    entity, prop, direction = r.params["entity"], r.params["property"], r.params["direction"]
    query = kind.query if direction == "out" else kind.queries["inverse"]
    if r.params.get("denied"):
        query = kind.queries["denied"]
    bindings = {"entity": ox.NamedNode(entity), "property": ox.NamedNode(prop)}
    rows = eng.select_file(query, bindings)
    values: list[Any] = []
    evidence = []
    target = r.params.get("target")
    typed_rows = [
        row
        for row in rows
        if isinstance(row["value"], ox.NamedNode)
        and target
        and eng.index.has_type(row["value"].value, {target})
    ]
    if typed_rows:
        rows = typed_rows
    literal_rows = [row for row in rows if isinstance(row["value"], ox.Literal)]
    if literal_rows:
        in_lang = [row for row in literal_rows if row["value"].language == ctx.lang]
        tagged = [row for row in literal_rows if row["value"].language]
        rows = in_lang or (
            [row for row in literal_rows if row["value"].language == "en"] if tagged else literal_rows
        )
    for other in r.params.get("restrict") or []:
        kept = [
            row
            for row in rows
            if isinstance(row["value"], ox.NamedNode) and _linked(eng, row["value"].value, other)
        ]
        if kept:
            rows = kept
            for row in kept:
                for p, _d in eng.index.entity_props.get(row["value"].value, set()):
                    if other in eng.index.out_edges.get((row["value"].value, p), []):
                        evidence.append((row["value"], ox.NamedNode(p), ox.NamedNode(other)))
                    elif other in eng.index.in_edges.get((row["value"].value, p), []):
                        evidence.append((ox.NamedNode(other), ox.NamedNode(p), row["value"]))
    rows = sorted(rows, key=lambda row: eng.label_key(row["value"], ctx.lang))
    for row in rows:
        v = row["value"]
        if isinstance(v, ox.BlankNode):
            continue
        values.append(v)
        if r.params.get("denied") and "negation" in row:
            owl = ns.PREFIXES["owl"]
            n = row["negation"]
            evidence += [
                (
                    n,
                    ox.NamedNode(ns.PREFIXES["rdf"] + "type"),
                    ox.NamedNode(owl + "NegativePropertyAssertion"),
                ),
                (n, ox.NamedNode(owl + "sourceIndividual"), row["entity"]),
                (n, ox.NamedNode(owl + "assertionProperty"), row["property"]),
                (n, ox.NamedNode(owl + "targetIndividual"), v),
            ]
            continue
        s, o = (row["entity"], v) if direction == "out" else (v, row["entity"])
        evidence.insert(0, (s, row["property"], o))
    if not values:
        return None
    if ctx.ordinal is not None and len(values) > 1:
        # "the first step of ...": the values form one chain through a property of their own (next step)
        picked = _ordinal_pick(eng, values, ctx.ordinal)
        if picked is None:
            return None
        chosen, link = picked
        evidence = [t for t in evidence if chosen in (t[0], t[2])] + link
        values = [chosen]
    variant = "forward" if direction == "out" else "inverse"
    if r.params.get("denied"):
        variant = "denied"
    queries: list[tuple[str, dict[str, Any]]] = [(query, bindings)]
    more = ""
    if variant == "forward" and not any(isinstance(v, ox.Literal) for v in values):
        more = _elaborate_via(eng, kind, ctx, entity, prop, values, queries, evidence)
    return Outcome(
        values,
        {
            "entity": eng.index.label(entity, ctx.lang),
            "property": eng.index.label(prop, ctx.lang),
            "more": more,
        },
        queries,
        evidence,
        variant,
    )


def _ordinal_pick(
    eng: Answerer, values: list[Any], ordinal: int
) -> tuple[Any, list[tuple[Any, Any, Any]]] | None:
    """The n-th (or, negative, n-th from the end) of values that one property chains into a single sequence
    ("step 1 -> next step -> step 2 ..."), with the chain link that places it; None when they form no chain."""
    if not all(isinstance(v, ox.NamedNode) for v in values):
        return None
    vs = [v.value for v in values]
    members = set(vs)
    props = {p for v in vs for p, d in eng.index.entity_props.get(v, set()) if d == "out"}
    for p in sorted(props):
        nxt = {v: [o for o in eng.index.out_edges.get((v, p), []) if o in members] for v in vs}
        if any(len(x) > 1 for x in nxt.values()) or sum(len(x) for x in nxt.values()) != len(vs) - 1:
            continue
        followers = {o for x in nxt.values() for o in x}
        starts = [v for v in vs if v not in followers]
        if len(starts) != 1:
            continue
        chain = [starts[0]]
        while nxt[chain[-1]] and len(chain) <= len(vs):
            chain.append(nxt[chain[-1]][0])
        if len(chain) != len(vs) or abs(ordinal) > len(chain) or ordinal == 0:
            continue
        k = ordinal - 1 if ordinal > 0 else len(chain) + ordinal
        node = ox.NamedNode(chain[k])
        prop = ox.NamedNode(p)
        link = [(node, prop, ox.NamedNode(chain[k + 1]))] if k + 1 < len(chain) else []
        if k > 0:
            link.append((ox.NamedNode(chain[k - 1]), prop, node))
        return node, link
    return None


def _elaborate_via(
    eng: Answerer,
    kind: Kind,
    ctx: Context,
    entity: str,
    prop: str,
    values: list[Any],
    queries: list[tuple[str, dict[str, Any]]],
    evidence: list[tuple[Any, Any, Any]],
) -> str:
    """What the things linked to the entity by an ``elaborate_via`` property have for the same property beyond
    the entity's own values (CNI's plugin: IPAM, routing), as a sentence; their facts join the evidence."""
    parts = []
    template = (kind.params.get("via_text") or {}).get(ctx.lang, " {via}: {values}.")
    for link in kind.params.get("elaborate_via", []):
        if "via" not in kind.queries:
            break
        b = {
            "entity": ox.NamedNode(entity),
            "link": ox.NamedNode(expand(link)),
            "property": ox.NamedNode(prop),
        }
        rows = eng.select_file(kind.queries["via"], b)
        extra: dict[ox.NamedNode, list[ox.NamedNode]] = {}
        for row in rows:
            if isinstance(row["value"], ox.NamedNode) and row["value"] not in values:
                extra.setdefault(row["via"], []).append(row["value"])
        if not extra:
            continue
        queries.append((kind.queries["via"], b))
        for via, vals in sorted(extra.items(), key=lambda kv: kv[0].value):
            vals.sort(key=lambda v: eng.label_key(v, ctx.lang))
            evidence.append((via, b["link"], b["entity"]))
            evidence += [(via, b["property"], v) for v in vals]
            parts.append(
                template.format(
                    via=eng.index.label(via.value, ctx.lang),
                    link=eng.index.label(b["link"].value, ctx.lang),
                    values=", ".join(eng.index.label(v.value, ctx.lang) for v in vals),
                )
            )
    return "".join(parts)


def read_relation_yesno(eng: Answerer, kind: Kind, ctx: Context) -> list[Reading]:
    if not ctx.yesno:
        return []
    ents = entity_mentions(eng, ctx)
    readings: list[Reading] = []
    cue = cue_match(eng, kind, ctx)
    if cue is None:
        return []
    boost, cue_tokens = cue
    idx = eng.index
    pairs = [(a, b) for a in ents for b in ents if a[0] is not b[0] and a[0].first < b[0].first]
    for (m1, e1), (m2, e2) in pairs:
        anchor = ctx.mention_tokens(m1) | ctx.mention_tokens(m2)
        props = {p for p, _ in idx.entity_props.get(e1, set())} | {
            p for p, _ in idx.entity_props.get(e2, set())
        }
        props |= {p for s, p, o in idx.negatives if {s, o} == {e1, e2}}
        best = None
        implied: list[str] = []
        for prop in props:
            if prop not in idx.properties or idx.properties[prop].datatype:
                continue
            connected = (
                e2 in idx.out_edges.get((e1, prop), [])
                or e1 in idx.out_edges.get((e2, prop), [])
                or (e1, prop, e2) in idx.negatives
                or (e2, prop, e1) in idx.negatives
            )
            if not connected and not (_fits(eng, prop, e1, e2) or _fits(eng, prop, e2, e1)):
                continue
            score, tokens = eng.property_match(prop, ctx, anchor)
            if score <= 0 and not connected:
                implied.append(prop)  # checked below, only when no property is worded
                continue
            value = 3.0 * score + (1.0 if connected else 0.0)
            if best is None or value > best[0]:
                best = (value, prop, tokens)
        if best is None and implied:
            implied = [p for p in implied if _fits_strictly(eng, p, e1, e2) or _fits_strictly(eng, p, e2, e1)]
        if best is None and len(implied) == 1:
            # "Can a VPA scale out?": no word names the relation, but only one fits the two things' classes
            # (an autoscaler's scaling method), so the object's name says it
            best = (0.5, implied[0], set())
        if best is None:
            continue
        value, prop, tokens = best
        prop = eng.positive_form(prop, ctx)
        # which of the two is the subject: the one with an edge or a negative assertion, else by domain
        if e2 in idx.out_edges.get((e1, prop), []) or (e1, prop, e2) in idx.negatives:
            subj, obj = e1, e2
        elif e1 in idx.out_edges.get((e2, prop), []) or (e2, prop, e1) in idx.negatives:
            subj, obj = e2, e1
        elif (prop, "out") in idx.entity_props.get(e1, set()) or (prop, "in") in idx.entity_props.get(
            e2, set()
        ):
            subj, obj = e1, e2
        elif (prop, "out") in idx.entity_props.get(e2, set()) or (prop, "in") in idx.entity_props.get(
            e1, set()
        ):
            subj, obj = e2, e1
        else:
            subj, obj = e1, e2
        explained = anchor | tokens | cue_tokens | ctx.negation
        explained |= eng.elaborated(ctx, [e1, e2], explained, anchor)
        s = 2.0 + 3.0 + value + boost - UNEXPLAINED_COST * unexplained(ctx, explained)
        readings.append(Reading(kind, s, explained, {"subject": subj, "property": prop, "object": obj}))
    # one entity and a yes/no property of it ("Is emptyDir deleted with its pod?")
    for m, e in ents:
        anchor = ctx.mention_tokens(m)
        for prop, direction in idx.entity_props.get(e, set()):
            info = idx.properties.get(prop)
            if direction != "out" or info is None or not info.boolean:
                continue
            score, tokens = eng.property_match(prop, ctx, anchor)
            if score < 0.6:
                continue
            explained = anchor | tokens | cue_tokens
            s = 2.0 + 3.0 + 3.0 * score + boost - UNEXPLAINED_COST * unexplained(ctx, explained)
            readings.append(Reading(kind, s, explained, {"subject": e, "property": prop, "object": None}))
    # one entity, a relation of it by its wording, and the rest of the question describing one of its values
    # ("Do containers in the same pod share an IP address?": a characteristic whose own words say "IP address")
    own = eng.descriptions.own
    for m, e in ents:
        anchor = ctx.mention_tokens(m)
        words0 = {
            lemma for i, lemma in ctx.lemmas if i in ctx.content and i not in anchor and i not in cue_tokens
        }
        if not words0:
            continue
        for prop, direction in idx.entity_props.get(e, set()):
            info = idx.properties.get(prop)
            if direction != "out" or info is None or info.datatype:
                continue
            values = idx.out_edges.get((e, prop), [])
            if len(values) < 2:
                continue  # a single value would be named, not described
            if not any(words0 & own.get(v, set()) for v in values):
                continue
            score, tokens = eng.property_match(prop, ctx, anchor)
            if score < 0.6:
                continue
            used = anchor | tokens | cue_tokens
            rest = {i: lemma for i, lemma in ctx.lemmas if i in ctx.content and i not in used}
            if not rest:
                continue
            fitting = [v for v in values if set(rest.values()) <= own.get(v, set())]
            if len(fitting) != 1:
                continue
            explained = used | set(rest)
            s = 2.0 + 3.0 + 3.0 * score + 1.0 + boost - UNEXPLAINED_COST * unexplained(ctx, explained)
            readings.append(
                Reading(kind, s, explained, {"subject": e, "property": prop, "object": fitting[0]})
            )
    return readings


def _fits_strictly(eng: Answerer, prop: str, subj: str, obj: str) -> bool:
    """Whether subj and obj belong to the property's most specific domain and range classes (the stated ones,
    not their inferred superclasses), at least one of which is narrower than the top concept."""
    cache = eng.__dict__.setdefault("_strict_domain_range", {})
    found = cache.get(prop)
    if found is None:
        info = eng.index.properties.get(prop)
        if info is None:
            return False

        def leaves(classes: set[str]) -> frozenset[str]:
            known = {c for c in classes if c in eng.index.classes}
            return frozenset(
                c for c in known if not any(o != c and eng.index.subclass_of(o, {c}) for o in known)
            )

        doms, rans = leaves(info.domains), leaves(info.ranges)
        top = {KG + "KubernetesConcept"}
        found = cache[prop] = (doms, rans, bool(doms - top or rans - top))
    doms, rans, specific = found
    if not specific:
        return False
    return all(eng.index.has_type(subj, {d}) for d in doms) and all(
        eng.index.has_type(obj, {r}) for r in rans
    )


def _fits(eng: Answerer, prop: str, subj: str, obj: str) -> bool:
    """Whether subj and obj fit the property's domain and range (unknown domain or range fits anything)."""
    info = eng.index.properties.get(prop)
    if info is None:
        return False
    doms = {d for d in info.domains if d in eng.index.classes}
    rans = {r for r in info.ranges if r in eng.index.classes}
    return (not doms or eng.index.has_type(subj, doms)) and (not rans or eng.index.has_type(obj, rans))


def run_relation_yesno(eng: Answerer, kind: Kind, ctx: Context, r: Reading) -> Outcome | None:
    subj, prop, obj = r.params["subject"], r.params["property"], r.params["object"]
    labels = {
        "subject": eng.index.label(subj, ctx.lang),
        "property": eng.index.label(prop, ctx.lang),
        "property_verb": eng.index.label(prop, ctx.lang),
    }
    if obj is None:  # a boolean datatype property
        query = kind.queries.get("value", "competency/boolean_value.rq")
        bindings = {"entity": ox.NamedNode(subj), "property": ox.NamedNode(prop)}
        rows = eng.select_file(query, bindings)
        flags = [row["flag"] for row in rows if isinstance(row.get("flag"), ox.Literal)]
        if not flags:
            return None
        value = _lit_value(flags[0])
        if not isinstance(value, bool):
            return None
        if eng.contradicts(prop, ctx):
            value = not value  # "Does Retain keep the data?" against "deletes the physical volume"
        return Outcome(
            [value],
            labels,
            [(query, bindings)],
            [(ox.NamedNode(subj), ox.NamedNode(prop), flags[0])],
            "flag_true" if value else "flag_false",
        )
    bindings = {"subject": ox.NamedNode(subj), "property": ox.NamedNode(prop), "object": ox.NamedNode(obj)}
    rows = eng.select_file(kind.query, bindings)
    labels["object"] = eng.index.label(obj, ctx.lang)
    queries = [(kind.query, bindings)]
    holds = any(_lit_value(row["holds"]) is True for row in rows if "holds" in row)
    evidence: list[tuple[Any, Any, Any]] = []
    if holds:
        evidence.append((ox.NamedNode(subj), ox.NamedNode(prop), ox.NamedNode(obj)))
        return Outcome([True], labels, queries, evidence, "true")
    negations = [row["negation"] for row in rows if "negation" in row]
    disjoint = [row["disjoint"] for row in rows if "disjoint" in row]
    if negations:
        n = negations[0]
        owl = ns.PREFIXES["owl"]
        evidence += [
            (n, ox.NamedNode(ns.PREFIXES["rdf"] + "type"), ox.NamedNode(owl + "NegativePropertyAssertion")),
            (n, ox.NamedNode(owl + "sourceIndividual"), ox.NamedNode(subj)),
            (n, ox.NamedNode(owl + "assertionProperty"), ox.NamedNode(prop)),
            (n, ox.NamedNode(owl + "targetIndividual"), ox.NamedNode(obj)),
        ]
        return Outcome([False], labels, queries, evidence, "false")
    if disjoint:
        evidence.append((ox.NamedNode(subj), disjoint[0], ox.NamedNode(obj)))
        return Outcome([False], labels, queries, evidence, "false")
    # closed world over the document's list: the subject has other values for the property (or for a property
    # it specialises, "kubelet communicates with ...", which does not include etcd), but not this one
    for q in [prop, *sorted(eng.index.super_props.get(prop, set()))]:
        others = eng.index.out_edges.get((subj, q), [])
        if others and obj not in others:
            evidence += [(ox.NamedNode(subj), ox.NamedNode(q), ox.NamedNode(o)) for o in others]
            return Outcome([False], labels, queries, evidence, "false")
    return None


def read_is_a(eng: Answerer, kind: Kind, ctx: Context) -> list[Reading]:
    if not ctx.yesno or not ctx.copula:
        return []
    readings = []
    cue = cue_match(eng, kind, ctx)
    if cue is None:
        return []
    boost, cue_tokens = cue
    for m, entity in entity_mentions(eng, ctx):
        for cm in ctx.mentions:
            if cm is m or cm.first < m.last:
                continue
            classes = [c.iri for c in cm.candidates if c.kind == "class"]
            if not classes or not _apposed(ctx, m, cm):
                continue
            explained = ctx.mention_tokens(m) | ctx.mention_tokens(cm) | cue_tokens | ctx.negation
            member = eng.index.has_type(entity, set(classes))
            # an ambiguous name ("ClusterIP": the service type or the address) means the member reading
            s = (
                3.0
                + 3.0
                + 3.0
                + boost
                + (0.5 if member else 0.0)
                - UNEXPLAINED_COST * unexplained(ctx, explained)
            )
            readings.append(Reading(kind, s, explained, {"entity": entity, "class": classes[0]}))
    return readings


def _apposed(ctx: Context, m: Mention, cm: Mention) -> bool:
    """'is X a Y' / 'X는 Y인가': only articles or a topic particle between X and Y ('is etcd ON the node' is not)."""
    between = ctx.tokens[m.last + 1 : cm.first]
    if ctx.lang == "en":
        return all(t.form.lower() in ("a", "an", "the", "kind", "type", "of", "one") for t in between)
    return all(t.tag in ("JX", "JKS", "SP") for t in between)


def run_is_a(eng: Answerer, kind: Kind, ctx: Context, r: Reading) -> Outcome | None:
    bindings = {"entity": ox.NamedNode(r.params["entity"]), "class": ox.NamedNode(r.params["class"])}
    rows = eng.select_file(kind.query, bindings)
    if not rows:
        return None
    member = any(_lit_value(row["member"]) is True for row in rows)
    rdf_type = ox.NamedNode(ns.PREFIXES["rdf"] + "type")
    evidence: list[tuple[Any, Any, Any]] = []
    because = ""
    if member:
        evidence.append((bindings["entity"], rdf_type, bindings["class"]))
    else:
        disjoint = [row["disjoint"] for row in rows if "disjoint" in row]
        for d in disjoint[:1]:
            evidence.append((bindings["entity"], rdf_type, d))
            pair = (d, ox.NamedNode(ns.PREFIXES["owl"] + "disjointWith"), bindings["class"])
            evidence.append(pair)
            because = (
                f" (it is a {eng.index.label(d.value, 'en')}, which is disjoint with it)"
                if ctx.lang == "en"
                else f" ({eng.index.label(d.value, 'ko')}이며, 이는 서로소인 종류입니다)"
            )
        if not disjoint:
            types = [row["type"] for row in rows if "type" in row]
            evidence += [(bindings["entity"], rdf_type, t) for t in types[:3]]
    return Outcome(
        [member],
        {
            "entity": eng.index.label(r.params["entity"], ctx.lang),
            "class": eng.index.label(r.params["class"], ctx.lang),
            "because": because,
        },
        [(kind.query, bindings)],
        evidence,
        "true" if member else "false",
    )


# ---------------------------------------------------------------------------------------------- classes


def read_instances(eng: Answerer, kind: Kind, ctx: Context) -> list[Reading]:
    cue = cue_match(eng, kind, ctx)
    if cue is None or ctx.yesno:
        return []
    boost, cue_tokens = cue
    readings = []
    for m in ctx.mentions:
        for c in m.candidates:
            if c.kind != "class" or len(eng.index.instances_of(c.iri)) < 2:
                continue
            if _modified_by_unrelated(eng, ctx, m, c.iri) or _possessed_by_unrelated(eng, ctx, m, c.iri):
                continue  # "Ingress controllers" are not the workload controllers
            explained = ctx.mention_tokens(m) | cue_tokens | ctx.ordinal_tokens
            plural = any(t.form.lower() in ("are", "all") for t in ctx.tokens)
            last = ctx.tokens[m.last]
            plural = plural or (
                last.tag == "EN" and last.form.lower().endswith("s") and not last.form.lower().endswith("ss")
            )
            bonus = 0.5 if plural else 0.0
            if ctx.target and ctx.target[0] is m:
                bonus += 0.5
            s = 2.0 + 2.0 + bonus + boost - UNEXPLAINED_COST * unexplained(ctx, explained)
            params = {"class": c.iri, "ordinal": ctx.ordinal, "counted": _counted(ctx, m)}
            readings.append(Reading(kind, s, explained, params))
    return readings


def _counted(ctx: Context, m: Mention) -> bool:
    """Whether the question counts the class itself: 'how many <class>', '<class>는 몇 가지/개'."""
    forms = [t.form.lower() for t in ctx.tokens]
    if ctx.lang == "en":
        return m.first >= 2 and forms[m.first - 2 : m.first] == ["how", "many"]
    after = [t.form for t in ctx.tokens[m.last + 1 : m.last + 4]]
    return "몇" in after


def _modified_by_unrelated(eng: Answerer, ctx: Context, m: Mention, cls: str) -> bool:
    """Whether an English compound's modifier names a thing no member of the head's class is linked to."""
    if ctx.lang != "en":
        return False
    before = next((o for o in ctx.mentions if o.last == m.first - 1), None)
    if before is None:
        return False
    things = [c.iri for c in before.candidates if c.kind == "entity"]
    if not things:
        return False
    members = eng.index.instances_of(cls)
    return not any(e in members or _linked(eng, e, x) for e in things for x in members)


def _possessed_by_unrelated(eng: Answerer, ctx: Context, m: Mention, cls: str) -> bool:
    """'the purpose OF the pause container' / 'pause 컨테이너의 목적': the class is asked of a named thing that no
    member of the class is linked to, so the question is about that thing, not a list of the class."""
    for o in ctx.mentions:
        if o is m:
            continue
        if ctx.lang == "en":
            between = ctx.tokens[m.last + 1 : o.first] if o.first > m.last else ()
            joined = (
                bool(between)
                and between[0].form.lower() == "of"
                and all(t.form.lower() in ("of", "the", "a", "an") for t in between)
            )
        else:
            particle = ctx.particle_after(o)
            joined = (
                o.last < m.first
                and particle is not None
                and particle.form == "의"
                and (all(t.tag.startswith("J") or t.tag in ("SP",) for t in ctx.tokens[o.last + 1 : m.first]))
            )
        if not joined:
            continue
        things = [c.iri for c in o.candidates if c.kind == "entity"]
        members = eng.index.instances_of(cls)
        if things and not any(e in members or _linked(eng, e, x) for e in things for x in members):
            return True
    return False


def run_instances(eng: Answerer, kind: Kind, ctx: Context, r: Reading) -> Outcome | None:
    bindings = {"class": ox.NamedNode(r.params["class"])}
    rows = eng.select_file(kind.query, bindings)
    seen: list[ox.NamedNode] = []
    order: dict[ox.NamedNode, float] = {}
    for row in rows:
        if row["entity"] not in seen and eng.index.is_entity(row["entity"].value):
            seen.append(row["entity"])
        if "order" in row:
            with contextlib.suppress(ValueError):
                order[row["entity"]] = float(row["order"].value)
    # the document's order where it has one, else by label (sorted here: ORDER BY over mixed terms is fragile)
    seen.sort(key=lambda e: (order.get(e, 1e9), eng.index.label(e.value, ctx.lang).lower()))
    ordinal = r.params.get("ordinal")
    if ordinal is not None:  # "the first stage", "마지막 단계": only members with a document order count
        ranked = [e for e in seen if e in order]
        if not ranked or abs(ordinal) > len(ranked):
            return None
        seen = [ranked[ordinal - 1] if ordinal > 0 else ranked[ordinal]]
    if not seen:
        return None
    rdf_type = ox.NamedNode(ns.PREFIXES["rdf"] + "type")
    label = eng.index.label(r.params["class"], ctx.lang)
    evidence: list[tuple[Any, Any, Any]] = [(e, rdf_type, bindings["class"]) for e in seen]
    if ctx.how_many and not r.params.get("counted"):
        return None  # "the maximum number of nodes" is not the number of node kinds
    if ctx.how_many and ordinal is None:  # "how many service types are there?": the number of members
        members = ", ".join(eng.index.label(e.value, ctx.lang) for e in seen)
        return Outcome(
            [len(seen)], {"class": label, "members": members}, [(kind.query, bindings)], evidence, "count"
        )
    return Outcome(seen, {"class": label}, [(kind.query, bindings)], evidence, "list")


def read_definition(eng: Answerer, kind: Kind, ctx: Context) -> list[Reading]:
    if ctx.yesno or not ctx.mentions:
        return []
    cue = cue_match(eng, kind, ctx)
    if cue is None:
        return []
    boost, cue_tokens = cue
    # one thing asked about; other mentions may only name its class ("the access mode RWO")
    things = [
        m
        for m in ctx.mentions
        if not all(
            c.kind == "class"
            and any(eng.index.has_type(x.iri, {c.iri}) for o in ctx.mentions for x in o.candidates)
            for c in m.candidates
        )
    ]
    if len(things) != 1:
        return []
    m = things[0]
    apposed = set()
    for o in ctx.mentions:
        if o is not m:
            apposed |= ctx.mention_tokens(o)
    readings = []
    # a thing named by its label before a class named by an alternative label ("Ingress": the object, not its class)
    ranked = sorted(m.candidates, key=lambda c: (c.distance, c.source == "alt", c.kind == "class"))
    for c in ranked:
        if c.iri not in eng.index.definitions:
            continue
        explained = ctx.mention_tokens(m) | cue_tokens | apposed
        singular_is = any(t.form.lower() == "is" for t in ctx.tokens)
        strong = 2.0 if any(ctx.match_phrase(ph) for ph in eng.strong_definition_cues) else 0.0
        s = (
            2.0
            + boost
            + strong
            + (0.3 if singular_is else 0.0)
            - UNEXPLAINED_COST * unexplained(ctx, explained)
        )
        if c.kind == "class":
            s -= 0.1
        readings.append(Reading(kind, s, explained, {"entity": c.iri}))
        break
    return readings


def run_definition(eng: Answerer, kind: Kind, ctx: Context, r: Reading) -> Outcome | None:
    bindings = {"entity": ox.NamedNode(r.params["entity"])}
    rows = eng.select_file(kind.query, bindings)
    by_lang = {row["definition"].language: row["definition"] for row in rows}
    lit = by_lang.get(ctx.lang) or by_lang.get("en") or next(iter(by_lang.values()), None)
    if lit is None:
        return None
    queries: list[tuple[str, dict[str, Any]]] = [(kind.query, bindings)]
    evidence: list[tuple[Any, Any, Any]] = [
        (bindings["entity"], ox.NamedNode(ns.PREFIXES["skos"] + "definition"), lit)
    ]
    also = []
    for prop in kind.params.get("also", []):
        b = {"entity": bindings["entity"], "property": ox.NamedNode(expand(prop))}
        rows = [
            row for row in eng.select_file(kind.queries["also"], b) if isinstance(row["value"], ox.NamedNode)
        ]
        if not rows:
            continue
        queries.append((kind.queries["also"], b))
        rows.sort(key=lambda row: eng.label_key(row["value"], ctx.lang))
        evidence += [(row["entity"], row["property"], row["value"]) for row in rows]
        also.append(", ".join(eng.index.label(row["value"].value, ctx.lang) for row in rows))
    template = (kind.params.get("also_text") or {}).get(ctx.lang, " {values}.")
    return Outcome(
        [bindings["entity"]],
        {"definition": lit.value, "also": template.format(values="; ".join(also)) if also else ""},
        queries,
        evidence,
    )


# ---------------------------------------------------------------------------------------------- descriptions


def read_describe(eng: Answerer, kind: Kind, ctx: Context) -> list[Reading]:
    if ctx.yesno:
        return []
    fixed = next(iter(kind.slot_types("use_case")), None)
    via = kind.slot_via("use_case")
    class_said: set[int] = set()
    mention_weight = float(kind.params.get("mention_weight", 2.0))
    if fixed:
        cls = expand(fixed)
        t_tokens: set[int] = set()
        if ctx.target:
            t_tokens = target_tokens(ctx)
    elif ctx.target:
        cls = ctx.target[1]
        t_tokens = target_tokens(ctx)
    elif kind.params.get("global", False):
        cls = KG + "KubernetesConcept"
        t_tokens = set()
        soft = _head_noun_class(eng, ctx)
        if soft:
            cls, t_tokens, class_said = soft
    else:
        return []
    global_ = not fixed and not ctx.target and cls == KG + "KubernetesConcept"
    candidates = eng.index.instances_of(cls)
    if global_:
        candidates = eng.global_candidates()
    if not candidates:
        return []
    cue = cue_match(eng, kind, ctx)
    if cue is None:
        return []
    boost, cue_tokens = cue
    words = {
        lemma: [i for i in idxs if i in ctx.content]
        for lemma, idxs in ctx.lemma_set(exclude=t_tokens).items()
        if any(i in ctx.content for i in idxs)
    }
    among = set(candidates)
    mentioned: dict[str, set[int]] = {}
    for m in ctx.mentions:
        for c in m.candidates:
            if c.iri in among:
                mentioned.setdefault(c.iri, set()).update(ctx.mention_tokens(m))
    # only candidates that share a word with the question (score_all's) or are named in it can score
    scores = eng.descriptions.score_all(words, among)
    scored = []
    for cand in candidates:
        if cand not in scores and cand not in mentioned:
            continue
        score, tokens = scores.get(cand) or (0.0, set())
        if cand in mentioned:
            score += mention_weight
            tokens |= mentioned[cand]
        scored.append((score, cand, tokens))
    if not scored:
        return []
    scored.sort(key=lambda x: -x[0])
    top = scored[0][0]
    if top <= 0:
        return []
    winners = [x for x in scored if abs(x[0] - top) < 1e-9]
    if len(winners) > 1:
        # equal bags: prefer the one whose single description fits best, then the most specific one
        seq = word_run(ctx.tokens)
        fits = {w[1]: eng.descriptions.best_text(w[1], words, seq) for w in winners}
        ranked = sorted(winners, key=lambda w: fits[w[1]], reverse=True)
        winners = [w for w in ranked if fits[w[1]] == fits[ranked[0][1]]]
    if len(winners) > 1:
        # still equal ("PV를 미리 만들어 두는 방식은?"): the question's other words may name the kind of thing it
        # asks for ("방식" of "프로비저닝 방식"); keep the winners whose class names use them
        named = [(w, _class_word_tokens(eng, w[1], words, w[2])[0]) for w in winners]
        most = max(len(t) for _, t in named)
        if most:
            winners = [(w[0], w[1], w[2] | t) for w, t in named if len(t) == most]
    if ctx.target and all(any(c.iri == w[1] for c in ctx.target[0].candidates) for w in winners):
        return []  # "What is Ingress?": the asked-for class and the answer share one name, a definition fits
    second = next((x[0] for x in scored if x[0] < top - 1e-9), 0.0)
    if len(candidates) > 1 and second > 0 and top < 1.25 * second and top - second < 1.5:
        return []  # no clear winner: do not guess
    if len(candidates) > 1 and top < 2.0:
        return []
    if global_ and len(winners) == 1:
        # no class named, but a word names the winner's kind ("PV를 미리 만들어 두는 방식": "방식" of "프로비저닝
        # 방식"): the winner need only stand out among the things of that kind
        tokens, kinds = _class_word_tokens(eng, winners[0][1], words, winners[0][2])
        if tokens:
            winners = [(winners[0][0], winners[0][1], winners[0][2] | tokens)]
            second = next(
                (x[0] for x in scored if x[0] < top - 1e-9 and eng.index.has_type(x[1], kinds)), 0.0
            )
    if global_:
        # no class named: only a strong, distinctive match of several words counts
        matched = {lemma for lemma, idxs in words.items() if set(idxs) & winners[0][2]}
        clear = not second or top >= 1.5 * second or (top - second >= 3.0 and top >= 1.3 * second)
        if len(winners) > 1 or len(matched) < 3 or top < 5.0 or not clear:
            return []
        # a thing the question names must be the answer or be linked to it ("etcd's port" is not NodePort)
        w = winners[0][1]
        bag = eng.descriptions.bags.get(w, {})
        for m, e in entity_mentions(eng, ctx):
            if e == w or _linked(eng, w, e) or any(c.iri == w for c in m.candidates):
                continue
            if not any(lemma in bag for i, lemma in ctx.lemmas if m.first <= i <= m.last):
                return []
    # "the CNI plugin's responsibilities": the words that fit the winner only name another thing, which has the
    # winner among several values of the asked-for class; the question asks for all of them (a relation), not one
    if ctx.target:
        for m, e in entity_mentions(eng, ctx):
            toks = ctx.mention_tokens(m)
            if any(e == w[1] for w in winners) or not all(w[2] - t_tokens <= toks for w in winners):
                continue
            for p, d in eng.index.entity_props.get(e, set()):
                vals = [
                    v for v in _values(eng, e, p, d) if isinstance(v, str) and eng.index.has_type(v, {cls})
                ]
                if len(vals) > 1 and all(w[1] in vals for w in winners):
                    return []
    # a thing the question names may not be tied to the winner only by a denial ("kube-proxy is NOT involved in")
    for _m, e in entity_mentions(eng, ctx):
        if all(e != w[1] and _only_negatively_linked(eng, w[1], e) for w in winners):
            return []
    if via and ctx.target:
        served = {o for w in winners for o in eng.index.out_edges.get((w[1], expand(via)), [])}
        if not any(eng.index.has_type(o, {ctx.target[1]}) for o in served):
            return []  # "which component ..." is not answered by a workload controller
    explained = set().union(*(w[2] for w in winners)) | t_tokens | cue_tokens | class_said
    # the asked-for class gets credit when the question names it
    base = 1.5 if (ctx.target or len(candidates) == 1) else 0.5
    if global_:
        base = 0.0
    if via and not ctx.target and not cue_tokens:
        base -= 0.5
    s = base + min(top, 6.0) / 1.5 + boost - UNEXPLAINED_COST * unexplained(ctx, explained)
    return [
        Reading(
            kind,
            s,
            explained,
            {
                "class": cls,
                "via": expand(via) if via else None,
                "winners": [w[1] for w in winners],
                "words": words,
            },
        )
    ]


def _class_word_tokens(
    eng: Answerer, entity: str, words: dict[str, list[int]], used: set[int]
) -> tuple[set[int], set[str]]:
    """The question's tokens, not yet matched for entity, whose lemmas occur in the names of entity's classes
    ("방식" of "프로비저닝 방식"), and those classes."""
    cache = eng.__dict__.setdefault("_class_name_lemmas", {})
    found: set[int] = set()
    classes: set[str] = set()
    for cls in eng.index.types.get(entity, ()):
        lemmas = cache.get(cls)
        if lemmas is None:
            lemmas = cache[cls] = frozenset(
                lemma for text, _lang, _src in eng.index.names.get(cls, []) for lemma in phrase_seq(text)
            )
        hit = {i for lemma, idxs in words.items() if lemma in lemmas for i in idxs if i not in used}
        if hit:
            found |= hit
            classes.add(cls)
    return found, classes


def class_heads(eng: Answerer) -> dict[str, set[str]]:
    """Head noun (last lemma) of every several-word class name -> the classes (computed once per answerer)."""
    heads = eng.__dict__.get("_class_heads")
    if heads is None:
        heads = {}
        for c in sorted(eng.index.classes):
            for text, _lang, _src in eng.index.names.get(c, []):
                seq = phrase_seq(text)
                if len(seq) > 1:
                    heads.setdefault(seq[-1], set()).add(c)
        eng.__dict__["_class_heads"] = heads
    return heads


def _word_after_question_word(eng: Answerer, ctx: Context) -> int | None:
    """The token right after the first question word ("which APPLICATION", "어떤 애플리케이션"), if it is content."""
    for i, t in enumerate(ctx.tokens[:-1]):
        if t.lemma in eng.wh_words or t.form.lower() in eng.wh_words:
            return i + 1 if i + 1 in ctx.content else None
    return None


def _head_noun_class(eng: Answerer, ctx: Context) -> tuple[str, set[int], set[int]] | None:
    """ "Which container ...": the word after the question word names no class itself, but it is the head noun
    (last word) of exactly one class's name ("infrastructure container"); that class is asked for. Returns the
    class, the head word's token and the tokens the class's own definition explains."""
    tokens = ctx.tokens
    for i, t in enumerate(tokens[:-1]):
        if t.lemma not in eng.wh_words and t.form.lower() not in eng.wh_words:
            continue
        j = i + 1
        if j not in ctx.content or j in ctx.token_mention:
            return None
        found = class_heads(eng).get(tokens[j].lemma, set())
        if len(found) != 1:
            return None
        cls = next(iter(found))
        # the class's own definition may say the rest ("a container Kubernetes ADDS to every POD")
        cache = eng.__dict__.setdefault("_class_said", {})
        said = cache.get(cls)
        if said is None:
            said = cache[cls] = frozenset(
                lemma for text in eng.index.definitions.get(cls, {}).values() for lemma in phrase_seq(text)
            )
        return cls, {j}, {k for k, lemma in ctx.lemmas if k in ctx.content and lemma in said}
    return None


def run_describe(eng: Answerer, kind: Kind, ctx: Context, r: Reading) -> Outcome | None:
    cls, via, winners = r.params["class"], r.params["via"], r.params["winners"]
    found = {w: eng.descriptions.evidence(w, r.params["words"]) for w in winners}
    bindings: dict[str, Any] = {"class": ox.NamedNode(cls)}
    if via:
        bindings["via"] = ox.NamedNode(via)
    rows = []
    queries = []
    for w in winners:  # the winners' rows only: the ranking itself used the precomputed description bags
        b = {**bindings, "entity": ox.NamedNode(w)}
        rows += eng.select_file(kind.query, b)
        queries.append((kind.query, b))
    wanted = {ox.NamedNode(w) for w in winners}
    evidence: list[tuple[Any, Any, Any]] = []
    answers: list[Any] = []
    matched_texts: list[str] = []
    for w in winners:
        for ev in found.get(w, [])[:2]:
            if ev.lang == ctx.lang and ev.text not in matched_texts:
                matched_texts.append(ev.text)
    for row in rows:
        if row["entity"] not in wanted:
            continue
        if via:
            if row["answer"] not in answers:
                answers.append(row["answer"])
                evidence.append((row["entity"], bindings["via"], row["answer"]))
        else:
            if row["entity"] not in answers:
                answers.append(row["entity"])
    for w in winners:
        node = ox.NamedNode(w)
        for ev in found.get(w, [])[:3]:
            if (
                ev.predicate == ns.PREFIXES["rdfs"] + "label"
                or ev.predicate.startswith(ns.KG)
                and ev.lang not in ("en", "ko")
            ):
                continue
            if ev.lang in ("en", "ko") and (
                ev.predicate in eng.index.properties or ev.predicate.startswith(ns.PREFIXES["skos"])
            ):
                evidence.append((node, ox.NamedNode(ev.predicate), ox.Literal(ev.text, language=ev.lang)))
    if not answers:
        return None
    matched = "; ".join(matched_texts[:1]) or ", ".join(eng.index.label(w, ctx.lang) for w in winners)
    return Outcome(
        answers,
        {"matched": matched, "class": eng.index.label(cls, ctx.lang)},
        queries,
        evidence,
    )


def read_boolean_filter(eng: Answerer, kind: Kind, ctx: Context) -> list[Reading]:
    if ctx.yesno:
        return []
    idx = eng.index
    readings = []
    named = entity_mentions(eng, ctx)
    named_iris = list(dict.fromkeys(i for _, i in named))
    groups: list[tuple[str, list[str], set[int]]] = []  # (mode, candidates, tokens explained)
    if len(named_iris) >= 2:
        for e in named_iris:
            group = [x for x in named_iris if x == e or _shared_class(eng, [e, x])]
            if len(group) >= 2:
                toks = set().union(*(ctx.mention_tokens(m) for m, i in named if i in group))
                groups.append(("named", group, toks | ctx.disjunction))
                break
    if ctx.target:
        groups.append(("class", idx.instances_of(ctx.target[1]), target_tokens(ctx)))
    for mode, cands, toks in groups:
        if not cands:
            continue
        props = set()
        for c in cands:
            for p, d in idx.entity_props.get(c, set()):
                info = idx.properties.get(p)
                if d == "out" and info is not None and info.boolean:
                    props.add(p)
        best = None
        for p in props:
            exclude = set() if mode == "class" else toks
            score, tokens = eng.property_match(p, ctx, exclude, full=True)
            if mode == "class" and tokens <= toks:
                continue  # "is a service type" says nothing beyond the class the question names
            if score > 0 and (best is None or score > best[0]):
                best = (score, p, tokens)
        if best is None:
            continue
        score, prop, tokens = best
        flag = not ctx.negation
        if eng.contradicts(prop, ctx):
            flag = not flag  # "keeps its files when the pod is deleted" asks for deleted-with-pod = false
        explained = toks | tokens | ctx.negation | (target_tokens(ctx) if ctx.target else set())
        s = 2.0 + 3.0 * score + 1.0 - UNEXPLAINED_COST * unexplained(ctx, explained)
        readings.append(
            Reading(
                kind,
                s,
                explained,
                {
                    "mode": mode,
                    "candidates": cands,
                    "property": prop,
                    "flag": flag,
                    "class": ctx.target[1] if ctx.target else None,
                },
            )
        )
    return readings


def _shared_class(eng: Answerer, entities: list[str]) -> bool:
    """Whether the entities share a class more specific than the top concept (emptyDir and hostPath do)."""
    top = {KG + "KubernetesConcept", ns.PREFIXES["owl"] + "Thing", ns.PREFIXES["owl"] + "NamedIndividual"}
    common = set.intersection(*(eng.index.types.get(e, set()) for e in entities)) - top
    return bool(common)


def run_boolean_filter(eng: Answerer, kind: Kind, ctx: Context, r: Reading) -> Outcome | None:
    prop, flag = r.params["property"], r.params["flag"]
    answers: list[ox.NamedNode] = []
    evidence = []
    queries = []
    flag_lit = ox.Literal("true" if flag else "false", datatype=ox.NamedNode(XSD + "boolean"))
    if r.params["mode"] == "class":
        bindings = {
            "class": ox.NamedNode(r.params["class"]),
            "property": ox.NamedNode(prop),
            "flag": flag_lit,
        }
        rows = eng.select_file(kind.query, bindings)
        queries.append((kind.query, bindings))
        for row in rows:
            if row["entity"] not in answers:
                answers.append(row["entity"])
                evidence.append((row["entity"], bindings["property"], flag_lit))
        # another thing the question names narrows the answers linked to it ("read-write from only one pod")
        for _m, e in entity_mentions(eng, ctx):
            linked = [a for a in answers if a.value != e and _linked(eng, a.value, e)]
            if linked and len(linked) < len(answers):
                answers = linked
                evidence = [ev for ev in evidence if ev[0] in linked]
        if not answers and "erratum" in kind.queries:
            # none has it, but the document says one does and an erratum corrects that ("a proxy to outside":
            # ExternalName, which is in fact a DNS alias): answer what the document says, citing the correction
            found = _corrected_by_erratum(eng, kind, ctx, bindings, queries, evidence)
            if found:
                answers = found
                return Outcome(
                    answers,
                    {"property": eng.index.label(prop, ctx.lang), "flag": "true" if flag else "false"},
                    queries,
                    evidence,
                    "erratum",
                )
    else:
        query = kind.queries["named"]
        for cand in r.params["candidates"]:
            bindings = {"entity": ox.NamedNode(cand), "property": ox.NamedNode(prop)}
            rows = eng.select_file(query, bindings)
            queries.append((query, bindings))
            for row in rows:
                if _lit_value(row["flag"]) is flag:
                    answers.append(bindings["entity"])
                evidence.append((bindings["entity"], bindings["property"], row["flag"]))
    if not answers:
        return None
    return Outcome(
        answers,
        {"property": eng.index.label(prop, ctx.lang), "flag": "true" if flag else "false"},
        queries,
        evidence,
    )


def _corrected_by_erratum(
    eng: Answerer,
    kind: Kind,
    ctx: Context,
    bindings: dict[str, Any],
    queries: list[tuple[str, dict[str, Any]]],
    evidence: list[tuple[Any, Any, Any]],
) -> list[ox.NamedNode]:
    """Members whose erratum's label speaks of the property ("not a PROXY" for "proxies traffic")."""
    query = kind.queries["erratum"]
    rows = eng.select_file(query, bindings)
    queries.append((query, bindings))
    prop = bindings["property"].value
    words = {lemma for text, _lang in eng.index.properties[prop].labels for lemma in phrase_seq(text)}
    about = ox.NamedNode(ns.KG + "about")
    says = ox.NamedNode(ns.KG + "documentSays")
    found: list[ox.NamedNode] = []
    for row in rows:
        if not words & set(phrase_seq(row["label"].value)):
            continue
        if row["entity"] not in found:
            found.append(row["entity"])
        evidence.append((row["erratum"], about, row["entity"]))
        if row.get("documentSays") is not None:
            evidence.append((row["erratum"], says, row["documentSays"]))
        evidence.append((row["entity"], bindings["property"], row["value"]))
    return found


def read_example_chain(eng: Answerer, kind: Kind, ctx: Context) -> list[Reading]:
    prop = kind.slot_via("example") or KG + "hasExample"
    cue = cue_match(eng, kind, ctx)
    if cue is None or ctx.yesno:
        return []
    boost, cue_tokens = cue
    readings = []
    for m, e in entity_mentions(eng, ctx):
        if (prop, "in") not in eng.index.entity_props.get(e, set()):
            continue
        explained = ctx.mention_tokens(m) | cue_tokens | target_tokens(ctx)
        s = 3.0 + 1.0 + boost - UNEXPLAINED_COST * unexplained(ctx, explained)
        readings.append(Reading(kind, s, explained, {"example": e}))
    return readings


def run_example_chain(eng: Answerer, kind: Kind, ctx: Context, r: Reading) -> Outcome | None:
    bindings = {"example": ox.NamedNode(r.params["example"])}
    rows = eng.select_file(kind.query, bindings)
    answers, evidence, kinds = [], [], []
    for row in rows:
        if row["controller"] not in answers:
            answers.append(row["controller"])
        kinds.append(row["appKind"])
        evidence += [
            (row["appKind"], ox.NamedNode(KG + "hasExample"), row["example"]),
            (row["server"], ox.NamedNode(KG + "runsApplicationKind"), row["appKind"]),
            (row["server"], ox.NamedNode(KG + "deployedWith"), row["controller"]),
        ]
    if not answers:
        return None
    return Outcome(
        answers,
        {
            "example": eng.index.label(r.params["example"], ctx.lang),
            "appkind": eng.index.label(kinds[0].value, ctx.lang),
        },
        [(kind.query, bindings)],
        list(dict.fromkeys(evidence)),
    )


# ---------------------------------------------------------------------------------------------- HPA arithmetic


def read_hpa(eng: Answerer, kind: Kind, ctx: Context) -> list[Reading]:
    inputs = hpa_math.parse(ctx.analysis.text)
    if inputs is None:
        return []
    cue = cue_match(eng, kind, ctx)
    if cue is None:
        return []
    explained = set(range(len(ctx.tokens)))  # every word went into the numbers or their roles
    return [Reading(kind, 8.0, explained, {"inputs": inputs})]


def run_hpa(eng: Answerer, kind: Kind, ctx: Context, r: Reading) -> Outcome | None:
    inputs: hpa_math.HpaInputs = r.params["inputs"]
    try:
        calc = hpa_math.replica_calculation(inputs)
    except ValueError:
        return None
    bindings = {
        "current": inputs.current,
        "usage": int(inputs.usage_milli) if inputs.usage_milli is not None else 0,
        "request": int(inputs.request_milli) if inputs.request_milli is not None else 0,
        "target": int(inputs.target_percent),
    }
    rows = eng.select_file(kind.query, bindings)
    evidence = []
    hpa = ox.NamedNode(KR + "HorizontalPodAutoscaler")
    for row in rows:
        if "period" in row:
            evidence.append((hpa, ox.NamedNode(KG + "metricCheckPeriodSeconds"), row["period"]))
        if "example" in row and "desired" in row:
            evidence.append((row["example"], ox.NamedNode(KG + "desiredReplicas"), row["desired"]))
    usage = f"{inputs.usage_milli:g}m" if inputs.usage_milli is not None else None
    request = f"{inputs.request_milli:g}m" if inputs.request_milli is not None else None
    if ctx.lang == "ko":
        how = (
            f"현재 {inputs.current}개 파드의 사용률 {calc.utilization}%"
            + (f"(평균 {usage} / 요청 {request})" if usage and request else "")
            + f", 목표 {inputs.target_percent:g}% → ceil({inputs.current} × {calc.utilization} / {inputs.target_percent:g})"
            + (" (허용 오차 10% 이내라 유지)" if calc.within_tolerance else "")
            + (f", 최소/최대 복제본 수 적용 → {calc.replicas}" if calc.clamped else "")
            + ". HPA 복제본 계산기(replica_calculator)로 계산했습니다."
        )
    else:
        how = (
            f"{inputs.current} pods at {calc.utilization}% utilization"
            + (f" (average {usage} of a {request} request)" if usage and request else "")
            + f" against a {inputs.target_percent:g}% target: ceil({inputs.current} × {calc.utilization} / {inputs.target_percent:g})"
            + (" (within the 10% tolerance, so unchanged)" if calc.within_tolerance else "")
            + (f", clamped to the {calc.clamped} replicas bound: {calc.replicas}" if calc.clamped else "")
            + ", computed by the HPA replica calculator."
        )
    return Outcome(
        [calc.replicas], {"answer": calc.replicas, "explanation": how}, [(kind.query, bindings)], evidence
    )


def read_capability_by_traits(eng: Answerer, kind: Kind, ctx: Context) -> list[Reading]:
    """'Which storage can multiple nodes mount read-write?': the access mode from its scope and write permission."""
    if not form_ok(kind, ctx) or entity_mentions(eng, ctx, kind.slot_types("mode")):
        return []
    scopes = entity_mentions(eng, ctx, kind.slot_types("scope"))
    if len(scopes) != 1:
        return []
    cue = cue_match(eng, kind, ctx)
    if cue is None:
        return []
    boost, explained = cue
    m, scope = scopes[0]
    write_hits = [h for ph in eng.kind_phrases(kind, "write") if (h := ctx.match_phrase(ph))]
    read_hits = [h for ph in eng.kind_phrases(kind, "read_only") if (h := ctx.match_phrase(ph))]
    flags = {
        e: eng.index.literals.get((e, KG + "allowsWrite"), []) for e in eng.index.instances_of(ACCESS_MODE)
    }
    modes = [e for e in flags if scope in eng.index.out_edges.get((e, KG + "mountScope"), [])]
    if read_hits:
        want: bool | None = False
    elif write_hits:
        want = True
    else:
        want = None
    if want is not None:
        modes = [e for e in modes if any(_lit_value(x) is want for x in flags[e])]
    if len(modes) != 1:
        return []  # "many nodes" alone could be RWX or ROX: do not guess
    for h in write_hits + read_hits:
        explained |= h
    explained |= ctx.mention_tokens(m) | target_tokens(ctx)
    for o in ctx.mentions:
        if any(c.kind == "class" and eng.index.subclass_of(c.iri, STORAGE_TOPICS) for c in o.candidates):
            explained |= ctx.mention_tokens(o)
    score = 3.0 + 3.0 + boost - UNEXPLAINED_COST * unexplained(ctx, explained)
    return [Reading(kind, score, explained, {"scope": scope, "write": want, "mode": modes[0]})]


def run_capability_by_traits(eng: Answerer, kind: Kind, ctx: Context, r: Reading) -> Outcome | None:
    mode = ox.NamedNode(r.params["mode"])
    queries = []
    if r.params["write"] is not None:
        b = {"scope": ox.NamedNode(r.params["scope"]), "write": bool(r.params["write"])}
        rows = eng.select_file(kind.queries["mode"], b)
        queries.append((kind.queries["mode"], b))
        if [row["mode"] for row in rows] != [mode]:
            return None
    bindings = {"capability": mode}
    rows = eng.select_file(kind.query, bindings)
    queries.append((kind.query, bindings))
    plugins = sorted({row["plugin"].value for row in rows}, key=lambda p: eng.index.label(p))
    if not plugins:
        return None
    evidence: list[tuple[Any, Any, Any]] = [
        (mode, ox.NamedNode(KG + "mountScope"), ox.NamedNode(r.params["scope"]))
    ]
    for x in eng.index.literals.get((r.params["mode"], KG + "allowsWrite"), []):
        evidence.append((mode, ox.NamedNode(KG + "allowsWrite"), x))
    evidence += [(row["plugin"], row["p"], row["o"]) for row in rows]
    description = eng.index.label(r.params["scope"], ctx.lang)
    if r.params["write"] is not None:
        rw = {True: {"en": "read-write", "ko": "읽기/쓰기"}, False: {"en": "read-only", "ko": "읽기 전용"}}
        description += ", " + rw[bool(r.params["write"])][ctx.lang]
    return Outcome(
        [ox.NamedNode(p) for p in plugins],
        {"capabilities": eng.index.label(r.params["mode"], ctx.lang), "description": description},
        queries,
        evidence,
    )


# ---------------------------------------------------------------------------------------------- comparisons


def read_comparison(eng: Answerer, kind: Kind, ctx: Context) -> list[Reading]:
    """'emptyDir와 hostPath의 차이는?', 'Deployment vs StatefulSet', 'compare ClusterIP, NodePort and LoadBalancer':
    two or more named things of one kind and a comparison word."""
    cue = cue_match(eng, kind, ctx)
    if cue is None:
        return []
    boost, cue_tokens = cue
    by_mention: list[tuple[Mention, list[str]]] = []
    for m, iri in entity_mentions(eng, ctx):
        if by_mention and by_mention[-1][0] is m:
            by_mention[-1][1].append(iri)
        else:
            by_mention.append((m, [iri]))
    chosen: list[str] = []
    used: list[Mention] = []
    for i, (m1, c1) in enumerate(by_mention):
        for m2, c2 in by_mention[i + 1 :]:
            # only things of one kind compare ("a different node" compares nothing); an ambiguous name
            # ("ClusterIP": the service type or the address) means the one of the other's kind
            shared = [(x, y) for x in c1 for y in c2 if x != y and _shared_class(eng, [x, y])]
            if shared:
                chosen, used = list(shared[0]), [m1, m2]
                break
        if chosen:
            break
    if not chosen:
        return []
    for (
        m,
        cands,
    ) in by_mention:  # a third thing of the same kind joins ("ClusterIP, NodePort and LoadBalancer")
        if m in used:
            continue
        fit = [x for x in cands if x not in chosen and _shared_class(eng, [*chosen, x])]
        if fit:
            chosen.append(fit[0])
            used.append(m)
    explained = cue_tokens | ctx.disjunction
    for m in used:
        explained |= ctx.mention_tokens(m)
    for o in ctx.mentions:  # "the Retain and Delete reclaim policies": the class they all belong to
        if o not in used and any(
            c.kind == "class" and all(eng.index.has_type(e, {c.iri}) for e in chosen) for c in o.candidates
        ):
            explained |= ctx.mention_tokens(o)
    explained |= eng.elaborated(ctx, chosen, explained, set().union(*(ctx.mention_tokens(m) for m in used)))
    score = 3.0 + 3.0 + 3.0 + boost - UNEXPLAINED_COST * unexplained(ctx, explained)
    return [Reading(kind, score, explained, {"entities": chosen})]


def run_comparison(eng: Answerer, kind: Kind, ctx: Context, r: Reading) -> Outcome | None:
    entities: list[str] = r.params["entities"]
    skos_definition = ns.PREFIXES["skos"] + "definition"
    skip = {expand(p) for p in kind.params.get("skip", [])}
    values: dict[str, dict[str, list[Any]]] = {}  # property -> entity -> values
    definitions: dict[str, dict[str, ox.Literal]] = {e: {} for e in entities}
    queries: list[tuple[str, dict[str, Any]]] = []
    # the query compares two at a time: the first with each of the others
    for other in entities[1:]:
        bindings = {"a": ox.NamedNode(entities[0]), "b": ox.NamedNode(other)}
        queries.append((kind.query, bindings))
        for row in eng.select_file(kind.query, bindings):
            e = entities[0] if row["side"].value == "a" else other
            p, v = row["p"].value, row["value"]
            if p == skos_definition:
                definitions[e][v.language or ""] = v
                continue
            if p in skip or p not in eng.index.properties or isinstance(v, ox.BlankNode):
                continue
            if isinstance(v, ox.NamedNode) and not eng.index.is_entity(v.value):
                continue
            if isinstance(v, ox.Literal) and v.language not in ("", None, ctx.lang, "en"):
                continue
            bucket = values.setdefault(p, {x: [] for x in entities})[e]
            if v not in bucket:
                bucket.append(v)
    for p in values:  # a text in the question's language wins over its English fallback
        for e in entities:
            own = [v for v in values[p][e] if isinstance(v, ox.Literal) and v.language == ctx.lang]
            if own:
                values[p][e] = [
                    v for v in values[p][e] if not (isinstance(v, ox.Literal) and v.language)
                ] + own
    differing = {p: by for p, by in values.items() if len({frozenset(v) for v in by.values()}) > 1}
    # a property implied by a narrower one shown beside it ("manages transitively") says nothing more
    differing = {
        p: by
        for p, by in differing.items()
        if not any(p in eng.index.super_props.get(q, set()) for q in differing if q != p)
    }

    def rank(p: str) -> tuple[int, str]:
        every = all(differing[p][e] for e in entities)
        text = any(isinstance(v, ox.Literal) and v.language for vs in differing[p].values() for v in vs)
        if not text:
            return (0 if every else 2), eng.index.label(p, "en")
        single = all(len(differing[p][e]) == 1 for e in entities)
        return (1 if every and single else 3), eng.index.label(p, "en")

    limit = int(kind.params.get("max_properties", 6))
    chosen = sorted(differing, key=rank)[:limit]
    lang = ctx.lang
    names = {e: eng.index.label(e, lang) for e in entities}
    none = kind.params.get("unstated", {}).get(lang, "-")
    evidence: list[tuple[Any, Any, Any]] = []
    described = []
    for e in entities:
        d = definitions[e].get(lang) or definitions[e].get("en")
        if d is not None:
            evidence.append((ox.NamedNode(e), ox.NamedNode(skos_definition), d))
        described.append(f"{names[e]}: {d.value if d is not None else none}")
    parts = []
    for p in chosen:
        shown = []
        for e in entities:
            vals = differing[p][e][:2]
            evidence += [(ox.NamedNode(e), ox.NamedNode(p), v) for v in vals]
            text = ", ".join(_value_text(eng, v, lang) for v in vals) if vals else none
            shown.append(f"{names[e]} {text}")
        parts.append(f"{eng.index.label(p, lang)}: {' / '.join(shown)}")
    if not parts and not evidence:
        return None
    return Outcome(
        [ox.NamedNode(e) for e in entities],
        {
            "names": " vs ".join(names[e] for e in entities),
            "definitions": " ".join(described),
            "differences": "; ".join(parts) if parts else none,
        },
        queries,
        evidence,
        "differ" if parts else "same",
    )


def _value_text(eng: Answerer, v: Any, lang: str) -> str:
    if isinstance(v, ox.NamedNode):
        return eng.index.label(v.value, lang)
    value = _lit_value(v)
    if isinstance(value, bool):
        return {("en", True): "yes", ("en", False): "no", ("ko", True): "예", ("ko", False): "아니요"}[
            (lang, value)
        ]
    return str(value).rstrip(".")  # the list's own separators end each value


UNKNOWN_EXTRA_COST = 1.0


def unknown_tokens(eng: Answerer, ctx: Context) -> set[int]:
    """Name-like content tokens whose word the graph never uses (no name, description, cue or property wording
    has it): 'GPU 스케줄링' asks about something narrower than the scheduling the graph knows. Only names count
    (a Korean noun or foreign word, an English word with a capital past the first word); a filler such as
    'briefly' or 'honestly' is not a topic."""
    found = ctx.__dict__.get("_unknown")
    if found is None:
        named = set(ctx.token_mention)
        known = eng.lexicon.vocabulary
        postings = eng.descriptions.postings
        found = {
            i
            for i, lemma in ctx.lemmas
            if i in ctx.content
            and i not in named
            and lemma not in known
            and lemma not in postings
            and not any(ch.isdigit() for ch in lemma)
            and _name_like(ctx, i)
        }
        ctx.__dict__["_unknown"] = found
    return found


def _name_like(ctx: Context, i: int) -> bool:
    token = ctx.tokens[i]
    if token.tag == "EN":
        return i > 0 and any(ch.isupper() for ch in token.form)
    return token.tag.startswith("NN") or token.tag in ("SL", "SH")


def _penalize_unknown(reader: Strategy) -> Strategy:
    """A reading that leaves a word unknown to the graph unexplained pays for it twice (never guess beyond it)."""

    def read(eng: Answerer, kind: Kind, ctx: Context) -> list[Reading]:
        readings = reader(eng, kind, ctx)
        if readings:
            unknown = unknown_tokens(eng, ctx)
            if unknown:
                for r in readings:
                    r.score -= UNKNOWN_EXTRA_COST * len(unknown - r.explained)
        return readings

    read.__name__ = reader.__name__
    read.__doc__ = reader.__doc__
    return read


def read_described_value(eng: Answerer, kind: Kind, ctx: Context) -> list[Reading]:
    """A named entity and words that describe one of its related things best ("When is a Job complete?": the Job
    feature "completes when the given number of pods succeed"); only things of the kind's value classes (features,
    responsibilities, characteristics: a use case names a task, whose question asks for what serves it)."""
    if ctx.yesno or not ctx.mentions:
        return []
    per_kind = eng.__dict__.setdefault("_value_classes", {})
    value_classes = per_kind.get(kind.id)
    if value_classes is None:
        value_classes = per_kind[kind.id] = {expand(c) for c in kind.params.get("value_classes", [])}
    named = [
        (m, entity, values)
        for m, entity in entity_mentions(eng, ctx)
        if (values := _related_of_classes(eng, entity, kind.id, value_classes))
    ]
    if not named:
        return []
    cue = cue_match(eng, kind, ctx)
    if cue is None:
        return []
    boost, cue_tokens = cue
    idx = eng.index
    t_tokens = target_tokens(ctx)
    readings: list[Reading] = []
    for m, entity, values in named:
        anchor = ctx.mention_tokens(m)
        target = ctx.target[1] if ctx.target else None
        asked = t_tokens
        if target and not any(idx.has_type(v, {target}) for v in values):
            target, asked = None, set()  # "What happens ... when a NODE is removed": not the kind asked for
        rest = {
            i: lemma
            for i, lemma in ctx.lemmas
            if i in ctx.content
            and i not in anchor
            and i not in asked
            and i not in cue_tokens
            and i not in ctx.excepted
        }
        if not rest:
            continue
        words = set(rest.values())
        idf = eng.descriptions.idf
        total = sum(idf.get(w, 0.0) for w in words) or 1.0
        fitting: list[tuple[int, float, str]] = []
        for v in values:
            if target and not idx.has_type(v, {target}):
                continue
            covered = words & eng.descriptions.own.get(v, set())
            if not covered:
                continue
            share = sum(idf.get(w, 0.0) for w in covered) / total
            if share >= 0.6:
                # the value's own name saying the words beats its definition saying them
                fitting.append((len(words & _label_lemmas(eng, v)), share, v))
        if not fitting:
            continue
        fitting.sort(reverse=True)
        if len(fitting) > 1 and fitting[0][:2] == fitting[1][:2]:
            continue  # two things fit alike: do not guess
        value = fitting[0][2]
        covered_tokens = {i for i, lemma in rest.items() if lemma in eng.descriptions.own.get(value, set())}
        asking = {
            i for i, t in enumerate(ctx.tokens) if t.lemma in eng.wh_words or t.form.lower() in eng.wh_words
        }
        explained = anchor | covered_tokens | asked | cue_tokens | asking
        s = 2.0 + 3.0 + 0.5 * min(len(words), 3) + boost - UNEXPLAINED_COST * unexplained(ctx, explained)
        readings.append(Reading(kind, s, explained, {"entity": entity, "value": value}))
    return readings


def _related_of_classes(eng: Answerer, entity: str, key: str, classes: set[str]) -> tuple[str, ...]:
    """The things of the given classes that an entity is related to, either way (computed once per entity)."""
    cache = eng.__dict__.setdefault("_related_of_classes", {})
    found = cache.get((key, entity))
    if found is None:
        idx = eng.index
        values: set[str] = set()
        for prop, direction in idx.entity_props.get(entity, set()):
            info = idx.properties.get(prop)
            if info is None or info.datatype:
                continue
            edges = idx.out_edges if direction == "out" else idx.in_edges
            values.update(v for v in edges.get((entity, prop), []) if idx.has_type(v, classes))
        found = cache[(key, entity)] = tuple(sorted(values))
    return found


def _label_lemmas(eng: Answerer, entity: str) -> frozenset[str]:
    """The lemmas of an entity's labels and alternative labels (computed once per entity)."""
    cache = eng.__dict__.setdefault("_label_lemmas", {})
    found = cache.get(entity)
    if found is None:
        found = cache[entity] = frozenset(
            lemma for text, _lang, _src in eng.index.names.get(entity, []) for lemma in phrase_seq(text)
        )
    return found


def run_described_value(eng: Answerer, kind: Kind, ctx: Context, r: Reading) -> Outcome | None:
    bindings = {"entity": ox.NamedNode(r.params["entity"]), "value": ox.NamedNode(r.params["value"])}
    rows = eng.select_file(kind.query, bindings)
    evidence: list[tuple[Any, Any, Any]] = []
    props: list[str] = []
    for row in rows:
        p = row["property"]
        evidence.append(
            (row["entity"], p, row["value"])
            if row["direction"].value == "out"
            else (row["value"], p, row["entity"])
        )
        props.append(eng.index.label(p.value, ctx.lang))
    if not evidence:
        return None
    return Outcome(
        [bindings["value"]],
        {
            "entity": eng.index.label(r.params["entity"], ctx.lang),
            "property": ", ".join(dict.fromkeys(props)),
        },
        [(kind.query, bindings)],
        evidence,
    )


READERS: dict[str, Strategy] = {
    "capability_set": read_capability_set,
    "capability_yesno": read_capability_yesno,
    "capability_by_traits": read_capability_by_traits,
    "relation": read_relation,
    "relation_yesno": read_relation_yesno,
    "is_a": read_is_a,
    "instances": read_instances,
    "definition": read_definition,
    "describe": read_describe,
    "boolean_filter": read_boolean_filter,
    "example_chain": read_example_chain,
    "hpa": read_hpa,
    "comparison": read_comparison,
    "described_value": read_described_value,
}
READERS = {name: _penalize_unknown(reader) for name, reader in READERS.items()}
RUNNERS = {
    "capability_set": run_capability_set,
    "capability_yesno": run_capability_yesno,
    "capability_by_traits": run_capability_by_traits,
    "relation": run_relation,
    "relation_yesno": run_relation_yesno,
    "is_a": run_is_a,
    "instances": run_instances,
    "definition": run_definition,
    "describe": run_describe,
    "boolean_filter": run_boolean_filter,
    "example_chain": run_example_chain,
    "hpa": run_hpa,
    "comparison": run_comparison,
    "described_value": run_described_value,
}
