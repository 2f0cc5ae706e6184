"""NetworkConstruct: the subnet plan (pure) and the synthesized VPC."""

import json

import pytest

from constructs_lib.network import (
    NetworkConstruct,
    NetworkProps,
    check_zone_ids,
    plan_subnets,
    zone_id_prefix,
)
from constructs_lib.validation import ValidationError
from stacks.settings import Settings
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
    # dev pins its zones by id (network.zone_ids): the data source lists exactly those.
    ((_, zones),) = dev.data("aws_availability_zones").items()
    assert zones["filter"] == [{"name": "zone-id", "values": ["apne1-az4", "apne1-az1"]}]
    used = sorted(body["availability_zone_id"] for body in subnets.values())
    assert used == sorted(["apne1-az4", "apne1-az1"] * 2)
    assert all(
        body["map_public_ip_on_launch"] is False
        for body in subnets.values()
        if body["tags"]["Tier"] == "public"
    )


def test_unpinned_zones_are_the_regions_first_by_name_taken_by_id(new_stack, synth) -> None:
    """Without zone_ids: by zone id, in the data source's order (by name, as names[i] chose
    before ids: no subnet of an existing stack moves; test_emulator_network.py plans it)."""
    stack = new_stack("network-unpinned")
    NetworkConstruct(stack, "net", NetworkProps(name_prefix="demo"))
    result = synth(stack)
    ((zones_name, zones),) = result.data("aws_availability_zones").items()
    assert zones["state"] == "available"
    assert zones["filter"] == [{"name": "opt-in-status", "values": ["opt-in-not-required"]}]
    used = sorted(body["availability_zone_id"] for body in result.resources("aws_subnet").values())
    assert used == sorted(
        [f"${{element(data.aws_availability_zones.{zones_name}.zone_ids, {i})}}" for i in (0, 1)]
        * 2
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


def test_no_subnet_names_its_zone_by_name(
    synths: dict[str, Synth],
    ecs_synths: dict[str, Synth],
    own_synths: dict[str, Synth],
    settings_by_env: dict[str, Settings],
) -> None:
    """A zone name is a different physical zone in each account: every subnet of every
    shipped stack names its zone by the id its settings pin (``network.zone_ids``), and
    nothing else in them takes a zone name."""
    variants = {(env, ""): s for env, s in synths.items()}
    variants |= {(env, "-ecs"): s for env, s in ecs_synths.items()}
    variants |= {(env, "-own"): s for env, s in own_synths.items()}
    for (env, variant), synth in variants.items():
        pinned = settings_by_env[env].network.zone_ids
        assert pinned, env
        subnets = synth.resources("aws_subnet")
        assert subnets, env + variant
        for body in subnets.values():
            assert "availability_zone" not in body, env + variant
            assert body["availability_zone_id"] in pinned, env + variant
        used = {body["availability_zone_id"] for body in subnets.values()}
        assert used == set(pinned), env + variant
        assert ".names" not in json.dumps(synth.tf.get("resource", {})), env + variant


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
    assert len(network.availability_zone_ids) == 3
    assert len(network.private_route_table_ids) == 3
    result = synth(stack)
    assert len(result.resources("aws_subnet")) == 6
    cidrs = sorted(b["cidr_block"] for b in result.resources("aws_subnet").values())
    assert cidrs == [f"10.1.{i}.0/24" for i in range(6)]


def test_props_validate_on_creation() -> None:
    with pytest.raises(ValidationError, match=r"^az_count: "):
        NetworkProps(name_prefix="demo", az_count=7)


def test_pinned_zone_ids_place_each_subnet_and_filter_the_zones(new_stack, synth) -> None:
    from constructs_lib.bindings import TerraformOutput

    stack = new_stack("network-pinned", region="ap-northeast-1")
    pinned = ("apne1-az2", "apne1-az4")  # the caller's order, not the region's
    network = NetworkConstruct(stack, "net", NetworkProps(name_prefix="demo", zone_ids=pinned))
    assert network.availability_zone_ids == list(pinned)
    TerraformOutput(stack, "zone_names", value=network.availability_zones)
    result = synth(stack)
    for tier in ("public", "private"):
        for i, zone_id in enumerate(pinned):
            _, subnet = result.named("aws_subnet", f"{tier}-{i}_")
            assert subnet["availability_zone_id"] == zone_id
            assert "availability_zone" not in subnet
    ((zones_name, zones),) = result.data("aws_availability_zones").items()
    # An allowlist by identity (what checkov's CKV_AWS_394 asks for): a zone the region
    # adds or changes cannot join; no state filter, which a zone's trouble would change.
    assert zones["filter"] == [{"name": "zone-id", "values": list(pinned)}]
    assert "state" not in zones
    (check,) = zones["lifecycle"]["postcondition"]
    missing = 'setsubtract(["apne1-az2", "apne1-az4"], self.zone_ids)'
    assert check["condition"] == f"${{length({missing}) == 0}}"
    assert check["error_message"] == f'zone_ids not in this region: ${{join(", ", {missing})}}'
    # The zone names follow the pinned order (the data source lists them by name).
    names = f"data.aws_availability_zones.{zones_name}"
    assert result.tf["output"]["zone_names"]["value"] == [
        f'${{element({names}.names, index({names}.zone_ids, "{z}"))}}' for z in pinned
    ]


@pytest.mark.parametrize(
    ("zone_ids", "field", "reason"),
    [
        (("apne1-az4",), "zone_ids", r"one zone id per availability zone \(2\), got 1"),
        (("ap-northeast-1a", "apne1-az1"), "zone_ids[0]", "zone name maps to a different zone"),
        (("apne1-az4", "apne1-az4"), "zone_ids", "apne1-az4 repeated"),
        ("apne1-az4,apne1-az1", "zone_ids", "a list of zone ids"),
        (("apne1-az4", "apne1-az1 "), "zone_ids[1]", "such as 'apne1-az4'"),
    ],
)
def test_zone_ids_are_checked(zone_ids: object, field: str, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason) as caught:
        NetworkProps(name_prefix="demo", zone_ids=zone_ids)  # type: ignore[arg-type]
    assert caught.value.field == field


@pytest.mark.parametrize(
    "zone_ids",
    [
        ("use1-az1", "use1-az6"),
        ("usgw1-az1", "usgw1-az2"),  # GovCloud
        ("cnn1-az1", "cnn1-az2"),  # China
        ("use1-az1", "use1-bos1-az1"),  # a Local Zone
    ],
)
def test_zone_ids_of_every_partition_are_accepted(zone_ids: tuple[str, ...]) -> None:
    assert check_zone_ids("zone_ids", zone_ids, 2) == zone_ids


@pytest.mark.parametrize(
    ("region", "prefix"),
    [
        ("us-east-1", "use1-az"),
        ("ap-northeast-1", "apne1-az"),
        ("ap-southeast-5", "apse5-az"),
        ("us-gov-west-1", "usgw1-az"),
        ("cn-northwest-1", "cnnw1-az"),
        ("il-central-1", "ilc1-az"),
        ("us-isob-east-1", None),  # a naming this does not know: the plan checks the ids
    ],
)
def test_zone_ids_of_a_region_share_its_short_name(region: str, prefix: str | None) -> None:
    assert zone_id_prefix(region) == prefix


def test_a_zone_of_another_region_is_refused_naming_its_entry() -> None:
    with pytest.raises(ValidationError, match=r"is not a zone of eu-west-1") as caught:
        check_zone_ids("network.zone_ids", ["euw1-az1", "use1-az2"], 2, region="eu-west-1")
    assert caught.value.field == "network.zone_ids[1]"
    assert check_zone_ids("z", ["euw1-az3", "euw1-az1"], 2, region="eu-west-1") == (
        "euw1-az3",
        "euw1-az1",
    )
