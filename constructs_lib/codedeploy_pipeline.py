"""CodeDeployPipeline: GitHub -> CodeBuild -> ECR -> blue/green release, least privilege.

Two engines run the release (:data:`~constructs_lib.release_spec.DeploymentEngine`):

* ``codedeploy``: the deploy stage is ``CodeDeployToECS`` with this construct's CodeDeploy
  application, deployment group and (custom) deployment config.
* ``ecs``: the deploy stage is CodePipeline's standard ``ECS`` action; ECS itself shifts the
  traffic (see :class:`~constructs_lib.fargate_service.NativeRelease`), so there is no
  CodeDeploy resource at all.

The source (a push to the branch) and the build (tests, images, the release files) are the
same for both; what differs lives in the engine's release stage
(:mod:`constructs_lib.engines`), which this construct composes.

The build gets its ``taskdef.json`` (and, for CodeDeploy, ``appspec.yaml``) from SSM
parameters this construct renders from the service's
:class:`~constructs_lib.container_spec.TaskSpec` (see :mod:`constructs_lib.release_spec`): the
repository holds no second copy of the task definition, and a Terraform change to the
containers reaches the next release.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from constructs import Construct

from constructs_lib import bindings as aws
from constructs_lib import engines
from constructs_lib.bindings import Fn, TerraformLocal, Token
from constructs_lib.container_spec import TaskSpec
from constructs_lib.engines import ReleaseStage
from constructs_lib.engines.codedeploy import (
    IMAGE_DETAIL_CONTAINER,
    ROLLBACK_EVENTS,
    deployment_group_arn,
)
from constructs_lib.engines.ecs import (
    ECS_ACTION_MAX_MINUTES,
    ECS_BAKE_MAX_MINUTES,
    ECS_LINEAR_MIN_PERCENT,
    ECS_RELEASE_OVERHEAD_MINUTES,
    IMAGE_DEFINITIONS,
    ecs_release_minutes,
)
from constructs_lib.iam import statement
from constructs_lib.naming import aws_name
from constructs_lib.pipeline_kit import BUILD_ARTIFACT, SOURCE_ARTIFACT, PipelineKit
from constructs_lib.pipeline_settings import (
    ALL_AT_ONCE,
    BUILD_COMPUTE_TYPES,
    PREDEFINED_ECS_CONFIGS,
    READY_WAIT_MAX_MINUTES,
    TERMINATION_WAIT_MAX_MINUTES,
    validate_deployment_settings,
    validate_pipeline_settings,
)
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
    check_log_retention,
    check_resource_prefix,
)

# The AL2023 curated image; docker is all the build needs (Go runs inside the Dockerfile).
DEFAULT_BUILD_IMAGE = "aws/codebuild/amazonlinux-x86_64-standard:5.0"
SOURCE_NAMESPACE = "SourceVariables"
# Kept importable from here for existing users.
__all__ = [
    "ALL_AT_ONCE",
    "BUILD_ARTIFACT",
    "BUILD_COMPUTE_TYPES",
    "ECS_ACTION_MAX_MINUTES",
    "ECS_BAKE_MAX_MINUTES",
    "ECS_LINEAR_MIN_PERCENT",
    "ECS_RELEASE_OVERHEAD_MINUTES",
    "IMAGE_DEFINITIONS",
    "IMAGE_DETAIL_CONTAINER",
    "PREDEFINED_ECS_CONFIGS",
    "READY_WAIT_MAX_MINUTES",
    "ROLLBACK_EVENTS",
    "SOURCE_ARTIFACT",
    "TERMINATION_WAIT_MAX_MINUTES",
    "CodeDeployPipeline",
    "CodeDeployPipelineProps",
    "deployment_group_arn",
    "ecs_release_minutes",
    "validate_deployment_settings",
    "validate_pipeline_settings",
]
ECS_HOOK_EVENTS = (
    "BeforeInstall",
    "AfterInstall",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AfterAllowTraffic",
)
_CONNECTION_SERVICE_RE = re.compile(r":(codeconnections|codestar-connections):")


@dataclass(frozen=True, kw_only=True)
class CodeDeployPipelineProps:
    name_prefix: str
    """Pipeline, project, application, deployment group and role names derive from it."""
    region: str
    repository: str
    """GitHub repository, ``owner/name``."""
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
    branch: str = "main"
    """Pushes to this branch release."""
    file_path_filters: Sequence[str] = ()
    """Glob patterns: only pushes touching a matching file release (empty: any push)."""
    connection_arn: str | None = None
    """An existing CodeConnections (or CodeStar Connections) connection; ``None`` creates
    one, which someone must activate once in the console."""
    buildspec_path: str = "app/buildspec.yml"
    """Path of the buildspec in the repository."""
    build_image: str = DEFAULT_BUILD_IMAGE
    build_compute_type: str = "BUILD_GENERAL1_SMALL"
    build_timeout_minutes: int = 30
    deployment_config: str | TrafficShift = ALL_AT_ONCE
    """A predefined ``CodeDeployDefault.ECS*`` config name, or a custom shift. With engine
    ``ecs`` it sizes the deploy action's timeout (ECS runs the shift itself)."""
    ready_wait_minutes: int = 0
    """0: shift traffic as soon as green is healthy. N: wait up to N minutes for someone to
    continue the deployment (console or ``aws deploy continue-deployment``), else stop it.
    CodeDeploy only."""
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

    def __post_init__(self) -> None:
        check_resource_prefix("name_prefix", self.name_prefix, max_length=90)
        engines.engine(check_engine("engine", self.engine)).check_pipeline_props(self)
        unknown = sorted(set(self.hooks) - set(ECS_HOOK_EVENTS))
        if unknown:
            raise ValidationError(
                "hooks",
                f"{unknown[0]!r} is not an ECS lifecycle event ({', '.join(ECS_HOOK_EVENTS)})",
            )
        validate_pipeline_settings(
            repository=self.repository,
            branch=self.branch,
            connection_arn=self.connection_arn,
            buildspec_path=self.buildspec_path,
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


class CodeDeployPipeline(Construct):
    """The release path of one service: a push to the branch builds both images, tags them
    with the commit id and deploys them blue/green, through CodeDeploy or ECS itself
    (``props.engine``: its release stage, :mod:`constructs_lib.engines`)."""

    def __init__(self, scope: Construct, id_: str, props: CodeDeployPipelineProps) -> None:
        super().__init__(scope, id_)
        self.props = props
        self._kit = PipelineKit(
            scope=self,
            name_prefix=props.name_prefix,
            region=props.region,
            partition=aws.DataAwsPartition(self, "partition").partition,
            account=aws.DataAwsCallerIdentity(self, "account").account_id,
            service=props.service,
        )
        self.release: ReleaseStage = engines.engine(props.engine).release_stage(self._kit, props)
        """The engine's part: release files, deploy action and what they need."""

        self.artifacts = SecureBucket(
            self,
            "artifacts",
            SecureBucketProps(
                name_prefix=props.name_prefix,
                purpose="artifacts",
                region=props.region,
                expire_after_days=props.artifact_expiry_days,
                force_destroy=props.artifact_force_destroy,
            ),
        )
        self.connection_arn: str = props.connection_arn or self._connection()
        self.taskdef_parameter = self._taskdef_parameter()
        self.appspec_parameter = self.release.release_parameters()
        self.release_spec: str | None = self.release.release_spec
        """Engine ``ecs``: the id of the container spec releases run (``RELEASE_SPEC``)."""
        self.release.create_release_resources()
        self.deployment_config_name: str | None = self.release.deployment_config_name
        self.application_name: str | None = self.release.application_name
        """The CodeDeploy application (None with engine ``ecs``)."""
        self.deployment_group_name: str | None = self.release.deployment_group_name
        """The CodeDeploy deployment group (None with engine ``ecs``)."""
        self.build_project = self._build_project()
        self.pipeline = self._pipeline()

        self.pipeline_name: str = self.pipeline.name
        self.pipeline_arn: str = self.pipeline.arn
        self.build_project_name: str = self.build_project.name
        self.artifact_bucket_name: str = self.artifacts.bucket_name

    # --- source -------------------------------------------------------------------------

    def _connection(self) -> str:
        connection = aws.CodeconnectionsConnection(
            self,
            "github",
            name=aws_name(self.props.name_prefix, "github", max_length=32),
            provider_type="GitHub",
        )
        arn: str = connection.arn
        return arn

    # --- the release spec, rendered from the TaskSpec -----------------------------------

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
        return self._kit.parameter(
            "taskdef-template",
            f"/{props.name_prefix}/release/taskdef-template",
            "taskdef.json of every release (rendered from the stack's container spec)",
            template_text(self.release.taskdef_template(render)),
        )

    # --- build --------------------------------------------------------------------------

    def _build_project(self) -> aws.CodebuildProject:
        props = self.props
        name = f"{props.name_prefix}-build"
        log_group = aws.CloudwatchLogGroup(
            self,
            "build-logs",
            name=f"/aws/codebuild/{name}",
            retention_in_days=props.log_retention_days,
        )
        project_arn = self._kit.arn("codebuild", f"project/{name}")
        role, policy = self._kit.role(
            "build",
            "codebuild.amazonaws.com",
            f"Lets CodeBuild build and push the {props.name_prefix} images",
            self._build_statements(log_group.arn),
            source_arn=project_arn,
        )
        return aws.CodebuildProject(
            self,
            "build",
            name=name,
            description=f"Tests, builds and pushes the {props.name_prefix} images",
            service_role=role.arn,
            build_timeout=self.build_timeout_minutes(),
            queued_timeout=60,
            source=aws.CodebuildProjectSource(type="CODEPIPELINE", buildspec=props.buildspec_path),
            artifacts=aws.CodebuildProjectArtifacts(type="CODEPIPELINE"),
            environment=aws.CodebuildProjectEnvironment(
                type="LINUX_CONTAINER",
                compute_type=props.build_compute_type,
                image=props.build_image,
                image_pull_credentials_type="CODEBUILD",
                privileged_mode=True,  # docker builds need the daemon
                environment_variable=[
                    aws.CodebuildProjectEnvironmentEnvironmentVariable(name=k, value=v)
                    for k, v in self.build_environment().items()
                ],
            ),
            cache=aws.CodebuildProjectCache(
                type="LOCAL", modes=["LOCAL_DOCKER_LAYER_CACHE", "LOCAL_SOURCE_CACHE"]
            ),
            logs_config=aws.CodebuildProjectLogsConfig(
                cloudwatch_logs=aws.CodebuildProjectLogsConfigCloudwatchLogs(
                    status="ENABLED", group_name=log_group.name
                )
            ),
            depends_on=[policy],
        )

    def build_timeout_minutes(self) -> int:
        """The configured build time, plus what the engine's part of the build may take."""
        return self.props.build_timeout_minutes + self.release.extra_build_minutes()

    def build_environment(self) -> dict[str, str]:
        """The buildspec's inputs: which images to build from where, and the release spec."""
        props = self.props
        urls = props.service.repository_urls
        return {
            "RELEASE_IMAGES": " ".join(
                f"{c.name},{c.build_context},{urls[c.name]}" for c in props.task.containers
            ),
            "TEST_TARGETS": " ".join(
                f"{c.build_context},{c.test_target}" for c in props.task.containers if c.test_target
            ),
            "PRIMARY_CONTAINER": props.primary_container,
            "TASKDEF_PARAMETER": self.taskdef_parameter.name,
            **self.release.build_environment(),
        }

    def _build_statements(self, log_group_arn: str) -> list[dict[str, Any]]:
        repositories = list(self.props.service.repository_arns.values())
        bucket = self.artifacts.bucket_arn
        return [
            statement(
                "WriteBuildLogs",
                ["logs:CreateLogStream", "logs:PutLogEvents"],
                [f"{log_group_arn}:log-stream:*"],
            ),
            statement(
                "ReadSourceWriteBuildOutput",
                ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
                [f"{bucket}/*"],
            ),
            statement(
                "LocateArtifactBucket", ["s3:GetBucketAcl", "s3:GetBucketLocation"], [bucket]
            ),
            # ecr:GetAuthorizationToken has no resource-level permissions: AWS requires "*".
            statement("EcrLogin", ["ecr:GetAuthorizationToken"], ["*"]),
            statement(
                "PushOwnImages",
                [
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:CompleteLayerUpload",
                    "ecr:DescribeImages",
                    "ecr:GetDownloadUrlForLayer",
                    "ecr:InitiateLayerUpload",
                    "ecr:PutImage",
                    "ecr:UploadLayerPart",
                ],
                repositories,
            ),
            statement(
                "ReadReleaseSpec",
                ["ssm:GetParameter"],
                [p.arn for p in (self.taskdef_parameter, self.appspec_parameter) if p],
            ),
            *self.release.build_statements(),
        ]

    # --- pipeline -----------------------------------------------------------------------

    def _pipeline(self) -> aws.Codepipeline:
        props = self.props
        role, policy = self._kit.role(
            "pipeline",
            "codepipeline.amazonaws.com",
            f"Runs the {props.name_prefix} release pipeline",
            self._pipeline_statements(),
        )
        file_paths = (
            aws.CodepipelineTriggerGitConfigurationPushFilePaths(
                includes=list(props.file_path_filters)
            )
            if props.file_path_filters
            else None
        )
        return aws.Codepipeline(
            self,
            "pipeline",
            name=props.name_prefix,
            pipeline_type="V2",
            # A newer commit overtakes one still waiting: the newest push is what ships.
            execution_mode="SUPERSEDED",
            role_arn=role.arn,
            artifact_store=[
                aws.CodepipelineArtifactStore(location=self.artifacts.bucket_name, type="S3")
            ],
            trigger=[
                aws.CodepipelineTrigger(
                    provider_type="CodeStarSourceConnection",
                    git_configuration=aws.CodepipelineTriggerGitConfiguration(
                        source_action_name="Source",
                        push=[
                            aws.CodepipelineTriggerGitConfigurationPush(
                                branches=aws.CodepipelineTriggerGitConfigurationPushBranches(
                                    includes=[props.branch]
                                ),
                                file_paths=file_paths,
                            )
                        ],
                    ),
                )
            ],
            stage=[
                self._stage(
                    "Source",
                    category="Source",
                    provider="CodeStarSourceConnection",
                    output_artifacts=[SOURCE_ARTIFACT],
                    namespace=SOURCE_NAMESPACE,
                    configuration={
                        "ConnectionArn": self.connection_arn,
                        "FullRepositoryId": props.repository,
                        "BranchName": props.branch,
                        "OutputArtifactFormat": "CODE_ZIP",
                        # The push trigger above starts the pipeline; no second detector.
                        "DetectChanges": "false",
                    },
                ),
                self._stage(
                    "Build",
                    category="Build",
                    provider="CodeBuild",
                    input_artifacts=[SOURCE_ARTIFACT],
                    output_artifacts=[BUILD_ARTIFACT],
                    configuration={
                        "ProjectName": self.build_project.name,
                        "EnvironmentVariables": json.dumps(
                            [
                                {
                                    "name": "SOURCE_COMMIT",
                                    "value": f"#{{{SOURCE_NAMESPACE}.CommitId}}",
                                    "type": "PLAINTEXT",
                                }
                            ]
                        ),
                    },
                ),
                self._deploy_stage(),
            ],
            depends_on=[policy],
        )

    def _deploy_stage(self) -> aws.CodepipelineStage:
        """The engine's deploy action on the build's output."""
        provider, configuration = self.release.deploy_action()
        return self._stage(
            "Deploy",
            category="Deploy",
            provider=provider,
            input_artifacts=[BUILD_ARTIFACT],
            configuration=configuration,
        )

    @staticmethod
    def _stage(
        name: str,
        *,
        category: str,
        provider: str,
        configuration: dict[str, str],
        input_artifacts: Sequence[str] = (),
        output_artifacts: Sequence[str] = (),
        namespace: str | None = None,
    ) -> aws.CodepipelineStage:
        return aws.CodepipelineStage(
            name=name,
            action=[
                aws.CodepipelineStageAction(
                    name=name,
                    category=category,
                    owner="AWS",
                    provider=provider,
                    version="1",
                    input_artifacts=list(input_artifacts) or None,
                    output_artifacts=list(output_artifacts) or None,
                    namespace=namespace,
                    configuration=configuration,
                )
            ],
        )

    def _pipeline_statements(self) -> list[dict[str, Any]]:
        bucket = self.artifacts.bucket_arn
        return [
            statement(
                "MoveArtifacts",
                ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:PutObjectAcl"],
                [f"{bucket}/*"],
            ),
            statement(
                "InspectArtifactBucket",
                ["s3:GetBucketAcl", "s3:GetBucketLocation", "s3:GetBucketVersioning"],
                [bucket],
            ),
            # Connections created since mid-2024 have codeconnections ARNs, older ones
            # codestar-connections ARNs, and either API name may be called: each action is
            # granted on the connection's ARN spelled with its own service prefix.
            statement(
                "UseOwnConnection",
                ["codeconnections:UseConnection"],
                [self._connection_arn_as("codeconnections")],
            ),
            statement(
                "UseOwnConnectionLegacyName",
                ["codestar-connections:UseConnection"],
                [self._connection_arn_as("codestar-connections")],
            ),
            statement(
                "RunOwnBuild",
                ["codebuild:BatchGetBuilds", "codebuild:StartBuild", "codebuild:StopBuild"],
                [self.build_project.arn],
            ),
            *self.release.pipeline_statements(),
            self._kit.pass_task_roles("PassTaskRolesToRelease"),
        ]

    def _connection_arn_as(self, prefix: str) -> str:
        arn = self.connection_arn
        if not Token.is_unresolved(arn):
            return _CONNECTION_SERVICE_RE.sub(f":{prefix}:", arn, count=1)
        spelled = TerraformLocal(
            self,
            f"connection-arn-{prefix}",
            Fn.replace(arn, "/:(codeconnections|codestar-connections):/", f":{prefix}:"),
        )
        value: str = spelled.as_string
        return value
