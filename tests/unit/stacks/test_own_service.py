"""A team's own service on the stack (tests/own_service.py): its environment and secrets in
both task definitions, least-privilege reads by the execution role only, endpoints only for
the stores in use, and a domain with its certificate on both listeners."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stacks.settings import Settings
from tests.own_service import DOMAIN, ENVIRONMENT, ZONE_ID, OwnService, own_service_settings
from tests.synth import Synth

# Resources and data sources that would put a secret's value into the Terraform state.
VALUE_READERS = (
    "aws_secretsmanager_secret_version",
    "aws_ssm_parameter",
)


def _containers(definitions: str | list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    loaded = json.loads(definitions) if isinstance(definitions, str) else definitions
    return {c["name"]: c for c in loaded}


def _terraform_app(s: Synth) -> dict[str, Any]:
    return _containers(s.body("aws_ecs_task_definition")["container_definitions"])["app"]


def _release_containers(s: Synth) -> dict[str, dict[str, Any]]:
    template = json.loads(s.named("aws_ssm_parameter", "taskdef")[1]["insecure_value"])
    return _containers(template["containerDefinitions"])


def _variables(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container.get("environment", ())}


def _secrets(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["valueFrom"] for e in container.get("secrets", ())}


@pytest.fixture(scope="module")
def variants(own_synths: dict[str, Synth], own_ecs_synth: Synth) -> dict[str, Synth]:
    return {**own_synths, "dev-ecs": own_ecs_synth}


@pytest.mark.parametrize("variant", ["dev", "prod", "dev-ecs"])
def test_environment_and_secrets_reach_both_task_definitions(
    variants: dict[str, Synth], own_settings: dict[str, Settings], variant: str
) -> None:
    s = variants[variant]
    secrets = own_settings[variant.removesuffix("-ecs")].service.secrets
    for app in (_terraform_app(s), _release_containers(s)["app"]):
        assert ENVIRONMENT.items() <= _variables(app).items()
        assert _secrets(app) == secrets
        # What the stack sets itself is still there, and still the stack's.
        assert _variables(app)["PORT"] == "8080"
    # Only the app container is configured: nginx gets none of it.
    for nginx in (
        _containers(s.body("aws_ecs_task_definition")["container_definitions"])["nginx"],
        _release_containers(s)["nginx"],
    ):
        assert not ENVIRONMENT.keys() & _variables(nginx).keys()
        assert "secrets" not in nginx


@pytest.mark.parametrize("variant", ["dev", "prod", "dev-ecs"])
def test_only_the_execution_role_may_read_the_secrets(
    variants: dict[str, Synth], own_settings: dict[str, Settings], variant: str
) -> None:
    s = variants[variant]
    own = OwnService.stand_in(own_settings[variant.removesuffix("-ecs")].region)
    named = (own.secret_arn.split(":password")[0], own.parameter_arn, *own.kms_key_arns)
    readers = {}
    for name, body in s.resources("aws_iam_role_policy").items():
        for statement in json.loads(body["policy"])["Statement"]:
            if any(arn in json.dumps(statement["Resource"]) for arn in named):
                readers[statement["Sid"]] = (name, statement)
    assert set(readers) == {"ReadOwnSecrets", "ReadOwnParameters", "DecryptSecretsWithListedKeys"}
    assert {name for name, _ in readers.values()} == {
        s.named("aws_iam_role_policy", "execution-policy")[0]
    }
    assert readers["ReadOwnSecrets"][1]["Action"] == ["secretsmanager:GetSecretValue"]
    assert readers["ReadOwnParameters"][1]["Action"] == ["ssm:GetParameters"]
    assert readers["DecryptSecretsWithListedKeys"][1]["Action"] == ["kms:Decrypt"]
    assert readers["ReadOwnSecrets"][1]["Resource"] == [own.secret_arn.removesuffix(":password::")]
    assert readers["ReadOwnParameters"][1]["Resource"] == [own.parameter_arn]
    assert readers["DecryptSecretsWithListedKeys"][1]["Resource"] == list(own.kms_key_arns)


@pytest.mark.parametrize("variant", ["dev", "prod", "dev-ecs"])
def test_no_secret_value_is_ever_read_into_terraform(
    variants: dict[str, Synth], variant: str
) -> None:
    """ECS resolves the secrets when a task starts; the stack only names them. Nothing reads
    a value (into the state), and no output or SSM template carries more than the ARN."""
    s = variants[variant]
    for kind in VALUE_READERS:
        assert not s.data(kind), kind
    assert not s.resources("aws_secretsmanager_secret_version")
    outputs = json.dumps(s.tf["output"])
    assert "secretsmanager" not in outputs
    assert ":parameter/" not in outputs
    for name, parameter in s.resources("aws_ssm_parameter").items():
        text = parameter["insecure_value"]
        assert '"value": "arn:aws:secretsmanager' not in text, name


def _endpoint_services(s: Synth) -> set[str]:
    return {
        body["service_name"].rsplit(".", 1)[-1]
        for body in s.resources("aws_vpc_endpoint").values()
        if body["vpc_endpoint_type"] == "Interface"
    }


def test_private_tasks_get_endpoints_for_the_stores_in_use(
    prod: Synth, own_synths: dict[str, Synth], cdktf_app: object
) -> None:
    assert {"secretsmanager", "ssm"} <= _endpoint_services(own_synths["prod"])
    assert not {"secretsmanager", "ssm"} & _endpoint_services(prod)
    # Behind NAT (dev) the tasks reach both stores through it: no endpoint.
    assert not own_synths["dev"].resources("aws_vpc_endpoint")


def test_only_the_store_in_use_gets_an_endpoint(synth_variant: Any) -> None:
    region = own_service_settings("prod").region
    stand_in = OwnService.stand_in(region)
    only_ssm = own_service_settings(
        "prod",
        OwnService(
            region=region,
            secret_arn=stand_in.parameter_arn.replace("api-key", "db-password"),
            parameter_arn=stand_in.parameter_arn,
        ),
    )
    from dataclasses import replace

    settings = replace(only_ssm, environment="prod-ssm")
    services = _endpoint_services(synth_variant(settings))
    assert "ssm" in services
    assert "secretsmanager" not in services


def _listener(s: Synth, role: str) -> dict[str, Any]:
    return s.named("aws_lb_listener", f"{role}-listener")[1]


@pytest.mark.parametrize("variant", ["dev", "prod", "dev-ecs"])
def test_domain_gets_a_validated_certificate_on_both_listeners(
    variants: dict[str, Synth], variant: str
) -> None:
    s = variants[variant]
    assert s.body("aws_acm_certificate")["domain_name"] == DOMAIN
    validation_name, _ = s.one("aws_acm_certificate_validation")
    issued = s.ref("aws_acm_certificate_validation", validation_name, "certificate_arn")
    for role, port in (("production", 443), ("test", 8080)):
        listener = _listener(s, role)
        assert (listener["port"], listener["protocol"]) == (port, "HTTPS")
        assert listener["certificate_arn"] == issued  # created once ACM has issued it
    redirect = _listener(s, "redirect")
    assert (redirect["port"], redirect["default_action"][0]["redirect"]["port"]) == (80, "443")


@pytest.mark.parametrize("variant", ["dev", "prod", "dev-ecs"])
def test_domain_points_at_the_alb_and_the_urls_name_it(
    variants: dict[str, Synth], variant: str
) -> None:
    s = variants[variant]
    records = s.resources("aws_route53_record")
    (alias,) = [r for r in records.values() if "alias" in r]
    lb_name, _ = s.one("aws_lb")
    assert alias == {
        "zone_id": ZONE_ID,
        "name": DOMAIN,
        "type": "A",  # the ALB is IPv4 only: no AAAA
        "alias": {
            "name": s.ref("aws_lb", lb_name, "dns_name"),
            "zone_id": s.ref("aws_lb", lb_name, "zone_id"),
            "evaluate_target_health": True,
        },
    }
    (validation_record,) = [r for r in records.values() if "alias" not in r]
    assert validation_record["zone_id"] == ZONE_ID
    outputs = s.tf["output"]
    assert outputs["production_url"]["value"] == f"https://{DOMAIN}"
    assert outputs["test_url"]["value"] == f"https://{DOMAIN}:8080"
    cert_output = outputs["certificate_arn"]["value"]
    assert cert_output.startswith("${aws_acm_certificate_validation.")


@pytest.mark.parametrize("variant", ["dev", "prod", "dev-ecs"])
def test_hook_verifies_the_test_listener_certificate_against_the_domain(
    variants: dict[str, Synth], variant: str
) -> None:
    s = variants[variant]
    variables = s.body("aws_lambda_function")["environment"]["variables"]
    assert variables["TEST_HOST_NAME"] == DOMAIN


def test_shipped_stacks_have_no_domain_and_plain_http(dev: Synth, prod: Synth) -> None:
    for s in (dev, prod):
        assert not s.resources("aws_acm_certificate")
        assert not s.resources("aws_route53_record")
        assert "TEST_HOST_NAME" not in s.body("aws_lambda_function")["environment"]["variables"]
        assert s.tf["output"]["production_url"]["value"].startswith("http://")


def test_own_service_adds_only_its_own_resources(dev: Synth, own_synths: dict[str, Synth]) -> None:
    """Certificate, validation record, validation, alias record, the HTTP listener that
    redirects to HTTPS and its ingress rule."""
    assert own_synths["dev"].count() == dev.count() + 6
