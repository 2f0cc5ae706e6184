"""Reusable cdktf constructs for ECS Fargate blue/green on AWS.

Each construct takes a frozen props dataclass and exposes what other constructs need (ids,
ARNs, security groups) as typed attributes; none knows about environments or settings files.
"""

from constructs_lib.project_node import use_the_projects_node

use_the_projects_node()  # before any jsii assembly loads: see constructs_lib.project_node

# ruff: noqa: E402 - the imports below load jsii assemblies

from constructs_lib.alb_blue_green import (
    AccessLogs,
    AlbBlueGreen,
    AlbBlueGreenProps,
    TargetHealthCheck,
)
from constructs_lib.codedeploy_pipeline import CodeDeployPipeline, CodeDeployPipelineProps
from constructs_lib.container_spec import (
    BootstrapImage,
    ContainerHealthCheck,
    ContainerSpec,
    TaskSpec,
)
from constructs_lib.dns_alias import DnsAlias, DnsAliasProps
from constructs_lib.dns_certificate import DnsValidatedCertificate, DnsValidatedCertificateProps
from constructs_lib.fargate_service import (
    FargateService,
    FargateServiceProps,
    ImagePuller,
    ImageSource,
    NativeRelease,
)
from constructs_lib.network import NetworkConstruct, NetworkProps
from constructs_lib.promotion_pipeline import PromotionPipeline, PromotionPipelineProps
from constructs_lib.release_alarms import AlarmThresholds, ReleaseAlarms, ReleaseAlarmsProps
from constructs_lib.release_approval import ReleaseApproval, ReleaseApprovalProps
from constructs_lib.release_handoff import (
    HandoffDestination,
    Publisher,
    ReleaseHandoff,
    ReleaseHandoffProps,
)
from constructs_lib.release_pipeline import ReleasePipelineProps
from constructs_lib.release_spec import (
    DeploymentEngine,
    ServiceTarget,
    TrafficRoutes,
    TrafficShift,
)
from constructs_lib.secure_bucket import SecureBucket, SecureBucketProps
from constructs_lib.service_autoscaling import (
    ScalingRules,
    ServiceAutoscaling,
    ServiceAutoscalingProps,
)
from constructs_lib.validation import ValidationError
from constructs_lib.verification_hook import Probe, VerificationHook, VerificationHookProps
from constructs_lib.vpc_endpoints import VpcEndpoints, VpcEndpointsProps

__all__ = [
    "AccessLogs",
    "AlarmThresholds",
    "AlbBlueGreen",
    "AlbBlueGreenProps",
    "BootstrapImage",
    "CodeDeployPipeline",
    "CodeDeployPipelineProps",
    "ContainerHealthCheck",
    "ContainerSpec",
    "DeploymentEngine",
    "DnsAlias",
    "DnsAliasProps",
    "DnsValidatedCertificate",
    "DnsValidatedCertificateProps",
    "FargateService",
    "FargateServiceProps",
    "HandoffDestination",
    "ImagePuller",
    "ImageSource",
    "NativeRelease",
    "NetworkConstruct",
    "NetworkProps",
    "Probe",
    "PromotionPipeline",
    "PromotionPipelineProps",
    "Publisher",
    "ReleaseAlarms",
    "ReleaseAlarmsProps",
    "ReleaseApproval",
    "ReleaseApprovalProps",
    "ReleaseHandoff",
    "ReleaseHandoffProps",
    "ReleasePipelineProps",
    "ScalingRules",
    "SecureBucket",
    "SecureBucketProps",
    "ServiceAutoscaling",
    "ServiceAutoscalingProps",
    "ServiceTarget",
    "TargetHealthCheck",
    "TaskSpec",
    "TrafficRoutes",
    "TrafficShift",
    "ValidationError",
    "VerificationHook",
    "VerificationHookProps",
    "VpcEndpoints",
    "VpcEndpointsProps",
]
