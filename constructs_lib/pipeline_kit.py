"""What every part of a release pipeline builds its resources with: ARNs in the pipeline's
account, partition and region, roles only one service of the account may assume, and the
grants every deployer of the service needs.

Not a construct: the source-and-build part (:class:`CodeDeployPipeline`) and each engine's
release stage (:mod:`constructs_lib.engines`) create their resources in the one scope the
kit holds, so the resource addresses do not depend on which part made them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from constructs import Construct

from constructs_lib import bindings as aws
from constructs_lib.bindings import ITerraformDependable
from constructs_lib.iam import policy_document, service_trust_policy, statement
from constructs_lib.naming import IAM_ROLE_NAME_MAX, aws_name
from constructs_lib.release_spec import ServiceTarget

SOURCE_ARTIFACT = "SourceOutput"
BUILD_ARTIFACT = "BuildOutput"


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
            name=aws_name(self.name_prefix, purpose, max_length=IAM_ROLE_NAME_MAX),
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
