"""What ``make timeline`` reads of an ECS-native release: the service's strategy, bake
time, pause hooks (a ready wait) and alarms block.

It reads the synthesized ``cdk.tf.json`` only; nothing here creates resources.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from constructs_lib.release_reading import (
    ReleaseReading,
    ReleaseTerms,
    Shift,
    StackReadError,
    alarms_named,
    block,
    resources,
    target_groups_referenced,
    whole,
)

NATIVE_STEPS: Mapping[str, tuple[Literal["canary", "linear"], str, str, str]] = {
    "CANARY": ("canary", "canary_configuration", "canary_percent", "canary_bake_time_in_minutes"),
    "LINEAR": ("linear", "linear_configuration", "step_percent", "step_bake_time_in_minutes"),
}
"""ECS's gradual strategies: (kind, block, percentage argument, bake argument)."""
PAUSE_TIMEOUT_ACTION = "ROLLBACK"
"""What ECS does when a pause hook's timeout passes without a go-ahead (its default too):
a ready wait stops and rolls the release back, like CodeDeploy's ``STOP_DEPLOYMENT``."""
PAUSE_DEFAULT_TIMEOUT_MINUTES = 1440
"""A lifecycle hook's ``timeoutInMinutes`` when unset."""
RECURRING_STAGES = ("PRE_PRODUCTION_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT")
"""Stages ECS runs before (or at) every canary or linear step, not once per release."""
CONTINUE_COMMAND = "aws ecs continue-service-deployment"


class NativeReader:
    """An ECS-native release read back from the stack: the service's strategy, bake time
    (it plays CodeDeploy's termination wait: both revisions up, rollback by a weight flip),
    pause hooks (its ready wait) and alarms block."""

    terms = ReleaseTerms(
        termination_wait="bake time",
        termination_wait_note="both revisions stay for a rollback by rule weights; not in "
        "the total",
        switch_back="rule back to blue",
        no_ready_wait="no PAUSE lifecycle hook: traffic moves once green is ready",
        ready_wait=f"PAUSE lifecycle hook: waits for `{CONTINUE_COMMAND}`",
    )

    def read(self, tf: Mapping[str, Any]) -> ReleaseReading | None:
        service = _native_service(tf)
        if service is None:
            return None
        references = []
        for balancer in service.get("load_balancer") or ():
            advanced = block(balancer, "advanced_configuration")
            references += [
                balancer.get("target_group_arn"),
                advanced.get("alternate_target_group_arn"),
            ]
        target_groups = target_groups_referenced(tf, references)
        if not target_groups:
            raise StackReadError(
                "the ECS service's target groups are not target groups of this stack"
            )
        configuration = block(service, "deployment_configuration")
        alarms = block(service, "alarms")
        rolls_back = alarms.get("enable", False) and alarms.get("rollback", False)
        return ReleaseReading(
            target_groups=target_groups,
            ready_wait_minutes=read_ready_wait(configuration),
            shift=read_native_shift(configuration),
            termination_wait_minutes=whole(
                configuration.get("bake_time_in_minutes"), "bake_time_in_minutes", 0
            ),
            alarms=alarms_named(tf, alarms.get("alarm_names") or ()) if rolls_back else (),
        )


def _native_service(tf: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The service ECS itself releases blue/green, if the stack has one."""
    for service in resources(tf, "aws_ecs_service").values():
        controller = block(service, "deployment_controller").get("type", "ECS")
        strategy = block(service, "deployment_configuration").get("strategy", "ROLLING")
        if controller == "ECS" and strategy in (*NATIVE_STEPS, "BLUE_GREEN"):
            return service
    return None


def read_ready_wait(configuration: Mapping[str, Any]) -> int | None:
    """The longest the service's ``PAUSE`` lifecycle hooks hold a release for a go-ahead, in
    minutes (None: no pause hook). Hooks of one stage run side by side, so a stage waits as
    long as its longest pause; the stages follow one another. A pause that continues by
    itself when its timeout passes is a fixed delay, not a wait for a go-ahead, and one at a
    stage ECS repeats for every traffic shift step waits a number of times the stack cannot
    tell: neither is timed."""
    stages: dict[str, int] = {}
    for hook in configuration.get("lifecycle_hook") or ():
        if not isinstance(hook, Mapping) or hook.get("target_type") != "PAUSE":
            continue
        timeout = block(hook, "timeout_configuration")
        action = timeout.get("action", PAUSE_TIMEOUT_ACTION)
        if action != PAUSE_TIMEOUT_ACTION:
            raise StackReadError(
                f"a PAUSE lifecycle hook with timeout action {action} goes on by itself after "
                "its timeout: a fixed delay, not a ready wait, and not timed"
            )
        minutes = whole(
            timeout.get("timeout_in_minutes"),
            "timeout_in_minutes",
            PAUSE_DEFAULT_TIMEOUT_MINUTES,
        )
        for stage in hook.get("lifecycle_stages") or ():
            if stage in RECURRING_STAGES:
                raise StackReadError(
                    f"a PAUSE lifecycle hook at {stage} waits before every traffic shift step: "
                    "not timed"
                )
            stages[str(stage)] = max(stages.get(str(stage), 0), minutes)
    return sum(stages.values()) if stages else None


def read_native_shift(configuration: Mapping[str, Any]) -> Shift:
    """ECS's strategy as a shift: CANARY and LINEAR bake each step like CodeDeploy's
    interval; BLUE_GREEN moves all production traffic at once."""
    strategy = str(configuration.get("strategy"))
    label = f"ECS {strategy}"
    if strategy not in NATIVE_STEPS:
        return Shift(label, "all-at-once")
    kind, step_block, percent, bake = NATIVE_STEPS[strategy]
    step = block(configuration, step_block)
    return Shift(label, kind, whole(step.get(percent), percent), whole(step.get(bake), bake))
