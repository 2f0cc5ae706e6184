"""The dev stack with ``deployment.engine = "ecs"`` applied to the local AWS emulator,
checked through the AWS API, re-planned after what ECS changes during a native blue/green
release (rule weights, a new revision, the alternate target group) and destroyed.

The emulator runs the provider from the machine's mirror (5.100.0), which predates the
ECS-native arguments (``deployment_configuration``, ``advanced_configuration``): the
emulator's working copy leaves them out (``tools.tf_validate.without_post_mirror_arguments``,
the same the offline validation test uses; ``make deploy-local`` does the same). Everything else of the ``ecs`` stack is applied: the
weighted listener rules, the 404 listeners, the ECS-controlled service, the infrastructure
role, the pipeline with the ECS deploy action, and no CodeDeploy resource.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from stacks.settings import Settings
from tests.integration.test_emulator_deploy import (
    TERRAFORM_TIMEOUT,
    Deployment,
    deployed,
    remaining_resources,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def deployment(
    settings_by_env: dict[str, Settings], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    dev = settings_by_env["dev"]
    ecs = dataclasses.replace(dev, deployment=dataclasses.replace(dev.deployment, engine="ecs"))
    for deployment in deployed(ecs, tmp_path_factory.mktemp("emulator-ecs")):
        source = deployment.workspace.provider_source
        if "from the mirror" in source:
            assert "ECS-native blue/green arguments are left out" in source
        yield deployment


def _rules(deployment: Deployment) -> dict[int, dict[str, Any]]:
    """The one non-default rule of each listener, by port."""
    elbv2 = deployment.client("elbv2")
    found = {}
    for port, listener in deployment.listeners().items():
        rules = elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
        (rule,) = [r for r in rules if not r["IsDefault"]]
        found[port] = rule
    return found


def _weights(rule: dict[str, Any], groups: dict[str, dict[str, Any]]) -> dict[str, int]:
    colour = {g["TargetGroupArn"]: c for c, g in groups.items()}
    (action,) = rule["Actions"]
    return {
        colour[t["TargetGroupArn"]]: t["Weight"] for t in action["ForwardConfig"]["TargetGroups"]
    }


def test_every_resource_applies(deployment: Deployment) -> None:
    managed = deployment.workspace.managed_resources()
    assert len(managed) == deployment.stack_resources
    assert not [a for a in managed if a.startswith("aws_codedeploy")]
    print(f"applied {len(managed)} resources in {deployment.apply_seconds:.0f} s")


def test_plan_right_after_apply_shows_no_changes(deployment: Deployment) -> None:
    code, output = deployment.plan_exit_code()
    assert code == 0, output


def test_rules_forward_by_weight_and_listeners_answer_404(deployment: Deployment) -> None:
    lb = deployment.settings.load_balancer
    groups = deployment.target_groups()
    listeners = deployment.listeners()
    assert set(listeners) == {lb.production_port, lb.test_port}
    for listener in listeners.values():
        (action,) = listener["DefaultActions"]
        assert action["Type"] == "fixed-response"
        assert action["FixedResponseConfig"]["StatusCode"] == "404"
    for rule in _rules(deployment).values():
        assert rule["Priority"] == "1"
        assert rule["Conditions"][0]["Field"] == "path-pattern"
        assert _weights(rule, groups) == {"blue": 100, "green": 0}


def test_service_is_ecs_controlled_and_nothing_is_codedeploy(deployment: Deployment) -> None:
    service = deployment.service()
    assert service["deploymentController"] == {"type": "ECS"}
    (attachment,) = service["loadBalancers"]
    assert attachment["targetGroupArn"] == deployment.target_groups()["blue"]["TargetGroupArn"]
    assert deployment.client("codedeploy").list_applications()["applications"] == []
    role = deployment.client("iam").get_role(RoleName=f"{deployment.name}-ecs-infrastructure")
    trust = role["Role"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"Service": "ecs.amazonaws.com"}


def test_pipeline_deploys_with_the_ecs_action(deployment: Deployment) -> None:
    pipeline = deployment.client("codepipeline").get_pipeline(name=deployment.name)["pipeline"]
    stages = {stage["name"]: stage["actions"][0] for stage in pipeline["stages"]}
    assert [s["actionTypeId"]["provider"] for s in stages.values()] == [
        "CodeStarSourceConnection",
        "CodeBuild",
        "ECS",
    ]
    configuration = stages["Deploy"]["configuration"]
    assert configuration["ClusterName"] == deployment.name
    assert configuration["ServiceName"] == deployment.name
    assert configuration["FileName"] == "imagedefinitions.json"
    build = deployment.client("codebuild").batch_get_projects(names=[f"{deployment.name}-build"])
    (project,) = build["projects"]
    variables = {v["name"]: v["value"] for v in project["environment"]["environmentVariables"]}
    assert variables["RELEASE_ENGINE"] == "ecs"
    assert len(variables["RELEASE_SPEC"]) == 16  # Terraform's digest of the template
    template = deployment.client("ssm").get_parameter(Name=variables["TASKDEF_PARAMETER"])
    assert variables["RELEASE_SPEC"] in template["Parameter"]["Value"]


def simulate_ecs_release(deployment: Deployment) -> str:
    """What ECS (and its deploy action) do during a native blue/green release: a new
    revision, the service on it and on the alternate (green) target group, the test rule
    and then the production rule shifted to green. Returns the new revision's ARN."""
    ecs = deployment.client("ecs")
    elbv2 = deployment.client("elbv2")
    current = ecs.describe_task_definition(taskDefinition=deployment.name)["taskDefinition"]
    copied = ("cpu", "memory", "networkMode", "requiresCompatibilities", "executionRoleArn")
    revision = ecs.register_task_definition(
        family=current["family"],
        containerDefinitions=current["containerDefinitions"],
        taskRoleArn=current["taskRoleArn"],
        volumes=current.get("volumes", []),
        **{key: current[key] for key in copied},
    )["taskDefinition"]["taskDefinitionArn"]
    groups = deployment.target_groups()
    (attachment,) = deployment.service()["loadBalancers"]
    ecs.update_service(
        cluster=deployment.name,
        service=deployment.name,
        taskDefinition=revision,
        loadBalancers=[{**attachment, "targetGroupArn": groups["green"]["TargetGroupArn"]}],
    )
    for rule in _rules(deployment).values():
        elbv2.modify_rule(
            RuleArn=rule["RuleArn"],
            Actions=[
                {
                    "Type": "forward",
                    "ForwardConfig": {
                        "TargetGroups": [
                            {"TargetGroupArn": groups["blue"]["TargetGroupArn"], "Weight": 0},
                            {"TargetGroupArn": groups["green"]["TargetGroupArn"], "Weight": 100},
                        ]
                    },
                }
            ],
        )
    return str(revision)


def test_plan_after_an_ecs_release_shows_no_changes(deployment: Deployment) -> None:
    revision = simulate_ecs_release(deployment)
    # The release really changed what Terraform manages.
    service = deployment.service()
    groups = deployment.target_groups()
    assert service["taskDefinition"] == revision
    assert service["loadBalancers"][0]["targetGroupArn"] == groups["green"]["TargetGroupArn"]
    for rule in _rules(deployment).values():
        assert _weights(rule, groups) == {"blue": 0, "green": 100}

    code, output = deployment.plan_exit_code()
    assert code == 0, output


def test_destroy_leaves_nothing_behind(deployment: Deployment) -> None:
    destroy = deployment.workspace.run(
        "destroy", "-auto-approve", "-input=false", "-parallelism=20", timeout=TERRAFORM_TIMEOUT
    )
    assert destroy.returncode == 0, destroy.stdout[-4000:] + destroy.stderr
    assert deployment.workspace.managed_resources() == []
    left = remaining_resources(deployment)
    revisions = [arn.rsplit("/", 1)[1] for arn in left.pop("task definitions")]
    assert {revision.rsplit(":", 1)[0] for revision in revisions} == {deployment.name}
    assert {kind: names for kind, names in left.items() if names} == {}
