"""The user-tunable part of a release pipeline's props, checked before any construct exists:
the source and build settings, and the deployment's shift and waits (with the limits of the
engine that runs it). The settings loader calls these with the TOML key paths, the props
with their own names.
"""

from __future__ import annotations

import re
from typing import cast

from constructs_lib import engines
from constructs_lib.framework import Framework
from constructs_lib.release_spec import PREDEFINED_SHIFTS, TrafficShift, check_engine
from constructs_lib.validation import ValidationError, check_int_range

ALL_AT_ONCE = "CodeDeployDefault.ECSAllAtOnce"
PREDEFINED_ECS_CONFIGS = tuple(PREDEFINED_SHIFTS)
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
_REPOSITORY_RE = re.compile(r"^[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}$")
# Git's rules for a branch (git check-ref-format) over the characters CodePipeline filters
# take: no part starting with "." or ending with ".lock", no "//" or "..", not ending in "/"
# or ".".
_BRANCH_RE = re.compile(
    r"^(?!/)(?!.*//)(?!.*\.\.)(?!(?:.*/)?\.)(?!.*\.lock(?:/|$))[A-Za-z0-9._/-]{1,255}(?<![/.])$"
)
_CONNECTION_ARN_RE = re.compile(
    r"^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:[0-9]{12}:"
    r"connection/[A-Za-z0-9_-]+$"
)
_BUILDSPEC_RE = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*\.ya?ml$")


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
    validate_source_settings(
        repository=repository,
        branch=branch,
        connection_arn=connection_arn,
        buildspec_path=buildspec_path,
        field_prefix=f,
    )
    validate_build_settings(
        build_compute_type=build_compute_type,
        build_timeout_minutes=build_timeout_minutes,
        artifact_expiry_days=artifact_expiry_days,
        field_prefix=f,
    )


def validate_source_settings(
    *,
    repository: object,
    branch: object,
    connection_arn: object,
    buildspec_path: object,
    field_prefix: str = "",
) -> None:
    """Where a building pipeline's source comes from and how it is built."""
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


def validate_build_settings(
    *,
    build_compute_type: object,
    build_timeout_minutes: object,
    artifact_expiry_days: object,
    field_prefix: str = "",
) -> None:
    """What every pipeline's CodeBuild step and artifacts take (a promoted one's too)."""
    f = field_prefix
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
    engine: object = "codedeploy",
    field_prefix: str = "",
    shift_prefix: str = "traffic_shift.",
    framework: Framework | None = None,
) -> None:
    """The shift and waits of a release, within the limits of ``engine`` as ``framework``'s
    provider bindings express it (None: this process's framework line)."""
    f = field_prefix
    chosen = engines.engine(check_engine(f"{f}engine", engine))
    # A TrafficShift checked its own values as it was built; the engine checks its limits.
    if not isinstance(deployment_config, TrafficShift) and (
        deployment_config not in PREDEFINED_ECS_CONFIGS
    ):
        raise ValidationError(
            f"{f}config",
            f"must be 'custom' or one of {', '.join(PREDEFINED_ECS_CONFIGS)}, "
            f"got {deployment_config!r}",
        )
    check_int_range(f"{f}ready_wait_minutes", ready_wait_minutes, 0, READY_WAIT_MAX_MINUTES)
    check_int_range(
        f"{f}termination_wait_minutes", termination_wait_minutes, 0, TERMINATION_WAIT_MAX_MINUTES
    )
    chosen.validate_release(
        deployment_config,
        cast(int, ready_wait_minutes),
        cast(int, termination_wait_minutes),
        field_prefix=f,
        shift_prefix=shift_prefix,
        framework=framework,
    )
