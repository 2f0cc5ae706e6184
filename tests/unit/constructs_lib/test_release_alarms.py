"""ReleaseAlarms: three alarms over both target groups that stop and roll back a release."""

from __future__ import annotations

import json

import pytest

from constructs_lib.release_alarms import AlarmThresholds
from constructs_lib.validation import ValidationError
from tests.synth import Synth

WATCHED = {
    "target-5xx": ("HTTPCode_Target_5XX_Count", "Sum"),
    "unhealthy-hosts": ("UnHealthyHostCount", "Maximum"),
    "p95-latency": ("TargetResponseTime", "p95"),
}


def _alarms(s: Synth) -> dict[str, dict]:
    found = s.resources("aws_cloudwatch_metric_alarm")
    return {body["alarm_name"].rsplit("-dev-", 1)[1]: body for body in found.values()}


def test_three_alarms_watch_both_target_groups(dev: Synth) -> None:
    alarms = _alarms(dev)
    assert set(alarms) == set(WATCHED)
    lb = dev.ref("aws_lb", dev.one("aws_lb")[0], "arn_suffix")
    groups = {
        dev.ref("aws_lb_target_group", n, "arn_suffix")
        for n in dev.resources("aws_lb_target_group")
    }
    for purpose, (metric, stat) in WATCHED.items():
        queries = alarms[purpose]["metric_query"]
        metrics = [q["metric"] for q in queries if "metric" in q]
        assert {m["dimensions"]["TargetGroup"] for m in metrics} == groups
        assert {m["dimensions"]["LoadBalancer"] for m in metrics} == {lb}
        assert {(m["namespace"], m["metric_name"], m["stat"]) for m in metrics} == {
            ("AWS/ApplicationELB", metric, stat)
        }
        (returned,) = [q for q in queries if q["return_data"]]
        assert {"m0", "m1"} <= set(
            returned["expression"].replace("(", " ").replace(",", " ").split()
        )


def test_thresholds_come_from_settings_and_missing_data_is_not_an_error(
    dev: Synth, settings_by_env
) -> None:
    alarms = _alarms(dev)
    configured = settings_by_env["dev"].alarms.thresholds
    assert alarms["target-5xx"]["threshold"] == configured.target_5xx_count == 5
    assert alarms["unhealthy-hosts"]["threshold"] == configured.unhealthy_hosts
    assert alarms["p95-latency"]["threshold"] == configured.p95_response_seconds
    for alarm in alarms.values():
        assert alarm["comparison_operator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["treat_missing_data"] == "notBreaching"
        assert alarm["evaluation_periods"] == alarm["datapoints_to_alarm"] == 2
        assert {q["metric"]["period"] for q in alarm["metric_query"] if "metric" in q} == {60}


def test_deployment_group_stops_and_rolls_back_on_every_alarm(dev: Synth) -> None:
    group = dev.body("aws_codedeploy_deployment_group")
    names = {
        dev.ref("aws_cloudwatch_metric_alarm", n, "alarm_name")
        for n in dev.resources("aws_cloudwatch_metric_alarm")
    }
    assert group["alarm_configuration"]["enabled"] is True
    assert set(group["alarm_configuration"]["alarms"]) == names  # references: alarms first
    assert "DEPLOYMENT_STOP_ON_ALARM" in group["auto_rollback_configuration"]["events"]
    policy = json.loads(dev.named("aws_iam_role_policy", "deploy-policy")[1]["policy"])
    (read,) = [st for st in policy["Statement"] if st["Sid"] == "ReadRollbackAlarms"]
    assert read["Action"] == ["cloudwatch:DescribeAlarms"]
    assert len(read["Resource"]) == 3


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"target_5xx_count": 0}, "target_5xx_count"),
        ({"unhealthy_hosts": 0}, "unhealthy_hosts"),
        ({"p95_response_seconds": 0}, "p95_response_seconds"),
        ({"p95_response_seconds": "1"}, "p95_response_seconds"),
        ({"p95_response_seconds": True}, "p95_response_seconds"),
        ({"period_seconds": 45}, "period_seconds"),
        ({"period_seconds": 5}, "period_seconds"),
        ({"evaluation_periods": 0}, "evaluation_periods"),
    ],
)
def test_bad_thresholds_are_refused_as_they_are_built(change: dict, field: str) -> None:
    with pytest.raises(ValidationError, match=f"^{field}: "):
        AlarmThresholds(**change)


def test_periods_cloudwatch_accepts() -> None:
    for period in (10, 30, 60, 120, 3600):
        AlarmThresholds(period_seconds=period).validate()
