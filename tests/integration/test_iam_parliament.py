"""parliament (an offline IAM linter) finds nothing in any policy the stacks synthesize."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from stacks.settings import Settings
from tests.fake_aws import ACCOUNT, fake_resolve
from tests.synth import Synth

# Resource type -> attribute holding a permissions policy. (Trust policies are not
# parliament's subject: it reads every statement as granting actions on resources; the unit
# tests pin their principals and conditions.)
POLICY_ATTRIBUTES = {
    "aws_iam_role_policy": "policy",
    "aws_s3_bucket_policy": "policy",
    "aws_ecr_repository_policy": "policy",
}


def _policies(s: Synth, region: str) -> Iterator[tuple[str, str]]:
    for kind, attribute in POLICY_ATTRIBUTES.items():
        for name, body in s.resources(kind).items():
            policy = fake_resolve(s, body[attribute], region)
            if kind == "aws_ecr_repository_policy":
                repository = fake_resolve(s, body["repository"], region)
                policy = _with_repository(policy, repository, region)
            yield f"{kind}.{name}", policy


def _with_repository(policy: str, repository: str, region: str) -> str:
    """A repository policy applies to its repository and names no Resource; parliament
    reads identity policies, so it gets that repository as each statement's Resource (and
    checks the actions against it)."""
    document = json.loads(policy)
    arn = f"arn:aws:ecr:{region}:{ACCOUNT}:repository/{repository}"
    for st in document["Statement"]:
        assert "Resource" not in st, st  # ECR takes none: the repository is implicit
        st["Resource"] = arn
    return json.dumps(document)


def _is_alternative_resource_type(finding: Any) -> bool:
    """parliament's one false positive here. IAM lists two resource types for
    ``elasticloadbalancing:ModifyListener``/``ModifyRule`` (``…/app/…`` for ALBs,
    ``…/net/…`` for NLBs) where a request names one or the other; parliament demands a
    resource of each. Dropped only when every format it misses is the NLB one."""
    return finding.issue == "RESOURCE_MISMATCH" and all(
        d["action"].startswith("elasticloadbalancing:") and "/net/" in d["required_format"]
        for d in finding.detail
    )


# Actions parliament's data (1.6.4) lists without a resource type although AWS scopes them,
# and where that is documented. The stacks scope each to its own resources.
SCOPED_ACTIONS_PARLIAMENT_MISSES = frozenset(
    {
        # CodeDeploy's permissions reference gives the deployment group ARN (AWS CDK grants
        # it that way): the hook's role reports for its own group only.
        "codedeploy:PutLifecycleEventHookExecutionStatus",
        # ECR's pull-through cache IAM guidance (and AWS CDK code) scope it to the cache's
        # repositories: the execution role imports under its cache prefix only.
        "ecr:BatchImportUpstreamImage",
    }
)


def _is_scoped_action_parliament_misses(finding: Any) -> bool:
    """A resource mismatch about one of those actions alone."""
    if finding.issue != "RESOURCE_MISMATCH":
        return False
    actions = {d["action"] for d in finding.detail}
    return len(actions) == 1 and actions <= SCOPED_ACTIONS_PARLIAMENT_MISSES


def _findings(policy: str) -> list[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # parliament imports pkg_resources
        import parliament

    analyzed = parliament.analyze_policy_string(policy)
    return [
        f"{f.issue}: {f.detail}"
        for f in analyzed.findings
        if not (_is_alternative_resource_type(f) or _is_scoped_action_parliament_misses(f))
    ]


@pytest.fixture(scope="module")
def all_policies(
    *,
    synths: dict[str, Synth],
    ecs_synths: dict[str, Synth],
    own_synths: dict[str, Synth],
    cross_account_synths: dict[str, Synth],
    reuse: Synth,
    settings_by_env: dict[str, Settings],
) -> dict[str, str]:
    found = {}
    for env, s in synths.items():
        found |= {f"{env}:{k}": v for k, v in _policies(s, settings_by_env[env].region)}
    for env, s in ecs_synths.items():
        found |= {f"{env}-ecs:{k}": v for k, v in _policies(s, settings_by_env[env].region)}
    # A team's own service: the execution role also reads its secrets (tests/own_service.py).
    for env, s in own_synths.items():
        found |= {f"{env}-own:{k}": v for k, v in _policies(s, settings_by_env[env].region)}
    # Promotion across accounts: dev's repositories' and prod's hand-off bucket's policies.
    for env, s in cross_account_synths.items():
        found |= {f"{env}x:{k}": v for k, v in _policies(s, settings_by_env[env].region)}
    found |= {f"reuse:{k}": v for k, v in _policies(reuse, "us-east-2")}
    return found


def test_every_policy_is_found(all_policies: dict[str, str]) -> None:
    # dev and prod: inline policies of the execution, pipeline, build, deploy, hook and flow
    # log roles, and the artifact and access log buckets' policies; reuse has neither the
    # hook, the flow logs nor the access logs.
    # With the ECS engine the ECS infrastructure role's policy replaces the deploy role's.
    # prod promotes from dev: its release step's role replaces the build's, plus the
    # hand-off bucket's policy and the role of the rule that starts its pipeline.
    building = ("dev", "dev-ecs", "dev-own")
    promoted = ("prod", "prod-ecs", "prod-own")
    # Across accounts dev's two repositories get a policy each.
    counts = (
        *((s, 8) for s in building),
        *((s, 10) for s in promoted),
        ("devx", 10),
        ("prodx", 10),
        ("reuse", 5),
    )
    for env, count in counts:
        assert sum(k.startswith(f"{env}:") for k in all_policies) == count
    for text in all_policies.values():
        json.loads(text)


def test_parliament_reports_nothing(all_policies: dict[str, str]) -> None:
    report = {name: _findings(text) for name, text in all_policies.items()}
    assert {name: f for name, f in report.items() if f} == {}


def test_parliament_can_fail() -> None:
    """The gate is live: a star action and a wrong resource type are reported."""
    bad = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Effect": "Allow", "Action": "ecr:PutImage", "Resource": "arn:aws:s3:::bucket"},
        ],
    }
    assert len(_findings(json.dumps(bad))) >= 2


def test_only_the_nlb_alternative_is_forgiven() -> None:
    listener = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/a/0123/4567"
    ok = {"Effect": "Allow", "Action": "elasticloadbalancing:ModifyListener", "Resource": listener}
    wrong = {**ok, "Resource": "arn:aws:ecs:eu-west-1:123456789012:service/c/s"}
    for statement, expected in ((ok, 0), (wrong, 1)):
        policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
        assert len(_findings(policy)) == expected, statement


def test_only_the_hook_status_call_on_its_group_is_forgiven() -> None:
    group = "arn:aws:codedeploy:eu-west-1:123456789012:deploymentgroup:app/group"
    status = {
        "Effect": "Allow",
        "Action": "codedeploy:PutLifecycleEventHookExecutionStatus",
        "Resource": group,
    }
    other = {**status, "Action": "codedeploy:ListApplications"}  # takes only "*"
    for statement, expected in ((status, 0), (other, 1)):
        policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
        assert len(_findings(policy)) == expected, statement


def test_only_the_cache_import_on_its_repositories_is_forgiven() -> None:
    cached = "arn:aws:ecr:eu-west-1:123456789012:repository/svc-ecr-public/*"
    allowed = {"Effect": "Allow", "Action": "ecr:BatchImportUpstreamImage", "Resource": cached}
    other = {**allowed, "Action": "ecr:GetAuthorizationToken"}  # takes only "*"
    for statement, expected in ((allowed, 0), (other, 1)):
        policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
        assert len(_findings(policy)) == expected, statement
