"""VpcEndpoints, and where tasks run: the three task placements of the stacks."""

from __future__ import annotations

import re

import pytest

from constructs_lib.validation import ValidationError
from constructs_lib.vpc_endpoints import TASK_SERVICES, VpcEndpointsProps
from tests.synth import Synth


def _endpoints(s: Synth) -> dict[str, dict]:
    """By service: ``com.amazonaws.<region>.ecr.api`` -> ``ecr.api``."""
    return {
        body["service_name"].split(".", 3)[-1]: body
        for body in s.resources("aws_vpc_endpoint").values()
    }


def test_prod_tasks_are_private_and_reach_aws_through_endpoints(prod: Synth) -> None:
    service = prod.body("aws_ecs_service")["network_configuration"]
    private = {
        prod.ref("aws_subnet", n, "id") for n in prod.resources("aws_subnet") if "private" in n
    }
    assert service["assign_public_ip"] is False
    assert set(service["subnets"]) == private
    endpoints = _endpoints(prod)
    assert set(endpoints) == {*TASK_SERVICES, "codedeploy", "ec2", "ecs", "s3"}
    for name, endpoint in endpoints.items():
        if name == "s3":
            assert endpoint["vpc_endpoint_type"] == "Gateway"
            assert len(endpoint["route_table_ids"]) == 3  # every private route table
        else:
            assert endpoint["vpc_endpoint_type"] == "Interface"
            assert endpoint["private_dns_enabled"] is True
            assert set(endpoint["subnet_ids"]) == private
    assert not prod.resources("aws_nat_gateway")


def test_endpoint_security_group_admits_only_tasks_and_hook_on_443(prod: Synth) -> None:
    sg, _ = prod.named("aws_security_group", "endpoints")
    rules = [
        r
        for r in prod.resources("aws_vpc_security_group_ingress_rule").values()
        if r["security_group_id"] == prod.ref("aws_security_group", sg, "id")
    ]
    clients = {
        prod.ref("aws_security_group", prod.named("aws_security_group", name)[0], "id")
        for name in ("service_sg", "verification-hook")
    }
    assert {r["referenced_security_group_id"] for r in rules} == clients
    assert {(r["from_port"], r["to_port"], r["ip_protocol"]) for r in rules} == {(443, 443, "tcp")}
    assert all("cidr_ipv4" not in r for r in rules)
    (endpoint,) = [e for e in _endpoints(prod).values() if e["vpc_endpoint_type"] == "Interface"][
        :1
    ]
    assert endpoint["security_group_ids"] == [prod.ref("aws_security_group", sg, "id")]


def test_no_public_ip_and_no_open_ingress_in_prod(prod: Synth) -> None:
    assert prod.body("aws_ecs_service")["network_configuration"]["assign_public_ip"] is False
    open_rules = [
        r["from_port"]
        for r in prod.resources("aws_vpc_security_group_ingress_rule").values()
        if r.get("cidr_ipv4") == "0.0.0.0/0"
    ]
    assert sorted(open_rules) == [80]  # the production listener only
    assert all(not s.get("map_public_ip_on_launch") for s in prod.resources("aws_subnet").values())


def test_dev_tasks_are_private_behind_one_nat_gateway(dev: Synth) -> None:
    service = dev.body("aws_ecs_service")["network_configuration"]
    assert service["assign_public_ip"] is False
    (nat_name, nat) = dev.one("aws_nat_gateway")
    eip, _ = dev.one("aws_eip")
    assert nat["allocation_id"] == dev.ref("aws_eip", eip, "id")
    public_0, _ = dev.named("aws_subnet", "public-0")
    assert nat["subnet_id"] == dev.ref("aws_subnet", public_0, "id")
    assert nat["depends_on"] == [f"aws_internet_gateway.{dev.one('aws_internet_gateway')[0]}"]
    nat_routes = [r for r in dev.resources("aws_route").values() if "nat_gateway_id" in r]
    assert len(nat_routes) == 2  # both private route tables, one gateway
    assert {r["nat_gateway_id"] for r in nat_routes} == {dev.ref("aws_nat_gateway", nat_name, "id")}
    assert {r["destination_cidr_block"] for r in nat_routes} == {"0.0.0.0/0"}
    assert not dev.resources("aws_vpc_endpoint")  # NAT serves the APIs


def test_hook_egress_follows_the_placement(dev: Synth, prod: Synth) -> None:
    for synth, cidr in ((dev, "0.0.0.0/0"), (prod, "10.20.0.0/16")):
        hook_sg, _ = synth.named("aws_security_group", "verification-hook")
        https = [
            r
            for r in synth.resources("aws_vpc_security_group_egress_rule").values()
            if r["security_group_id"] == synth.ref("aws_security_group", hook_sg, "id")
            and r["from_port"] == 443
        ]
        assert [r["cidr_ipv4"] for r in https] == [cidr]


def test_per_az_nat_and_public_placement(synth_variant, settings_by_env) -> None:
    import dataclasses

    prod = settings_by_env["prod"]
    per_az = dataclasses.replace(
        prod,
        environment="perz",
        network=dataclasses.replace(
            prod.network, task_placement="private-nat", nat_gateways="per-az"
        ),
    )
    s = synth_variant(per_az)
    nats = s.resources("aws_nat_gateway")
    assert len(nats) == 3
    routes = [r for r in s.resources("aws_route").values() if "nat_gateway_id" in r]
    assert {r["nat_gateway_id"] for r in routes} == {
        s.ref("aws_nat_gateway", n, "id") for n in nats
    }

    public = dataclasses.replace(
        prod,
        environment="pub",
        network=dataclasses.replace(prod.network, task_placement="public"),
    )
    s = synth_variant(public)
    service = s.body("aws_ecs_service")["network_configuration"]
    assert service["assign_public_ip"] is True
    assert all("public" in subnet for subnet in service["subnets"])
    # Tasks use the internet gateway; the hook (no public IP in a VPC) gets its endpoints.
    assert set(_endpoints(s)) == {"codedeploy", "ec2", "ecs"}
    assert not s.resources("aws_nat_gateway")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"interface_services": ("ecr.api", "ecr.api")}, "interface_services[1]"),
        ({"interface_services": ("ECR API",)}, "interface_services[0]"),
        ({"subnet_ids": ()}, "subnet_ids"),
    ],
)
def test_bad_endpoint_props_are_refused(change: dict, field: str) -> None:
    values = {"name_prefix": "svc", "region": "eu-west-1", "vpc_id": "vpc-1", "subnet_ids": ("s",)}
    with pytest.raises(ValidationError, match=rf"^{re.escape(field)}: "):
        VpcEndpointsProps(**{**values, **change})


def test_private_tasks_pull_bootstrap_images_through_the_ecr_public_cache(prod: Synth) -> None:
    """ECR Public is on the internet; the endpoints reach only the account's registry. The
    bootstrap images therefore come through a pull-through cache rule."""
    import json

    rule_name, rule = prod.one("aws_ecr_pull_through_cache_rule")
    assert rule["upstream_registry_url"] == "public.ecr.aws"
    assert len(rule["ecr_repository_prefix"]) <= 30
    prefix_ref = prod.ref("aws_ecr_pull_through_cache_rule", rule_name, "ecr_repository_prefix")
    task = prod.body("aws_ecs_task_definition")
    images = [c["image"] for c in json.loads(task["container_definitions"])]
    assert images and all(
        ".dkr.ecr.ap-northeast-1.${" in i and f"/{prefix_ref}/" in i for i in images
    )
    assert not [i for i in images if i.startswith("public.ecr.aws")]
    policy = json.loads(prod.named("aws_iam_role_policy", "execution-policy")[1]["policy"])
    (cache,) = [st for st in policy["Statement"] if st["Sid"] == "PullBootstrapImagesThroughCache"]
    assert "ecr:BatchImportUpstreamImage" in cache["Action"]
    assert cache["Resource"][0].endswith(f":repository/{prefix_ref}/*")
    assert (
        f"aws_ecr_pull_through_cache_rule.{rule_name}" in prod.body("aws_ecs_service")["depends_on"]
    )


def test_tasks_with_internet_access_pull_ecr_public_directly(dev: Synth) -> None:
    import json

    assert not dev.resources("aws_ecr_pull_through_cache_rule")
    task = dev.body("aws_ecs_task_definition")
    images = [c["image"] for c in json.loads(task["container_definitions"])]
    assert all(i.startswith("public.ecr.aws/") for i in images)


def test_first_tasks_start_after_their_way_out_exists(dev: Synth, prod: Synth) -> None:
    """The service (whose creation starts the first tasks, which pull images at once) is
    created after the NAT routes (dev) or the endpoints and the rules admitting it (prod)."""
    dev_after = dev.body("aws_ecs_service")["depends_on"]
    nat_routes = [
        f"aws_route.{name}"
        for name, r in dev.resources("aws_route").items()
        if "nat_gateway_id" in r
    ]
    assert nat_routes and set(nat_routes) <= set(dev_after)

    prod_after = set(prod.body("aws_ecs_service")["depends_on"])
    endpoints = {f"aws_vpc_endpoint.{name}" for name in prod.resources("aws_vpc_endpoint")}
    sg, _ = prod.named("aws_security_group", "endpoints")
    admitting = {
        f"aws_vpc_security_group_ingress_rule.{name}"
        for name, r in prod.resources("aws_vpc_security_group_ingress_rule").items()
        if r["security_group_id"] == prod.ref("aws_security_group", sg, "id")
    }
    assert endpoints and admitting
    assert endpoints | admitting <= prod_after
