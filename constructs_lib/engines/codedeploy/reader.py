"""What ``make timeline`` reads of a CodeDeploy release: the stack's one blue/green
deployment group, the deployment config it names and the alarms it rolls back on.

It reads the synthesized ``cdk.tf.json`` only; nothing here creates resources.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from constructs_lib.pipeline_settings import ALL_AT_ONCE
from constructs_lib.release_reading import (
    Alarm,
    ReleaseReading,
    ReleaseTerms,
    Shift,
    StackReadError,
    alarms_named,
    block,
    resource_named,
    resources,
    target_groups_referenced,
    whole,
)
from constructs_lib.release_spec import PREDEFINED_SHIFTS


class CodeDeployReader:
    """A CodeDeploy release read back from the stack: its one blue/green deployment group,
    the deployment config it names and the alarms it rolls back on."""

    terms = ReleaseTerms(
        termination_wait="termination wait (configured)",
        termination_wait_note="blue stays for a rollback by listener swap; not in the total",
        switch_back="listener swap back to blue",
        no_ready_wait="CONTINUE_DEPLOYMENT: traffic moves once green is ready",
        ready_wait="STOP_DEPLOYMENT: waits for `aws deploy continue-deployment`",
    )

    def read(self, tf: Mapping[str, Any]) -> ReleaseReading | None:
        groups = list(resources(tf, "aws_codedeploy_deployment_group").values())
        if not groups:
            return None
        group = _blue_green_group(groups)
        blue_green = block(group, "blue_green_deployment_config")
        ready = block(blue_green, "deployment_ready_option")
        ready_wait = None
        if ready.get("action_on_timeout", "CONTINUE_DEPLOYMENT") == "STOP_DEPLOYMENT":
            ready_wait = whole(ready.get("wait_time_in_minutes"), "wait_time_in_minutes", 0)
        terminate = block(blue_green, "terminate_blue_instances_on_deployment_success")
        return ReleaseReading(
            target_groups=_group_target_groups(tf, group),
            ready_wait_minutes=ready_wait,
            shift=read_shift(tf, group.get("deployment_config_name")),
            termination_wait_minutes=whole(
                terminate.get("termination_wait_time_in_minutes"), "termination_wait", 0
            ),
            alarms=_rollback_alarms(tf, group),
        )


def _blue_green_group(groups: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    if len(groups) != 1:
        raise StackReadError(
            f"expected one aws_codedeploy_deployment_group (the blue/green release), "
            f"found {len(groups)}"
        )
    style = block(groups[0], "deployment_style").get("deployment_type", "IN_PLACE")
    if style != "BLUE_GREEN":
        raise StackReadError(f"the deployment group's deployment_type is {style}, not BLUE_GREEN")
    return groups[0]


def _group_target_groups(
    tf: Mapping[str, Any], group: Mapping[str, Any]
) -> list[Mapping[str, Any]]:
    """The deployment group's blue and green target groups (every one if not resolvable)."""
    pair = block(block(group, "load_balancer_info"), "target_group_pair_info")
    named = [t.get("name") for t in pair.get("target_group", [])]
    chosen = target_groups_referenced(tf, named)
    chosen = chosen or list(resources(tf, "aws_lb_target_group").values())
    if not chosen:
        raise StackReadError("no aws_lb_target_group in the stack")
    return chosen


def read_shift(tf: Mapping[str, Any], config_name: object) -> Shift:
    """The deployment group's traffic routing: a predefined ECS config by name, or a custom
    ``aws_codedeploy_deployment_config`` of this stack (by reference or by name)."""
    name = ALL_AT_ONCE if config_name is None else config_name
    if isinstance(name, str) and name in PREDEFINED_SHIFTS:
        predefined = PREDEFINED_SHIFTS[name]
        if predefined is None:
            return Shift(name, "all-at-once")
        return Shift(name, predefined.kind, predefined.percentage, predefined.interval_minutes)
    body = _custom_config(tf, name)
    label = str(body.get("deployment_config_name", name))
    routing = block(body, "traffic_routing_config")
    for kind, key in (("canary", "time_based_canary"), ("linear", "time_based_linear")):
        step = block(routing, key)
        if step:
            return Shift(
                label,
                "canary" if kind == "canary" else "linear",
                whole(step.get("percentage"), f"{key}.percentage"),
                whole(step.get("interval"), f"{key}.interval"),
            )
    return Shift(label, "all-at-once")


def _custom_config(tf: Mapping[str, Any], name: object) -> Mapping[str, Any]:
    body = resource_named(tf, "aws_codedeploy_deployment_config", name, "deployment_config_name")
    if body is None:
        raise StackReadError(
            f"deployment config {name!r} is neither a predefined ECS config nor an "
            "aws_codedeploy_deployment_config of this stack"
        )
    return body


def _rollback_alarms(tf: Mapping[str, Any], group: Mapping[str, Any]) -> tuple[Alarm, ...]:
    """The alarms that stop *and roll back* a deployment: enabled in the deployment group,
    with ``DEPLOYMENT_STOP_ON_ALARM`` among its auto-rollback events (without it an alarm
    stops the deployment and leaves it there)."""
    config = block(group, "alarm_configuration")
    rollback = block(group, "auto_rollback_configuration")
    if not (
        config.get("enabled", True)
        and rollback.get("enabled", False)
        and "DEPLOYMENT_STOP_ON_ALARM" in (rollback.get("events") or ())
    ):
        return ()
    return alarms_named(tf, config.get("alarms") or ())
