"""The task's containers as plain data: the one source of truth for the task definition.

:class:`FargateService` renders it into the Terraform task definition; the release pipeline
renders the same data into ``taskdef.json``. Nothing here imports cdktf.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from constructs_lib.container_secrets import parse_secret_arn
from constructs_lib.validation import (
    ValidationError,
    check_bool,
    check_fargate_size,
    check_format,
    check_int_range,
    check_port,
    show,
)

DependencyCondition = Literal["START", "COMPLETE", "SUCCESS", "HEALTHY"]
DEPENDENCY_CONDITIONS: tuple[DependencyCondition, ...] = ("START", "COMPLETE", "SUCCESS", "HEALTHY")
# ECS takes an image reference of up to 255 letters, digits and - _ : . / # @ (a digest).
_IMAGE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/#@-]{0,254}")
_CONTAINER_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$")
_ENV_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Passed to the build as a word list: no spaces or commas, relative to the repository root.
_BUILD_CONTEXT_RE = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")
_STAGE_RE = re.compile(r"^[a-z][a-z0-9_.-]*$")
TASK_DEFINITION_MAX_BYTES = 64 * 1024
"""ECS's limit on the size of a task definition (RegisterTaskDefinition's input)."""
# Stand-ins as long as what a rendering holds once Terraform has resolved it: an image
# (registry host, a 256-character repository, a 128-character tag), a 512-character log group,
# a 40-character version; and room for the task-level fields (family, two role ARNs,
# volumes, sizes).
_WORST_CASE_IMAGE = "i" * 450
_WORST_CASE_LOG_GROUP = "g" * 512
_WORST_CASE_VERSION = "v" * 40
_WORST_CASE_REGION = "r" * 25
_TASK_LEVEL_BYTES = 4 * 1024


def check_words(field: str, value: object, *, at_least: int = 1) -> tuple[str, ...]:
    """A tuple (or list) of strings, such as a command and its arguments."""
    if (
        isinstance(value, str)
        or not isinstance(value, tuple | list)
        or not all(isinstance(word, str) for word in value)
    ):
        raise ValidationError(field, f"must be a tuple of strings, got {show(value)}")
    if len(value) < at_least:
        raise ValidationError(field, f"must hold at least {at_least} string(s)")
    return tuple(value)


def check_health_check(field: str, value: object) -> None:
    """None or a :class:`ContainerHealthCheck` (which checked its own values)."""
    if value is not None and not isinstance(value, ContainerHealthCheck):
        raise ValidationError(field, f"must be a ContainerHealthCheck or None, got {show(value)}")


def is_variable_name(name: object) -> bool:
    """A name an environment variable of a container definition may have."""
    return isinstance(name, str) and _ENV_NAME_RE.fullmatch(name) is not None


@dataclass(frozen=True, kw_only=True)
class ContainerHealthCheck:
    """An ECS container health check (run inside the container by the agent)."""

    command: tuple[str, ...]
    """``("CMD", exe, args...)`` or ``("CMD-SHELL", "script")``."""
    interval_seconds: int = 10
    timeout_seconds: int = 5
    retries: int = 3
    start_period_seconds: int = 10

    def __post_init__(self) -> None:
        self.validate()

    def validate(self, field_prefix: str = "") -> None:
        f = field_prefix
        command = check_words(f"{f}command", self.command)
        if len(command) < 2 or command[0] not in ("CMD", "CMD-SHELL"):
            raise ValidationError(f"{f}command", "must start with CMD or CMD-SHELL")
        check_int_range(f"{f}interval_seconds", self.interval_seconds, 5, 300)
        check_int_range(f"{f}timeout_seconds", self.timeout_seconds, 2, 60)
        check_int_range(f"{f}retries", self.retries, 1, 10)
        check_int_range(f"{f}start_period_seconds", self.start_period_seconds, 0, 300)

    def render(self) -> dict[str, Any]:
        return {
            "command": list(self.command),
            "interval": self.interval_seconds,
            "timeout": self.timeout_seconds,
            "retries": self.retries,
            "startPeriod": self.start_period_seconds,
        }


@dataclass(frozen=True, kw_only=True)
class BootstrapImage:
    """What a container runs before the first release has built its image.

    The first ``apply`` into an empty account must reach a steady state, yet the project's
    images exist only after the pipeline's first build. The Terraform-managed task
    definition revision therefore runs public images that honour the same contract (ports,
    ``/health``, environment); every release replaces them through CodeDeploy.
    """

    image: str
    entry_point: tuple[str, ...] | None = None
    command: tuple[str, ...] | None = None
    health_check: ContainerHealthCheck | None = None
    """Replaces the container's own health check when its command needs the real image."""

    def __post_init__(self) -> None:
        check_format("image", self.image, _IMAGE_RE, "an image reference (up to 255 characters)")
        if self.entry_point is not None:
            check_words("entry_point", self.entry_point)
        if self.command is not None:
            check_words("command", self.command)
        check_health_check("health_check", self.health_check)


@dataclass(frozen=True, kw_only=True)
class ContainerSpec:
    name: str
    """Container name (also the ECR repository suffix)."""
    build_context: str
    """Directory, relative to the repository root, whose Dockerfile builds the image."""
    bootstrap: BootstrapImage
    """Public stand-in until the first release (see :class:`BootstrapImage`)."""
    test_target: str | None = None
    """Dockerfile stage that runs the tests; the release build builds it before any image."""
    port: int | None = None
    """Container port exposed on the task ENI, if any."""
    environment: Mapping[str, str] = field(default_factory=dict)
    """Plain environment variables (name -> value): configuration, never a secret (the
    values are in the task definition for anyone who may describe it)."""
    secrets: Mapping[str, str] = field(default_factory=dict)
    """Environment variables ECS fills at start from Secrets Manager or SSM Parameter Store
    (name -> ``valueFrom`` ARN, see :mod:`constructs_lib.container_secrets`); the task
    execution role is granted exactly these."""
    version_variable: str | None = None
    """Environment variable that receives the release version (e.g. ``VERSION``)."""
    health_check: ContainerHealthCheck | None = None
    depends_on: tuple[tuple[str, DependencyCondition], ...] = ()
    """``(container, condition)`` pairs: start order inside the task."""
    essential: bool = True
    stop_timeout_seconds: int = 30
    """Seconds between SIGTERM and SIGKILL (Fargate: 2-120)."""
    readonly_root_filesystem: bool = True
    scratch_paths: tuple[str, ...] = ()
    """Writable paths, each backed by a task-local ephemeral volume."""

    def __post_init__(self) -> None:
        self.validate()

    def validate(self, field_prefix: str = "") -> None:
        f = field_prefix
        if not isinstance(self.name, str) or not _CONTAINER_NAME_RE.match(self.name):
            raise ValidationError(f"{f}name", f"{show(self.name)} is not a valid container name")
        if (
            not isinstance(self.build_context, str)
            or not _BUILD_CONTEXT_RE.match(self.build_context)
            or ".." in self.build_context
        ):
            raise ValidationError(
                f"{f}build_context", f"{show(self.build_context)} is not a relative directory path"
            )
        if not isinstance(self.bootstrap, BootstrapImage):
            raise ValidationError(
                f"{f}bootstrap", f"must be a BootstrapImage, got {show(self.bootstrap)}"
            )
        if self.test_target is not None and (
            not isinstance(self.test_target, str) or not _STAGE_RE.match(self.test_target)
        ):
            raise ValidationError(
                f"{f}test_target", f"{show(self.test_target)} is not a stage name"
            )
        if self.port is not None:
            check_port(f"{f}port", self.port)
        self._validate_variables(f)
        check_health_check(f"{f}health_check", self.health_check)
        self._validate_depends_on(f)
        check_bool(f"{f}essential", self.essential)
        check_int_range(f"{f}stop_timeout_seconds", self.stop_timeout_seconds, 2, 120)
        check_bool(f"{f}readonly_root_filesystem", self.readonly_root_filesystem)
        for path in check_words(f"{f}scratch_paths", self.scratch_paths, at_least=0):
            if not path.startswith("/"):
                raise ValidationError(f"{f}scratch_paths", f"{path!r} is not absolute")

    def _validate_depends_on(self, f: str) -> None:
        """``(container, condition)`` pairs; that the container is another one of the task
        is the task's to check."""
        if isinstance(self.depends_on, str) or not isinstance(self.depends_on, Sequence):
            raise ValidationError(
                f"{f}depends_on",
                f"must be (container, condition) pairs, got {show(self.depends_on)}",
            )
        for i, dependency in enumerate(self.depends_on):
            if (
                not isinstance(dependency, tuple | list)
                or len(dependency) != 2
                or not isinstance(dependency[0], str)
            ):
                raise ValidationError(
                    f"{f}depends_on[{i}]",
                    f"must be a (container, condition) pair, got {show(dependency)}",
                )
            if dependency[1] not in DEPENDENCY_CONDITIONS:
                raise ValidationError(
                    f"{f}depends_on[{i}]",
                    f"condition must be one of {', '.join(DEPENDENCY_CONDITIONS)}, "
                    f"got {show(dependency[1])}",
                )

    def _validate_variables(self, f: str) -> None:
        for kind, variables in (("environment", self.environment), ("secrets", self.secrets)):
            if not isinstance(variables, Mapping):
                raise ValidationError(
                    f"{f}{kind}", f"must map variable names to strings, got {show(variables)}"
                )
            for key, value in variables.items():
                if not is_variable_name(key):
                    raise ValidationError(f"{f}{kind}", f"{show(key)} is not a variable name")
                if not isinstance(value, str):
                    raise ValidationError(
                        f"{f}{kind}.{key}", f"must be a string, got {show(value)}"
                    )
        for key, arn in self.secrets.items():
            parse_secret_arn(f"{f}secrets.{key}", arn)
            if key in self.environment:
                raise ValidationError(
                    f"{f}secrets.{key}", "is also a plain environment variable: name it once"
                )
        version = self.version_variable
        if version is not None:
            if not is_variable_name(version):
                raise ValidationError(f"{f}version_variable", f"{version!r} is not a variable name")
            if version in self.environment or version in self.secrets:
                raise ValidationError(
                    f"{f}version_variable",
                    f"{version!r} is also in environment or secrets: each release sets it",
                )

    def volume_name(self, path: str) -> str:
        slug = re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-") or "root"
        return f"{self.name}-{slug}"


@dataclass(frozen=True, kw_only=True)
class TaskSpec:
    cpu: int = 256
    """Fargate CPU units."""
    memory: int = 512
    """MiB; must pair with ``cpu`` as Fargate allows."""
    containers: tuple[ContainerSpec, ...]
    load_balanced_container: str
    """The container the ALB target groups send traffic to (it must have a ``port``)."""

    def __post_init__(self) -> None:
        check_fargate_size("cpu", self.cpu, "memory", self.memory)
        if isinstance(self.containers, str) or not isinstance(self.containers, Sequence):
            raise ValidationError(
                "containers", f"must be a tuple of ContainerSpec, got {show(self.containers)}"
            )
        for i, container in enumerate(self.containers):
            # Each container checked its own values as it was built.
            if not isinstance(container, ContainerSpec):
                raise ValidationError(
                    f"containers[{i}]", f"must be a ContainerSpec, got {show(container)}"
                )
        names = [c.name for c in self.containers]
        if not names:
            raise ValidationError("containers", "at least one container is needed")
        for i, container in enumerate(self.containers):
            for dependency, _ in container.depends_on:
                if dependency not in names or dependency == container.name:
                    raise ValidationError(
                        f"containers[{i}].depends_on", f"{dependency!r} is not another container"
                    )
        if len(set(names)) != len(names):
            raise ValidationError("containers", "container names must be unique")
        ports = [c.port for c in self.containers if c.port is not None]
        if len(set(ports)) != len(ports):
            raise ValidationError(
                "containers", "containers share one network namespace: ports must differ"
            )
        if self.load_balanced.port is None:
            raise ValidationError(
                "load_balanced_container", f"{self.load_balanced_container!r} has no port"
            )
        size = self.largest_definition_bytes()
        if size > TASK_DEFINITION_MAX_BYTES:
            raise ValidationError(
                "containers",
                f"the task definition could take {size} bytes; ECS allows "
                f"{TASK_DEFINITION_MAX_BYTES} (shorten the environment)",
            )

    @property
    def load_balanced(self) -> ContainerSpec:
        for container in self.containers:
            if container.name == self.load_balanced_container:
                return container
        raise ValidationError(
            "load_balanced_container", f"{self.load_balanced_container!r} is not a container"
        )

    def volume_names(self) -> list[str]:
        return [c.volume_name(p) for c in self.containers for p in c.scratch_paths]

    def largest_definition_bytes(self) -> int:
        """The size a registered task definition of this spec can reach once every
        reference in it is resolved, bootstrap or release alike: checked against ECS's
        limit before anything is deployed."""
        target = RenderTarget(
            images={c.name: _WORST_CASE_IMAGE for c in self.containers},
            version=_WORST_CASE_VERSION,
            log_groups={c.name: _WORST_CASE_LOG_GROUP for c in self.containers},
            region=_WORST_CASE_REGION,
        )
        renderings = (
            render_container_definitions(self, target),
            render_container_definitions(self, replace(target, bootstrap=True)),
        )
        return _TASK_LEVEL_BYTES + max(len(json.dumps(r).encode()) for r in renderings)


@dataclass(frozen=True, kw_only=True)
class RenderTarget:
    """Where and what a rendering is for."""

    images: Mapping[str, str]
    """Image reference per container name."""
    version: str | None
    """Value of each container's ``version_variable``; None: leave it to the image."""
    log_groups: Mapping[str, str]
    """CloudWatch log group name per container name."""
    region: str
    bootstrap: bool = False
    """Render the bootstrap stand-ins' entry point, command and health check."""


def render_container_definitions(task: TaskSpec, target: RenderTarget) -> list[dict[str, Any]]:
    """ECS ``containerDefinitions`` for the task, in the API's camelCase shape.

    Empty collections are left out rather than rendered as ``[]``: ECS drops them, and an
    explicit empty list would show as a perpetual difference in ``terraform plan``.
    """
    return [_render_container(c, target) for c in task.containers]


def _render_container(spec: ContainerSpec, target: RenderTarget) -> dict[str, Any]:
    environment = dict(spec.environment)
    if spec.version_variable and target.version is not None:
        environment[spec.version_variable] = target.version
    health_check = spec.health_check
    entry_point: tuple[str, ...] | None = None
    command: tuple[str, ...] | None = None
    if target.bootstrap:
        entry_point, command = spec.bootstrap.entry_point, spec.bootstrap.command
        health_check = spec.bootstrap.health_check or health_check

    definition: dict[str, Any] = {
        "name": spec.name,
        "image": target.images[spec.name],
        "essential": spec.essential,
        "readonlyRootFilesystem": spec.readonly_root_filesystem,
        "stopTimeout": spec.stop_timeout_seconds,
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": target.log_groups[spec.name],
                "awslogs-region": target.region,
                "awslogs-stream-prefix": spec.name,
            },
        },
    }
    optional: dict[str, Any] = {
        "entryPoint": list(entry_point) if entry_point else None,
        "command": list(command) if command else None,
        "environment": [{"name": k, "value": v} for k, v in sorted(environment.items())],
        "secrets": [{"name": k, "valueFrom": v} for k, v in sorted(spec.secrets.items())],
        "portMappings": (
            [{"containerPort": spec.port, "hostPort": spec.port, "protocol": "tcp"}]
            if spec.port is not None
            else None
        ),
        "healthCheck": health_check.render() if health_check else None,
        "dependsOn": [{"containerName": n, "condition": c} for n, c in spec.depends_on],
        "mountPoints": [
            {"sourceVolume": spec.volume_name(p), "containerPath": p, "readOnly": False}
            for p in spec.scratch_paths
        ],
    }
    definition.update({k: v for k, v in optional.items() if v})
    return definition
