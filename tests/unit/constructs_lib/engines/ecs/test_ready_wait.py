"""Engine ``ecs``'s ready wait: a ``PAUSE`` lifecycle hook, which only provider bindings of
hashicorp/aws >= 6.66.0 express (CDK Terrain's, not cdktf's frozen 6.25.0).

The settings checks take the framework line as a parameter, so both lines' answers are
tested under either; the construct's own check asks the bindings this process loaded, so
each of its tests runs under the line it is about."""

from __future__ import annotations

from typing import Any

import pytest

from constructs_lib import bindings
from constructs_lib.engines.ecs import (
    ECS_ACTION_MAX_MINUTES,
    ECS_RELEASE_OVERHEAD_MINUTES,
    NativeRelease,
    ecs_release_minutes,
    validate_ecs_release,
)
from constructs_lib.framework import FRAMEWORKS, PAUSE_HOOKS_PROVIDER_VERSION, VARIABLE
from constructs_lib.pipeline_settings import validate_deployment_settings
from constructs_lib.release_spec import TrafficRoutes, TrafficShift
from constructs_lib.validation import ValidationError

CDKTF, CDKTN = FRAMEWORKS["cdktf"], FRAMEWORKS["cdktn"]
ALL_AT_ONCE = "CodeDeployDefault.ECSAllAtOnce"
CANARY_15 = "CodeDeployDefault.ECSCanary10Percent15Minutes"


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def _deployment(
    ready_wait: int, *, framework: Any, config: str | TrafficShift = ALL_AT_ONCE, bake: int = 5
) -> None:
    validate_deployment_settings(
        deployment_config=config,
        ready_wait_minutes=ready_wait,
        termination_wait_minutes=bake,
        engine="ecs",
        field_prefix="deployment.",
        shift_prefix="custom.",
        framework=framework,
    )


def _native(**overrides: Any) -> NativeRelease:
    traffic = TrafficRoutes(
        production_listener_arn="arn:listener/p",
        test_listener_arn="arn:listener/t",
        blue_target_group_name="blue",
        green_target_group_name="green",
        blue_target_group_arn="arn:tg/blue",
        green_target_group_arn="arn:tg/green",
        production_listener_rule_arn="arn:rule/p",
        test_listener_rule_arn="arn:rule/t",
    )
    return NativeRelease(**{"traffic": traffic, **overrides})


def test_the_pause_hook_capability_follows_the_provider_version() -> None:
    """The flag each line carries agrees with the release that brought the arguments."""
    first = _version(PAUSE_HOOKS_PROVIDER_VERSION)
    for line in FRAMEWORKS.values():
        assert line.ecs_pause_hooks == (_version(line.provider_version) >= first), line.name
    assert not CDKTF.ecs_pause_hooks
    assert CDKTN.ecs_pause_hooks


def test_cdktf_refuses_a_ready_wait_with_ecs_saying_how_to_get_one() -> None:
    with pytest.raises(ValidationError) as caught:
        _deployment(10, framework=CDKTF)
    assert caught.value.field == "deployment.ready_wait_minutes"
    message = str(caught.value)
    assert "\n" not in message
    for fragment in (
        f"hashicorp/aws >= {PAUSE_HOOKS_PROVIDER_VERSION}",
        "cdktf's bindings are 6.25.0",
        f"{VARIABLE}=cdktn",
        "make FRAMEWORK=cdktn",
        "engine 'codedeploy'",
    ):
        assert fragment in message, message


def test_cdktn_takes_a_ready_wait_with_ecs() -> None:
    _deployment(10, framework=CDKTN)


def test_without_a_ready_wait_or_with_codedeploy_both_lines_agree() -> None:
    for line in (CDKTF, CDKTN):
        _deployment(0, framework=line)
        validate_deployment_settings(
            deployment_config=ALL_AT_ONCE,
            ready_wait_minutes=7200,
            termination_wait_minutes=5,
            engine="codedeploy",
            framework=line,
        )


@pytest.mark.parametrize(("line", "accepted"), [("cdktf", False), ("cdktn", True)])
def test_without_a_framework_the_process_line_decides(
    monkeypatch: pytest.MonkeyPatch, line: str, accepted: bool
) -> None:
    monkeypatch.setenv(VARIABLE, line)

    def check() -> None:
        validate_ecs_release(ALL_AT_ONCE, 10, 5, field_prefix="deployment.", shift_prefix="custom.")

    if accepted:
        check()
    else:
        with pytest.raises(ValidationError, match=r"ready_wait_minutes: .*cdktf's bindings"):
            check()


@pytest.mark.parametrize(
    ("config", "bake", "most"),
    [
        (ALL_AT_ONCE, 5, 40),  # 60 - (0 + 5 + 15)
        (CANARY_15, 10, 20),  # 60 - (15 + 10 + 15)
        (TrafficShift(kind="linear", percentage=25, interval_minutes=2), 1, 38),  # 3 x 2 + 1 + 15
    ],
)
def test_the_ready_wait_counts_against_the_ecs_actions_60_minutes(
    config: str | TrafficShift, bake: int, most: int
) -> None:
    _deployment(most, framework=CDKTN, config=config, bake=bake)
    assert ecs_release_minutes(config, bake, ready_wait_minutes=most) == ECS_ACTION_MAX_MINUTES
    with pytest.raises(ValidationError) as caught:
        _deployment(most + 1, framework=CDKTN, config=config, bake=bake)
    assert caught.value.field == "deployment.ready_wait_minutes"
    assert f"ready wait ({most + 1} min)" in str(caught.value)
    assert f"at most {most} min here" in str(caught.value)


def test_a_release_too_long_without_its_wait_still_names_the_bake_time() -> None:
    with pytest.raises(ValidationError) as caught:
        _deployment(5, framework=CDKTN, config=CANARY_15, bake=31)
    assert caught.value.field == "deployment.termination_wait_minutes"


def test_the_ecs_actions_timeout_covers_the_ready_wait() -> None:
    shift = TrafficShift(kind="canary", percentage=10, interval_minutes=5)
    assert ecs_release_minutes(shift, 3, ready_wait_minutes=0) == 5 + 3 + 15
    assert (
        ecs_release_minutes(shift, 3, ready_wait_minutes=12)
        == 12 + 5 + 3 + ECS_RELEASE_OVERHEAD_MINUTES
    )


def test_native_release_bounds_the_pause_like_ecs() -> None:
    with pytest.raises(ValidationError) as caught:
        _native(ready_wait_minutes=20161)
    assert caught.value.field == "ready_wait_minutes"
    assert "between 0 and 20160" in str(caught.value)
    _native(ready_wait_minutes=0)


@pytest.mark.skipif(
    bindings.FRAMEWORK.ecs_pause_hooks, reason="the refusal of bindings without pause hooks"
)
def test_native_release_refuses_a_ready_wait_on_bindings_without_pause_hooks() -> None:
    with pytest.raises(ValidationError) as caught:
        _native(ready_wait_minutes=10)
    assert caught.value.field == "ready_wait_minutes"
    assert f"{bindings.FRAMEWORK.name}'s bindings are" in str(caught.value)


@pytest.mark.skipif(
    not bindings.FRAMEWORK.ecs_pause_hooks, reason="needs provider bindings with pause hooks"
)
def test_native_release_takes_a_ready_wait_on_bindings_with_pause_hooks() -> None:
    _native(ready_wait_minutes=10)
