"""What a release needs to know, and the release files rendered from it.

A CodeDeploy ECS release takes a ``taskdef.json`` and an ``appspec.yaml``. Both are rendered
here from the same :class:`~constructs_lib.container_spec.TaskSpec` that
:class:`~constructs_lib.fargate_service.FargateService` renders into Terraform, so the two
task definitions cannot drift: the release differs only in images, the version and the
bootstrap stand-ins. Nothing here imports cdktf; values may be Terraform tokens.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from constructs_lib.container_spec import RenderTarget, TaskSpec, render_container_definitions
from constructs_lib.validation import (
    ValidationError,
    check_arn,
    check_bool,
    check_format,
    check_int_range,
    check_resource_ids,
    show,
)

IMAGE_PLACEHOLDER = "<IMAGE1_NAME>"
"""Filled by the ``CodeDeployToECS`` action from ``imageDetail.json`` (primary image)."""
TASK_DEFINITION_PLACEHOLDER = "<TASK_DEFINITION>"
"""Filled by the ``CodeDeployToECS`` action with the revision it registers."""
_PLAIN_KEY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
VERSION_PLACEHOLDER = "<SOURCE_VERSION>"
"""Filled by the build with the commit id: the version variable and every image tag."""
SPEC_ID_LENGTH = 16
"""Characters of the ``RELEASE_SPEC`` digest (Terraform's ``substr(sha256(...), 0, 16)``)."""
SSM_PARAMETER_MAX_BYTES = 8192
"""Parameter Store's limit for a parameter value (advanced tier; Intelligent-Tiering moves a
parameter there once it outgrows the standard tier's 4096): what a release template in SSM
may weigh."""
RELEASE_SPEC_VARIABLE = "RELEASE_SPEC"
"""Environment variable naming the container spec a revision was rendered from (engine
``ecs``): the build compares it with the stack's to know whether the running revision, which
ECS's deploy action copies, still matches the stack."""

DeploymentEngine = Literal["codedeploy", "ecs"]
"""Who runs a blue/green release: CodeDeploy (task sets, listener swaps, an AppSpec) or ECS
itself (``deploymentController = ECS``: service revisions, weighted listener rules)."""
DEPLOYMENT_ENGINES: tuple[DeploymentEngine, ...] = ("codedeploy", "ecs")


def check_engine(field: str, engine: object) -> DeploymentEngine:
    """``engine`` as a :data:`DeploymentEngine`, or a one-line error naming ``field``."""
    if engine in DEPLOYMENT_ENGINES:
        return engine
    raise ValidationError(field, f"must be one of {', '.join(DEPLOYMENT_ENGINES)}, got {engine!r}")


NATIVE_HOOK_STAGE = "POST_TEST_TRAFFIC_SHIFT"
"""Engine ``ecs``: where the verification hook runs (test rule on the new revision,
production still on the old one)."""
MAX_SHIFT_INTERVAL_MINUTES = 2880


@dataclass(frozen=True, kw_only=True)
class TrafficShift:
    """A gradual traffic shift: ``canary`` moves ``percentage`` first and the rest after
    ``interval_minutes``; ``linear`` moves ``percentage`` every ``interval_minutes``.
    CodeDeploy runs it as a custom deployment config, ECS as its CANARY / LINEAR strategy."""

    kind: Literal["canary", "linear"]
    percentage: int
    """Traffic moved at each step, 1-99 %."""
    interval_minutes: int
    """Minutes between steps, 1-2880 (the engine may allow less: ECS at most 1440)."""

    def __post_init__(self) -> None:
        self.validate()

    def validate(self, field_prefix: str = "") -> None:
        f = field_prefix
        if self.kind not in ("canary", "linear"):
            raise ValidationError(f"{f}kind", f"must be 'canary' or 'linear', got {self.kind!r}")
        check_int_range(f"{f}percentage", self.percentage, 1, 99)
        check_int_range(
            f"{f}interval_minutes", self.interval_minutes, 1, MAX_SHIFT_INTERVAL_MINUTES
        )

    @property
    def config_suffix(self) -> str:
        return f"{self.kind}-{self.percentage}pct-{self.interval_minutes}min"

    @property
    def steps(self) -> int:
        """Waits of ``interval_minutes`` before all traffic has moved."""
        return shift_waits(self.kind, self.percentage)


def shift_waits(kind: Literal["canary", "linear"], percentage: int) -> int:
    """Waits of one interval a gradual shift makes: one for a canary (then the rest moves),
    ``ceil(100 / percentage) - 1`` for linear (the last step needs no wait after it)."""
    return 1 if kind == "canary" else -(-100 // percentage) - 1


def _predefined_shifts() -> dict[str, TrafficShift | None]:
    canary: Literal["canary"] = "canary"
    linear: Literal["linear"] = "linear"
    return {
        "CodeDeployDefault.ECSAllAtOnce": None,
        "CodeDeployDefault.ECSCanary10Percent5Minutes": TrafficShift(
            kind=canary, percentage=10, interval_minutes=5
        ),
        "CodeDeployDefault.ECSCanary10Percent15Minutes": TrafficShift(
            kind=canary, percentage=10, interval_minutes=15
        ),
        "CodeDeployDefault.ECSLinear10PercentEvery1Minutes": TrafficShift(
            kind=linear, percentage=10, interval_minutes=1
        ),
        "CodeDeployDefault.ECSLinear10PercentEvery3Minutes": TrafficShift(
            kind=linear, percentage=10, interval_minutes=3
        ),
    }


PREDEFINED_SHIFTS: Mapping[str, TrafficShift | None] = _predefined_shifts()
"""CodeDeploy's predefined ECS configs as shifts (None: all at once), so one setting means the
same release under either engine."""


def traffic_shift(config: str | TrafficShift) -> TrafficShift | None:
    """The shift a deployment config stands for; None: all traffic at once."""
    return config if isinstance(config, TrafficShift) else PREDEFINED_SHIFTS[config]


def shift_minutes(config: str | TrafficShift) -> int:
    """Minutes from the first to the last traffic step."""
    shift = traffic_shift(config)
    return 0 if shift is None else shift.steps * shift.interval_minutes


# ECS names clusters, services and task families with up to 255 letters, digits, hyphens
# and underscores; ELB target groups with up to 32 letters, digits and inner hyphens.
_ECS_NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,255}")
_TARGET_GROUP_NAME_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?")
# CloudWatch Logs: 1-512 letters, digits and _ - / . #
_LOG_GROUP_NAME_RE = re.compile(r"[A-Za-z0-9_/.#-]{1,512}")
# An image repository: <registry host>/<name>.
_REPOSITORY_URL_RE = re.compile(r"[A-Za-z0-9.-]+(?::[0-9]+)?/[a-z0-9][a-z0-9._/-]*")


def check_per_container(
    field: str, values: object, check: Callable[[str, object], object]
) -> Mapping[str, object]:
    """A mapping from container name to a value ``check`` accepts (``field.<name>``)."""
    if not isinstance(values, Mapping):
        raise ValidationError(field, f"must map container names to values, got {show(values)}")
    for name, value in values.items():
        if not isinstance(name, str):
            raise ValidationError(field, f"{show(name)} is not a container name")
        check(f"{field}.{name}", value)
    return values


def check_repository_url(field: str, value: object) -> str:
    return check_format(field, value, _REPOSITORY_URL_RE, "an image repository URL (host/name)")


def _check_log_group_name(field: str, value: object) -> str:
    return check_format(field, value, _LOG_GROUP_NAME_RE, "a CloudWatch log group name")


def _check_ecs_name(field: str, value: object) -> str:
    return check_format(field, value, _ECS_NAME_RE, "an ECS name (letters, digits, - and _)")


def _check_target_group_name(field: str, value: object) -> str:
    return check_format(
        field, value, _TARGET_GROUP_NAME_RE, "a target group name (1-32 letters, digits, -)"
    )


@dataclass(frozen=True, kw_only=True)
class ServiceTarget:
    """The ECS side of a release: what :class:`FargateService` exposes, or the same facts
    about a service managed elsewhere. Each value may be another construct's attribute."""

    cluster_name: str
    cluster_arn: str
    service_name: str
    service_arn: str
    task_family: str
    execution_role_arn: str
    task_role_arn: str
    subnet_ids: Sequence[str]
    security_group_ids: Sequence[str]
    assign_public_ip: bool
    repository_urls: Mapping[str, str]
    """ECR repository URL per container name."""
    repository_arns: Mapping[str, str]
    log_group_names: Mapping[str, str]
    """CloudWatch log group per container name."""

    def __post_init__(self) -> None:
        for name in ("cluster_name", "service_name", "task_family"):
            _check_ecs_name(name, getattr(self, name))
        for name in ("cluster_arn", "service_arn", "execution_role_arn", "task_role_arn"):
            check_arn(name, getattr(self, name))
        # The release's network configuration (the AppSpec's, or the service's own).
        if not check_resource_ids("subnet_ids", self.subnet_ids, "a subnet id"):
            raise ValidationError("subnet_ids", "the tasks need at least one subnet")
        if not check_resource_ids(
            "security_group_ids", self.security_group_ids, "a security group id"
        ):
            raise ValidationError("security_group_ids", "the tasks need a security group")
        check_bool("assign_public_ip", self.assign_public_ip)
        check_per_container("repository_urls", self.repository_urls, check_repository_url)
        check_per_container("repository_arns", self.repository_arns, check_arn)
        check_per_container("log_group_names", self.log_group_names, _check_log_group_name)


@dataclass(frozen=True, kw_only=True)
class TrafficRoutes:
    """The load balancer side of a release: what :class:`AlbBlueGreen` exposes."""

    production_listener_arn: str
    test_listener_arn: str
    blue_target_group_name: str
    green_target_group_name: str
    blue_target_group_arn: str | None = None
    green_target_group_arn: str | None = None
    production_listener_rule_arn: str | None = None
    """Engine ``ecs``: the weighted-forward rule ECS shifts production traffic with."""
    test_listener_rule_arn: str | None = None
    """Engine ``ecs``: the rule that sends test traffic to the new revision."""

    def __post_init__(self) -> None:
        check_arn("production_listener_arn", self.production_listener_arn)
        check_arn("test_listener_arn", self.test_listener_arn)
        _check_target_group_name("blue_target_group_name", self.blue_target_group_name)
        _check_target_group_name("green_target_group_name", self.green_target_group_name)
        # A release moves traffic from one listener's and target group's side to the other.
        for first, second in (
            ("production_listener_arn", "test_listener_arn"),
            ("blue_target_group_name", "green_target_group_name"),
        ):
            if getattr(self, first) == getattr(self, second):
                raise ValidationError(second, f"must differ from {first}")
        for name in (
            "blue_target_group_arn",
            "green_target_group_arn",
            "production_listener_rule_arn",
            "test_listener_rule_arn",
        ):
            if getattr(self, name) is not None:
                check_arn(name, getattr(self, name))


@dataclass(frozen=True, kw_only=True)
class TemplateStyle:
    """How an engine's release template leaves the images and the version to the release
    (each engine module names its own)."""

    primary_image: str | None
    """The primary container's image as a placeholder the deploy action fills
    (CodeDeploy: :data:`IMAGE_PLACEHOLDER`); None: its repository at the release's tag."""
    version: str | None
    """The version variable's value, a placeholder the build fills; None: the image
    carries the version (``ENV`` at build time)."""
    names_spec: bool = False
    """The template names the container spec it was rendered from (``RELEASE_SPEC``)."""


def release_task_definition(
    task: TaskSpec,
    target: ServiceTarget,
    *,
    region: str,
    primary_container: str,
    style: TemplateStyle,
    spec_id: str | None = None,
) -> dict[str, Any]:
    """The ``RegisterTaskDefinition`` input a release registers, with placeholders: every
    image but a ``style.primary_image`` is its repository at tag :data:`VERSION_PLACEHOLDER`,
    which the build replaces (with the version variable, when ``style.version`` is one).

    Given a ``spec_id`` (a digest of this rendering without it, see ``engines.ecs``), the
    primary container names the spec (:data:`RELEASE_SPEC_VARIABLE`) so the build can tell a
    revision rendered from another spec (or the bootstrap one) and move the service onto
    this one first.
    """
    images = {
        c.name: (
            style.primary_image
            if style.primary_image is not None and c.name == primary_container
            else f"{target.repository_urls[c.name]}:{VERSION_PLACEHOLDER}"
        )
        for c in task.containers
    }
    definitions = render_container_definitions(
        task,
        RenderTarget(
            images=images,
            version=style.version,
            log_groups=target.log_group_names,
            region=region,
        ),
    )
    rendered: dict[str, Any] = {
        "family": target.task_family,
        "executionRoleArn": target.execution_role_arn,
        "taskRoleArn": target.task_role_arn,
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": str(task.cpu),
        "memory": str(task.memory),
        "runtimePlatform": {"operatingSystemFamily": "LINUX", "cpuArchitecture": "X86_64"},
        "containerDefinitions": definitions,
    }
    volumes = [{"name": name} for name in task.volume_names()]
    if volumes:
        rendered["volumes"] = volumes
    if spec_id is not None:
        _name_spec(rendered, primary_container, spec_id)
    return rendered


def template_text(taskdef: Mapping[str, Any]) -> str:
    """A release template as the pipeline stores it (Parameter Store)."""
    return json.dumps(taskdef, indent=1, sort_keys=True)


def release_template_bytes(
    task: TaskSpec,
    target: ServiceTarget,
    *,
    region: str,
    primary_container: str,
    style: TemplateStyle,
) -> int:
    """What the stored ``taskdef.json`` of ``task`` weighs once Terraform has resolved the
    references in it: give a ``target`` of literal values (see
    ``fargate_service.longest_release_target``)."""
    rendered = release_task_definition(
        task,
        target,
        region=region,
        primary_container=primary_container,
        style=style,
        spec_id="0" * SPEC_ID_LENGTH if style.names_spec else None,
    )
    return len(template_text(rendered).encode())


def named_spec(rendered: Mapping[str, Any], primary_container: str) -> str | None:
    """The :data:`RELEASE_SPEC_VARIABLE` a rendered ``ecs`` release carries, if any."""
    for definition in rendered["containerDefinitions"]:
        if definition["name"] == primary_container:
            for variable in definition.get("environment", ()):
                if variable["name"] == RELEASE_SPEC_VARIABLE:
                    return str(variable["value"])
    return None


def _name_spec(rendered: dict[str, Any], primary_container: str, spec_id: str) -> None:
    for definition in rendered["containerDefinitions"]:
        if definition["name"] == primary_container:
            environment = [*definition.get("environment", ())]
            environment.append({"name": RELEASE_SPEC_VARIABLE, "value": spec_id})
            definition["environment"] = sorted(environment, key=lambda e: e["name"])


def release_appspec(
    task: TaskSpec, target: ServiceTarget, *, hooks: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The ECS AppSpec of every release.

    It carries the network configuration: ECS accepts network changes to a CodeDeploy
    service only through a deployment, so this is how subnet or security group changes
    made in Terraform reach the service.
    """
    container = task.load_balanced
    properties: dict[str, Any] = {
        "TaskDefinition": TASK_DEFINITION_PLACEHOLDER,
        "LoadBalancerInfo": {"ContainerName": container.name, "ContainerPort": container.port},
        "PlatformVersion": "LATEST",
        "NetworkConfiguration": {
            "AwsvpcConfiguration": {
                "Subnets": list(target.subnet_ids),
                "SecurityGroups": list(target.security_group_ids),
                "AssignPublicIp": "ENABLED" if target.assign_public_ip else "DISABLED",
            }
        },
    }
    appspec: dict[str, Any] = {
        "version": 0.0,
        "Resources": [{"TargetService": {"Type": "AWS::ECS::Service", "Properties": properties}}],
    }
    if hooks:
        appspec["Hooks"] = [{event: function} for event, function in hooks.items()]
    return appspec


def to_yaml(value: Any, indent: int = 0) -> str:
    """Block-style YAML for JSON-like data; scalars are written as JSON (valid YAML), so
    strings with any characters, including Terraform tokens, stay intact."""
    return "\n".join(_yaml_lines(value, indent)) + "\n"


def _yaml_lines(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    if isinstance(value, Mapping) and value:
        lines: list[str] = []
        for key, item in value.items():
            if _is_block(item):
                lines.append(f"{pad}{_key(key)}:")
                lines.extend(_yaml_lines(item, indent + 2))
            else:
                lines.append(f"{pad}{_key(key)}: {_scalar(item)}")
        return lines
    if isinstance(value, list) and value:
        lines = []
        for item in value:
            if _is_block(item):
                nested = _yaml_lines(item, indent + 2)
                lines.append(f"{pad}- {nested[0].lstrip()}")
                lines.extend(nested[1:])
            else:
                lines.append(f"{pad}- {_scalar(item)}")
        return lines
    return [f"{pad}{_scalar(value)}"]


def _key(key: Any) -> str:
    text = str(key)
    return text if _PLAIN_KEY_RE.match(text) else json.dumps(text)


def _is_block(value: Any) -> bool:
    return isinstance(value, (Mapping, list)) and bool(value)


def _scalar(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return json.dumps(value)
