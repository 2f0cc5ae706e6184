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

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from constructs import Construct

from constructs_lib import bindings as aws
from constructs_lib.bindings import Fn, TerraformLocal, Token
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
from constructs_lib.pipeline_kit import (
    BUILD_ARTIFACT,
    SOURCE_ARTIFACT,
    ProjectSpec,
    action,
    deploy_action,
    stage,
)
from constructs_lib.pipeline_settings import (
    ALL_AT_ONCE,
    BUILD_COMPUTE_TYPES,
    PREDEFINED_ECS_CONFIGS,
    READY_WAIT_MAX_MINUTES,
    TERMINATION_WAIT_MAX_MINUTES,
    validate_deployment_settings,
    validate_pipeline_settings,
    validate_source_settings,
)
from constructs_lib.release_pipeline import (
    DEFAULT_BUILD_IMAGE,
    ECS_HOOK_EVENTS,
    ReleaseParts,
    ReleasePipelineProps,
)

SOURCE_NAMESPACE = "SourceVariables"
# Kept importable from here for existing users.
__all__ = [
    "ALL_AT_ONCE",
    "BUILD_ARTIFACT",
    "BUILD_COMPUTE_TYPES",
    "DEFAULT_BUILD_IMAGE",
    "ECS_ACTION_MAX_MINUTES",
    "ECS_BAKE_MAX_MINUTES",
    "ECS_HOOK_EVENTS",
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
_CONNECTION_SERVICE_RE = re.compile(r":(codeconnections|codestar-connections):")


@dataclass(frozen=True, kw_only=True)
class CodeDeployPipelineProps(ReleasePipelineProps):
    """A pipeline that builds its images from GitHub, then releases them (the release
    props: :class:`~constructs_lib.release_pipeline.ReleasePipelineProps`)."""

    repository: str
    """GitHub repository, ``owner/name``."""
    branch: str = "main"
    """Pushes to this branch release."""
    file_path_filters: Sequence[str] = ()
    """Glob patterns: only pushes touching a matching file release (empty: any push)."""
    connection_arn: str | None = None
    """An existing CodeConnections (or CodeStar Connections) connection; ``None`` creates
    one, which someone must activate once in the console."""
    buildspec_path: str = "app/buildspec.yml"
    """Path of the buildspec in the repository."""

    def __post_init__(self) -> None:
        super().__post_init__()
        validate_source_settings(
            repository=self.repository,
            branch=self.branch,
            connection_arn=self.connection_arn,
            buildspec_path=self.buildspec_path,
        )


class CodeDeployPipeline(Construct):
    """The release path of one service: a push to the branch builds both images, tags them
    with the commit id and deploys them blue/green, through CodeDeploy or ECS itself
    (``props.engine``: its release stage, :mod:`constructs_lib.engines`)."""

    def __init__(self, scope: Construct, id_: str, props: CodeDeployPipelineProps) -> None:
        super().__init__(scope, id_)
        self.props = props
        self._parts = ReleaseParts(self, props)
        self._kit = self._parts.kit
        self.release: ReleaseStage = self._parts.release
        """The engine's part: release files, deploy action and what they need."""
        self.artifacts = self._parts.artifacts
        self.connection_arn: str = props.connection_arn or self._connection()
        self._parts.release_files()
        self.taskdef_parameter = self._parts.taskdef_parameter
        self.appspec_parameter = self._parts.appspec_parameter
        self.release_spec: str | None = self.release.release_spec
        """Engine ``ecs``: the id of the container spec releases run (``RELEASE_SPEC``)."""
        self.deployment_config_name: str | None = self.release.deployment_config_name
        self.application_name: str | None = self.release.application_name
        """The CodeDeploy application (None with engine ``ecs``)."""
        self.deployment_group_name: str | None = self.release.deployment_group_name
        """The CodeDeploy deployment group (None with engine ``ecs``)."""
        self.build_project = self._build_project()
        self.approval = self._parts.approval(self)
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

    # --- build --------------------------------------------------------------------------

    def _build_project(self) -> aws.CodebuildProject:
        props = self.props
        repositories = list(props.service.repository_arns.values())
        return self._kit.codebuild_project(
            "build",
            ProjectSpec(
                description=f"Tests, builds and pushes the {props.name_prefix} images",
                role_description=f"Lets CodeBuild build and push the {props.name_prefix} images",
                buildspec=props.buildspec_path,
                environment=self.build_environment(),
                compute_type=props.build_compute_type,
                image=props.build_image,
                timeout_minutes=self.build_timeout_minutes(),
                log_retention_days=props.log_retention_days,
                docker=True,
            ),
            self.artifacts.bucket_arn,
            [
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
                *self._parts.release_step_statements(),
            ],
        )

    def build_timeout_minutes(self) -> int:
        """The configured build time, plus what the engine's part of the build may take."""
        return self._parts.release_timeout_minutes()

    def build_environment(self) -> dict[str, str]:
        """The buildspec's inputs: which images to build from where and test how, and the
        release spec."""
        containers = self.props.task.containers
        tests = " ".join(f"{c.build_context},{c.test_target}" for c in containers if c.test_target)
        return self._parts.release_environment({"TEST_TARGETS": tests})

    # --- pipeline -----------------------------------------------------------------------

    def _pipeline(self) -> aws.Codepipeline:
        props = self.props
        file_paths = (
            aws.CodepipelineTriggerGitConfigurationPushFilePaths(
                includes=list(props.file_path_filters)
            )
            if props.file_path_filters
            else None
        )
        return self._parts.pipeline(
            self,
            description=f"Runs the {props.name_prefix} release pipeline",
            statements=self._pipeline_statements(),
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
            sources=[
                stage(
                    "Source",
                    action(
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
                ),
                stage(
                    "Build",
                    action(
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
                ),
            ],
            deploy=stage("Deploy", deploy_action(self.release)),
            approval=self.approval,
        )

    def _pipeline_statements(self) -> list[dict[str, Any]]:
        return [
            # Connections created since mid-2024 have codeconnections ARNs, older ones
            # codestar-connections ARNs, and either API name may be called: each action
            # is granted on the connection's ARN spelled with its own service prefix.
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
            self._parts.run_project_statement("RunOwnBuild", self.build_project),
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
