"""The dev stack applied with real Terraform to the local AWS emulator, checked through the
AWS API, re-planned (right after apply, after a simulated CodeDeploy release and after the
autoscaler changed the desired count) and destroyed.

The emulator has no CodeConnections API, so the stack takes the product's other path, an
existing connection ARN (``tools.emulator.for_emulator``). Autoscaling, off in dev, is turned
on here (CPU and request policies, the service's desired count inside its range), so the
module proves the stack with every resource kind it can have. The tests run in file order on
one deployment; the destroy test comes last and the emulator stops even when one fails.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from stacks.settings import Settings
from tools import tf_validate

pytestmark = [pytest.mark.slow, pytest.mark.both_frameworks]

TERRAFORM_TIMEOUT = 300  # seconds per command: the whole module stays far below 10 minutes


@dataclass
class Deployment:
    settings: Settings
    workspace: Any  # tools.emulator.Workspace
    endpoint: str
    apply_seconds: float
    stack_resources: int

    def client(self, service: str) -> Any:
        from tools.emulator import client

        return client(self.endpoint, self.settings.region, service)

    def plan_exit_code(self) -> tuple[int, str]:
        plan = self.workspace.run(
            "plan", "-detailed-exitcode", "-input=false", timeout=TERRAFORM_TIMEOUT
        )
        return plan.returncode, plan.stdout[-6000:] + plan.stderr

    @property
    def name(self) -> str:
        return self.settings.stack_name

    def listeners(self) -> dict[int, dict[str, Any]]:
        elbv2 = self.client("elbv2")
        (alb,) = elbv2.describe_load_balancers(Names=[self.name])["LoadBalancers"]
        found = elbv2.describe_listeners(LoadBalancerArn=alb["LoadBalancerArn"])["Listeners"]
        return {listener["Port"]: listener for listener in found}

    def target_groups(self) -> dict[str, dict[str, Any]]:
        names = [f"{self.name}-blue", f"{self.name}-green"]
        found = self.client("elbv2").describe_target_groups(Names=names)["TargetGroups"]
        return {group["TargetGroupName"].rsplit("-", 1)[1]: group for group in found}

    def service(self) -> dict[str, Any]:
        (service,) = self.client("ecs").describe_services(cluster=self.name, services=[self.name])[
            "services"
        ]
        return service


def deployed(settings: Settings, work: Path) -> Iterator[Deployment]:
    """Synthesize ``settings`` (made fit for the emulator), apply them to a fresh emulator
    and yield the deployment; the emulator stops afterwards, also when a test failed."""
    from tools.emulator import Emulator

    skip_without_terraform()
    with Emulator() as emulator:
        yield applied(settings, work, emulator.endpoint)


def skip_without_terraform() -> None:
    try:
        tf_validate.find_terraform()
    except tf_validate.ValidationUnavailableError as error:
        pytest.skip(f"no Terraform here: {error}")


def applied(settings: Settings, work: Path, endpoint: str) -> Deployment:
    """``settings`` (made fit for the emulator) synthesized and applied to the emulator at
    ``endpoint``, which may already hold what the stack refers to."""
    return apply(prepared(settings, work, endpoint))


@dataclass(frozen=True)
class Prepared:
    """A stack synthesized into its Terraform working copy, not applied yet."""

    settings: Settings
    workspace: Any  # tools.emulator.Workspace
    endpoint: str
    stack_resources: int


def prepared(
    settings: Settings, work: Path, endpoint: str, others: Sequence[Settings] = ()
) -> Prepared:
    """``settings`` made fit for the emulator and synthesized, its promotions planned with
    ``others``, into a working copy aimed at the emulator at ``endpoint``."""
    from tools.emulator import Workspace, for_emulator, synth

    settings = for_emulator(settings)
    work.mkdir(parents=True, exist_ok=True)
    stack_dir = synth(settings, work / "synth", others)
    stack_resources = sum(
        len(instances) for instances in _synthesized(stack_dir)["resource"].values()
    )
    workspace = Workspace.create(stack_dir, work / "terraform", endpoint)
    return Prepared(settings, workspace, endpoint, stack_resources)


def apply(stack: Prepared) -> Deployment:
    """``terraform init`` and ``apply`` of a prepared stack."""
    workspace = stack.workspace
    init = workspace.run("init", "-input=false", timeout=TERRAFORM_TIMEOUT)
    assert init.returncode == 0, init.stdout[-3000:] + init.stderr
    started = time.monotonic()
    done = workspace.run(
        "apply", "-auto-approve", "-input=false", "-parallelism=20", timeout=TERRAFORM_TIMEOUT
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr
    return Deployment(
        stack.settings, workspace, stack.endpoint, time.monotonic() - started,
        stack.stack_resources,
    )  # fmt: skip


@pytest.fixture(scope="module")
def deployment(
    settings_by_env: dict[str, Settings], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    yield from deployed(
        with_autoscaling(settings_by_env["dev"]), tmp_path_factory.mktemp("emulator")
    )


def with_autoscaling(settings: Settings) -> Settings:
    """The settings with target tracking on: CPU and one request policy per target group,
    the configured desired count inside the range."""
    desired = settings.service.desired_count
    rules = dataclasses.replace(
        settings.autoscaling.rules,
        min_count=desired,
        max_count=desired + 4,
        cpu_target_percent=60,
        requests_per_target=500,
    )
    return dataclasses.replace(
        settings, autoscaling=dataclasses.replace(settings.autoscaling, enabled=True, rules=rules)
    )


def _synthesized(stack_dir: Path) -> dict[str, Any]:
    import json

    loaded: dict[str, Any] = json.loads((stack_dir / "cdk.tf.json").read_text())
    return loaded


def test_every_resource_applies(deployment: Deployment) -> None:
    managed = deployment.workspace.managed_resources()
    assert len(managed) == deployment.stack_resources
    assert not [a for a in managed if a.startswith("aws_codestarconnections")]
    print(f"applied {len(managed)} resources in {deployment.apply_seconds:.0f} s")


def test_plan_right_after_apply_shows_no_changes(deployment: Deployment) -> None:
    code, output = deployment.plan_exit_code()
    assert code == 0, output


def test_listeners_serve_production_and_test_ports(deployment: Deployment) -> None:
    lb = deployment.settings.load_balancer
    listeners = deployment.listeners()
    groups = deployment.target_groups()
    assert set(listeners) == {lb.production_port, lb.test_port}
    forwards = {
        port: listener["DefaultActions"][0]["TargetGroupArn"]
        for port, listener in listeners.items()
    }
    assert forwards == {
        lb.production_port: groups["blue"]["TargetGroupArn"],
        lb.test_port: groups["green"]["TargetGroupArn"],
    }
    assert {listener["Protocol"] for listener in listeners.values()} == {"HTTP"}


def test_blue_and_green_target_groups_check_health_fast(deployment: Deployment) -> None:
    lb = deployment.settings.load_balancer
    elbv2 = deployment.client("elbv2")
    for group in deployment.target_groups().values():
        assert group["TargetType"] == "ip"
        assert group["HealthCheckPath"] == lb.health_check.path
        assert group["HealthCheckIntervalSeconds"] == lb.health_check.interval_seconds
        assert group["HealthyThresholdCount"] == lb.health_check.healthy_threshold
        assert group["UnhealthyThresholdCount"] == lb.health_check.unhealthy_threshold
        attributes = elbv2.describe_target_group_attributes(TargetGroupArn=group["TargetGroupArn"])[
            "Attributes"
        ]
        delay = {a["Key"]: a["Value"] for a in attributes}["deregistration_delay.timeout_seconds"]
        assert int(delay) == lb.deregistration_delay_seconds


def test_service_is_released_by_codedeploy(deployment: Deployment) -> None:
    service = deployment.service()
    assert service["deploymentController"] == {"type": "CODE_DEPLOY"}
    assert service["desiredCount"] == deployment.settings.service.desired_count
    assert service["launchType"] == "FARGATE"
    (attachment,) = service["loadBalancers"]
    assert attachment["targetGroupArn"] == deployment.target_groups()["blue"]["TargetGroupArn"]
    network = service["networkConfiguration"]["awsvpcConfiguration"]
    assert len(network["subnets"]) == deployment.settings.network.az_count


def test_task_definition_runs_app_behind_nginx(deployment: Deployment) -> None:
    task = deployment.client("ecs").describe_task_definition(taskDefinition=deployment.name)[
        "taskDefinition"
    ]
    containers = {c["name"]: c for c in task["containerDefinitions"]}
    assert set(containers) == {"app", "nginx"}
    assert all(c["essential"] for c in containers.values())
    assert task["networkMode"] == "awsvpc"
    assert task["requiresCompatibilities"] == ["FARGATE"]
    assert {"containerName": "app", "condition": "HEALTHY"} in containers["nginx"]["dependsOn"]


def test_deployment_group_is_blue_green_with_rollback(deployment: Deployment) -> None:
    group = deployment.client("codedeploy").get_deployment_group(
        applicationName=deployment.name, deploymentGroupName=deployment.name
    )["deploymentGroupInfo"]
    assert group["computePlatform"] == "ECS"
    assert group["deploymentStyle"] == {
        "deploymentType": "BLUE_GREEN",
        "deploymentOption": "WITH_TRAFFIC_CONTROL",
    }
    assert group["ecsServices"] == [
        {"serviceName": deployment.name, "clusterName": deployment.name}
    ]
    termination = group["blueGreenDeploymentConfiguration"][
        "terminateBlueInstancesOnDeploymentSuccess"
    ]
    assert termination == {
        "action": "TERMINATE",
        "terminationWaitTimeInMinutes": deployment.settings.deployment.termination_wait_minutes,
    }
    (pair,) = group["loadBalancerInfo"]["targetGroupPairInfoList"]
    assert sorted(g["name"] for g in pair["targetGroups"]) == sorted(
        g["TargetGroupName"] for g in deployment.target_groups().values()
    )
    listeners = deployment.listeners()
    lb = deployment.settings.load_balancer
    assert pair["prodTrafficRoute"]["listenerArns"] == [
        listeners[lb.production_port]["ListenerArn"]
    ]
    assert pair["testTrafficRoute"]["listenerArns"] == [listeners[lb.test_port]["ListenerArn"]]
    assert group["autoRollbackConfiguration"]["enabled"] is True


def test_pipeline_has_source_build_and_deploy_stages(deployment: Deployment) -> None:
    pipeline = deployment.client("codepipeline").get_pipeline(name=deployment.name)["pipeline"]
    providers = {
        stage["name"]: [action["actionTypeId"]["provider"] for action in stage["actions"]]
        for stage in pipeline["stages"]
    }
    assert providers == {
        "Source": ["CodeStarSourceConnection"],
        "Build": ["CodeBuild"],
        "Deploy": ["CodeDeployToECS"],
    }
    source = pipeline["stages"][0]["actions"][0]["configuration"]
    assert source["ConnectionArn"] == deployment.settings.pipeline.connection_arn


def simulate_codedeploy_release(deployment: Deployment) -> str:
    """What CodeDeploy does to the stack's resources during a blue/green release: a new task
    definition revision, a green task set made primary, and the production listener swapped
    to the green target group (the test listener to blue). Returns the new revision's ARN."""
    ecs = deployment.client("ecs")
    elbv2 = deployment.client("elbv2")
    current = ecs.describe_task_definition(taskDefinition=deployment.name)["taskDefinition"]
    containers = current["containerDefinitions"]
    for container in containers:
        for variable in container.get("environment", []):
            if variable["name"] == "VERSION":
                variable["value"] = "release-2"
    copied = ("cpu", "memory", "networkMode", "requiresCompatibilities", "executionRoleArn")
    revision = ecs.register_task_definition(
        family=current["family"],
        containerDefinitions=containers,
        taskRoleArn=current["taskRoleArn"],
        volumes=current.get("volumes", []),
        **{key: current[key] for key in copied},
    )["taskDefinition"]["taskDefinitionArn"]

    groups = deployment.target_groups()
    service = deployment.service()
    (attachment,) = service["loadBalancers"]
    task_set = ecs.create_task_set(
        cluster=deployment.name,
        service=deployment.name,
        taskDefinition=revision,
        launchType="FARGATE",
        networkConfiguration=service["networkConfiguration"],
        loadBalancers=[{**attachment, "targetGroupArn": groups["green"]["TargetGroupArn"]}],
        scale={"unit": "PERCENT", "value": 100},
    )["taskSet"]
    ecs.update_service_primary_task_set(
        cluster=deployment.name, service=deployment.name, primaryTaskSet=task_set["taskSetArn"]
    )
    lb = deployment.settings.load_balancer
    listeners = deployment.listeners()
    for port, colour in ((lb.production_port, "green"), (lb.test_port, "blue")):
        elbv2.modify_listener(
            ListenerArn=listeners[port]["ListenerArn"],
            DefaultActions=[
                {"Type": "forward", "TargetGroupArn": groups[colour]["TargetGroupArn"]}
            ],
        )
    return str(revision)


def test_plan_after_a_codedeploy_release_shows_no_changes(deployment: Deployment) -> None:
    revision = simulate_codedeploy_release(deployment)
    # The release really changed what Terraform manages: the service runs the new revision
    # on green, and production forwards to green.
    service = deployment.service()
    assert service["taskDefinition"] == revision
    green = deployment.target_groups()["green"]["TargetGroupArn"]
    assert service["loadBalancers"][0]["targetGroupArn"] == green
    production = deployment.listeners()[deployment.settings.load_balancer.production_port]
    assert production["DefaultActions"][0]["TargetGroupArn"] == green

    code, output = deployment.plan_exit_code()
    assert code == 0, output


def test_service_scales_between_min_and_max_on_cpu_and_requests(deployment: Deployment) -> None:
    rules = deployment.settings.autoscaling.rules
    autoscaling = deployment.client("application-autoscaling")
    resource = f"service/{deployment.name}/{deployment.name}"
    (target,) = autoscaling.describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=[resource]
    )["ScalableTargets"]
    assert target["ScalableDimension"] == "ecs:service:DesiredCount"
    assert (target["MinCapacity"], target["MaxCapacity"]) == (rules.min_count, rules.max_count)
    policies = {
        policy["PolicyName"].removeprefix(f"{deployment.name}-"): policy[
            "TargetTrackingScalingPolicyConfiguration"
        ]
        for policy in autoscaling.describe_scaling_policies(
            ServiceNamespace="ecs", ResourceId=resource
        )["ScalingPolicies"]
    }
    assert set(policies) == {"cpu", "requests-blue", "requests-green"}
    assert policies["cpu"]["TargetValue"] == rules.cpu_target_percent
    groups = deployment.target_groups()
    labels = {
        name: policy["PredefinedMetricSpecification"]["ResourceLabel"].split("/", 3)[3]
        for name, policy in policies.items()
        if name != "cpu"
    }
    # One request policy per target group: whichever serves production after a release.
    assert labels == {
        f"requests-{colour}": group["TargetGroupArn"].split(":")[-1]
        for colour, group in groups.items()
    }
    assert [policies[f"requests-{c}"]["DisableScaleIn"] for c in ("blue", "green")] == [True] * 2


def test_plan_after_the_autoscaler_changed_the_desired_count_shows_no_changes(
    deployment: Deployment,
) -> None:
    """What Application Auto Scaling does to the service: set its desired count. With
    autoscaling on, a plan must leave it there (``desired_count`` is ignored)."""
    rules = deployment.settings.autoscaling.rules
    assert rules.max_count > deployment.settings.service.desired_count
    deployment.client("ecs").update_service(
        cluster=deployment.name, service=deployment.name, desiredCount=rules.max_count
    )
    assert deployment.service()["desiredCount"] == rules.max_count

    code, output = deployment.plan_exit_code()
    assert code == 0, output


def remaining_resources(deployment: Deployment) -> dict[str, list[str]]:
    """Everything of the stack's kinds the emulator still holds (moto creates no defaults
    for these, except EC2's default VPC and its security group)."""
    c = deployment.client
    default_vpcs = {v["VpcId"] for v in c("ec2").describe_vpcs()["Vpcs"] if v["IsDefault"]}
    return {
        "vpcs": [
            v["VpcId"] for v in c("ec2").describe_vpcs()["Vpcs"] if v["VpcId"] not in default_vpcs
        ],
        "subnets": [
            s["SubnetId"]
            for s in c("ec2").describe_subnets()["Subnets"]
            if s["VpcId"] not in default_vpcs
        ],
        "security groups": [
            g["GroupId"]
            for g in c("ec2").describe_security_groups()["SecurityGroups"]
            if g["VpcId"] not in default_vpcs
        ],
        "load balancers": [
            lb["LoadBalancerName"] for lb in c("elbv2").describe_load_balancers()["LoadBalancers"]
        ],
        "target groups": [
            g["TargetGroupName"] for g in c("elbv2").describe_target_groups()["TargetGroups"]
        ],
        "ecs clusters": [  # a deleted cluster stays listed a while, INACTIVE (as on AWS)
            cluster["clusterName"]
            for cluster in c("ecs").describe_clusters(
                clusters=c("ecs").list_clusters()["clusterArns"]
            )["clusters"]
            if cluster["status"] != "INACTIVE"
        ],
        "task definitions": c("ecs").list_task_definitions(status="ACTIVE")["taskDefinitionArns"],
        "ecr repositories": [
            r["repositoryName"] for r in c("ecr").describe_repositories()["repositories"]
        ],
        "log groups": [g["logGroupName"] for g in c("logs").describe_log_groups()["logGroups"]],
        "iam roles": [r["RoleName"] for r in c("iam").list_roles()["Roles"]],
        "s3 buckets": [b["Name"] for b in c("s3").list_buckets()["Buckets"]],
        "ssm parameters": [p["Name"] for p in c("ssm").describe_parameters()["Parameters"]],
        "codebuild projects": c("codebuild").list_projects()["projects"],
        "codedeploy applications": c("codedeploy").list_applications()["applications"],
        "pipelines": [p["name"] for p in c("codepipeline").list_pipelines()["pipelines"]],
        "scalable targets": [
            t["ResourceId"]
            for t in c("application-autoscaling").describe_scalable_targets(ServiceNamespace="ecs")[
                "ScalableTargets"
            ]
        ],
        "scaling policies": [
            p["PolicyName"]
            for p in c("application-autoscaling").describe_scaling_policies(ServiceNamespace="ecs")[
                "ScalingPolicies"
            ]
        ],
    }


def test_destroy_leaves_nothing_behind(deployment: Deployment) -> None:
    before = remaining_resources(deployment)
    assert all(before.values()), before  # the listing sees what the stack made
    destroy = deployment.workspace.run(
        "destroy", "-auto-approve", "-input=false", "-parallelism=20", timeout=TERRAFORM_TIMEOUT
    )
    assert destroy.returncode == 0, destroy.stdout[-4000:] + destroy.stderr
    assert deployment.workspace.managed_resources() == []
    left = remaining_resources(deployment)
    # Task definition revisions stay registered by design (skip_destroy: a running service
    # or a rollback may still need one; AWS keeps even deregistered revisions): Terraform's
    # first one and any a release registered, nothing else.
    revisions = [arn.rsplit("/", 1)[1] for arn in left.pop("task definitions")]
    assert f"{deployment.name}:1" in revisions
    assert {revision.rsplit(":", 1)[0] for revision in revisions} == {deployment.name}
    assert {kind: names for kind, names in left.items() if names} == {}
