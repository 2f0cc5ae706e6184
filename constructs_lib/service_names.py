"""What a Fargate service's resources are named, from its name prefix alone.

Known before anything is synthesized (the settings bound the release template with them)
and to other environments' stacks, which grant this service's roles or run the images of its
repositories without reading its state.
"""

from __future__ import annotations

from constructs_lib.container_spec import TaskSpec
from constructs_lib.naming import IAM_ROLE_NAME_MAX, aws_name
from constructs_lib.release_spec import ServiceTarget


def repository_name(name_prefix: str, container: str) -> str:
    return f"{name_prefix}/{container}"


def log_group_name(name_prefix: str, container: str) -> str:
    return f"/ecs/{name_prefix}/{container}"


def task_role_name(name_prefix: str) -> str:
    return aws_name(name_prefix, "task", max_length=IAM_ROLE_NAME_MAX)


def execution_role_name(name_prefix: str) -> str:
    return aws_name(name_prefix, "task-execution", max_length=IAM_ROLE_NAME_MAX)


# The longest partition and DNS suffix a reference can resolve to (aws-iso-b; aws-cn's
# amazonaws.com.cn), and an account id.
_LONGEST_PARTITION = "aws-iso-b"
_LONGEST_DNS_SUFFIX = "amazonaws.com.cn"
_ACCOUNT_STAND_IN = "123456789012"


def longest_release_target(
    name_prefix: str, region: str, task: TaskSpec, image_home: str | None = None
) -> ServiceTarget:
    """The :class:`ServiceTarget` a service named ``name_prefix`` exposes, with every
    reference resolved to the longest value it can take: what a release template rendered
    from it can weigh, known before anything is synthesized (Parameter Store caps it).
    ``image_home``: the name prefix of the service whose repositories hold the images, when
    not this one's."""
    account, partition = _ACCOUNT_STAND_IN, _LONGEST_PARTITION
    registry = f"{account}.dkr.ecr.{region}.{_LONGEST_DNS_SUFFIX}"
    home = image_home or name_prefix
    repositories = {c.name: repository_name(home, c.name) for c in task.containers}
    return ServiceTarget(
        cluster_name=name_prefix,
        cluster_arn=f"arn:{partition}:ecs:{region}:{account}:cluster/{name_prefix}",
        service_name=name_prefix,
        service_arn=f"arn:{partition}:ecs:{region}:{account}:service/{name_prefix}/{name_prefix}",
        task_family=name_prefix,
        execution_role_arn=f"arn:{partition}:iam::{account}:role/{execution_role_name(name_prefix)}",
        task_role_arn=f"arn:{partition}:iam::{account}:role/{task_role_name(name_prefix)}",
        # Not in the task definition: stand-ins.
        subnet_ids=("subnet-0",),
        security_group_ids=("sg-0",),
        assign_public_ip=False,
        repository_urls={n: f"{registry}/{repo}" for n, repo in repositories.items()},
        repository_arns={
            n: f"arn:{partition}:ecr:{region}:{account}:repository/{repo}"
            for n, repo in repositories.items()
        },
        log_group_names={n: log_group_name(name_prefix, n) for n in repositories},
    )
