"""What every release pipeline is made of, whether it builds its images or promotes them.

* :class:`ReleasePipelineProps`: the props both pipelines take (the service, the engine's
  release settings, the release step's CodeBuild, artifacts, approval, hand-offs);
  :class:`~constructs_lib.codedeploy_pipeline.CodeDeployPipelineProps` adds the GitHub
  source and the build, :class:`~constructs_lib.promotion_pipeline.PromotionPipelineProps`
  the environment it promotes from.
* :class:`ReleaseParts`: the resources both build in the pipeline construct's own scope (so
  their addresses do not depend on which pipeline made them): the artifact bucket, the
  release templates in SSM, the engine's release stage, the approval, the hand-off
  publishing, and the pipeline role's common grants.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from constructs import Construct

from constructs_lib import bindings as aws
from constructs_lib import engines
from constructs_lib.container_spec import TaskSpec
from constructs_lib.engines import ReleaseStage
from constructs_lib.iam import statement
from constructs_lib.pipeline_kit import (
    BUILD_ARTIFACT,
    PIPELINE_ROLE,
    PipelineKit,
    action,
    artifact_statements,
    stage,
)
from constructs_lib.pipeline_settings import (
    ALL_AT_ONCE,
    validate_build_settings,
    validate_deployment_settings,
)
from constructs_lib.release_alarms import check_alarm_names
from constructs_lib.release_approval import ReleaseApproval, ReleaseApprovalProps, check_email
from constructs_lib.release_handoff import HandoffDestination
from constructs_lib.release_spec import (
    DeploymentEngine,
    ServiceTarget,
    TrafficRoutes,
    TrafficShift,
    check_engine,
    release_task_definition,
    template_text,
)
from constructs_lib.secure_bucket import SecureBucket, SecureBucketProps
from constructs_lib.validation import (
    ValidationError,
    check_arn,
    check_bool,
    check_log_retention,
    check_region,
    check_resource_prefix,
    check_unique,
    show,
)

# The AL2023 curated image; docker is all the build needs (Go runs inside the Dockerfile).
DEFAULT_BUILD_IMAGE = "aws/codebuild/amazonlinux-x86_64-standard:5.0"
ECS_HOOK_EVENTS = (
    "BeforeInstall",
    "AfterInstall",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AfterAllowTraffic",
)


@dataclass(frozen=True, kw_only=True)
class ReleasePipelineProps:
    name_prefix: str
    """Pipeline, project, application, deployment group and role names derive from it."""
    region: str
    task: TaskSpec
    """The same containers the service runs: ``taskdef.json`` is rendered from them."""
    primary_container: str
    """Container whose image reaches CodeDeploy through ``imageDetail.json``."""
    service: ServiceTarget
    traffic: TrafficRoutes
    engine: DeploymentEngine = "codedeploy"
    """Who releases: ``codedeploy`` (this construct's deployment group) or ``ecs`` (the
    service's own blue/green strategy; give :class:`FargateService` the matching
    ``NativeRelease``)."""
    build_image: str = DEFAULT_BUILD_IMAGE
    build_compute_type: str = "BUILD_GENERAL1_SMALL"
    build_timeout_minutes: int = 30
    deployment_config: str | TrafficShift = ALL_AT_ONCE
    """A predefined ``CodeDeployDefault.ECS*`` config name, or a custom shift. With engine
    ``ecs`` it sizes the deploy action's timeout (ECS runs the shift itself)."""
    ready_wait_minutes: int = 0
    """0: shift traffic as soon as green is healthy. N: wait up to N minutes for someone to
    continue the deployment (console or ``aws deploy continue-deployment``), else stop it.
    With engine ``ecs`` the service waits (its ``NativeRelease.ready_wait_minutes``, a pause
    hook; cdktn only) and this sizes the deploy action's timeout: give both the same."""
    termination_wait_minutes: int = 5
    """Minutes the blue task set stays up after the shift: the window for a fast rollback
    (engine ``ecs``: the service's bake time)."""
    alarm_names: Sequence[str] = ()
    """CloudWatch alarms that stop and roll back a deployment when they fire (CodeDeploy;
    with engine ``ecs`` they belong to the service)."""
    hooks: Mapping[str, str] = field(default_factory=dict)
    """AppSpec lifecycle hooks: event (e.g. ``AfterAllowTestTraffic``) -> Lambda function
    ARN. The deploy role may invoke exactly these functions. CodeDeploy only: with engine
    ``ecs`` hooks belong to the service."""
    log_retention_days: int = 30
    """Retention of the build logs."""
    artifact_expiry_days: int = 30
    artifact_force_destroy: bool = False
    """Let ``destroy`` delete the artifact bucket with its objects."""
    manual_approval: bool = False
    """A person approves each release before it deploys."""
    approval_emails: Sequence[str] = ()
    """Addresses notified of each release waiting for approval (with ``manual_approval``)."""
    publish_to: Sequence[HandoffDestination] = ()
    """Promoted environments: after a successful deploy, the release files (with their
    ``release.json``) are published to each one's hand-off bucket."""

    def __post_init__(self) -> None:
        check_resource_prefix("name_prefix", self.name_prefix, max_length=90)
        check_region("region", self.region)
        check_bool("manual_approval", self.manual_approval)
        if self.approval_emails and not self.manual_approval:
            raise ValidationError("approval_emails", "only with manual_approval")
        self._check_approval_emails()
        engines.engine(check_engine("engine", self.engine)).check_pipeline_props(self)
        unknown = sorted(set(self.hooks) - set(ECS_HOOK_EVENTS))
        if unknown:
            raise ValidationError(
                "hooks",
                f"{unknown[0]!r} is not an ECS lifecycle event ({', '.join(ECS_HOOK_EVENTS)})",
            )
        for event, function_arn in self.hooks.items():
            check_arn(f"hooks.{event}", function_arn)
        check_alarm_names("alarm_names", self.alarm_names)
        self._check_publish_to()
        # Every pipeline runs a CodeBuild step and keeps artifacts.
        validate_build_settings(
            build_compute_type=self.build_compute_type,
            build_timeout_minutes=self.build_timeout_minutes,
            artifact_expiry_days=self.artifact_expiry_days,
        )
        validate_deployment_settings(
            deployment_config=self.deployment_config,
            ready_wait_minutes=self.ready_wait_minutes,
            termination_wait_minutes=self.termination_wait_minutes,
            engine=self.engine,
        )
        check_log_retention("log_retention_days", self.log_retention_days)
        names = [c.name for c in self.task.containers]
        if self.primary_container not in names:
            raise ValidationError(
                "primary_container", f"{self.primary_container!r} is not a container"
            )
        for name in names:
            if name not in self.service.repository_urls:
                raise ValidationError("service.repository_urls", f"no repository for {name!r}")

    def _check_approval_emails(self) -> None:
        """The addresses ReleaseApproval subscribes, named as this props names them."""
        for i, email in enumerate(self.approval_emails):
            if not isinstance(email, str):
                raise ValidationError(
                    f"approval_emails[{i}]", f"{show(email)} is not an email address"
                )
            check_email(f"approval_emails[{i}]", email)
        check_unique("approval_emails", list(self.approval_emails))

    def _check_publish_to(self) -> None:
        for i, destination in enumerate(self.publish_to):
            if not isinstance(destination, HandoffDestination):
                raise ValidationError(
                    f"publish_to[{i}]", f"must be a HandoffDestination, got {show(destination)}"
                )
        # Each destination is a pipeline action named after its environment.
        check_unique("publish_to.environment", [d.environment for d in self.publish_to])


class ReleaseParts:
    """The resources every release pipeline has, made in ``scope`` (the pipeline)."""

    def __init__(self, scope: Construct, props: ReleasePipelineProps) -> None:
        self.props = props
        self.kit = PipelineKit(
            scope=scope,
            name_prefix=props.name_prefix,
            region=props.region,
            partition=aws.DataAwsPartition(scope, "partition").partition,
            account=aws.DataAwsCallerIdentity(scope, "account").account_id,
            service=props.service,
        )
        self.release: ReleaseStage = engines.engine(props.engine).release_stage(self.kit, props)
        """The engine's part: release files, deploy action and what they need."""
        self.artifacts = SecureBucket(
            scope,
            "artifacts",
            SecureBucketProps(
                name_prefix=props.name_prefix,
                purpose="artifacts",
                region=props.region,
                expire_after_days=props.artifact_expiry_days,
                force_destroy=props.artifact_force_destroy,
            ),
        )

    def release_files(self) -> None:
        """The release templates (``taskdef.json``, the engine's others) and what the
        engine deploys through."""
        self.taskdef_parameter = self._taskdef_parameter()
        self.appspec_parameter = self.release.release_parameters()
        self.release.create_release_resources()

    def _taskdef_parameter(self) -> aws.SsmParameter:
        props = self.props
        render = functools.partial(
            release_task_definition,
            props.task,
            props.service,
            region=props.region,
            primary_container=props.primary_container,
            style=engines.engine(props.engine).template_style,
        )
        return self.kit.parameter(
            "taskdef-template",
            f"/{props.name_prefix}/release/taskdef-template",
            "taskdef.json of every release (rendered from the stack's container spec)",
            template_text(self.release.taskdef_template(render)),
        )

    def release_environment(self, build: Mapping[str, str] | None = None) -> dict[str, str]:
        """What the release step of the buildspec reads: which images, the templates, the
        engine's inputs; ``build``: what a pipeline that builds the images adds."""
        props = self.props
        urls = props.service.repository_urls
        return {
            "RELEASE_IMAGES": " ".join(
                f"{c.name},{c.build_context},{urls[c.name]}" for c in props.task.containers
            ),
            **(build or {}),
            "PRIMARY_CONTAINER": props.primary_container,
            "TASKDEF_PARAMETER": self.taskdef_parameter.name,
            **self.release.build_environment(),
        }

    def release_timeout_minutes(self) -> int:
        """The configured build time, plus what the engine's part of the build may take."""
        return self.props.build_timeout_minutes + self.release.extra_build_minutes()

    def release_step_statements(self) -> list[dict[str, Any]]:
        """What the release step of the build reads and does for the engine."""
        return [
            statement(
                "ReadReleaseSpec",
                ["ssm:GetParameter"],
                [p.arn for p in (self.taskdef_parameter, self.appspec_parameter) if p],
            ),
            *self.release.build_statements(),
        ]

    def approval(self, scope: Construct) -> ReleaseApproval | None:
        props = self.props
        if not props.manual_approval:
            return None
        return ReleaseApproval(
            scope,
            "approval",
            ReleaseApprovalProps(name_prefix=props.name_prefix, emails=props.approval_emails),
        )

    def pipeline(
        self,
        scope: Construct,
        *,
        description: str,
        statements: Sequence[dict[str, Any]],
        sources: Sequence[aws.CodepipelineStage],
        deploy: aws.CodepipelineStage,
        approval: ReleaseApproval | None,
        trigger: Sequence[aws.CodepipelineTrigger] | None = None,
    ) -> aws.Codepipeline:
        """The pipeline: ``sources`` (its source and build), the approval if any, ``deploy``,
        then the hand-offs; run by a role with ``statements`` (what its own stages do) and
        what every release pipeline does."""
        role, policy = self.kit.role(
            PIPELINE_ROLE,
            "codepipeline.amazonaws.com",
            description,
            self._pipeline_statements(statements, approval),
        )
        return aws.Codepipeline(
            scope,
            "pipeline",
            name=self.props.name_prefix,
            pipeline_type="V2",
            # A newer run overtakes one still waiting (for approval, say): the newest release
            # is what ships.
            execution_mode="SUPERSEDED",
            role_arn=role.arn,
            artifact_store=[
                aws.CodepipelineArtifactStore(location=self.artifacts.bucket_name, type="S3")
            ],
            trigger=list(trigger) if trigger else None,
            stage=[
                *sources,
                *([approval.stage()] if approval else []),
                deploy,
                *self._publish_stages(),
            ],
            depends_on=[policy],
        )

    def run_project_statement(self, sid: str, project: aws.CodebuildProject) -> dict[str, Any]:
        """The pipeline runs one of its CodeBuild projects."""
        return statement(
            sid,
            ["codebuild:BatchGetBuilds", "codebuild:StartBuild", "codebuild:StopBuild"],
            [project.arn],
        )

    def _publish_stages(self) -> list[aws.CodepipelineStage]:
        """After a successful deploy only: the release for each promoted environment."""
        destinations = self.props.publish_to
        if not destinations:
            return []
        return [
            stage(
                "Publish",
                *(
                    action(
                        f"To-{d.environment}",
                        category="Deploy",
                        provider="S3",
                        input_artifacts=[BUILD_ARTIFACT],
                        # The artifact as it is, one zip: the promoted pipeline's source.
                        configuration={
                            "BucketName": d.bucket_name,
                            "ObjectKey": d.object_key,
                            "Extract": "false",
                        },
                    )
                    for d in destinations
                ),
            )
        ]

    def _pipeline_statements(
        self, own: Sequence[dict[str, Any]], approval: ReleaseApproval | None
    ) -> list[dict[str, Any]]:
        """The pipeline role: its artifacts, ``own`` (source and build), the release, the
        approval's topic and the hand-offs it publishes."""
        keys = [f"{d.bucket_arn}/{d.object_key}" for d in self.props.publish_to]
        return [
            *artifact_statements(self.artifacts.bucket_arn),
            *own,
            *self.release.pipeline_statements(),
            self.kit.pass_task_roles("PassTaskRolesToRelease"),
            *(approval.pipeline_statements() if approval else []),
            *([statement("PublishReleases", ["s3:PutObject"], keys)] if keys else []),
        ]
