"""Where a Fargate service's images live: repositories of its own (immutable tags, scanned
on push, KMS, expiring, pullable by named roles of other accounts) or another environment's
(a promoted environment runs its source's images, by digest)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from constructs import Construct

from constructs_lib import bindings as aws
from constructs_lib.iam import policy_document
from constructs_lib.service_names import repository_name

PULL_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
)
"""What pulling an image takes (the registry login aside)."""


@dataclass(frozen=True, kw_only=True)
class ImageSource:
    """Repositories of another environment whose images the service runs (a promoted
    environment runs its source's images, by digest)."""

    repository_urls: Mapping[str, str]
    """Per container name."""
    repository_arns: Mapping[str, str]


@dataclass(frozen=True, kw_only=True)
class ImagePuller:
    """Roles of another account that may pull the service's images (the task execution
    roles of environments promoted from this one)."""

    account_id: str
    role_arns: Sequence[str]


@dataclass(frozen=True, kw_only=True)
class OwnRepositoryProps:
    name_prefix: str
    images_to_keep: int
    """Tagged images kept; older ones expire."""
    force_delete: bool
    """Let ``destroy`` delete a repository that still holds images."""
    pullers: Sequence[ImagePuller] = ()


def own_repository(
    scope: Construct, container: str, props: OwnRepositoryProps, partition: str
) -> aws.EcrRepository:
    """``container``'s repository, created in ``scope`` (the service: its addresses are the
    service's), with its lifecycle and, for other accounts' roles, its pull grant."""
    repo = aws.EcrRepository(
        scope,
        f"ecr-{container}",
        name=repository_name(props.name_prefix, container),
        image_tag_mutability="IMMUTABLE",
        image_scanning_configuration=aws.EcrRepositoryImageScanningConfiguration(scan_on_push=True),
        # KMS with the account's AWS managed aws/ecr key: audited key use in CloudTrail,
        # no key policy to maintain.
        encryption_configuration=[aws.EcrRepositoryEncryptionConfiguration(encryption_type="KMS")],
        force_delete=props.force_delete,
    )
    aws.EcrLifecyclePolicy(
        scope,
        f"ecr-{container}-lifecycle",
        repository=repo.name,
        policy=_ecr_lifecycle_policy(props.images_to_keep),
    )
    pullers = props.pullers
    if pullers:
        aws.EcrRepositoryPolicy(
            scope,
            f"ecr-{container}-pullers",
            repository=repo.name,
            policy=_pullers_policy(pullers, partition),
        )
    return repo


def _pullers_policy(pullers: Sequence[ImagePuller], partition: str) -> str:
    """Pull rights for other accounts' roles: each account as principal, narrowed to the
    named roles by condition (so the policy is valid before those roles exist, and neither
    account's stack has to be applied first)."""
    return policy_document(
        {
            "Sid": "PullFromPromotedEnvironments",
            "Effect": "Allow",
            "Principal": {
                "AWS": sorted({f"arn:{partition}:iam::{p.account_id}:root" for p in pullers})
            },
            "Action": list(PULL_ACTIONS),
            "Condition": {
                "ArnEquals": {"aws:PrincipalArn": sorted({a for p in pullers for a in p.role_arns})}
            },
        }
    )


def _ecr_lifecycle_policy(images_to_keep: int) -> str:
    return json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": "Expire untagged layers a day after they lost their tag",
                    "selection": {
                        "tagStatus": "untagged",
                        "countType": "sinceImagePushed",
                        "countUnit": "days",
                        "countNumber": 1,
                    },
                    "action": {"type": "expire"},
                },
                {
                    "rulePriority": 2,
                    "description": f"Keep the newest {images_to_keep} images",
                    "selection": {
                        "tagStatus": "any",
                        "countType": "imageCountMoreThan",
                        "countNumber": images_to_keep,
                    },
                    "action": {"type": "expire"},
                },
            ]
        },
        sort_keys=True,
    )
