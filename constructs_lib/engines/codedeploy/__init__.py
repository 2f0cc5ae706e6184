"""CodeDeploy runs the release: a deployment group swaps the listeners between the blue and
green task sets, runs the AppSpec's hooks and rolls back on failure or alarm.

The release stage of a :class:`~constructs_lib.codedeploy_pipeline.CodeDeployPipeline`
with engine ``codedeploy``: the AppSpec template, the (custom) deployment config, the
application and its blue/green deployment group with a least-privilege role, and the
``CodeDeployToECS`` deploy action.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from constructs import Construct

from constructs_lib import bindings as aws
from constructs_lib.bindings import Fn, ITerraformDependable, TerraformLocal
from constructs_lib.engines import Engine, ReleaseProps
from constructs_lib.engines.codedeploy.reader import CodeDeployReader
from constructs_lib.iam import statement
from constructs_lib.pipeline_kit import BUILD_ARTIFACT, PipelineKit
from constructs_lib.release_spec import (
    IMAGE_PLACEHOLDER,
    VERSION_PLACEHOLDER,
    TemplateStyle,
    TrafficShift,
    release_appspec,
    to_yaml,
)
from constructs_lib.validation import ValidationError

if TYPE_CHECKING:
    from constructs_lib.framework import Framework
    from constructs_lib.verification_hook import VerificationHookProps

IMAGE_DETAIL_CONTAINER = "IMAGE1_NAME"
HOOK_EVENT = "AfterAllowTestTraffic"
"""The AppSpec event the verification hook runs at: test traffic reaches green."""
_DEPLOYMENT_GROUP_ARN_RE = re.compile(
    r"arn:aws[a-z-]*:codedeploy:[a-z0-9-]+:\d{12}:deploymentgroup:[\w.+=,@-]+/[\w.+=,@-]+"
)
# CodeDeploy points each listener at the other target group on every release.
LISTENER_IGNORE_CHANGES = ("default_action",)
ROLLBACK_EVENTS = ("DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST")
TEMPLATE_STYLE = TemplateStyle(primary_image=IMAGE_PLACEHOLDER, version=VERSION_PLACEHOLDER)
"""``CodeDeployToECS`` fills the primary image from ``imageDetail.json``; the build writes the
commit id into the version variable and the other images' tags."""


def deployment_group_arn(*, partition: str, region: str, account: str, name_prefix: str) -> str:
    """The ARN of the deployment group a pipeline with this ``name_prefix`` creates, known
    before the pipeline exists: a hook's policy needs it while the deploy role's policy
    names the hook, so referencing the group itself would be a cycle."""
    group = f"{name_prefix}/{name_prefix}"
    return f"arn:{partition}:codedeploy:{region}:{account}:deploymentgroup:{group}"


def validate_release(
    config: str | TrafficShift,
    ready_wait_minutes: int,
    termination_wait_minutes: int,
    *,
    field_prefix: str,
    shift_prefix: str,
    framework: Framework | None = None,
) -> None:
    """CodeDeploy takes every shift, wait and termination the settings allow, with either
    framework line's bindings."""


def check_pipeline_props(props: ReleaseProps) -> None:
    """The pipeline's hooks and alarms are CodeDeploy's: nothing to refuse."""


# What CodeDeploy changes at run time on a CODE_DEPLOY-controlled service: each release
# swaps the task definition and the target group, and the network configuration can only
# change through a deployment (ECS refuses it in UpdateService). Terraform must leave them be.
SERVICE_IGNORE_CHANGES = ("task_definition", "load_balancer", "network_configuration")


class CodeDeployControl:
    """CodeDeploy controls the service's deployments (``deploymentController =
    CODE_DEPLOY``): the service itself carries no release configuration."""

    controller = "CODE_DEPLOY"
    ignore_changes: tuple[str, ...] = SERVICE_IGNORE_CHANGES
    infrastructure_role = None

    def __init__(self, native: object | None) -> None:
        if native is not None:
            raise ValidationError(
                "native_release", "is required with engine 'ecs' and refused with 'codedeploy'"
            )

    def release_resources(
        self, scope: Construct, name_prefix: str, account: str
    ) -> list[ITerraformDependable]:
        return []

    def deployment_configuration(self) -> None:
        return None

    def alarms(self) -> None:
        return None

    def advanced_configuration(self) -> None:
        return None


class CodeDeployListeners:
    """Each listener forwards to one target group (production: blue, test: green) and
    CodeDeploy swaps them on every release: no rules."""

    listener_ignore_changes: tuple[str, ...] = LISTENER_IGNORE_CHANGES

    def default_action(self, target_group_arn: str) -> aws.LbListenerDefaultAction:
        return aws.LbListenerDefaultAction(type="forward", target_group_arn=target_group_arn)

    def rules(
        self,
        scope: Construct,
        name_prefix: str,
        listeners: Mapping[str, aws.LbListener],
        target_group_arns: tuple[str, str],
    ) -> Mapping[str, aws.LbListenerRule]:
        return {}


LISTENER_WIRING = CodeDeployListeners()


class CodeDeployHook:
    """CodeDeploy invokes the hook as the AppSpec's ``AfterAllowTestTraffic`` event; the
    function reports its verdict with ``PutLifecycleEventHookExecutionStatus``."""

    runner = "CodeDeploy"
    stage = HOOK_EVENT
    handler = "index.handler"
    api_services: tuple[str, ...] = ("codedeploy", "ec2", "ecs")
    api_egress_description = "HTTPS: CodeDeploy, EC2 and ECS APIs"
    release_target = (
        "deployment_group_arn",
        _DEPLOYMENT_GROUP_ARN_RE,
        "a CodeDeploy deployment group ARN",
    )

    def appspec_hooks(self, function_arn: str) -> dict[str, str]:
        return {HOOK_EVENT: function_arn}  # CodeDeploy takes a function name or ARN

    def release_target_arn(
        self, *, partition: str, region: str, account: str, name_prefix: str
    ) -> str:
        """The deployment group a pipeline named ``name_prefix`` creates."""
        return deployment_group_arn(
            partition=partition, region=region, account=account, name_prefix=name_prefix
        )

    def statements(self, props: VerificationHookProps) -> list[dict[str, Any]]:
        """Report the verdict (and read the deployment for the version): both actions
        authorize against the deployment group of the deployment."""
        actions = ["codedeploy:PutLifecycleEventHookExecutionStatus"]
        if props.needs_version:
            actions.append("codedeploy:GetDeployment")
        return [statement("ReportToOwnDeploymentGroup", actions, [str(props.deployment_group_arn)])]


HOOK_RUNNER = CodeDeployHook()


class CodeDeployInputs:
    """Under CodeDeploy the release's alarms and hooks are the deployment group's: the
    pipeline gets them, the service none."""

    def native_release(self, **_: object) -> None:
        return None

    def pipeline_alarm_names(self, alarm_names: Sequence[str]) -> tuple[str, ...]:
        return tuple(alarm_names)


RELEASE_INPUTS = CodeDeployInputs()


class CodeDeployRelease:
    """Engine ``codedeploy``: see the module's docstring."""

    def __init__(self, kit: PipelineKit, props: ReleaseProps) -> None:
        self.kit = kit
        self.props = props
        self.release_spec: str | None = None
        self.application: aws.CodedeployApp | None = None
        self.deployment_group: aws.CodedeployDeploymentGroup | None = None
        self.application_name: str | None = None
        self.deployment_group_name: str | None = None
        self.deployment_config_name: str | None = None
        self.appspec_parameter: aws.SsmParameter | None = None

    # --- the release files --------------------------------------------------------------

    def taskdef_template(self, render: Callable[..., dict[str, Any]]) -> Mapping[str, Any]:
        return render()

    def release_parameters(self) -> aws.SsmParameter:
        props = self.props
        appspec = release_appspec(props.task, props.service, hooks=props.hooks)
        self.appspec_parameter = self.kit.parameter(
            "appspec-template",
            f"/{props.name_prefix}/release/appspec-template",
            "appspec.yaml of every release (rendered from the stack's container spec)",
            to_yaml(appspec),
        )
        return self.appspec_parameter

    # --- CodeDeploy ---------------------------------------------------------------------

    def create_release_resources(self) -> None:
        props = self.props
        self.deployment_config_name = self._deployment_config()
        self.application = aws.CodedeployApp(
            self.kit.scope, "application", name=props.name_prefix, compute_platform="ECS"
        )
        self.deployment_group = self._deployment_group(self.application)
        self.application_name = self.application.name
        self.deployment_group_name = self.deployment_group.deployment_group_name

    def _deployment_config(self) -> str:
        config = self.props.deployment_config
        if not isinstance(config, TrafficShift):
            return config
        if config.kind == "canary":
            routing = aws.CodedeployDeploymentConfigTrafficRoutingConfig(
                type="TimeBasedCanary",
                time_based_canary=aws.CodedeployDeploymentConfigTrafficRoutingConfigTimeBasedCanary(
                    percentage=config.percentage, interval=config.interval_minutes
                ),
            )
        else:
            routing = aws.CodedeployDeploymentConfigTrafficRoutingConfig(
                type="TimeBasedLinear",
                time_based_linear=aws.CodedeployDeploymentConfigTrafficRoutingConfigTimeBasedLinear(
                    percentage=config.percentage, interval=config.interval_minutes
                ),
            )
        custom = aws.CodedeployDeploymentConfig(
            self.kit.scope,
            "deployment-config",
            deployment_config_name=f"{self.props.name_prefix}-{config.config_suffix}",
            compute_platform="ECS",
            traffic_routing_config=routing,
        )
        name: str = custom.deployment_config_name
        return name

    def _deployment_group(self, application: aws.CodedeployApp) -> aws.CodedeployDeploymentGroup:
        props = self.props
        role, policy = self.kit.role(
            "deploy",
            "codedeploy.amazonaws.com",
            f"Lets CodeDeploy switch {props.name_prefix} between blue and green",
            self._deploy_statements(),
        )
        ready_option = (
            aws.CodedeployDeploymentGroupBlueGreenDeploymentConfigDeploymentReadyOption(
                action_on_timeout="CONTINUE_DEPLOYMENT"
            )
            if props.ready_wait_minutes == 0
            else aws.CodedeployDeploymentGroupBlueGreenDeploymentConfigDeploymentReadyOption(
                action_on_timeout="STOP_DEPLOYMENT", wait_time_in_minutes=props.ready_wait_minutes
            )
        )
        events = list(ROLLBACK_EVENTS)
        alarms = None
        if props.alarm_names:
            events.append("DEPLOYMENT_STOP_ON_ALARM")
            alarms = aws.CodedeployDeploymentGroupAlarmConfiguration(
                enabled=True, alarms=list(props.alarm_names)
            )
        traffic = props.traffic
        return aws.CodedeployDeploymentGroup(
            self.kit.scope,
            "deployment-group",
            app_name=application.name,
            deployment_group_name=props.name_prefix,
            service_role_arn=role.arn,
            deployment_config_name=self.deployment_config_name,
            deployment_style=aws.CodedeployDeploymentGroupDeploymentStyle(
                deployment_option="WITH_TRAFFIC_CONTROL", deployment_type="BLUE_GREEN"
            ),
            blue_green_deployment_config=aws.CodedeployDeploymentGroupBlueGreenDeploymentConfig(
                deployment_ready_option=ready_option,
                terminate_blue_instances_on_deployment_success=aws.CodedeployDeploymentGroupBlueGreenDeploymentConfigTerminateBlueInstancesOnDeploymentSuccess(
                    action="TERMINATE",
                    termination_wait_time_in_minutes=props.termination_wait_minutes,
                ),
            ),
            ecs_service=aws.CodedeployDeploymentGroupEcsService(
                cluster_name=props.service.cluster_name, service_name=props.service.service_name
            ),
            load_balancer_info=aws.CodedeployDeploymentGroupLoadBalancerInfo(
                target_group_pair_info=aws.CodedeployDeploymentGroupLoadBalancerInfoTargetGroupPairInfo(
                    prod_traffic_route=aws.CodedeployDeploymentGroupLoadBalancerInfoTargetGroupPairInfoProdTrafficRoute(
                        listener_arns=[traffic.production_listener_arn]
                    ),
                    test_traffic_route=aws.CodedeployDeploymentGroupLoadBalancerInfoTargetGroupPairInfoTestTrafficRoute(
                        listener_arns=[traffic.test_listener_arn]
                    ),
                    target_group=[
                        aws.CodedeployDeploymentGroupLoadBalancerInfoTargetGroupPairInfoTargetGroup(
                            name=traffic.blue_target_group_name
                        ),
                        aws.CodedeployDeploymentGroupLoadBalancerInfoTargetGroupPairInfoTargetGroup(
                            name=traffic.green_target_group_name
                        ),
                    ],
                )
            ),
            auto_rollback_configuration=aws.CodedeployDeploymentGroupAutoRollbackConfiguration(
                enabled=True, events=events
            ),
            alarm_configuration=alarms,
            # The role must be able to act before the first deployment (the seed raced it).
            depends_on=[policy],
        )

    def _deploy_statements(self) -> list[dict[str, Any]]:
        """What CodeDeploy does in an ECS blue/green deployment, on this service only
        (instead of ``AWSCodeDeployRoleForECS``, which allows all of it on ``*``)."""
        kit = self.kit
        service = self.props.service
        traffic = self.props.traffic
        task_sets = kit.arn("ecs", f"task-set/{service.cluster_name}/{service.service_name}/*")
        statements = [
            statement(
                "ManageOwnService",
                ["ecs:DescribeServices", "ecs:UpdateServicePrimaryTaskSet"],
                [service.service_arn],
            ),
            # CreateTaskSet has no resource type in IAM: "*" narrowed by its condition keys.
            statement(
                "CreateGreenTaskSet",
                ["ecs:CreateTaskSet"],
                ["*"],
                {
                    "ArnEquals": {
                        "ecs:cluster": service.cluster_arn,
                        "ecs:service": service.service_arn,
                    }
                },
            ),
            statement("DeleteOldTaskSet", ["ecs:DeleteTaskSet"], [task_sets]),
            # Describe calls of Elastic Load Balancing have no resource-level permissions.
            statement(
                "ReadLoadBalancing",
                [
                    "elasticloadbalancing:DescribeListeners",
                    "elasticloadbalancing:DescribeRules",
                    "elasticloadbalancing:DescribeTargetGroups",
                ],
                ["*"],
            ),
            statement(
                "SwitchOwnListeners",
                ["elasticloadbalancing:ModifyListener"],
                [traffic.production_listener_arn, traffic.test_listener_arn],
            ),
            statement(
                "SwitchOwnListenerRules",
                ["elasticloadbalancing:ModifyRule"],
                [
                    self._listener_rules("production", traffic.production_listener_arn),
                    self._listener_rules("test", traffic.test_listener_arn),
                ],
            ),
            kit.pass_task_roles("PassTaskRolesToGreen"),
        ]
        if self.props.hooks:
            statements.append(
                statement(
                    "InvokeOwnHooks",
                    ["lambda:InvokeFunction"],
                    sorted(set(self.props.hooks.values())),
                )
            )
        if self.props.alarm_names:
            statements.append(
                statement(
                    "ReadRollbackAlarms",
                    ["cloudwatch:DescribeAlarms"],
                    [kit.arn("cloudwatch", f"alarm:{name}") for name in self.props.alarm_names],
                )
            )
        return statements

    def _listener_rules(self, listener: str, listener_arn: str) -> str:
        """ARN pattern of the rules of one listener, derived from its ARN. A Terraform local
        keeps the function call (and its quotes) out of the policy's JSON text."""
        rules = TerraformLocal(
            self.kit.scope,
            f"{listener}-listener-rules",
            Fn.replace(listener_arn, ":listener/", ":listener-rule/") + "/*",
        )
        pattern: str = rules.as_string
        return pattern

    # --- the build and the pipeline -----------------------------------------------------

    def extra_build_minutes(self) -> int:
        return 0

    def build_environment(self) -> dict[str, str]:
        """Where the build reads the AppSpec template."""
        assert self.appspec_parameter is not None, "release_parameters() comes first"
        return {"APPSPEC_PARAMETER": self.appspec_parameter.name}

    def build_statements(self) -> list[dict[str, Any]]:
        return []

    def pipeline_statements(self) -> list[dict[str, Any]]:
        """What ``CodeDeployToECS`` does as the pipeline: register the revision's task
        definition and start a deployment of this construct's group."""
        kit = self.kit
        prefix = self.props.name_prefix
        application = kit.arn("codedeploy", f"application:{prefix}")
        group = kit.arn("codedeploy", f"deploymentgroup:{prefix}/{prefix}")
        return [
            statement(
                "RegisterRelease",
                [
                    "codedeploy:GetApplication",
                    "codedeploy:GetApplicationRevision",
                    "codedeploy:RegisterApplicationRevision",
                ],
                [application],
            ),
            statement(
                "DeployToOwnGroup",
                ["codedeploy:CreateDeployment", "codedeploy:GetDeployment"],
                [group],
            ),
            statement(
                "ReadDeploymentConfig",
                ["codedeploy:GetDeploymentConfig"],
                [kit.arn("codedeploy", f"deploymentconfig:{self.deployment_config_name}")],
            ),
            statement(
                "RegisterOwnTaskDefinition",
                ["ecs:RegisterTaskDefinition"],
                [kit.task_family_arn()],
            ),
        ]

    def deploy_action(self) -> tuple[str, dict[str, str]]:
        """``CodeDeployToECS`` with the build's release files."""
        return "CodeDeployToECS", {
            "ApplicationName": str(self.application_name),
            "DeploymentGroupName": str(self.deployment_group_name),
            "TaskDefinitionTemplateArtifact": BUILD_ARTIFACT,
            "TaskDefinitionTemplatePath": "taskdef.json",
            "AppSpecTemplateArtifact": BUILD_ARTIFACT,
            "AppSpecTemplatePath": "appspec.yaml",
            "Image1ArtifactName": BUILD_ARTIFACT,
            "Image1ContainerName": IMAGE_DETAIL_CONTAINER,
        }


ENGINE = Engine(
    name="codedeploy",
    template_style=TEMPLATE_STYLE,
    service_control=CodeDeployControl,
    traffic=LISTENER_WIRING,
    hook=HOOK_RUNNER,
    inputs=RELEASE_INPUTS,
    release_stage=CodeDeployRelease,
    validate_release=validate_release,
    check_pipeline_props=check_pipeline_props,
    reader=CodeDeployReader(),
)
