"""The promoted stack (prod promotes from dev): no build, a hand-off, an approval, the
release by digest through its own engine; and exactly the cross-account grants when the two
environments live in different accounts, none when they share one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import DEV_ACCOUNT, PROD_ACCOUNT
from tests.synth import Synth


def _stages(s: Synth) -> dict[str, list[dict[str, Any]]]:
    return {stage["name"]: stage["action"] for stage in s.body("aws_codepipeline")["stage"]}


def _policy(s: Synth, kind: str, fragment: str) -> dict[str, Any]:
    _, body = s.named(kind, fragment)
    policy: dict[str, Any] = json.loads(body["policy"])
    return policy


def _statements(s: Synth, fragment: str) -> dict[str, dict[str, Any]]:
    policy = _policy(s, "aws_iam_role_policy", fragment)
    return {st["Sid"]: st for st in policy["Statement"]}


def test_promoted_stack_builds_nothing(prod: Synth) -> None:
    assert not prod.resources("aws_codeconnections_connection")
    assert not prod.resources("aws_ecr_repository")
    assert not prod.resources("aws_ecr_lifecycle_policy")
    (project,) = prod.resources("aws_codebuild_project").values()
    assert project["environment"]["privileged_mode"] is False  # no docker daemon
    assert "cache" not in project
    assert "pipeline" not in json.dumps(prod.body("aws_codepipeline").get("trigger", []))
    statements = _statements(prod, "release-policy")
    actions = {a for st in statements.values() for a in st["Action"]}
    assert not [a for a in actions if a.startswith("ecr:")]  # it pushes nothing, pulls nothing


def test_promoted_pipeline_is_handoff_approval_deploy(prod: Synth) -> None:
    stages = _stages(prod)
    assert list(stages) == ["Source", "Approval", "Deploy"]
    (source,) = stages["Source"]
    bucket, _ = prod.named("aws_s3_bucket", "handoff")
    assert (source["provider"], source["category"]) == ("S3", "Source")
    assert source["configuration"] == {
        "S3Bucket": prod.ref("aws_s3_bucket", bucket, "bucket"),
        "S3ObjectKey": "ecs-blue-green-dev/release.zip",
        "PollForSourceChanges": "false",
    }
    (approval,) = stages["Approval"]
    topic, body = prod.one("aws_sns_topic")
    assert (approval["category"], approval["provider"]) == ("Approval", "Manual")
    assert approval["configuration"]["NotificationArn"] == prod.ref("aws_sns_topic", topic, "arn")
    assert body["kms_master_key_id"] == "alias/aws/sns"
    release, deploy = stages["Deploy"]
    project, _ = prod.one("aws_codebuild_project")
    assert (release["name"], release["provider"], release["run_order"]) == (
        "Release",
        "CodeBuild",
        1,
    )
    assert release["configuration"] == {
        "ProjectName": prod.ref("aws_codebuild_project", project, "name")
    }
    assert release["input_artifacts"] == source["output_artifacts"]
    assert (deploy["provider"], deploy["run_order"]) == ("CodeDeployToECS", 2)
    assert deploy["input_artifacts"] == release["output_artifacts"]
    assert prod.body("aws_codepipeline")["execution_mode"] == "SUPERSEDED"


def test_release_runs_the_source_images_by_digest(prod: Synth, dev: Synth) -> None:
    """The release step runs the buildspec in promotion mode (RELEASE_MANIFEST: digests
    from the manifest; tests/integration/test_buildspec.py runs it) on dev's repositories."""
    project = prod.body("aws_codebuild_project")
    environment = {v["name"]: v["value"] for v in project["environment"]["environment_variable"]}
    assert environment["RELEASE_MANIFEST"] == "release.json"
    assert "TEST_TARGETS" not in environment
    # The building environment's buildspec, escaped for Terraform (bash's ${VAR} is not a
    # Terraform template): what CodeBuild receives is the file as written.
    buildspec = project["source"]["buildspec"]
    terraform_reads = buildspec.replace("$${", "${").replace("%%{", "%{")
    assert terraform_reads == (Path(__file__).parents[3] / "app" / "buildspec.yml").read_text()
    assert "${" not in buildspec.replace("$${", "")
    images = [entry.split(",")[2] for entry in environment["RELEASE_IMAGES"].split()]
    assert images == [
        "${data.aws_caller_identity.account.account_id}.dkr.ecr.ap-northeast-1."
        "${data.aws_partition.partition.dns_suffix}/ecs-blue-green-dev/" + name
        for name in ("app", "nginx")
    ]
    template = json.loads(prod.named("aws_ssm_parameter", "taskdef")[1]["insecure_value"])
    for container in template["containerDefinitions"]:
        assert "ecs-blue-green-dev/" in container["image"] or container["image"] == (
            "<IMAGE1_NAME>"
        )
    # dev's repositories, which prod's tasks pull from (same account: its own policy).
    pulls = _statements(prod, "execution-policy")["PullPromotedImages"]
    assert pulls["Resource"] == [
        "arn:${data.aws_partition.partition.partition}:ecr:ap-northeast-1:"
        "${data.aws_caller_identity.account.account_id}:repository/ecs-blue-green-dev/" + name
        for name in ("app", "nginx")
    ]


def test_the_handoff_lands_in_a_versioned_bucket_and_starts_the_pipeline(prod: Synth) -> None:
    bucket, _ = prod.named("aws_s3_bucket", "handoff")
    notification = prod.body("aws_s3_bucket_notification")
    assert notification["eventbridge"] is True
    assert notification["bucket"] == prod.ref("aws_s3_bucket", bucket, "id")
    (_, encryption) = prod.named("aws_s3_bucket_server_side_encryption_configuration", "handoff")
    assert json.dumps(encryption).count("AES256") == 1  # another account cannot use aws/s3
    rule = prod.body("aws_cloudwatch_event_rule")
    pattern = json.loads(rule["event_pattern"])
    assert pattern == {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {
            "bucket": {"name": [prod.ref("aws_s3_bucket", bucket, "bucket")]},
            "object": {"key": ["ecs-blue-green-dev/release.zip"]},
        },
    }
    target = prod.body("aws_cloudwatch_event_target")
    pipeline, _ = prod.one("aws_codepipeline")
    assert target["arn"] == prod.ref("aws_codepipeline", pipeline, "arn")
    (start,) = _statements(prod, "handoff-trigger-policy").values()
    assert start["Action"] == ["codepipeline:StartPipelineExecution"]
    assert start["Resource"] == [prod.ref("aws_codepipeline", pipeline, "arn")]


def test_the_source_publishes_only_after_a_successful_deploy(dev: Synth) -> None:
    stages = _stages(dev)
    assert list(stages)[-2:] == ["Deploy", "Publish"]  # a failed deploy stops before it
    (publish,) = stages["Publish"]
    assert (publish["category"], publish["provider"]) == ("Deploy", "S3")
    assert publish["configuration"] == {
        "BucketName": "ecs-blue-green-prod-releases-${data.aws_caller_identity.account."
        "account_id}-ap-northeast-1",
        "ObjectKey": "ecs-blue-green-dev/release.zip",
        "Extract": "false",
    }
    grant = _statements(dev, "pipeline-policy")["PublishReleases"]
    assert grant["Action"] == ["s3:PutObject"]
    assert grant["Resource"] == [
        "arn:${data.aws_partition.partition.partition}:s3:::ecs-blue-green-prod-releases-"
        "${data.aws_caller_identity.account.account_id}-ap-northeast-1/"
        "ecs-blue-green-dev/release.zip"
    ]


def test_one_account_needs_no_resource_policy(dev: Synth, prod: Synth) -> None:
    """Same account: each role's own policy is the whole grant."""
    assert not dev.resources("aws_ecr_repository_policy")
    handoff = _policy(prod, "aws_s3_bucket_policy", "handoff")
    assert [st["Sid"] for st in handoff["Statement"]] == ["DenyInsecureTransport"]
    assert "allowed_account_ids" not in json.dumps(prod.tf["provider"])


def test_approval_is_announced_and_its_url_output(prod: Synth) -> None:
    topic, _ = prod.one("aws_sns_topic")
    announce = _statements(prod, "pipeline-policy")["AnnounceApprovals"]
    assert announce["Action"] == ["sns:Publish"]
    assert announce["Resource"] == [prod.ref("aws_sns_topic", topic, "arn")]
    outputs = prod.tf["output"]
    pipeline, _ = prod.one("aws_codepipeline")
    name = prod.ref("aws_codepipeline", pipeline, "name")
    assert f"codepipeline/pipelines/{name}/view" in outputs["approval_url"]["value"]
    assert outputs["promoted_from"]["value"] == "dev"
    assert "codeconnection_arn" not in outputs
    assert not prod.resources("aws_sns_topic_subscription")  # no address configured


def test_cross_account_grants_exactly_the_pieces(cross_account_synths: dict[str, Synth]) -> None:
    dev, prod = cross_account_synths["dev"], cross_account_synths["prod"]
    # Each stack refuses another account's credentials.
    for s, account in ((dev, DEV_ACCOUNT), (prod, PROD_ACCOUNT)):
        (provider,) = s.tf["provider"]["aws"]
        assert provider["allowed_account_ids"] == [account]
    # dev's repositories: prod's task execution role may pull, nothing more.
    policies = dev.resources("aws_ecr_repository_policy")
    assert len(policies) == 2
    role = (
        f"arn:${{data.aws_partition.partition.partition}}:iam::{PROD_ACCOUNT}:role/"
        "ecs-blue-green-prodx-task-execution"
    )
    for body in policies.values():
        (st,) = json.loads(body["policy"])["Statement"]
        (principal,) = st["Principal"]["AWS"]
        assert principal.endswith(f":iam::{PROD_ACCOUNT}:root")
        assert st["Condition"] == {"ArnEquals": {"aws:PrincipalArn": [role]}}
        assert st["Action"] == [
            "ecr:BatchCheckLayerAvailability",
            "ecr:BatchGetImage",
            "ecr:GetDownloadUrlForLayer",
        ]
    # prod's hand-off bucket: dev's pipeline role may put the one object.
    handoff = {
        st["Sid"]: st for st in _policy(prod, "aws_s3_bucket_policy", "handoff")["Statement"]
    }
    publish = handoff["PublishReleasesFromSourcePipeline"]
    assert publish["Action"] == "s3:PutObject"
    assert publish["Principal"]["AWS"].endswith(f":iam::{DEV_ACCOUNT}:root")
    assert publish["Condition"] == {
        "ArnEquals": {
            "aws:PrincipalArn": f"arn:${{data.aws_partition.partition.partition}}:iam::"
            f"{DEV_ACCOUNT}:role/ecs-blue-green-devx-pipeline"
        }
    }
    assert publish["Resource"].endswith("/ecs-blue-green-devx/release.zip*")
    # dev publishes into prod's account; prod's tasks pull from dev's account.
    (publish_action,) = _stages(dev)["Publish"]
    assert f"-releases-{PROD_ACCOUNT}-" in publish_action["configuration"]["BucketName"]
    pulls = _statements(prod, "execution-policy")["PullPromotedImages"]
    assert all(f":{DEV_ACCOUNT}:repository/ecs-blue-green-devx/" in r for r in pulls["Resource"])
    project = prod.body("aws_codebuild_project")
    images = [
        v for v in project["environment"]["environment_variable"] if v["name"] == "RELEASE_IMAGES"
    ]
    assert f"{DEV_ACCOUNT}.dkr.ecr." in images[0]["value"]


def test_a_building_environment_may_ask_for_approval(
    synth_variant: Any, settings_by_env: dict[str, Any]
) -> None:
    """Approval between the build and the deploy, with the addresses subscribed."""
    import dataclasses

    dev = settings_by_env["dev"]
    settings = dataclasses.replace(
        dev,
        environment="dev-approved",
        pipeline=dataclasses.replace(
            dev.pipeline, approval="manual", approval_emails=("ops@example.com",)
        ),
    )
    s = synth_variant(settings)
    assert list(_stages(s)) == ["Source", "Build", "Approval", "Deploy"]
    (subscription,) = s.resources("aws_sns_topic_subscription").values()
    topic, _ = s.one("aws_sns_topic")
    assert subscription == {
        "endpoint": "ops@example.com",
        "protocol": "email",
        "topic_arn": s.ref("aws_sns_topic", topic, "arn"),
    }
    assert "approval_url" in s.tf["output"]
