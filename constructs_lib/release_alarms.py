"""ReleaseAlarms: CloudWatch alarms that stop a blue/green release and roll it back.

CodeDeploy swaps the roles of the two target groups on every release, so "the green side"
is one target group in one release and the other in the next. Each alarm therefore watches
both target groups through metric math (the sum of 5xx responses, the worse of the two for
unhealthy hosts and p95 latency): whichever group serves the release is covered, and the
deployment group needs just three alarm names.

Missing data is ``notBreaching`` on purpose: a target group without requests (the idle side,
or a quiet service) reports nothing, and nothing is not an error; an alarm that treated it as
breaching would stop every release of a quiet service.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from constructs import Construct

from constructs_lib import bindings as aws
from constructs_lib.naming import aws_name
from constructs_lib.validation import (
    ValidationError,
    check_format,
    check_int_range,
    check_load_balancer_suffix,
    check_resource_prefix,
    check_target_group_suffixes,
    show,
)

ALARM_NAME_MAX = 255
NAMESPACE = "AWS/ApplicationELB"
_PERIODS = frozenset({10, 30, *range(60, 86_401, 60)})
# CloudWatch: 1-255 characters, none of them a control character.
_ALARM_NAME_RE = re.compile(rf"[^\x00-\x1f\x7f]{{1,{ALARM_NAME_MAX}}}")


def check_alarm_names(field: str, names: object) -> tuple[str, ...]:
    """CloudWatch alarm names (or references to alarms made alongside), in a list."""
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise ValidationError(field, f"must be a list of alarm names, got {show(names)}")
    return tuple(
        check_format(f"{field}[{i}]", name, _ALARM_NAME_RE, "an alarm name")
        for i, name in enumerate(names)
    )


_WINDOW_MAX = 7 * 86_400
_WINDOW_MAX_SHORT_PERIODS = 86_400


@dataclass(frozen=True, kw_only=True)
class AlarmThresholds:
    """When a release is bad enough to roll back."""

    target_5xx_count: int = 10
    """5xx responses from the targets (both groups together) within one period."""
    unhealthy_hosts: int = 1
    """Unhealthy targets in either group."""
    p95_response_seconds: float = 1.0
    """p95 target response time in either group."""
    period_seconds: int = 60
    """Metric period: 10, 30 or a multiple of 60 (ALB metrics arrive every 60 s, so shorter
    periods see gaps)."""
    evaluation_periods: int = 2
    """Consecutive breaching periods before the alarm fires (all of them must breach)."""

    def __post_init__(self) -> None:
        self.validate()

    def validate(self, field_prefix: str = "") -> None:
        f = field_prefix
        check_int_range(f"{f}target_5xx_count", self.target_5xx_count, 1, 1_000_000)
        check_int_range(f"{f}unhealthy_hosts", self.unhealthy_hosts, 1, 1000)
        latency = self.p95_response_seconds
        if isinstance(latency, bool) or not isinstance(latency, int | float):
            raise ValidationError(f"{f}p95_response_seconds", f"must be a number, got {latency!r}")
        if not 0.001 <= latency <= 600:
            raise ValidationError(f"{f}p95_response_seconds", f"must be 0.001-600, got {latency}")
        check_int_range(f"{f}period_seconds", self.period_seconds, 10, 86_400)
        if self.period_seconds not in _PERIODS:
            raise ValidationError(
                f"{f}period_seconds",
                f"must be 10, 30 or a multiple of 60, got {self.period_seconds}",
            )
        check_int_range(f"{f}evaluation_periods", self.evaluation_periods, 1, 10)
        # PutMetricAlarm refuses an alarm evaluating more than 7 days (a day with periods
        # under an hour).
        window = self.period_seconds * self.evaluation_periods
        limit = _WINDOW_MAX if self.period_seconds >= 3600 else _WINDOW_MAX_SHORT_PERIODS
        if window > limit:
            raise ValidationError(
                f"{f}evaluation_periods",
                f"{self.evaluation_periods} periods of {self.period_seconds} s span {window} s; "
                f"CloudWatch evaluates at most {limit} s: at most "
                f"{limit // self.period_seconds} periods of {self.period_seconds} s",
            )


@dataclass(frozen=True, kw_only=True)
class ReleaseAlarmsProps:
    name_prefix: str
    load_balancer_arn_suffix: str
    """``app/<name>/<id>`` (``aws_lb.arn_suffix``): the metrics' LoadBalancer dimension."""
    target_group_arn_suffixes: tuple[str, str]
    """Both target groups' ``arn_suffix``."""
    thresholds: AlarmThresholds = AlarmThresholds()

    def __post_init__(self) -> None:
        check_resource_prefix("name_prefix", self.name_prefix, max_length=200)
        check_load_balancer_suffix("load_balancer_arn_suffix", self.load_balancer_arn_suffix)
        check_target_group_suffixes("target_group_arn_suffixes", self.target_group_arn_suffixes)
        # The thresholds checked their own values as they were built.
        if not isinstance(self.thresholds, AlarmThresholds):
            raise ValidationError(
                "thresholds", f"must be an AlarmThresholds, got {show(self.thresholds)}"
            )


@dataclass(frozen=True)
class _Watch:
    purpose: str
    metric: str
    stat: str
    combine: str
    threshold: float
    description: str


class ReleaseAlarms(Construct):
    """Three alarms over both target groups; pass ``alarm_names`` to the deployment group."""

    def __init__(self, scope: Construct, id_: str, props: ReleaseAlarmsProps) -> None:
        super().__init__(scope, id_)
        self.props = props
        t = props.thresholds
        watches = (
            _Watch(
                "target-5xx",
                "HTTPCode_Target_5XX_Count",
                "Sum",
                "FILL(m0, 0) + FILL(m1, 0)",
                t.target_5xx_count,
                f"At least {t.target_5xx_count} 5xx responses from the service's targets",
            ),
            _Watch(
                "unhealthy-hosts",
                "UnHealthyHostCount",
                "Maximum",
                "MAX([FILL(m0, 0), FILL(m1, 0)])",
                t.unhealthy_hosts,
                f"At least {t.unhealthy_hosts} unhealthy targets in a target group",
            ),
            _Watch(
                "p95-latency",
                "TargetResponseTime",
                "p95",
                "MAX([FILL(m0, 0), FILL(m1, 0)])",
                t.p95_response_seconds,
                f"p95 response time of a target group at least {t.p95_response_seconds} s",
            ),
        )
        self.alarms = tuple(self._alarm(watch) for watch in watches)
        self.alarm_names: tuple[str, ...] = tuple(alarm.alarm_name for alarm in self.alarms)
        """For the deployment group; references, so it is created after the alarms."""
        self.alarm_arns: tuple[str, ...] = tuple(alarm.arn for alarm in self.alarms)

    def _alarm(self, watch: _Watch) -> aws.CloudwatchMetricAlarm:
        props, t = self.props, self.props.thresholds
        metrics = [
            aws.CloudwatchMetricAlarmMetricQuery(
                id=f"m{i}",
                return_data=False,
                metric=aws.CloudwatchMetricAlarmMetricQueryMetric(
                    namespace=NAMESPACE,
                    metric_name=watch.metric,
                    stat=watch.stat,
                    period=t.period_seconds,
                    dimensions={
                        "LoadBalancer": props.load_balancer_arn_suffix,
                        "TargetGroup": suffix,
                    },
                ),
            )
            for i, suffix in enumerate(props.target_group_arn_suffixes)
        ]
        combined = aws.CloudwatchMetricAlarmMetricQuery(
            id="release", expression=watch.combine, label=watch.purpose, return_data=True
        )
        return aws.CloudwatchMetricAlarm(
            self,
            watch.purpose,
            alarm_name=aws_name(props.name_prefix, watch.purpose, max_length=ALARM_NAME_MAX),
            alarm_description=f"{watch.description}: stops and rolls back a release.",
            comparison_operator="GreaterThanOrEqualToThreshold",
            threshold=watch.threshold,
            evaluation_periods=t.evaluation_periods,
            datapoints_to_alarm=t.evaluation_periods,
            treat_missing_data="notBreaching",  # see the module docstring
            metric_query=[*metrics, combined],
        )
