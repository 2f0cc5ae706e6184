"""A team's own service on the local AWS emulator: the dev stack with its environment, two
secrets (a Secrets Manager secret read by JSON key, encrypted with a customer managed key,
and an SSM SecureString parameter) and a domain in a hosted zone. The fixture creates the
secrets, the key and the zone first, outside the stack, as a user would; the stack is
applied, checked through the AWS API, re-planned to no changes and destroyed, and the
secrets' values are looked for everywhere the stack leaves a trace.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.test_emulator_deploy import (
    TERRAFORM_TIMEOUT,
    Deployment,
    applied,
    remaining_resources,
    skip_without_terraform,
)
from tests.own_service import ENVIRONMENT, OwnService, environment_data, own_service_settings
from tools import emulator

pytestmark = pytest.mark.slow

ZONE = "example.test"
DOMAIN = f"orders.{ZONE}"
# Values a leak would show: looked for in everything the stack writes.
DATABASE_PASSWORD = "correct-horse-battery-staple-4711"  # noqa: S105 - a test value
API_KEY = "api-key-9f8e7d6c5b4a"


def create_users_own_resources(endpoint: str, region: str) -> OwnService:
    """What a team has before it deploys: a hosted zone, a KMS key, a secret encrypted with
    it, and a SecureString parameter (under the AWS managed key)."""
    client = functools.partial(emulator.client, endpoint, region)
    zone = client("route53").create_hosted_zone(Name=ZONE, CallerReference="own-service")
    key = client("kms").create_key(Description="orders secrets")["KeyMetadata"]["Arn"]
    secret = client("secretsmanager").create_secret(
        Name="orders/db",
        KmsKeyId=key,
        SecretString=json.dumps({"username": "orders", "password": DATABASE_PASSWORD}),
    )["ARN"]
    ssm = client("ssm")
    ssm.put_parameter(Name="/orders/api-key", Type="SecureString", Value=API_KEY)
    parameter = ssm.get_parameter(Name="/orders/api-key")["Parameter"]["ARN"]
    return OwnService(
        region=region,
        secret_arn=f"{secret}:password::",
        parameter_arn=parameter,
        zone_id=zone["HostedZone"]["Id"].rsplit("/", 1)[-1],
        domain=DOMAIN,
        kms_key_arns=(key,),
    )


@pytest.fixture(scope="module")
def own_deployment(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Deployment, OwnService]]:
    from tools.emulator import Emulator

    skip_without_terraform()
    region = environment_data("dev")["region"]
    with Emulator() as server:
        own = create_users_own_resources(server.endpoint, region)
        settings = own_service_settings("dev", own)
        work = tmp_path_factory.mktemp("emulator-own-service")
        try:
            yield applied(settings, work, server.endpoint), own
        finally:
            # moto keeps its state for the whole process: later emulators start clean.
            remove_users_own_resources(server.endpoint, own)


def remove_users_own_resources(endpoint: str, own: OwnService) -> None:
    client = functools.partial(emulator.client, endpoint, own.region)
    secret = own.secret_arn.removesuffix(":password::")
    client("secretsmanager").delete_secret(SecretId=secret, ForceDeleteWithoutRecovery=True)
    client("ssm").delete_parameter(Name="/orders/api-key")
    for key in own.kms_key_arns:
        # By id: moto's ScheduleKeyDeletion fails on a key ARN (AWS takes either).
        client("kms").schedule_key_deletion(KeyId=key.rsplit("/", 1)[-1], PendingWindowInDays=7)
    client("route53").delete_hosted_zone(Id=own.zone_id)


@pytest.fixture(scope="module")
def deployment(own_deployment: tuple[Deployment, OwnService]) -> Deployment:
    return own_deployment[0]


@pytest.fixture(scope="module")
def own(own_deployment: tuple[Deployment, OwnService]) -> OwnService:
    return own_deployment[1]


def _certificate(deployment: Deployment) -> dict[str, Any]:
    acm = deployment.client("acm")
    (summary,) = acm.list_certificates()["CertificateSummaryList"]
    certificate: dict[str, Any] = acm.describe_certificate(
        CertificateArn=summary["CertificateArn"]
    )["Certificate"]
    return certificate


def _records(deployment: Deployment, zone_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = deployment.client("route53").list_resource_record_sets(
        HostedZoneId=zone_id
    )["ResourceRecordSets"]
    return found


def _name(record_name: str) -> str:
    return record_name.rstrip(".").lower()


def test_every_resource_applies(deployment: Deployment) -> None:
    managed = deployment.workspace.managed_resources()
    assert len(managed) == deployment.stack_resources
    for kind in (
        "aws_acm_certificate.",
        "aws_acm_certificate_validation.",
        "aws_route53_record.",
    ):
        assert any(address.startswith(kind) for address in managed), kind
    print(f"applied {len(managed)} resources in {deployment.apply_seconds:.0f} s")


def test_plan_right_after_apply_shows_no_changes(deployment: Deployment) -> None:
    code, output = deployment.plan_exit_code()
    assert code == 0, output


def test_certificate_is_issued_for_the_domain_through_dns(
    deployment: Deployment, own: OwnService
) -> None:
    certificate = _certificate(deployment)
    assert certificate["DomainName"] == DOMAIN
    assert certificate["Status"] == "ISSUED"
    (option,) = certificate["DomainValidationOptions"]
    assert option["ValidationMethod"] == "DNS"
    expected = option["ResourceRecord"]
    records = {(_name(r["Name"]), r["Type"]): r for r in _records(deployment, own.zone_id)}
    validation = records[(_name(expected["Name"]), expected["Type"])]
    assert [_name(v["Value"]) for v in validation["ResourceRecords"]] == [_name(expected["Value"])]


def test_the_domain_points_at_the_load_balancer(deployment: Deployment, own: OwnService) -> None:
    (alb,) = deployment.client("elbv2").describe_load_balancers(Names=[deployment.name])[
        "LoadBalancers"
    ]
    aliases = [r for r in _records(deployment, own.zone_id) if _name(r["Name"]) == DOMAIN]
    assert [r["Type"] for r in aliases] == ["A"]  # an IPv4 ALB: no AAAA
    target = aliases[0]["AliasTarget"]
    assert _name(target["DNSName"]) == _name(alb["DNSName"])
    assert target["HostedZoneId"] == alb["CanonicalHostedZoneId"]
    assert target["EvaluateTargetHealth"] is True


def test_both_listeners_speak_https_with_the_certificate(deployment: Deployment) -> None:
    certificate = _certificate(deployment)["CertificateArn"]
    listeners = deployment.listeners()
    assert set(listeners) == {80, 443, 8080}
    for port in (443, 8080):
        assert listeners[port]["Protocol"] == "HTTPS"
        assert listeners[port]["Certificates"] == [{"CertificateArn": certificate}]
        assert listeners[port]["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    (redirect,) = listeners[80]["DefaultActions"]
    assert redirect["Type"] == "redirect"
    assert redirect["RedirectConfig"]["Protocol"] == "HTTPS"
    assert redirect["RedirectConfig"]["Port"] == "443"


def test_the_outputs_name_the_domain(deployment: Deployment) -> None:
    outputs = json.loads(deployment.workspace.run("output", "-json").stdout)
    assert outputs["production_url"]["value"] == f"https://{DOMAIN}"
    assert outputs["test_url"]["value"] == f"https://{DOMAIN}:8080"
    assert outputs["certificate_arn"]["value"] == _certificate(deployment)["CertificateArn"]


def test_task_definition_carries_the_environment_and_the_secret_references(
    deployment: Deployment, own: OwnService
) -> None:
    task = deployment.client("ecs").describe_task_definition(taskDefinition=deployment.name)[
        "taskDefinition"
    ]
    containers = {c["name"]: c for c in task["containerDefinitions"]}
    app = containers["app"]
    variables = {e["name"]: e["value"] for e in app["environment"]}
    assert ENVIRONMENT.items() <= variables.items()
    assert sorted(app["secrets"], key=lambda s: s["name"]) == [
        {"name": "API_KEY", "valueFrom": own.parameter_arn},
        {"name": "DATABASE_PASSWORD", "valueFrom": own.secret_arn},
    ]
    assert "secrets" not in containers["nginx"]


def test_only_the_execution_role_reads_exactly_those_secrets(
    deployment: Deployment, own: OwnService
) -> None:
    iam = deployment.client("iam")
    role = (
        deployment.client("ecs")
        .describe_task_definition(taskDefinition=deployment.name)["taskDefinition"][
            "executionRoleArn"
        ]
        .rsplit("/", 1)[-1]
    )
    (policy_name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
    document = iam.get_role_policy(RoleName=role, PolicyName=policy_name)["PolicyDocument"]
    statements = {s["Sid"]: s for s in document["Statement"]}
    assert statements["ReadOwnSecrets"]["Resource"] == [own.secret_arn.removesuffix(":password::")]
    assert statements["ReadOwnParameters"]["Resource"] == [own.parameter_arn]
    decrypt = statements["DecryptSecretsWithListedKeys"]
    assert decrypt["Resource"] == list(own.kms_key_arns)
    region = deployment.settings.region
    assert decrypt["Condition"]["StringEquals"]["kms:ViaService"] == [
        f"secretsmanager.{region}.amazonaws.com",
        f"ssm.{region}.amazonaws.com",
    ]
    others = [
        name
        for name in (r["RoleName"] for r in iam.list_roles()["Roles"])
        if name != role
        for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]
        if own.parameter_arn in json.dumps(iam.get_role_policy(RoleName=name, PolicyName=policy))
        or "orders/db" in json.dumps(iam.get_role_policy(RoleName=name, PolicyName=policy))
    ]
    assert others == []


def test_no_secret_value_anywhere_the_stack_leaves_a_trace(deployment: Deployment) -> None:
    """The stack names secrets; ECS reads them when a task starts. Their values are in no
    synthesized file, no state, no output, no release template and no task definition."""
    ecs = deployment.client("ecs")
    ssm = deployment.client("ssm")
    traces = {
        "synthesized JSON": (deployment.workspace.directory / "cdk.tf.json").read_text(),
        "state": (deployment.workspace.directory / "terraform.tfstate").read_text(),
        "outputs": deployment.workspace.run("output", "-json").stdout,
        "task definition": json.dumps(
            ecs.describe_task_definition(taskDefinition=deployment.name)["taskDefinition"],
            default=str,
        ),
        "release templates": json.dumps(
            [
                ssm.get_parameter(Name=f"/{deployment.name}/release/{template}")["Parameter"]
                for template in ("taskdef-template", "appspec-template")
            ],
            default=str,
        ),
        "hook": json.dumps(deployment.client("lambda").list_functions()["Functions"], default=str),
    }
    for where, text in traces.items():
        assert text, where
        assert DATABASE_PASSWORD not in text, where
        assert API_KEY not in text, where


def test_destroy_leaves_nothing_but_the_users_own(deployment: Deployment, own: OwnService) -> None:
    destroy = deployment.workspace.run(
        "destroy", "-auto-approve", "-input=false", "-parallelism=20", timeout=TERRAFORM_TIMEOUT
    )
    assert destroy.returncode == 0, destroy.stdout[-4000:] + destroy.stderr
    assert deployment.workspace.managed_resources() == []
    left = remaining_resources(deployment)
    left.pop("task definitions")  # revisions stay registered by design (skip_destroy)
    # The user's parameter is theirs: the stack only named it.
    assert left.pop("ssm parameters") == ["/orders/api-key"]
    assert {kind: names for kind, names in left.items() if names} == {}
    assert deployment.client("acm").list_certificates()["CertificateSummaryList"] == []
    # The zone keeps only what Route 53 made with it; the secret stays the user's.
    assert {r["Type"] for r in _records(deployment, own.zone_id)} == {"NS", "SOA"}
    secrets = deployment.client("secretsmanager").list_secrets()["SecretList"]
    assert [s["Name"] for s in secrets] == ["orders/db"]
