import pytest

from constructs_lib.validation import (
    ValidationError,
    check_cidr,
    check_disjoint_cidrs,
    check_fargate_size,
    check_int_range,
    check_log_retention,
    check_port,
    check_resource_prefix,
)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("10.0.0.0/33", "invalid prefix length"),
        ("10.0.0.1/16", "host bits set"),
        ("10.0.0", "not an IPv4 CIDR"),
        ("fd00::/8", "not an IPv4 CIDR"),
        ("10.0.0.0", "lacks a prefix length"),
        (42, "must be an IPv4 CIDR string"),
    ],
)
def test_bad_cidrs_name_the_field(value: object, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason) as caught:
        check_cidr("network.vpc_cidr", value)
    assert caught.value.field == "network.vpc_cidr"
    assert str(caught.value).startswith("network.vpc_cidr: ")


def test_cidr_prefix_bounds() -> None:
    with pytest.raises(ValidationError, match="/16 to /28"):
        check_cidr("vpc", "10.0.0.0/8", min_prefix=16, max_prefix=28)
    assert str(check_cidr("vpc", "10.0.0.0/16", min_prefix=16, max_prefix=28)) == "10.0.0.0/16"


def test_overlap_is_reported() -> None:
    import ipaddress

    nets = [ipaddress.IPv4Network(n) for n in ("10.0.0.0/24", "10.0.1.0/24", "10.0.0.128/25")]
    with pytest.raises(ValidationError, match=r"10\.0\.0\.128/25 overlaps 10\.0\.0\.0/24"):
        check_disjoint_cidrs("subnets", nets)


@pytest.mark.parametrize("value", [0, 65536, -1, True, "80", 8.0])
def test_bad_ports(value: object) -> None:
    with pytest.raises(ValidationError, match=r"^port: "):
        check_port("port", value)


@pytest.mark.parametrize(
    ("cpu", "memory"), [(256, 512), (256, 2048), (512, 4096), (4096, 30720), (16384, 122880)]
)
def test_valid_fargate_sizes(cpu: int, memory: int) -> None:
    check_fargate_size("cpu", cpu, "memory", memory)


@pytest.mark.parametrize(
    ("cpu", "memory", "field"),
    [
        (256, 4096, "memory"),
        (300, 512, "cpu"),
        (1024, 1024, "memory"),
        (8192, 17408, "memory"),
        (512, 1536, "memory"),
    ],
)
def test_invalid_fargate_sizes(cpu: int, memory: int, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        check_fargate_size("cpu", cpu, "memory", memory)
    assert caught.value.field == field


def test_log_retention_accepts_only_cloudwatch_values() -> None:
    assert check_log_retention("days", 14) == 14
    for bad in (0, 2, 10, 10000, True):
        with pytest.raises(ValidationError, match="CloudWatch accepts"):
            check_log_retention("days", bad)


@pytest.mark.parametrize(
    "value", ["Upper", "-lead", "trail-", "dou--ble", "9start", "under_score", ""]
)
def test_resource_prefix_charset(value: str) -> None:
    with pytest.raises(ValidationError, match="lowercase"):
        check_resource_prefix("project", value, max_length=40)


def test_resource_prefix_length() -> None:
    with pytest.raises(ValidationError, match="longer than 5"):
        check_resource_prefix("project", "abcdef", max_length=5)


def test_int_range_rejects_bools() -> None:
    with pytest.raises(ValidationError, match="must be an integer"):
        check_int_range("count", True, 0, 5)
