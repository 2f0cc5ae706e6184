"""ECS runs the release itself (``deploymentController = ECS``): CodePipeline's standard
``ECS`` deploy action copies the running revision with the new images and ECS shifts the
traffic by the service's own strategy. No CodeDeploy resource exists.

The release stage of a :class:`~constructs_lib.codedeploy_pipeline.CodeDeployPipeline`
with engine ``ecs``, and the limits of that engine. Because the action copies the revision
the service runs, the release template names its container spec (``RELEASE_SPEC``, a digest
Terraform computes), and the build first moves the service onto the stack's spec whenever
it runs another one (the bootstrap revision, or after a Terraform change to the containers).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from constructs import Construct

from constructs_lib import bindings as aws
from constructs_lib.bindings import Fn, TerraformLocal, TerraformResourceLifecycle
from constructs_lib.iam import statement
from constructs_lib.pipeline_kit import PipelineKit
from constructs_lib.release_spec import (
    NATIVE_HOOK_STAGE,
    SPEC_ID_LENGTH,
    TrafficShift,
    shift_minutes,
    traffic_shift,
)
from constructs_lib.validation import ValidationError, check_int_range

if TYPE_CHECKING:
    from constructs_lib.codedeploy_pipeline import CodeDeployPipelineProps
    from constructs_lib.verification_hook import VerificationHookProps

IMAGE_DEFINITIONS = "imagedefinitions.json"
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


def ecs_release_minutes(config: str | TrafficShift, bake_minutes: int) -> int:
    """How long the ECS deploy action may wait for one ECS-native release."""
    return shift_minutes(config) + bake_minutes + ECS_RELEASE_OVERHEAD_MINUTES


def validate_ecs_release(
    config: str | TrafficShift,
    ready_wait_minutes: int,
    termination_wait_minutes: int,
    *,
    field_prefix: str,
    shift_prefix: str,
) -> None:
    """What ECS-native blue/green (and CodePipeline's ECS action) cannot do."""
    f = field_prefix
    if ready_wait_minutes:
        raise ValidationError(
            f"{f}ready_wait_minutes",
            "engine 'ecs' has no wait for a manual go-ahead (ECS pause hooks need a newer "
            "provider); set 0 or use engine 'codedeploy'",
        )
    check_int_range(
        f"{f}termination_wait_minutes", termination_wait_minutes, 0, ECS_BAKE_MAX_MINUTES
    )
    shift = traffic_shift(config)
    if shift is not None:
        check_int_range(
            f"{f}{shift_prefix}interval_minutes", shift.interval_minutes, 1, ECS_BAKE_MAX_MINUTES
        )
        if shift.kind == "linear" and shift.percentage < ECS_LINEAR_MIN_PERCENT:
            raise ValidationError(
                f"{f}{shift_prefix}percentage",
                f"ECS linear steps are at least {ECS_LINEAR_MIN_PERCENT} %, got {shift.percentage}",
            )
    minutes = ecs_release_minutes(config, termination_wait_minutes)
    if minutes > ECS_ACTION_MAX_MINUTES:
        raise ValidationError(
            f"{f}termination_wait_minutes",
            f"traffic shift ({shift_minutes(config)} min) + bake ({termination_wait_minutes} "
            f"min) + {ECS_RELEASE_OVERHEAD_MINUTES} min to start and verify exceed the "
            f"{ECS_ACTION_MAX_MINUTES} minutes CodePipeline's ECS action waits for a release",
        )


def check_pipeline_props(props: CodeDeployPipelineProps) -> None:
    """Hooks and alarms are the service's under ECS (``NativeRelease``), not the
    pipeline's."""
    for name, value in (("hooks", props.hooks), ("alarm_names", props.alarm_names)):
        if value:
            raise ValidationError(
                name, "with engine 'ecs' they belong to the service (NativeRelease)"
            )


class EcsRelease:
    """Engine ``ecs``: see the module's docstring."""

    application_name: str | None = None
    deployment_group_name: str | None = None
    deployment_config_name: str | None = None

    def __init__(self, kit: PipelineKit, props: CodeDeployPipelineProps) -> None:
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
        return ecs_release_minutes(
            self.props.deployment_config, self.props.termination_wait_minutes
        )

    def extra_build_minutes(self) -> int:
        """One release: when the service runs another container spec than the stack's, the
        build moves it onto the stack's first and waits for that deployment."""
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
