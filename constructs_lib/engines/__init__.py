"""The release engines: one module per way a blue/green release runs, owning what differs.

* :mod:`constructs_lib.engines.codedeploy`: CodeDeploy runs the release (task
  sets, listener swaps, an AppSpec with the verification hook).
* :mod:`constructs_lib.engines.ecs`: ECS runs it itself (``deploymentController =
  ECS``; CodePipeline's standard ``ECS`` deploy action, no CodeDeploy resource).

Each engine module gives, through :func:`engine`:

* :class:`~constructs_lib.fargate_service.FargateService` the control of its deployments
  (:class:`ServiceControl`): the deployment controller and configuration, what Terraform
  leaves to the engine, and the role the engine acts with;
* :class:`~constructs_lib.alb_blue_green.AlbBlueGreen` its listener wiring
  (:class:`TrafficWiring`): what the listeners do by default, what Terraform leaves to the
  engine at run time, and the listener rules the engine shifts, if any;
* :class:`~constructs_lib.verification_hook.VerificationHook` who runs it
  (:class:`HookRunner`): its entry point and stage, the AWS APIs it calls and may call, and
  the AppSpec entry, if any;
* the stack, where the release's alarms and hook go (:class:`ReleaseInputs`), and the
  release template's style (:class:`~constructs_lib.release_spec.TemplateStyle`);
* :class:`~constructs_lib.codedeploy_pipeline.CodeDeployPipeline` its release stage
  (:class:`ReleaseStage`): the release templates beside ``taskdef.json``, the resources the
  deploy action needs, the build's extra inputs and grants, the pipeline's grants and the
  deploy action. The pipeline's source and build know no engine;
* ``make timeline`` how to find and read its release in ``cdk.tf.json``
  (:class:`~constructs_lib.release_reading.ReleaseReader`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from constructs import Construct

from constructs_lib import bindings as aws
from constructs_lib.release_reading import ReleaseReader
from constructs_lib.release_spec import (
    DeploymentEngine,
    ServiceTarget,
    TemplateStyle,
    TrafficRoutes,
    TrafficShift,
)

if TYPE_CHECKING:
    import re

    from constructs_lib.container_spec import TaskSpec
    from constructs_lib.engines.ecs import NativeRelease
    from constructs_lib.framework import Framework
    from constructs_lib.pipeline_kit import PipelineKit
    from constructs_lib.verification_hook import VerificationHookProps


class ReleaseProps(Protocol):
    """What a pipeline tells its engine's release stage: the props of
    :class:`~constructs_lib.codedeploy_pipeline.CodeDeployPipeline` and of
    :class:`~constructs_lib.promotion_pipeline.PromotionPipeline` alike."""

    @property
    def name_prefix(self) -> str: ...
    @property
    def task(self) -> TaskSpec: ...
    @property
    def service(self) -> ServiceTarget: ...
    @property
    def traffic(self) -> TrafficRoutes: ...
    @property
    def deployment_config(self) -> str | TrafficShift: ...
    @property
    def ready_wait_minutes(self) -> int: ...
    @property
    def termination_wait_minutes(self) -> int: ...
    @property
    def alarm_names(self) -> Sequence[str]: ...
    @property
    def hooks(self) -> Mapping[str, str]: ...


class ServiceControl(Protocol):
    """Who controls an ECS service's deployments, and with what."""

    controller: str
    """The service's deployment controller (``CODE_DEPLOY`` or ``ECS``)."""
    ignore_changes: tuple[str, ...]
    """Service arguments the engine changes at run time (Terraform must not revert them)."""

    @property
    def infrastructure_role(self) -> aws.IamRole | None:
        """The role the engine acts on the service's load balancing with, if the service
        has one."""

    def release_resources(self, scope: Construct, name_prefix: str, account: str) -> list[Any]:
        """Create what the service needs before it exists; returns what it must wait for."""
        ...

    def deployment_configuration(self) -> aws.EcsServiceDeploymentConfiguration | None: ...

    def alarms(self) -> aws.EcsServiceAlarms | None: ...

    def advanced_configuration(
        self,
    ) -> aws.EcsServiceLoadBalancerAdvancedConfiguration | None: ...


class TrafficWiring(Protocol):
    """How an ALB's production and test listeners reach the blue and green target groups
    under an engine."""

    listener_ignore_changes: tuple[str, ...]
    """Listener arguments the engine changes at run time (Terraform must not revert them)."""

    def default_action(self, target_group_arn: str) -> aws.LbListenerDefaultAction:
        """A listener's default action; ``target_group_arn`` is its own colour's group."""
        ...

    def rules(
        self,
        scope: Construct,
        name_prefix: str,
        listeners: Mapping[str, aws.LbListener],
        target_group_arns: tuple[str, str],
    ) -> Mapping[str, aws.LbListenerRule]:
        """The rules the engine shifts, per listener role (``production``, ``test``)."""
        ...


class HookRunner(Protocol):
    """Who runs the verification hook, and how it gives its verdict."""

    runner: str
    """``CodeDeploy`` or ``ECS``."""
    stage: str
    """The lifecycle event or stage it runs at."""
    handler: str
    """The function's entry point in the handler module."""
    api_services: tuple[str, ...]
    """AWS APIs it calls: without NAT, the VPC needs an interface endpoint for each."""
    api_egress_description: str
    release_target: tuple[str, re.Pattern[str], str]
    """The prop naming what the hook reports on or reads (``deployment_group_arn`` or
    ``service_arn``), its format and what it is."""

    def appspec_hooks(self, function_arn: str) -> dict[str, str]:
        """The AppSpec ``Hooks`` entry the release must carry, if any."""
        ...

    def release_target_arn(
        self, *, partition: str, region: str, account: str, name_prefix: str
    ) -> str:
        """The ARN of :attr:`release_target` for a stack whose names derive from
        ``name_prefix``, known before the resource exists (no dependency cycle)."""
        ...

    def statements(self, props: VerificationHookProps) -> list[dict[str, Any]]:
        """What the function may do to give its verdict and read the version."""
        ...


class ReleaseInputs(Protocol):
    """Where a stack's release safety goes under an engine: its alarms and hook to the
    pipeline's deployment group (CodeDeploy) or to the service itself (ECS)."""

    def native_release(
        self,
        *,
        traffic: TrafficRoutes,
        shift: TrafficShift | None,
        bake_time_minutes: int,
        ready_wait_minutes: int,
        hook_function_arns: Sequence[str],
        alarm_names: Sequence[str],
    ) -> NativeRelease | None:
        """The service's own release settings, if the engine is the service's."""
        ...

    def pipeline_alarm_names(self, alarm_names: Sequence[str]) -> tuple[str, ...]:
        """The alarms the pipeline's deployment rolls back on."""
        ...


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


@dataclass(frozen=True)
class Engine:
    """Everything that differs between two ways of releasing, for each construct."""

    name: DeploymentEngine
    template_style: TemplateStyle
    """How the release template leaves images and version to the release."""
    service_control: Callable[[Any], ServiceControl]
    """From the service's ``native_release`` (required by one engine, refused by the other)."""
    traffic: TrafficWiring
    hook: HookRunner
    inputs: ReleaseInputs
    release_stage: Callable[[PipelineKit, ReleaseProps], ReleaseStage]
    validate_release: ReleaseLimits
    """What the engine cannot release (one-line errors naming the setting)."""
    check_pipeline_props: Callable[[ReleaseProps], None]
    """What a pipeline may not be given under the engine."""
    reader: ReleaseReader
    """How ``make timeline`` finds and reads the engine's release in a synthesized stack."""


class ReleaseLimits(Protocol):
    """``framework``: whose provider bindings will express the release (None: this
    process's, :func:`constructs_lib.framework.current`)."""

    def __call__(
        self,
        config: str | TrafficShift,
        ready_wait_minutes: int,
        termination_wait_minutes: int,
        *,
        field_prefix: str,
        shift_prefix: str,
        framework: Framework | None = None,
    ) -> None: ...


def all_engines() -> tuple[Engine, ...]:
    """Every engine, each module's ``ENGINE``."""
    from constructs_lib.engines import codedeploy, ecs

    return (codedeploy.ENGINE, ecs.ENGINE)


def engine(name: DeploymentEngine) -> Engine:
    """The engine called ``name`` (``codedeploy`` or ``ecs``)."""
    (found,) = (e for e in all_engines() if e.name == name)
    return found
