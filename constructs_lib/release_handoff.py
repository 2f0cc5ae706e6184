"""ReleaseHandoff: where a promoted environment receives the releases it may run.

A building environment's pipeline ends, after its deploy succeeded, by publishing its build
output (``release.json``: the commit and each image's digest, see ``app/buildspec.yml``) as
one object in the promoted environment's hand-off bucket. A failed or rolled-back deploy
stops the pipeline before that stage: nothing is published. The object landing starts the
promoted environment's pipeline (S3 -> EventBridge -> CodePipeline), whose source action
reads that object.

The bucket is the promoted environment's, in its account: the publisher needs nothing but
``s3:PutObject`` on one key, and the trigger and the pipeline's source stay in one account.
Versioned, so each earlier release stays a version a person can re-run the pipeline with.
SSE-S3, not the account's AWS managed KMS key, which another account cannot use.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from constructs import Construct

from constructs_lib import bindings as aws
from constructs_lib.iam import statement
from constructs_lib.naming import aws_name
from constructs_lib.pipeline_kit import PipelineKit
from constructs_lib.secure_bucket import (
    BucketWriter,
    SecureBucket,
    SecureBucketProps,
    bucket_name,
    check_bucket_name,
)
from constructs_lib.validation import (
    ValidationError,
    check_account_id,
    check_arn,
    check_int_range,
    check_region,
    check_resource_prefix,
    is_reference,
    show,
)

HANDOFF_PURPOSE = "releases"
HANDOFF_OBJECT = "release.zip"
EVENT_RULE_NAME_MAX = 64
# What follows "To-" in a publish action's name (CodePipeline: letters, digits and . @ _ -,
# 100 in all).
ENVIRONMENT_MAX = 100 - len("To-")
_ENVIRONMENT_RE = re.compile(rf"[A-Za-z0-9.@_-]{{1,{ENVIRONMENT_MAX}}}")


def handoff_key(source_name_prefix: str) -> str:
    """The object a source environment publishes its successful releases as."""
    return f"{source_name_prefix}/{HANDOFF_OBJECT}"


def handoff_bucket_name(name_prefix: str, region: str, account: str) -> str:
    """The promoted environment's hand-off bucket, known to the source without a lookup."""
    return bucket_name(name_prefix, HANDOFF_PURPOSE, region, account)


@dataclass(frozen=True, kw_only=True)
class HandoffDestination:
    """Where a building pipeline publishes its successful releases for one promoted
    environment."""

    environment: str
    """Names the publish action (``To-<environment>``)."""
    bucket_name: str
    bucket_arn: str
    object_key: str

    def __post_init__(self) -> None:
        if not isinstance(self.environment, str) or not _ENVIRONMENT_RE.fullmatch(self.environment):
            raise ValidationError(
                "environment",
                f"{show(self.environment)}: the action To-<environment> takes 1-{ENVIRONMENT_MAX} "
                "letters, digits and . @ _ -",
            )
        check_bucket_name("bucket_name", self.bucket_name)
        check_arn("bucket_arn", self.bucket_arn)
        literal = not is_reference(self.bucket_name) and not is_reference(self.bucket_arn)
        if literal and not self.bucket_arn.endswith(f":::{self.bucket_name}"):
            raise ValidationError(
                "bucket_arn", f"{show(self.bucket_arn)} is not bucket {self.bucket_name}'s ARN"
            )
        if not isinstance(self.object_key, str) or not 1 <= len(self.object_key) <= 1024:
            raise ValidationError(
                "object_key", f"must be an S3 key of 1-1024 characters, got {show(self.object_key)}"
            )


@dataclass(frozen=True, kw_only=True)
class Publisher:
    """The source pipeline's role, when it lives in another account."""

    account_id: str
    role_arn: str
    """A role of ``account_id``."""

    def __post_init__(self) -> None:
        check_account_id("account_id", self.account_id)
        check_arn("role_arn", self.role_arn, account_id=self.account_id)


@dataclass(frozen=True, kw_only=True)
class ReleaseHandoffProps:
    name_prefix: str
    region: str
    source_name_prefix: str
    """The environment whose releases arrive (names the object)."""
    publisher: Publisher | None = None
    """Cross-account: the bucket lets exactly that role write the object. None: the same
    account, where the publisher's own policy is the whole grant."""
    expire_after_days: int = 30
    """How long an earlier release stays available for a redeploy."""
    force_destroy: bool = False

    def __post_init__(self) -> None:
        check_resource_prefix("name_prefix", self.name_prefix, max_length=200)
        check_region("region", self.region)
        check_resource_prefix("source_name_prefix", self.source_name_prefix, max_length=200)
        if self.publisher is not None and not isinstance(self.publisher, Publisher):
            raise ValidationError(
                "publisher", f"must be a Publisher or None, got {show(self.publisher)}"
            )
        check_int_range("expire_after_days", self.expire_after_days, 1, 3650)


class ReleaseHandoff(Construct):
    """The hand-off bucket of a promoted environment and what starts its pipeline."""

    def __init__(self, scope: Construct, id_: str, props: ReleaseHandoffProps) -> None:
        super().__init__(scope, id_)
        self.props = props
        self.object_key: str = handoff_key(props.source_name_prefix)
        partition = aws.DataAwsPartition(self, "partition").partition
        publisher = props.publisher
        writers = (
            [
                BucketWriter(
                    sid="PublishReleasesFromSourcePipeline",
                    # The account as principal, narrowed to the one role by condition: the
                    # policy is valid before that role exists, so neither stack has to be
                    # applied first.
                    principal={"AWS": f"arn:{partition}:iam::{publisher.account_id}:root"},
                    key_prefix=self.object_key,
                    conditions={"ArnEquals": {"aws:PrincipalArn": publisher.role_arn}},
                )
            ]
            if publisher is not None
            else []
        )
        self.bucket = SecureBucket(
            self,
            "bucket",
            SecureBucketProps(
                name_prefix=props.name_prefix,
                purpose=HANDOFF_PURPOSE,
                region=props.region,
                expire_after_days=props.expire_after_days,
                force_destroy=props.force_destroy,
                encryption="AES256",
                writers=writers,
            ),
        )
        self.bucket_name: str = self.bucket.bucket_name
        self.bucket_arn: str = self.bucket.bucket_arn
        aws.S3BucketNotification(self, "events", bucket=self.bucket.bucket.id, eventbridge=True)

    def source_statements(self) -> list[dict[str, object]]:
        """What the pipeline's source action reads."""
        return [
            statement(
                "ReadHandedOffReleases",
                ["s3:GetObject", "s3:GetObjectVersion"],
                [f"{self.bucket_arn}/{self.object_key}"],
            ),
            statement("CheckHandoffVersioning", ["s3:GetBucketVersioning"], [self.bucket_arn]),
        ]

    def trigger(self, kit: PipelineKit, pipeline_name: str, pipeline_arn: str) -> None:
        """Start the pipeline when a release lands (and only then: no polling)."""
        name = aws_name(self.props.name_prefix, "release-handoff", max_length=EVENT_RULE_NAME_MAX)
        rule = aws.CloudwatchEventRule(
            self,
            "rule",
            name=name,
            description=f"A release of {self.props.source_name_prefix} to promote",
            event_pattern=json.dumps(
                {
                    "source": ["aws.s3"],
                    "detail-type": ["Object Created"],
                    "detail": {
                        "bucket": {"name": [self.bucket_name]},
                        "object": {"key": [self.object_key]},
                    },
                }
            ),
        )
        role, policy = kit.role(
            "handoff-trigger",
            "events.amazonaws.com",
            f"Starts the {pipeline_name} pipeline when a release is handed off",
            [
                statement(
                    "StartOwnPipeline", ["codepipeline:StartPipelineExecution"], [pipeline_arn]
                )
            ],
            source_arn=rule.arn,
        )
        aws.CloudwatchEventTarget(
            self,
            "target",
            rule=rule.name,
            arn=pipeline_arn,
            role_arn=role.arn,
            depends_on=[policy],
        )
