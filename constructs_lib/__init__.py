"""Reusable constructs for ECS Fargate blue/green on AWS, on cdktf or CDK Terrain.

Each construct takes a frozen props dataclass and exposes what other constructs need (ids,
ARNs, security groups) as typed attributes; none knows about environments or settings files.
What a stack of one's own needs around them comes from here too (``App``, ``TerraformStack``,
``TerraformOutput``, ``AwsProvider``), from the framework ``constructs_lib.framework`` chose:
importing the framework's own modules instead would mix two frameworks, or pay for the whole
provider package (``constructs_lib.bindings`` loads only the modules used).
"""

from constructs_lib.project_node import use_the_projects_node

use_the_projects_node()  # before any jsii assembly loads: see constructs_lib.project_node

# ruff: noqa: E402 - the imports below load jsii assemblies

from constructs_lib import bindings
from constructs_lib.alb_blue_green import (
    AccessLogs,
    AlbBlueGreen,
    AlbBlueGreenProps,
    TargetHealthCheck,
)
from constructs_lib.bindings import App, TerraformOutput, TerraformStack
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
    "App",
    "AwsProvider",
    "AwsProviderDefaultTags",
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
    "TerraformOutput",
    "TerraformStack",
    "TrafficRoutes",
    "TrafficShift",
    "ValidationError",
    "VerificationHook",
    "VerificationHookProps",
    "VpcEndpoints",
    "VpcEndpointsProps",
]

# The AWS provider, for a reuser's own stack: loaded on first use like every provider class
# (see constructs_lib.bindings), so validating settings never pays for it.
_PROVIDER_EXPORTS = frozenset({"AwsProvider", "AwsProviderDefaultTags"})


def __getattr__(name: str) -> object:
    if name in _PROVIDER_EXPORTS:
        return getattr(bindings, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
