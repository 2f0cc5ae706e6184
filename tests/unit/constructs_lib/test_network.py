"""NetworkConstruct: the subnet plan (pure) and the synthesized VPC."""

import pytest

from constructs_lib.network import NetworkConstruct, NetworkProps, plan_subnets
from constructs_lib.validation import ValidationError
from tests.synth import Synth


def test_plan_carves_public_then_private_per_az() -> None:
    plan = plan_subnets("10.10.0.0/16", 2, 24)
    assert plan.public == ("10.10.0.0/24", "10.10.1.0/24")
    assert plan.private == ("10.10.2.0/24", "10.10.3.0/24")


def test_plan_scales_with_az_count() -> None:
    plan = plan_subnets("10.20.0.0/16", 3, 22)
    assert plan.public == ("10.20.0.0/22", "10.20.4.0/22", "10.20.8.0/22")
    assert plan.private == ("10.20.12.0/22", "10.20.16.0/22", "10.20.20.0/22")


@pytest.mark.parametrize(
    ("kwargs", "field", "reason"),
    [
        (
            {"vpc_cidr": "10.0.0.0/24", "az_count": 2, "subnet_prefix_length": 24},
            "subnet_prefix_length",
            "between 25 and 28",
        ),
        (
            {"vpc_cidr": "10.0.0.0/26", "az_count": 3, "subnet_prefix_length": 28},
            "subnet_prefix_length",
            "6 needed",
        ),
        ({"vpc_cidr": "10.0.0.0/16", "az_count": 1}, "az_count", "between 2 and 6"),
        ({"vpc_cidr": "10.0.0.0/12", "az_count": 2}, "vpc_cidr", "/16 to /28"),
        (
            {"vpc_cidr": "10.0.0.0/16", "az_count": 2, "subnet_prefix_length": 16},
            "subnet_prefix_length",
            "between 17",
        ),
    ],
)
def test_plan_rejects_impossible_layouts(kwargs: dict, field: str, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason) as caught:
        plan_subnets(**kwargs)
    assert caught.value.field == field


def test_explicit_subnets_are_checked_for_overlap_and_containment() -> None:
    with pytest.raises(ValidationError, match="overlaps") as caught:
        plan_subnets(
            "10.0.0.0/16",
            2,
            public=("10.0.0.0/24", "10.0.1.0/24"),
            private=("10.0.1.0/24", "10.0.2.0/24"),
        )
    assert caught.value.field == "subnets"
    with pytest.raises(ValidationError, match="outside the VPC") as caught:
        plan_subnets(
            "10.0.0.0/16",
            2,
            public=("10.0.0.0/24", "10.1.0.0/24"),
            private=("10.0.2.0/24", "10.0.3.0/24"),
        )
    assert caught.value.field == "public_subnet_cidrs[1]"
    with pytest.raises(ValidationError, match="one CIDR per availability zone"):
        plan_subnets(
            "10.0.0.0/16", 2, public=("10.0.0.0/24",), private=("10.0.2.0/24", "10.0.3.0/24")
        )


def test_vpc_has_dns_support_and_hostnames(dev: Synth) -> None:
    vpc = dev.body("aws_vpc")
    assert vpc["cidr_block"] == "10.10.0.0/16"
    assert vpc["enable_dns_support"] is True
    assert vpc["enable_dns_hostnames"] is True
    assert "assign_generated_ipv6_cidr_block" not in vpc


def test_two_public_and_two_private_subnets_across_zones(dev: Synth) -> None:
    subnets = dev.resources("aws_subnet")
    tiers = sorted(body["tags"]["Tier"] for body in subnets.values())
    assert tiers == ["private", "private", "public", "public"]
    ((zones_name, zones),) = dev.data("aws_availability_zones").items()
    assert zones["state"] == "available"
    assert zones["filter"] == [{"name": "opt-in-status", "values": ["opt-in-not-required"]}]
    used = sorted(body["availability_zone"] for body in subnets.values())
    assert used == sorted(
        [f"${{element(data.aws_availability_zones.{zones_name}.names, {i})}}" for i in (0, 1)] * 2
    )
    assert all(
        body["map_public_ip_on_launch"] is False
        for body in subnets.values()
        if body["tags"]["Tier"] == "public"
    )


def test_public_tier_routes_to_the_internet_gateway(dev: Synth) -> None:
    igw_name, _ = dev.one("aws_internet_gateway")
    ((_, route),) = [(n, r) for n, r in dev.resources("aws_route").items() if "gateway_id" in r]
    assert route["destination_cidr_block"] == "0.0.0.0/0"
    assert route["gateway_id"] == dev.ref("aws_internet_gateway", igw_name, "id")
    assert "destination_ipv6_cidr_block" not in route  # the seed routed ::/0 without IPv6
    public_table, _ = dev.named("aws_route_table", "public")
    associations = dev.resources("aws_route_table_association").values()
    public_refs = [
        a
        for a in associations
        if a["route_table_id"] == dev.ref("aws_route_table", public_table, "id")
    ]
    assert len(public_refs) == 2


def test_each_private_subnet_has_its_own_route_table(dev: Synth) -> None:
    tables = dev.resources("aws_route_table")
    assert len(tables) == 3
    for table in tables.values():
        assert "route" not in table  # routes are separate resources, none private yet


def test_default_security_group_is_emptied(dev: Synth) -> None:
    group = dev.body("aws_default_security_group")
    assert "ingress" not in group
    assert "egress" not in group


def test_no_az_letters_are_hard_coded(dev: Synth, prod: Synth) -> None:
    for synth in (dev, prod):
        assert "ap-northeast-1a" not in synth.text
        assert "ap-northeast-1c" not in synth.text


def test_construct_alone_exposes_ids_per_tier(new_stack, synth) -> None:
    stack = new_stack("network-alone")
    network = NetworkConstruct(
        stack,
        "net",
        NetworkProps(
            name_prefix="demo", vpc_cidr="10.1.0.0/20", az_count=3, subnet_prefix_length=24
        ),
    )
    assert len(network.public_subnet_ids) == 3
    assert len(network.private_subnet_ids) == 3
    assert len(network.availability_zones) == 3
    assert len(network.private_route_table_ids) == 3
    result = synth(stack)
    assert len(result.resources("aws_subnet")) == 6
    cidrs = sorted(b["cidr_block"] for b in result.resources("aws_subnet").values())
    assert cidrs == [f"10.1.{i}.0/24" for i in range(6)]


def test_props_validate_on_creation() -> None:
    with pytest.raises(ValidationError, match=r"^az_count: "):
        NetworkProps(name_prefix="demo", az_count=7)
