"""Another team's stack reuses AlbBlueGreen and FargateService on its own, existing VPC."""

from __future__ import annotations

import pytest

from constructs_lib import (
    AlbBlueGreen,
    AlbBlueGreenProps,
    BootstrapImage,
    ContainerHealthCheck,
    ContainerSpec,
    FargateService,
    FargateServiceProps,
    TaskSpec,
)
from tests.synth import Synth

EXISTING_VPC = "vpc-0123456789abcdef0"
EXISTING_SUBNETS = ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"]


def build_reuse_stack(new_stack: object, name: str = "reuse-existing-vpc") -> object:
    """A single-container service (no nginx) on a VPC this project did not create."""
    stack = new_stack(name, region="us-east-2")  # type: ignore[operator]
    alb = AlbBlueGreen(
        stack,
        "edge",
        AlbBlueGreenProps(
            name_prefix="orders",
            vpc_id=EXISTING_VPC,
            vpc_cidr_block="172.31.0.0/16",
            subnet_ids=EXISTING_SUBNETS,
            target_port=3000,
            production_port=80,
            test_port=9000,
            deregistration_delay_seconds=5,
        ),
    )
    web = ContainerSpec(
        name="web",
        build_context="services/orders",
        port=3000,
        health_check=ContainerHealthCheck(command=("CMD", "/web", "--probe")),
        bootstrap=BootstrapImage(
            image="public.ecr.aws/nginx/nginx:stable",
            health_check=ContainerHealthCheck(command=("CMD-SHELL", "true")),
        ),
    )
    FargateService(
        stack,
        "orders",
        FargateServiceProps(
            name_prefix="orders",
            region="us-east-2",
            vpc_id=EXISTING_VPC,
            subnet_ids=EXISTING_SUBNETS,
            task=TaskSpec(cpu=512, memory=1024, containers=(web,), load_balanced_container="web"),
            target_group_arn=alb.blue_target_group.arn,
            load_balancer_security_group_id=alb.security_group_id,
            listeners=alb.listeners,
            desired_count=1,
        ),
    )
    return stack


@pytest.fixture(scope="module")
def reuse(new_stack, synth) -> Synth:
    return synth(build_reuse_stack(new_stack))


def test_no_network_resources_are_created(reuse: Synth) -> None:
    for kind in ("aws_vpc", "aws_subnet", "aws_internet_gateway", "aws_route_table"):
        assert reuse.resources(kind) == {}


def test_everything_lands_in_the_supplied_vpc(reuse: Synth) -> None:
    assert reuse.body("aws_lb")["subnets"] == EXISTING_SUBNETS
    for group in reuse.resources("aws_lb_target_group").values():
        assert group["vpc_id"] == EXISTING_VPC
        assert group["port"] == 3000
        assert group["deregistration_delay"] == "5"
    service = reuse.body("aws_ecs_service")
    assert service["network_configuration"]["subnets"] == EXISTING_SUBNETS
    assert service["load_balancer"][0]["container_name"] == "web"
    assert service["load_balancer"][0]["container_port"] == 3000


def test_one_container_one_repository(reuse: Synth) -> None:
    repos = [r["name"] for r in reuse.resources("aws_ecr_repository").values()]
    assert repos == ["orders/web"]
