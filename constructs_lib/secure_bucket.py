"""SecureBucket: a private, encrypted, versioned S3 bucket that cleans up after itself.

The seed's artifact bucket used the deprecated ``acl`` argument and had no public access
block, encryption or lifecycle, under a global name anyone could take first. This bucket
has each of those, and its name carries the account and region.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from constructs import Construct

from constructs_lib import bindings as aws
from constructs_lib.iam import policy_document
from constructs_lib.naming import aws_name
from constructs_lib.validation import (
    ACCOUNT_ID_LENGTH,
    ValidationError,
    check_bool,
    check_int_range,
    check_region,
    check_resource_prefix,
    is_reference,
    show,
)

BUCKET_NAME_MAX = 63
# S3's rules for general purpose bucket names: 3-63 lowercase letters, digits, dots and
# hyphens, a letter or digit at both ends, no two dots in a row, not an IP address, and none
# of the starts and ends S3 keeps for its own features (punycode, access point aliases,
# Object Lambda, Multi-Region Access Points, directory and table buckets).
_BUCKET_NAME_RE = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_IP_ADDRESS_RE = re.compile(r"[0-9]+(?:\.[0-9]+){3}")
RESERVED_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
RESERVED_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def bucket_name_problem(name: str) -> str | None:
    """Why S3 refuses ``name`` for a bucket, or None."""
    if not _BUCKET_NAME_RE.fullmatch(name):
        return (
            "3-63 lowercase letters, digits, dots and hyphens, starting and ending with a "
            "letter or digit"
        )
    if ".." in name:
        return "two dots in a row"
    if _IP_ADDRESS_RE.fullmatch(name):
        return "formatted as an IP address"
    if name.startswith(RESERVED_BUCKET_PREFIXES) or name.endswith(RESERVED_BUCKET_SUFFIXES):
        reserved = [*RESERVED_BUCKET_PREFIXES, *(f"…{s}" for s in RESERVED_BUCKET_SUFFIXES)]
        return f"S3 keeps names starting or ending like {', '.join(reserved)} for itself"
    return None


@dataclass(frozen=True, kw_only=True)
class BucketWriter:
    """A service allowed to put objects under one key prefix (log delivery)."""

    sid: str
    principal: Mapping[str, Any]
    """E.g. ``{"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}``."""
    key_prefix: str
    """Objects it may write: ``<bucket ARN>/<key_prefix>*``."""
    conditions: Mapping[str, Any] | None = None
    """Narrows the principal, e.g. an account to one role of it (``aws:PrincipalArn``)."""


@dataclass(frozen=True, kw_only=True)
class SecureBucketProps:
    name_prefix: str
    """Lower-case; the bucket is ``<prefix>-<purpose>-<account>-<region>`` (shortened with a
    hash when needed to fit S3's 63 characters)."""
    purpose: str
    region: str
    expire_after_days: int = 30
    """Objects expire this many days after creation (old versions: the same after they
    stop being current)."""
    force_destroy: bool = False
    """Let ``destroy`` delete a bucket that still holds objects."""
    encryption: Literal["aws:kms", "AES256"] = "aws:kms"
    """``aws:kms`` (the account's AWS managed key, with a bucket key) or ``AES256`` (SSE-S3),
    for writers that accept nothing else, such as ALB access log delivery."""
    writers: Sequence[BucketWriter] = field(default_factory=tuple)
    """Services that may put objects (besides the account's own principals)."""

    def __post_init__(self) -> None:
        if self.encryption not in ("aws:kms", "AES256"):
            raise ValidationError(
                "encryption", f"must be aws:kms or AES256, got {self.encryption!r}"
            )
        check_resource_prefix("name_prefix", self.name_prefix, max_length=200)
        check_resource_prefix("purpose", self.purpose, max_length=20)
        check_region("region", self.region)
        check_int_range("expire_after_days", self.expire_after_days, 1, 3650)
        check_bool("force_destroy", self.force_destroy)


def bucket_name(prefix: str, purpose: str, region: str, account: str) -> str:
    """Globally unique by construction: the account id and region are part of the name."""
    room = BUCKET_NAME_MAX - len(f"-{'0' * ACCOUNT_ID_LENGTH}-{region}")
    if room < len(purpose) + 2:
        raise ValidationError("region", f"{region!r} leaves no room for a bucket name")
    return f"{aws_name(prefix, purpose, max_length=room)}-{account}-{region}"


def check_bucket_name(field: str, value: object) -> str:
    """An existing bucket's name S3 could have given, or a reference to one."""
    if not isinstance(value, str):
        raise ValidationError(field, f"must be a bucket name, got {show(value)}")
    problem = None if is_reference(value) else bucket_name_problem(value)
    if problem:
        raise ValidationError(field, f"{show(value)}: {problem}")
    return value


class SecureBucket(Construct):
    def __init__(self, scope: Construct, id_: str, props: SecureBucketProps) -> None:
        super().__init__(scope, id_)
        account = aws.DataAwsCallerIdentity(self, "account").account_id
        self.bucket = aws.S3Bucket(
            self,
            "bucket",
            bucket=bucket_name(props.name_prefix, props.purpose, props.region, account),
            force_destroy=props.force_destroy,
        )
        bucket_id = self.bucket.id
        self.bucket_arn: str = self.bucket.arn
        aws.S3BucketOwnershipControls(
            self,
            "ownership",
            bucket=bucket_id,
            rule=aws.S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
        )
        aws.S3BucketPublicAccessBlock(
            self,
            "public-access-block",
            bucket=bucket_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        aws.S3BucketVersioningA(
            self,
            "versioning",
            bucket=bucket_id,
            versioning_configuration=aws.S3BucketVersioningVersioningConfiguration(
                status="Enabled"
            ),
        )
        aws.S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            bucket=bucket_id,
            rule=[
                aws.S3BucketServerSideEncryptionConfigurationRuleA(
                    # The account's AWS managed key: no key policy to maintain, and S3 Bucket
                    # Keys keep the KMS request count (and cost) low.
                    apply_server_side_encryption_by_default=aws.S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                        sse_algorithm=props.encryption
                    ),
                    bucket_key_enabled=props.encryption == "aws:kms",
                )
            ],
        )
        aws.S3BucketLifecycleConfiguration(
            self,
            "lifecycle",
            bucket=bucket_id,
            rule=[
                aws.S3BucketLifecycleConfigurationRule(
                    id="expire-objects",
                    status="Enabled",
                    filter=[aws.S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                    expiration=[
                        aws.S3BucketLifecycleConfigurationRuleExpiration(
                            days=props.expire_after_days
                        )
                    ],
                    noncurrent_version_expiration=[
                        aws.S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                            noncurrent_days=props.expire_after_days
                        )
                    ],
                    abort_incomplete_multipart_upload=[
                        aws.S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                            days_after_initiation=1
                        )
                    ],
                )
            ],
        )
        writes = [
            {
                "Sid": writer.sid,
                "Effect": "Allow",
                "Principal": dict(writer.principal),
                "Action": "s3:PutObject",
                "Resource": f"{self.bucket_arn}/{writer.key_prefix}*",
                **({"Condition": dict(writer.conditions)} if writer.conditions else {}),
            }
            for writer in props.writers
        ]
        self.policy = aws.S3BucketPolicy(
            self,
            "policy",
            bucket=bucket_id,
            policy=policy_document(
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [self.bucket_arn, f"{self.bucket_arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
                *writes,
            ),
        )
        self.bucket_name: str = self.bucket.bucket
        self.bucket_name_once_writable: str = self.policy.bucket
        """The name, referenced through the policy: whoever uses it (a load balancer that
        checks it may write) is created after the policy is in place."""
