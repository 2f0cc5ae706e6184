"""Every props dataclass ``constructs_lib`` exports refuses a bad value as it is built, with a
:class:`ValidationError` naming the field as the reuser wrote it (issue 17), and still takes
another construct's attribute (a Terraform reference) where one is expected."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

import constructs_lib
from constructs_lib import (
    AccessLogs,
    AlarmThresholds,
    AlbBlueGreenProps,
    BootstrapImage,
    CodeDeployPipelineProps,
    ContainerHealthCheck,
    ContainerSpec,
    DnsAliasProps,
    DnsValidatedCertificateProps,
    FargateServiceProps,
    HandoffDestination,
    ImagePuller,
    ImageSource,
    NativeRelease,
    NetworkProps,
    Probe,
    PromotionPipelineProps,
    Publisher,
    ReleaseAlarmsProps,
    ReleaseApprovalProps,
    ReleaseHandoffProps,
    ReleasePipelineProps,
    ScalingRules,
    SecureBucketProps,
    ServiceAutoscalingProps,
    ServiceTarget,
    TargetHealthCheck,
    TaskSpec,
    TrafficRoutes,
    TrafficShift,
    ValidationError,
    VerificationHookProps,
    VpcEndpointsProps,
)
from constructs_lib.bindings import Fn
from tests.fake_aws import literal_service_target, literal_traffic_routes

ACCOUNT = "123456789012"
REGION = "eu-west-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/shop-pipeline"
HEALTH = ContainerHealthCheck(command=("CMD-SHELL", "true"))
BOOTSTRAP = BootstrapImage(image="public.ecr.aws/nginx/nginx:stable", health_check=HEALTH)


def _container(name: str, **overrides: Any) -> dict[str, Any]:
    return {"name": name, "build_context": name, "bootstrap": BOOTSTRAP, **overrides}


# The service of tests.fake_aws.literal_service_target: containers app and nginx.
TASK = TaskSpec(
    containers=(
        ContainerSpec(**_container("app")),
        ContainerSpec(**_container("nginx", port=8080)),
    ),
    load_balanced_container="nginx",
)
ROUTES = literal_traffic_routes()
NATIVE_ROUTES = dataclasses.replace(
    ROUTES,
    blue_target_group_arn=f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/b/1",
    green_target_group_arn=f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/g/1",
    production_listener_rule_arn=f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:listener-rule/p",
    test_listener_rule_arn=f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:listener-rule/t",
)


def _release() -> dict[str, Any]:
    return {
        "name_prefix": "shop",
        "region": REGION,
        "task": TASK,
        "primary_container": "app",
        "service": literal_service_target(),
        "traffic": ROUTES,
    }


def _service_target() -> dict[str, Any]:
    return {
        f.name: getattr(literal_service_target(), f.name) for f in dataclasses.fields(ServiceTarget)
    }


def _traffic_routes() -> dict[str, Any]:
    return {f.name: getattr(ROUTES, f.name) for f in dataclasses.fields(TrafficRoutes)}


# Class -> (valid values, a bad value of one field, the field the error must name).
Case = tuple[Callable[[], dict[str, Any]], dict[str, Any], str]
CASES: dict[type, Case] = {
    AccessLogs: (lambda: {"region": REGION}, {"retention_days": 0}, "retention_days"),
    AlarmThresholds: (dict, {"period_seconds": 45}, "period_seconds"),
    AlbBlueGreenProps: (
        lambda: {
            "name_prefix": "shop",
            "vpc_id": "vpc-1",
            "vpc_cidr_block": "172.31.0.0/16",
            "subnet_ids": ("subnet-1", "subnet-2"),
        },
        {"vpc_cidr_block": "172.31.0.1/16"},
        "vpc_cidr_block",
    ),
    BootstrapImage: (lambda: {"image": "busybox:1.37"}, {"image": "busy box"}, "image"),
    CodeDeployPipelineProps: (
        lambda: {**_release(), "repository": "acme/shop"},
        {"repository": "shop"},
        "repository",
    ),
    ContainerHealthCheck: (
        lambda: {"command": ("CMD", "/probe")},
        {"timeout_seconds": 61},
        "timeout_seconds",
    ),
    ContainerSpec: (lambda: _container("app"), {"build_context": "/abs"}, "build_context"),
    DnsAliasProps: (
        lambda: {
            "name": "shop.example.com",
            "hosted_zone_id": "Z0123456789ABCDEFGHIJ",
            "target_dns_name": "shop-1.eu-west-1.elb.amazonaws.com",
            "target_hosted_zone_id": "Z32O12XQLNTSW2",
        },
        {"name": "shop.example.com."},
        "name",
    ),
    DnsValidatedCertificateProps: (
        lambda: {"domain_name": "shop.example.com", "hosted_zone_id": "Z0123456789ABCDEFGHIJ"},
        {"hosted_zone_id": "/hostedzone/Z0123"},
        "hosted_zone_id",
    ),
    FargateServiceProps: (
        lambda: {
            "name_prefix": "shop",
            "region": REGION,
            "vpc_id": "vpc-1",
            "subnet_ids": ("subnet-1",),
            "task": TASK,
            "target_group_arn": ROUTES.production_listener_arn,
            "load_balancer_security_group_id": "sg-1",
        },
        {"load_balancer_security_group_id": "shop-alb"},
        "load_balancer_security_group_id",
    ),
    HandoffDestination: (
        lambda: {
            "environment": "prod",
            "bucket_name": "shop-prod-releases",
            "bucket_arn": "arn:aws:s3:::shop-prod-releases",
            "object_key": "shop-dev/release.zip",
        },
        {"bucket_arn": "arn:aws:s3:::another-bucket"},
        "bucket_arn",
    ),
    ImagePuller: (
        lambda: {"account_id": ACCOUNT, "role_arns": (ROLE,)},
        {"role_arns": ()},
        "role_arns",
    ),
    ImageSource: (
        lambda: {
            "repository_urls": dict(literal_service_target().repository_urls),
            "repository_arns": dict(literal_service_target().repository_arns),
        },
        {"repository_arns": {"app": "shop/app"}},
        "repository_arns.app",
    ),
    NativeRelease: (
        lambda: {"traffic": NATIVE_ROUTES},
        {"shift": TrafficShift(kind="linear", percentage=2, interval_minutes=1)},
        "shift.percentage",
    ),
    NetworkProps: (lambda: {"name_prefix": "shop"}, {"vpc_cidr": "10.0.0.1/16"}, "vpc_cidr"),
    Probe: (lambda: {"path": "/health"}, {"status": 600}, "status"),
    PromotionPipelineProps: (
        lambda: {
            **_release(),
            "name_prefix": "shop-prod",
            "source_name_prefix": "shop-dev",
            "release_buildspec": "version: 0.2\n",
        },
        {"publisher": Publisher(account_id=ACCOUNT, role_arn=ROLE), "source_name_prefix": "x_y"},
        "source_name_prefix",
    ),
    Publisher: (
        lambda: {"account_id": ACCOUNT, "role_arn": ROLE},
        {"role_arn": "arn:aws:iam::210987654321:role/shop-pipeline"},
        "role_arn",
    ),
    ReleaseAlarmsProps: (
        lambda: {
            "name_prefix": "shop",
            "load_balancer_arn_suffix": "app/shop/0123abcd",
            "target_group_arn_suffixes": ("targetgroup/b/1", "targetgroup/g/2"),
        },
        {"load_balancer_arn_suffix": "shop"},
        "load_balancer_arn_suffix",
    ),
    ReleaseApprovalProps: (
        lambda: {"name_prefix": "shop", "emails": ("ops@example.com",)},
        {"emails": ("ops@example",)},
        "emails[0]",
    ),
    ReleaseHandoffProps: (
        lambda: {"name_prefix": "shop-prod", "region": REGION, "source_name_prefix": "shop-dev"},
        {"expire_after_days": 0},
        "expire_after_days",
    ),
    ReleasePipelineProps: (_release, {"region": "Ireland"}, "region"),
    ScalingRules: (dict, {"min_count": 3, "max_count": 2}, "max_count"),
    SecureBucketProps: (
        lambda: {"name_prefix": "shop", "purpose": "logs", "region": REGION},
        {"region": "eu west 1"},
        "region",
    ),
    ServiceAutoscalingProps: (
        lambda: {"name_prefix": "shop", "cluster_name": "shop", "service_name": "shop"},
        {"service_name": ""},
        "service_name",
    ),
    ServiceTarget: (_service_target, {"security_group_ids": ("shop-sg",)}, "security_group_ids[0]"),
    TargetHealthCheck: (dict, {"interval_seconds": 4}, "interval_seconds"),
    TaskSpec: (
        lambda: {"containers": TASK.containers, "load_balanced_container": "nginx"},
        {"load_balanced_container": "app"},
        "load_balanced_container",
    ),
    TrafficRoutes: (
        _traffic_routes,
        {"green_target_group_name": ROUTES.blue_target_group_name},
        "green_target_group_name",
    ),
    TrafficShift: (
        lambda: {"kind": "canary", "percentage": 10, "interval_minutes": 5},
        {"interval_minutes": 0},
        "interval_minutes",
    ),
    VerificationHookProps: (
        lambda: {
            "name_prefix": "shop",
            "region": REGION,
            "vpc_id": "vpc-1",
            "subnet_ids": ("subnet-1",),
            "load_balancer_arn_suffix": "app/shop/0123abcd",
            "load_balancer_dns_name": "shop-1.eu-west-1.elb.amazonaws.com",
            "test_port": 8080,
            "load_balancer_security_group_id": "sg-1",
            "api_egress_cidr": "0.0.0.0/0",
            "deployment_group_arn": (
                f"arn:aws:codedeploy:{REGION}:{ACCOUNT}:deploymentgroup:shop/shop"
            ),
        },
        {"api_egress_cidr": "10.0.0.1/16"},
        "api_egress_cidr",
    ),
    VpcEndpointsProps: (
        lambda: {
            "name_prefix": "shop",
            "region": REGION,
            "vpc_id": "vpc-1",
            "subnet_ids": ("subnet-1",),
            "route_table_ids": ("rtb-1",),
        },
        {"interface_services": ("ecr.api", "ecr.api")},
        "interface_services[1]",
    ),
}


def _exported_dataclasses() -> set[type]:
    # AwsProvider and AwsProviderDefaultTags load on first use (the provider's bindings).
    lazy = {"AwsProvider", "AwsProviderDefaultTags"}
    return {
        getattr(constructs_lib, name)
        for name in constructs_lib.__all__
        if name not in lazy and dataclasses.is_dataclass(getattr(constructs_lib, name))
    }


def test_every_exported_dataclass_has_a_case() -> None:
    """A new exported dataclass needs a line here: a bad value it must refuse."""
    exported = _exported_dataclasses()
    assert {c.__name__ for c in exported - set(CASES)} == set()
    assert {c.__name__ for c in set(CASES) - exported} == set()


@pytest.mark.parametrize("cls", sorted(CASES, key=lambda c: c.__name__), ids=lambda c: c.__name__)
def test_a_bad_value_is_refused_as_it_is_built_naming_its_field(cls: type) -> None:
    valid, bad, field = CASES[cls]
    cls(**valid())  # the values around the bad one are fine
    with pytest.raises(ValidationError) as caught:
        cls(**{**valid(), **bad})
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")
    assert "\n" not in str(caught.value)


# What each class let through before it checked itself (beyond the case above).
MORE_CASES: list[tuple[type, dict[str, Any], str]] = [
    (AccessLogs, {"bucket": "Logs_Bucket"}, "bucket"),
    (AlbBlueGreenProps, {"vpc_id": "my-vpc"}, "vpc_id"),
    (AlbBlueGreenProps, {"subnet_ids": ("subnet-1", "subnet-1")}, "subnet_ids"),
    (AlbBlueGreenProps, {"vpc_cidr_block": "10.0.0.0/8"}, "vpc_cidr_block"),
    (AlbBlueGreenProps, {"test_listener_tls": "no"}, "test_listener_tls"),
    (FargateServiceProps, {"region": "Ireland"}, "region"),
    (FargateServiceProps, {"target_group_arn": "shop-blue"}, "target_group_arn"),
    (FargateServiceProps, {"vpc_id": "vpc"}, "vpc_id"),
    (HandoffDestination, {"environment": "to prod"}, "environment"),
    (HandoffDestination, {"bucket_name": "Releases"}, "bucket_name"),
    (HandoffDestination, {"object_key": ""}, "object_key"),
    (ImagePuller, {"account_id": 123456789012}, "account_id"),
    (ImagePuller, {"role_arns": ("arn:aws:iam::210987654321:role/x",)}, "role_arns[0]"),
    (ImagePuller, {"role_arns": ROLE}, "role_arns"),
    (ImageSource, {"repository_arns": {}}, "repository_arns"),
    (ImageSource, {"repository_urls": {"app": "app", "nginx": "nginx"}}, "repository_urls.app"),
    (NativeRelease, {"traffic": ROUTES}, "traffic.blue_target_group_arn"),
    (NativeRelease, {"bake_time_minutes": 1441}, "bake_time_minutes"),
    (
        NativeRelease,
        {"shift": TrafficShift(kind="canary", percentage=10, interval_minutes=1441)},
        "shift.interval_minutes",
    ),
    (NativeRelease, {"hook_function_arns": ("verify",)}, "hook_function_arns[0]"),
    (NativeRelease, {"alarm_names": ("",)}, "alarm_names[0]"),
    (Publisher, {"account_id": "12345"}, "account_id"),
    (
        ReleaseAlarmsProps,
        {"target_group_arn_suffixes": ("targetgroup/b/1",)},
        "target_group_arn_suffixes",
    ),
    (ReleaseHandoffProps, {"name_prefix": "Shop"}, "name_prefix"),
    (ReleaseHandoffProps, {"region": "EU"}, "region"),
    (
        ReleasePipelineProps,
        {"publish_to": [HandoffDestination(**CASES[HandoffDestination][0]())] * 2},
        "publish_to.environment",
    ),
    (
        ReleasePipelineProps,
        {"manual_approval": True, "approval_emails": ("ops",)},
        "approval_emails[0]",
    ),
    (SecureBucketProps, {"force_destroy": "yes"}, "force_destroy"),
    (ServiceAutoscalingProps, {"load_balancer_arn_suffix": "shop-alb"}, "load_balancer_arn_suffix"),
    (ServiceTarget, {"subnet_ids": ()}, "subnet_ids"),
    (ServiceTarget, {"cluster_arn": "shop"}, "cluster_arn"),
    (ServiceTarget, {"assign_public_ip": "DISABLED"}, "assign_public_ip"),
    (ServiceTarget, {"log_group_names": {"app": "logs of app"}}, "log_group_names.app"),
    (TrafficRoutes, {"test_listener_arn": ROUTES.production_listener_arn}, "test_listener_arn"),
    (TrafficRoutes, {"blue_target_group_name": "-blue"}, "blue_target_group_name"),
    (TrafficShift, {"kind": "blue-green"}, "kind"),
]


@pytest.mark.parametrize(
    ("cls", "bad", "field"), MORE_CASES, ids=[f"{c.__name__}-{f}" for c, _, f in MORE_CASES]
)
def test_values_let_through_before_are_refused(cls: type, bad: dict[str, Any], field: str) -> None:
    valid, _, _ = CASES[cls]
    with pytest.raises(ValidationError) as caught:
        cls(**{**valid(), **bad})
    assert caught.value.field == field


# --- the two cases of the issue ----------------------------------------------------------


def test_a_vpc_cidr_with_host_bits_is_refused_naming_the_field() -> None:
    valid, _, _ = CASES[AlbBlueGreenProps]
    with pytest.raises(ValidationError) as caught:
        AlbBlueGreenProps(**{**valid(), "vpc_cidr_block": "172.31.0.1/16"})
    assert caught.value.field == "vpc_cidr_block"
    assert "host bits set" in caught.value.reason


@pytest.mark.parametrize("percentage", [0, 100, 150])
def test_a_shift_of_all_the_traffic_is_refused_as_it_is_built(percentage: int) -> None:
    """Before, ``TrafficShift(percentage=100)`` passed and only the pipeline refused it."""
    with pytest.raises(ValidationError) as caught:
        TrafficShift(kind="linear", percentage=percentage, interval_minutes=2)
    assert caught.value.field == "percentage"
    assert "between 1 and 99" in caught.value.reason


def test_the_pipeline_still_checks_its_engine_limits_on_a_valid_shift() -> None:
    """ECS's own rules for a shift (linear steps of 3 % or more) stay the pipeline's, named
    where the pipeline holds the shift."""
    shift = TrafficShift(kind="linear", percentage=2, interval_minutes=1)
    with pytest.raises(ValidationError) as caught:
        ReleasePipelineProps(**{**_release(), "engine": "ecs", "deployment_config": shift})
    assert caught.value.field == "traffic_shift.percentage"


def test_settings_style_callers_name_the_fields_under_their_own_prefix() -> None:
    """What a caller building props from its own table of values (the settings) gets."""
    from constructs_lib.validation import build_under

    with pytest.raises(ValidationError) as caught:
        build_under(
            "deployment.custom.", TrafficShift, kind="canary", percentage=100, interval_minutes=5
        )
    assert str(caught.value) == "deployment.custom.percentage: must be between 1 and 99, got 100"


# --- another construct's attribute is still taken -----------------------------------------


def _reference(name: str) -> str:
    """A Terraform reference, as another construct's attribute is: ``${TfToken[...]}``."""
    value: str = Fn.lower(name)
    return value


def test_references_are_taken_where_a_construct_attribute_is_expected() -> None:
    cidr, vpc, subnets = _reference("cidr"), _reference("vpc"), [_reference("a"), _reference("b")]
    alb = AlbBlueGreenProps(name_prefix="shop", vpc_id=vpc, vpc_cidr_block=cidr, subnet_ids=subnets)
    assert alb.vpc_cidr_block == cidr
    AccessLogs(region=REGION, bucket=_reference("bucket"))
    TrafficRoutes(**{name: _reference(name) for name in _traffic_routes()})
    target = _service_target()
    references = {
        name: _reference(name) for name, value in target.items() if isinstance(value, str)
    }
    ServiceTarget(**{**target, **references, "subnet_ids": (_reference("subnet"),)})
    bucket = _reference("bucket")
    HandoffDestination(
        environment="prod", bucket_name=bucket, bucket_arn=f"arn:aws:s3:::{bucket}", object_key="k"
    )
    partition = _reference("partition")
    Publisher(account_id=ACCOUNT, role_arn=f"arn:{partition}:iam::{_reference('a')}:role/x")
    ImagePuller(account_id=ACCOUNT, role_arns=(f"arn:{partition}:iam::{ACCOUNT}:role/x",))
    ReleaseAlarmsProps(
        name_prefix="shop",
        load_balancer_arn_suffix=_reference("lb"),
        target_group_arn_suffixes=(_reference("blue"), _reference("green")),
    )


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: AlbBlueGreenProps(**{**CASES[AlbBlueGreenProps][0](), "vpc_id": "vpc"}), "vpc_id"),
        (lambda: AccessLogs(region=REGION, bucket="Bucket"), "bucket"),
        (
            lambda: TrafficRoutes(**{**_traffic_routes(), "test_listener_arn": "t"}),
            "test_listener_arn",
        ),
    ],
)
def test_the_same_fields_refuse_a_literal_that_is_no_such_value(
    build: Callable[[], object], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        build()
    assert caught.value.field == field
