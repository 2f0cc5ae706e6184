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
from constructs_lib.release_spec import check_per_container, check_repository_url
from constructs_lib.service_names import repository_name
from constructs_lib.validation import ValidationError, check_account_id, check_arn, show

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

    def __post_init__(self) -> None:
        check_per_container("repository_urls", self.repository_urls, check_repository_url)
        check_per_container("repository_arns", self.repository_arns, check_arn)
        for name in self.repository_urls:
            if name not in self.repository_arns:
                raise ValidationError("repository_arns", f"no repository ARN for {name!r}")
        for name in self.repository_arns:
            if name not in self.repository_urls:
                raise ValidationError("repository_urls", f"no repository URL for {name!r}")


@dataclass(frozen=True, kw_only=True)
class ImagePuller:
    """Roles of another account that may pull the service's images (the task execution
    roles of environments promoted from this one)."""

    account_id: str
    role_arns: Sequence[str]
    """Roles of ``account_id``."""

    def __post_init__(self) -> None:
        check_account_id("account_id", self.account_id)
        if isinstance(self.role_arns, str) or not isinstance(self.role_arns, Sequence):
            raise ValidationError(
                "role_arns", f"must be a list of ARNs, got {show(self.role_arns)}"
            )
        if not self.role_arns:
            raise ValidationError("role_arns", "names no role")
        for i, arn in enumerate(self.role_arns):
            check_arn(f"role_arns[{i}]", arn, account_id=self.account_id)


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
