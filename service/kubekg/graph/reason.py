"""Forward-chaining fixed point over the store, as OWL 2 RL's rule-based reasoning (W3C OWL 2 Profiles, 4.3) runs.

Each round runs every rule's incremental SELECT over the union of all graphs and adds the instantiated template
triples that are new (asserted triples are never re-added) to the inferred graph. The loop stops when a round
adds nothing, or fails after MAX_ROUNDS. For every inferred triple the FIRST derivation is kept: the rule id and
the premise triples (the rule body's positive patterns instantiated with the binding). Premises always existed
before the derivation, so the derivation records form an acyclic graph.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pyoxigraph as ox

from kubekg import ns
from kubekg.graph.patterns import VAR, WILDCARD
from kubekg.graph.rules import Rule
from kubekg.graph.terms import from_nt

MAX_ROUNDS = 32  # a fixed point needs far fewer rounds here; exceeding this means a runaway rule

INFERRED = ox.NamedNode(ns.INFERRED_GRAPH)


class ReasoningError(Exception):
    """The reasoner did not reach a fixed point, or a rule failed to run."""


@dataclass
class Derivation:
    """The first derivation of an inferred triple: rule id, premise triples (N-Triples terms) and the round."""

    rule: str
    premises: list[list[str]]
    round: int

    def to_json(self) -> dict:
        return {"rule": self.rule, "premises": self.premises, "round": self.round}


@dataclass
class ReasonResult:
    """What a materialization did."""

    # "s p o" (N-Triples terms) -> the first derivation
    derivations: dict[str, Derivation] = field(default_factory=dict)
    rounds: int = 0
    seconds: float = 0.0
    per_rule: dict[str, int] = field(default_factory=dict)


class _Compiled:
    """A rule's patterns with constants parsed once."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.template = [self._terms(t) for t in rule.template]
        self.premises = [self._terms(t) for t in rule.premises]

    @staticmethod
    def _terms(pattern: tuple[str, str, str]) -> list:
        out = []
        for t in pattern:
            if t == WILDCARD:
                out.append(WILDCARD)
            elif t.startswith(VAR):
                out.append(t)
            else:
                out.append(from_nt(t))
        return out


def _bind(pattern: list, solution: ox.QuerySolution) -> list:
    out = []
    for t in pattern:
        if isinstance(t, str) and t.startswith(VAR):
            try:
                out.append(solution[t[1:]])
            except (KeyError, IndexError):
                out.append(None)
        else:
            out.append(t)
    return out


def _valid(s: object, p: object, o: object) -> bool:
    return (
        isinstance(s, ox.NamedNode | ox.BlankNode)
        and isinstance(p, ox.NamedNode)
        and isinstance(o, ox.NamedNode | ox.BlankNode | ox.Literal)
    )


def materialize(store: ox.Store, rules: list[Rule], *, max_rounds: int = MAX_ROUNDS) -> ReasonResult:
    """Run the rules to a fixed point, adding new triples to the inferred graph; returns derivation records."""
    started = time.perf_counter()
    known: set[ox.Triple] = {q.triple for q in store}
    compiled = [_Compiled(r) for r in rules]
    result = ReasonResult(per_rule={r.id: 0 for r in rules})
    for round_no in range(1, max_rounds + 1):
        added_this_round = 0
        for c in compiled:
            new = _apply(store, c, known, round_no, result)
            if new:
                store.extend([ox.Quad(t.subject, t.predicate, t.object, INFERRED) for t in new])
                added_this_round += len(new)
                result.per_rule[c.rule.id] += len(new)
        result.rounds = round_no
        if not added_this_round:
            result.seconds = time.perf_counter() - started
            return result
    raise ReasoningError(
        f"no fixed point after MAX_ROUNDS={max_rounds} rounds; the last round still added triples "
        f"(rules adding most in total: {sorted(result.per_rule.items(), key=lambda kv: -kv[1])[:5]})"
    )


def _apply(
    store: ox.Store, c: _Compiled, known: set[ox.Triple], round_no: int, result: ReasonResult
) -> list[ox.Triple]:
    try:
        solutions = store.query(c.rule.select, prefixes=ns.PREFIXES, use_default_graph_as_union=True)
    except (SyntaxError, OSError, ValueError) as exc:
        raise ReasoningError(f"rule {c.rule.id} ({c.rule.path}) failed: {exc}") from exc
    new: list[ox.Triple] = []
    pending: set[ox.Triple] = set()  # derived in this pass, not yet in the store: never a premise
    for sol in solutions:
        for tpl in c.template:
            s, p, o = _bind(tpl, sol)
            if not _valid(s, p, o):
                continue
            t = ox.Triple(s, p, o)
            if t in known:
                continue
            premises = _premises(store, c, sol, known, pending)
            known.add(t)
            pending.add(t)
            new.append(t)
            result.derivations[f"{s} {p} {o}"] = Derivation(c.rule.id, premises, round_no)
    return new


def _premises(
    store: ox.Store, c: _Compiled, sol: ox.QuerySolution, known: set[ox.Triple], pending: set[ox.Triple]
) -> list[list[str]]:
    out: list[list[str]] = []
    for pattern in c.premises:
        s, p, o = _bind(pattern, sol)
        if WILDCARD in (s, p, o):
            match = next(
                iter(
                    store.quads_for_pattern(
                        None if s == WILDCARD else s,
                        None if p == WILDCARD else p,
                        None if o == WILDCARD else o,
                    )
                ),
                None,
            )
            if match is None:
                continue
            s, p, o = match.subject, match.predicate, match.object
        if not _valid(s, p, o):
            continue
        t = ox.Triple(s, p, o)
        if t not in known or t in pending:
            continue
        key = [str(s), str(p), str(o)]
        if key not in out:
            out.append(key)
    return out
