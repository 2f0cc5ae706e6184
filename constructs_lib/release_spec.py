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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from constructs_lib.container_spec import RenderTarget, TaskSpec, render_container_definitions

IMAGE_PLACEHOLDER = "<IMAGE1_NAME>"
"""Filled by the ``CodeDeployToECS`` action from ``imageDetail.json`` (primary image)."""
TASK_DEFINITION_PLACEHOLDER = "<TASK_DEFINITION>"
"""Filled by the ``CodeDeployToECS`` action with the revision it registers."""
_PLAIN_KEY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
VERSION_PLACEHOLDER = "<SOURCE_VERSION>"
"""Filled by the build with the commit id: the version variable and every image tag."""


@dataclass(frozen=True, kw_only=True)
class ServiceTarget:
    """The ECS side of a release: what :class:`FargateService` exposes, or the same facts
    about a service managed elsewhere."""

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


@dataclass(frozen=True, kw_only=True)
class TrafficRoutes:
    """The load balancer side of a release: what :class:`AlbBlueGreen` exposes."""

    production_listener_arn: str
    test_listener_arn: str
    blue_target_group_name: str
    green_target_group_name: str


def release_task_definition(
    task: TaskSpec, target: ServiceTarget, *, region: str, primary_container: str
) -> dict[str, Any]:
    """The ``RegisterTaskDefinition`` input a release registers, with placeholders.

    The primary container's image is :data:`IMAGE_PLACEHOLDER` (CodeDeploy fills it); every
    other image is its repository at tag :data:`VERSION_PLACEHOLDER`, which the build
    replaces along with the version variable.
    """
    images = {
        c.name: (
            IMAGE_PLACEHOLDER
            if c.name == primary_container
            else f"{target.repository_urls[c.name]}:{VERSION_PLACEHOLDER}"
        )
        for c in task.containers
    }
    definitions = render_container_definitions(
        task,
        RenderTarget(
            images=images,
            version=VERSION_PLACEHOLDER,
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
    return rendered


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
