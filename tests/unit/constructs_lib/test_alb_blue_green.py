"""AlbBlueGreen: listeners, blue/green target groups, restricted test listener."""

import pytest

from constructs_lib.alb_blue_green import (
    LISTENER_IGNORE_CHANGES,
    AlbBlueGreen,
    AlbBlueGreenProps,
    TargetHealthCheck,
)
from constructs_lib.validation import ValidationError
from tests.synth import Synth


def _listener(s: Synth, role: str) -> dict:
    return s.named("aws_lb_listener", role)[1]


def _target_group(s: Synth, colour: str) -> tuple[str, dict]:
    return s.named("aws_lb_target_group", colour)


def test_alb_is_internet_facing_and_drops_invalid_headers(dev: Synth) -> None:
    alb = dev.body("aws_lb")
    assert alb["internal"] is False
    assert alb["load_balancer_type"] == "application"
    assert alb["drop_invalid_header_fields"] is True
    assert len(alb["subnets"]) == 2
    assert all("public" in s for s in alb["subnets"])


def test_production_listener_forwards_to_blue_and_test_listener_to_green(dev: Synth) -> None:
    blue, _ = _target_group(dev, "blue")
    green, _ = _target_group(dev, "green")
    production = _listener(dev, "production")
    test = _listener(dev, "test")
    assert production["port"] == 80
    assert test["port"] == 8080
    assert production["default_action"] == [
        {"type": "forward", "target_group_arn": dev.ref("aws_lb_target_group", blue, "arn")}
    ]
    assert test["default_action"] == [
        {"type": "forward", "target_group_arn": dev.ref("aws_lb_target_group", green, "arn")}
    ]


def test_listeners_ignore_the_action_codedeploy_swaps(dev: Synth, prod: Synth) -> None:
    assert LISTENER_IGNORE_CHANGES == ("default_action",)
    for synth in (dev, prod):
        for listener in synth.resources("aws_lb_listener").values():
            assert listener["lifecycle"] == {"ignore_changes": ["default_action"]}


def test_target_groups_use_fast_release_defaults(dev: Synth) -> None:
    for colour in ("blue", "green"):
        _, group = _target_group(dev, colour)
        assert group["target_type"] == "ip"
        assert group["protocol"] == "HTTP"
        assert group["port"] == 80
        assert group["deregistration_delay"] == "30"
        assert group["health_check"] == {
            "enabled": True,
            "path": "/health",
            "protocol": "HTTP",
            "port": "traffic-port",
            "matcher": "200",
            "interval": 10,
            "timeout": 5,
            "healthy_threshold": 2,
            "unhealthy_threshold": 2,
        }


def test_names_respect_the_32_character_limit(new_stack, synth) -> None:
    stack = new_stack("long-names")
    prefix = "a-very-long-project-name-for-tests-production"
    AlbBlueGreen(
        stack,
        "alb",
        AlbBlueGreenProps(
            name_prefix=prefix,
            vpc_id="vpc-1",
            vpc_cidr_block="10.0.0.0/16",
            subnet_ids=["subnet-1", "subnet-2"],
        ),
    )
    result = synth(stack)
    names = [result.body("aws_lb")["name"]] + [
        g["name"] for g in result.resources("aws_lb_target_group").values()
    ]
    assert all(len(n) <= 32 for n in names), names
    assert len(set(names)) == 3


def _ingress_rules(s: Synth) -> list[dict]:
    alb_sg, _ = s.named("aws_security_group", "alb")
    ref = s.ref("aws_security_group", alb_sg, "id")
    return [
        r
        for r in s.resources("aws_vpc_security_group_ingress_rule").values()
        if r["security_group_id"] == ref
    ]


def test_test_listener_is_closed_to_the_internet_by_default(dev: Synth) -> None:
    """Seed defect: the test listener (8080) was open to 0.0.0.0/0 and ::/0."""
    rules = _ingress_rules(dev)
    test_rules = [r for r in rules if r["from_port"] == 8080]
    # The VPC, and the verification hook by its security group; nothing from outside.
    assert [r["cidr_ipv4"] for r in test_rules if "cidr_ipv4" in r] == ["10.10.0.0/16"]
    (hook_sg,) = dev.resources("aws_security_group").keys() - {
        dev.named("aws_security_group", "alb")[0],
        dev.named("aws_security_group", "service")[0],
    }
    assert [r.get("referenced_security_group_id") for r in test_rules if "cidr_ipv4" not in r] == [
        dev.ref("aws_security_group", hook_sg, "id")
    ]
    assert all("cidr_ipv6" not in r for r in rules)
    production_rules = [r for r in rules if r["from_port"] == 80]
    assert [r["cidr_ipv4"] for r in production_rules] == ["0.0.0.0/0"]


def test_test_listener_allow_list_adds_cidrs(new_stack, synth) -> None:
    stack = new_stack("allow-list")
    AlbBlueGreen(
        stack,
        "alb",
        AlbBlueGreenProps(
            name_prefix="allow",
            vpc_id="vpc-1",
            vpc_cidr_block="10.0.0.0/16",
            subnet_ids=["s-1", "s-2"],
            test_ingress_cidrs=("203.0.113.0/24", "198.51.100.7/32"),
        ),
    )
    cidrs = sorted(r["cidr_ipv4"] for r in _ingress_rules(synth(stack)) if r["from_port"] == 8080)
    assert cidrs == ["10.0.0.0/16", "198.51.100.7/32", "203.0.113.0/24"]


def test_alb_security_group_has_no_open_egress(dev: Synth) -> None:
    alb_sg_name, alb_sg = dev.named("aws_security_group", "alb")
    assert "egress" not in alb_sg
    ref = dev.ref("aws_security_group", alb_sg_name, "id")
    egress = [
        r
        for r in dev.resources("aws_vpc_security_group_egress_rule").values()
        if r["security_group_id"] == ref
    ]
    assert len(egress) == 1
    service_sg, _ = dev.named("aws_security_group", "service")
    assert egress[0]["referenced_security_group_id"] == dev.ref(
        "aws_security_group", service_sg, "id"
    )
    assert egress[0]["from_port"] == egress[0]["to_port"] == 80


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"test_port": 80}, "test_port"),
        ({"production_port": 0}, "production_port"),
        ({"test_ingress_cidrs": ("0.0.0.0/0",)}, "test_ingress_cidrs[0]"),
        ({"deregistration_delay_seconds": 4000}, "deregistration_delay_seconds"),
        ({"subnet_ids": ["subnet-1"]}, "subnet_ids"),
        ({"subnet_ids": ["subnet-1", "subnet-1"]}, "subnet_ids"),
        ({"subnet_ids": ["subnet-1", "my subnet"]}, "subnet_ids[1]"),
        ({"vpc_id": "my-vpc"}, "vpc_id"),
        ({"vpc_cidr_block": "172.31.0.1/16"}, "vpc_cidr_block"),
        ({"vpc_cidr_block": "10.0.0.0/8"}, "vpc_cidr_block"),
        ({"deletion_protection": "yes"}, "deletion_protection"),
        ({"health_check": {"path": "/health"}}, "health_check"),
    ],
)
def test_props_reject_bad_values(overrides: dict, field: str) -> None:
    base = {
        "name_prefix": "x",
        "vpc_id": "vpc-1",
        "vpc_cidr_block": "10.0.0.0/16",
        "subnet_ids": ["subnet-a", "subnet-b"],
    }
    with pytest.raises(ValidationError) as caught:
        AlbBlueGreenProps(**{**base, **overrides})
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"interval_seconds": 5, "timeout_seconds": 5}, "timeout_seconds"),
        ({"interval_seconds": 4}, "interval_seconds"),
        ({"path": "health"}, "path"),
        ({"matcher": "600"}, "matcher"),
        ({"healthy_threshold": 1}, "healthy_threshold"),
    ],
)
def test_a_health_check_refuses_bad_values_as_it_is_built(values: dict, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        TargetHealthCheck(**values)
    assert caught.value.field == field


def test_exposes_what_codedeploy_needs(dev: Synth, stacks) -> None:
    alb = stacks["dev"].alb
    assert len(alb.target_group_names) == 2
    assert len(alb.target_group_arns) == 2
    assert len(alb.listeners) == 2
    lb_name, _ = dev.one("aws_lb")
    assert dev.tf["output"]["alb_dns_name"]["value"] == dev.ref("aws_lb", lb_name, "dns_name")


CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def _tls_props(**overrides: object) -> AlbBlueGreenProps:
    fields: dict[str, object] = {
        "name_prefix": "tls",
        "vpc_id": "vpc-1",
        "vpc_cidr_block": "10.0.0.0/16",
        "subnet_ids": ["s-1", "s-2"],
    }
    return AlbBlueGreenProps(**{**fields, **overrides})  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def https(new_stack, synth) -> Synth:
    stack = new_stack("https")
    AlbBlueGreen(stack, "alb", _tls_props(production_port=443, certificate_arn=CERTIFICATE))
    return synth(stack)


def test_https_production_listener_with_a_current_tls_policy(https: Synth) -> None:
    production = _listener(https, "production")
    assert (production["port"], production["protocol"]) == (443, "HTTPS")
    assert production["certificate_arn"] == CERTIFICATE
    assert production["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert production["lifecycle"] == {"ignore_changes": ["default_action"]}
    test = _listener(https, "test")
    assert (test["protocol"], "certificate_arn" in test) == ("HTTP", False)


def test_plain_http_redirects_to_https(https: Synth) -> None:
    redirect = _listener(https, "redirect")
    assert (redirect["port"], redirect["protocol"]) == (80, "HTTP")
    assert redirect["default_action"] == [
        {
            "type": "redirect",
            "redirect": {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"},
        }
    ]
    assert "lifecycle" not in redirect  # not a CodeDeploy route: Terraform owns it
    ports = sorted(
        r["from_port"] for r in _ingress_rules(https) if r.get("cidr_ipv4") == "0.0.0.0/0"
    )
    assert ports == [80, 443]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"certificate_arn": "arn:aws:iam::123456789012:server-certificate/x"}, "certificate_arn"),
        ({"certificate_arn": CERTIFICATE}, "http_redirect_port"),  # 80 is production already
        (
            {"certificate_arn": CERTIFICATE, "production_port": 443, "http_redirect_port": 8080},
            "http_redirect_port",
        ),
        (
            {"certificate_arn": CERTIFICATE, "production_port": 443, "ssl_policy": "TLSv1"},
            "ssl_policy",
        ),
    ],
)
def test_bad_tls_settings_are_refused(change: dict, field: str) -> None:
    with pytest.raises(ValidationError, match=f"^{field}: "):
        _tls_props(**change)


def test_no_redirect_listener_without_a_certificate(dev: Synth) -> None:
    assert len(dev.resources("aws_lb_listener")) == 2
    assert {b["protocol"] for b in dev.resources("aws_lb_listener").values()} == {"HTTP"}


@pytest.mark.parametrize(
    ("logs", "field"),
    [
        ({"prefix": "logs/AWSLogs"}, "prefix"),
        ({"prefix": "/alb"}, "prefix"),
        ({"retention_days": 0}, "retention_days"),
        ({"region": "Ireland"}, "region"),
        ({"bucket": "Logs_Bucket"}, "bucket"),
    ],
)
def test_bad_access_log_settings_are_refused(logs: dict, field: str) -> None:
    from constructs_lib.alb_blue_green import AccessLogs

    with pytest.raises(ValidationError, match=f"^{field}: "):
        AccessLogs(**{"region": "eu-west-1", **logs})


def test_an_existing_log_bucket_is_used_as_is(reuse: Synth) -> None:
    from tests.reuse_stack import EXISTING_LOG_BUCKET

    assert reuse.body("aws_lb")["access_logs"] == {
        "bucket": EXISTING_LOG_BUCKET,
        "prefix": "alb",
        "enabled": True,
    }
    assert not reuse.resources("aws_s3_bucket_policy") or all(
        "AccessLogs" not in b["policy"] for b in reuse.resources("aws_s3_bucket_policy").values()
    )


def test_test_listener_speaks_https_when_asked(new_stack, synth) -> None:
    stack = new_stack("https-test-listener")
    alb = AlbBlueGreen(
        stack,
        "alb",
        _tls_props(production_port=443, certificate_arn=CERTIFICATE, test_listener_tls=True),
    )
    s = synth(stack)
    for role, port in (("production", 443), ("test", 8080)):
        listener = _listener(s, role)
        assert (listener["port"], listener["protocol"]) == (port, "HTTPS")
        assert listener["certificate_arn"] == CERTIFICATE
        assert listener["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
        assert listener["lifecycle"] == {"ignore_changes": ["default_action"]}
    lb_name, _ = s.one("aws_lb")
    assert alb.canonical_hosted_zone_id.startswith("${TfToken[")
    assert s.tf["resource"]["aws_lb"][lb_name]["name"] == "tls"


def test_an_https_test_listener_needs_a_certificate() -> None:
    with pytest.raises(ValidationError, match=r"^test_listener_tls: needs a certificate_arn"):
        _tls_props(test_listener_tls=True)
