"""CronJobs over a time window: a small five-field cron parser and the cronjob controller's scheduling rules.

The parser reads ``minute hour day-of-month month day-of-week`` with ``*``, ``a-b``, ``a-b/n``, ``*/n``, lists,
month and weekday names and the ``@hourly``/``@daily``/``@weekly``/``@monthly``/``@yearly`` macros; when both
day fields are restricted a time matches either (standard cron, as robfig/cron does). The controller rules
follow ``pkg/controller/cronjob``: one Job per scheduled time named ``<cronjob>-<minutes since epoch>``;
``concurrencyPolicy`` Allow, Forbid (skip while one runs) or Replace (delete the running one); ``suspend``;
``startingDeadlineSeconds``; ``spec.timeZone`` (IANA, default UTC); history limits (3 successful, 1 failed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kubekg.simulation.budget import UNLIMITED, Budget
from kubekg.simulation.errors import InvalidObject
from kubekg.simulation.facts import Facts
from kubekg.simulation.objects import boolean, integer, mapping, parse_meta, sequence, string
from kubekg.simulation.timeutil import NS, format_time, parse_duration, parse_time

MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
    )
}
DAYS = {d: i for i, d in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))}
FIELDS = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, MONTHS),
    ("day of week", 0, 7, DAYS),
)
MAX_RUNS = 10_000
MAX_WINDOW = 10 * 366 * 86400 * NS


@dataclass(frozen=True)
class CronSchedule:
    """A parsed schedule: the allowed values of each field."""

    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    dom_star: bool
    dow_star: bool

    def matches(self, moment: datetime) -> bool:
        """Whether a (zone-local) minute is a scheduled time."""
        if (
            moment.minute not in self.minutes
            or moment.hour not in self.hours
            or moment.month not in self.months
        ):
            return False
        dom = moment.day in self.days
        dow = (moment.isoweekday() % 7) in self.weekdays
        if self.dom_star or self.dow_star:
            return dom and dow
        return dom or dow

    def next_after(self, moment: datetime, limit: datetime) -> datetime | None:
        """The first scheduled minute strictly after ``moment`` and not after ``limit``."""
        t = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        while t <= limit:
            if t.month not in self.months:
                t = (t.replace(day=1, hour=0, minute=0) + timedelta(days=32)).replace(day=1)
                continue
            if not self.matches_day(t):
                t = t.replace(hour=0, minute=0) + timedelta(days=1)
                continue
            if t.hour not in self.hours:
                t = t.replace(minute=0) + timedelta(hours=1)
                continue
            if t.minute in self.minutes:
                return t
            t += timedelta(minutes=1)
        return None

    def matches_day(self, t: datetime) -> bool:
        """The day-of-month / day-of-week rule alone."""
        dom = t.day in self.days
        dow = (t.isoweekday() % 7) in self.weekdays
        if self.dom_star or self.dow_star:
            return dom and dow
        return dom or dow


def _field(
    text: str, name: str, lo: int, hi: int, names: dict[str, int], path: str
) -> tuple[frozenset[int], bool]:
    values: set[int] = set()
    star = False
    for part in text.split(","):
        if not part:
            raise InvalidObject(path, f"empty list item in the {name} field")
        base, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise InvalidObject(path, f"bad step {step_text!r} in the {name} field")
            step = int(step_text)
        if base in ("*", "?"):
            start, end = lo, hi
            star = star or not step_text
        else:
            first, dash, last = base.partition("-")
            start = _value(first, name, lo, hi, names, path)
            end = _value(last, name, lo, hi, names, path) if dash else (hi if step_text else start)
            if end < start:
                raise InvalidObject(path, f"range {base!r} runs backwards in the {name} field")
        values.update(range(start, end + 1, step))
    if name == "day of week" and 7 in values:
        values.discard(7)
        values.add(0)
    return frozenset(values), star


def _value(token: str, name: str, lo: int, hi: int, names: dict[str, int], path: str) -> int:
    upper = token.upper()
    if upper in names:
        return names[upper]
    if not token.isdigit():
        raise InvalidObject(path, f"{token!r} is not a valid {name}")
    value = int(token)
    if not lo <= value <= hi:
        raise InvalidObject(path, f"{value} is out of range for the {name} field ({lo}-{hi})")
    return value


def parse_cron(text: object, path: str = "schedule") -> CronSchedule:
    """Parse a five-field cron expression (or a macro); InvalidObject names what is wrong."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidObject(path, "required value: a cron schedule such as '*/5 * * * *'")
    source = text.strip()
    if source.upper().startswith(("TZ=", "CRON_TZ=")):
        raise InvalidObject(path, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead")
    expr = MACROS.get(source.lower(), source)
    parts = expr.split()
    if len(parts) != 5:
        raise InvalidObject(path, f"expected exactly 5 fields, found {len(parts)}: {source!r}")
    parsed = [
        _field(p, name, lo, hi, names, path) for p, (name, lo, hi, names) in zip(parts, FIELDS, strict=True)
    ]
    return CronSchedule(
        source,
        parsed[0][0],
        parsed[1][0],
        parsed[2][0],
        parsed[3][0],
        parsed[4][0],
        parsed[2][1],
        parsed[4][1],
    )


def run(body: object, facts: Facts, budget: Budget = UNLIMITED) -> dict[str, Any]:
    """POST /api/simulate/cronjob: the Jobs a CronJob creates over a window, and what it skips or replaces."""
    from kubekg.simulation.api import DEFAULT_START, body_mapping

    body = body_mapping(body)
    doc = mapping(body.get("cronJob"), "cronJob")
    if doc.get("kind") not in (None, "CronJob"):
        raise InvalidObject("cronJob.kind", f"expected a CronJob, got {doc.get('kind')!r}")
    meta = parse_meta(doc.get("metadata"), "cronJob.metadata")
    spec = mapping(doc.get("spec"), "cronJob.spec")
    schedule = parse_cron(spec.get("schedule"), "cronJob.spec.schedule")
    tz_name = string(spec.get("timeZone"), "cronJob.spec.timeZone") or "UTC"
    try:
        zone = UTC if tz_name == "UTC" else ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidObject("cronJob.spec.timeZone", f"unknown time zone {tz_name!r}") from exc
    policy = string(spec.get("concurrencyPolicy"), "cronJob.spec.concurrencyPolicy") or "Allow"
    if policy not in ("Allow", "Forbid", "Replace"):
        raise InvalidObject(
            "cronJob.spec.concurrencyPolicy",
            f"unsupported value {policy!r}: must be Allow, Forbid or Replace",
        )
    suspend = boolean(spec.get("suspend"), "cronJob.spec.suspend")
    keep_ok = integer(
        spec.get("successfulJobsHistoryLimit", 3), "cronJob.spec.successfulJobsHistoryLimit", minimum=0
    )
    keep_failed = integer(
        spec.get("failedJobsHistoryLimit", 1), "cronJob.spec.failedJobsHistoryLimit", minimum=0
    )
    start_ns = parse_time(body.get("start", DEFAULT_START), "start")
    end_ns = (
        parse_time(body["end"], "end")
        if body.get("end")
        else start_ns + parse_duration(body.get("duration", "1h"), "duration")
    )
    if end_ns < start_ns:
        raise InvalidObject("end", "must not be before start")
    if end_ns - start_ns > MAX_WINDOW:
        raise InvalidObject("duration", "a CronJob window may span at most 10 years")
    try:
        format_time(end_ns)
    except (OverflowError, ValueError) as exc:
        raise InvalidObject("duration", "the window ends after the year 9999") from exc
    job_duration = parse_duration(body.get("jobDurationSeconds", 60), "jobDurationSeconds")
    controller_delay = parse_duration(body.get("controllerDelaySeconds", 0), "controllerDelaySeconds")
    deadline = integer(spec.get("startingDeadlineSeconds"), "cronJob.spec.startingDeadlineSeconds", minimum=0)
    outcomes = [str(o) for o in sequence(body.get("jobOutcomes"), "jobOutcomes")]

    def to_dt(ns: int) -> datetime:
        return datetime.fromtimestamp(ns // NS, tz=UTC).astimezone(zone)

    runs: list[dict[str, Any]] = []
    jobs: list[dict[str, Any]] = []
    active: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    cursor = to_dt(start_ns - NS)
    limit = to_dt(end_ns)
    while len(runs) < MAX_RUNS:
        budget.check()
        scheduled = schedule.next_after(cursor, limit)
        if scheduled is None:
            break
        cursor = scheduled
        sched_ns = int(scheduled.timestamp()) * NS
        act_ns = sched_ns + controller_delay
        for job in list(active):
            if job["endsNs"] <= act_ns:
                active.remove(job)
        entry: dict[str, Any] = {"scheduled": format_time(sched_ns), "local": scheduled.isoformat()}
        if suspend:
            entry["action"] = "Suspended"
            runs.append(entry)
            continue
        if deadline is not None and act_ns - sched_ns > deadline * NS:
            entry["action"] = "MissedDeadline"
            events.append(
                {
                    "time": format_time(act_ns),
                    "type": "Warning",
                    "reason": "MissSchedule",
                    "message": f"Missed scheduled time to start a job: {scheduled.isoformat()}",
                }
            )
            runs.append(entry)
            continue
        if active and policy == "Forbid":
            entry["action"] = "Skipped"
            entry["reason"] = f"concurrencyPolicy Forbid: {active[0]['name']} is still running"
            events.append(
                {
                    "time": format_time(act_ns),
                    "type": "Normal",
                    "reason": "JobAlreadyActive",
                    "message": "Not starting job because prior execution is running and concurrency policy is Forbid",
                }
            )
            runs.append(entry)
            continue
        if active and policy == "Replace":
            for job in active:
                job["status"] = "Deleted"
                events.append(
                    {
                        "time": format_time(act_ns),
                        "type": "Normal",
                        "reason": "SuccessfulDelete",
                        "message": f"Deleted job {job['name']}",
                    }
                )
            entry["replaced"] = [j["name"] for j in active]
            active.clear()
        name = f"{meta.name}-{sched_ns // NS // 60}"
        outcome = outcomes[len(jobs)] if len(jobs) < len(outcomes) else "Complete"
        job = {
            "name": name,
            "scheduled": format_time(sched_ns),
            "started": format_time(act_ns),
            "endsNs": act_ns + job_duration,
            "status": "Running",
            "outcome": outcome,
        }
        jobs.append(job)
        active.append(job)
        events.append(
            {
                "time": format_time(act_ns),
                "type": "Normal",
                "reason": "SuccessfulCreate",
                "message": f"Created job {name}",
            }
        )
        entry["action"] = "Created"
        entry["job"] = name
        runs.append(entry)
    for job in jobs:
        if job["status"] == "Running" and job["endsNs"] <= end_ns:
            job["status"] = job["outcome"]
            events.append(
                {
                    "time": format_time(job["endsNs"]),
                    "type": "Normal",
                    "reason": "SawCompletedJob",
                    "message": f"Saw completed job: {job['name']}, status: {job['outcome']}",
                }
            )
    finished_ok = [j for j in jobs if j["status"] == "Complete"]
    finished_failed = [j for j in jobs if j["status"] == "Failed"]
    kept = {j["name"] for j in finished_ok[len(finished_ok) - (keep_ok or 0) :]} if keep_ok else set()
    kept |= (
        {j["name"] for j in finished_failed[len(finished_failed) - (keep_failed or 0) :]}
        if keep_failed
        else set()
    )
    for j in jobs:
        j["kept"] = j["status"] in ("Running",) or j["name"] in kept
        j.pop("endsNs", None)
    return {
        "cronJob": meta.name,
        "schedule": schedule.text,
        "timeZone": tz_name,
        "concurrencyPolicy": policy,
        "window": {"start": format_time(start_ns), "end": format_time(end_ns)},
        "runs": runs,
        "jobs": jobs,
        "events": sorted(events, key=lambda e: e["time"]),
        "summary": {
            "scheduled": len(runs),
            "created": sum(1 for r in runs if r.get("action") == "Created"),
            "skipped": sum(1 for r in runs if r.get("action") == "Skipped"),
            "active": sum(1 for j in jobs if j["status"] == "Running"),
        },
        "factsSource": facts.source,
    }
