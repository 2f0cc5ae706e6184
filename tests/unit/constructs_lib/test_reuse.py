"""Another team's stack reuses the constructs on its own, existing VPC (tests/reuse_stack.py)."""

from __future__ import annotations

from tests.reuse_stack import EXISTING_SUBNETS, EXISTING_VPC
from tests.synth import Synth


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
