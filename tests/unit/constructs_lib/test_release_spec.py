"""Release spec: taskdef.json and appspec.yaml come from the same TaskSpec as Terraform's."""

import dataclasses
import json
import re
from typing import Any

import pytest
import yaml

from constructs_lib.release_spec import (
    IMAGE_PLACEHOLDER,
    TASK_DEFINITION_PLACEHOLDER,
    VERSION_PLACEHOLDER,
    release_appspec,
    to_yaml,
)
from stacks.settings import PROJECT_MAX, ServiceSettings, Settings, release_template_bound
from stacks.workload import workload_task
from tests.aws_models import api_input_errors
from tests.fake_aws import fake_resolve, literal_service_target
from tests.synth import Synth

SSM_STANDARD_TIER_MAX = 4096
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _parameter(s: Synth, fragment: str) -> str:
    value: str = s.named("aws_ssm_parameter", fragment)[1]["insecure_value"]
    return value


def _release_taskdef(s: Synth) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(_parameter(s, "taskdef"))
    return loaded


def _by_name(containers: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in containers}


def _without_image_and_version(container: dict[str, Any]) -> dict[str, Any]:
    rest = {k: v for k, v in container.items() if k != "image"}
    rest["environment"] = [e for e in rest.get("environment", []) if e["name"] != "VERSION"]
    return rest


@pytest.mark.parametrize("own", [False, True], ids=["shipped", "own-service"])
@pytest.mark.parametrize("env", ["dev", "prod"])
def test_release_task_definition_equals_terraform_except_image_and_version(
    request: pytest.FixtureRequest, env: str, own: bool
) -> None:
    """The one-source-of-truth proof: the seed kept a hand-written taskdef.json that drifted
    from Terraform's task definition. It holds with a team's own environment and secrets
    (tests/own_service.py) too."""
    s: Synth = request.getfixturevalue("own_synths" if own else "synths")[env]
    settings: Settings = request.getfixturevalue("own_settings" if own else "settings_by_env")[env]
    terraform = s.body("aws_ecs_task_definition")
    release = _release_taskdef(s)
    task_name, _ = s.one("aws_ecs_task_definition")

    assert release["family"] == s.ref("aws_ecs_task_definition", task_name, "family")
    assert (release["cpu"], release["memory"]) == (terraform["cpu"], terraform["memory"])
    assert release["networkMode"] == terraform["network_mode"]
    assert release["requiresCompatibilities"] == terraform["requires_compatibilities"]
    assert release["executionRoleArn"] == terraform["execution_role_arn"]
    assert release["taskRoleArn"] == terraform["task_role_arn"]
    assert release["runtimePlatform"] == {
        "cpuArchitecture": terraform["runtime_platform"]["cpu_architecture"],
        "operatingSystemFamily": terraform["runtime_platform"]["operating_system_family"],
    }
    assert release["volumes"] == [{"name": v["name"]} for v in terraform["volume"]]

    # Terraform's revision runs the bootstrap stand-ins (public images, their own command
    # and, where the real image's probe needs the real binary, their own health check).
    spec = {c.name: c for c in workload_task(settings.service).containers}
    tf_containers = _by_name(json.loads(terraform["container_definitions"]))
    release_containers = _by_name(release["containerDefinitions"])
    assert set(tf_containers) == set(release_containers) == set(spec)
    for name, tf_container in tf_containers.items():
        bootstrap = spec[name].bootstrap
        stand_in_keys = {"entryPoint", "command"} | (
            {"healthCheck"} if bootstrap.health_check else set()
        )
        # prod's tasks have no internet access: ECR Public comes through the account's
        # pull-through cache (same image path under the cache's repository prefix).
        assert tf_container["image"] == bootstrap.image or (
            env == "prod"
            and tf_container["image"].endswith(bootstrap.image.removeprefix("public.ecr.aws"))
            and ".dkr.ecr." in tf_container["image"]
        )
        released = release_containers[name]
        assert not {"entryPoint", "command"} & set(released), (
            "release runs the image's own entry point"
        )
        assert _without_image_and_version(
            {k: v for k, v in tf_container.items() if k not in stand_in_keys}
        ) == _without_image_and_version(
            {k: v for k, v in released.items() if k not in stand_in_keys}
        ), name


def test_release_images_and_version_are_placeholders(dev: Synth) -> None:
    containers = _by_name(_release_taskdef(dev)["containerDefinitions"])
    assert containers["app"]["image"] == IMAGE_PLACEHOLDER  # filled by CodeDeploy
    nginx_repo, _ = dev.named("aws_ecr_repository", "nginx")
    assert containers["nginx"]["image"] == (
        dev.ref("aws_ecr_repository", nginx_repo, "repository_url") + ":" + VERSION_PLACEHOLDER
    )
    assert {"name": "VERSION", "value": VERSION_PLACEHOLDER} in containers["app"]["environment"]
    # The real app image probes itself; the bootstrap's wget probe stays in Terraform.
    assert containers["app"]["healthCheck"]["command"] == ["CMD", "/app", "-healthcheck"]


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_release_task_definition_is_valid_register_task_definition_input(
    synths: dict[str, Synth], settings_by_env: dict[str, Settings], env: str
) -> None:
    s = synths[env]
    text = fake_resolve(s, _parameter(s, "taskdef"), settings_by_env[env].region)
    text = text.replace(IMAGE_PLACEHOLDER, f"123456789012.dkr.ecr.x.amazonaws.com/app:{COMMIT}")
    text = text.replace(VERSION_PLACEHOLDER, COMMIT)
    assert api_input_errors("ecs", "RegisterTaskDefinition", json.loads(text)) == ""


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_release_spec_fits_the_free_parameter_tier(
    synths: dict[str, Synth], settings_by_env: dict[str, Settings], env: str
) -> None:
    s = synths[env]
    for fragment in ("taskdef", "appspec"):
        resolved = fake_resolve(s, _parameter(s, fragment), settings_by_env[env].region)
        assert len(resolved.encode()) < SSM_STANDARD_TIER_MAX, fragment


# (synthesized stacks fixture, settings fixture, environment, engine)
SIZE_CASES = [
    ("synths", "settings_by_env", "dev", "codedeploy"),
    ("synths", "settings_by_env", "prod", "codedeploy"),
    ("ecs_synths", "settings_by_env", "dev", "ecs"),
    ("ecs_synths", "settings_by_env", "prod", "ecs"),
    ("own_synths", "own_settings", "dev", "codedeploy"),
    ("own_synths", "own_settings", "prod", "codedeploy"),
    ("own_ecs_synth", "own_settings", "dev", "ecs"),
]
_SPEC_DIGEST_RE = re.compile(r"\$\{local\.[^}]*release-spec[^}]*\}")


@pytest.mark.parametrize(("synths_of", "settings_of", "env", "engine"), SIZE_CASES)
def test_the_size_bound_settings_check_is_an_upper_bound(
    request: pytest.FixtureRequest, synths_of: str, settings_of: str, env: str, engine: str
) -> None:
    """Settings refuse an environment whose release template could outgrow Parameter Store,
    from ``longest_release_target``: that bound must never be below what Terraform stores."""
    synthesized = request.getfixturevalue(synths_of)
    s: Synth = synthesized if isinstance(synthesized, Synth) else synthesized[env]
    settings: Settings = request.getfixturevalue(settings_of)[env]
    # The ECS variants are named apart: <stack>-ecs (tests/conftest.py).
    if engine == "ecs":
        settings = dataclasses.replace(
            settings, deployment=dataclasses.replace(settings.deployment, engine="ecs")
        )
        stack_name = f"{settings.stack_name}-ecs"
    else:
        stack_name = settings.stack_name
    template = _SPEC_DIGEST_RE.sub("0" * 16, _parameter(s, "taskdef"))
    stored = fake_resolve(s, template, settings.region)
    bound = release_template_bound(settings, stack_name)
    # A promoted stack's bound takes its source's project name at its longest.
    slack = 400 + (2 * PROJECT_MAX if settings.pipeline.promote_from else 0)
    assert len(stored.encode()) <= bound <= len(stored.encode()) + slack


def test_appspec_targets_the_service_with_its_network(dev: Synth) -> None:
    appspec = yaml.safe_load(_parameter(dev, "appspec"))
    assert appspec["version"] == 0.0
    (resource,) = appspec["Resources"]
    target = resource["TargetService"]
    assert target["Type"] == "AWS::ECS::Service"
    properties = target["Properties"]
    assert properties["TaskDefinition"] == TASK_DEFINITION_PLACEHOLDER
    assert properties["LoadBalancerInfo"] == {"ContainerName": "nginx", "ContainerPort": 80}
    assert properties["PlatformVersion"] == "LATEST"
    # The service ignores network changes (ECS takes them only through a deployment):
    # every release carries the network Terraform currently wants.
    network = dev.body("aws_ecs_service")["network_configuration"]
    vpc = properties["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert vpc["Subnets"] == network["subnets"]
    assert vpc["SecurityGroups"] == network["security_groups"]
    assert vpc["AssignPublicIp"] == ("ENABLED" if network["assign_public_ip"] else "DISABLED")
    (hook,) = dev.resources("aws_lambda_function")
    assert appspec["Hooks"] == [
        {"AfterAllowTestTraffic": dev.ref("aws_lambda_function", hook, "arn")}
    ]


@pytest.mark.parametrize(
    "value",
    [
        {"a": 1, "b": [1, 2, {"c": "d"}], "e": {"f": {"g": None}}},
        {"version": 0.0, "Resources": [{"T": {"Type": "AWS::ECS::Service"}}]},
        {"tricky": ["a: b", "#hash", "${aws_x.y.id}", 'say "hi"', "line\nbreak", "- dash", ""]},
        {"empty list": [], "empty map": {}, "bools": [True, False], "key with: colon": 1},
        [[1, 2], [{"a": [3]}], "x"],
        "scalar",
    ],
)
def test_yaml_round_trips(value: object) -> None:
    assert yaml.safe_load(to_yaml(value)) == value


def test_appspec_lists_lifecycle_hooks_when_given() -> None:
    task = workload_task(ServiceSettings())
    target = literal_service_target()
    hook = "arn:aws:lambda:eu-west-1:123456789012:function:verify"
    appspec = yaml.safe_load(
        to_yaml(release_appspec(task, target, hooks={"AfterAllowTestTraffic": hook}))
    )
    assert appspec["Hooks"] == [{"AfterAllowTestTraffic": hook}]
    vpc = appspec["Resources"][0]["TargetService"]["Properties"]["NetworkConfiguration"]
    assert vpc["AwsvpcConfiguration"]["AssignPublicIp"] == "DISABLED"
