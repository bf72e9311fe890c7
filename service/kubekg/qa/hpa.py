"""HPA arithmetic questions: read pods, usage, request and target from the words, then run the replica calculation.

The numbers are read in both languages ("Two pods average 300m CPU, each requests 200m, target 50%",
"파드 2개의 평균 CPU가 300m, 요청 200m, 목표 50%"); quantities follow Kubernetes' notation (``300m``, ``0.3``
cores; the document's ``300ms`` is read as millicores). The calculation itself is the simulation module's replica
calculator (``kubekg.simulation.hpa.replicas.resource_replicas``, which follows
``pkg/controller/podautoscaler/replica_calculator.go``): floored utilization percent, tolerance 0.1, ceil.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "a couple of": 2, "a pair of": 2, "single": 1, "a": 1,
    "한": 1, "하나": 1, "두": 2, "둘": 2, "세": 3, "셋": 3, "석": 3, "네": 4, "넷": 4, "다섯": 5, "여섯": 6,
    "일곱": 7, "여덟": 8, "아홉": 9, "열": 10,
}  # fmt: skip
_NUM = r"(\d+(?:\.\d+)?)"
_WORDNUM = "|".join(sorted((re.escape(w) for w in NUMBER_WORDS if w != "a"), key=len, reverse=True))
_POD_WORDS = r"(?:pods?|replicas?|instances?|파드|포드|pod|레플리카|복제본|인스턴스|replica)"
_COUNT_BEFORE = re.compile(
    rf"(?<![\w.])({_NUM[1:-1]}|{_WORDNUM})\s*(?:개의?|개\s*의)?\s*(?:running\s+|current\s+|실행\s*중인\s*)?{_POD_WORDS}",
    re.I,
)
_COUNT_AFTER = re.compile(
    rf"{_POD_WORDS}\s*(?:수|개수|count|number)?\s*(?:가|는|이|은|=|:|is|of)?\s*({_NUM[1:-1]}|{_WORDNUM})(?!\s*(?:m\b|ms\b|%|밀리|코어|cores?\b|퍼센트|\.\d))",
    re.I,
)
_CPU = re.compile(
    rf"{_NUM}\s*(millicores?|millicpu|mcpu|밀리코어|밀리\s*코어|ms|m|cores?|코어|cpus?|vcpus?)(?![a-zA-Z])",
    re.I,
)
_PERCENT = re.compile(rf"{_NUM}\s*(?:%|퍼센트|percent|프로)", re.I)
_MIN = re.compile(
    rf"(?:min(?:imum)?\s*replicas?|minreplicas|최소\s*(?:replica|레플리카|복제본|파드)?\s*(?:수|개수)?)\D{{0,12}}?{_NUM}",
    re.I,
)
_MAX = re.compile(
    rf"(?:max(?:imum)?\s*replicas?|maxreplicas|최대\s*(?:replica|레플리카|복제본|파드)?\s*(?:수|개수)?)\D{{0,12}}?{_NUM}",
    re.I,
)

_USAGE_CUES = (
    "average",
    "avg",
    "use",
    "usage",
    "using",
    "consum",
    "current",
    "평균",
    "사용",
    "소비",
    "현재",
    "쓰",
)
_REQUEST_CUES = ("request", "요청", "리퀘스트", "requests")
_TARGET_CUES = ("target", "goal", "threshold", "averageutilization", "목표", "타겟", "기준", "임계")
_UTIL_CUES = ("utilization", "사용률", "사용율", "이용률")


@dataclass(frozen=True)
class HpaInputs:
    """What an HPA arithmetic question states (CPU in millicores, percentages as numbers)."""

    current: int
    target_percent: float
    usage_milli: float | None = None
    request_milli: float | None = None
    utilization_percent: float | None = None
    min_replicas: int | None = None
    max_replicas: int | None = None


@dataclass(frozen=True)
class ReplicaCalc:
    """The replica calculation's result and how it was reached."""

    replicas: int
    raw: float
    utilization: int
    ratio: float
    within_tolerance: bool
    clamped: str | None
    engine: str  # "simulation" or "formula"


def _num(text: str) -> float:
    text = text.strip().lower()
    if text in NUMBER_WORDS:
        return float(NUMBER_WORDS[text])
    return float(text)


def _cue_distance(text: str, pos: int, end: int, cues: tuple[str, ...], window: int = 28) -> int | None:
    """Characters between a quantity and the nearest cue word before it (preferred) or after it."""
    low = text.lower()
    best = None
    before = low[max(0, pos - window) : pos]
    for cue in cues:
        i = before.rfind(cue)
        if i >= 0:
            d = len(before) - i
            best = d if best is None else min(best, d)
    after = low[end : end + window // 2]
    for cue in cues:
        i = after.find(cue)
        if i >= 0:
            d = i + 8  # a cue after the number counts less than one before it
            best = d if best is None else min(best, d)
    return best


def parse(question: str) -> HpaInputs | None:
    """The HPA inputs a question states, or None when it does not state a pod count, a target and usage."""
    text = question.replace(",", ", ")
    percents = [(m.start(), m.end(), float(m.group(1))) for m in _PERCENT.finditer(text)]
    cpus = []
    for m in _CPU.finditer(text):
        unit = m.group(2).lower()
        value = float(m.group(1))
        milli = value if unit.startswith(("m", "밀리")) else value * 1000
        cpus.append((m.start(), m.end(), milli))
    count = None
    for pattern in (_COUNT_BEFORE, _COUNT_AFTER):
        m = pattern.search(text)
        if m:
            count = int(_num(m.group(1)))
            break
    if count is None or count <= 0 or not percents:
        return None
    # the target percentage: the one nearest a target cue, else the last one
    target = None
    util = None
    scored = sorted(percents, key=lambda p: _cue_distance(text, p[0], p[1], _TARGET_CUES) or 999)
    target = scored[0]
    if len(percents) > 1:
        rest = [p for p in percents if p is not target]
        util = rest[0][2]
    usage = request = None
    if cpus:
        req_pick = min(cpus, key=lambda c: _cue_distance(text, c[0], c[1], _REQUEST_CUES) or 999)
        if _cue_distance(text, req_pick[0], req_pick[1], _REQUEST_CUES) is not None:
            request = req_pick[2]
            others = [c for c in cpus if c is not req_pick]
        else:
            others = list(cpus)
        if others:
            use_pick = min(others, key=lambda c: _cue_distance(text, c[0], c[1], _USAGE_CUES) or 999)
            usage = use_pick[2]
            if request is None and len(others) > 1:
                request = next(c[2] for c in others if c is not use_pick)
    if util is None and (usage is None or request is None):
        return None
    mn = _MIN.search(text)
    mx = _MAX.search(text)
    return HpaInputs(
        current=count,
        target_percent=target[2],
        usage_milli=usage,
        request_milli=request,
        utilization_percent=util,
        min_replicas=int(float(mn.group(1))) if mn else None,
        max_replicas=int(float(mx.group(1))) if mx else None,
    )


def _formula(current: int, utilization: int, target: float, tolerance: float) -> tuple[int, float, bool]:
    ratio = utilization / target
    if abs(ratio - 1.0) <= tolerance:
        return current, ratio, True
    return math.ceil(ratio * current), ratio, False


def replica_calculation(inputs: HpaInputs, tolerance: float = 0.1) -> ReplicaCalc:
    """Desired replicas for the inputs, by the simulation's replica calculator (falls back to the same formula)."""
    if inputs.utilization_percent is not None and (
        inputs.usage_milli is None or inputs.request_milli is None
    ):
        request = 1000.0
        usage = inputs.utilization_percent * request / 100.0
    else:
        usage = float(inputs.usage_milli or 0)
        request = float(inputs.request_milli or 0)
    if request <= 0:
        raise ValueError("the CPU request must be positive")
    target = inputs.target_percent
    engine = "formula"
    replicas = None
    utilization = int(math.floor(usage * inputs.current * 100 / (request * inputs.current)))
    ratio = utilization / target
    try:
        replicas, utilization, ratio = _simulate(inputs.current, usage, request, target, tolerance)
        engine = "simulation"
    except ImportError:
        replicas = None
    within = abs(ratio - 1.0) <= tolerance
    if replicas is None:
        replicas, ratio, within = _formula(inputs.current, utilization, target, tolerance)
    raw = inputs.current * usage / (request * target / 100.0)
    clamped = None
    if inputs.min_replicas is not None and replicas < inputs.min_replicas:
        replicas, clamped = inputs.min_replicas, "min"
    if inputs.max_replicas is not None and replicas > inputs.max_replicas:
        replicas, clamped = inputs.max_replicas, "max"
    return ReplicaCalc(replicas, raw, utilization, ratio, within, clamped, engine)


def _simulate(
    current: int, usage: float, request: float, target: float, tolerance: float
) -> tuple[int, int, float]:
    """Run kubekg.simulation's GetResourceReplicas on ``current`` identical ready pods."""
    from kubekg.simulation.hpa.replicas import ReadinessConfig, Tolerances, resource_replicas
    from kubekg.simulation.objects import Container, Pod
    from kubekg.simulation.quantity import parse_quantity
    from kubekg.simulation.timeutil import NS

    now = 10**6 * NS
    start = now - 3600 * NS
    req = parse_quantity(f"{int(round(request))}m")
    pods = [
        Pod(
            name=f"pod-{i}",
            start=start,
            ready="True",
            ready_ltt=start,
            containers=(Container("app", {"cpu": req}),),
        )
        for i in range(current)
    ]
    samples = {p.name: (int(round(usage)), now - 30 * NS, 60 * NS) for p in pods}
    replicas, utilization, _raw = resource_replicas(
        current,
        int(round(target)),
        "cpu",
        pods,
        samples,
        Tolerances(tolerance, tolerance),
        now,
        ReadinessConfig(),
    )
    return replicas, utilization, utilization / target
