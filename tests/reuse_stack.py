"""Another team's stack: the constructs reused one by one on an existing VPC and an existing
GitHub connection, with a single container and a custom linear traffic shift."""

from __future__ import annotations

from constructs_lib import (
    AccessLogs,
    AlbBlueGreen,
    AlbBlueGreenProps,
    BootstrapImage,
    CodeDeployPipeline,
    CodeDeployPipelineProps,
    ContainerHealthCheck,
    ContainerSpec,
    FargateService,
    FargateServiceProps,
    TaskSpec,
    TrafficShift,
)

EXISTING_VPC = "vpc-0123456789abcdef0"
EXISTING_SUBNETS = ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"]
EXISTING_CONNECTION = (
    "arn:aws:codestar-connections:us-east-2:123456789012:connection/"
    "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
)
ROLLBACK_ALARMS = ("orders-5xx", "orders-latency")
EXISTING_HOOK = "arn:aws:lambda:us-east-2:123456789012:function:orders-smoke-test"
LINEAR = TrafficShift(kind="linear", percentage=20, interval_minutes=2)
READY_WAIT_MINUTES = 30
EXISTING_CERTIFICATE = (
    "arn:aws:acm:us-east-2:123456789012:certificate/11111111-2222-3333-4444-555555555555"
)
EXISTING_LOG_BUCKET = "orders-alb-logs-123456789012-us-east-2"


def build_reuse_stack(new_stack: object, name: str = "reuse-existing-vpc") -> object:
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
            production_port=443,
            test_port=9000,
            deregistration_delay_seconds=5,
            certificate_arn=EXISTING_CERTIFICATE,
            access_logs=AccessLogs(region="us-east-2", bucket=EXISTING_LOG_BUCKET),
        ),
    )
    web = ContainerSpec(
        name="web",
        build_context="services/orders",
        port=3000,
        version_variable="RELEASE",
        health_check=ContainerHealthCheck(command=("CMD", "/web", "--probe")),
        bootstrap=BootstrapImage(
            image="public.ecr.aws/nginx/nginx:stable",
            health_check=ContainerHealthCheck(command=("CMD-SHELL", "true")),
        ),
    )
    task = TaskSpec(cpu=512, memory=1024, containers=(web,), load_balanced_container="web")
    service = FargateService(
        stack,
        "orders",
        FargateServiceProps(
            name_prefix="orders",
            region="us-east-2",
            vpc_id=EXISTING_VPC,
            subnet_ids=EXISTING_SUBNETS,
            task=task,
            target_group_arn=alb.blue_target_group.arn,
            load_balancer_security_group_id=alb.security_group_id,
            listeners=alb.listeners,
            desired_count=1,
        ),
    )
    CodeDeployPipeline(
        stack,
        "release",
        CodeDeployPipelineProps(
            name_prefix="orders",
            region="us-east-2",
            repository="acme/orders",
            branch="release",
            connection_arn=EXISTING_CONNECTION,
            buildspec_path="ci/buildspec.yaml",
            task=task,
            primary_container="web",
            service=service.release_target,
            traffic=alb.traffic_routes,
            deployment_config=LINEAR,
            ready_wait_minutes=READY_WAIT_MINUTES,
            termination_wait_minutes=0,
            alarm_names=ROLLBACK_ALARMS,
            hooks={"AfterAllowTestTraffic": EXISTING_HOOK},
        ),
    )
    return stack
