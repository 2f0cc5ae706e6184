"""The emulator harness's pure parts: the stack it deploys, the endpoints it overrides and
how it reports Terraform failures."""

from __future__ import annotations

import re
from typing import Any

import pytest

from constructs_lib.framework import current
from stacks.settings import Settings
from tests.synth import Synth
from tools.emulator import ENDPOINT_SERVICES, endpoint_override, failures, for_emulator

# The AWS API behind each resource type the stacks use (by type prefix, longest first).
_SERVICE_OF_TYPE = {
    "aws_vpc_security_group": "ec2",
    "aws_acm": "acm",  # the certificate and its validation
    "aws_route53": "route53",
    "aws_secretsmanager": "secretsmanager",
    "aws_appautoscaling": "appautoscaling",
    "aws_cloudwatch_log_group": "logs",
    "aws_cloudwatch_metric_alarm": "cloudwatch",
    "aws_lb": "elbv2",
    "aws_ecs": "ecs",
    "aws_ecr": "ecr",
    "aws_iam": "iam",
    "aws_s3": "s3",
    "aws_ssm": "ssm",
    "aws_codebuild": "codebuild",
    "aws_codedeploy": "codedeploy",
    "aws_codepipeline": "codepipeline",
    "aws_codestarconnections": "codestar-connections",
    "aws_lambda": "lambda",
    "aws_caller_identity": "sts",
    "aws_region": "",  # answered by the provider itself
    "aws_partition": "",
    "aws_iam_policy_document": "",
    "aws_": "ec2",  # VPC, subnets, gateways, routes, security groups, availability zones
}


def _service(resource_type: str) -> str:
    for prefix in sorted(_SERVICE_OF_TYPE, key=len, reverse=True):
        if resource_type.startswith(prefix):
            return _SERVICE_OF_TYPE[prefix]
    raise AssertionError(resource_type)


@pytest.mark.parametrize("own", [False, True], ids=["dev", "dev-own-service"])
def test_every_api_the_dev_stack_calls_points_at_the_emulator(
    dev: Synth, own_synths: dict[str, Synth], own: bool
) -> None:
    """dev, and dev as a team's own service (a domain: ACM, Route 53; secrets)."""
    s = own_synths["dev"] if own else dev
    types = set(s.tf.get("resource", {})) | set(s.tf.get("data", {}))
    services = {_service(t) for t in types} - {"", "codestar-connections"}
    if own:
        assert {"acm", "route53"} <= services
    endpoints = endpoint_override("http://127.0.0.1:1")["provider"]["aws"]["endpoints"][0]
    assert services <= set(endpoints), services - set(endpoints)
    assert set(endpoints) == set(ENDPOINT_SERVICES)


def test_the_emulator_takes_the_existing_connection_path(
    settings_by_env: dict[str, Settings],
) -> None:
    dev = settings_by_env["dev"]
    assert not dev.pipeline.connection_arn
    local = for_emulator(dev)
    assert re.fullmatch(
        rf"arn:aws:codeconnections:{dev.region}:123456789012:connection/[0-9a-f-]{{36}}",
        local.pipeline.connection_arn,
    )
    assert for_emulator(dev) == local  # stable between deploy and destroy
    assert for_emulator(local) is local
    assert local.pipeline.repository == dev.pipeline.repository


def test_failures_name_the_resource_and_the_reason() -> None:
    output = """
aws_lb.alb_88D76693: Creating...

Error: creating ELBv2 application Load Balancer (ecs-blue-green-dev): ValidationError: bad

  with aws_lb.alb_88D76693,
  on cdk.tf.json line 120, in resource.aws_lb.alb_88D76693:
 120:       },

│ Error: reading ECS Service: ServiceNotFoundException
│
│   with aws_ecs_service.service_E7C408F2,
│   on cdk.tf.json line 300, in resource.aws_ecs_service.service_E7C408F2:

Error: Invalid provider configuration
"""
    assert failures(output) == [
        "aws_lb.alb_88D76693: creating ELBv2 application Load Balancer (ecs-blue-green-dev): "
        "ValidationError: bad",
        "aws_ecs_service.service_E7C408F2: reading ECS Service: ServiceNotFoundException",
        "Invalid provider configuration",
    ]
    assert failures("Apply complete! Resources: 1 added") == []


def test_without_a_mirror_the_products_own_provider_pin_is_kept(
    dev: Synth, tmp_path, monkeypatch
) -> None:
    """No filesystem mirror: the working copy keeps hashicorp/aws 6.25.0 for `terraform init`
    to download, and no CLI config points at a mirror."""
    import json

    from tools import tf_validate
    from tools.emulator import Workspace

    def no_mirror() -> tf_validate.Mirror:
        raise tf_validate.ValidationUnavailableError("no mirror here")

    monkeypatch.setattr(tf_validate, "find_mirror", no_mirror)
    monkeypatch.setattr(tf_validate, "find_terraform", lambda: "/usr/bin/terraform")
    monkeypatch.delenv("TF_CLI_CONFIG_FILE", raising=False)
    stack_dir = tmp_path / "stack"
    stack_dir.mkdir()
    (stack_dir / "cdk.tf.json").write_text(dev.text)
    workspace = Workspace.create(stack_dir, tmp_path / "work", "http://127.0.0.1:1")
    pinned = json.loads((workspace.directory / "cdk.tf.json").read_text())["terraform"]
    assert pinned["required_providers"]["aws"]["version"] == current().provider_version
    assert "backend" not in pinned
    assert "TF_CLI_CONFIG_FILE" not in workspace.env
    assert "registry" in workspace.provider_source
    override = json.loads((workspace.directory / "emulator_override.tf.json").read_text())
    assert override["provider"]["aws"]["endpoints"][0]["ecs"] == "http://127.0.0.1:1"


@pytest.mark.parametrize("mirrored", [True, False])
def test_ecs_engine_arguments_are_left_out_only_for_an_older_mirror(
    ecs_synths: dict[str, Synth], tmp_path, monkeypatch, mirrored: bool
) -> None:
    """The mirror's provider (5.100.0) cannot plan the ECS-native arguments: the working copy
    drops them and says so. The registry's 6.25.0 can: then they stay."""
    import json

    from tools import tf_validate
    from tools.emulator import Workspace

    def mirror() -> tf_validate.Mirror:
        if not mirrored:
            raise tf_validate.ValidationUnavailableError("no mirror here")
        return tf_validate.Mirror(root=tmp_path / "mirror", version="5.100.0")

    monkeypatch.setattr(tf_validate, "find_mirror", mirror)
    monkeypatch.setattr(tf_validate, "find_terraform", lambda: "/usr/bin/terraform")
    stack_dir = tmp_path / "stack"
    stack_dir.mkdir()
    (stack_dir / "cdk.tf.json").write_text(ecs_synths["dev"].text)
    workspace = Workspace.create(stack_dir, tmp_path / "work", "http://127.0.0.1:1")
    copied = json.loads((workspace.directory / "cdk.tf.json").read_text())
    (service,) = copied["resource"]["aws_ecs_service"].values()
    assert ("deployment_configuration" in service) is not mirrored
    assert ("advanced_configuration" in service["load_balancer"][0]) is not mirrored
    assert service["deployment_controller"] == {"type": "ECS"}
    assert ("left out" in workspace.provider_source) is mirrored
    # Everything else is the synthesized stack's.
    assert (
        copied["resource"]["aws_lb_listener_rule"]
        == (ecs_synths["dev"].tf["resource"]["aws_lb_listener_rule"])
    )


def test_stand_ins_replace_the_users_zone_and_secrets_once(
    own_settings: dict[str, Settings],
) -> None:
    """``make deploy-local`` of a team's own service: the emulator holds none of the user's
    zone, secrets or parameters, so the harness makes stand-ins (placeholder values) and
    points the settings at them, the same ones on the next command."""
    from tools.emulator import STAND_IN_VALUE, Emulator, reset, with_stand_ins
    from tools.emulator import client as emulator_client

    settings = own_settings["dev"]
    with Emulator() as emulator:
        reset(emulator.endpoint)  # from none, as deploy-local starts
        local = with_stand_ins(settings, emulator.endpoint)
        assert with_stand_ins(settings, emulator.endpoint) == local

        def client(service: str) -> Any:
            return emulator_client(emulator.endpoint, settings.region, service)

        (zone,) = client("route53").list_hosted_zones()["HostedZones"]
        assert zone["Name"] == "example.test."
        assert zone["Id"].endswith(f"/{local.load_balancer.hosted_zone_id}")
        database = local.service.secrets["DATABASE_PASSWORD"]
        assert database.endswith(":password::")  # the JSON-key selector is kept
        secret = client("secretsmanager").get_secret_value(
            SecretId=database.removesuffix(":password::")
        )
        assert (secret["Name"], secret["SecretString"]) == ("orders/db", STAND_IN_VALUE)
        parameter = client("ssm").get_parameter(Name="/orders/api-key", WithDecryption=True)[
            "Parameter"
        ]
        assert parameter["ARN"] == local.service.secrets["API_KEY"]
        assert parameter["Value"] == STAND_IN_VALUE
    # Everything else is the user's: the domain, the environment, the keys.
    assert local.load_balancer.domain_name == settings.load_balancer.domain_name
    assert local.service.environment == settings.service.environment
    assert local.service.secrets_kms_key_arns == settings.service.secrets_kms_key_arns
