"""The other controllers: DaemonSet, Job, CronJob (with the cron parser), Deployment rollouts, NodePort allocation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kubekg.simulation import cronjob, daemonset, deployment, job, nodeport
from kubekg.simulation.errors import InvalidObject, PortAllocationError
from kubekg.simulation.facts import DEFAULT_FACTS as F
from kubekg.simulation.facts import StaticFacts

# ---------------------------------------------------------------------------------------------- DaemonSet


def ds_body(steps, selector=None, tolerations=None):
    template_spec = {}
    if selector:
        template_spec["nodeSelector"] = selector
    if tolerations:
        template_spec["tolerations"] = tolerations
    return {
        "daemonSet": {
            "kind": "DaemonSet",
            "metadata": {"name": "agent"},
            "spec": {"template": {"spec": template_spec}},
        },
        "nodes": [{"metadata": {"name": "n1", "labels": {"disk": "ssd"}}}, {"metadata": {"name": "n2"}}],
        "steps": steps,
    }


def pods_per_step(result):
    return [{k: v["pod"] for k, v in s["nodes"].items() if v["pod"]} for s in result["steps"]]


def test_daemonset_one_pod_per_matching_node_never_moved():
    steps = [
        {"action": "addNode", "node": {"metadata": {"name": "n3", "labels": {"disk": "ssd"}}}},
        {"action": "removeNode", "name": "n1"},
        {"action": "labelNode", "name": "n2", "labels": {"disk": "ssd"}},
        {"action": "labelNode", "name": "n3", "labels": {"disk": None}},
    ]
    result = daemonset.run(ds_body(steps, {"disk": "ssd"}), F)
    placement = pods_per_step(result)
    assert placement[0] == {"n1": "agent-n1-1"}
    assert placement[1] == {"n1": "agent-n1-1", "n3": "agent-n3-2"}
    assert placement[2] == {"n3": "agent-n3-2"}  # the n1 pod is gone, not moved to n2
    assert placement[3] == {"n2": "agent-n2-3", "n3": "agent-n3-2"}
    assert placement[4] == {"n2": "agent-n2-3"}
    assert [e["reason"] for e in result["steps"][2]["events"]] == ["PodDeleted"]
    assert result["steps"][3]["status"] == {
        "desiredNumberScheduled": 2,
        "currentNumberScheduled": 2,
        "numberMisscheduled": 0,
    }


@pytest.mark.parametrize(
    ("taint", "tolerations", "kept"),
    [
        ({"key": "dedicated", "value": "db", "effect": "NoSchedule"}, None, True),
        ({"key": "dedicated", "value": "db", "effect": "NoExecute"}, None, False),
        (
            {"key": "dedicated", "value": "db", "effect": "NoExecute"},
            [{"key": "dedicated", "operator": "Exists"}],
            True,
        ),
        ({"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}, None, True),
    ],
    ids=[
        "NoSchedule keeps the running pod",
        "NoExecute evicts",
        "tolerated NoExecute",
        "daemon pods tolerate unreachable",
    ],
)
def test_daemonset_taints(taint, tolerations, kept):
    result = daemonset.run(
        ds_body([{"action": "taintNode", "name": "n1", "taint": taint}], tolerations=tolerations), F
    )
    assert ("n1" in pods_per_step(result)[-1]) is kept


def test_daemonset_noschedule_blocks_a_new_node():
    steps = [
        {
            "action": "addNode",
            "node": {
                "metadata": {"name": "n3"},
                "spec": {"taints": [{"key": "gpu", "effect": "NoSchedule"}]},
            },
        }
    ]
    result = daemonset.run(ds_body(steps), F)
    assert result["steps"][-1]["nodes"]["n3"] == {
        "eligible": False,
        "why": "taint gpu=:NoSchedule is not tolerated",
        "pod": None,
    }


def test_daemonset_bad_step():
    with pytest.raises(InvalidObject):
        daemonset.run(ds_body([{"action": "explode"}]), F)


# ---------------------------------------------------------------------------------------------- Job


def job_body(spec, outcomes=(), **extra):
    return {
        "job": {"kind": "Job", "metadata": {"name": "pi"}, "spec": spec},
        "outcomes": list(outcomes),
        **extra,
    }


def test_job_retries_until_completions():
    result = job.run(
        job_body({"completions": 2, "backoffLimit": 3}, ["Failed", "Succeeded", "Failed", "Succeeded"]), F
    )
    assert result["status"]["conditions"][0]["type"] == "Complete"
    assert (result["status"]["succeeded"], result["status"]["failed"]) == (2, 2)
    # one pod at a time; a failure delays the next pod by the back-off (10 s, then 20 s)
    assert [(p["createdAt"], p["outcome"]) for p in result["pods"]] == [
        (0, "Failed"),
        (20, "Succeeded"),
        (30, "Failed"),
        (60, "Succeeded"),
    ]


def test_job_fails_past_backoff_limit():
    result = job.run(
        job_body(
            {"completions": 3, "parallelism": 2, "backoffLimit": 2},
            ["Failed", "Succeeded", "Failed", "Succeeded", "Failed", "Succeeded"],
        ),
        F,
    )
    condition = result["status"]["conditions"][0]
    assert (condition["type"], condition["reason"], condition["message"]) == (
        "Failed",
        "BackoffLimitExceeded",
        "Job has reached the specified backoff limit",
    )
    assert result["status"]["failed"] == 3


def test_job_backoff_limit_zero_fails_on_first_failure():
    result = job.run(job_body({"backoffLimit": 0}, ["Failed"]), F)
    assert result["status"]["conditions"][0]["reason"] == "BackoffLimitExceeded" and len(result["pods"]) == 1


def test_job_parallelism_never_exceeds_remaining_completions():
    result = job.run(job_body({"completions": 3, "parallelism": 5}), F)
    assert len([p for p in result["pods"] if p["createdAt"] == 0]) == 3
    assert result["status"]["conditions"][0]["type"] == "Complete"


def test_job_deadline():
    result = job.run(job_body({"completions": 5, "activeDeadlineSeconds": 25}, podDurationSeconds=10), F)
    assert result["status"]["conditions"][0]["reason"] == "DeadlineExceeded"


@pytest.mark.parametrize("failures,expected", [(1, 10), (2, 20), (3, 40), (6, 320), (7, 360), (20, 360)])
def test_job_backoff_caps_at_six_minutes(failures, expected):
    assert job.backoff_seconds(failures) == expected


def test_job_negative_completions_refused():
    with pytest.raises(InvalidObject, match="negative"):
        job.run(job_body({"completions": -1}), F)


# ---------------------------------------------------------------------------------------------- CronJob


@pytest.mark.parametrize(
    ("expr", "moment", "matches"),
    [
        ("*/15 * * * *", datetime(2024, 1, 1, 10, 45, tzinfo=UTC), True),
        ("*/15 * * * *", datetime(2024, 1, 1, 10, 50, tzinfo=UTC), False),
        ("0 9-17/2 * * MON-FRI", datetime(2024, 1, 1, 11, 0, tzinfo=UTC), True),  # a Monday
        ("0 9-17/2 * * MON-FRI", datetime(2024, 1, 6, 11, 0, tzinfo=UTC), False),  # a Saturday
        ("0 0 1 * 0", datetime(2024, 9, 1, 0, 0, tzinfo=UTC), True),  # dom OR dow: the 1st
        ("0 0 1 * 0", datetime(2024, 9, 8, 0, 0, tzinfo=UTC), True),  # ... or a Sunday
        ("0 0 1 * 0", datetime(2024, 9, 9, 0, 0, tzinfo=UTC), False),
        ("@hourly", datetime(2024, 1, 1, 7, 0, tzinfo=UTC), True),
        ("0 0 * JAN,dec 7", datetime(2024, 12, 29, 0, 0, tzinfo=UTC), True),  # 7 is Sunday too
        ("5,10-12 * * * *", datetime(2024, 1, 1, 0, 11, tzinfo=UTC), True),
    ],
)
def test_cron_matching(expr, moment, matches):
    assert cronjob.parse_cron(expr).matches(moment) is matches


@pytest.mark.parametrize(
    "expr",
    [
        "* * * *",
        "61 * * * *",
        "* * 0 * *",
        "*/0 * * * *",
        "5-1 * * * *",
        "CRON_TZ=UTC * * * * *",
        "a * * * *",
        "",
    ],
)
def test_cron_rejects(expr):
    with pytest.raises(InvalidObject):
        cronjob.parse_cron(expr)


def cron_body(schedule="*/20 * * * *", policy="Allow", **extra):
    return {
        "cronJob": {
            "kind": "CronJob",
            "metadata": {"name": "report"},
            "spec": {"schedule": schedule, "concurrencyPolicy": policy},
        },
        "start": "2024-01-01T00:00:00Z",
        "duration": "1h",
        **extra,
    }


@pytest.mark.parametrize(
    ("policy", "actions"),
    [
        ("Allow", ["Created", "Created", "Created", "Created"]),
        ("Forbid", ["Created", "Skipped", "Created", "Skipped"]),
        ("Replace", ["Created", "Created", "Created", "Created"]),
    ],
)
def test_cronjob_concurrency_policy(policy, actions):
    result = cronjob.run(cron_body(policy=policy, jobDurationSeconds=1500), F)
    assert [r["action"] for r in result["runs"]] == actions
    if policy == "Replace":
        assert result["runs"][1]["replaced"] == ["report-28401120"]


def test_cronjob_job_names_and_history():
    result = cronjob.run(
        cron_body(
            schedule="*/10 * * * *",
            jobOutcomes=["Complete", "Failed", "Complete", "Complete", "Failed", "Complete"],
            duration="55m",
        ),
        F,
    )
    names = [j["name"] for j in result["jobs"]]
    assert names[0] == "report-28401120" and len(names) == 6
    kept = [j["name"] for j in result["jobs"] if j["kept"]]
    assert len(kept) == 4  # 3 successful + 1 failed (the default history limits)


def test_cronjob_suspend_and_time_zone():
    suspended = cronjob.run(
        {
            **cron_body(),
            "cronJob": {**cron_body()["cronJob"], "spec": {"schedule": "0 * * * *", "suspend": True}},
        },
        F,
    )
    assert {r["action"] for r in suspended["runs"]} == {"Suspended"}
    seoul = cronjob.run(
        {
            **cron_body(),
            "cronJob": {
                "kind": "CronJob",
                "metadata": {"name": "r"},
                "spec": {"schedule": "0 9 * * *", "timeZone": "Asia/Seoul"},
            },
            "duration": "23h",
        },
        F,
    )
    assert [r["scheduled"] for r in seoul["runs"]] == ["2024-01-01T00:00:00Z"]


def test_cronjob_bad_time_zone():
    with pytest.raises(InvalidObject):
        cronjob.run(
            {
                **cron_body(),
                "cronJob": {
                    "kind": "CronJob",
                    "metadata": {"name": "r"},
                    "spec": {"schedule": "0 9 * * *", "timeZone": "Mars/Olympus"},
                },
            },
            F,
        )


# ---------------------------------------------------------------------------------------------- Deployment


@pytest.mark.parametrize(
    ("surge", "unavailable", "replicas", "expected"),
    [
        ("25%", "25%", 4, (1, 1)),
        ("25%", "25%", 10, (3, 2)),
        ("0", "0", 4, (0, 1)),
        (0, "100%", 3, (0, 3)),
        ("50%", 0, 3, (2, 0)),
        (1, "30%", 5, (1, 1)),
    ],
)
def test_fenceposts(surge, unavailable, replicas, expected):
    """ResolveFenceposts: maxSurge rounds up, maxUnavailable down, never both zero."""
    assert deployment.resolve_fenceposts(surge, unavailable, replicas) == expected


def deploy_body(steps, replicas=4, strategy=None, **extra):
    spec = {"replicas": replicas, "template": {"spec": {"containers": [{"name": "web", "image": "web:1"}]}}}
    if strategy:
        spec["strategy"] = strategy
    return {
        "deployment": {"kind": "Deployment", "metadata": {"name": "web"}, "spec": spec},
        "steps": steps,
        **extra,
    }


def test_rolling_update_respects_surge_and_unavailable():
    result = deployment.run(deploy_body([{"action": "update", "image": "web:2"}]), F)
    assert result["steps"][-1]["status"] == "Complete"
    for row in result["timeline"]:
        assert row["totalPods"] <= 4 + 1  # replicas + maxSurge
        assert row["availablePods"] >= 4 - 1  # replicas - maxUnavailable
    images = [(rs["revision"], rs["image"], rs["replicas"]) for rs in result["steps"][-1]["replicaSets"]]
    assert images == [(1, "web:1", 0), (2, "web:2", 4)]
    assert result["events"][0]["message"].startswith("Scaled up replica set web-") and result["events"][0][
        "message"
    ].endswith("from 0 to 1")


def test_broken_update_stalls_and_rollback_restores_an_old_revision():
    steps = [
        {"action": "update", "image": "web:2"},
        {"action": "update", "image": "web:bad", "ready": False},
        {"action": "rollback", "toRevision": 2},
    ]
    result = deployment.run(deploy_body(steps, progressDeadline=None), F)
    stalled = result["steps"][2]
    assert stalled["status"] == "ProgressDeadlineExceeded"
    assert stalled["availablePods"] >= 3  # maxUnavailable holds while the new pods never become ready
    final = result["steps"][3]
    assert final["status"] == "Complete"
    revisions = {rs["image"]: rs["revision"] for rs in final["replicaSets"]}
    assert revisions == {
        "web:1": 1,
        "web:bad": 3,
        "web:2": 4,
    }  # the rolled-back ReplicaSet becomes the newest revision
    assert any(
        e["reason"] == "DeploymentRollback" and "to revision 2" in e["message"] for e in result["events"]
    )


def test_recreate_strategy_stops_old_pods_first():
    result = deployment.run(
        deploy_body([{"action": "update", "image": "web:2"}], strategy={"type": "Recreate"}), F
    )
    for row in result["timeline"]:
        olds = [rs for rs in row["replicaSets"] if not rs["new"]]
        news = [rs for rs in row["replicaSets"] if rs["new"]]
        assert not (any(r["pods"] for r in olds) and any(r["pods"] for r in news))


def test_rollback_to_missing_revision():
    result = deployment.run(deploy_body([{"action": "rollback", "toRevision": 7}]), F)
    assert any(e["reason"] == "DeploymentRollbackRevisionNotFound" for e in result["events"])


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b: b["deployment"]["spec"].update(replicas=-1), "negative"),
        (
            lambda b: b["deployment"]["spec"].update(
                strategy={"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}}
            ),
            "may not be 0",
        ),
        (
            lambda b: b["deployment"]["spec"].update(strategy={"rollingUpdate": {"maxUnavailable": "150%"}}),
            "100%",
        ),
        (
            lambda b: b["deployment"]["spec"].update(
                strategy={"type": "Recreate", "rollingUpdate": {"maxSurge": 1}}
            ),
            "Recreate",
        ),
    ],
    ids=["negative replicas", "both zero", "over 100%", "recreate with rollingUpdate"],
)
def test_deployment_validation(mutate, message):
    body = deploy_body([])
    mutate(body)
    with pytest.raises(InvalidObject, match=message):
        deployment.run(body, F)


# ---------------------------------------------------------------------------------------------- NodePort


def svc(name, *ports, stype="NodePort"):
    return {
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {
            "type": stype,
            "ports": [{"port": 80 + i, **({"nodePort": p} if p else {})} for i, p in enumerate(ports)],
        },
    }


def test_nodeport_allocates_in_the_graph_range():
    result = nodeport.run(
        {
            "services": [
                svc("a", 30080, None),
                svc("b", None, stype="ClusterIP"),
                svc("lb", None, stype="LoadBalancer"),
            ]
        },
        F,
    )
    assert result["range"]["start"] == 30000 and result["range"]["end"] == 32767
    ports = result["allocated"]
    assert ports["a"][0] == 30080 and 30086 <= ports["a"][1] <= 32767  # dynamic picks prefer the upper band
    assert "b" not in ports and len(ports["lb"]) == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"services": [svc("a", 30080), svc("b", 30080)]}, "port_taken"),
        ({"services": [svc("a", 8080)]}, "port_out_of_range"),
        ({"services": [svc("a", 32768)]}, "port_out_of_range"),
        ({"range": "30000-30002", "services": [svc("a", None, None, None, None)]}, "port_range_exhausted"),
    ],
    ids=["taken", "below range", "above range", "exhausted"],
)
def test_nodeport_errors(body, code):
    with pytest.raises(PortAllocationError) as info:
        nodeport.run(body, F)
    assert info.value.code == code and info.value.status == 422


def test_nodeport_release_and_reuse():
    body = {
        "range": "30000-30000",
        "operations": [
            {"action": "create", "service": svc("a", None)},
            {"action": "delete", "name": "a"},
            {"action": "create", "service": svc("b", None)},
        ],
    }
    result = nodeport.run(body, F)
    assert result["allocated"] == {"b": [30000]}


def test_nodeport_range_comes_from_facts():
    result = nodeport.run({"services": [svc("a", None)]}, StaticFacts(nodeport=(40000, 40010)))
    assert 40000 <= result["allocated"]["a"][0] <= 40010


def test_nodeport_on_cluster_ip_is_refused():
    with pytest.raises(InvalidObject, match="ClusterIP"):
        nodeport.run({"services": [svc("a", 30080, stype="ClusterIP")]}, F)
