"""FargateService: cluster, task definition, ECR, logs, roles, CODE_DEPLOY service."""

import json

import pytest

from constructs_lib.fargate_service import (
    SERVICE_IGNORE_CHANGES,
    FargateService,
    FargateServiceProps,
)
from constructs_lib.validation import ValidationError
from stacks.settings import ServiceSettings
from stacks.workload import workload_task
from tests.synth import Synth


def _containers(s: Synth) -> dict[str, dict]:
    body = s.body("aws_ecs_task_definition")
    return {c["name"]: c for c in json.loads(body["container_definitions"])}


def _policy(s: Synth, fragment: str) -> dict:
    return json.loads(s.named("aws_iam_role_policy", fragment)[1]["policy"])


def test_service_is_code_deploy_controlled_fargate(dev: Synth) -> None:
    service = dev.body("aws_ecs_service")
    assert service["deployment_controller"] == {"type": "CODE_DEPLOY"}
    assert service["launch_type"] == "FARGATE"
    assert service["desired_count"] == 2
    assert service["health_check_grace_period_seconds"] == 30
    blue, _ = dev.named("aws_lb_target_group", "blue")
    assert service["load_balancer"] == [
        {
            "container_name": "nginx",
            "container_port": 80,
            "target_group_arn": dev.ref("aws_lb_target_group", blue, "arn"),
        }
    ]


def test_service_waits_for_listeners_and_execution_policy(dev: Synth) -> None:
    """Seed defects: the service raced the listener (target group not yet attached to an
    ALB) and the IAM policy its tasks need."""
    depends_on = dev.body("aws_ecs_service")["depends_on"]
    listeners = sorted(f"aws_lb_listener.{name}" for name in dev.resources("aws_lb_listener"))
    assert sorted(d for d in depends_on if d.startswith("aws_lb_listener.")) == listeners
    policy, _ = dev.named("aws_iam_role_policy", "execution")
    assert f"aws_iam_role_policy.{policy}" in depends_on


def test_service_ignores_what_codedeploy_changes(dev: Synth, prod: Synth) -> None:
    assert SERVICE_IGNORE_CHANGES == ("task_definition", "load_balancer", "network_configuration")
    assert dev.body("aws_ecs_service")["lifecycle"]["ignore_changes"] == list(
        SERVICE_IGNORE_CHANGES
    )
    # prod scales automatically: the autoscaler owns desired_count as well.
    assert prod.body("aws_ecs_service")["lifecycle"]["ignore_changes"] == [
        *SERVICE_IGNORE_CHANGES,
        "desired_count",
    ]


def test_autoscaled_service_also_ignores_desired_count(new_stack, synth) -> None:
    stack = new_stack("autoscaled")
    FargateService(stack, "svc", _props(autoscaled=True))
    assert synth(stack).body("aws_ecs_service")["lifecycle"]["ignore_changes"] == [
        *SERVICE_IGNORE_CHANGES,
        "desired_count",
    ]


def test_task_definition_has_both_containers_from_the_spec(dev: Synth) -> None:
    task = dev.body("aws_ecs_task_definition")
    assert task["family"] == "ecs-blue-green-dev"
    assert task["requires_compatibilities"] == ["FARGATE"]
    assert task["network_mode"] == "awsvpc"
    assert (task["cpu"], task["memory"]) == ("256", "512")
    assert task["skip_destroy"] is True
    containers = _containers(dev)
    assert set(containers) == {"app", "nginx"}
    assert containers["nginx"]["portMappings"] == [
        {"containerPort": 80, "hostPort": 80, "protocol": "tcp"}
    ]
    assert containers["nginx"]["dependsOn"] == [{"containerName": "app", "condition": "HEALTHY"}]
    env = {e["name"]: e["value"] for e in containers["app"]["environment"]}
    assert env == {"PORT": "8080", "SHUTDOWN_GRACE_PERIOD": "10s", "VERSION": "bootstrap"}
    for container in containers.values():
        assert container["essential"] is True
        assert container["stopTimeout"] == 15
        assert container["readonlyRootFilesystem"] is True
    volumes = sorted(v["name"] for v in task["volume"])
    assert volumes == ["app-tmp", "nginx-tmp"]


def test_first_deploy_runs_public_images_that_exist(dev: Synth) -> None:
    """Seed defect: the first task definition pointed at :latest images nobody pushed."""
    for container in _containers(dev).values():
        assert container["image"].startswith("public.ecr.aws/docker/library/")
        assert ":" in container["image"].rsplit("/", 1)[1]
        assert not container["image"].endswith(":latest")


def test_task_definition_names_no_region_or_account_literal(dev: Synth) -> None:
    containers = _containers(dev)
    for name, container in containers.items():
        options = container["logConfiguration"]["options"]
        group, _ = dev.named("aws_cloudwatch_log_group", name)
        assert options["awslogs-group"] == dev.ref("aws_cloudwatch_log_group", group, "name")
        assert options["awslogs-region"] == "ap-northeast-1"  # from config/dev.toml
    assert "arn:aws:" not in dev.body("aws_ecs_task_definition")["container_definitions"]


def test_roles_are_created_not_assumed(dev: Synth) -> None:
    """Seed defect: a pre-existing ecsTaskExecutionRole was looked up."""
    assert "aws_iam_role" not in dev.tf.get("data", {})
    roles = [name for name in dev.resources("aws_iam_role") if name.startswith("service_")]
    assert len(roles) == 2
    task = dev.body("aws_ecs_task_definition")
    for key, fragment in (("execution_role_arn", "execution"), ("task_role_arn", "task-role")):
        name, role = dev.named("aws_iam_role", fragment)
        assert task[key] == dev.ref("aws_iam_role", name, "arn")
        trust = json.loads(role["assume_role_policy"])["Statement"][0]
        assert trust["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
        assert trust["Condition"]["StringEquals"]["aws:SourceAccount"].startswith(
            "${data.aws_caller_identity."
        )


def test_execution_policy_is_least_privilege(dev: Synth) -> None:
    statements = {s["Sid"]: s for s in _policy(dev, "execution")["Statement"]}
    assert statements["EcrLogin"]["Action"] == ["ecr:GetAuthorizationToken"]
    assert statements["EcrLogin"]["Resource"] == ["*"]  # the action has no resource-level scope
    pull = statements["PullOwnImages"]
    assert sorted(pull["Resource"]) == sorted(
        dev.ref("aws_ecr_repository", name, "arn") for name in dev.resources("aws_ecr_repository")
    )
    logs = statements["WriteOwnLogs"]
    assert logs["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert len(logs["Resource"]) == 2
    for statement in statements.values():
        assert all("*" not in action for action in statement["Action"])
        if statement["Sid"] != "EcrLogin":
            assert "*" not in statement["Resource"]


def test_ecr_repositories_are_immutable_scanned_and_expire(dev: Synth) -> None:
    """Seed defects: mutable tags, no scanning, no lifecycle policy."""
    repos = dev.resources("aws_ecr_repository")
    assert sorted(r["name"] for r in repos.values()) == [
        "ecs-blue-green-dev/app",
        "ecs-blue-green-dev/nginx",
    ]
    for repo in repos.values():
        assert repo["image_tag_mutability"] == "IMMUTABLE"
        assert repo["image_scanning_configuration"] == {"scan_on_push": True}
        assert repo["force_delete"] is False  # dev.toml: prod runs these images
    policies = dev.resources("aws_ecr_lifecycle_policy")
    assert len(policies) == 2
    for policy in policies.values():
        rules = json.loads(policy["policy"])["rules"]
        keep = [r for r in rules if r["selection"]["countType"] == "imageCountMoreThan"]
        assert keep[0]["selection"]["countNumber"] == 30  # dev.toml
        assert keep[0]["rulePriority"] == max(
            r["rulePriority"] for r in rules
        )  # "any" must come last


def test_log_groups_have_retention(dev: Synth, prod: Synth) -> None:
    """Seed defect: logs were kept forever."""
    for synth, days in ((dev, 14), (prod, 90)):
        groups = synth.resources("aws_cloudwatch_log_group")
        assert len(groups) == 5  # app, nginx, build, verification hook, VPC flow logs
        assert {g["retention_in_days"] for g in groups.values()} == {days}


def test_service_security_group_admits_only_the_alb(dev: Synth) -> None:
    service_sg, group = dev.named("aws_security_group", "service")
    assert "ingress" not in group
    assert "egress" not in group
    ref = dev.ref("aws_security_group", service_sg, "id")
    ingress = [
        r
        for r in dev.resources("aws_vpc_security_group_ingress_rule").values()
        if r["security_group_id"] == ref
    ]
    alb_sg, _ = dev.named("aws_security_group", "alb")
    assert ingress == [
        {
            "security_group_id": ref,
            "description": "load-balanced container from the ALB",
            "ip_protocol": "tcp",
            "from_port": 80,
            "to_port": 80,
            "referenced_security_group_id": dev.ref("aws_security_group", alb_sg, "id"),
        }
    ]
    egress = [
        r
        for r in dev.resources("aws_vpc_security_group_egress_rule").values()
        if r["security_group_id"] == ref
    ]
    assert [(r["from_port"], r["cidr_ipv4"]) for r in egress] == [(443, "0.0.0.0/0")]


def test_cluster_container_insights_follows_settings(dev: Synth, prod: Synth) -> None:
    assert dev.body("aws_ecs_cluster")["setting"] == [
        {"name": "containerInsights", "value": "disabled"}
    ]
    assert prod.body("aws_ecs_cluster")["setting"] == [
        {"name": "containerInsights", "value": "enabled"}
    ]


def _props(**overrides: object) -> FargateServiceProps:
    fields: dict[str, object] = {
        "name_prefix": "svc",
        "region": "eu-west-1",
        "vpc_id": "vpc-1",
        "subnet_ids": ["subnet-1"],
        "task": workload_task(ServiceSettings()),
        "target_group_arn": "arn:tg",
        "load_balancer_security_group_id": "sg-1",
    }
    return FargateServiceProps(**{**fields, **overrides})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"desired_count": 0}, "desired_count"),
        ({"log_retention_days": 0}, "log_retention_days"),
        ({"container_insights": "on"}, "container_insights"),
        ({"subnet_ids": []}, "subnet_ids"),
        ({"egress_https_cidrs": ("10.0.0.0/99",)}, "egress_https_cidrs[0]"),
    ],
)
def test_props_reject_bad_values(overrides: dict, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _props(**overrides)
    assert caught.value.field == field


# --- secrets ----------------------------------------------------------------------------

DB_VALUE_FROM = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:svc/db-AbCdEf:password::"
PARAMETER = "arn:aws:ssm:eu-west-1:123456789012:parameter/svc/api-key"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/0123abcd-4567-89ab-cdef-0123456789ab"


def _task_with(secrets: dict[str, str]) -> object:
    return workload_task(ServiceSettings(secrets=secrets))


def test_execution_role_reads_exactly_the_secrets_named(new_stack, synth) -> None:
    stack = new_stack("service-secrets")
    service = FargateService(
        stack,
        "svc",
        _props(
            task=_task_with({"DB_PASSWORD": DB_VALUE_FROM, "API_KEY": PARAMETER}),
            secrets_kms_key_arns=(KEY,),
        ),
    )
    assert service.secret_stores == ("secretsmanager", "ssm")
    s = synth(stack)
    statements = {st["Sid"]: st for st in _policy(s, "execution")["Statement"]}
    assert statements["ReadOwnSecrets"]["Action"] == ["secretsmanager:GetSecretValue"]
    assert statements["ReadOwnSecrets"]["Resource"] == [DB_VALUE_FROM.removesuffix(":password::")]
    assert statements["ReadOwnParameters"]["Action"] == ["ssm:GetParameters"]
    assert statements["ReadOwnParameters"]["Resource"] == [PARAMETER]
    decrypt = statements["DecryptSecretsWithListedKeys"]
    assert (decrypt["Action"], decrypt["Resource"]) == (["kms:Decrypt"], [KEY])
    via = decrypt["Condition"]["StringEquals"]["kms:ViaService"]
    assert [v.split(".", 2)[:2] for v in via] == [
        ["secretsmanager", "eu-west-1"],
        ["ssm", "eu-west-1"],
    ]
    assert all(".dns_suffix}" in v for v in via)  # amazonaws.com, or .com.cn in China
    # The application's own role gets none of it: ECS reads secrets before the app starts.
    task_policies = [n for n in s.resources("aws_iam_role_policy") if "task-role" in n]
    assert task_policies == []
    (app,) = [c for c in _containers(s).values() if c["name"] == "app"]
    assert app["secrets"] == [
        {"name": "API_KEY", "valueFrom": PARAMETER},
        {"name": "DB_PASSWORD", "valueFrom": DB_VALUE_FROM},
    ]


def test_no_secrets_no_grants(dev: Synth) -> None:
    sids = {st["Sid"] for st in _policy(dev, "execution")["Statement"]}
    assert not sids & {"ReadOwnSecrets", "ReadOwnParameters", "DecryptSecretsWithListedKeys"}
    assert all("secrets" not in c for c in _containers(dev).values())


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        (
            {"task": _task_with({"DB": DB_VALUE_FROM.replace("eu-west-1", "us-east-1")})},
            "task.app.secrets.DB",
        ),
        (
            {"task": _task_with({"DB": DB_VALUE_FROM.replace("arn:aws:", "arn:aws-cn:")})},
            "task.app.secrets.DB",
        ),
        ({"secrets_kms_key_arns": (KEY,)}, "secrets_kms_key_arns"),
        (
            {"task": _task_with({"DB": DB_VALUE_FROM}), "secrets_kms_key_arns": ("alias/aws/ssm",)},
            "secrets_kms_key_arns[0]",
        ),
    ],
)
def test_secrets_of_another_region_or_stray_keys_are_refused(overrides: dict, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _props(**overrides)
    assert caught.value.field == field
