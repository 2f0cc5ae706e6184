"""Build once, promote everywhere, on the local AWS emulator: dev and prod (the shipped
configs, each synthesized with the other planned as its promotion partner) applied with real
Terraform into one emulator, checked through the AWS API, handed a release, re-planned to no
changes and destroyed, prod first.

What is checked: prod's pipeline is Source (its hand-off bucket's object, no polling) ->
Approval (manual, an encrypted topic) -> Deploy (the release build in promotion mode, then
CodeDeploy); dev's pipeline ends by publishing to that object; the hand-off bucket keeps
every release as a version and sends its events to EventBridge, whose rule starts prod's
pipeline for that key only; prod builds nothing and has no repository: its releases run
dev's images. Nothing runs in the emulator (no pipeline execution, no build): a hand-off is
simulated by putting release zips where dev's Publish stage puts them. Both stacks are
applied in parallel (neither needs the other to exist: each names the other's resources by
their known names), so the module costs about one apply.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from stacks.settings import Settings
from tests.integration.test_emulator_deploy import (
    TERRAFORM_TIMEOUT,
    Deployment,
    apply,
    prepared,
    remaining_resources,
    skip_without_terraform,
)

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
COMMITS = ("1" * 40, "2" * 40)  # two releases of dev, the older first


@dataclass(frozen=True)
class Promotion:
    dev: Deployment
    prod: Deployment

    @property
    def handoff_bucket(self) -> str:
        from constructs_lib.release_handoff import handoff_bucket_name
        from tools.emulator import ACCOUNT

        return handoff_bucket_name(self.prod.name, self.prod.settings.region, ACCOUNT)

    @property
    def handoff_key(self) -> str:
        from constructs_lib.release_handoff import handoff_key

        return handoff_key(self.dev.name)

    def pipeline(self, deployment: Deployment) -> dict[str, Any]:
        found: dict[str, Any] = deployment.client("codepipeline").get_pipeline(name=deployment.name)
        return found

    def dev_repositories(self) -> dict[str, dict[str, Any]]:
        """The emulator's repositories, by container (each must be dev's)."""
        found = self.dev.client("ecr").describe_repositories()["repositories"]
        return {r["repositoryName"].rsplit("/", 1)[1]: r for r in found}


def apply_together(environments: Sequence[Settings], work: Path, endpoint: str) -> list[Deployment]:
    """Each environment synthesized with all of them as its promotion partners, then all
    applied at once to the emulator at ``endpoint``."""
    # One jsii runtime: synthesis stays sequential; the applies run side by side.
    stacks = [prepared(s, work / s.environment, endpoint, environments) for s in environments]
    with ThreadPoolExecutor(len(stacks)) as pool:
        return list(pool.map(apply, stacks))


@pytest.fixture(scope="module")
def promotion(
    settings_by_env: dict[str, Settings], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Promotion]:
    from tools.emulator import Emulator, for_emulator, reset

    skip_without_terraform()
    dev, prod = (for_emulator(settings_by_env[env]) for env in ("dev", "prod"))
    assert prod.pipeline.promote_from == dev.environment
    assert prod.pipeline.approval == "manual"
    work = tmp_path_factory.mktemp("emulator-promotion")
    with Emulator() as server:
        reset(server.endpoint)  # moto keeps its state for the whole process
        try:
            yield Promotion(*apply_together([dev, prod], work, server.endpoint))
        finally:
            reset(server.endpoint)  # whatever a failed test left: later emulators start clean


def test_both_stacks_apply(promotion: Promotion) -> None:
    for deployment in (promotion.dev, promotion.prod):
        managed = deployment.workspace.managed_resources()
        assert len(managed) == deployment.stack_resources, deployment.name
        print(f"{deployment.name}: {len(managed)} resources in {deployment.apply_seconds:.0f} s")


def test_prod_pipeline_is_source_then_approval_then_release_and_deploy(
    promotion: Promotion,
) -> None:
    pipeline = promotion.pipeline(promotion.prod)["pipeline"]
    stages = {stage["name"]: stage["actions"] for stage in pipeline["stages"]}
    assert list(stages) == ["Source", "Approval", "Deploy"]

    (source,) = stages["Source"]
    assert source["actionTypeId"] == {
        "category": "Source",
        "owner": "AWS",
        "provider": "S3",
        "version": "1",
    }
    assert source["configuration"] == {
        "S3Bucket": promotion.handoff_bucket,
        "S3ObjectKey": promotion.handoff_key,
        "PollForSourceChanges": "false",  # the hand-off's rule starts it
    }

    (approval,) = stages["Approval"]
    assert approval["actionTypeId"]["category"] == "Approval"
    assert approval["actionTypeId"]["provider"] == "Manual"
    topic = approval["configuration"]["NotificationArn"]
    attributes = promotion.prod.client("sns").get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attributes["KmsMasterKeyId"] == "alias/aws/sns"

    release, deploy = sorted(stages["Deploy"], key=lambda action: action["runOrder"])
    assert (release["name"], release["runOrder"], deploy["name"], deploy["runOrder"]) == (
        "Release",
        1,
        "Deploy",
        2,
    )
    assert release["actionTypeId"]["provider"] == "CodeBuild"
    assert release["inputArtifacts"] == source["outputArtifacts"]  # the hand-off's zip
    assert deploy["inputArtifacts"] == release["outputArtifacts"]
    assert deploy["actionTypeId"]["provider"] == "CodeDeployToECS"
    assert deploy["configuration"]["ApplicationName"] == promotion.prod.name
    assert deploy["configuration"]["DeploymentGroupName"] == promotion.prod.name
    codedeploy = promotion.prod.client("codedeploy")
    group = codedeploy.get_deployment_group(
        applicationName=promotion.prod.name, deploymentGroupName=promotion.prod.name
    )["deploymentGroupInfo"]
    assert group["ecsServices"] == [
        {"serviceName": promotion.prod.name, "clusterName": promotion.prod.name}
    ]


def test_release_project_renders_the_manifest_without_docker(promotion: Promotion) -> None:
    (name,) = {
        action["configuration"]["ProjectName"]
        for stage in promotion.pipeline(promotion.prod)["pipeline"]["stages"]
        for action in stage["actions"]
        if action["name"] == "Release"
    }
    (project,) = promotion.prod.client("codebuild").batch_get_projects(names=[name])["projects"]
    environment = project["environment"]
    assert environment["privilegedMode"] is False  # no docker daemon: nothing is built
    variables = {v["name"]: v["value"] for v in environment["environmentVariables"]}
    assert variables["RELEASE_MANIFEST"] == "release.json"
    assert "TEST_TARGETS" not in variables  # dev's build tested these very images
    # The images released are dev's repositories' (the manifest must name them by digest).
    released = {
        entry.split(",")[0]: entry.split(",")[2] for entry in variables["RELEASE_IMAGES"].split()
    }
    assert released == {c: r["repositoryUri"] for c, r in promotion.dev_repositories().items()}
    # The buildspec dev runs from its source, reaching CodeBuild as written (bash's ${...}
    # survives Terraform's template syntax).
    assert project["source"]["buildspec"] == (ROOT / "app" / "buildspec.yml").read_text()


def test_dev_pipeline_publishes_its_build_output_to_prods_handoff(promotion: Promotion) -> None:
    stages = promotion.pipeline(promotion.dev)["pipeline"]["stages"]
    assert [stage["name"] for stage in stages] == ["Source", "Build", "Deploy", "Publish"]
    (publish,) = stages[-1]["actions"]
    assert publish["actionTypeId"]["category"] == "Deploy"
    assert publish["actionTypeId"]["provider"] == "S3"
    assert publish["configuration"] == {
        "BucketName": promotion.handoff_bucket,
        "ObjectKey": promotion.handoff_key,
        "Extract": "false",  # the zip as it is: prod's S3 source reads one object
    }
    (build,) = stages[1]["actions"]
    assert publish["inputArtifacts"] == build["outputArtifacts"]  # release.json is in it

    iam = promotion.dev.client("iam")
    role = promotion.pipeline(promotion.dev)["pipeline"]["roleArn"].rsplit("/", 1)[1]
    statements = {
        statement.get("Sid"): statement
        for policy in iam.list_role_policies(RoleName=role)["PolicyNames"]
        for statement in iam.get_role_policy(RoleName=role, PolicyName=policy)["PolicyDocument"][
            "Statement"
        ]
    }
    publishing = statements["PublishReleases"]
    assert publishing["Action"] in (["s3:PutObject"], "s3:PutObject")
    bucket_arn = f"arn:aws:s3:::{promotion.handoff_bucket}"
    assert publishing["Resource"] in (
        [f"{bucket_arn}/{promotion.handoff_key}"],
        f"{bucket_arn}/{promotion.handoff_key}",
    )


def test_handoff_bucket_keeps_versions_and_sends_events_to_eventbridge(
    promotion: Promotion,
) -> None:
    s3 = promotion.prod.client("s3")
    assert s3.get_bucket_versioning(Bucket=promotion.handoff_bucket)["Status"] == "Enabled"
    notifications = s3.get_bucket_notification_configuration(Bucket=promotion.handoff_bucket)
    assert notifications.get("EventBridgeConfiguration") == {}


def _handoff_rule(promotion: Promotion) -> dict[str, Any]:
    (rule,) = promotion.prod.client("events").list_rules()["Rules"]
    return dict(rule)


def test_handoff_rule_starts_prods_pipeline_with_a_role(promotion: Promotion) -> None:
    rule = _handoff_rule(promotion)
    assert rule["State"] == "ENABLED"
    assert json.loads(rule["EventPattern"]) == {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {
            "bucket": {"name": [promotion.handoff_bucket]},
            "object": {"key": [promotion.handoff_key]},
        },
    }
    (target,) = promotion.prod.client("events").list_targets_by_rule(Rule=rule["Name"])["Targets"]
    pipeline_arn = promotion.pipeline(promotion.prod)["metadata"]["pipelineArn"]
    assert target["Arn"] == pipeline_arn
    iam = promotion.prod.client("iam")
    role = iam.get_role(RoleName=target["RoleArn"].rsplit("/", 1)[1])["Role"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    (policy,) = iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]
    (grant,) = iam.get_role_policy(RoleName=role["RoleName"], PolicyName=policy)["PolicyDocument"][
        "Statement"
    ]
    assert grant["Action"] in (
        ["codepipeline:StartPipelineExecution"],
        "codepipeline:StartPipelineExecution",
    )
    assert grant["Resource"] in ([pipeline_arn], pipeline_arn)


def test_prod_builds_nothing_and_runs_devs_images(promotion: Promotion) -> None:
    repositories = promotion.dev_repositories()
    # Every repository in the emulator is dev's: prod has none of its own.
    assert {r["repositoryName"] for r in repositories.values()} == {
        f"{promotion.dev.name}/{container}" for container in repositories
    }
    assert set(repositories) == {"app", "nginx"}
    ssm = promotion.prod.client("ssm")
    template = json.loads(
        ssm.get_parameter(Name=f"/{promotion.prod.name}/release/taskdef-template")["Parameter"][
            "Value"
        ]
    )
    images = {c["name"]: c["image"] for c in template["containerDefinitions"]}
    # CodeDeploy puts the primary container's image (imageDetail.json) in <IMAGE1_NAME>;
    # the release build replaces the others' <SOURCE_VERSION> tags with dev's digests.
    assert images == {
        "app": "<IMAGE1_NAME>",
        "nginx": f"{repositories['nginx']['repositoryUri']}:<SOURCE_VERSION>",
    }
    role = template["executionRoleArn"].rsplit("/", 1)[1]
    iam = promotion.prod.client("iam")
    statements = {
        statement["Sid"]: statement
        for policy in iam.list_role_policies(RoleName=role)["PolicyNames"]
        for statement in iam.get_role_policy(RoleName=role, PolicyName=policy)["PolicyDocument"][
            "Statement"
        ]
    }
    pulls = statements["PullPromotedImages"]
    assert "ecr:BatchGetImage" in pulls["Action"]
    assert sorted(pulls["Resource"]) == sorted(r["repositoryArn"] for r in repositories.values())


def _release_zip(commit: str, repositories: dict[str, dict[str, Any]]) -> bytes:
    """dev's build output as its Publish stage hands it off: release.json among the
    release files, every image by digest in dev's repositories."""
    digest = commit[:8] * 8  # 64 hex
    images = {c: f"{r['repositoryUri']}@sha256:{digest}" for c, r in repositories.items()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        manifest = {"commit": commit, "images": images}
        archive.writestr("release.json", json.dumps(manifest, indent=2, sort_keys=True))
        archive.writestr("imageDetail.json", json.dumps({"ImageURI": images["app"]}))
    return buffer.getvalue()


def _object_created(promotion: Promotion, key: str, put: dict[str, Any]) -> str:
    """The "Object Created" event S3 sends EventBridge for ``key`` (AWS's documented
    shape)."""
    bucket = promotion.handoff_bucket
    return json.dumps(
        {
            "version": "0",
            "id": "2d4eba74-fd51-3966-4bfa-b013c9da8ff1",
            "detail-type": "Object Created",
            "source": "aws.s3",
            "account": "123456789012",
            "time": "2026-01-01T00:00:00Z",
            "region": promotion.prod.settings.region,
            "resources": [f"arn:aws:s3:::{bucket}"],
            "detail": {
                "version": "0",
                "bucket": {"name": bucket},
                "object": {
                    "key": key,
                    "etag": put["ETag"].strip('"'),
                    "version-id": put.get("VersionId"),
                },
                "reason": "PutObject",
            },
        }
    )


def test_a_handoff_keeps_each_release_and_starts_prod_for_that_key_only(
    promotion: Promotion,
) -> None:
    s3 = promotion.prod.client("s3")
    bucket, key = promotion.handoff_bucket, promotion.handoff_key
    repositories = promotion.dev_repositories()
    puts = [
        s3.put_object(Bucket=bucket, Key=key, Body=_release_zip(commit, repositories))
        for commit in COMMITS
    ]
    versions = s3.list_object_versions(Bucket=bucket, Prefix=key)["Versions"]
    assert sorted(v["VersionId"] for v in versions) == sorted(p["VersionId"] for p in puts)
    assert [v["VersionId"] for v in versions if v["IsLatest"]] == [puts[-1]["VersionId"]]
    # The older release stays readable by its version id: a redeploy of it is possible
    # (a pipeline execution with that S3 version as its source revision).
    older = s3.get_object(Bucket=bucket, Key=key, VersionId=puts[0]["VersionId"])["Body"].read()
    with zipfile.ZipFile(io.BytesIO(older)) as archive:
        manifest = json.loads(archive.read("release.json"))
    assert manifest["commit"] == COMMITS[0]
    assert {c: ref.split("@")[0] for c, ref in manifest["images"].items()} == {
        c: r["repositoryUri"] for c, r in repositories.items()
    }

    events = promotion.prod.client("events")
    pattern = _handoff_rule(promotion)["EventPattern"]

    def starts_prod(event: str) -> bool:
        return bool(events.test_event_pattern(EventPattern=pattern, Event=event)["Result"])

    assert starts_prod(_object_created(promotion, key, puts[-1]))
    other_key = key.replace(promotion.dev.name, "ecs-blue-green-staging")
    other = s3.put_object(Bucket=bucket, Key=other_key, Body=b"not a release of dev")
    assert not starts_prod(_object_created(promotion, other_key, other))
    deleted = json.loads(_object_created(promotion, key, puts[-1]))
    assert not starts_prod(json.dumps({**deleted, "detail-type": "Object Deleted"}))


def test_plans_show_no_changes(promotion: Promotion) -> None:
    with ThreadPoolExecutor(2) as pool:
        plans = dict(
            zip(
                ("dev", "prod"),
                pool.map(Deployment.plan_exit_code, (promotion.dev, promotion.prod)),
                strict=True,
            )
        )
    for environment, (code, output) in plans.items():
        assert code == 0, f"{environment}:\n{output}"


def _destroy(deployment: Deployment) -> None:
    destroy = deployment.workspace.run(
        "destroy", "-auto-approve", "-input=false", "-parallelism=20", timeout=TERRAFORM_TIMEOUT
    )
    assert destroy.returncode == 0, destroy.stdout[-4000:] + destroy.stderr
    assert deployment.workspace.managed_resources() == []


def test_destroy_prod_then_dev_leaves_nothing_behind(promotion: Promotion) -> None:
    prod, dev = promotion.prod, promotion.dev
    before = remaining_resources(dev)
    assert all(before.values()), before

    # prod's protections hold; the operator lifts them to tear prod down (its config: the
    # load balancer's deletion protection, hand-off and artifact buckets not force-emptied).
    elbv2 = prod.client("elbv2")
    (alb,) = elbv2.describe_load_balancers(Names=[prod.name])["LoadBalancers"]
    with pytest.raises(elbv2.exceptions.ClientError, match="OperationNotPermitted"):
        elbv2.delete_load_balancer(LoadBalancerArn=alb["LoadBalancerArn"])
    elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=alb["LoadBalancerArn"],
        Attributes=[{"Key": "deletion_protection.enabled", "Value": "false"}],
    )
    s3 = prod.client("s3")
    listed = s3.list_object_versions(Bucket=promotion.handoff_bucket)
    for version in listed.get("Versions", []) + listed.get("DeleteMarkers", []):
        s3.delete_object(
            Bucket=promotion.handoff_bucket, Key=version["Key"], VersionId=version["VersionId"]
        )

    _destroy(prod)
    _destroy(dev)

    left = remaining_resources(dev)
    # Task definition revisions stay registered by design (skip_destroy): each stack's first.
    revisions = [arn.rsplit("/", 1)[1] for arn in left.pop("task definitions")]
    assert sorted(revisions) == [f"{dev.name}:1", f"{prod.name}:1"]
    assert {kind: names for kind, names in left.items() if names} == {}
    assert prod.client("events").list_rules()["Rules"] == []
    assert prod.client("sns").list_topics()["Topics"] == []
    assert prod.client("ecr").describe_pull_through_cache_rules()["pullThroughCacheRules"] == []
