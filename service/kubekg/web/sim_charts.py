"""Geometry of the simulation pages' charts; ``templates/_sim_charts.html`` draws them as inline SVG.

The HPA chart plots replicas (left axis) and CPU utilization with its target (right axis, percent of request)
against time, on "nice" 1-2-5 ticks; the PV timeline is a grid of objects (volumes, claims, pods) by scenario step.
Only numbers and CSS class names are computed here: the templates add the translated labels, and the colours live
in ``static/sim.css`` (no inline style, as the Content-Security-Policy requires).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

TIME_STEPS = (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
MAX_TIME_TICKS = 8
PHASES = ("Pending", "Available", "Bound", "Released", "Failed", "Lost", "Running", "Succeeded")


@dataclass(frozen=True)
class Tick:
    """One axis tick: its pixel position and its label."""

    at: float
    label: str


@dataclass(frozen=True)
class Marker:
    """A rescale on the replica line: where, and what changed (for the tooltip)."""

    x: float
    y: float
    t: int
    before: int
    after: int
    reason: str


@dataclass
class HpaChart:
    """Everything the template needs to draw the HPA timeline."""

    width: int
    height: int
    left: int
    top: int
    plot_w: int
    plot_h: int
    x_ticks: list[Tick]
    replica_ticks: list[Tick]
    utilization_ticks: list[Tick]
    replicas: str
    utilization: list[str]
    target: float | None
    target_y: float | None
    markers: list[Marker]

    @property
    def right(self) -> int:
        """The x of the plot's right edge."""
        return self.left + self.plot_w

    @property
    def bottom(self) -> int:
        """The y of the plot's bottom edge."""
        return self.top + self.plot_h


def nice_step(span: float, max_ticks: int, integer: bool = False) -> float:
    """The smallest 1-2-5 step that divides span into at most max_ticks intervals (at least 1 when integer)."""
    if span <= 0:
        return 1.0
    raw = span / max_ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for mult in (1, 2, 5, 10):
        step = mult * magnitude
        if step >= raw:
            break
    return max(step, 1.0) if integer else step


def duration_label(seconds: float, lang: str) -> str:
    """A compact duration for an axis or a column: "1h30m"/"1시간 30분", "5m"/"5분", "45s"/"45초"."""
    total = int(round(seconds))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    units = ("시간", "분", "초") if lang == "ko" else ("h", "m", "s")
    parts = [f"{v}{u}" for v, u in zip((h, m, s), units, strict=True) if v]
    if not parts:
        return "0"
    return (" " if lang == "ko" else "").join(parts)


def _number(value: float) -> str:
    return f"{value:g}"


def hpa_chart(
    rows: Sequence[Mapping[str, Any]], lang: str = "en", width: int = 960, height: int = 380
) -> HpaChart | None:
    """The chart of an HPA timeline's rows (``t``, ``desiredReplicas``, ``utilization``, ``target``, ``reason``)."""
    if not rows:
        return None
    left, right, top, bottom = 64, 72, 44, 58
    plot_w, plot_h = width - left - right, height - top - bottom
    t_max = max(float(r["t"]) for r in rows) or 1.0

    replicas = [int(r["desiredReplicas"]) for r in rows] + [int(r["replicas"]) for r in rows]
    rep_step = nice_step(max(replicas) * 1.1, 6, integer=True)
    rep_top = max(rep_step * math.ceil(max(replicas) * 1.1 / rep_step), rep_step * 2)

    utils = [float(r["utilization"]) for r in rows if r.get("utilization") is not None]
    target = next((float(r["target"]) for r in rows if r.get("target") is not None), None)
    util_peak = max([*utils, target or 0.0, 100.0]) * 1.05
    util_step = nice_step(util_peak, 6)
    util_top = util_step * math.ceil(util_peak / util_step)

    def x(t: float) -> float:
        return round(left + plot_w * t / t_max, 1)

    def y_rep(v: float) -> float:
        return round(top + plot_h * (1 - v / rep_top), 1)

    def y_util(v: float) -> float:
        return round(top + plot_h * (1 - min(v, util_top) / util_top), 1)

    time_step = next((s for s in TIME_STEPS if t_max / s <= MAX_TIME_TICKS), TIME_STEPS[-1])
    x_ticks = [
        Tick(x(k * time_step), duration_label(k * time_step, lang))
        for k in range(int(t_max // time_step) + 1)
    ]
    replica_ticks = [
        Tick(y_rep(k * rep_step), _number(k * rep_step)) for k in range(int(round(rep_top / rep_step)) + 1)
    ]
    utilization_ticks = [
        Tick(y_util(k * util_step), _number(k * util_step) + "%")
        for k in range(int(round(util_top / util_step)) + 1)
    ]

    points: list[str] = []
    markers: list[Marker] = []
    prev = int(rows[0]["replicas"])  # the count before the first decision
    for r in rows:
        t, desired = float(r["t"]), int(r["desiredReplicas"])
        if desired != prev:
            points.append(f"{x(t)},{y_rep(prev)}")
        points.append(f"{x(t)},{y_rep(desired)}")
        if r.get("rescale") and int(r["replicas"]) != desired:
            markers.append(
                Marker(x(t), y_rep(desired), int(t), int(r["replicas"]), desired, str(r.get("reason") or ""))
            )
        prev = desired
    end = f"{x(t_max)},{y_rep(prev)}"
    if points[-1] != end:
        points.append(end)

    segments: list[str] = []
    current: list[str] = []
    for r in rows:
        if r.get("utilization") is None:
            if current:
                segments.append(" ".join(current))
            current = []
            continue
        current.append(f"{x(float(r['t']))},{y_util(float(r['utilization']))}")
    if current:
        segments.append(" ".join(current))

    return HpaChart(
        width=width,
        height=height,
        left=left,
        top=top,
        plot_w=plot_w,
        plot_h=plot_h,
        x_ticks=x_ticks,
        replica_ticks=replica_ticks,
        utilization_ticks=utilization_ticks,
        replicas=" ".join(points),
        utilization=segments,
        target=target,
        target_y=y_util(target) if target is not None else None,
        markers=markers,
    )


# ---------------------------------------------------------------------------------------------------- PV timeline
@dataclass(frozen=True)
class Column:
    """One scenario step: its number, time offset and action."""

    x: float
    index: int
    at: str
    action: str
    description: str


@dataclass(frozen=True)
class Cell:
    """An object's state after a step: ``state`` is a phase, "gone" (deleted earlier) or "absent" (not yet made)."""

    x: float
    y: float
    state: str
    css: str
    terminating: bool
    detail: str


@dataclass
class Row:
    """One object (PersistentVolume, PersistentVolumeClaim or Pod) across the steps."""

    kind: str
    name: str
    short: str
    y: float
    cells: list[Cell] = field(default_factory=list)


@dataclass
class PvTimeline:
    """The grid the template draws, with the phases that occur and their CSS classes (for the legend)."""

    width: int
    height: int
    label_w: int
    cell_w: int
    cell_h: int
    header_h: int
    columns: list[Column]
    rows: list[Row]
    phases: list[tuple[str, str]]


KINDS = (("volumes", "PV"), ("claims", "PVC"), ("pods", "Pod"))
MAX_NAME = 26


def _short(name: str) -> str:
    return name if len(name) <= MAX_NAME else name[: MAX_NAME - 9] + "…" + name[-8:]


def phase_class(state: str) -> str:
    """The CSS class of a state cell: ``phase-bound``, ``phase-gone``, ``phase-other`` for an unknown phase."""
    if state in ("gone", "absent"):
        return f"phase-{state}"
    return f"phase-{state.lower()}" if state in PHASES else "phase-other"


def pv_timeline(
    result: Mapping[str, Any], lang: str = "en", cell_w: int = 96, cell_h: int = 26
) -> PvTimeline | None:
    """The state grid of a PV scenario result: one row per volume, claim and pod, one column per step."""
    steps = list(result.get("steps") or [])
    if not steps:
        return None
    objects: list[tuple[str, str, str]] = []
    for table, kind in KINDS:
        for step in steps:
            for name in step.get(table) or {}:
                if (table, kind, name) not in objects:
                    objects.append((table, kind, name))
    label_w = 64 + 7 * max([len(_short(name)) for _t, _k, name in objects] or [8])
    header_h = 46
    width = label_w + cell_w * len(steps) + 8
    height = header_h + cell_h * max(1, len(objects)) + 8
    columns = [
        Column(
            x=label_w + j * cell_w,
            index=int(step.get("index", j)),
            at="+" + duration_label(float(step.get("at") or 0), lang),
            action=str(step.get("action") or ""),
            description=str(step.get("description") or ""),
        )
        for j, step in enumerate(steps)
    ]
    rows: list[Row] = []
    seen_phases: list[str] = []
    for i, (table, kind, name) in enumerate(objects):
        row = Row(kind, name, _short(name), header_h + i * cell_h)
        existed = False
        for j, step in enumerate(steps):
            state_of = (step.get(table) or {}).get(name)
            if state_of is None:
                state, terminating, detail = ("gone" if existed else "absent"), False, ""
            else:
                existed = True
                state = str(state_of.get("phase") or "Unknown")
                terminating = bool(state_of.get("terminating"))
                detail = str(
                    state_of.get("message") or state_of.get("volumeName") or state_of.get("claim") or ""
                )
                if state not in seen_phases:
                    seen_phases.append(state)
            row.cells.append(
                Cell(label_w + j * cell_w, row.y, state, phase_class(state), terminating, detail)
            )
        rows.append(row)
    ordered = [p for p in PHASES if p in seen_phases] + [p for p in seen_phases if p not in PHASES]
    legend = [(p, phase_class(p)) for p in ordered]
    return PvTimeline(width, height, label_w, cell_w, cell_h, header_h, columns, rows, legend)
