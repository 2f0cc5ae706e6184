"""CodeDeployPipeline: source, build, deploy, artifact bucket and least-privilege IAM."""

import json
import re
from dataclasses import replace
from typing import Any

import pytest

from constructs_lib import bindings
from constructs_lib.bindings import CodedeployDeploymentGroup, Codepipeline
from constructs_lib.codedeploy_pipeline import (
    ALL_AT_ONCE,
    CodeDeployPipelineProps,
)
from constructs_lib.release_spec import TrafficShift
from constructs_lib.validation import ValidationError
from stacks.settings import ServiceSettings
from stacks.workload import workload_task
from tests.fake_aws import fake_resolve, literal_service_target, literal_traffic_routes
from tests.reuse_stack import (
    EXISTING_CONNECTION,
    LINEAR,
    READY_WAIT_MINUTES,
    ROLLBACK_ALARMS,
)
from tests.synth import Synth

ECS_TASKS = "ecs-tasks.amazonaws.com"


def _stages(s: Synth) -> dict[str, dict[str, Any]]:
    pipeline = s.body("aws_codepipeline")
    return {stage["name"]: stage["action"][0] for stage in pipeline["stage"]}


def _statements(s: Synth, purpose: str) -> dict[str, dict[str, Any]]:
    policy = json.loads(s.named("aws_iam_role_policy", f"{purpose}-policy")[1]["policy"])
    return {st["Sid"]: st for st in policy["Statement"]}


def _environment(s: Synth) -> dict[str, str]:
    variables = s.body("aws_codebuild_project")["environment"]["environment_variable"]
    return {v["name"]: v["value"] for v in variables}


# --- source ----------------------------------------------------------------------------


def test_pipeline_is_v2_triggered_by_pushes_to_the_branch(dev: Synth) -> None:
    pipeline = dev.body("aws_codepipeline")
    assert pipeline["pipeline_type"] == "V2"
    # prod promotes from dev: dev publishes each successful release after its deploy.
    assert [stage["name"] for stage in pipeline["stage"]] == [
        "Source",
        "Build",
        "Deploy",
        "Publish",
    ]
    (trigger,) = pipeline["trigger"]
    assert trigger["provider_type"] == "CodeStarSourceConnection"
    git = trigger["git_configuration"]
    assert git["source_action_name"] == "Source"
    (push,) = git["push"]
    assert push["branches"] == {"includes": ["main"]}
    assert push["file_paths"] == {"includes": ["app/**"]}  # config/dev.toml


def test_source_uses_the_created_connection(dev: Synth) -> None:
    connection_name, connection = dev.one("aws_codeconnections_connection")
    assert connection["provider_type"] == "GitHub"
    assert len(connection["name"]) <= 32
    source = _stages(dev)["Source"]
    assert (source["owner"], source["provider"], source["category"]) == (
        "AWS",
        "CodeStarSourceConnection",
        "Source",
    )
    assert source["configuration"] == {
        "ConnectionArn": dev.ref("aws_codeconnections_connection", connection_name, "arn"),
        "FullRepositoryId": "example-org/ecs-blue-green",
        "BranchName": "main",
        "OutputArtifactFormat": "CODE_ZIP",
        "DetectChanges": "false",  # the V2 trigger starts runs; no duplicate detector
    }
    assert source["namespace"] == "SourceVariables"
    output = dev.tf["output"]
    assert output["codeconnection_arn"]["value"] == source["configuration"]["ConnectionArn"]
    assert "Update pending connection" in output["codeconnection_activation"]["value"]


def test_existing_connection_is_used_not_created(reuse: Synth) -> None:
    assert reuse.resources("aws_codeconnections_connection") == {}
    source = _stages(reuse)["Source"]
    assert source["configuration"]["ConnectionArn"] == EXISTING_CONNECTION
    assert source["configuration"]["BranchName"] == "release"
    assert (
        "file_paths"
        not in reuse.body("aws_codepipeline")["trigger"][0]["git_configuration"]["push"][0]
    )


# --- build -----------------------------------------------------------------------------


def test_build_project_is_privileged_cached_with_buildspec_path(dev: Synth, reuse: Synth) -> None:
    project = dev.body("aws_codebuild_project")
    environment = project["environment"]
    assert environment["privileged_mode"] is True
    assert environment["image"] == "aws/codebuild/amazonlinux-x86_64-standard:5.0"
    assert environment["type"] == "LINUX_CONTAINER"
    assert project["cache"] == {
        "type": "LOCAL",
        "modes": ["LOCAL_DOCKER_LAYER_CACHE", "LOCAL_SOURCE_CACHE"],
    }
    assert project["source"] == {"type": "CODEPIPELINE", "buildspec": "app/buildspec.yml"}
    assert reuse.body("aws_codebuild_project")["source"]["buildspec"] == "ci/buildspec.yaml"
    log_group, _ = dev.named("aws_cloudwatch_log_group", "build-logs")
    assert project["logs_config"]["cloudwatch_logs"]["group_name"] == dev.ref(
        "aws_cloudwatch_log_group", log_group, "name"
    )


def test_build_environment_comes_from_the_container_spec(dev: Synth) -> None:
    env = _environment(dev)
    app_repo, _ = dev.named("aws_ecr_repository", "ecr-app")
    nginx_repo, _ = dev.named("aws_ecr_repository", "ecr-nginx")
    assert env["RELEASE_IMAGES"] == (
        f"app,app,{dev.ref('aws_ecr_repository', app_repo, 'repository_url')} "
        f"nginx,app/nginx,{dev.ref('aws_ecr_repository', nginx_repo, 'repository_url')}"
    )
    assert env["TEST_TARGETS"] == "app,test"
    assert env["PRIMARY_CONTAINER"] == "app"
    taskdef, _ = dev.named("aws_ssm_parameter", "taskdef")
    appspec, _ = dev.named("aws_ssm_parameter", "appspec")
    assert env["TASKDEF_PARAMETER"] == dev.ref("aws_ssm_parameter", taskdef, "name")
    assert env["APPSPEC_PARAMETER"] == dev.ref("aws_ssm_parameter", appspec, "name")
    build = _stages(dev)["Build"]
    assert json.loads(build["configuration"]["EnvironmentVariables"]) == [
        {"name": "SOURCE_COMMIT", "value": "#{SourceVariables.CommitId}", "type": "PLAINTEXT"}
    ]


def test_release_spec_parameters_are_reviewable_strings(dev: Synth) -> None:
    for name, parameter in dev.resources("aws_ssm_parameter").items():
        assert parameter["type"] == "String", name
        assert "insecure_value" in parameter and "value" not in parameter
        assert parameter["tier"] == "Intelligent-Tiering"
        assert parameter["name"].startswith("/ecs-blue-green-dev/release/")


# --- deploy ----------------------------------------------------------------------------


def test_deploy_action_feeds_codedeploy_the_build_output(dev: Synth) -> None:
    deploy = _stages(dev)["Deploy"]
    assert deploy["provider"] == "CodeDeployToECS"
    assert deploy["input_artifacts"] == ["BuildOutput"]
    app, _ = dev.one("aws_codedeploy_app")
    group, _ = dev.one("aws_codedeploy_deployment_group")
    assert deploy["configuration"] == {
        "ApplicationName": dev.ref("aws_codedeploy_app", app, "name"),
        "DeploymentGroupName": dev.ref(
            "aws_codedeploy_deployment_group", group, "deployment_group_name"
        ),
        "TaskDefinitionTemplateArtifact": "BuildOutput",
        "TaskDefinitionTemplatePath": "taskdef.json",
        "AppSpecTemplateArtifact": "BuildOutput",
        "AppSpecTemplatePath": "appspec.yaml",
        "Image1ArtifactName": "BuildOutput",
        "Image1ContainerName": "IMAGE1_NAME",
    }


def test_deployment_group_is_blue_green_over_both_listeners(dev: Synth) -> None:
    assert dev.body("aws_codedeploy_app")["compute_platform"] == "ECS"
    group = dev.body("aws_codedeploy_deployment_group")
    assert group["deployment_style"] == {
        "deployment_option": "WITH_TRAFFIC_CONTROL",
        "deployment_type": "BLUE_GREEN",
    }
    cluster, _ = dev.one("aws_ecs_cluster")
    service, _ = dev.one("aws_ecs_service")
    assert group["ecs_service"] == {
        "cluster_name": dev.ref("aws_ecs_cluster", cluster, "name"),
        "service_name": dev.ref("aws_ecs_service", service, "name"),
    }
    pair = group["load_balancer_info"]["target_group_pair_info"]
    production, _ = dev.named("aws_lb_listener", "production")
    test, _ = dev.named("aws_lb_listener", "test")
    assert pair["prod_traffic_route"] == {
        "listener_arns": [dev.ref("aws_lb_listener", production, "arn")]
    }
    assert pair["test_traffic_route"] == {
        "listener_arns": [dev.ref("aws_lb_listener", test, "arn")]
    }
    blue, _ = dev.named("aws_lb_target_group", "blue")
    green, _ = dev.named("aws_lb_target_group", "green")
    assert pair["target_group"] == [
        {"name": dev.ref("aws_lb_target_group", blue, "name")},
        {"name": dev.ref("aws_lb_target_group", green, "name")},
    ]
    assert bindings.Testing.to_have_resource_with_properties(
        dev.text,
        CodedeployDeploymentGroup.TF_RESOURCE_TYPE,
        {"auto_rollback_configuration": {"enabled": True}},
    )


def test_without_alarms_rollback_is_on_failure_and_stop(cdktf_app, synth, settings_by_env) -> None:
    import dataclasses

    from stacks.blue_green_stack import BlueGreenStack
    from stacks.settings import AlarmSettings

    settings = dataclasses.replace(
        settings_by_env["dev"], environment="noalarms", alarms=AlarmSettings(enabled=False)
    )
    quiet = synth(BlueGreenStack(cdktf_app, settings))
    group = quiet.body("aws_codedeploy_deployment_group")
    assert group["auto_rollback_configuration"] == {
        "enabled": True,
        "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST"],
    }
    assert "alarm_configuration" not in group
    assert not quiet.resources("aws_cloudwatch_metric_alarm")
    assert "ReadRollbackAlarms" not in _statements(quiet, "deploy")


def test_alarms_add_stop_on_alarm_rollback(reuse: Synth) -> None:
    group = reuse.body("aws_codedeploy_deployment_group")
    assert group["alarm_configuration"] == {"enabled": True, "alarms": list(ROLLBACK_ALARMS)}
    assert "DEPLOYMENT_STOP_ON_ALARM" in group["auto_rollback_configuration"]["events"]
    alarms = _statements(reuse, "deploy")["ReadRollbackAlarms"]
    assert alarms["Action"] == ["cloudwatch:DescribeAlarms"]
    assert [r.rsplit(":", 1)[1] for r in alarms["Resource"]] == list(ROLLBACK_ALARMS)


@pytest.mark.parametrize(
    ("env", "config", "termination_wait"),
    [
        ("dev", ALL_AT_ONCE, 1),
        ("prod", "CodeDeployDefault.ECSCanary10Percent5Minutes", 10),
    ],
)
def test_deployment_config_and_waits_follow_settings(
    synths: dict[str, Synth], env: str, config: str, termination_wait: int
) -> None:
    s = synths[env]
    group = s.body("aws_codedeploy_deployment_group")
    assert group["deployment_config_name"] == config
    assert s.resources("aws_codedeploy_deployment_config") == {}
    blue_green = group["blue_green_deployment_config"]
    # Continue: no wait time (CodeDeploy rejects one with CONTINUE_DEPLOYMENT).
    assert blue_green["deployment_ready_option"] == {"action_on_timeout": "CONTINUE_DEPLOYMENT"}
    assert blue_green["terminate_blue_instances_on_deployment_success"] == {
        "action": "TERMINATE",
        "termination_wait_time_in_minutes": termination_wait,
    }


def test_custom_shift_and_approval_wait(reuse: Synth) -> None:
    name, config = reuse.one("aws_codedeploy_deployment_config")
    assert config["compute_platform"] == "ECS"
    assert config["traffic_routing_config"] == {
        "type": "TimeBasedLinear",
        "time_based_linear": {"percentage": LINEAR.percentage, "interval": LINEAR.interval_minutes},
    }
    group = reuse.body("aws_codedeploy_deployment_group")
    assert group["deployment_config_name"] == reuse.ref(
        "aws_codedeploy_deployment_config", name, "deployment_config_name"
    )
    assert group["blue_green_deployment_config"]["deployment_ready_option"] == {
        "action_on_timeout": "STOP_DEPLOYMENT",
        "wait_time_in_minutes": READY_WAIT_MINUTES,
    }


def test_canary_shift_renders_time_based_canary(new_stack, synth) -> None:  # type: ignore[no-untyped-def]
    from constructs_lib import CodeDeployPipeline

    stack = new_stack("pipeline-canary")
    CodeDeployPipeline(
        stack,
        "release",
        replace(
            _props(),
            deployment_config=TrafficShift(kind="canary", percentage=10, interval_minutes=15),
        ),
    )
    config = synth(stack).body("aws_codedeploy_deployment_config")
    assert config["deployment_config_name"] == "shop-canary-10pct-15min"
    assert config["traffic_routing_config"] == {
        "type": "TimeBasedCanary",
        "time_based_canary": {"percentage": 10, "interval": 15},
    }


# --- artifact bucket -------------------------------------------------------------------


def test_artifact_bucket_is_unique_private_encrypted_versioned_and_expiring(dev: Synth) -> None:
    name, bucket = dev.named("aws_s3_bucket", "artifacts")
    assert "acl" not in bucket
    assert bucket["force_destroy"] is True  # config/dev.toml
    # Unique by construction: account and region are part of the name.
    assert re.fullmatch(
        r"ecs-blue-green-dev-artifacts-\$\{data\.aws_caller_identity\.[\w-]+\.account_id\}"
        r"-ap-northeast-1",
        bucket["bucket"],
    ), bucket["bucket"]
    ref = dev.ref("aws_s3_bucket", name, "id")
    assert dev.named("aws_s3_bucket_ownership_controls", "artifacts")[1] == {
        "bucket": ref,
        "rule": {"object_ownership": "BucketOwnerEnforced"},
    }
    block = dev.named("aws_s3_bucket_public_access_block", "artifacts")[1]
    assert all(
        block[k]
        for k in (
            "block_public_acls",
            "block_public_policy",
            "ignore_public_acls",
            "restrict_public_buckets",
        )
    )
    assert dev.named("aws_s3_bucket_versioning", "artifacts")[1]["versioning_configuration"] == {
        "status": "Enabled"
    }
    (sse,) = dev.named("aws_s3_bucket_server_side_encryption_configuration", "artifacts")[1]["rule"]
    assert sse["apply_server_side_encryption_by_default"] == {"sse_algorithm": "aws:kms"}
    (rule,) = dev.named("aws_s3_bucket_lifecycle_configuration", "artifacts")[1]["rule"]
    assert rule["status"] == "Enabled"
    assert rule["expiration"] == [{"days": 14}]
    assert rule["noncurrent_version_expiration"] == [{"noncurrent_days": 14}]
    assert rule["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 1}]
    (deny,) = json.loads(dev.named("aws_s3_bucket_policy", "artifacts")[1]["policy"])["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    pipeline = dev.body("aws_codepipeline")
    assert pipeline["artifact_store"] == [
        {"location": dev.ref("aws_s3_bucket", name, "bucket"), "type": "S3"}
    ]


def test_prod_keeps_its_artifacts_on_destroy(prod: Synth) -> None:
    assert prod.named("aws_s3_bucket", "artifacts")[1]["force_destroy"] is False


# --- IAM -------------------------------------------------------------------------------


def test_one_role_per_service_trusting_only_this_account(dev: Synth) -> None:
    principals = {}
    for purpose in ("pipeline", "build", "deploy"):
        _, role = dev.named("aws_iam_role", f"pipeline_{purpose}-role")
        (trust,) = json.loads(role["assume_role_policy"])["Statement"]
        principals[purpose] = trust["Principal"]["Service"]
        assert trust["Condition"]["StringEquals"]["aws:SourceAccount"].startswith(
            "${data.aws_caller_identity."
        )
        assert len(role["name"]) <= 64
        assert "managed_policy_arns" not in role
    assert principals == {
        "pipeline": "codepipeline.amazonaws.com",
        "build": "codebuild.amazonaws.com",
        "deploy": "codedeploy.amazonaws.com",
    }
    _, build_role = dev.named("aws_iam_role", "pipeline_build-role")
    trust = json.loads(build_role["assume_role_policy"])["Statement"][0]
    assert trust["Condition"]["ArnLike"]["aws:SourceArn"].endswith(
        ":project/ecs-blue-green-dev-build"
    )


# `*` is allowed only where AWS offers no resource-level permission; each one is listed.
ALLOWED_STAR_RESOURCES = {
    ("build", "EcrLogin"),  # ecr:GetAuthorizationToken
    ("deploy", "CreateGreenTaskSet"),  # ecs:CreateTaskSet (narrowed by condition keys)
    ("deploy", "ReadLoadBalancing"),  # elasticloadbalancing:Describe*
}


@pytest.mark.parametrize(("env", "project"), [("dev", "build"), ("prod", "release")])
def test_policies_have_no_star_actions_and_only_known_star_resources(
    synths: dict[str, Synth], env: str, project: str
) -> None:
    """dev builds (its project: ``build``); prod promotes (its project: ``release``)."""
    s = synths[env]
    for purpose in ("pipeline", project, "deploy"):
        for sid, st in _statements(s, purpose).items():
            assert st["Effect"] == "Allow"
            assert all("*" not in action for action in st["Action"]), (purpose, sid)
            if "*" in st["Resource"]:
                assert (purpose, sid) in ALLOWED_STAR_RESOURCES, (purpose, sid)
                assert st["Resource"] == ["*"]


def test_create_task_set_is_limited_to_this_service(dev: Synth) -> None:
    st = _statements(dev, "deploy")["CreateGreenTaskSet"]
    cluster, _ = dev.one("aws_ecs_cluster")
    service, _ = dev.one("aws_ecs_service")
    assert st["Condition"] == {
        "ArnEquals": {
            "ecs:cluster": dev.ref("aws_ecs_cluster", cluster, "arn"),
            "ecs:service": dev.ref("aws_ecs_service", service, "id"),
        }
    }


@pytest.mark.parametrize("purpose", ["pipeline", "deploy"])
def test_pass_role_only_our_task_roles_only_to_ecs_tasks(dev: Synth, purpose: str) -> None:
    """Not AWSCodeDeployRoleForECSLimited: its PassRole covers only roles named
    ecsTaskExecutionRole / ECSTaskExecution*, which ours (rightly) are not."""
    (st,) = [st for st in _statements(dev, purpose).values() if "iam:PassRole" in st["Action"]]
    assert st["Action"] == ["iam:PassRole"]
    execution, _ = dev.named("aws_iam_role", "execution-role")
    task, _ = dev.named("aws_iam_role", "service_task-role")
    assert st["Resource"] == [
        dev.ref("aws_iam_role", execution, "arn"),
        dev.ref("aws_iam_role", task, "arn"),
    ]
    assert st["Condition"] == {"StringEquals": {"iam:PassedToService": ECS_TASKS}}


def test_use_connection_under_both_prefixes_scoped_to_it(dev: Synth, reuse: Synth) -> None:
    for s, expected in (
        (
            dev,
            {
                "codeconnections": "arn:aws:codeconnections:ap-northeast-1:123456789012:connection/",
                "codestar-connections": (
                    "arn:aws:codestar-connections:ap-northeast-1:123456789012:connection/"
                ),
            },
        ),
        (
            reuse,
            {
                "codeconnections": EXISTING_CONNECTION.replace(
                    ":codestar-connections:", ":codeconnections:"
                ),
                "codestar-connections": EXISTING_CONNECTION,
            },
        ),
    ):
        statements = _statements(s, "pipeline")
        for sid, prefix in (
            ("UseOwnConnection", "codeconnections"),
            ("UseOwnConnectionLegacyName", "codestar-connections"),
        ):
            st = statements[sid]
            assert st["Action"] == [f"{prefix}:UseConnection"]
            (resource,) = st["Resource"]
            region = "ap-northeast-1" if s is dev else "us-east-2"
            assert fake_resolve(s, resource, region).startswith(expected[prefix]), (sid, resource)


def test_codedeploy_permissions_are_scoped_to_our_resources(dev: Synth) -> None:
    deploy = _statements(dev, "deploy")
    service, _ = dev.one("aws_ecs_service")
    assert deploy["ManageOwnService"]["Resource"] == [dev.ref("aws_ecs_service", service, "id")]
    cluster, _ = dev.one("aws_ecs_cluster")
    (task_sets,) = deploy["DeleteOldTaskSet"]["Resource"]
    assert task_sets.endswith(
        f":task-set/{dev.ref('aws_ecs_cluster', cluster, 'name')}/"
        f"{dev.ref('aws_ecs_service', service, 'name')}/*"
    )
    listeners = sorted(
        dev.ref("aws_lb_listener", n, "arn") for n in dev.resources("aws_lb_listener")
    )
    assert sorted(deploy["SwitchOwnListeners"]["Resource"]) == listeners
    pipeline = _statements(dev, "pipeline")
    (group,) = pipeline["DeployToOwnGroup"]["Resource"]
    assert re.fullmatch(
        r"arn:\$\{data\.aws_partition\.[\w-]+\.partition\}:codedeploy:ap-northeast-1:"
        r"\$\{data\.aws_caller_identity\.[\w-]+\.account_id\}:deploymentgroup:"
        r"ecs-blue-green-dev/ecs-blue-green-dev",
        group,
    ), group
    task, _ = dev.one("aws_ecs_task_definition")
    (family,) = pipeline["RegisterOwnTaskDefinition"]["Resource"]
    assert family.endswith(
        f":task-definition/{dev.ref('aws_ecs_task_definition', task, 'family')}:*"
    )


@pytest.mark.parametrize(
    ("kind", "fragment"),
    [
        ("aws_codepipeline", "pipeline-policy"),
        ("aws_codebuild_project", "build-policy"),
        ("aws_codedeploy_deployment_group", "deploy-policy"),
    ],
)
def test_resources_wait_for_their_role_policy(dev: Synth, kind: str, fragment: str) -> None:
    """Seed defect: policy attachments raced the resources that needed them."""
    policy, _ = dev.named("aws_iam_role_policy", fragment)
    assert f"aws_iam_role_policy.{policy}" in dev.body(kind)["depends_on"]


def test_cdktf_matcher_sees_the_pipeline(dev: Synth) -> None:
    assert bindings.Testing.to_have_resource_with_properties(
        dev.text, Codepipeline.TF_RESOURCE_TYPE, {"pipeline_type": "V2"}
    )


# --- props -----------------------------------------------------------------------------


def _props(**overrides: Any) -> CodeDeployPipelineProps:
    task = workload_task(ServiceSettings())
    values: dict[str, Any] = {
        "name_prefix": "shop",
        "region": "eu-west-1",
        "repository": "acme/shop",
        "task": task,
        "primary_container": "app",
        "service": literal_service_target(),
        "traffic": literal_traffic_routes(),
    }
    values.update(overrides)
    return CodeDeployPipelineProps(**values)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"repository": "shop"}, "repository"),
        ({"repository": "acme/shop/extra"}, "repository"),
        ({"branch": "-bad branch"}, "branch"),
        ({"connection_arn": "arn:aws:iam::123456789012:role/x"}, "connection_arn"),
        ({"buildspec_path": "../buildspec.yml"}, "buildspec_path"),
        ({"build_compute_type": "BUILD_GENERAL2_SMALL"}, "build_compute_type"),
        ({"build_timeout_minutes": 481}, "build_timeout_minutes"),
        ({"deployment_config": "CodeDeployDefault.OneAtATime"}, "config"),
        ({"ready_wait_minutes": -1}, "ready_wait_minutes"),
        ({"termination_wait_minutes": 2881}, "termination_wait_minutes"),
        ({"log_retention_days": 2}, "log_retention_days"),
        ({"primary_container": "web"}, "primary_container"),
        ({"name_prefix": "Shop"}, "name_prefix"),
        ({"region": "EU"}, "region"),
        ({"manual_approval": True, "approval_emails": ("ops@",)}, "approval_emails[0]"),
        (
            {"manual_approval": True, "approval_emails": ("a@example.com", "a@example.com")},
            "approval_emails",
        ),
        ({"hooks": {"AfterAllowTestTraffic": "verify"}}, "hooks.AfterAllowTestTraffic"),
        ({"alarm_names": ("",)}, "alarm_names[0]"),
    ],
)
def test_props_reject_bad_values(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _props(**overrides)
    assert caught.value.field == field


def test_props_accept_a_codestar_connection_arn() -> None:
    assert _props(connection_arn=EXISTING_CONNECTION).connection_arn == EXISTING_CONNECTION


def test_hooks_reach_the_appspec_and_only_they_may_be_invoked(reuse: Synth, dev: Synth) -> None:
    import yaml

    from tests.reuse_stack import EXISTING_HOOK

    appspec = yaml.safe_load(reuse.named("aws_ssm_parameter", "appspec")[1]["insecure_value"])
    assert appspec["Hooks"] == [{"AfterAllowTestTraffic": EXISTING_HOOK}]
    invoke = _statements(reuse, "deploy")["InvokeOwnHooks"]
    assert invoke["Action"] == ["lambda:InvokeFunction"]
    assert invoke["Resource"] == [EXISTING_HOOK]


def test_hook_events_must_be_ecs_lifecycle_events() -> None:
    from tests.reuse_stack import EXISTING_HOOK

    with pytest.raises(
        ValidationError, match=r"^hooks: 'AfterInstal' is not an ECS lifecycle event"
    ):
        _props(hooks={"AfterInstal": EXISTING_HOOK})
