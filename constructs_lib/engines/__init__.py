"""The release engines: one module per way a blue/green release runs, owning what differs.

* :mod:`constructs_lib.engines.codedeploy_release`: CodeDeploy runs the release (task
  sets, listener swaps, an AppSpec with the verification hook).
* :mod:`constructs_lib.engines.ecs_release`: ECS runs it itself (``deploymentController =
  ECS``; CodePipeline's standard ``ECS`` deploy action, no CodeDeploy resource).

Each engine module gives :class:`~constructs_lib.codedeploy_pipeline.CodeDeployPipeline` its
release stage (:class:`ReleaseStage`): the release templates beside ``taskdef.json``, the
resources the deploy action needs, the build's extra inputs and grants, the pipeline's
grants and the deploy action. The pipeline's source and build know no engine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from constructs_lib import bindings as aws


class ReleaseStage(Protocol):
    """What a pipeline asks of the engine that releases its builds."""

    application_name: str | None
    """The CodeDeploy application (None when CodeDeploy takes no part)."""
    deployment_group_name: str | None
    deployment_config_name: str | None
    release_spec: str | None
    """The id of the container spec releases run (``RELEASE_SPEC``), where the engine needs
    one."""

    def taskdef_template(self, render: Callable[..., dict[str, Any]]) -> Mapping[str, Any]:
        """``taskdef.json`` of every release, from the pipeline's renderer."""
        ...

    def release_parameters(self) -> aws.SsmParameter | None:
        """The release files beside ``taskdef.json`` (CodeDeploy's AppSpec), if any."""
        ...

    def create_release_resources(self) -> None:
        """What the deploy action deploys through (a CodeDeploy application and group)."""
        ...

    def extra_build_minutes(self) -> int:
        """Build time the engine adds (a release the build itself may run)."""
        ...

    def build_environment(self) -> dict[str, str]:
        """The buildspec's engine-specific inputs."""
        ...

    def build_statements(self) -> list[dict[str, Any]]:
        """What the build may do for the engine, besides building and pushing."""
        ...

    def pipeline_statements(self) -> list[dict[str, Any]]:
        """What the pipeline's deploy action does as the pipeline role."""
        ...

    def deploy_action(self) -> tuple[str, dict[str, str]]:
        """The deploy action's provider and configuration."""
        ...
