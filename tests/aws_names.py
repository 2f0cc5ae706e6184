"""AWS's rules for the names the stacks give, written from AWS's API references (the
service's ``CreateX`` limits and patterns) rather than taken from the code that makes the
names, so a test can hold one against the other.

Each :class:`NameRule` is one argument of one Terraform resource type: its length limit and
the pattern, reserved starts and ends AWS refuses at apply time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class NameRule:
    max_length: int
    pattern: str = r"[\s\S]+"
    """What the whole name must match (``re.fullmatch``)."""
    reserved_starts: tuple[str, ...] = ()
    """Starts AWS keeps for itself (compared case-insensitively where ``ignore_case``)."""
    reserved_ends: tuple[str, ...] = ()
    ignore_case: bool = False
    min_length: int = 1
    source: str = ""
    """Where the rule is written down."""

    def problems(self, name: str) -> list[str]:
        found = []
        if not self.min_length <= len(name) <= self.max_length:
            found.append(f"{len(name)} characters, not {self.min_length}-{self.max_length}")
        if not re.fullmatch(self.pattern, name):
            found.append(f"does not match {self.pattern}")
        folded = name.lower() if self.ignore_case else name
        for start in self.reserved_starts:
            if folded.startswith(start):
                found.append(f"starts with {start!r}, which AWS reserves")
        for end in self.reserved_ends:
            if folded.endswith(end):
                found.append(f"ends with {end!r}, which AWS reserves")
        return found


_NAME = r"[A-Za-z0-9_-]+"
_ECR_REPOSITORY = r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*"
_IAM_NAME = r"[\w+=,.@-]+"
# What EC2 takes in security group names and descriptions (and their rules'): ASCII
# letters, digits, spaces and ._-:/()#,@[]+=&;{}!$* (no apostrophe).
_SECURITY_GROUP_TEXT = r"[A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*"
# Printable characters without the line breaks and controls.
_PRINTABLE = r"[^\x00-\x1f\x7f]+"

S3_BUCKET = NameRule(
    63,
    # Lowercase letters, digits, dots and hyphens, a letter or digit at both ends, no two
    # dots in a row, not an IP address (checked by the negative lookaheads).
    r"(?!.*\.\.)(?![0-9]+(?:\.[0-9]+){3}$)[a-z0-9][a-z0-9.-]*[a-z0-9]",
    reserved_starts=("xn--", "sthree-", "amzn-s3-demo-"),
    reserved_ends=("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"),
    min_length=3,
    source="S3 User Guide, general purpose bucket naming rules",
)

RULES: dict[tuple[str, str], NameRule] = {
    ("aws_lb", "name"): NameRule(
        32,
        r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?",
        reserved_starts=("internal-",),
        source="ELBv2 CreateLoadBalancer Name",
    ),
    ("aws_lb", "name_prefix"): NameRule(6, r"[A-Za-z0-9-]+", source="provider: name_prefix"),
    ("aws_lb_target_group", "name"): NameRule(
        32, r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?", source="ELBv2 CreateTargetGroup Name"
    ),
    ("aws_lb_target_group", "name_prefix"): NameRule(6, r"[A-Za-z0-9-]+"),
    ("aws_iam_role", "name"): NameRule(64, _IAM_NAME, source="IAM CreateRole RoleName"),
    ("aws_iam_role", "name_prefix"): NameRule(38, _IAM_NAME, source="provider: 64 - 26"),
    ("aws_iam_role", "description"): NameRule(
        1000, r"[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*", source="IAM CreateRole"
    ),
    ("aws_iam_role_policy", "name"): NameRule(128, _IAM_NAME, source="IAM PutRolePolicy"),
    ("aws_lambda_function", "function_name"): NameRule(
        64, _NAME, source="Lambda CreateFunction FunctionName (a plain name)"
    ),
    ("aws_lambda_function", "description"): NameRule(256, r"[\s\S]*", min_length=0),
    ("aws_s3_bucket", "bucket"): S3_BUCKET,
    ("aws_ecr_repository", "name"): NameRule(
        256, _ECR_REPOSITORY, min_length=2, source="ECR CreateRepository repositoryName"
    ),
    ("aws_ecr_pull_through_cache_rule", "ecr_repository_prefix"): NameRule(
        30,
        _ECR_REPOSITORY,
        min_length=2,
        source="ECR CreatePullThroughCacheRule ecrRepositoryPrefix",
    ),
    ("aws_cloudwatch_log_group", "name"): NameRule(
        512, r"[.\-_/#A-Za-z0-9]+", reserved_starts=("aws/",), source="Logs CreateLogGroup"
    ),
    ("aws_sns_topic", "name"): NameRule(256, _NAME, source="SNS CreateTopic Name"),
    ("aws_codepipeline", "name"): NameRule(
        100, r"[A-Za-z0-9.@\-_]+", source="CodePipeline CreatePipeline name"
    ),
    ("aws_codebuild_project", "name"): NameRule(
        100,
        r"[A-Za-z0-9][A-Za-z0-9\-_]*",
        min_length=2,
        source="CodeBuild CreateProject name (255; held to CodePipeline's 100, as issue 17 asks)",
    ),
    ("aws_codebuild_project", "description"): NameRule(255, r"[\s\S]*", min_length=0),
    ("aws_codedeploy_app", "name"): NameRule(
        100, _PRINTABLE, source="CodeDeploy CreateApplication"
    ),
    ("aws_codedeploy_deployment_group", "deployment_group_name"): NameRule(
        100, _PRINTABLE, source="CodeDeploy CreateDeploymentGroup"
    ),
    ("aws_codedeploy_deployment_config", "deployment_config_name"): NameRule(
        100,
        _PRINTABLE,
        reserved_starts=("codedeploydefault.",),
        ignore_case=True,
        source="CodeDeploy CreateDeploymentConfig",
    ),
    ("aws_codeconnections_connection", "name"): NameRule(
        32, r"[\s\S]+", source="CodeConnections CreateConnection ConnectionName"
    ),
    ("aws_ssm_parameter", "name"): NameRule(
        1011,
        # A path of up to 15 parts; the first part may not start with aws or ssm.
        r"(?i)/(?!aws|ssm)[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+){0,14}",
        source="SSM PutParameter Name",
    ),
    ("aws_security_group", "name"): NameRule(
        255,
        _SECURITY_GROUP_TEXT,
        reserved_starts=("sg-",),
        source="EC2 CreateSecurityGroup GroupName",
    ),
    ("aws_security_group", "name_prefix"): NameRule(
        255 - 26,
        _SECURITY_GROUP_TEXT,
        reserved_starts=("sg-",),
        source="provider: name_prefix + 26 characters",
    ),
    ("aws_security_group", "description"): NameRule(
        255, _SECURITY_GROUP_TEXT, source="EC2 CreateSecurityGroup GroupDescription"
    ),
    ("aws_vpc_security_group_ingress_rule", "description"): NameRule(
        255, _SECURITY_GROUP_TEXT, min_length=0, source="EC2 IpRange Description"
    ),
    ("aws_vpc_security_group_egress_rule", "description"): NameRule(
        255, _SECURITY_GROUP_TEXT, min_length=0, source="EC2 IpRange Description"
    ),
    ("aws_cloudwatch_event_rule", "name"): NameRule(
        64, r"[.\-_A-Za-z0-9]+", source="EventBridge PutRule Name"
    ),
    ("aws_cloudwatch_event_rule", "description"): NameRule(512, r"[\s\S]*", min_length=0),
    ("aws_cloudwatch_metric_alarm", "alarm_name"): NameRule(
        255, _PRINTABLE, source="CloudWatch PutMetricAlarm AlarmName"
    ),
    ("aws_ecs_cluster", "name"): NameRule(255, _NAME, source="ECS CreateCluster clusterName"),
    ("aws_ecs_service", "name"): NameRule(255, _NAME, source="ECS CreateService serviceName"),
    ("aws_ecs_task_definition", "family"): NameRule(
        255, _NAME, source="ECS RegisterTaskDefinition family"
    ),
    ("aws_appautoscaling_policy", "name"): NameRule(
        256, _PRINTABLE, source="Application Auto Scaling PutScalingPolicy PolicyName"
    ),
    ("aws_route53_record", "name"): NameRule(253, r"[A-Za-z0-9_.*-]+", source="Route 53"),
    ("aws_acm_certificate", "domain_name"): NameRule(253, r"[A-Za-z0-9.*-]+", source="ACM"),
}

TAG_VALUE = NameRule(256, r"[\w\s.:/=+\-@]*", min_length=0, source="tag values")
PIPELINE_STAGE_OR_ACTION = NameRule(100, r"[A-Za-z0-9.@\-_]+", source="CodePipeline")
PIPELINE_ARTIFACT = NameRule(100, r"[A-Za-z0-9_\-]+", source="CodePipeline artifact names")
APPROVAL_CUSTOM_DATA = NameRule(500, r"[\s\S]*", min_length=0, source="ApprovalAction")
