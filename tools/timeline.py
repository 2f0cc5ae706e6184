"""``make timeline``: how long a blue/green release and a rollback take, read from the stack.

Why the synthesized ``cdk.tf.json`` and not ``config/<env>.toml``: settings pass through
validation, defaults and constructs before they become resources, and what Terraform applies
is what the ALB, ECS and CodeDeploy will do. Timing the JSON times the release that will
actually run, so a construct default or a refactoring that slows every release (a 300 s
deregistration delay, 30 s x 5 health checks) shows up here and fails the budget tests.

Each phase is computed from the stack's own values (target group health check and
deregistration delay, the release task definition's health checks, dependencies and stop
timeouts, the hook Lambda's environment, the deployment group and its deployment config —
or, for an ECS-native stack, the service's strategy, bake time, pause hooks and alarms
block — the rollback alarms) plus a few stated assumptions for latencies the stack cannot tell: the
``*_SECONDS`` constants under "Assumptions" below. Next to each figure the same stack is
timed with AWS's defaults for the values this project tunes, to show what the tuning buys.

The pipeline is read too, by its actions' categories and providers (never by engine): a
promoted stack (an S3 source action fed by another stack's hand-off) shows the hand-off, from
the source's successful deploy to its own release files, counted in its release total; a
pipeline with a Manual approval action shows the approval wait, which a person decides and
the total leaves out.

Usage: ``python -m tools.timeline [cdktf.out/stacks/<stack> ...]`` (directories holding a
``cdk.tf.json``, or the files; default: every stack under ``cdktf.out/stacks``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from constructs_lib.engines import all_engines, engine
from constructs_lib.engines.codedeploy import HOOK_EVENT
from constructs_lib.release_reading import (
    Alarm,
    ReleaseReading,
    ReleaseTerms,
    Shift,
    StackReadError,
    block,
    number,
    referenced,
    resource_named,
    resources,
    whole,
)
from constructs_lib.release_spec import DeploymentEngine, shift_waits
from tools.synthesized import OUTDIR, STACK_FILE, NotSynthesizedError, current_stacks

# --- Assumptions: AWS latencies the stack cannot tell; not read from it ------------------

FARGATE_TASK_START_SECONDS = 40.0
"""Assumption: Fargate placement, the task's network interface, the image pull and the
container start for a small image, until the first container runs."""
LISTENER_SWAP_SECONDS = 5.0
"""Assumption: one CodeDeploy listener update (ModifyListener) until the ALB routes by it."""
HOOK_START_SECONDS = 3.0
"""Assumption: the hook Lambda's cold start in the VPC, its lookups before the first probe
(ALB nodes, deployment, task definition) and its status call to CodeDeploy."""
PROBE_REQUEST_SECONDS = 0.1
"""Assumption: one probe request answered by a healthy green task through an ALB node."""

# The hand-off of a promoted stack, from its source's successful deploy to its own release
# files. The promoted stack holds none of these latencies (the Publish action is even the
# source stack's): they add up to its hand-off phase (:func:`handoff_seconds`).
HANDOFF_PUBLISH_SECONDS = 10.0
"""Assumption: the source pipeline's Publish stage: the transition after its Deploy stage
succeeded and one S3 deploy action putting the build output (a small zip) into the
hand-off bucket; CodePipeline's per-action overhead, not the upload, is most of it."""
HANDOFF_EVENT_SECONDS = 5.0
"""Assumption: S3's ``Object Created`` event reaching EventBridge (usually within seconds;
S3 states no bound), the rule matching it and its target calling
``StartPipelineExecution``."""
PIPELINE_SOURCE_SECONDS = 10.0
"""Assumption: the promoted pipeline's execution starting, its S3 source action copying the
object version into the artifact bucket, and the transition to the next stage."""
BUILD_PROVISIONING_SECONDS = 45.0
"""Assumption: one CodeBuild build queued, its on-demand container provisioned (a curated
image, which CodeBuild keeps cached) and the input artifact downloaded, until the
buildspec's first command runs; commonly 30 to 60 s on the small compute types."""
PROMOTION_RUN_SECONDS = 15.0
"""Assumption: the release build in promotion mode (``RELEASE_MANIFEST``): the manifest
checked, the templates read from SSM, the release files rendered, the artifact uploaded and
the build finalized; no tests, no docker, no ECR call."""

# --- What an unset value means (AWS's and the handler's defaults) ------------------------

AWS_DEREGISTRATION_DELAY_SECONDS = 300
"""Target group ``deregistration_delay`` when unset."""
ECS_STOP_TIMEOUT_SECONDS = 30
"""Fargate's SIGTERM-to-SIGKILL time when a container sets no ``stopTimeout``."""
LAMBDA_TIMEOUT_SECONDS = 3.0
"""A Lambda function's ``timeout`` when unset."""
ALB_MIN_NODES = 2
"""An ALB spans at least two AZs, so it has at least two nodes to probe."""
APPROVAL_TIMEOUT_SECONDS = 7 * 24 * 3600
"""A CodePipeline manual approval fails after seven days without an answer (AWS's fixed
limit: no setting changes it)."""
HOOK_DEFAULTS: Mapping[str, float] = {
    "DEADLINE_SECONDS": 120.0,
    "INTERVAL_SECONDS": 5.0,
    "REQUEST_TIMEOUT_SECONDS": 3.0,
    "REQUIRED_PASSES": 2,
}
"""The hook handler's defaults for its optional variables (``DEFAULT_*`` in
``constructs_lib/handlers/verify_test_traffic/index.py``; a test keeps them equal)."""


_HOOK_REF = re.compile(
    rf"{HOOK_EVENT}\"?\s*:\s*\"?\$\{{aws_lambda_function\.(?P<id>[\w-]+)\.arn\}}"
)


TimelineError = StackReadError
"""The stack lacks a value the timeline needs, or holds one only known at apply time."""


# --- The facts of a stack that decide a release's duration -------------------------------


@dataclass(frozen=True)
class TargetHealth:
    """ALB target group health check, in seconds and checks."""

    interval: int
    timeout: int
    healthy_threshold: int


AWS_TARGET_HEALTH = TargetHealth(interval=30, timeout=5, healthy_threshold=5)
"""A target group's health check when unset."""


@dataclass(frozen=True)
class Container:
    """What of a container definition bears on start and stop times."""

    name: str
    health_interval: int | None = None
    """``healthCheck.interval``; None: no container health check."""
    start_period: int | None = None
    """``healthCheck.startPeriod``: failures before it do not count (not a delay)."""
    stop_timeout: int = ECS_STOP_TIMEOUT_SECONDS
    depends_on: tuple[tuple[str, str], ...] = ()
    """``dependsOn``: (container name, condition)."""


@dataclass(frozen=True)
class Hook:
    """The ``AfterAllowTestTraffic`` Lambda's probing settings and what it probes."""

    required_passes: int
    interval: float
    request_timeout: float
    deadline: float
    probes: int
    """Checks per ALB node and round (``PROBES``)."""
    nodes: int
    """ALB nodes probed each round: at least one per subnet of the ALB."""
    lambda_timeout: float


@dataclass(frozen=True)
class ReleaseStep:
    """The CodeBuild action of a promoted pipeline that renders the release files from the
    handed-off manifest."""

    project: str
    compute_type: str
    may_update_service: bool = False
    """Its role may call ``ecs:UpdateService``: before rendering, the step may move the
    service onto the stack's spec and wait for that deployment."""


@dataclass(frozen=True)
class Handoff:
    """How a promoted stack receives its source's releases: the S3 object its pipeline's
    source action reads, the EventBridge rule starting the pipeline when it lands, and the
    release step consuming it."""

    source: str
    """The stack handing off (the key's folder: ``<source-stack>/release.zip``)."""
    key: str
    rule: str
    release_step: ReleaseStep | None
    """None: the deploy takes the handed-off files as they are."""


@dataclass(frozen=True)
class Approval:
    """A pipeline stage holding a Manual approval action, and where it sits."""

    stage: str
    after: str | None
    before: str | None


@dataclass(frozen=True, kw_only=True)
class Stack:
    """The values of one synthesized stack that decide how long a release takes."""

    name: str
    target_health: TargetHealth
    """The slower of the deployment group's two target groups (they swap roles)."""
    deregistration_delay: int
    containers: tuple[Container, ...]
    container_source: str
    """Where the containers were read: the release's task definition template, or the
    Terraform task definition."""
    hook: Hook | None
    ready_wait_minutes: int | None
    """None: traffic moves as soon as green is ready (CodeDeploy's ``CONTINUE_DEPLOYMENT``,
    no ECS pause hook)."""
    shift: Shift
    termination_wait_minutes: int
    alarms: tuple[Alarm, ...]
    """Alarms that stop and roll back a deployment (empty when none do)."""
    engine: DeploymentEngine = "codedeploy"
    """Who releases: the termination wait is ECS's bake time, a listener swap its rule
    weight flip."""
    handoff: Handoff | None = None
    """None: the stack builds its own releases (no hand-off to wait for)."""
    approvals: tuple[Approval, ...] = ()
    """Stages where a person approves each release (empty: none)."""

    @property
    def terms(self) -> ReleaseTerms:
        """What the engine calls its phases."""
        return engine(self.engine).reader.terms


# --- Reading the synthesized JSON ---------------------------------------------------------


def parse_deregistration_delay(value: object) -> int:
    """Seconds a deregistered target drains. The provider schema types it as a string
    (``"30"``); unset means AWS's 300 s."""
    return whole(value, "deregistration_delay", AWS_DEREGISTRATION_DELAY_SECONDS)


def read_target_health(target_group: Mapping[str, Any]) -> TargetHealth:
    """A target group's health check; unset fields take AWS's defaults."""
    check = block(target_group, "health_check")
    d = AWS_TARGET_HEALTH
    return TargetHealth(
        interval=whole(check.get("interval"), "health_check.interval", d.interval),
        timeout=whole(check.get("timeout"), "health_check.timeout", d.timeout),
        healthy_threshold=whole(
            check.get("healthy_threshold"), "health_check.healthy_threshold", d.healthy_threshold
        ),
    )


def _slowest(checks: Iterable[TargetHealth]) -> TargetHealth:
    return max(checks, key=lambda c: (c.healthy_threshold * c.interval, c.timeout))


def read_containers(definitions: Sequence[Mapping[str, Any]]) -> tuple[Container, ...]:
    """The timing fields of ECS container definitions (``containerDefinitions`` entries)."""
    containers = []
    for d in definitions:
        name = str(d.get("name", ""))
        check = d.get("healthCheck")
        interval = start = None
        if isinstance(check, Mapping):
            # ECS's own defaults for an unset interval (30 s) and start period (0 s).
            interval = whole(check.get("interval"), f"{name}.healthCheck.interval", 30)
            start = whole(check.get("startPeriod"), f"{name}.healthCheck.startPeriod", 0)
        containers.append(
            Container(
                name=name,
                health_interval=interval,
                start_period=start,
                stop_timeout=whole(
                    d.get("stopTimeout"), f"{name}.stopTimeout", ECS_STOP_TIMEOUT_SECONDS
                ),
                depends_on=tuple(
                    (str(dep.get("containerName")), str(dep.get("condition", "START")).upper())
                    for dep in d.get("dependsOn") or ()
                ),
            )
        )
    return tuple(containers)


def _ssm_values(tf: Mapping[str, Any]) -> list[str]:
    values = []
    for body in resources(tf, "aws_ssm_parameter").values():
        value = body.get("insecure_value", body.get("value"))
        if isinstance(value, str):
            values.append(value)
    return values


def _container_definitions(tf: Mapping[str, Any]) -> tuple[list[Mapping[str, Any]], str]:
    """The containers a release runs: the release's ``taskdef.json`` template where the stack
    holds one (an SSM parameter the build reads), else the Terraform task definition, which
    here only runs until the first release."""
    for value in _ssm_values(tf):
        try:
            parsed = json.loads(value)
        except ValueError:
            continue
        if isinstance(parsed, Mapping) and isinstance(parsed.get("containerDefinitions"), list):
            return parsed["containerDefinitions"], "the release's taskdef.json template (SSM)"
    definitions = list(resources(tf, "aws_ecs_task_definition").values())
    if len(definitions) != 1:
        raise TimelineError(
            f"expected one aws_ecs_task_definition or a taskdef.json template, "
            f"found {len(definitions)} task definitions"
        )
    text = definitions[0].get("container_definitions")
    if not isinstance(text, str):
        raise TimelineError("aws_ecs_task_definition.container_definitions is not a JSON string")
    parsed_list = json.loads(text)
    if not isinstance(parsed_list, list):
        raise TimelineError("aws_ecs_task_definition.container_definitions is not a JSON list")
    return parsed_list, "the Terraform task definition"


def _alb_nodes(tf: Mapping[str, Any], load_balancer: object) -> int:
    """ALB nodes the hook probes: one per subnet at least (the ALB may add more)."""
    balancers = resources(tf, "aws_lb")
    lb_id = referenced(load_balancer, "aws_lb")
    chosen = [balancers[lb_id]] if lb_id is not None and lb_id in balancers else []
    chosen = chosen or list(balancers.values())
    counts = [
        len(subnets)
        for b in chosen
        for subnets in (b.get("subnets") or b.get("subnet_mapping"),)
        if isinstance(subnets, list)
    ]
    return max([ALB_MIN_NODES, *counts])


def read_hook(tf: Mapping[str, Any]) -> Hook | None:
    """The ``AfterAllowTestTraffic`` hook, or None when releases have none.

    Where the stack holds the release's AppSpec (an SSM parameter), the hook is the Lambda it
    names for that event, and no hook there means none. Without an AppSpec, a Lambda with the
    handler's probing variables is taken for the hook.
    """
    functions = resources(tf, "aws_lambda_function")
    appspecs = [v for v in _ssm_values(tf) if "AWS::ECS::Service" in v]
    if appspecs:
        if not any(HOOK_EVENT in a for a in appspecs):
            return None
        ids = {m["id"] for a in appspecs for m in _HOOK_REF.finditer(a)}
        found = [functions[i] for i in sorted(ids) if i in functions]
        if not found:
            raise TimelineError(
                f"the AppSpec's {HOOK_EVENT} hook is not a Lambda function of this stack: "
                "its duration is unknown"
            )
    else:
        found = [
            f for f in functions.values() if {"DEADLINE_SECONDS", "REQUIRED_PASSES"} <= set(_env(f))
        ]
        if not found:
            return None
    hooks = [_hook(tf, f) for f in found]
    return max(hooks, key=hook_worst_seconds)


def _env(function: Mapping[str, Any]) -> Mapping[str, Any]:
    variables: Mapping[str, Any] = block(function, "environment").get("variables") or {}
    return variables


def _hook(tf: Mapping[str, Any], function: Mapping[str, Any]) -> Hook:
    env = _env(function)
    probes_text = env.get("PROBES", "[]")
    try:
        probes = json.loads(probes_text) if isinstance(probes_text, str) else []
    except ValueError:
        probes = []

    def setting(name: str) -> float:
        return number(env.get(name), f"hook {name}", HOOK_DEFAULTS[name])

    return Hook(
        required_passes=int(setting("REQUIRED_PASSES")),
        interval=setting("INTERVAL_SECONDS"),
        request_timeout=setting("REQUEST_TIMEOUT_SECONDS"),
        deadline=setting("DEADLINE_SECONDS"),
        probes=max(1, len(probes) if isinstance(probes, list) else 1),
        nodes=_alb_nodes(tf, env.get("LOAD_BALANCER")),
        lambda_timeout=number(function.get("timeout"), "hook timeout", LAMBDA_TIMEOUT_SECONDS),
    )


def _actions(stage: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A pipeline stage's actions in their run order."""
    actions = [a for a in stage.get("action") or () if isinstance(a, Mapping)]
    return sorted(actions, key=lambda a: whole(a.get("run_order"), "action run_order", 1))


def _stages(pipeline: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [s for s in pipeline.get("stage") or () if isinstance(s, Mapping)]


def _is(action: Mapping[str, Any], category: str, provider: str) -> bool:
    return action.get("category") == category and action.get("provider") == provider


def read_approvals(tf: Mapping[str, Any]) -> tuple[Approval, ...]:
    """Every pipeline stage with a Manual approval action, with its neighbours."""
    found = []
    for pipeline in resources(tf, "aws_codepipeline").values():
        names = [str(s.get("name", "")) for s in _stages(pipeline)]
        for index, stage in enumerate(_stages(pipeline)):
            if any(_is(a, "Approval", "Manual") for a in _actions(stage)):
                found.append(
                    Approval(
                        stage=names[index],
                        after=names[index - 1] if index else None,
                        before=names[index + 1] if index + 1 < len(names) else None,
                    )
                )
    return tuple(found)


def read_handoff(tf: Mapping[str, Any]) -> Handoff | None:
    """The hand-off a promoted stack's pipeline starts from: its S3 source action, the
    EventBridge rule that starts it on that object, and the CodeBuild action fed by the
    source (the release step). None: no pipeline has an S3 source."""
    for pipeline in resources(tf, "aws_codepipeline").values():
        actions = [a for s in _stages(pipeline) for a in _actions(s)]
        source = next((a for a in actions if _is(a, "Source", "S3")), None)
        if source is None:
            continue
        key = block(source, "configuration").get("S3ObjectKey")
        if not isinstance(key, str) or "${" in key:
            raise TimelineError(
                f"the S3 source's S3ObjectKey {key!r} is not a literal: the hand-off's "
                "source is unknown"
            )
        handed = set(source.get("output_artifacts") or ())
        step = next(
            (
                a
                for a in actions
                if _is(a, "Build", "CodeBuild") and handed & set(a.get("input_artifacts") or ())
            ),
            None,
        )
        return Handoff(
            source=key.rpartition("/")[0] or key,
            key=key,
            rule=_handoff_rule(tf, key),
            release_step=None if step is None else _release_step(tf, step),
        )
    return None


def _handoff_rule(tf: Mapping[str, Any], key: str) -> str:
    """The EventBridge rule starting the pipeline when ``key`` is created."""
    for rule_id, rule in resources(tf, "aws_cloudwatch_event_rule").items():
        try:
            pattern = json.loads(rule.get("event_pattern") or "{}")
        except (TypeError, ValueError):
            continue
        detail = pattern.get("detail") if isinstance(pattern, Mapping) else None
        obj = detail.get("object") if isinstance(detail, Mapping) else None
        keys = obj.get("key") if isinstance(obj, Mapping) else None
        if isinstance(keys, list) and key in keys:
            return str(rule.get("name", rule_id))
    raise TimelineError(
        f"no EventBridge rule starts the pipeline when {key} is created: the hand-off's "
        "start is unknown (a polling source is not timed)"
    )


def _release_step(tf: Mapping[str, Any], action: Mapping[str, Any]) -> ReleaseStep:
    name = block(action, "configuration").get("ProjectName")
    project = resource_named(tf, "aws_codebuild_project", name, "name")
    if project is None:
        raise TimelineError(
            f"the release step's CodeBuild project {name!r} is not a project of this stack: "
            "its duration is unknown"
        )
    return ReleaseStep(
        project=str(project.get("name", name)),
        compute_type=str(block(project, "environment").get("compute_type", "unknown")),
        may_update_service="ecs:UpdateService" in _role_actions(tf, project.get("service_role")),
    )


def _role_actions(tf: Mapping[str, Any], role: object) -> set[str]:
    """The actions a role's inline policies in the stack allow (wildcards as written)."""
    role_id = referenced(role, "aws_iam_role")
    allowed: set[str] = set()
    for policy in resources(tf, "aws_iam_role_policy").values():
        if role_id is None or referenced(policy.get("role"), "aws_iam_role") != role_id:
            continue
        try:
            document = json.loads(policy.get("policy") or "{}")
        except (TypeError, ValueError):
            continue
        statements = document.get("Statement", []) if isinstance(document, Mapping) else []
        for s in statements if isinstance(statements, list) else [statements]:
            if isinstance(s, Mapping) and s.get("Effect") == "Allow":
                actions = s.get("Action", [])
                allowed.update([actions] if isinstance(actions, str) else actions)
    if allowed & {"*", "ecs:*"}:
        allowed.add("ecs:UpdateService")
    return allowed


def read_stack(tf: Mapping[str, Any], name: str = "") -> Stack:
    """Everything the timeline needs from one parsed ``cdk.tf.json``: the release, read by
    the engine that runs it (each engine's ``reader``), plus what every engine shares."""
    for candidate in all_engines():
        release = candidate.reader.read(tf)
        if release is not None:
            return _stack(tf, name, release, candidate.name)
    raise TimelineError(
        "found 0 releases: no aws_codedeploy_deployment_group and no ECS service with a "
        "blue/green strategy"
    )


def _stack(
    tf: Mapping[str, Any], name: str, release: ReleaseReading, engine_name: DeploymentEngine
) -> Stack:
    definitions, source = _container_definitions(tf)
    target_groups = release.target_groups
    return Stack(
        name=name,
        target_health=_slowest(read_target_health(t) for t in target_groups),
        deregistration_delay=max(
            parse_deregistration_delay(t.get("deregistration_delay")) for t in target_groups
        ),
        containers=read_containers(definitions),
        container_source=source,
        hook=read_hook(tf),
        ready_wait_minutes=release.ready_wait_minutes,
        shift=release.shift,
        termination_wait_minutes=release.termination_wait_minutes,
        alarms=release.alarms,
        engine=engine_name,
        handoff=read_handoff(tf),
        approvals=read_approvals(tf),
    )


AWS_DEFAULTS_DESCRIPTION = (
    "the same stack with AWS's defaults for what this project tunes: target groups "
    "(deregistration 300 s, health check every 30 s, healthy after 5, timeout 5 s), no "
    "container stopTimeout (30 s), no verification hook, no rollback alarms; the deployment "
    "config, ready option, termination wait and the workload's container health checks are "
    "choices, not defaults, and are kept."
)


def aws_defaults(stack: Stack) -> Stack:
    """What the release would take without this project's tuning: see
    :data:`AWS_DEFAULTS_DESCRIPTION`. The comparison shows what each tuned value buys."""
    return dataclasses.replace(
        stack,
        target_health=AWS_TARGET_HEALTH,
        deregistration_delay=AWS_DEREGISTRATION_DELAY_SECONDS,
        containers=tuple(
            dataclasses.replace(c, stop_timeout=ECS_STOP_TIMEOUT_SECONDS) for c in stack.containers
        ),
        hook=None,
        alarms=(),
    )


# --- The calculations ---------------------------------------------------------------------


def container_starts(containers: Sequence[Container]) -> dict[str, float]:
    """Seconds after the first container starts at which each container starts.

    A ``HEALTHY`` dependency holds a container back until the other container's first
    passing check, one health-check ``interval`` after that container started (the start
    period only stops early failures from counting; it does not delay a passing check).
    ``START`` holds it until the other has started; ``COMPLETE``/``SUCCESS`` (run-to-end
    init containers) are taken as instant.
    """
    by_name = {c.name: c for c in containers}
    starts: dict[str, float] = {}

    def start(name: str, path: tuple[str, ...]) -> float:
        if name in starts:
            return starts[name]
        if name in path:
            raise TimelineError(f"container dependency cycle: {' -> '.join((*path, name))}")
        container = by_name.get(name)
        if container is None:
            raise TimelineError(f"dependsOn names an unknown container {name!r}")
        ready = 0.0
        for other, condition in container.depends_on:
            after = start(other, (*path, name))
            if condition == "HEALTHY":
                interval = by_name[other].health_interval
                if interval is None:
                    raise TimelineError(f"{name} waits for {other} HEALTHY: it has no health check")
                after += interval
            ready = max(ready, after)
        starts[name] = ready
        return ready

    for c in containers:
        start(c.name, ())
    return starts


def containers_up_seconds(containers: Sequence[Container]) -> float:
    """Until the last container has started: the task is then RUNNING and ECS registers it
    in the green target group."""
    return max(container_starts(containers).values(), default=0.0)


def container_health_seconds(containers: Sequence[Container]) -> float:
    """Until every container with a health check has passed its first check: ECS waits for
    these as well as for the target group before it counts the task healthy."""
    starts = container_starts(containers)
    return max(
        (starts[c.name] + c.health_interval for c in containers if c.health_interval),
        default=0.0,
    )


def target_healthy_seconds(check: TargetHealth) -> int:
    """A new target is healthy after ``healthy_threshold`` passing checks ``interval``
    apart (counted from registration; the timeout only matters for a failing target)."""
    return check.healthy_threshold * check.interval


def hook_round_seconds(hook: Hook) -> float:
    """One probing round on healthy green tasks: every probe to every ALB node, one after
    another (the handler does not parallelise), each an assumed fast request."""
    return hook.nodes * hook.probes * PROBE_REQUEST_SECONDS


def hook_pass_seconds(hook: Hook) -> float:
    """Until the hook reports Succeeded on healthy green tasks: its start, then
    ``required_passes`` rounds with ``interval`` seconds of sleep between them, i.e.
    ``(required_passes - 1) x interval`` plus the rounds' own probe time."""
    rounds = hook.required_passes
    return HOOK_START_SECONDS + (rounds - 1) * hook.interval + rounds * hook_round_seconds(hook)


def hook_worst_seconds(hook: Hook) -> float:
    """The longest the hook can hold a release: its deadline plus one request that straddles
    it (the handler starts none after it), capped by the Lambda's own timeout."""
    wanted = HOOK_START_SECONDS + hook.deadline + hook.request_timeout
    return min(wanted, hook.lambda_timeout)


def shift_steps(shift: Shift) -> int:
    """Listener updates a traffic shift makes: one for all at once, two for a canary
    (``percentage``, then the rest), ``ceil(100 / percentage)`` for linear."""
    if shift.kind == "all-at-once":
        return 1
    return 1 + shift_waits(shift.kind, shift.percentage)


def shift_seconds(shift: Shift) -> float:
    """Production traffic moving: ``interval`` minutes between consecutive steps (a canary
    waits one interval; linear ``ceil(100 / percentage) - 1`` intervals), plus the listener
    updates themselves."""
    steps = shift_steps(shift)
    return (steps - 1) * shift.interval_minutes * 60 + steps * LISTENER_SWAP_SECONDS


def stop_seconds(containers: Sequence[Container]) -> int:
    """The longest a task's containers take to stop after SIGTERM: each may use its
    ``stopTimeout`` (30 s when unset). Independent containers stop together, so this is
    the largest ``stopTimeout``; ECS stops a container only after those that depend on it,
    so a ``dependsOn`` chain adds up its timeouts."""
    by_name = {c.name: c for c in containers}
    dependents: dict[str, list[str]] = {c.name: [] for c in containers}
    for c in containers:
        for other, _ in c.depends_on:
            dependents.setdefault(other, []).append(c.name)
    memo: dict[str, int] = {}

    def done(name: str, path: tuple[str, ...]) -> int:
        if name in path:
            raise TimelineError(f"container dependency cycle: {' -> '.join((*path, name))}")
        if name not in memo:
            before = [done(d, (*path, name)) for d in dependents.get(name, [])]
            own = by_name[name].stop_timeout if name in by_name else 0
            memo[name] = own + max(before, default=0)
        return memo[name]

    return max((done(c.name, ()) for c in containers), default=0)


def handoff_seconds(handoff: Handoff) -> float:
    """From the source's successful deploy to this stack's release files: the source's
    Publish action, S3 to EventBridge, the pipeline's start and S3 source action, then the
    release step's container provisioning and promotion-mode run (all assumed)."""
    seconds = HANDOFF_PUBLISH_SECONDS + HANDOFF_EVENT_SECONDS + PIPELINE_SOURCE_SECONDS
    if handoff.release_step is not None:
        seconds += BUILD_PROVISIONING_SECONDS + PROMOTION_RUN_SECONDS
    return seconds


def alarm_detection_seconds(alarms: Sequence[Alarm]) -> int | None:
    """From the first bad period to the slowest rollback alarm firing: ``period`` x
    breaching periods (the slowest, since which alarm sees a fault depends on the fault).
    None: no alarm rolls back."""
    return max((a.period * a.breaching_periods for a in alarms), default=None)


# --- The timeline -------------------------------------------------------------------------


@dataclass(frozen=True)
class Phase:
    """One step of a release or rollback: its expected seconds (None: it does not happen
    in this stack), how they were found, and whether the release total counts them."""

    name: str
    seconds: float | None
    note: str
    counted: bool = True


@dataclass(frozen=True, kw_only=True)
class Timeline:
    """Expected durations of one stack's blue/green release and of a rollback.

    The release total (:attr:`release_seconds`, the budget tests' figure) runs from the
    green task's first container running (after the assumed Fargate start, not counted) to
    the last blue task stopped: containers up, green targets healthy, the hook passing, the
    traffic shift and the blue drain and stop. It leaves out the build, the task-start
    assumption, the configured termination wait and any manual wait for approval, and
    assumes a release that succeeds on healthy green tasks. A promoted stack's total also
    counts its hand-off (every promoted release waits for it); its source's build stays out.
    """

    stack: str
    handoff: Phase | None = None
    """None: the stack builds its own releases."""
    approval_wait: Phase | None = None
    """None: no person approves releases."""
    task_start: Phase
    containers_up: Phase
    targets_healthy: Phase
    hook: Phase
    hook_worst: Phase
    ready_wait: Phase
    traffic_shift: Phase
    termination_wait: Phase
    blue_drain: Phase
    rollback_swap: Phase
    alarm_detection: Phase

    @property
    def release_phases(self) -> tuple[Phase, ...]:
        """Every release phase in order, counted or not (the hand-off and the approval wait
        only where the stack has them)."""
        return (
            *(p for p in (self.handoff, self.approval_wait) if p is not None),
            self.task_start,
            self.containers_up,
            self.targets_healthy,
            self.hook,
            self.hook_worst,
            self.ready_wait,
            self.traffic_shift,
            self.termination_wait,
            self.blue_drain,
        )

    @property
    def release_seconds(self) -> float:
        """Green tasks running to blue stopped (see the class docstring for the scope)."""
        return sum(p.seconds or 0.0 for p in self.release_phases if p.counted)

    @property
    def rollback_from_decision_seconds(self) -> float:
        """From CodeDeploy deciding to roll back (hook Failed, alarm, stop) to production
        traffic on blue again."""
        return self.rollback_swap.seconds or 0.0

    @property
    def rollback_from_first_bad_minute_seconds(self) -> float | None:
        """From the first bad period to traffic back on blue, when an alarm decides; None
        when no alarm rolls back (someone has to notice and stop the deployment)."""
        if self.alarm_detection.seconds is None:
            return None
        return self.alarm_detection.seconds + self.rollback_from_decision_seconds


def build_timeline(stack: Stack) -> Timeline:
    """The expected duration of each phase of ``stack``'s release and rollback."""
    containers_up, targets_healthy = _green_phases(stack)
    hook, hook_worst = _hook_phases(stack.hook)
    ready_wait = _ready_phase(stack.ready_wait_minutes, stack.terms)
    traffic_shift = _shift_phase(stack.shift)
    blue_drain = _drain_phase(stack)
    counted = (containers_up, targets_healthy, hook, ready_wait, traffic_shift, blue_drain)
    # Without the hand-off: a redeploy of the previous revision is the engine's own.
    release = sum(p.seconds or 0.0 for p in counted if p.counted)
    return Timeline(
        stack=stack.name,
        handoff=_handoff_phase(stack.handoff),
        approval_wait=_approval_phase(stack.approvals),
        task_start=Phase(
            "green tasks start (assumed)",
            FARGATE_TASK_START_SECONDS,
            "an assumption, not read from the stack: Fargate placement, network interface, "
            "image pull and start for a small image",
            counted=False,
        ),
        containers_up=containers_up,
        targets_healthy=targets_healthy,
        hook=hook,
        hook_worst=hook_worst,
        ready_wait=ready_wait,
        traffic_shift=traffic_shift,
        termination_wait=Phase(
            stack.terms.termination_wait,
            stack.termination_wait_minutes * 60.0,
            stack.terms.termination_wait_note,
            counted=False,
        ),
        blue_drain=blue_drain,
        rollback_swap=_rollback_phase(stack, release),
        alarm_detection=_alarm_phase(stack.alarms),
    )


def _green_phases(stack: Stack) -> tuple[Phase, Phase]:
    """Containers up (the ``dependsOn`` chain), then the green targets healthy."""
    containers = stack.containers
    up = containers_up_seconds(containers)
    own = container_health_seconds(containers) - up
    check = stack.target_health
    alb = target_healthy_seconds(check)
    waits = [
        f"{c.name} starts after {', '.join(o for o, cond in c.depends_on if cond == 'HEALTHY')} "
        "is HEALTHY"
        for c in containers
        if any(cond == "HEALTHY" for _, cond in c.depends_on)
    ]
    checked = [c for c in containers if c.health_interval]
    how = (
        "; ".join(waits) + "; a container's first passing check comes one healthCheck "
        f"interval after it starts ({', '.join(f'{c.name} {c.health_interval} s' for c in checked)}"
        f"; start periods {', '.join(f'{c.name} {c.start_period} s' for c in checked)} only "
        "keep early failures from counting)"
        if waits
        else "no container waits for another"
    )
    return (
        Phase("containers up (dependsOn)", up, f"{how}; from {stack.container_source}"),
        Phase(
            "green targets healthy (ALB)",
            max(alb, own),
            f"healthy_threshold {check.healthy_threshold} x interval {check.interval} s "
            f"(timeout {check.timeout} s) after registration; "
            + (
                f"container health checks ({own:g} s) finish sooner"
                if own <= alb
                else f"container health checks take longer ({own:g} s)"
            ),
        ),
    )


def _hook_phases(hook: Hook | None) -> tuple[Phase, Phase]:
    """The hook passing on healthy green tasks, and the longest it can take."""
    if hook is None:
        return (
            Phase("test traffic: hook passes", None, f"no {HOOK_EVENT} hook"),
            Phase("hook worst case (deadline)", None, "no hook", counted=False),
        )
    return (
        Phase(
            "test traffic: hook passes",
            hook_pass_seconds(hook),
            f"start {HOOK_START_SECONDS:g} s (assumed) + ({hook.required_passes} passes - 1) "
            f"x interval {hook.interval:g} s + {hook.required_passes} rounds x "
            f"{hook.nodes} ALB nodes x {hook.probes} probes x {PROBE_REQUEST_SECONDS:g} s "
            "(assumed per healthy request)",
        ),
        Phase(
            "hook worst case (deadline)",
            hook_worst_seconds(hook),
            f"deadline {hook.deadline:g} s + one request timeout {hook.request_timeout:g} s "
            f"+ start, capped by the Lambda timeout {hook.lambda_timeout:g} s; then Failed "
            "and rollback",
            counted=False,
        ),
    )


def _handoff_phase(handoff: Handoff | None) -> Phase | None:
    if handoff is None:
        return None
    step = handoff.release_step
    parts = [
        f"its Publish action (S3 put) {HANDOFF_PUBLISH_SECONDS:g} s",
        f"S3 -> EventBridge (rule {handoff.rule}) {HANDOFF_EVENT_SECONDS:g} s",
        f"pipeline start and S3 source action {PIPELINE_SOURCE_SECONDS:g} s",
    ]
    if step is not None:
        parts.append(
            f"release step {step.project} ({step.compute_type}): build container provisioning "
            f"{BUILD_PROVISIONING_SECONDS:g} s + promotion-mode run (no docker) "
            f"{PROMOTION_RUN_SECONDS:g} s"
        )
    note = (
        f"from {handoff.source} (source key {handoff.key}), its successful deploy to this "
        f"stack's release files, all assumed: {' + '.join(parts)}; an approval waits between "
        "the source action and the release step, shown apart"
    )
    if step is None:
        note += "; no release step: the deploy takes the handed-off files as they are"
    elif step.may_update_service:
        note += (
            "; the release step may update the service (ecs:UpdateService): when the service "
            "runs another spec than the stack's it first moves it onto the stack's and waits "
            "for that deployment, not counted"
        )
    return Phase("hand-off (assumed)", handoff_seconds(handoff), note)


def _approval_phase(approvals: Sequence[Approval]) -> Phase | None:
    if not approvals:
        return None
    where = ", ".join(
        f"stage {a.stage}"
        + (f" after {a.after}" if a.after else "")
        + (f" before {a.before}" if a.before else "")
        for a in approvals
    )
    return Phase(
        "approval wait (manual, at most)",
        float(len(approvals) * APPROVAL_TIMEOUT_SECONDS),
        f"{where}: a person approves or rejects (console or CLI, "
        "codepipeline:PutApprovalResult); CodePipeline waits up to "
        f"{APPROVAL_TIMEOUT_SECONDS // 86400} days (AWS's fixed limit), then the action "
        "fails and nothing deploys; not in the total",
        counted=False,
    )


def _ready_phase(wait_minutes: int | None, terms: ReleaseTerms) -> Phase:
    """The wait for a go-ahead before production traffic moves, in the engine's terms."""
    if wait_minutes is None:
        return Phase("ready wait", 0.0, terms.no_ready_wait)
    return Phase(
        "ready wait (manual, at most)",
        wait_minutes * 60.0,
        f"{terms.ready_wait}, up to {wait_minutes} min, then stops and rolls back; not in "
        "the total",
        counted=False,
    )


def _shift_phase(shift: Shift) -> Phase:
    return Phase(
        "traffic shift",
        shift_seconds(shift),
        f"{shift.name}: {_describe_shift(shift)}, {shift_steps(shift)} listener update(s) x "
        f"{LISTENER_SWAP_SECONDS:g} s (assumed)",
    )


def _drain_phase(stack: Stack) -> Phase:
    stop = stop_seconds(stack.containers)
    timeouts = ", ".join(f"{c.name} {c.stop_timeout} s" for c in stack.containers)
    return Phase(
        "blue drain + stop (at most)",
        float(stack.deregistration_delay + stop),
        f"deregistration_delay {stack.deregistration_delay} s + containers' stopTimeout "
        f"{stop} s ({timeouts}; a container stops after those depending on it)",
    )


def _rollback_phase(stack: Stack, release_seconds: float) -> Phase:
    """Traffic back on blue: one listener swap (ECS: one rule update) while blue waits, else
    a whole release."""
    termination_wait_minutes = stack.termination_wait_minutes
    if termination_wait_minutes > 0:
        return Phase(
            stack.terms.switch_back,
            LISTENER_SWAP_SECONDS,
            "blue's targets are still registered and healthy, so traffic is back after one "
            f"listener update ({LISTENER_SWAP_SECONDS:g} s, assumed); the window lasts "
            f"until the termination wait ({termination_wait_minutes} min) ends",
        )
    return Phase(
        "redeploy the previous revision",
        FARGATE_TASK_START_SECONDS + release_seconds,
        "no termination wait: blue is gone once traffic moved, so a rollback is a new "
        "release of the previous revision (task start included)",
    )


def _alarm_phase(alarms: Sequence[Alarm]) -> Phase:
    detection = alarm_detection_seconds(alarms)
    if detection is None:
        return Phase(
            "alarm detection",
            None,
            "no alarm rolls back: someone has to notice and stop the deployment",
        )
    slowest = max(alarms, key=lambda a: a.period * a.breaching_periods)
    return Phase(
        "alarm detection",
        float(detection),
        f"{len(alarms)} alarm(s), slowest {slowest.name}: {slowest.period} s period x "
        f"{slowest.breaching_periods} breaching periods (plus CloudWatch's delay in "
        "publishing ALB metrics, not counted)",
    )


def _describe_shift(shift: Shift) -> str:
    if shift.kind == "all-at-once":
        return "all traffic at once"
    if shift.kind == "canary":
        return f"{shift.percentage} %, then the rest after {shift.interval_minutes} min"
    return f"{shift.percentage} % every {shift.interval_minutes} min"


def timeline_of(tf: Mapping[str, Any], name: str = "") -> Timeline:
    """The timeline of a parsed ``cdk.tf.json``."""
    return build_timeline(read_stack(tf, name))


# --- Rendering ----------------------------------------------------------------------------


def format_duration(seconds: float | None) -> str:
    """``1 min 20 s``, ``45 s``, ``2 h 5 min``, ``7 d``; rounded to whole seconds; None:
    ``none``."""
    if seconds is None:
        return "none"
    total = round(seconds)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{days} d"] if days else []
    if hours:
        parts.append(f"{hours} h")
    if minutes:
        parts.append(f"{minutes} min")
    if secs or not parts:
        parts.append(f"{secs} s")
    return " ".join(parts)


def render(timeline: Timeline, defaults: Timeline, source: str = "") -> str:
    """A plain-text table of ``timeline`` next to ``defaults`` (the same stack with AWS's
    defaults), then how each of this stack's figures was found."""
    rows: list[tuple[str, str, str]] = []
    for mine, theirs in zip(timeline.release_phases, defaults.release_phases, strict=True):
        mark = "" if mine.counted else " *"
        rows.append((mine.name + mark, format_duration(mine.seconds), _cell(theirs)))
    handed_off = timeline.handoff is not None
    rows.append(
        (
            f"= release: {'hand-off + ' if handed_off else ''}green running -> blue stopped",
            format_duration(timeline.release_seconds),
            format_duration(defaults.release_seconds),
        )
    )
    rows.append(("", "", ""))
    rows.append(("rollback inside the termination wait", "", ""))
    rows.append(
        (
            timeline.rollback_swap.name,
            format_duration(timeline.rollback_swap.seconds),
            _cell(defaults.rollback_swap),
        )
    )
    rows.append(
        (
            "alarm detection",
            format_duration(timeline.alarm_detection.seconds),
            format_duration(defaults.alarm_detection.seconds),
        )
    )
    rows.append(
        (
            "= rollback from the decision",
            format_duration(timeline.rollback_from_decision_seconds),
            format_duration(defaults.rollback_from_decision_seconds),
        )
    )
    rows.append(
        (
            "= rollback from the first bad minute",
            _manual(timeline.rollback_from_first_bad_minute_seconds),
            _manual(defaults.rollback_from_first_bad_minute_seconds),
        )
    )
    header = ("phase", "this stack", "AWS defaults")
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(3)]

    def line(cells: tuple[str, str, str]) -> str:
        return " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    title = f"{timeline.stack or 'stack'}: expected release and rollback durations"
    out = [title, "=" * len(title)]
    if source:
        out.append(f"from {source}")
    out += [
        "",
        line(header),
        "-+-".join("-" * w for w in widths),
        *(line(r) if any(r) else "" for r in rows),
        "",
        *textwrap.wrap(
            "* not in the release total, which excludes the "
            + ("source's build (the hand-off is in)" if handed_off else "build")
            + ", the assumed task start, the configured termination wait and any manual "
            "approval.",
            width=100,
        ),
        *textwrap.wrap("AWS defaults: " + AWS_DEFAULTS_DESCRIPTION, width=100),
        "",
        "How this stack's figures are found:",
    ]
    notes = [*timeline.release_phases, timeline.rollback_swap, timeline.alarm_detection]
    for phase in notes:
        out.extend(
            textwrap.wrap(
                f"{phase.name}: {phase.note}",
                width=100,
                initial_indent="  ",
                subsequent_indent="      ",
            )
        )
    return "\n".join(out)


def _cell(phase: Phase) -> str:
    if phase.name.startswith("redeploy"):
        return f"{format_duration(phase.seconds)} (redeploy)"
    return format_duration(phase.seconds)


def _manual(seconds: float | None) -> str:
    return "manual" if seconds is None else format_duration(seconds)


# --- Command line -------------------------------------------------------------------------


def _stack_files(paths: Sequence[str]) -> list[Path]:
    if not paths:
        try:
            return [stack / STACK_FILE for stack in current_stacks()]
        except NotSynthesizedError:
            return []
    files = []
    for given in paths:
        path = Path(given)
        files.append(path / STACK_FILE if path.is_dir() else path)
    return files


def main(argv: Sequence[str] | None = None) -> int:
    """Print the timeline of each synthesized stack; 2 when there is none, 1 when a stack
    cannot be read or timed."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.timeline",
        description="Expected blue/green release and rollback durations of synthesized stacks.",
    )
    parser.add_argument(
        "stacks",
        nargs="*",
        help=f"stack directories (holding {STACK_FILE}) or files; "
        f"default: every stack the last synth wrote ({OUTDIR}/manifest.json)",
    )
    args = parser.parse_args(argv)
    files = _stack_files(args.stacks)
    if not files:
        print(
            f"error: no stacks in {OUTDIR}/manifest.json: run `make synth` first", file=sys.stderr
        )
        return 2
    status = 0
    for index, file in enumerate(files):
        try:
            tf = json.loads(file.read_text(encoding="utf-8"))
            stack = read_stack(tf, file.parent.name)
            text = render(build_timeline(stack), build_timeline(aws_defaults(stack)), str(file))
        except (OSError, ValueError) as error:  # TimelineError and bad JSON are ValueErrors
            print(f"error: {file}: {error}", file=sys.stderr)
            status = 1
            continue
        print(("\n" if index else "") + text)
    return status


if __name__ == "__main__":
    sys.exit(main())
