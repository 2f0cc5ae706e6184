import pytest

from constructs_lib.validation import (
    ValidationError,
    check_cidr,
    check_disjoint_cidrs,
    check_fargate_size,
    check_health_check_path,
    check_http_codes,
    check_int_range,
    check_log_retention,
    check_port,
    check_resource_prefix,
    check_template_free,
    show,
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


# --- Holes the settings property tests found, one example each. ---


@pytest.mark.parametrize(
    ("value", "canonical"),
    [
        ("10.0.0.0/255.255.0.0", "10.0.0.0/16"),
        ("10.0.0.0/0.0.255.255", "10.0.0.0/16"),
        ("10.0.0.0/016", "10.0.0.0/16"),
        ("0.0.0.0/0.0.0.0", "0.0.0.0/0"),
    ],
)
def test_cidrs_python_reads_but_aws_does_not_are_refused(value: str, canonical: str) -> None:
    with pytest.raises(ValidationError, match=f"canonical form: write {canonical}$"):
        check_cidr("vpc", value)


def test_log_retention_refuses_a_float_equal_to_an_allowed_value() -> None:
    # 14.0 == 14, so it used to pass the membership test and trip an assert instead.
    with pytest.raises(ValidationError, match="CloudWatch accepts"):
        check_log_retention("days", 14.0)


@pytest.mark.parametrize(
    "check",
    [
        lambda v: check_int_range("count", v, 0, 5),
        lambda v: check_fargate_size("count", v, "memory", 512),
        lambda v: check_log_retention("count", v),
        lambda v: check_resource_prefix("count", [v], max_length=5),
    ],
)
def test_an_integer_too_long_to_print_still_gives_a_one_line_error(check: object) -> None:
    with pytest.raises(ValidationError, match=r"^count: .*too large to show") as caught:
        check(10**5000)  # type: ignore[operator]
    assert "\n" not in str(caught.value)


def test_shown_values_are_one_bounded_line() -> None:
    assert show("a\nb") == "'a\\nb'"
    assert len(show("x" * 1000)) == 80
    assert show("x" * 1000).endswith("...")
    nested: list[object] = []
    for _ in range(100_000):
        nested = [nested]
    assert show(nested) == "a list too large to show"


def test_resource_prefix_refuses_a_trailing_line_break() -> None:
    with pytest.raises(ValidationError, match="lowercase"):
        check_resource_prefix("project", "shop\n", max_length=40)


@pytest.mark.parametrize("value", ["/", "/health", "/health?deep=1", "/a-b_c.d~e/%20"])
def test_health_check_paths_that_are_urls_pass(value: str) -> None:
    assert check_health_check_path("path", value) == value


@pytest.mark.parametrize("value", ["", "health", "/a b", "/${x}", "/#x", "/" + "a" * 1024, 5])
def test_health_check_paths_that_are_not_urls_fail(value: object) -> None:
    with pytest.raises(ValidationError, match=r"^path: must start with '/'"):
        check_health_check_path("path", value)


@pytest.mark.parametrize("value", ["200", "200-299", "200,202", "200-299,404", "200-200"])
def test_http_codes_in_range(value: str) -> None:
    assert check_http_codes("matcher", value) == value


@pytest.mark.parametrize("value", ["", "2000", "199", "500", "300-200", "200,", "abc", 200])
def test_http_codes_out_of_range_or_malformed(value: object) -> None:
    with pytest.raises(ValidationError, match=r"^matcher: must be HTTP codes 200-499"):
        check_http_codes("matcher", value)


@pytest.mark.parametrize("value", ["${var.x}", "a%{ if x }", "x${"])
def test_template_markers_are_refused(value: str) -> None:
    with pytest.raises(ValidationError, match="read by Terraform as a template"):
        check_template_free("f", value)


@pytest.mark.parametrize("value", ["$x", "%d", "{a,b}", "$$"])
def test_lone_dollar_percent_and_braces_are_not_templates(value: str) -> None:
    assert check_template_free("f", value) == value
