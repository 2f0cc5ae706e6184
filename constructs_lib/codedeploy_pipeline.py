"""CodeDeployPipeline: GitHub -> CodeBuild -> ECR -> CodeDeploy blue/green, least privilege.

The build gets its ``taskdef.json`` and ``appspec.yaml`` from SSM parameters this construct
renders from the service's :class:`~constructs_lib.container_spec.TaskSpec` (see
:mod:`constructs_lib.release_spec`): the repository holds no second copy of the task
definition, and a Terraform change to the containers reaches the next release.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from constructs import Construct

from constructs_lib import bindings as aws
from constructs_lib.bindings import Fn, ITerraformDependable, TerraformLocal, Token
from constructs_lib.container_spec import TaskSpec
from constructs_lib.iam import policy_document, service_trust_policy, statement
from constructs_lib.naming import IAM_ROLE_NAME_MAX, aws_name
from constructs_lib.release_spec import (
    ServiceTarget,
    TrafficRoutes,
    release_appspec,
    release_task_definition,
    to_yaml,
)
from constructs_lib.secure_bucket import SecureBucket, SecureBucketProps
from constructs_lib.validation import (
    ValidationError,
    check_int_range,
    check_log_retention,
    check_resource_prefix,
)

ALL_AT_ONCE = "CodeDeployDefault.ECSAllAtOnce"
PREDEFINED_ECS_CONFIGS = (
    ALL_AT_ONCE,
    "CodeDeployDefault.ECSCanary10Percent5Minutes",
    "CodeDeployDefault.ECSCanary10Percent15Minutes",
    "CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
    "CodeDeployDefault.ECSLinear10PercentEvery3Minutes",
)
# The AL2023 curated image; docker is all the build needs (Go runs inside the Dockerfile).
DEFAULT_BUILD_IMAGE = "aws/codebuild/amazonlinux-x86_64-standard:5.0"
BUILD_COMPUTE_TYPES = (
    "BUILD_GENERAL1_SMALL",
    "BUILD_GENERAL1_MEDIUM",
    "BUILD_GENERAL1_LARGE",
    "BUILD_GENERAL1_XLARGE",
    "BUILD_GENERAL1_2XLARGE",
)
# CodeDeploy's limits: traffic may wait 120 hours for approval, blue lives at most 2 days.
READY_WAIT_MAX_MINUTES = 7200
TERMINATION_WAIT_MAX_MINUTES = 2880
MAX_SHIFT_INTERVAL_MINUTES = 2880
SOURCE_NAMESPACE = "SourceVariables"
IMAGE_DETAIL_CONTAINER = "IMAGE1_NAME"
SOURCE_ARTIFACT = "SourceOutput"
BUILD_ARTIFACT = "BuildOutput"
ROLLBACK_EVENTS = ("DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST")
ECS_HOOK_EVENTS = (
    "BeforeInstall",
    "AfterInstall",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AfterAllowTraffic",
)
_REPOSITORY_RE = re.compile(r"^[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}$")
_BRANCH_RE = re.compile(r"^(?!/)(?!.*//)(?!.*\.\.)[A-Za-z0-9._/-]{1,255}(?<![/.])$")
_CONNECTION_ARN_RE = re.compile(
    r"^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection/[\w-]+$"
)
_CONNECTION_SERVICE_RE = re.compile(r":(codeconnections|codestar-connections):")
_BUILDSPEC_RE = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*\.ya?ml$")


@dataclass(frozen=True, kw_only=True)
class TrafficShift:
    """A custom deployment config: ``canary`` moves ``percentage`` first and the rest after
    ``interval_minutes``; ``linear`` moves ``percentage`` every ``interval_minutes``."""

    kind: Literal["canary", "linear"]
    percentage: int
    interval_minutes: int

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
    """A predefined ``CodeDeployDefault.ECS*`` config name, or a custom shift."""
    ready_wait_minutes: int = 0
    """0: shift traffic as soon as green is healthy. N: wait up to N minutes for someone to
    continue the deployment (console or ``aws deploy continue-deployment``), else stop it."""
    termination_wait_minutes: int = 5
    """Minutes the blue task set stays up after the shift: the window for a fast rollback."""
    alarm_names: Sequence[str] = ()
    """CloudWatch alarms that stop and roll back a deployment when they fire."""
    hooks: Mapping[str, str] = field(default_factory=dict)
    """AppSpec lifecycle hooks: event (e.g. ``AfterAllowTestTraffic``) -> Lambda function
    ARN. The deploy role may invoke exactly these functions."""
    log_retention_days: int = 30
    """Retention of the build logs."""
    artifact_expiry_days: int = 30
    artifact_force_destroy: bool = False
    """Let ``destroy`` delete the artifact bucket with its objects."""

    def __post_init__(self) -> None:
        check_resource_prefix("name_prefix", self.name_prefix, max_length=90)
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


def deployment_group_arn(*, partition: str, region: str, account: str, name_prefix: str) -> str:
    """The ARN of the deployment group a pipeline with this ``name_prefix`` creates, known
    before the pipeline exists: a hook's policy needs it while the deploy role's policy
    names the hook, so referencing the group itself would be a cycle."""
    group = f"{name_prefix}/{name_prefix}"
    return f"arn:{partition}:codedeploy:{region}:{account}:deploymentgroup:{group}"


def validate_pipeline_settings(
    *,
    repository: object,
    branch: object,
    connection_arn: object,
    buildspec_path: object,
    build_compute_type: object,
    build_timeout_minutes: object,
    artifact_expiry_days: object,
    field_prefix: str = "",
) -> None:
    f = field_prefix
    if not isinstance(repository, str) or not _REPOSITORY_RE.fullmatch(repository):
        raise ValidationError(
            f"{f}repository", f"must be a GitHub 'owner/name', got {repository!r}"
        )
    if not isinstance(branch, str) or not _BRANCH_RE.fullmatch(branch):
        raise ValidationError(f"{f}branch", f"{branch!r} is not a branch name")
    if connection_arn is not None and (
        not isinstance(connection_arn, str) or not _CONNECTION_ARN_RE.fullmatch(connection_arn)
    ):
        raise ValidationError(
            f"{f}connection_arn", f"{connection_arn!r} is not a CodeConnections connection ARN"
        )
    if (
        not isinstance(buildspec_path, str)
        or not _BUILDSPEC_RE.fullmatch(buildspec_path)
        or {".", ".."} & set(buildspec_path.split("/"))
    ):
        raise ValidationError(
            f"{f}buildspec_path", f"{buildspec_path!r} is not a relative path to a .yml file"
        )
    if build_compute_type not in BUILD_COMPUTE_TYPES:
        raise ValidationError(
            f"{f}build_compute_type",
            f"must be one of {', '.join(BUILD_COMPUTE_TYPES)}, got {build_compute_type!r}",
        )
    check_int_range(f"{f}build_timeout_minutes", build_timeout_minutes, 5, 480)
    check_int_range(f"{f}artifact_expiry_days", artifact_expiry_days, 1, 3650)


def validate_deployment_settings(
    *,
    deployment_config: object,
    ready_wait_minutes: object,
    termination_wait_minutes: object,
    field_prefix: str = "",
) -> None:
    f = field_prefix
    if isinstance(deployment_config, TrafficShift):
        deployment_config.validate(f"{f}traffic_shift.")
    elif deployment_config not in PREDEFINED_ECS_CONFIGS:
        raise ValidationError(
            f"{f}config",
            f"must be 'custom' or one of {', '.join(PREDEFINED_ECS_CONFIGS)}, "
            f"got {deployment_config!r}",
        )
    check_int_range(f"{f}ready_wait_minutes", ready_wait_minutes, 0, READY_WAIT_MAX_MINUTES)
    check_int_range(
        f"{f}termination_wait_minutes", termination_wait_minutes, 0, TERMINATION_WAIT_MAX_MINUTES
    )


class CodeDeployPipeline(Construct):
    """The release path of one service: a push to the branch builds both images, tags them
    with the commit id and deploys them blue/green."""

    def __init__(self, scope: Construct, id_: str, props: CodeDeployPipelineProps) -> None:
        super().__init__(scope, id_)
        self.props = props
        self._partition = aws.DataAwsPartition(self, "partition").partition
        self._account = aws.DataAwsCallerIdentity(self, "account").account_id

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
        self.taskdef_parameter, self.appspec_parameter = self._release_spec_parameters()
        self.deployment_config_name: str = self._deployment_config()
        self.application = aws.CodedeployApp(
            self, "application", name=props.name_prefix, compute_platform="ECS"
        )
        self.deployment_group = self._deployment_group()
        self.build_project = self._build_project()
        self.pipeline = self._pipeline()

        self.pipeline_name: str = self.pipeline.name
        self.pipeline_arn: str = self.pipeline.arn
        self.build_project_name: str = self.build_project.name
        self.application_name: str = self.application.name
        self.deployment_group_name: str = self.deployment_group.deployment_group_name
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

    def _release_spec_parameters(self) -> tuple[aws.SsmParameter, aws.SsmParameter]:
        props = self.props
        taskdef = release_task_definition(
            props.task,
            props.service,
            region=props.region,
            primary_container=props.primary_container,
        )
        appspec = release_appspec(props.task, props.service, hooks=props.hooks)
        base = f"/{props.name_prefix}/release"
        return (
            self._parameter(
                "taskdef-template",
                f"{base}/taskdef-template",
                "taskdef.json of every release (rendered from the stack's container spec)",
                json.dumps(taskdef, indent=1, sort_keys=True),
            ),
            self._parameter(
                "appspec-template",
                f"{base}/appspec-template",
                "appspec.yaml of every release (rendered from the stack's container spec)",
                to_yaml(appspec),
            ),
        )

    def _parameter(self, id_: str, name: str, description: str, value: str) -> aws.SsmParameter:
        return aws.SsmParameter(
            self,
            id_,
            name=name,
            description=description,
            type="String",
            # Not a secret: shown in `cdktf diff`, so a change to the release spec is reviewable.
            insecure_value=value,
            # Standard (free) while the value fits in 4 KB, advanced only if it outgrows it.
            tier="Intelligent-Tiering",
        )

    # --- deploy -------------------------------------------------------------------------

    def _deployment_config(self) -> str:
        config = self.props.deployment_config
        if not isinstance(config, TrafficShift):
            return config
        if config.kind == "canary":
            routing = aws.CodedeployDeploymentConfigTrafficRoutingConfig(
                type="TimeBasedCanary",
                time_based_canary=aws.CodedeployDeploymentConfigTrafficRoutingConfigTimeBasedCanary(
                    percentage=config.percentage, interval=config.interval_minutes
                ),
            )
        else:
            routing = aws.CodedeployDeploymentConfigTrafficRoutingConfig(
                type="TimeBasedLinear",
                time_based_linear=aws.CodedeployDeploymentConfigTrafficRoutingConfigTimeBasedLinear(
                    percentage=config.percentage, interval=config.interval_minutes
                ),
            )
        custom = aws.CodedeployDeploymentConfig(
            self,
            "deployment-config",
            deployment_config_name=f"{self.props.name_prefix}-{config.config_suffix}",
            compute_platform="ECS",
            traffic_routing_config=routing,
        )
        name: str = custom.deployment_config_name
        return name

    def _deployment_group(self) -> aws.CodedeployDeploymentGroup:
        props = self.props
        role, policy = self._role(
            "deploy",
            "codedeploy.amazonaws.com",
            f"Lets CodeDeploy switch {props.name_prefix} between blue and green",
            self._deploy_statements(),
        )
        ready_option = (
            aws.CodedeployDeploymentGroupBlueGreenDeploymentConfigDeploymentReadyOption(
                action_on_timeout="CONTINUE_DEPLOYMENT"
            )
            if props.ready_wait_minutes == 0
            else aws.CodedeployDeploymentGroupBlueGreenDeploymentConfigDeploymentReadyOption(
                action_on_timeout="STOP_DEPLOYMENT", wait_time_in_minutes=props.ready_wait_minutes
            )
        )
        events = list(ROLLBACK_EVENTS)
        alarms = None
        if props.alarm_names:
            events.append("DEPLOYMENT_STOP_ON_ALARM")
            alarms = aws.CodedeployDeploymentGroupAlarmConfiguration(
                enabled=True, alarms=list(props.alarm_names)
            )
        traffic = props.traffic
        return aws.CodedeployDeploymentGroup(
            self,
            "deployment-group",
            app_name=self.application.name,
            deployment_group_name=props.name_prefix,
            service_role_arn=role.arn,
            deployment_config_name=self.deployment_config_name,
            deployment_style=aws.CodedeployDeploymentGroupDeploymentStyle(
                deployment_option="WITH_TRAFFIC_CONTROL", deployment_type="BLUE_GREEN"
            ),
            blue_green_deployment_config=aws.CodedeployDeploymentGroupBlueGreenDeploymentConfig(
                deployment_ready_option=ready_option,
                terminate_blue_instances_on_deployment_success=aws.CodedeployDeploymentGroupBlueGreenDeploymentConfigTerminateBlueInstancesOnDeploymentSuccess(
                    action="TERMINATE",
                    termination_wait_time_in_minutes=props.termination_wait_minutes,
                ),
            ),
            ecs_service=aws.CodedeployDeploymentGroupEcsService(
                cluster_name=props.service.cluster_name, service_name=props.service.service_name
            ),
            load_balancer_info=aws.CodedeployDeploymentGroupLoadBalancerInfo(
                target_group_pair_info=aws.CodedeployDeploymentGroupLoadBalancerInfoTargetGroupPairInfo(
                    prod_traffic_route=aws.CodedeployDeploymentGroupLoadBalancerInfoTargetGroupPairInfoProdTrafficRoute(
                        listener_arns=[traffic.production_listener_arn]
                    ),
                    test_traffic_route=aws.CodedeployDeploymentGroupLoadBalancerInfoTargetGroupPairInfoTestTrafficRoute(
                        listener_arns=[traffic.test_listener_arn]
                    ),
                    target_group=[
                        aws.CodedeployDeploymentGroupLoadBalancerInfoTargetGroupPairInfoTargetGroup(
                            name=traffic.blue_target_group_name
                        ),
                        aws.CodedeployDeploymentGroupLoadBalancerInfoTargetGroupPairInfoTargetGroup(
                            name=traffic.green_target_group_name
                        ),
                    ],
                )
            ),
            auto_rollback_configuration=aws.CodedeployDeploymentGroupAutoRollbackConfiguration(
                enabled=True, events=events
            ),
            alarm_configuration=alarms,
            # The role must be able to act before the first deployment (the seed raced it).
            depends_on=[policy],
        )

    def _deploy_statements(self) -> list[dict[str, Any]]:
        """What CodeDeploy does in an ECS blue/green deployment, on this service only
        (instead of ``AWSCodeDeployRoleForECS``, which allows all of it on ``*``)."""
        service = self.props.service
        traffic = self.props.traffic
        task_sets = self._arn("ecs", f"task-set/{service.cluster_name}/{service.service_name}/*")
        statements = [
            statement(
                "ManageOwnService",
                ["ecs:DescribeServices", "ecs:UpdateServicePrimaryTaskSet"],
                [service.service_arn],
            ),
            # CreateTaskSet has no resource type in IAM: "*" narrowed by its condition keys.
            statement(
                "CreateGreenTaskSet",
                ["ecs:CreateTaskSet"],
                ["*"],
                {
                    "ArnEquals": {
                        "ecs:cluster": service.cluster_arn,
                        "ecs:service": service.service_arn,
                    }
                },
            ),
            statement("DeleteOldTaskSet", ["ecs:DeleteTaskSet"], [task_sets]),
            # Describe calls of Elastic Load Balancing have no resource-level permissions.
            statement(
                "ReadLoadBalancing",
                [
                    "elasticloadbalancing:DescribeListeners",
                    "elasticloadbalancing:DescribeRules",
                    "elasticloadbalancing:DescribeTargetGroups",
                ],
                ["*"],
            ),
            statement(
                "SwitchOwnListeners",
                ["elasticloadbalancing:ModifyListener"],
                [traffic.production_listener_arn, traffic.test_listener_arn],
            ),
            statement(
                "SwitchOwnListenerRules",
                ["elasticloadbalancing:ModifyRule"],
                [
                    self._listener_rules("production", traffic.production_listener_arn),
                    self._listener_rules("test", traffic.test_listener_arn),
                ],
            ),
            self._pass_task_roles("PassTaskRolesToGreen"),
        ]
        if self.props.hooks:
            statements.append(
                statement(
                    "InvokeOwnHooks",
                    ["lambda:InvokeFunction"],
                    sorted(set(self.props.hooks.values())),
                )
            )
        if self.props.alarm_names:
            statements.append(
                statement(
                    "ReadRollbackAlarms",
                    ["cloudwatch:DescribeAlarms"],
                    [self._arn("cloudwatch", f"alarm:{name}") for name in self.props.alarm_names],
                )
            )
        return statements

    def _listener_rules(self, listener: str, listener_arn: str) -> str:
        """ARN pattern of the rules of one listener, derived from its ARN. A Terraform local
        keeps the function call (and its quotes) out of the policy's JSON text."""
        rules = TerraformLocal(
            self,
            f"{listener}-listener-rules",
            Fn.replace(listener_arn, ":listener/", ":listener-rule/") + "/*",
        )
        pattern: str = rules.as_string
        return pattern

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
        project_arn = self._arn("codebuild", f"project/{name}")
        role, policy = self._role(
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
            build_timeout=props.build_timeout_minutes,
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
            "APPSPEC_PARAMETER": self.appspec_parameter.name,
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
                [self.taskdef_parameter.arn, self.appspec_parameter.arn],
            ),
        ]

    # --- pipeline -----------------------------------------------------------------------

    def _pipeline(self) -> aws.Codepipeline:
        props = self.props
        role, policy = self._role(
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
                self._stage(
                    "Deploy",
                    category="Deploy",
                    provider="CodeDeployToECS",
                    input_artifacts=[BUILD_ARTIFACT],
                    configuration={
                        "ApplicationName": self.application.name,
                        "DeploymentGroupName": self.deployment_group.deployment_group_name,
                        "TaskDefinitionTemplateArtifact": BUILD_ARTIFACT,
                        "TaskDefinitionTemplatePath": "taskdef.json",
                        "AppSpecTemplateArtifact": BUILD_ARTIFACT,
                        "AppSpecTemplatePath": "appspec.yaml",
                        "Image1ArtifactName": BUILD_ARTIFACT,
                        "Image1ContainerName": IMAGE_DETAIL_CONTAINER,
                    },
                ),
            ],
            depends_on=[policy],
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
        props = self.props
        bucket = self.artifacts.bucket_arn
        application = self._arn("codedeploy", f"application:{props.name_prefix}")
        group = self._arn("codedeploy", f"deploymentgroup:{props.name_prefix}/{props.name_prefix}")
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
            statement(
                "RegisterRelease",
                [
                    "codedeploy:GetApplication",
                    "codedeploy:GetApplicationRevision",
                    "codedeploy:RegisterApplicationRevision",
                ],
                [application],
            ),
            statement(
                "DeployToOwnGroup",
                ["codedeploy:CreateDeployment", "codedeploy:GetDeployment"],
                [group],
            ),
            statement(
                "ReadDeploymentConfig",
                ["codedeploy:GetDeploymentConfig"],
                [self._arn("codedeploy", f"deploymentconfig:{self.deployment_config_name}")],
            ),
            statement(
                "RegisterOwnTaskDefinition",
                ["ecs:RegisterTaskDefinition"],
                [self._arn("ecs", f"task-definition/{props.service.task_family}:*")],
            ),
            self._pass_task_roles("PassTaskRolesToRelease"),
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

    # --- shared -------------------------------------------------------------------------

    def _pass_task_roles(self, sid: str) -> dict[str, Any]:
        service = self.props.service
        return statement(
            sid,
            ["iam:PassRole"],
            [service.execution_role_arn, service.task_role_arn],
            {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
        )

    def _arn(self, service: str, resource: str) -> str:
        return f"arn:{self._partition}:{service}:{self.props.region}:{self._account}:{resource}"

    def _role(
        self,
        purpose: str,
        service_principal: str,
        description: str,
        statements: list[dict[str, Any]],
        *,
        source_arn: str | None = None,
    ) -> tuple[aws.IamRole, ITerraformDependable]:
        """A role only ``service_principal`` of this account may assume, with one inline
        policy; callers make the resources that use the role depend on the policy."""
        conditions: dict[str, dict[str, str]] = {
            "StringEquals": {"aws:SourceAccount": self._account}
        }
        if source_arn is not None:
            conditions["ArnLike"] = {"aws:SourceArn": source_arn}
        role = aws.IamRole(
            self,
            f"{purpose}-role",
            name=aws_name(self.props.name_prefix, purpose, max_length=IAM_ROLE_NAME_MAX),
            description=description,
            assume_role_policy=service_trust_policy(service_principal, conditions=conditions),
        )
        policy = aws.IamRolePolicy(
            self,
            f"{purpose}-policy",
            name=f"{purpose}-least-privilege",
            role=role.id,
            policy=policy_document(*statements),
        )
        return role, policy
