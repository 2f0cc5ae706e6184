"""ServiceAutoscaling: target tracking on the service's desired count that blue/green releases
do not fight (the service ignores desired_count; request policies cover both target groups)."""

from __future__ import annotations

import re

import pytest

from constructs_lib import bindings
from constructs_lib.fargate_service import SERVICE_IGNORE_CHANGES
from constructs_lib.service_autoscaling import (
    CPU_METRIC,
    REQUESTS_METRIC,
    SCALABLE_DIMENSION,
    ScalingRules,
    ServiceAutoscaling,
    ServiceAutoscalingProps,
)
from constructs_lib.validation import ValidationError
from tests.synth import Synth

LB = "app/orders/0123456789abcdef"
GROUPS = ("targetgroup/orders-blue/1111", "targetgroup/orders-green/2222")


def _props(**rules: int) -> ServiceAutoscalingProps:
    return ServiceAutoscalingProps(
        name_prefix="orders",
        cluster_name="orders-cluster",
        service_name="orders",
        load_balancer_arn_suffix=LB,
        target_group_arn_suffixes=GROUPS,
        rules=ScalingRules(**rules),
    )


@pytest.fixture(scope="module")
def both(new_stack, synth) -> Synth:
    """The construct alone with a CPU policy and request policies."""
    stack = new_stack("autoscaling-both")
    ServiceAutoscaling(stack, "scaling", _props(requests_per_target=800))
    return synth(stack)  # type: ignore[no-any-return]


def _policies(s: Synth) -> dict[str, dict]:
    return {body["name"]: body for body in s.resources("aws_appautoscaling_policy").values()}


def _config(policy: dict) -> dict:
    return policy["target_tracking_scaling_policy_configuration"]


def test_service_ignores_desired_count_only_when_autoscaled(dev: Synth, prod: Synth) -> None:
    """Every construct owns its ignore_changes: with autoscaling on, a later apply must not
    reset the count the autoscaler set; without it, desired_count stays Terraform's."""
    assert prod.body("aws_ecs_service")["lifecycle"]["ignore_changes"] == [
        *SERVICE_IGNORE_CHANGES,
        "desired_count",
    ]
    assert dev.body("aws_ecs_service")["lifecycle"]["ignore_changes"] == list(
        SERVICE_IGNORE_CHANGES
    )
    assert not dev.resources("aws_appautoscaling_target")
    assert not dev.resources("aws_appautoscaling_policy")


def test_scalable_target_is_the_services_desired_count(prod: Synth, settings_by_env) -> None:
    name, target = prod.one("aws_appautoscaling_target")
    cluster, _ = prod.one("aws_ecs_cluster")
    service, _ = prod.one("aws_ecs_service")
    rules = settings_by_env["prod"].autoscaling.rules
    assert bindings.Testing.to_have_resource_with_properties(
        prod.text,
        "aws_appautoscaling_target",
        {
            "service_namespace": "ecs",
            "scalable_dimension": SCALABLE_DIMENSION,
            "min_capacity": rules.min_count,
            "max_capacity": rules.max_count,
        },
    )
    # References to the service's name (and its cluster's): registered once the service
    # exists, never a hard-coded string that could race it.
    assert target["resource_id"] == (
        f"service/{prod.ref('aws_ecs_cluster', cluster, 'name')}/"
        f"{prod.ref('aws_ecs_service', service, 'name')}"
    )
    # The service-linked role scales ECS: no role of ours.
    assert "role_arn" not in target
    for policy in prod.resources("aws_appautoscaling_policy").values():
        assert policy["resource_id"] == prod.ref("aws_appautoscaling_target", name, "resource_id")
        assert policy["service_namespace"] == prod.ref(
            "aws_appautoscaling_target", name, "service_namespace"
        )


def test_prod_tracks_cpu_from_settings(prod: Synth, settings_by_env) -> None:
    rules = settings_by_env["prod"].autoscaling.rules
    (policy,) = _policies(prod).values()
    assert policy["name"] == "ecs-blue-green-prod-cpu"
    assert policy["policy_type"] == "TargetTrackingScaling"
    assert _config(policy) == {
        "target_value": rules.cpu_target_percent,
        "scale_in_cooldown": rules.scale_in_cooldown_seconds,
        "scale_out_cooldown": rules.scale_out_cooldown_seconds,
        "disable_scale_in": False,
        "predefined_metric_specification": {"predefined_metric_type": CPU_METRIC},
    }
    output = prod.tf["output"]["autoscaling_policies"]
    assert "3-12 tasks" in output["description"]


def test_one_request_policy_per_target_group_scaling_out_only(both: Synth) -> None:
    policies = _policies(both)
    assert set(policies) == {"orders-cpu", "orders-requests-blue", "orders-requests-green"}
    labels = {
        _config(p)["predefined_metric_specification"]["resource_label"]
        for name, p in policies.items()
        if name != "orders-cpu"
    }
    # Whichever group CodeDeploy made production is covered, in every release.
    assert labels == {f"{LB}/{group}" for group in GROUPS}
    for name in ("orders-requests-blue", "orders-requests-green"):
        config = _config(policies[name])
        assert config["predefined_metric_specification"]["predefined_metric_type"] == (
            REQUESTS_METRIC
        )
        assert config["target_value"] == 800
        # The idle group has no data and would veto every scale-in: scale-out only.
        assert config["disable_scale_in"] is True
    cpu = _config(policies["orders-cpu"])
    assert cpu["disable_scale_in"] is False  # the CPU policy scales in
    assert "resource_label" not in cpu["predefined_metric_specification"]


def test_cooldowns_and_range_are_props(new_stack, synth) -> None:
    stack = new_stack("autoscaling-tuned")
    ServiceAutoscaling(
        stack,
        "scaling",
        _props(
            min_count=1,
            max_count=1,
            cpu_target_percent=75,
            scale_in_cooldown_seconds=600,
            scale_out_cooldown_seconds=0,
        ),
    )
    s = synth(stack)
    target = s.body("aws_appautoscaling_target")
    assert (target["min_capacity"], target["max_capacity"]) == (1, 1)
    config = _config(s.body("aws_appautoscaling_policy"))
    assert (config["target_value"], config["scale_in_cooldown"], config["scale_out_cooldown"]) == (
        75,
        600,
        0,
    )


def test_defaults_are_documented_values() -> None:
    rules = ScalingRules()
    assert (rules.min_count, rules.max_count) == (2, 6)
    assert (rules.cpu_target_percent, rules.requests_per_target) == (60, 0)
    assert (rules.scale_in_cooldown_seconds, rules.scale_out_cooldown_seconds) == (300, 60)


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"min_count": 0}, "min_count", "between 1 and 5000"),
        ({"max_count": 5001}, "max_count", "between 1 and 5000"),
        ({"min_count": 4, "max_count": 3}, "max_count", "at least min_count (4)"),
        ({"cpu_target_percent": 95}, "cpu_target_percent", "between 0 and 90"),
        ({"cpu_target_percent": 5}, "cpu_target_percent", "10-90 (or 0: off)"),
        ({"cpu_target_percent": True}, "cpu_target_percent", "must be an integer"),
        ({"requests_per_target": -1}, "requests_per_target", "between 0 and 1000000"),
        ({"scale_in_cooldown_seconds": 3601}, "scale_in_cooldown_seconds", "0 and 3600"),
        ({"scale_out_cooldown_seconds": -1}, "scale_out_cooldown_seconds", "0 and 3600"),
        ({"cpu_target_percent": 0}, "cpu_target_percent", "leaves no scaling policy"),
        (
            {"cpu_target_percent": 0, "requests_per_target": 500},
            "requests_per_target",
            "needs cpu_target_percent",
        ),
    ],
)
def test_bad_rules_are_refused_as_they_are_built(change: dict, field: str, reason: str) -> None:
    with pytest.raises(ValidationError, match=f"^{re.escape(field)}: .*{re.escape(reason)}"):
        ScalingRules(**change)


def test_request_policies_need_the_load_balancer_and_both_groups() -> None:
    rules = ScalingRules(requests_per_target=100)
    base = {"name_prefix": "orders", "cluster_name": "c", "service_name": "s", "rules": rules}
    with pytest.raises(ValidationError, match=r"^load_balancer_arn_suffix: "):
        ServiceAutoscalingProps(**base, target_group_arn_suffixes=GROUPS)
    with pytest.raises(ValidationError, match=r"^target_group_arn_suffixes: .*CodeDeploy swaps"):
        ServiceAutoscalingProps(**base, load_balancer_arn_suffix=LB)
    with pytest.raises(ValidationError, match=r"^target_group_arn_suffixes: "):
        ServiceAutoscalingProps(
            **base, load_balancer_arn_suffix=LB, target_group_arn_suffixes=(GROUPS[0], "")
        )
    # CPU only needs neither.
    ServiceAutoscalingProps(name_prefix="orders", cluster_name="c", service_name="s")
    with pytest.raises(ValidationError, match=r"^service_name: must be a non-empty name"):
        ServiceAutoscalingProps(name_prefix="orders", cluster_name="c", service_name="")
