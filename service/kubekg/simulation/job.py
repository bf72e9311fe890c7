"""Jobs: pods retried until ``completions`` succeed, within ``backoffLimit``, as the job controller does.

Follows ``pkg/controller/job`` for NonIndexed jobs: up to ``parallelism`` pods run at once (never more than the
completions still needed); a failed pod counts toward ``backoffLimit`` and the replacement waits an exponential
back-off (10 s, 20 s, 40 s ... capped at 6 minutes); the Job fails with ``BackoffLimitExceeded`` once failures exceed
the limit, with ``DeadlineExceeded`` past ``activeDeadlineSeconds``, and completes when ``completions`` pods
succeeded. Pod outcomes come from the request (``outcomes``: Succeeded/Failed in creation order).
"""

from __future__ import annotations

from typing import Any

from kubekg.simulation.budget import UNLIMITED, Budget
from kubekg.simulation.errors import InvalidObject
from kubekg.simulation.facts import Facts
from kubekg.simulation.objects import integer, mapping, parse_meta, sequence
from kubekg.simulation.timeutil import NS, format_time, parse_duration, parse_time

BACKOFF_BASE = 10  # seconds, DefaultJobPodFailureBackOff
BACKOFF_MAX = 360  # seconds, the documented six-minute cap
OUTCOMES = ("Succeeded", "Failed")


def backoff_seconds(failures: int) -> int:
    """The delay before a replacement pod after ``failures`` failed pods."""
    if failures <= 0:
        return 0
    return min(BACKOFF_BASE * 2 ** (failures - 1), BACKOFF_MAX)


def run(body: object, facts: Facts, budget: Budget = UNLIMITED) -> dict[str, Any]:
    """POST /api/simulate/job: the pods a Job creates, their outcomes and the Job's final condition."""
    from kubekg.simulation.api import DEFAULT_START, body_mapping

    body = body_mapping(body)
    doc = mapping(body.get("job"), "job")
    if doc.get("kind") not in (None, "Job"):
        raise InvalidObject("job.kind", f"expected a Job, got {doc.get('kind')!r}")
    meta = parse_meta(doc.get("metadata"), "job.metadata")
    spec = mapping(doc.get("spec"), "job.spec")
    completions = integer(spec.get("completions"), "job.spec.completions", minimum=0)
    parallelism = integer(spec.get("parallelism"), "job.spec.parallelism", minimum=0)
    if parallelism is None:
        parallelism = 1
    if completions is None:
        completions = (
            1 if spec.get("parallelism") is None else None
        )  # work-queue job when only parallelism is set
    backoff_limit = integer(spec.get("backoffLimit"), "job.spec.backoffLimit", minimum=0)
    backoff_limit = 6 if backoff_limit is None else backoff_limit
    deadline = integer(spec.get("activeDeadlineSeconds"), "job.spec.activeDeadlineSeconds", minimum=1)
    start = parse_time(body.get("start", DEFAULT_START), "start")
    duration = parse_duration(body.get("podDurationSeconds", 10), "podDurationSeconds")
    outcomes = [str(o) for o in sequence(body.get("outcomes"), "outcomes")]
    for i, o in enumerate(outcomes):
        if o not in OUTCOMES:
            raise InvalidObject(f"outcomes[{i}]", f"{o!r}: use Succeeded or Failed")
    default = str(body.get("defaultOutcome", "Succeeded"))
    if default not in OUTCOMES:
        raise InvalidObject("defaultOutcome", f"{default!r}: use Succeeded or Failed")
    limit = integer(body.get("maxPods", 1000), "maxPods", minimum=1) or 1000
    target = completions if completions is not None else 1

    t = start
    succeeded = failed = created = 0
    active: list[dict[str, Any]] = []
    pods: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    next_allowed = start
    condition: dict[str, Any] | None = None
    while condition is None:
        budget.check()
        # start pods up to parallelism
        wanted = (
            min(parallelism, target - succeeded - len(active))
            if completions is not None
            else (parallelism if succeeded == 0 else 0)
        )
        while wanted > 0 and t >= next_allowed and created < limit:
            budget.check()
            created += 1
            outcome = outcomes[created - 1] if created <= len(outcomes) else default
            pod = {
                "name": f"{meta.name}-{created}",
                "created": format_time(t),
                "createdAt": (t - start) // NS,
                "outcome": outcome,
            }
            active.append({**pod, "ends": t + duration})
            pods.append(pod)
            events.append(
                {
                    "t": (t - start) // NS,
                    "type": "Normal",
                    "reason": "SuccessfulCreate",
                    "message": f"Created pod: {pod['name']}",
                }
            )
            wanted -= 1
        if not active:
            if t < next_allowed:
                t = next_allowed
                continue
            if created >= limit:
                condition = {
                    "type": "Failed",
                    "reason": "PodLimit",
                    "message": f"the simulation stopped after {limit} pods",
                }
            else:
                condition = {
                    "type": "Suspended",
                    "reason": "NoPods",
                    "message": "parallelism is 0: the Job creates no pods",
                }
            break
        # advance to the next pod end (or the deadline)
        t_end = min(p["ends"] for p in active)
        if deadline is not None and t_end > start + deadline * NS:
            t = start + deadline * NS
            for p in active:
                events.append(
                    {
                        "t": (t - start) // NS,
                        "type": "Normal",
                        "reason": "SuccessfulDelete",
                        "message": f"Deleted pod: {p['name']}",
                    }
                )
            active.clear()
            condition = {
                "type": "Failed",
                "reason": "DeadlineExceeded",
                "message": "Job was active longer than specified deadline",
            }
            break
        t = t_end
        finished = [p for p in active if p["ends"] == t]
        active = [p for p in active if p["ends"] != t]
        for p in finished:
            for rec in pods:
                if rec["name"] == p["name"]:
                    rec["finished"] = format_time(t)
                    rec["finishedAt"] = (t - start) // NS
            if p["outcome"] == "Succeeded":
                succeeded += 1
            else:
                failed += 1
                next_allowed = t + backoff_seconds(failed) * NS
        if failed > backoff_limit:
            for p in active:
                events.append(
                    {
                        "t": (t - start) // NS,
                        "type": "Normal",
                        "reason": "SuccessfulDelete",
                        "message": f"Deleted pod: {p['name']}",
                    }
                )
            active.clear()
            condition = {
                "type": "Failed",
                "reason": "BackoffLimitExceeded",
                "message": "Job has reached the specified backoff limit",
            }
        elif completions is not None and succeeded >= completions:
            condition = {
                "type": "Complete",
                "reason": "Completed",
                "message": f"Job completed ({succeeded}/{completions} succeeded)",
            }
        elif completions is None and succeeded > 0 and not active:
            condition = {
                "type": "Complete",
                "reason": "Completed",
                "message": "a pod succeeded and no pod is still running (work queue)",
            }
    events.append(
        {
            "t": (t - start) // NS,
            "type": "Warning" if condition["type"] == "Failed" else "Normal",
            "reason": condition["reason"],
            "message": condition["message"],
        }
    )
    return {
        "job": meta.name,
        "spec": {
            "completions": completions,
            "parallelism": parallelism,
            "backoffLimit": backoff_limit,
            "activeDeadlineSeconds": deadline,
        },
        "status": {
            "succeeded": succeeded,
            "failed": failed,
            "active": len(active),
            "conditions": [{**condition, "status": "True"}],
        },
        "pods": pods,
        "events": events,
        "durationSeconds": (t - start) // NS,
        "factsSource": facts.source,
    }
