"""What ``make timeline`` reads of an ECS-native release: the service's strategy, bake
time and alarms block.

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


class NativeReader:
    """An ECS-native release read back from the stack: the service's strategy, bake time
    (it plays CodeDeploy's termination wait: both revisions up, rollback by a weight flip)
    and alarms block."""

    terms = ReleaseTerms(
        termination_wait="bake time",
        termination_wait_note="both revisions stay for a rollback by rule weights; not in "
        "the total",
        switch_back="rule back to blue",
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
            ready_wait_minutes=None,
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
