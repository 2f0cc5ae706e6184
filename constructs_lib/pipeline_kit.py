"""What every part of a release pipeline builds its resources with: ARNs in the pipeline's
account, partition and region, roles only one service of the account may assume, and the
grants every deployer of the service needs.

Not a construct: the source-and-build part (:class:`CodeDeployPipeline`) and each engine's
release stage (:mod:`constructs_lib.engines`) create their resources in the one scope the
kit holds, so the resource addresses do not depend on which part made them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from constructs import Construct

from constructs_lib import bindings as aws
from constructs_lib.bindings import ITerraformDependable
from constructs_lib.iam import policy_document, service_trust_policy, statement
from constructs_lib.naming import IAM_ROLE_NAME_MAX, aws_name
from constructs_lib.release_spec import ServiceTarget

if TYPE_CHECKING:
    from constructs_lib.engines import ReleaseStage

SOURCE_ARTIFACT = "SourceOutput"
BUILD_ARTIFACT = "BuildOutput"
PIPELINE_ROLE = "pipeline"
"""The purpose naming a pipeline's own role (``<prefix>-pipeline``)."""
CODEBUILD_NAME_MAX = 150  # CodeBuild's project name limit (2-150 characters)


def role_name(name_prefix: str, purpose: str) -> str:
    """The name of a pipeline part's role: known to another environment's stack, which
    may have to grant it something."""
    return aws_name(name_prefix, purpose, max_length=IAM_ROLE_NAME_MAX)


@dataclass(frozen=True)
class PipelineKit:
    scope: Construct
    """Where every resource of the pipeline lives."""
    name_prefix: str
    region: str
    partition: str
    account: str
    service: ServiceTarget

    def arn(self, service: str, resource: str) -> str:
        return f"arn:{self.partition}:{service}:{self.region}:{self.account}:{resource}"

    def task_family_arn(self) -> str:
        return self.arn("ecs", f"task-definition/{self.service.task_family}:*")

    @staticmethod
    def read_task_definitions(sid: str) -> dict[str, Any]:
        # ecs:DescribeTaskDefinition has no resource-level permissions: AWS requires "*".
        return statement(sid, ["ecs:DescribeTaskDefinition"], ["*"])

    def pass_task_roles(self, sid: str) -> dict[str, Any]:
        """Whoever registers or starts the service's tasks hands them their two roles, to
        ECS tasks only."""
        service = self.service
        return statement(
            sid,
            ["iam:PassRole"],
            [service.execution_role_arn, service.task_role_arn],
            {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
        )

    def role(
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
            "StringEquals": {"aws:SourceAccount": self.account}
        }
        if source_arn is not None:
            conditions["ArnLike"] = {"aws:SourceArn": source_arn}
        role = aws.IamRole(
            self.scope,
            f"{purpose}-role",
            name=role_name(self.name_prefix, purpose),
            description=description,
            assume_role_policy=service_trust_policy(service_principal, conditions=conditions),
        )
        policy = aws.IamRolePolicy(
            self.scope,
            f"{purpose}-policy",
            name=f"{purpose}-least-privilege",
            role=role.id,
            policy=policy_document(*statements),
        )
        return role, policy

    def parameter(self, id_: str, name: str, description: str, value: str) -> aws.SsmParameter:
        """A release template in Parameter Store."""
        return aws.SsmParameter(
            self.scope,
            id_,
            name=name,
            description=description,
            type="String",
            # Not a secret: shown in `cdktf diff`, so a change to the release spec is reviewable.
            insecure_value=value,
            # Standard (free) while the value fits in 4 KB, advanced only if it outgrows it.
            tier="Intelligent-Tiering",
        )

    def codebuild_project(
        self,
        purpose: str,
        spec: ProjectSpec,
        artifact_bucket_arn: str,
        statements: Sequence[dict[str, Any]],
    ) -> aws.CodebuildProject:
        """A CodeBuild project run by the pipeline on its artifacts, with its own log group
        and a role that may write those logs and the pipeline's artifacts, plus
        ``statements``."""
        name = aws_name(self.name_prefix, purpose, max_length=CODEBUILD_NAME_MAX)
        log_group = aws.CloudwatchLogGroup(
            self.scope,
            f"{purpose}-logs",
            name=f"/aws/codebuild/{name}",
            retention_in_days=spec.log_retention_days,
        )
        role, policy = self.role(
            purpose,
            "codebuild.amazonaws.com",
            spec.role_description,
            [
                statement(
                    "WriteBuildLogs",
                    ["logs:CreateLogStream", "logs:PutLogEvents"],
                    [f"{log_group.arn}:log-stream:*"],
                ),
                statement(
                    "ReadSourceWriteBuildOutput",
                    ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
                    [f"{artifact_bucket_arn}/*"],
                ),
                statement(
                    "LocateArtifactBucket",
                    ["s3:GetBucketAcl", "s3:GetBucketLocation"],
                    [artifact_bucket_arn],
                ),
                *statements,
            ],
            source_arn=self.arn("codebuild", f"project/{name}"),
        )
        return aws.CodebuildProject(
            self.scope,
            purpose,
            name=name,
            description=spec.description,
            service_role=role.arn,
            build_timeout=spec.timeout_minutes,
            queued_timeout=60,
            source=aws.CodebuildProjectSource(type="CODEPIPELINE", buildspec=spec.buildspec),
            artifacts=aws.CodebuildProjectArtifacts(type="CODEPIPELINE"),
            environment=aws.CodebuildProjectEnvironment(
                type="LINUX_CONTAINER",
                compute_type=spec.compute_type,
                image=spec.image,
                image_pull_credentials_type="CODEBUILD",
                privileged_mode=spec.docker,  # docker builds need the daemon
                environment_variable=[
                    aws.CodebuildProjectEnvironmentEnvironmentVariable(name=k, value=v)
                    for k, v in spec.environment.items()
                ],
            ),
            cache=(
                aws.CodebuildProjectCache(
                    type="LOCAL", modes=["LOCAL_DOCKER_LAYER_CACHE", "LOCAL_SOURCE_CACHE"]
                )
                if spec.docker
                else None
            ),
            logs_config=aws.CodebuildProjectLogsConfig(
                cloudwatch_logs=aws.CodebuildProjectLogsConfigCloudwatchLogs(
                    status="ENABLED", group_name=log_group.name
                )
            ),
            depends_on=[policy],
        )


@dataclass(frozen=True, kw_only=True)
class ProjectSpec:
    """What a pipeline's CodeBuild project runs, on what, for how long."""

    description: str
    role_description: str
    buildspec: str
    """A path in the source artifact, or the buildspec's text."""
    environment: Mapping[str, str]
    compute_type: str
    image: str
    timeout_minutes: int
    log_retention_days: int
    docker: bool
    """Builds images: privileged mode (the docker daemon) and the docker layer cache."""


def stage(
    name: str,
    *actions: aws.CodepipelineStageAction,
) -> aws.CodepipelineStage:
    """A pipeline stage running ``actions`` (by their run order)."""
    return aws.CodepipelineStage(name=name, action=list(actions))


def action(
    name: str,
    *,
    category: str,
    provider: str,
    configuration: Mapping[str, str],
    input_artifacts: Sequence[str] = (),
    output_artifacts: Sequence[str] = (),
    namespace: str | None = None,
    run_order: int | None = None,
) -> aws.CodepipelineStageAction:
    """An AWS-owned pipeline action, version 1."""
    return aws.CodepipelineStageAction(
        name=name,
        category=category,
        owner="AWS",
        provider=provider,
        version="1",
        input_artifacts=list(input_artifacts) or None,
        output_artifacts=list(output_artifacts) or None,
        namespace=namespace,
        run_order=run_order,
        configuration=dict(configuration),
    )


def deploy_action(
    release: ReleaseStage, *, run_order: int | None = None
) -> aws.CodepipelineStageAction:
    """The engine's deploy action on the release files (the ``BUILD_ARTIFACT``)."""
    provider, configuration = release.deploy_action()
    return action(
        "Deploy",
        category="Deploy",
        provider=provider,
        input_artifacts=[BUILD_ARTIFACT],
        configuration=configuration,
        run_order=run_order,
    )


def artifact_statements(bucket_arn: str) -> list[dict[str, Any]]:
    """What a pipeline role does with its artifact bucket."""
    return [
        statement(
            "MoveArtifacts",
            ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:PutObjectAcl"],
            [f"{bucket_arn}/*"],
        ),
        statement(
            "InspectArtifactBucket",
            ["s3:GetBucketAcl", "s3:GetBucketLocation", "s3:GetBucketVersioning"],
            [bucket_arn],
        ),
    ]
