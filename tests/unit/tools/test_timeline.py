"""``tools.timeline``: the release and rollback budgets of the synthesized stacks, and each
calculation on its own.

The budgets are asserted on the session's synthesized dev stack, so a change that slows
every release (a construct default, a config value, a refactoring) fails here; the tests that
put AWS's defaults back prove the budget assertions can fail. The promoted stack (prod) adds
its hand-off (counted) and approval wait (not counted), read from its pipeline.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

from constructs_lib.engines import all_engines
from constructs_lib.engines.codedeploy.reader import read_shift
from constructs_lib.engines.ecs.reader import read_native_shift
from constructs_lib.release_reading import read_alarm
from tests.synth import Synth
from tools import timeline as tl
from tools.timeline import (
    Alarm,
    Approval,
    Container,
    Handoff,
    Hook,
    ReleaseStep,
    Shift,
    TargetHealth,
    TimelineError,
)

RELEASE_BUDGET_SECONDS = 120
"""dev: green tasks running to blue stopped, excluding the build, the assumed Fargate task
start, the configured termination wait and any manual approval (``Timeline.release_seconds``)."""
ROLLBACK_BUDGET_SECONDS = 30
"""dev: from the rollback decision to production traffic on blue again."""

GROUP = "aws_codedeploy_deployment_group"
HANDOFF_SECONDS = (
    tl.HANDOFF_PUBLISH_SECONDS
    + tl.HANDOFF_EVENT_SECONDS
    + tl.PIPELINE_SOURCE_SECONDS
    + tl.BUILD_PROVISIONING_SECONDS
    + tl.PROMOTION_RUN_SECONDS
)
"""A promoted release's hand-off: the assumptions, all five on its path."""


def _one(tf: dict[str, Any], kind: str) -> dict[str, Any]:
    (body,) = tf["resource"][kind].values()
    return body  # type: ignore[no-any-return]


def _with_aws_target_group_defaults(tf: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of a parsed stack whose target groups are back to AWS's defaults."""
    slow = copy.deepcopy(tf)
    for target_group in slow["resource"]["aws_lb_target_group"].values():
        target_group["deregistration_delay"] = "300"
        target_group["health_check"].update(interval=30, healthy_threshold=5, timeout=5)
    return slow


def _appspec(tf: dict[str, Any]) -> dict[str, Any]:
    (parameter,) = (
        p
        for p in tf["resource"]["aws_ssm_parameter"].values()
        if "AWS::ECS::Service" in p["insecure_value"]
    )
    return parameter  # type: ignore[no-any-return]


# --- budgets on the synthesized stacks -------------------------------------------------


def test_dev_release_fits_the_budget(dev: Synth) -> None:
    timeline = tl.timeline_of(dev.tf, "dev")
    assert timeline.release_seconds <= RELEASE_BUDGET_SECONDS, tl.render(timeline, timeline)


def test_dev_rollback_fits_the_budget(dev: Synth) -> None:
    timeline = tl.timeline_of(dev.tf, "dev")
    assert timeline.rollback_from_decision_seconds <= ROLLBACK_BUDGET_SECONDS


def test_release_budget_fails_with_aws_target_group_defaults(dev: Synth) -> None:
    """Deregistration 300 s and health checks 30 s x 5: the budget assertion would fail."""
    slow = tl.timeline_of(_with_aws_target_group_defaults(dev.tf), "dev")
    assert slow.release_seconds > RELEASE_BUDGET_SECONDS
    assert slow.targets_healthy.seconds == 150
    assert slow.blue_drain.seconds == 300 + 30


def test_release_budget_fails_with_every_aws_default(dev: Synth) -> None:
    stack = tl.read_stack(dev.tf, "dev")
    assert tl.build_timeline(tl.aws_defaults(stack)).release_seconds > RELEASE_BUDGET_SECONDS


def test_rollback_budget_fails_without_a_termination_wait(dev: Synth) -> None:
    """Blue gone at once: a rollback is a whole new release of the previous revision."""
    tf = copy.deepcopy(dev.tf)
    blue_green = _one(tf, GROUP)["blue_green_deployment_config"]
    blue_green["terminate_blue_instances_on_deployment_success"][
        "termination_wait_time_in_minutes"
    ] = 0
    timeline = tl.timeline_of(tf, "dev")
    assert timeline.rollback_from_decision_seconds > ROLLBACK_BUDGET_SECONDS
    assert timeline.rollback_from_decision_seconds == pytest.approx(
        tl.FARGATE_TASK_START_SECONDS + timeline.release_seconds
    )


def test_the_parsed_fixture_is_not_mutated(dev: Synth) -> None:
    """The mutating tests work on deep copies: the session's stack stays as synthesized."""
    assert dev.tf == json.loads(dev.text)


# --- what is read from the synthesized stacks -------------------------------------------


def test_dev_stack_values(dev: Synth) -> None:
    stack = tl.read_stack(dev.tf, "dev")
    assert stack.target_health == TargetHealth(interval=10, timeout=5, healthy_threshold=2)
    assert stack.deregistration_delay == 30
    assert stack.hook == Hook(
        required_passes=2,
        interval=5,
        request_timeout=3,
        deadline=120,
        probes=2,
        nodes=2,
        lambda_timeout=153,
    )
    assert stack.ready_wait_minutes is None
    assert stack.shift == Shift("CodeDeployDefault.ECSAllAtOnce", "all-at-once", 100, 0)
    assert stack.termination_wait_minutes == 1
    assert stack.alarms and {(a.period, a.breaching_periods) for a in stack.alarms} == {(60, 2)}
    assert "taskdef.json" in stack.container_source
    assert {c.name: (c.health_interval, c.stop_timeout) for c in stack.containers} == {
        "app": (5, 15),
        "nginx": (10, 15),
    }


def test_dev_figures(dev: Synth) -> None:
    t = tl.timeline_of(dev.tf, "dev")
    assert t.containers_up.seconds == 5  # nginx waits for app HEALTHY: one 5 s check
    assert t.targets_healthy.seconds == 2 * 10
    assert t.hook.seconds == pytest.approx(
        tl.HOOK_START_SECONDS + 5 + 2 * (2 * 2 * tl.PROBE_REQUEST_SECONDS)
    )
    assert t.hook_worst.seconds == tl.HOOK_START_SECONDS + 120 + 3
    assert t.ready_wait.seconds == 0
    assert t.traffic_shift.seconds == tl.LISTENER_SWAP_SECONDS
    assert t.termination_wait.seconds == 60
    assert not t.termination_wait.counted
    assert t.blue_drain.seconds == 30 + 15 + 15  # nginx stops before the app it depends on
    assert t.rollback_from_decision_seconds == tl.LISTENER_SWAP_SECONDS
    assert t.alarm_detection.seconds == 120
    assert t.rollback_from_first_bad_minute_seconds == 120 + tl.LISTENER_SWAP_SECONDS


def test_prod_figures(prod: Synth) -> None:
    stack = tl.read_stack(prod.tf, "prod")
    t = tl.build_timeline(stack)
    assert stack.shift.kind == "canary"
    assert t.traffic_shift.seconds == 5 * 60 + 2 * tl.LISTENER_SWAP_SECONDS
    assert stack.hook is not None
    assert stack.hook.nodes == 3  # three AZs
    assert t.termination_wait.seconds == 600
    assert t.rollback_from_decision_seconds == tl.LISTENER_SWAP_SECONDS


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_ecs_engine_releases_in_the_same_time(
    synths: dict[str, Synth], ecs_synths: dict[str, Synth], env: str
) -> None:
    """One setting, two engines: the ECS-native stack is read from its service (strategy,
    bake time, alarms block, alternate target group) and times exactly like CodeDeploy's."""
    codedeploy = tl.read_stack(synths[env].tf, env)
    ecs = tl.read_stack(ecs_synths[env].tf, env)
    assert ecs.shift.name.startswith("ECS ")
    # Promoted (prod): the same hand-off but for the names and the release step's right to
    # move the service (see test_ecs_release_step_may_move_the_service).
    assert (ecs.handoff is None) == (codedeploy.handoff is None) == (env == "dev")
    if ecs.handoff is not None and codedeploy.handoff is not None:
        assert ecs.handoff.source == codedeploy.handoff.source
        assert tl.handoff_seconds(ecs.handoff) == tl.handoff_seconds(codedeploy.handoff)
    # The same but for the shift's label and the alarms' and hand-off's names (the stacks
    # differ in name).
    assert ecs.engine == "ecs"
    assert dataclasses.replace(
        ecs, shift=codedeploy.shift, alarms=(), engine="codedeploy", handoff=codedeploy.handoff
    ) == dataclasses.replace(codedeploy, alarms=())
    assert [(a.period, a.breaching_periods) for a in ecs.alarms] == [
        (a.period, a.breaching_periods) for a in codedeploy.alarms
    ]
    assert ecs.alarms
    assert (ecs.shift.kind, ecs.shift.percentage, ecs.shift.interval_minutes) == (
        codedeploy.shift.kind,
        codedeploy.shift.percentage,
        codedeploy.shift.interval_minutes,
    )
    ecs_timeline, codedeploy_timeline = tl.build_timeline(ecs), tl.build_timeline(codedeploy)
    assert ecs_timeline.release_seconds == codedeploy_timeline.release_seconds
    assert (
        ecs_timeline.rollback_from_decision_seconds
        == codedeploy_timeline.rollback_from_decision_seconds
    )


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_each_engine_reads_only_its_own_release(
    synths: dict[str, Synth], ecs_synths: dict[str, Synth], env: str
) -> None:
    """The timeline asks every engine's reader; exactly one finds a release in a stack: a
    stack is never timed as the other engine's."""
    for synth, runs in ((synths[env], "codedeploy"), (ecs_synths[env], "ecs")):
        readers = {e.name: e.reader.read(synth.tf) for e in all_engines()}
        assert [name for name, found in readers.items() if found is not None] == [runs]
        assert tl.read_stack(synth.tf).engine == runs


def test_ecs_engine_linear_strategy_is_read() -> None:
    shift = read_native_shift(
        {
            "strategy": "LINEAR",
            "linear_configuration": {"step_percent": 25, "step_bake_time_in_minutes": "2"},
        }
    )
    assert shift == Shift("ECS LINEAR", "linear", 25, 2)
    assert tl.shift_steps(shift) == 4  # 25, 50, 75, 100 %


def test_ecs_engine_alarms_roll_back_only_when_enabled(ecs_synths: dict[str, Synth]) -> None:
    tf = copy.deepcopy(ecs_synths["dev"].tf)
    assert tl.read_stack(tf, "dev").alarms
    _one(tf, "aws_ecs_service")["alarms"]["rollback"] = False
    assert tl.read_stack(tf, "dev").alarms == ()


def test_ecs_pause_hook_is_a_manual_ready_wait_like_codedeploys(
    ecs_synths: dict[str, Synth],
) -> None:
    """An ECS-native release's ready wait is its PAUSE lifecycle hook, read from the service
    (JSON only: the same under either framework line; the synthesized one is in
    test_ecs_engine.py, on cdktn)."""
    tf = copy.deepcopy(ecs_synths["dev"].tf)
    without = tl.timeline_of(tf)
    assert without.ready_wait.seconds == 0
    assert "no PAUSE lifecycle hook" in without.ready_wait.note
    configuration = _one(tf, "aws_ecs_service")["deployment_configuration"]
    configuration["lifecycle_hook"].append(
        {
            "target_type": "PAUSE",
            "lifecycle_stages": ["POST_TEST_TRAFFIC_SHIFT"],
            "timeout_configuration": {"action": "ROLLBACK", "timeout_in_minutes": "25"},
        }
    )
    t = tl.timeline_of(tf)
    assert t.ready_wait.seconds == 25 * 60
    assert not t.ready_wait.counted
    assert "aws ecs continue-service-deployment" in t.ready_wait.note
    assert "up to 25 min, then stops and rolls back" in t.ready_wait.note
    # The pause beside it is not taken for the verification hook.
    assert t.hook == without.hook
    assert t.release_seconds == without.release_seconds


def test_release_and_bootstrap_task_definitions_time_alike(dev: Synth) -> None:
    """Without the release template the Terraform (bootstrap) task definition is read."""
    tf = copy.deepcopy(dev.tf)
    parameters = tf["resource"]["aws_ssm_parameter"]
    for key in [k for k, p in parameters.items() if "containerDefinitions" in p["insecure_value"]]:
        del parameters[key]
    stack = tl.read_stack(tf)
    assert stack.container_source == "the Terraform task definition"
    assert stack.containers == tl.read_stack(dev.tf).containers


# --- traffic shift ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "waiting", "steps"),
    [
        ("CodeDeployDefault.ECSAllAtOnce", 0, 1),
        ("CodeDeployDefault.ECSCanary10Percent5Minutes", 5 * 60, 2),
        ("CodeDeployDefault.ECSCanary10Percent15Minutes", 15 * 60, 2),
        ("CodeDeployDefault.ECSLinear10PercentEvery1Minutes", 9 * 60, 10),
        ("CodeDeployDefault.ECSLinear10PercentEvery3Minutes", 9 * 3 * 60, 10),
    ],
)
def test_predefined_configs(name: str, waiting: int, steps: int) -> None:
    shift = read_shift({}, name)
    assert tl.shift_steps(shift) == steps
    assert tl.shift_seconds(shift) == waiting + steps * tl.LISTENER_SWAP_SECONDS


def test_an_unset_config_is_all_at_once() -> None:
    assert read_shift({}, None).kind == "all-at-once"


def _custom(routing: dict[str, Any], name: str = "app-custom") -> dict[str, Any]:
    body = {"compute_platform": "ECS", "deployment_config_name": name}
    return {"resource": {"aws_codedeploy_deployment_config": {"c": {**body, **routing}}}}


@pytest.mark.parametrize(
    ("routing", "waiting"),
    [
        ({"type": "TimeBasedCanary", "time_based_canary": {"percentage": 20, "interval": 7}}, 7),
        ({"type": "TimeBasedLinear", "time_based_linear": {"percentage": 10, "interval": 2}}, 18),
        ({"type": "TimeBasedLinear", "time_based_linear": {"percentage": 30, "interval": 2}}, 6),
        ({"type": "TimeBasedLinear", "time_based_linear": {"percentage": 33, "interval": 1}}, 3),
        ({"type": "TimeBasedLinear", "time_based_linear": {"percentage": 50, "interval": 4}}, 4),
        ({"type": "AllAtOnce"}, 0),
    ],
)
def test_custom_configs(routing: dict[str, Any], waiting: int) -> None:
    """Canary waits one interval; linear (ceil(100 / percentage) - 1) intervals."""
    tf = _custom({"traffic_routing_config": routing})
    shift = read_shift(tf, "${aws_codedeploy_deployment_config.c.deployment_config_name}")
    steps = tl.shift_steps(shift)
    assert tl.shift_seconds(shift) == waiting * 60 + steps * tl.LISTENER_SWAP_SECONDS
    assert read_shift(tf, "app-custom") == shift  # by name as well as by reference


def test_linear_steps_round_up() -> None:
    assert tl.shift_steps(Shift("x", "linear", 30, 1)) == 4
    assert tl.shift_steps(Shift("x", "linear", 99, 1)) == 2


def test_unknown_config_is_an_error() -> None:
    with pytest.raises(TimelineError, match="neither a predefined ECS config"):
        read_shift({}, "CodeDeployDefault.OneAtATime")


def test_custom_config_in_the_stack(dev: Synth) -> None:
    tf = copy.deepcopy(dev.tf)
    routing = {"type": "TimeBasedLinear", "time_based_linear": {"percentage": 25, "interval": 2}}
    tf["resource"].update(_custom({"traffic_routing_config": routing})["resource"])
    _one(tf, GROUP)["deployment_config_name"] = (
        "${aws_codedeploy_deployment_config.c.deployment_config_name}"
    )
    t = tl.timeline_of(tf)
    assert t.traffic_shift.seconds == 3 * 2 * 60 + 4 * tl.LISTENER_SWAP_SECONDS
    assert t.release_seconds > RELEASE_BUDGET_SECONDS


# --- verification hook ------------------------------------------------------------------


def test_hook_pass_and_worst_case() -> None:
    hook = Hook(
        required_passes=3,
        interval=5,
        request_timeout=3,
        deadline=120,
        probes=2,
        nodes=3,
        lambda_timeout=153,
    )
    round_seconds = 3 * 2 * tl.PROBE_REQUEST_SECONDS
    assert tl.hook_round_seconds(hook) == pytest.approx(round_seconds)
    assert tl.hook_pass_seconds(hook) == pytest.approx(
        tl.HOOK_START_SECONDS + 2 * 5 + 3 * round_seconds
    )
    assert tl.hook_worst_seconds(hook) == tl.HOOK_START_SECONDS + 123
    assert tl.hook_worst_seconds(dataclasses.replace(hook, lambda_timeout=60)) == 60


def test_no_hook_when_the_appspec_names_none(dev: Synth) -> None:
    tf = copy.deepcopy(dev.tf)
    parameter = _appspec(tf)
    parameter["insecure_value"] = parameter["insecure_value"].split("Hooks:")[0]
    assert tl.read_hook(tf) is None
    without, with_hook = tl.timeline_of(tf), tl.timeline_of(dev.tf)
    assert without.hook.seconds is None
    assert without.hook_worst.seconds is None
    assert with_hook.hook.seconds is not None
    assert without.release_seconds == pytest.approx(
        with_hook.release_seconds - with_hook.hook.seconds
    )


def test_hook_found_by_its_variables_without_an_appspec(dev: Synth) -> None:
    tf = copy.deepcopy(dev.tf)
    parameters = tf["resource"]["aws_ssm_parameter"]
    for key in [k for k, p in parameters.items() if "AWS::ECS::Service" in p["insecure_value"]]:
        del parameters[key]
    assert tl.read_hook(tf) == tl.read_hook(dev.tf)
    del tf["resource"]["aws_lambda_function"]
    assert tl.read_hook(tf) is None


def test_hook_outside_the_stack_is_an_error(dev: Synth) -> None:
    tf = copy.deepcopy(dev.tf)
    del tf["resource"]["aws_lambda_function"]
    with pytest.raises(TimelineError, match="not a Lambda function of this stack"):
        tl.read_hook(tf)


def test_unset_hook_variables_take_the_handler_defaults(dev: Synth) -> None:
    tf = copy.deepcopy(dev.tf)
    variables = _one(tf, "aws_lambda_function")["environment"]["variables"]
    for name in ("INTERVAL_SECONDS", "REQUEST_TIMEOUT_SECONDS", "DEADLINE_SECONDS"):
        del variables[name]
    variables["REQUIRED_PASSES"] = "4"
    hook = tl.read_hook(tf)
    assert hook is not None
    assert (hook.required_passes, hook.interval, hook.request_timeout, hook.deadline) == (
        4,
        5,
        3,
        120,
    )


def test_hook_defaults_match_the_handler() -> None:
    from tests.lambda_package import load_verify_test_traffic

    handler = load_verify_test_traffic()
    assert tl.HOOK_DEFAULTS == {
        "DEADLINE_SECONDS": handler.DEFAULT_DEADLINE_SECONDS,
        "INTERVAL_SECONDS": handler.DEFAULT_INTERVAL_SECONDS,
        "REQUEST_TIMEOUT_SECONDS": handler.DEFAULT_REQUEST_TIMEOUT_SECONDS,
        "REQUIRED_PASSES": handler.DEFAULT_REQUIRED_PASSES,
    }
    assert tl.HOOK_EVENT == "AfterAllowTestTraffic"


# --- target groups, containers, deployment group -----------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"), [("30", 30), (" 45 ", 45), ("0", 0), (60, 60), (None, 300)]
)
def test_deregistration_delay(value: object, seconds: int) -> None:
    """A string in the provider schema; unset is AWS's 300 s."""
    assert tl.parse_deregistration_delay(value) == seconds


@pytest.mark.parametrize("value", ["${var.delay}", "1.5", "", True, [30]])
def test_deregistration_delay_must_be_a_literal_whole_number(value: object) -> None:
    with pytest.raises(TimelineError, match="deregistration_delay"):
        tl.parse_deregistration_delay(value)


def test_target_health_defaults_and_threshold() -> None:
    assert tl.read_target_health({}) == tl.AWS_TARGET_HEALTH
    assert tl.target_healthy_seconds(tl.AWS_TARGET_HEALTH) == 150
    check = tl.read_target_health({"health_check": [{"interval": 15, "healthy_threshold": 3}]})
    assert check == TargetHealth(interval=15, timeout=5, healthy_threshold=3)
    assert tl.target_healthy_seconds(check) == 45


def test_the_slower_target_group_counts(dev: Synth) -> None:
    """Blue and green swap roles every release: either one may be the green side."""
    tf = copy.deepcopy(dev.tf)
    green = next(v for k, v in tf["resource"]["aws_lb_target_group"].items() if "green" in k)
    green["health_check"]["healthy_threshold"] = 4
    green["deregistration_delay"] = "45"
    stack = tl.read_stack(tf)
    assert stack.target_health.healthy_threshold == 4
    assert stack.deregistration_delay == 45


def test_stop_timeout_is_the_largest_of_independent_containers() -> None:
    containers = tl.read_containers(
        [{"name": "a", "stopTimeout": 15}, {"name": "b", "stopTimeout": 40}, {"name": "c"}]
    )
    assert [c.stop_timeout for c in containers] == [15, 40, tl.ECS_STOP_TIMEOUT_SECONDS]
    assert tl.stop_seconds(containers) == 40
    assert tl.stop_seconds(containers[:1]) == 15
    assert tl.stop_seconds(()) == 0


def test_stop_timeouts_add_up_along_dependencies() -> None:
    """ECS stops a container only after the containers that depend on it."""
    proxy = Container("proxy", stop_timeout=10, depends_on=(("app", "HEALTHY"),))
    app = Container("app", stop_timeout=20, depends_on=(("init", "SUCCESS"),))
    init = Container("init", stop_timeout=5)
    side = Container("side", stop_timeout=30)
    assert tl.stop_seconds([proxy, app, init, side]) == 35


def test_container_starts_follow_healthy_dependencies() -> None:
    app = Container("app", health_interval=5)
    proxy = Container("proxy", health_interval=10, depends_on=(("app", "HEALTHY"),))
    logs = Container("logs", depends_on=(("proxy", "START"),))
    starts = tl.container_starts([logs, proxy, app])
    assert starts == {"app": 0, "proxy": 5, "logs": 5}
    assert tl.containers_up_seconds([app, proxy, logs]) == 5
    assert tl.container_health_seconds([app, proxy, logs]) == 15


@pytest.mark.parametrize(
    ("containers", "message"),
    [
        (
            [
                Container("a", depends_on=(("b", "START"),)),
                Container("b", depends_on=(("a", "START"),)),
            ],
            "cycle",
        ),
        ([Container("a", depends_on=(("b", "HEALTHY"),)), Container("b")], "no health check"),
        ([Container("a", depends_on=(("x", "START"),))], "unknown container"),
    ],
)
def test_container_dependency_errors(containers: list[Container], message: str) -> None:
    with pytest.raises(TimelineError, match=message):
        tl.container_starts(containers)


def test_slow_container_health_checks_outlast_the_alb(dev: Synth) -> None:
    tf = copy.deepcopy(dev.tf)
    for parameter in tf["resource"]["aws_ssm_parameter"].values():
        if "containerDefinitions" in parameter["insecure_value"]:
            taskdef = json.loads(parameter["insecure_value"])
            taskdef["containerDefinitions"][1]["healthCheck"]["interval"] = 60
            parameter["insecure_value"] = json.dumps(taskdef)
    t = tl.timeline_of(tf)
    assert t.targets_healthy.seconds == 60
    assert "take longer" in t.targets_healthy.note


def test_manual_ready_wait_is_shown_but_not_counted(dev: Synth) -> None:
    tf = copy.deepcopy(dev.tf)
    _one(tf, GROUP)["blue_green_deployment_config"]["deployment_ready_option"] = {
        "action_on_timeout": "STOP_DEPLOYMENT",
        "wait_time_in_minutes": 30,
    }
    t = tl.timeline_of(tf)
    assert t.ready_wait.seconds == 30 * 60
    assert not t.ready_wait.counted
    assert "continue-deployment" in t.ready_wait.note
    assert t.release_seconds == tl.timeline_of(dev.tf).release_seconds


def test_only_a_blue_green_group_is_timed(dev: Synth) -> None:
    tf = copy.deepcopy(dev.tf)
    _one(tf, GROUP)["deployment_style"]["deployment_type"] = "IN_PLACE"
    with pytest.raises(TimelineError, match="not BLUE_GREEN"):
        tl.read_stack(tf)
    del tf["resource"][GROUP]
    with pytest.raises(TimelineError, match="found 0"):
        tl.read_stack(tf)


# --- alarms -----------------------------------------------------------------------------


def test_alarm_detection_takes_the_slowest_alarm() -> None:
    alarms = [Alarm("a", 60, 2), Alarm("b", 30, 5), Alarm("c", 10, 1)]
    assert tl.alarm_detection_seconds(alarms) == 150
    assert tl.alarm_detection_seconds([]) is None


def test_alarm_period_and_datapoints() -> None:
    body = {
        "evaluation_periods": 5,
        "datapoints_to_alarm": 3,
        "metric_query": [
            {"id": "m0", "metric": {"period": 30}},
            {"id": "m1", "metric": {"period": 60}},
            {"id": "e", "expression": "m0 + m1"},
        ],
    }
    assert read_alarm("x", body) == Alarm("x", 60, 3)
    assert read_alarm("y", {"period": "120", "evaluation_periods": 2}) == Alarm("y", 120, 2)


@pytest.mark.parametrize(
    "change",
    [
        lambda g: g["alarm_configuration"].update(enabled=False),
        lambda g: g["auto_rollback_configuration"].update(events=["DEPLOYMENT_FAILURE"]),
        lambda g: g.pop("alarm_configuration"),
    ],
)
def test_alarms_that_do_not_roll_back_do_not_count(dev: Synth, change: Any) -> None:
    tf = copy.deepcopy(dev.tf)
    change(_one(tf, GROUP))
    t = tl.timeline_of(tf)
    assert t.alarm_detection.seconds is None
    assert t.rollback_from_first_bad_minute_seconds is None
    assert t.rollback_from_decision_seconds == tl.LISTENER_SWAP_SECONDS


def test_alarms_outside_the_stack_are_an_error(dev: Synth) -> None:
    tf = copy.deepcopy(dev.tf)
    _one(tf, GROUP)["alarm_configuration"]["alarms"].append("someone-elses-alarm")
    with pytest.raises(TimelineError, match="someone-elses-alarm"):
        tl.read_stack(tf)


# --- promotion: the hand-off and the approval wait ---------------------------------------


def _stage_index(tf: dict[str, Any], name: str) -> int:
    stages = _one(tf, "aws_codepipeline")["stage"]
    return next(i for i, s in enumerate(stages) if s["name"] == name)


def test_promoted_stack_reads_its_handoff_and_approval(prod: Synth) -> None:
    """Found by the actions' categories and providers: the S3 source, the EventBridge rule on
    its key, the CodeBuild action the source feeds, the Manual approval."""
    stack = tl.read_stack(prod.tf, "prod")
    assert stack.handoff == Handoff(
        source="ecs-blue-green-dev",
        key="ecs-blue-green-dev/release.zip",
        rule="ecs-blue-green-prod-release-handoff",
        release_step=ReleaseStep(
            project="ecs-blue-green-prod-release",
            compute_type="BUILD_GENERAL1_SMALL",
            may_update_service=False,
        ),
    )
    assert stack.approvals == (Approval("Approval", after="Source", before="Deploy"),)


def test_promoted_timeline_counts_the_handoff_not_the_approval(prod: Synth) -> None:
    t = tl.timeline_of(prod.tf, "prod")
    assert t.handoff is not None and t.approval_wait is not None
    assert t.handoff.seconds == pytest.approx(HANDOFF_SECONDS)
    assert t.handoff.counted
    assert "from ecs-blue-green-dev (source key ecs-blue-green-dev/release.zip)" in t.handoff.note
    assert "no docker" in t.handoff.note
    assert "ecs:UpdateService" not in t.handoff.note  # CodeDeploy's release step moves nothing
    assert t.approval_wait.seconds == 7 * 24 * 3600 == tl.APPROVAL_TIMEOUT_SECONDS
    assert not t.approval_wait.counted
    assert "7 days (AWS's fixed limit)" in t.approval_wait.note
    assert "after Source before Deploy" in t.approval_wait.note
    assert t.release_phases[:3] == (t.handoff, t.approval_wait, t.task_start)


def test_prod_release_total_is_the_sum_of_its_counted_phases(prod: Synth) -> None:
    t = tl.timeline_of(prod.tf, "prod")
    counted = [p.seconds or 0 for p in t.release_phases if p.counted]
    assert math.isclose(t.release_seconds, sum(counted))
    own = tl.build_timeline(dataclasses.replace(tl.read_stack(prod.tf), handoff=None))
    assert t.release_seconds == pytest.approx(own.release_seconds + HANDOFF_SECONDS)
    # A rollback is the engine's own: no hand-off in it.
    assert t.rollback_swap == own.rollback_swap
    assert {p.name for p in t.release_phases if not p.counted} == {
        t.task_start.name,
        t.hook_worst.name,
        t.termination_wait.name,
        "approval wait (manual, at most)",
    }


def test_dev_has_no_handoff_and_no_approval(dev: Synth) -> None:
    stack = tl.read_stack(dev.tf, "dev")
    assert stack.handoff is None
    assert stack.approvals == ()
    t = tl.build_timeline(stack)
    assert t.handoff is None and t.approval_wait is None
    assert not {"hand-off (assumed)", "approval wait (manual, at most)"} & {
        p.name for p in t.release_phases
    }


def test_a_building_stack_with_an_approval_shows_the_wait(dev: Synth) -> None:
    tf = copy.deepcopy(dev.tf)
    stages = _one(tf, "aws_codepipeline")["stage"]
    approval = {
        "name": "Approval",
        "action": [
            {
                "category": "Approval",
                "configuration": {"NotificationArn": "${aws_sns_topic.approvals.arn}"},
                "name": "Approval",
                "owner": "AWS",
                "provider": "Manual",
                "version": "1",
            }
        ],
    }
    stages.insert(_stage_index(tf, "Deploy"), approval)
    stack = tl.read_stack(tf, "dev")
    assert stack.approvals == (Approval("Approval", after="Build", before="Deploy"),)
    assert stack.handoff is None  # its Publish stage hands off to others, not to itself
    t = tl.build_timeline(stack)
    assert t.approval_wait is not None
    assert t.approval_wait.seconds == tl.APPROVAL_TIMEOUT_SECONDS
    assert not t.approval_wait.counted
    assert "after Build before Deploy" in t.approval_wait.note
    assert t.release_seconds == tl.timeline_of(dev.tf).release_seconds


def test_removing_the_approval_removes_the_phase(prod: Synth) -> None:
    tf = copy.deepcopy(prod.tf)
    del _one(tf, "aws_codepipeline")["stage"][_stage_index(tf, "Approval")]
    t = tl.timeline_of(tf, "prod")
    assert t.approval_wait is None
    assert "approval wait (manual, at most)" not in {p.name for p in t.release_phases}
    assert t.handoff is not None
    assert t.release_seconds == tl.timeline_of(prod.tf).release_seconds


def test_ecs_release_step_may_move_the_service(ecs_synths: dict[str, Synth]) -> None:
    """Read from the release step's role (ecs:UpdateService), not from the engine's name:
    the note says the move onto the stack's spec is not counted."""
    stack = tl.read_stack(ecs_synths["prod"].tf, "prod")
    assert stack.handoff is not None and stack.handoff.release_step is not None
    assert stack.handoff.release_step.may_update_service
    t = tl.build_timeline(stack)
    assert t.handoff is not None
    assert t.handoff.seconds == pytest.approx(HANDOFF_SECONDS)
    assert "ecs:UpdateService" in t.handoff.note
    assert "not counted" in t.handoff.note


def test_handoff_without_a_release_step(prod: Synth) -> None:
    """A deploy fed the handed-off files directly: no build container, no run."""
    tf = copy.deepcopy(prod.tf)
    deploy = _one(tf, "aws_codepipeline")["stage"][_stage_index(tf, "Deploy")]
    deploy["action"] = [a for a in deploy["action"] if a["provider"] != "CodeBuild"]
    handoff = tl.read_handoff(tf)
    assert handoff is not None and handoff.release_step is None
    assert tl.handoff_seconds(handoff) == pytest.approx(
        HANDOFF_SECONDS - tl.BUILD_PROVISIONING_SECONDS - tl.PROMOTION_RUN_SECONDS
    )


def test_a_handoff_nothing_starts_is_an_error(prod: Synth) -> None:
    tf = copy.deepcopy(prod.tf)
    del tf["resource"]["aws_cloudwatch_event_rule"]
    with pytest.raises(TimelineError, match="no EventBridge rule starts the pipeline"):
        tl.read_stack(tf)


def test_a_release_step_outside_the_stack_is_an_error(prod: Synth) -> None:
    tf = copy.deepcopy(prod.tf)
    del tf["resource"]["aws_codebuild_project"]
    with pytest.raises(TimelineError, match="not a project of this stack"):
        tl.read_stack(tf)


# --- rendering and the command line -----------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (8.8, "9 s"),
        (45, "45 s"),
        (60, "1 min"),
        (80, "1 min 20 s"),
        (3600, "1 h"),
        (3725, "1 h 2 min 5 s"),
        (7 * 24 * 3600, "7 d"),
        (90061, "1 d 1 h 1 min 1 s"),
        (None, "none"),
    ],
)
def test_format_duration(seconds: float | None, text: str) -> None:
    assert tl.format_duration(seconds) == text


def test_timeline_is_frozen(dev: Synth) -> None:
    timeline = tl.timeline_of(dev.tf)
    with pytest.raises(dataclasses.FrozenInstanceError):
        timeline.stack = "other"  # type: ignore[misc]


def _table_row(out: str, phase: str) -> list[str]:
    line = next(line for line in out.splitlines() if line.startswith(phase))
    return [cell.strip() for cell in line.split("|")]


def test_main_prints_a_table(
    dev: Synth, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack_dir = tmp_path / "ecs-blue-green-dev"
    stack_dir.mkdir()
    (stack_dir / "cdk.tf.json").write_text(dev.text)
    assert tl.main([str(stack_dir)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ecs-blue-green-dev: expected release and rollback durations")
    assert re.search(r"^phase +\| this stack +\| AWS defaults$", out, re.MULTILINE)
    release = tl.timeline_of(dev.tf).release_seconds
    assert _table_row(out, "= release")[1] == tl.format_duration(release)
    assert _table_row(out, "green targets healthy")[1:] == ["20 s", "2 min 30 s"]
    assert _table_row(out, "test traffic: hook passes")[2] == "none"
    assert _table_row(out, "= rollback from the decision")[1] == "5 s"
    assert _table_row(out, "= rollback from the first bad minute")[1:] == ["2 min 5 s", "manual"]
    # Wrapped at 100 but for the stack's path (`from <path>`), which is the caller's.
    assert max(len(line) for line in out.splitlines() if not line.startswith("from ")) <= 100


def test_main_prints_the_promoted_rows(
    prod: Synth, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack_dir = tmp_path / "ecs-blue-green-prod"
    stack_dir.mkdir()
    (stack_dir / "cdk.tf.json").write_text(prod.text)
    assert tl.main([str(stack_dir)]) == 0
    out = capsys.readouterr().out
    assert _table_row(out, "hand-off (assumed)")[1:] == ["1 min 25 s", "1 min 25 s"]
    assert _table_row(out, "approval wait (manual, at most) *")[1:] == ["7 d", "7 d"]
    release = tl.timeline_of(prod.tf).release_seconds
    assert _table_row(out, "= release: hand-off + green running")[1] == tl.format_duration(release)
    assert "source's build (the hand-off is in)" in out
    assert "  hand-off (assumed): from ecs-blue-green-dev" in out
    # Wrapped at 100 but for the stack's path (`from <path>`), which is the caller's.
    assert max(len(line) for line in out.splitlines() if not line.startswith("from ")) <= 100


def test_main_reads_every_stack_of_the_last_synth_by_default(
    dev: Synth,
    prod: Synth,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The manifest's stacks, not a left-over directory of a renamed project."""
    from tests.unit.tools.test_synthesized import write_outdir

    write_outdir(
        tmp_path / "cdktf.out",
        {"ecs-blue-green-prod": prod.text, "ecs-blue-green-dev": dev.text},
        stale={"old-name-dev": dev.text},
    )
    monkeypatch.chdir(tmp_path)
    assert tl.main([]) == 0
    titles = re.findall(r"^(\S+): expected release", capsys.readouterr().out, re.MULTILINE)
    assert titles == ["ecs-blue-green-dev", "ecs-blue-green-prod"]


def test_main_without_stacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert tl.main([]) == 2
    assert "make synth" in capsys.readouterr().err


def test_main_reports_an_unreadable_stack(
    dev: Synth, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good" / "cdk.tf.json"
    good.parent.mkdir()
    good.write_text(dev.text)
    broken = copy.deepcopy(dev.tf)
    for target_group in broken["resource"]["aws_lb_target_group"].values():
        target_group["deregistration_delay"] = "${var.delay}"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(broken))
    assert tl.main([str(bad), str(good.parent)]) == 1
    captured = capsys.readouterr()
    assert f"error: {bad}: deregistration_delay" in captured.err
    assert "good: expected release" in captured.out


def test_rendered_release_total_matches_the_phases(dev: Synth) -> None:
    t = tl.timeline_of(dev.tf)
    counted = [p.seconds or 0 for p in t.release_phases if p.counted]
    assert math.isclose(t.release_seconds, sum(counted))
    assert {p.name for p in t.release_phases if not p.counted} == {
        t.task_start.name,
        t.hook_worst.name,
        t.termination_wait.name,
    }
