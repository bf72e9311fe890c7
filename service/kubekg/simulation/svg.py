"""Server-drawn SVG charts (no script, no CDN): HPA replicas/utilization/target over time, PV phases per step.

Only presentation attributes are used (no inline ``style``), so the pages work under kubekg's
Content-Security-Policy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

PHASE_COLOURS = {
    "Available": "#2e7d32",
    "Bound": "#1565c0",
    "Released": "#ef6c00",
    "Failed": "#c62828",
    "Pending": "#757575",
    "Lost": "#6a1b9a",
    "Deleted": "#ffffff",
    "": "#bdbdbd",
}


def _fmt_t(seconds: int) -> str:
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}"
    return f"{seconds // 60}m{seconds % 60:02d}" if seconds >= 60 else f"{seconds}s"


def hpa_chart(rows: Sequence[Mapping[str, Any]], width: int = 880, height: int = 320) -> str:
    """Replicas (left axis), utilization % and the target % (right axis) against time."""
    if not rows:
        return '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" role="img" aria-label="no data"></svg>'
    left, right, top, bottom = 50, 60, 20, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    t_max = max(r["t"] for r in rows) or 1
    rep_max = max(max(r["replicas"], r["desiredReplicas"]) for r in rows) or 1
    rep_max = max(rep_max + 1, 4)
    util_values = [r["utilization"] for r in rows if r.get("utilization") is not None]
    target = next((r["target"] for r in rows if r.get("target")), None)
    util_max = max([*util_values, target or 0, 100]) * 1.1

    def x(t: float) -> float:
        return left + plot_w * t / t_max

    def y_rep(v: float) -> float:
        return top + plot_h * (1 - v / rep_max)

    def y_util(v: float) -> float:
        return top + plot_h * (1 - v / util_max)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        'role="img" aria-label="HPA timeline: replicas, utilization and target over time" class="sim-chart">',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fafafa" stroke="#ccc"/>',
    ]
    for i in range(5):
        v = rep_max * i / 4
        yy = y_rep(v)
        parts.append(f'<line x1="{left}" y1="{yy:.1f}" x2="{left + plot_w}" y2="{yy:.1f}" stroke="#eee"/>')
        parts.append(
            f'<text x="{left - 6}" y="{yy + 4:.1f}" text-anchor="end" font-size="11" fill="#1565c0">{v:.0f}</text>'
        )
        u = util_max * i / 4
        parts.append(
            f'<text x="{left + plot_w + 6}" y="{y_util(u) + 4:.1f}" font-size="11" fill="#ef6c00">{u:.0f}%</text>'
        )
    for i in range(7):
        t = t_max * i / 6
        parts.append(
            f'<text x="{x(t):.1f}" y="{height - bottom + 16}" text-anchor="middle" font-size="11" fill="#555">{_fmt_t(int(t))}</text>'
        )
    # replicas as a step line (the count after each sync's decision)
    pts = []
    prev = None
    for r in rows:
        if prev is not None:
            pts.append(f"{x(r['t']):.1f},{y_rep(prev):.1f}")
        pts.append(f"{x(r['t']):.1f},{y_rep(r['desiredReplicas']):.1f}")
        prev = r["desiredReplicas"]
    parts.append(f'<polyline points="{" ".join(pts)}" fill="none" stroke="#1565c0" stroke-width="2"/>')
    util_pts = [
        f"{x(r['t']):.1f},{y_util(r['utilization']):.1f}" for r in rows if r.get("utilization") is not None
    ]
    if util_pts:
        parts.append(
            f'<polyline points="{" ".join(util_pts)}" fill="none" stroke="#ef6c00" stroke-width="1.5"/>'
        )
    if target:
        yy = y_util(target)
        parts.append(
            f'<line x1="{left}" y1="{yy:.1f}" x2="{left + plot_w}" y2="{yy:.1f}" stroke="#ef6c00" stroke-dasharray="6 4"/>'
        )
    legend = [
        ("#1565c0", "replicas"),
        ("#ef6c00", "utilization %"),
        ("#ef6c00", f"target {target}%" if target else "target"),
    ]
    for i, (colour, label) in enumerate(legend):
        lx = left + 10 + i * 150
        dash = ' stroke-dasharray="6 4"' if i == 2 else ""
        parts.append(
            f'<line x1="{lx}" y1="{height - 10}" x2="{lx + 24}" y2="{height - 10}" stroke="{colour}" stroke-width="2"{dash}/>'
        )
        parts.append(
            f'<text x="{lx + 30}" y="{height - 6}" font-size="12" fill="#333">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def pv_state_chart(result: Mapping[str, Any], cell_w: int = 92, cell_h: int = 24) -> str:
    """A grid: one row per volume and claim, one column per step, each cell the object's phase."""
    steps = result.get("steps") or []
    objects: list[tuple[str, str]] = []
    for step in steps:
        for name in step.get("volumes", {}):
            if ("PV", name) not in objects:
                objects.append(("PV", name))
        for name in step.get("claims", {}):
            if ("PVC", name) not in objects:
                objects.append(("PVC", name))
    label_w = 200
    width = label_w + cell_w * max(1, len(steps))
    height = 30 + cell_h * max(1, len(objects))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        'role="img" aria-label="phases of volumes and claims after each step" class="sim-chart">'
    ]
    for j, step in enumerate(steps):
        parts.append(
            f'<text x="{label_w + j * cell_w + cell_w / 2:.1f}" y="18" text-anchor="middle" font-size="11" fill="#333">'
            f"{escape(str(step.get('index')))}: {escape(str(step.get('action')))}</text>"
        )
    for i, (kind, name) in enumerate(objects):
        y = 26 + i * cell_h
        parts.append(
            f'<text x="4" y="{y + 16}" font-size="12" fill="#222">{escape(kind)} {escape(name)}</text>'
        )
        for j, step in enumerate(steps):
            table = step.get("volumes" if kind == "PV" else "claims", {})
            state = table.get(name)
            phase = "Deleted" if state is None else state.get("phase", "")
            label = phase + ("*" if state and state.get("terminating") else "")
            colour = PHASE_COLOURS.get(phase, "#bdbdbd")
            text_colour = "#222" if phase in ("Deleted", "") else "#fff"
            x = label_w + j * cell_w
            parts.append(
                f'<rect x="{x + 1}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" fill="{colour}" stroke="#ccc"/>'
            )
            parts.append(
                f'<text x="{x + cell_w / 2:.1f}" y="{y + 16}" text-anchor="middle" font-size="11" fill="{text_colour}">'
                f"{escape(label if state is not None else '—')}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)
