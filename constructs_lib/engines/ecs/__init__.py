"""ECS runs the release itself (``deploymentController = ECS``): CodePipeline's standard
``ECS`` deploy action copies the running revision with the new images and ECS shifts the
traffic by the service's own strategy. No CodeDeploy resource exists.

The release stage of a :class:`~constructs_lib.codedeploy_pipeline.CodeDeployPipeline`
with engine ``ecs``, and the limits of that engine. Because the action copies the revision
the service runs, the release template names its container spec (``RELEASE_SPEC``, a digest
Terraform computes), and the build first moves the service onto the stack's spec whenever
it runs another one (the bootstrap revision, or after a Terraform change to the containers).

A wait for a go-ahead before production traffic moves (``ready_wait_minutes``, CodeDeploy's
``STOP_DEPLOYMENT`` ready option) is an ECS pause lifecycle hook here: its arguments exist
only in hashicorp/aws >= :data:`~constructs_lib.framework.PAUSE_HOOKS_PROVIDER_VERSION`, so
only a framework line whose bindings have them (CDK Terrain) may ask for one
(:attr:`~constructs_lib.framework.Framework.ecs_pause_hooks`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from constructs import Construct

from constructs_lib import bindings as aws
from constructs_lib.bindings import (
    Fn,
    ITerraformDependable,
    TerraformLocal,
    TerraformResourceLifecycle,
)
from constructs_lib.engines import Engine, ReleaseProps
from constructs_lib.engines.ecs.reader import PAUSE_TIMEOUT_ACTION, NativeReader
from constructs_lib.framework import (
    FRAMEWORKS,
    PAUSE_HOOKS_PROVIDER_VERSION,
    VARIABLE,
    Framework,
)
from constructs_lib.framework import current as current_framework
from constructs_lib.iam import policy_document, service_trust_policy, statement
from constructs_lib.naming import IAM_ROLE_NAME_MAX, aws_name
from constructs_lib.pipeline_kit import PipelineKit
from constructs_lib.release_alarms import check_alarm_names
from constructs_lib.release_spec import (
    NATIVE_HOOK_STAGE,
    SPEC_ID_LENGTH,
    TemplateStyle,
    TrafficRoutes,
    TrafficShift,
    shift_minutes,
    traffic_shift,
)
from constructs_lib.validation import (
    ValidationError,
    check_arn,
    check_int_range,
    show,
)

if TYPE_CHECKING:
    from constructs_lib.verification_hook import VerificationHookProps

IMAGE_DEFINITIONS = "imagedefinitions.json"
TEMPLATE_STYLE = TemplateStyle(primary_image=None, version=None, names_spec=True)
"""ECS's deploy action copies the running revision and swaps only the images, so a version
variable would go stale: the images carry the version, and the template names its spec."""
# ECS rewrites the weights of each rule's forward action on every release.
RULE_IGNORE_CHANGES = ("action",)
# The one rule per listener ECS shifts; it matches every request.
RULE_PRIORITY = 1
# CodePipeline's ECS action waits at most 60 minutes for the service deployment.
ECS_ACTION_MAX_MINUTES = 60
# What an ECS-engine release needs besides traffic shift and bake: green tasks start, pass
# their health checks and the verification hook, blue drains.
ECS_RELEASE_OVERHEAD_MINUTES = 15
# ECS's bounds for bake times (whole release and each canary/linear step).
ECS_BAKE_MAX_MINUTES = 1440
ECS_LINEAR_MIN_PERCENT = 3
PAUSE_STAGE = NATIVE_HOOK_STAGE
"""Where the pause hook of a ready wait holds a release: green serves the test listener,
production is still all blue. ECS runs the hooks of one stage side by side and moves on only
when all of them completed, so production traffic waits for both the verification hook's
SUCCEEDED and the go-ahead; a FAILED verdict rolls back whatever the go-ahead says. (The
next stage, ``PRE_PRODUCTION_TRAFFIC_SHIFT``, would pause before every canary or linear
step; ``PRODUCTION_TRAFFIC_SHIFT`` takes no pause hook.)"""
ECS_PAUSE_MAX_MINUTES = 20160
"""ECS's bound for a lifecycle hook's ``timeoutInMinutes``."""


class WeightedRules:
    """Each listener answers a Terraform-owned 404 by default; one rule per listener
    forwards every request by weight (blue 100, green 0), and ECS shifts the weights."""

    listener_ignore_changes: tuple[str, ...] = ()

    def default_action(self, target_group_arn: str) -> aws.LbListenerDefaultAction:
        # Requests reach the targets through the weighted rule; nothing else matches.
        return aws.LbListenerDefaultAction(
            type="fixed-response",
            fixed_response=aws.LbListenerDefaultActionFixedResponse(
                content_type="text/plain", message_body="Not Found", status_code="404"
            ),
        )

    def rules(
        self,
        scope: Construct,
        name_prefix: str,
        listeners: Mapping[str, aws.LbListener],
        target_group_arns: tuple[str, str],
    ) -> Mapping[str, aws.LbListenerRule]:
        return {
            role: self._weighted_rule(scope, name_prefix, role, listener, target_group_arns)
            for role, listener in listeners.items()
        }

    @staticmethod
    def _weighted_rule(
        scope: Construct,
        name_prefix: str,
        role: str,
        listener: aws.LbListener,
        target_group_arns: tuple[str, str],
    ) -> aws.LbListenerRule:
        """Every request, forwarded by weight: all to blue until ECS shifts it."""
        blue, green = target_group_arns
        return aws.LbListenerRule(
            scope,
            f"{role}-rule",
            listener_arn=listener.arn,
            priority=RULE_PRIORITY,
            condition=[
                aws.LbListenerRuleCondition(
                    path_pattern=aws.LbListenerRuleConditionPathPattern(values=["/*"])
                )
            ],
            action=[
                aws.LbListenerRuleAction(
                    type="forward",
                    forward=aws.LbListenerRuleActionForward(
                        target_group=[
                            aws.LbListenerRuleActionForwardTargetGroup(arn=blue, weight=100),
                            aws.LbListenerRuleActionForwardTargetGroup(arn=green, weight=0),
                        ]
                    ),
                )
            ],
            lifecycle=TerraformResourceLifecycle(ignore_changes=list(RULE_IGNORE_CHANGES)),
            tags={"Name": f"{name_prefix}-{role}"},
        )


LISTENER_WIRING = WeightedRules()
_SERVICE_ARN_RE = re.compile(r"arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:service/[\w-]+/[\w-]+")


class EcsHook:
    """ECS runs the hook as the service's ``POST_TEST_TRAFFIC_SHIFT`` lifecycle hook; the
    verdict is the function's answer (``hookStatus``)."""

    runner = "ECS"
    stage = NATIVE_HOOK_STAGE
    handler = "index.ecs_handler"
    api_services: tuple[str, ...] = ("ec2", "ecs")
    api_egress_description = "HTTPS: EC2 and ECS APIs"
    release_target = ("service_arn", _SERVICE_ARN_RE, "an ECS service ARN")

    def appspec_hooks(self, function_arn: str) -> dict[str, str]:
        return {}  # no AppSpec: the hook is the service's (NativeRelease)

    def release_target_arn(
        self, *, partition: str, region: str, account: str, name_prefix: str
    ) -> str:
        """The service of a stack whose cluster and service are both named ``name_prefix``
        (as :class:`~constructs_lib.fargate_service.FargateService` names them)."""
        return f"arn:{partition}:ecs:{region}:{account}:service/{name_prefix}/{name_prefix}"

    def statements(self, props: VerificationHookProps) -> list[dict[str, Any]]:
        """Read the revision being deployed for the version (``body_is_version`` probes
        only): IAM checks both the service and the revision asked about."""
        if not props.needs_version:
            return []
        service = str(props.service_arn)
        return [
            statement(
                "ReadOwnServiceRevisions",
                ["ecs:DescribeServiceRevisions"],
                [service, service.replace(":service/", ":service-revision/", 1) + "/*"],
            )
        ]


HOOK_RUNNER = EcsHook()


def _no_names() -> tuple[str, ...]:
    return ()


@dataclass(frozen=True, kw_only=True)
class NativeRelease:
    """How ECS itself releases the service (engine ``ecs``): BLUE_GREEN all at once, or the
    CANARY / LINEAR strategy of ``shift``, over the production and test listener rules of
    ``traffic``; then both revisions run for ``bake_time_minutes`` (rollback is a weight flip)
    before the old one stops."""

    traffic: TrafficRoutes
    """The target groups and listener rules (:class:`AlbBlueGreen` with engine ``ecs``)."""
    shift: TrafficShift | None = None
    """None: all production traffic at once after the test traffic checks pass."""
    bake_time_minutes: int = 5
    """Minutes both revisions stay up after the shift: the window for a fast rollback."""
    ready_wait_minutes: int = 0
    """0: production traffic moves once the test traffic checks pass. N: a ``PAUSE``
    lifecycle hook at :data:`PAUSE_STAGE` holds the release until someone continues it
    (``aws ecs continue-service-deployment``), else rolls it back after N minutes. Needs
    hashicorp/aws >= :data:`~constructs_lib.framework.PAUSE_HOOKS_PROVIDER_VERSION`: refused
    on a framework line whose bindings are older (cdktf). A pipeline's ECS deploy action must
    wait for it: give the pipeline the same ``ready_wait_minutes``."""
    hook_function_arns: Sequence[str] = field(default_factory=_no_names)
    """Lambda functions run at ``POST_TEST_TRAFFIC_SHIFT`` (test rule on the new revision,
    production still on the old one); each answers SUCCEEDED or FAILED (rollback)."""
    alarm_names: Sequence[str] = field(default_factory=_no_names)
    """CloudWatch alarms that roll a release back when they fire (the service's ``alarms``)."""

    def __post_init__(self) -> None:
        self.validate()

    def validate(self, field_prefix: str = "") -> None:
        f = field_prefix
        traffic = self.traffic
        if not isinstance(traffic, TrafficRoutes):
            raise ValidationError(f"{f}traffic", f"must be a TrafficRoutes, got {show(traffic)}")
        missing = [
            name
            for name in (
                "blue_target_group_arn",
                "green_target_group_arn",
                "production_listener_rule_arn",
                "test_listener_rule_arn",
            )
            if getattr(traffic, name) is None
        ]
        if missing:
            raise ValidationError(
                f"{f}traffic.{missing[0]}",
                "ECS blue/green needs both target groups and listener rules: build "
                "AlbBlueGreen with engine 'ecs'",
            )
        if self.shift is not None:
            if not isinstance(self.shift, TrafficShift):
                raise ValidationError(
                    f"{f}shift", f"must be a TrafficShift or None, got {show(self.shift)}"
                )
            check_ecs_shift(self.shift, f"{f}shift.")
        check_int_range(f"{f}bake_time_minutes", self.bake_time_minutes, 0, ECS_BAKE_MAX_MINUTES)
        check_int_range(f"{f}ready_wait_minutes", self.ready_wait_minutes, 0, ECS_PAUSE_MAX_MINUTES)
        if self.ready_wait_minutes:
            # What the constructs synthesize with, not what a setting might name.
            check_pause_hooks(f"{f}ready_wait_minutes", aws.FRAMEWORK)
        arns = self.hook_function_arns
        if isinstance(arns, str) or not isinstance(arns, Sequence):
            raise ValidationError(f"{f}hook_function_arns", f"must be a list, got {show(arns)}")
        for i, arn in enumerate(arns):
            check_arn(f"{f}hook_function_arns[{i}]", arn)
        check_alarm_names(f"{f}alarm_names", self.alarm_names)

    @property
    def strategy(self) -> str:
        return "BLUE_GREEN" if self.shift is None else self.shift.kind.upper()


# On an ECS-controlled (native blue/green) service each release registers the revision it
# runs, and ECS alternates the target groups: a plan sending the original pair back would
# land every later deployment on one target group (terraform-provider-aws #45678). The
# network configuration is Terraform's: UpdateService takes it on this controller.
NATIVE_SERVICE_IGNORE_CHANGES = ("task_definition", "load_balancer")


def check_pause_hooks(field: str, framework: Framework) -> None:
    """A ready wait under ECS is a pause hook: refused, saying how to get one, where the
    framework's provider bindings cannot express it."""
    if framework.ecs_pause_hooks:
        return
    able = ", ".join(f.name for f in FRAMEWORKS.values() if f.ecs_pause_hooks)
    raise ValidationError(
        field,
        f"engine 'ecs' waits for a go-ahead with an ECS pause hook, which needs hashicorp/aws "
        f">= {PAUSE_HOOKS_PROVIDER_VERSION}; {framework.name}'s bindings are "
        f"{framework.provider_version}: run on CDK Terrain ({VARIABLE}={able}, make "
        f"FRAMEWORK={able}), use engine 'codedeploy' or set 0",
    )


def check_service_props(native_release: NativeRelease | None) -> None:
    """A service ECS releases needs a :class:`NativeRelease` (which checked itself)."""
    if native_release is None:
        raise ValidationError(
            "native_release", "is required with engine 'ecs' and refused with 'codedeploy'"
        )


class NativeControl:
    """ECS controls the service's deployments (``deploymentController = ECS``): the
    strategy, bake time, lifecycle hook and alarms of a :class:`NativeRelease`, and the
    infrastructure role ECS shifts the listener rules with."""

    controller = "ECS"
    ignore_changes: tuple[str, ...] = NATIVE_SERVICE_IGNORE_CHANGES

    def __init__(self, native: NativeRelease | None) -> None:
        check_service_props(native)
        assert native is not None
        self.native = native
        self.infrastructure_role: aws.IamRole | None = None

    def release_resources(
        self, scope: Construct, name_prefix: str, account: str
    ) -> list[ITerraformDependable]:
        """What ECS does in a native blue/green release of this service, on its own target
        groups, rules and hooks only (instead of the managed
        ``AmazonECSInfrastructureRolePolicyForLoadBalancers``, which allows it on every load
        balancer of the account)."""
        native = self.native
        traffic = native.traffic
        role = aws.IamRole(
            scope,
            "infrastructure-role",
            name=aws_name(name_prefix, "ecs-infrastructure", max_length=IAM_ROLE_NAME_MAX),
            description=f"Lets ECS shift {name_prefix} traffic between blue and green",
            assume_role_policy=service_trust_policy(
                "ecs.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": account}},
            ),
        )
        statements = [
            # Describe calls of Elastic Load Balancing have no resource-level permissions.
            statement(
                "ReadLoadBalancing",
                [
                    "elasticloadbalancing:DescribeListeners",
                    "elasticloadbalancing:DescribeRules",
                    "elasticloadbalancing:DescribeTargetGroups",
                    "elasticloadbalancing:DescribeTargetHealth",
                ],
                ["*"],
            ),
            statement(
                "RegisterTasksInOwnTargetGroups",
                ["elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:RegisterTargets"],
                [str(traffic.blue_target_group_arn), str(traffic.green_target_group_arn)],
            ),
            statement(
                "ShiftOwnListenerRules",
                ["elasticloadbalancing:ModifyRule"],
                [str(traffic.production_listener_rule_arn), str(traffic.test_listener_rule_arn)],
            ),
        ]
        if native.hook_function_arns:
            statements.append(
                statement(
                    "InvokeOwnHooks",
                    ["lambda:InvokeFunction"],
                    sorted(set(native.hook_function_arns)),
                )
            )
        policy = aws.IamRolePolicy(
            scope,
            "infrastructure-policy",
            name="blue-green-least-privilege",
            role=role.id,
            policy=policy_document(*statements),
        )
        self.infrastructure_role = role
        return [policy]

    def _role_arn(self) -> str:
        assert self.infrastructure_role is not None, "release_resources() comes first"
        arn: str = self.infrastructure_role.arn
        return arn

    def deployment_configuration(self) -> aws.EcsServiceDeploymentConfiguration:
        native = self.native
        role_arn = self._role_arn()
        shift = native.shift
        canary = linear = None
        if shift is not None and shift.kind == "canary":
            canary = aws.EcsServiceDeploymentConfigurationCanaryConfiguration(
                canary_percent=shift.percentage,
                canary_bake_time_in_minutes=str(shift.interval_minutes),
            )
        elif shift is not None:
            linear = aws.EcsServiceDeploymentConfigurationLinearConfiguration(
                step_percent=shift.percentage,
                step_bake_time_in_minutes=str(shift.interval_minutes),
            )
        hooks = [
            aws.EcsServiceDeploymentConfigurationLifecycleHook(
                hook_target_arn=arn,
                role_arn=role_arn,
                lifecycle_stages=[NATIVE_HOOK_STAGE],
            )
            for arn in native.hook_function_arns
        ]
        if native.ready_wait_minutes:
            hooks.append(self._pause_hook(native.ready_wait_minutes))
        return aws.EcsServiceDeploymentConfiguration(
            strategy=native.strategy,
            bake_time_in_minutes=str(native.bake_time_minutes),
            canary_configuration=canary,
            linear_configuration=linear,
            lifecycle_hook=hooks or None,
        )

    @staticmethod
    def _pause_hook(minutes: int) -> aws.EcsServiceDeploymentConfigurationLifecycleHook:
        """The ready wait: ECS holds the release at :data:`PAUSE_STAGE` until someone calls
        ``ContinueServiceDeployment``; after ``minutes`` without it, it rolls back (like
        CodeDeploy's ``STOP_DEPLOYMENT``). No target and no role: ECS invokes nothing."""
        return aws.EcsServiceDeploymentConfigurationLifecycleHook(
            target_type="PAUSE",
            lifecycle_stages=[PAUSE_STAGE],
            timeout_configuration=aws.EcsServiceDeploymentConfigurationLifecycleHookTimeoutConfiguration(
                action=PAUSE_TIMEOUT_ACTION, timeout_in_minutes=str(minutes)
            ),
        )

    def alarms(self) -> aws.EcsServiceAlarms | None:
        names = self.native.alarm_names
        if not names:
            return None
        return aws.EcsServiceAlarms(alarm_names=list(names), enable=True, rollback=True)

    def advanced_configuration(self) -> aws.EcsServiceLoadBalancerAdvancedConfiguration:
        traffic = self.native.traffic
        return aws.EcsServiceLoadBalancerAdvancedConfiguration(
            alternate_target_group_arn=str(traffic.green_target_group_arn),
            production_listener_rule=str(traffic.production_listener_rule_arn),
            test_listener_rule=traffic.test_listener_rule_arn,
            role_arn=self._role_arn(),
        )


def ecs_release_minutes(
    config: str | TrafficShift, bake_minutes: int, *, ready_wait_minutes: int
) -> int:
    """How long the ECS deploy action may wait for one ECS-native release: the longest the
    pause hook holds it for a go-ahead, the traffic shift, the bake time and the overhead."""
    return ready_wait_minutes + shift_minutes(config) + bake_minutes + ECS_RELEASE_OVERHEAD_MINUTES


def validate_ecs_release(
    config: str | TrafficShift,
    ready_wait_minutes: int,
    termination_wait_minutes: int,
    *,
    field_prefix: str,
    shift_prefix: str,
    framework: Framework | None = None,
) -> None:
    """What ECS-native blue/green (and CodePipeline's ECS action) cannot do; a ready wait
    only where ``framework`` (default: this process's,
    :func:`constructs_lib.framework.current`) can express a pause hook."""
    f = field_prefix
    if ready_wait_minutes:
        check_pause_hooks(f"{f}ready_wait_minutes", framework or current_framework())
    check_int_range(
        f"{f}termination_wait_minutes", termination_wait_minutes, 0, ECS_BAKE_MAX_MINUTES
    )
    shift = traffic_shift(config)
    if shift is not None:
        check_ecs_shift(shift, f"{f}{shift_prefix}")
    without_wait = ecs_release_minutes(config, termination_wait_minutes, ready_wait_minutes=0)
    if without_wait > ECS_ACTION_MAX_MINUTES:
        raise ValidationError(
            f"{f}termination_wait_minutes",
            f"traffic shift ({shift_minutes(config)} min) + bake ({termination_wait_minutes} "
            f"min) + {ECS_RELEASE_OVERHEAD_MINUTES} min to start and verify exceed the "
            f"{ECS_ACTION_MAX_MINUTES} minutes CodePipeline's ECS action waits for a release",
        )
    if without_wait + ready_wait_minutes > ECS_ACTION_MAX_MINUTES:
        raise ValidationError(
            f"{f}ready_wait_minutes",
            f"ready wait ({ready_wait_minutes} min) + traffic shift ({shift_minutes(config)} "
            f"min) + bake ({termination_wait_minutes} min) + {ECS_RELEASE_OVERHEAD_MINUTES} min "
            f"to start and verify exceed the {ECS_ACTION_MAX_MINUTES} minutes CodePipeline's "
            f"ECS action waits for a release: at most "
            f"{ECS_ACTION_MAX_MINUTES - without_wait} min here",
        )


def check_ecs_shift(shift: TrafficShift, field_prefix: str) -> None:
    """What ECS's CANARY / LINEAR strategies take besides a valid :class:`TrafficShift`."""
    f = field_prefix
    check_int_range(f"{f}interval_minutes", shift.interval_minutes, 1, ECS_BAKE_MAX_MINUTES)
    if shift.kind == "linear" and shift.percentage < ECS_LINEAR_MIN_PERCENT:
        raise ValidationError(
            f"{f}percentage",
            f"ECS linear steps are at least {ECS_LINEAR_MIN_PERCENT} %, got {shift.percentage}",
        )


def check_pipeline_props(props: ReleaseProps) -> None:
    """Hooks and alarms are the service's under ECS (``NativeRelease``), not the
    pipeline's."""
    for name, value in (("hooks", props.hooks), ("alarm_names", props.alarm_names)):
        if value:
            raise ValidationError(
                name, "with engine 'ecs' they belong to the service (NativeRelease)"
            )


class EcsInputs:
    """Under ECS the release's alarms and hook are the service's (a :class:`NativeRelease`);
    the pipeline gets none."""

    def native_release(
        self,
        *,
        traffic: TrafficRoutes,
        shift: TrafficShift | None,
        bake_time_minutes: int,
        ready_wait_minutes: int,
        hook_function_arns: Sequence[str],
        alarm_names: Sequence[str],
    ) -> NativeRelease:
        return NativeRelease(
            traffic=traffic,
            shift=shift,
            bake_time_minutes=bake_time_minutes,
            ready_wait_minutes=ready_wait_minutes,
            hook_function_arns=hook_function_arns,
            alarm_names=alarm_names,
        )

    def pipeline_alarm_names(self, alarm_names: Sequence[str]) -> tuple[str, ...]:
        return ()


RELEASE_INPUTS = EcsInputs()


class EcsRelease:
    """Engine ``ecs``: see the module's docstring."""

    application_name: str | None = None
    deployment_group_name: str | None = None
    deployment_config_name: str | None = None

    def __init__(self, kit: PipelineKit, props: ReleaseProps) -> None:
        self.kit = kit
        self.props = props
        self.release_spec: str | None = None

    # --- the release files --------------------------------------------------------------

    def taskdef_template(self, render: Callable[..., dict[str, Any]]) -> Mapping[str, Any]:
        """The template, naming the digest of itself (without the name)."""
        self.release_spec = self._spec_digest(render())
        return render(spec_id=self.release_spec)

    def _spec_digest(self, template: Mapping[str, Any]) -> str:
        """A digest of the release template, computed by Terraform: it covers the values
        the template's references resolve to (a replaced role, a renamed log group), and
        nothing in the synthesized JSON depends on cdktf's token numbering."""
        rendered = TerraformLocal(self.kit.scope, "release-template", dict(template))
        digest = TerraformLocal(
            self.kit.scope,
            "release-spec",
            Fn.substr(Fn.sha256(Fn.jsonencode(rendered.as_any_map)), 0, SPEC_ID_LENGTH),
        )
        value: str = digest.as_string
        return value

    def release_parameters(self) -> aws.SsmParameter | None:
        return None  # ECS's action takes image definitions, no AppSpec

    def create_release_resources(self) -> None:
        """Nothing: the service releases itself (``NativeRelease``)."""

    # --- the build and the pipeline -----------------------------------------------------

    def _release_minutes(self) -> int:
        props = self.props
        return ecs_release_minutes(
            props.deployment_config,
            props.termination_wait_minutes,
            ready_wait_minutes=props.ready_wait_minutes,
        )

    def extra_build_minutes(self) -> int:
        """One release: when the service runs another container spec than the stack's, the
        build moves it onto the stack's first and waits for that deployment (which the
        service's pause hook, if any, holds for a go-ahead too)."""
        return self._release_minutes()

    def build_environment(self) -> dict[str, str]:
        service = self.props.service
        return {
            "RELEASE_ENGINE": "ecs",
            "RELEASE_SPEC": str(self.release_spec),
            "ECS_CLUSTER": service.cluster_name,
            "ECS_SERVICE": service.service_name,
        }

    def build_statements(self) -> list[dict[str, Any]]:
        """The build reads which spec the service runs and, when it is not the stack's,
        registers the stack's and moves the service onto it."""
        kit = self.kit
        return [
            statement(
                "RefreshOwnService",
                ["ecs:DescribeServices", "ecs:UpdateService"],
                [self.props.service.service_arn],
            ),
            kit.read_task_definitions("ReadTaskDefinitions"),
            statement(
                "RegisterOwnTaskDefinition",
                ["ecs:RegisterTaskDefinition"],
                [kit.task_family_arn()],
            ),
            kit.pass_task_roles("PassTaskRolesToRefresh"),
        ]

    def pipeline_statements(self) -> list[dict[str, Any]]:
        """What CodePipeline's ``ECS`` action does as the pipeline: copy the service's
        running revision with the new images (tags included) and update the service."""
        kit = self.kit
        family = kit.task_family_arn()
        return [
            statement(
                "DeployOwnService",
                ["ecs:DescribeServices", "ecs:UpdateService"],
                [self.props.service.service_arn],
            ),
            kit.read_task_definitions("ReadTaskDefinitions"),
            statement("RegisterOwnTaskDefinition", ["ecs:RegisterTaskDefinition"], [family]),
            statement(
                "TagOwnTaskDefinitionOnRegister",
                ["ecs:TagResource"],
                [family],
                {"StringEquals": {"ecs:CreateAction": "RegisterTaskDefinition"}},
            ),
        ]

    def deploy_action(self) -> tuple[str, dict[str, str]]:
        """ECS's own deploy action with the build's image definitions."""
        service = self.props.service
        return "ECS", {
            "ClusterName": service.cluster_name,
            "ServiceName": service.service_name,
            "FileName": IMAGE_DEFINITIONS,
            "DeploymentTimeout": str(self._release_minutes()),
        }


ENGINE = Engine(
    name="ecs",
    template_style=TEMPLATE_STYLE,
    service_control=NativeControl,
    traffic=LISTENER_WIRING,
    hook=HOOK_RUNNER,
    inputs=RELEASE_INPUTS,
    release_stage=EcsRelease,
    validate_release=validate_ecs_release,
    check_pipeline_props=check_pipeline_props,
    reader=NativeReader(),
)
