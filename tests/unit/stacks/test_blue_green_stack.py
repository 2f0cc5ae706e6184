"""The composed stack: the seed's inventory is all there, its defects are not."""

import json
import re

from constructs_lib import bindings
from constructs_lib.bindings import EcsService, LbListener, Vpc
from tests.synth import Synth

# SPEC "What the system contains", items 1-5, as Terraform resource types and counts (dev).
SEED_INVENTORY = {
    "aws_vpc": 1,
    "aws_subnet": 4,  # 2 public + 2 private in 2 AZs
    "aws_internet_gateway": 1,
    "aws_route_table": 3,  # public + one private per AZ
    "aws_route_table_association": 4,
    "aws_lb": 1,
    "aws_lb_listener": 2,  # production + test
    "aws_lb_target_group": 2,  # blue + green
    "aws_security_group": 3,  # ALB + service + verification hook
    "aws_ecs_cluster": 1,
    "aws_ecs_service": 1,
    "aws_ecs_task_definition": 1,
    "aws_ecr_repository": 2,  # app + nginx
    "aws_cloudwatch_log_group": 5,  # app, nginx, build, verification hook, VPC flow logs
    "aws_codepipeline": 1,
    "aws_codebuild_project": 1,
    "aws_codedeploy_app": 1,
    "aws_codedeploy_deployment_group": 1,
    "aws_codeconnections_connection": 1,
    "aws_s3_bucket": 2,  # pipeline artifacts, ALB access logs
    "aws_iam_role": 7,  # task execution, task, pipeline, build, deploy, hook, flow logs
}


def test_seed_inventory_is_complete(dev: Synth) -> None:
    for kind, count in SEED_INVENTORY.items():
        assert len(dev.resources(kind)) == count, kind


def test_prod_spreads_over_three_zones(prod: Synth) -> None:
    assert len(prod.resources("aws_subnet")) == 6
    assert prod.body("aws_ecs_service")["desired_count"] == 3
    assert prod.body("aws_lb")["enable_deletion_protection"] is True


def test_cdktf_matchers_agree(dev: Synth) -> None:
    testing = bindings.Testing
    assert testing.to_have_resource_with_properties(
        dev.text, Vpc.TF_RESOURCE_TYPE, {"enable_dns_hostnames": True}
    )
    assert testing.to_have_resource_with_properties(
        dev.text, EcsService.TF_RESOURCE_TYPE, {"deployment_controller": {"type": "CODE_DEPLOY"}}
    )
    assert testing.to_have_resource_with_properties(
        dev.text, LbListener.TF_RESOURCE_TYPE, {"port": 8080}
    )


def test_stack_names_follow_project_and_environment(synths: dict[str, Synth], stacks) -> None:
    assert {s.node.id for s in stacks.values()} == {"ecs-blue-green-dev", "ecs-blue-green-prod"}


def test_outputs(dev: Synth) -> None:
    outputs = dev.tf["output"]
    assert set(outputs) == {
        "alb_dns_name",
        "production_url",
        "test_url",
        "ecs_cluster_name",
        "ecs_service_name",
        "task_family",
        "ecr_app_repository_url",
        "ecr_nginx_repository_url",
        "pipeline_name",
        "pipeline_url",
        "codeconnection_arn",
        "codeconnection_activation",
        "codedeploy_application",
        "codedeploy_deployment_group",
        "artifact_bucket",
        "verification_hook_function",
        "rollback_alarms",
        "access_log_bucket",
    }
    lb, _ = dev.one("aws_lb")
    assert outputs["production_url"]["value"] == f"http://${{aws_lb.{lb}.dns_name}}"
    assert outputs["test_url"]["value"] == f"http://${{aws_lb.{lb}.dns_name}}:8080"


def test_region_comes_from_settings_and_account_from_credentials(dev: Synth) -> None:
    """Seed defect: region, account and names were hard-coded."""
    assert dev.tf["provider"]["aws"] == [
        {
            "region": "ap-northeast-1",
            "default_tags": [
                {
                    "tags": {
                        "Project": "ecs-blue-green",
                        "Environment": "dev",
                        "ManagedBy": "cdktf",
                        "CostCenter": "dev",
                    }
                }
            ],
        }
    ]
    assert "aws_caller_identity" in dev.tf["data"]
    account_ids = re.findall(r"(?<!\d)\d{12}(?!\d)", dev.text)
    assert account_ids == []


def test_nothing_machine_specific(synths: dict[str, Synth], project_root) -> None:
    import getpass

    for synth in synths.values():
        assert str(project_root) not in synth.text
        assert "/home/" not in synth.text
        assert f'"{getpass.getuser()}"' not in synth.text


def test_backend_is_explicit_and_relative(dev: Synth) -> None:
    assert dev.tf["terraform"]["backend"] == {
        "local": {"path": "../../../terraform.ecs-blue-green-dev.tfstate"}
    }


def test_s3_backend_gets_native_locking(cdktf_app, synth, settings_by_env) -> None:
    import dataclasses

    from stacks.blue_green_stack import BlueGreenStack
    from stacks.settings import BackendSettings

    settings = dataclasses.replace(
        settings_by_env["dev"],
        environment="s3test",
        backend=BackendSettings(kind="s3", bucket="team-state", key="k/terraform.tfstate"),
    )
    stack = BlueGreenStack(cdktf_app, settings)
    backend = synth(stack).tf["terraform"]["backend"]
    assert backend == {
        "s3": {
            "bucket": "team-state",
            "key": "k/terraform.tfstate",
            "region": "ap-northeast-1",
            "encrypt": True,
            "use_lockfile": True,
        }
    }


def test_no_ipv6_half_configuration(dev: Synth) -> None:
    """Seed defect: ::/0 routes and rules without an IPv6 CIDR."""
    assert "::/0" not in dev.text


def test_json_is_deterministic(stacks) -> None:
    again = bindings.Testing.synth(stacks["dev"])
    assert json.loads(again) == json.loads(bindings.Testing.synth(stacks["dev"]))


def test_alb_access_logs_go_to_their_own_sse_s3_bucket_after_its_policy(dev: Synth) -> None:
    alb = dev.body("aws_lb")
    bucket, _ = dev.named("aws_s3_bucket", "access-logs")
    policy_name, policy = dev.named("aws_s3_bucket_policy", "access-logs")
    # Named through the policy: the ALB (which checks it may write) comes after it.
    assert alb["access_logs"] == {
        "bucket": dev.ref("aws_s3_bucket_policy", policy_name, "bucket"),
        "prefix": "alb",
        "enabled": True,
    }
    (rule,) = dev.named("aws_s3_bucket_server_side_encryption_configuration", "access-logs")[1][
        "rule"
    ]
    assert rule["apply_server_side_encryption_by_default"] == {"sse_algorithm": "AES256"}
    statements = {s["Sid"]: s for s in json.loads(policy["policy"])["Statement"]}
    writers = [
        statements["RegionalElbAccountWritesAccessLogs"],
        statements["ElbLogDeliveryWritesAccessLogs"],
    ]
    for writer in writers:
        assert writer["Action"] == "s3:PutObject"
        assert re.search(
            r"/alb/AWSLogs/\$\{data\.aws_caller_identity\.[\w-]+\.account_id\}/\*$",
            writer["Resource"],
        ), writer["Resource"]
        assert writer["Resource"].startswith(dev.ref("aws_s3_bucket", bucket, "arn"))
    assert statements["DenyInsecureTransport"]["Effect"] == "Deny"


def test_vpc_flow_logs_are_kept_and_written_by_a_scoped_role(dev: Synth) -> None:
    flow = dev.body("aws_flow_log")
    group_name, group = dev.named("aws_cloudwatch_log_group", "flow-logs")
    assert group["retention_in_days"] == 14
    assert flow["traffic_type"] == "ALL"
    assert flow["log_destination"] == dev.ref("aws_cloudwatch_log_group", group_name, "arn")
    _, policy = dev.named("aws_iam_role_policy", "flow-logs")
    (statement,) = json.loads(policy["policy"])["Statement"]
    assert statement["Resource"] == [f"{dev.ref('aws_cloudwatch_log_group', group_name, 'arn')}:*"]
    _, role = dev.named("aws_iam_role", "flow-logs")
    trust = json.loads(role["assume_role_policy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert "aws:SourceAccount" in trust["Condition"]["StringEquals"]
    assert flow["depends_on"] == [
        f"aws_iam_role_policy.{dev.named('aws_iam_role_policy', 'flow-logs')[0]}"
    ]


def test_ecr_repositories_use_kms(dev: Synth) -> None:
    for repository in dev.resources("aws_ecr_repository").values():
        assert repository["encryption_configuration"] == [{"encryption_type": "KMS"}]


def test_access_and_flow_logs_can_be_turned_off(cdktf_app, synth, settings_by_env) -> None:
    import dataclasses

    from stacks.blue_green_stack import BlueGreenStack

    dev = settings_by_env["dev"]
    quiet = dataclasses.replace(
        dev,
        environment="nologs",
        network=dataclasses.replace(dev.network, flow_log_retention_days=0),
        load_balancer=dataclasses.replace(dev.load_balancer, access_log_retention_days=0),
    )
    s = synth(BlueGreenStack(cdktf_app, quiet))
    assert not s.resources("aws_flow_log")
    assert "access_logs" not in s.body("aws_lb")
    assert len(s.resources("aws_s3_bucket")) == 1
