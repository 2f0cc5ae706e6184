"""The one place that imports the framework (cdktf or CDK Terrain) and its AWS bindings.

Which one is :mod:`constructs_lib.framework`'s choice (``ECS_BLUE_GREEN_FRAMEWORK``, default
cdktf): cdktf 0.21 with ``cdktf-cdktf-provider-aws`` (hashicorp/aws 6.25.0, frozen since
cdktf's archival), or its maintained fork CDK Terrain, ``cdktn`` with ``cdktn-provider-aws``
(6.69.1). The two have the same API and the same provider module and class names, so every
construct is written once against the names below.

Provider classes load on first use (PEP 562): the provider package costs seconds to import,
and code that only validates settings or renders specs should not pay for it. Use them as
``bindings.Lb(...)`` (attribute access), not ``from constructs_lib.bindings import Lb`` at
module level, to keep that saving.

The provider package's ``__init__`` imports all of its ~2,200 submodules (~7 s) although a
stack uses about 40. :func:`_provider_submodule` loads only those: it registers the package
as a bare module (its real search path, its jsii assembly loaded by ``_jsii`` as usual) so
that importing ``<provider package>.lb`` runs ``lb/__init__.py`` and nothing else. Each
submodule imports what it needs itself (``from .._jsii import *`` plus the framework and
constructs assemblies); ``tests/unit/constructs_lib/test_bindings.py`` proves the
synthesized JSON is byte-identical with and without the shim. Set
``ECS_BLUE_GREEN_FULL_PROVIDER_IMPORT=1`` to import the package the ordinary way; the shim
also stands aside when the package was imported before (by the user's own code).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import types
from typing import TYPE_CHECKING, Any

import constructs_lib.framework as _framework

FRAMEWORK: _framework.Framework = _framework.current()
"""The framework line this process synthesizes with."""

# What the framework provides, by the same names on both lines.
__all__ = [
    "App",
    "AssetType",
    "Fn",
    "ITerraformDependable",
    "LocalBackend",
    "S3Backend",
    "TerraformAsset",
    "TerraformLocal",
    "TerraformOutput",
    "TerraformResource",
    "TerraformResourceLifecycle",
    "TerraformStack",
    "Testing",
    "Token",
]

if TYPE_CHECKING:  # one API: the checker reads cdktf's declarations for both lines
    from cdktf import (
        App,
        AssetType,
        Fn,
        ITerraformDependable,
        LocalBackend,
        S3Backend,
        TerraformAsset,
        TerraformLocal,
        TerraformOutput,
        TerraformResource,
        TerraformResourceLifecycle,
        TerraformStack,
        Testing,
        Token,
    )
else:
    _core = importlib.import_module(FRAMEWORK.core_module)
    globals().update({name: getattr(_core, name) for name in __all__})

# Provider submodule -> the classes this project uses from it.
PROVIDER_CLASSES: dict[str, tuple[str, ...]] = {
    "acm_certificate": ("AcmCertificate",),
    "acm_certificate_validation": ("AcmCertificateValidation",),
    "appautoscaling_policy": (
        "AppautoscalingPolicy",
        "AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration",
        "AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification",
    ),
    "appautoscaling_target": ("AppautoscalingTarget",),
    "cloudwatch_event_rule": ("CloudwatchEventRule",),
    "cloudwatch_event_target": ("CloudwatchEventTarget",),
    "cloudwatch_log_group": ("CloudwatchLogGroup",),
    "cloudwatch_metric_alarm": (
        "CloudwatchMetricAlarm",
        "CloudwatchMetricAlarmMetricQuery",
        "CloudwatchMetricAlarmMetricQueryMetric",
    ),
    "codebuild_project": (
        "CodebuildProject",
        "CodebuildProjectArtifacts",
        "CodebuildProjectCache",
        "CodebuildProjectEnvironment",
        "CodebuildProjectEnvironmentEnvironmentVariable",
        "CodebuildProjectLogsConfig",
        "CodebuildProjectLogsConfigCloudwatchLogs",
        "CodebuildProjectSource",
    ),
    "codeconnections_connection": ("CodeconnectionsConnection",),
    "codedeploy_app": ("CodedeployApp",),
    "codedeploy_deployment_config": (
        "CodedeployDeploymentConfig",
        "CodedeployDeploymentConfigTrafficRoutingConfig",
        "CodedeployDeploymentConfigTrafficRoutingConfigTimeBasedCanary",
        "CodedeployDeploymentConfigTrafficRoutingConfigTimeBasedLinear",
    ),
    "codedeploy_deployment_group": (
        "CodedeployDeploymentGroup",
        "CodedeployDeploymentGroupAlarmConfiguration",
        "CodedeployDeploymentGroupAutoRollbackConfiguration",
        "CodedeployDeploymentGroupBlueGreenDeploymentConfig",
        "CodedeployDeploymentGroupBlueGreenDeploymentConfigDeploymentReadyOption",
        "CodedeployDeploymentGroupBlueGreenDeploymentConfigTerminateBlueInstancesOnDeploymentSuccess",
        "CodedeployDeploymentGroupDeploymentStyle",
        "CodedeployDeploymentGroupEcsService",
        "CodedeployDeploymentGroupLoadBalancerInfo",
        "CodedeployDeploymentGroupLoadBalancerInfoTargetGroupPairInfo",
        "CodedeployDeploymentGroupLoadBalancerInfoTargetGroupPairInfoProdTrafficRoute",
        "CodedeployDeploymentGroupLoadBalancerInfoTargetGroupPairInfoTargetGroup",
        "CodedeployDeploymentGroupLoadBalancerInfoTargetGroupPairInfoTestTrafficRoute",
    ),
    "codepipeline": (
        "Codepipeline",
        "CodepipelineArtifactStore",
        "CodepipelineStage",
        "CodepipelineStageAction",
        "CodepipelineTrigger",
        "CodepipelineTriggerGitConfiguration",
        "CodepipelineTriggerGitConfigurationPush",
        "CodepipelineTriggerGitConfigurationPushBranches",
        "CodepipelineTriggerGitConfigurationPushFilePaths",
    ),
    "data_aws_availability_zones": (
        "DataAwsAvailabilityZones",
        "DataAwsAvailabilityZonesFilter",
    ),
    "data_aws_caller_identity": ("DataAwsCallerIdentity",),
    "data_aws_elb_service_account": ("DataAwsElbServiceAccount",),
    "data_aws_partition": ("DataAwsPartition",),
    "default_security_group": ("DefaultSecurityGroup",),
    "ecr_lifecycle_policy": ("EcrLifecyclePolicy",),
    "ecr_pull_through_cache_rule": ("EcrPullThroughCacheRule",),
    "ecr_repository_policy": ("EcrRepositoryPolicy",),
    "ecr_repository": (
        "EcrRepository",
        "EcrRepositoryEncryptionConfiguration",
        "EcrRepositoryImageScanningConfiguration",
    ),
    "ecs_cluster": (
        "EcsCluster",
        "EcsClusterSetting",
    ),
    "ecs_service": (
        "EcsService",
        "EcsServiceAlarms",
        "EcsServiceDeploymentConfiguration",
        "EcsServiceDeploymentConfigurationCanaryConfiguration",
        "EcsServiceDeploymentConfigurationLifecycleHook",
        "EcsServiceDeploymentConfigurationLinearConfiguration",
        "EcsServiceDeploymentController",
        "EcsServiceLoadBalancer",
        "EcsServiceLoadBalancerAdvancedConfiguration",
        "EcsServiceNetworkConfiguration",
    ),
    "ecs_task_definition": (
        "EcsTaskDefinition",
        "EcsTaskDefinitionRuntimePlatform",
        "EcsTaskDefinitionVolume",
    ),
    "iam_role": ("IamRole",),
    "iam_role_policy": ("IamRolePolicy",),
    "eip": ("Eip",),
    "flow_log": ("FlowLog",),
    "internet_gateway": ("InternetGateway",),
    "lambda_function": (
        "LambdaFunction",
        "LambdaFunctionEnvironment",
        "LambdaFunctionVpcConfig",
    ),
    "lb": ("Lb", "LbAccessLogs"),
    "lb_listener": (
        "LbListener",
        "LbListenerDefaultAction",
        "LbListenerDefaultActionFixedResponse",
        "LbListenerDefaultActionRedirect",
    ),
    "lb_listener_rule": (
        "LbListenerRule",
        "LbListenerRuleAction",
        "LbListenerRuleActionForward",
        "LbListenerRuleActionForwardTargetGroup",
        "LbListenerRuleCondition",
        "LbListenerRuleConditionPathPattern",
    ),
    "lb_target_group": (
        "LbTargetGroup",
        "LbTargetGroupHealthCheck",
    ),
    "provider": (
        "AwsProvider",
        "AwsProviderDefaultTags",
    ),
    "route": ("Route",),
    "route53_record": ("Route53Record", "Route53RecordAlias"),
    "route_table": ("RouteTable",),
    "route_table_association": ("RouteTableAssociation",),
    "s3_bucket": ("S3Bucket",),
    "s3_bucket_lifecycle_configuration": (
        "S3BucketLifecycleConfiguration",
        "S3BucketLifecycleConfigurationRule",
        "S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload",
        "S3BucketLifecycleConfigurationRuleExpiration",
        "S3BucketLifecycleConfigurationRuleFilter",
        "S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration",
    ),
    "s3_bucket_notification": ("S3BucketNotification",),
    "s3_bucket_ownership_controls": (
        "S3BucketOwnershipControls",
        "S3BucketOwnershipControlsRule",
    ),
    "s3_bucket_policy": ("S3BucketPolicy",),
    "s3_bucket_public_access_block": ("S3BucketPublicAccessBlock",),
    "s3_bucket_server_side_encryption_configuration": (
        "S3BucketServerSideEncryptionConfigurationA",
        "S3BucketServerSideEncryptionConfigurationRuleA",
        "S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA",
    ),
    "s3_bucket_versioning": (
        "S3BucketVersioningA",
        "S3BucketVersioningVersioningConfiguration",
    ),
    "security_group": ("SecurityGroup",),
    "nat_gateway": ("NatGateway",),
    "sns_topic": ("SnsTopic",),
    "sns_topic_subscription": ("SnsTopicSubscription",),
    "ssm_parameter": ("SsmParameter",),
    "subnet": ("Subnet",),
    "vpc": ("Vpc",),
    "vpc_endpoint": ("VpcEndpoint",),
    "vpc_security_group_egress_rule": ("VpcSecurityGroupEgressRule",),
    "vpc_security_group_ingress_rule": ("VpcSecurityGroupIngressRule",),
}
if FRAMEWORK.ecs_pause_hooks:
    # A lifecycle hook's timeout (PAUSE hooks): only in bindings of hashicorp/aws >= 6.66.0.
    PROVIDER_CLASSES["ecs_service"] = (
        *PROVIDER_CLASSES["ecs_service"],
        "EcsServiceDeploymentConfigurationLifecycleHookTimeoutConfiguration",
    )
PROVIDER_PACKAGE = FRAMEWORK.provider_package
FULL_IMPORT_VARIABLE = "ECS_BLUE_GREEN_FULL_PROVIDER_IMPORT"
_MODULE_OF = {name: module for module, names in PROVIDER_CLASSES.items() for name in names}


def __dir__() -> list[str]:
    return sorted([*__all__, *_MODULE_OF])


def _provider_submodule(module: str) -> types.ModuleType:
    if PROVIDER_PACKAGE not in sys.modules and not os.environ.get(FULL_IMPORT_VARIABLE):
        spec = importlib.util.find_spec(PROVIDER_PACKAGE)
        if spec is None or spec.submodule_search_locations is None:
            raise ModuleNotFoundError(f"{PROVIDER_PACKAGE} is not installed", name=PROVIDER_PACKAGE)
        package = importlib.util.module_from_spec(spec)  # created, not executed
        sys.modules[PROVIDER_PACKAGE] = package
        try:
            importlib.import_module(f"{PROVIDER_PACKAGE}._jsii")  # loads the jsii assembly
        except BaseException:
            del sys.modules[PROVIDER_PACKAGE]
            raise
    return importlib.import_module(f"{PROVIDER_PACKAGE}.{module}")


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_provider_submodule(module), name)
    globals()[name] = value
    return value
