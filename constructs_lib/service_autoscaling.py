"""ServiceAutoscaling: target-tracking Application Auto Scaling for an ECS service that
CodeDeploy releases blue/green.

What scales: the service's ``DesiredCount`` (scalable target ``service/<cluster>/<service>``,
dimension ``ecs:service:DesiredCount``) between ``min_count`` and ``max_count``. A blue/green
release runs every task set at 100 % of that count, so the count the autoscaler sets is
the size of whichever side serves production.

Who owns ``desired_count``: the autoscaler, once this exists. The service must leave it to
it (``FargateServiceProps(autoscaled=True)`` adds ``desired_count`` to its
``ignore_changes``), or every ``apply`` would reset a scaled-out service to its initial count.

No IAM role is created: Application Auto Scaling scales ECS services through its
service-linked role ``AWSServiceRoleForApplicationAutoScaling_ECSService``, which it creates
in the account on the first registration of an ECS scalable target (``role_arn`` is left
unset on purpose).

Policies, all target tracking:

* CPU (``ECSServiceAverageCPUUtilization``): a service-level metric, the same before, during
  and after a release. It scales out and in.
* Requests per target (``ALBRequestCountPerTarget``): a *target group* metric, and CodeDeploy
  swaps which of the two target groups serves production on every release. So there is one
  policy per target group, each labelled ``<alb arn_suffix>/<target group arn_suffix>``.
  Whichever group serves production reports requests and its policy scales out; the idle
  group reports nothing (no targets, no requests), and target tracking does not act on
  insufficient data, so its policy does nothing. After the next release the roles swap and
  the other policy takes over, with nothing for Terraform to change.

  These policies only scale *out* (``disable_scale_in``). Application Auto Scaling scales
  out if any policy asks for it but scales in only when every policy with scale-in turned
  on is ready to (the AWS documentation is quoted where the policies are made); the idle
  group's policy, with no data, is never ready, and with scale-in on it would block every
  scale-in for good. The CPU policy does the scaling in, which is why
  ``requests_per_target`` needs ``cpu_target_percent``. Pick the request target as a
  ceiling per task rather than the usual operating point: a service busy with requests but
  idle on CPU would otherwise be scaled in by CPU and out again by requests.

During a release scaling out goes on, scaling in waits: "Application Auto Scaling turns
off scale-in processes while Amazon ECS deployments are in progress" (Amazon ECS Developer
Guide, "Use a target metric to scale Amazon ECS services").
"""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from constructs_lib import bindings as aws
from constructs_lib.naming import aws_name
from constructs_lib.validation import (
    ValidationError,
    check_int_range,
    check_load_balancer_suffix,
    check_resource_prefix,
    check_target_group_suffixes,
    show,
)

SERVICE_NAMESPACE = "ecs"
SCALABLE_DIMENSION = "ecs:service:DesiredCount"
CPU_METRIC = "ECSServiceAverageCPUUtilization"
REQUESTS_METRIC = "ALBRequestCountPerTarget"
MAX_TASKS = 5000
"""ECS runs at most 5,000 tasks per service."""
POLICY_NAME_MAX = 256
_TARGET_GROUP_LABELS = ("blue", "green")


@dataclass(frozen=True, kw_only=True)
class ScalingRules:
    """How many tasks, and when to add or remove them."""

    min_count: int = 2
    """Fewest tasks; 2 keeps a task in each of two Availability Zones."""
    max_count: int = 6
    """Most tasks (at most 5,000: ECS's limit per service). A release runs two task sets of
    this size at once while both exist."""
    cpu_target_percent: int = 60
    """Average CPU utilization of the service to track, 10-90 %; 0: no CPU policy."""
    requests_per_target: int = 0
    """ALB requests per task and minute to track (scale-out only); 0: no request policies.
    Needs the CPU policy, which does the scaling in."""
    scale_in_cooldown_seconds: int = 300
    """After a scale-in, seconds before the next one (AWS's default for ECS: 300)."""
    scale_out_cooldown_seconds: int = 60
    """After a scale-out, seconds before the next one."""

    def __post_init__(self) -> None:
        self.validate()

    def validate(self, field_prefix: str = "") -> None:
        f = field_prefix
        check_int_range(f"{f}min_count", self.min_count, 1, MAX_TASKS)
        check_int_range(f"{f}max_count", self.max_count, 1, MAX_TASKS)
        if self.max_count < self.min_count:
            raise ValidationError(
                f"{f}max_count",
                f"must be at least min_count ({self.min_count}), got {self.max_count}",
            )
        check_int_range(f"{f}cpu_target_percent", self.cpu_target_percent, 0, 90)
        if 0 < self.cpu_target_percent < 10:
            raise ValidationError(
                f"{f}cpu_target_percent",
                f"must be 10-90 (or 0: off), got {self.cpu_target_percent}",
            )
        check_int_range(f"{f}requests_per_target", self.requests_per_target, 0, 1_000_000)
        check_int_range(f"{f}scale_in_cooldown_seconds", self.scale_in_cooldown_seconds, 0, 3600)
        check_int_range(f"{f}scale_out_cooldown_seconds", self.scale_out_cooldown_seconds, 0, 3600)
        if not self.cpu_target_percent and not self.requests_per_target:
            raise ValidationError(
                f"{f}cpu_target_percent",
                "0 with requests_per_target = 0 leaves no scaling policy: set at least one",
            )
        if self.requests_per_target and not self.cpu_target_percent:
            raise ValidationError(
                f"{f}requests_per_target",
                "needs cpu_target_percent too: request policies only scale out (the idle "
                "target group's would block every scale-in), the CPU policy scales in",
            )


@dataclass(frozen=True, kw_only=True)
class ServiceAutoscalingProps:
    name_prefix: str
    """Policy names derive from it."""
    cluster_name: str
    """The service's cluster (``FargateService.cluster_name``)."""
    service_name: str
    """The service (``FargateService.service_name``): a reference, so the scalable target
    is registered only once the service exists."""
    load_balancer_arn_suffix: str = ""
    """``app/<name>/<id>`` (``aws_lb.arn_suffix``); needed with ``requests_per_target``."""
    target_group_arn_suffixes: tuple[str, str] | None = None
    """Both target groups' ``arn_suffix`` (blue, green); needed with
    ``requests_per_target``."""
    rules: ScalingRules = ScalingRules()

    def __post_init__(self) -> None:
        check_resource_prefix("name_prefix", self.name_prefix, max_length=200)
        for name in ("cluster_name", "service_name"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise ValidationError(name, "must be a non-empty name")
        # The rules checked their own values as they were built.
        if not isinstance(self.rules, ScalingRules):
            raise ValidationError("rules", f"must be a ScalingRules, got {show(self.rules)}")
        if self.load_balancer_arn_suffix:
            check_load_balancer_suffix("load_balancer_arn_suffix", self.load_balancer_arn_suffix)
        if self.target_group_arn_suffixes is not None and all(self.target_group_arn_suffixes):
            check_target_group_suffixes("target_group_arn_suffixes", self.target_group_arn_suffixes)
        if self.rules.requests_per_target:
            if not self.load_balancer_arn_suffix:
                raise ValidationError(
                    "load_balancer_arn_suffix", "needed for rules.requests_per_target"
                )
            suffixes = self.target_group_arn_suffixes
            if suffixes is None or len(suffixes) != 2 or not all(suffixes):
                raise ValidationError(
                    "target_group_arn_suffixes",
                    "both target groups are needed for rules.requests_per_target: "
                    "CodeDeploy swaps which one serves production",
                )


class ServiceAutoscaling(Construct):
    """A scalable target on the service's desired count and its target-tracking policies."""

    def __init__(self, scope: Construct, id_: str, props: ServiceAutoscalingProps) -> None:
        super().__init__(scope, id_)
        self.props = props
        rules = props.rules
        self.target = aws.AppautoscalingTarget(
            self,
            "target",
            service_namespace=SERVICE_NAMESPACE,
            # References the service's name: registered after the service exists.
            resource_id=f"service/{props.cluster_name}/{props.service_name}",
            scalable_dimension=SCALABLE_DIMENSION,
            min_capacity=rules.min_count,
            max_capacity=rules.max_count,
        )
        policies: list[aws.AppautoscalingPolicy] = []
        if rules.cpu_target_percent:
            policies.append(self._policy("cpu", CPU_METRIC, rules.cpu_target_percent))
        if rules.requests_per_target and props.target_group_arn_suffixes:
            for label, suffix in zip(
                _TARGET_GROUP_LABELS, props.target_group_arn_suffixes, strict=True
            ):
                policies.append(
                    self._policy(
                        f"requests-{label}",
                        REQUESTS_METRIC,
                        rules.requests_per_target,
                        resource_label=f"{props.load_balancer_arn_suffix}/{suffix}",
                        # Scale-out only. Amazon ECS Developer Guide, "Use a target metric
                        # to scale Amazon ECS services" (service-autoscaling-targettracking):
                        # "It will scale out the service if any of the target tracking
                        # policies are ready for scale out, but will scale in only if all of
                        # the target tracking policies (with the scale-in portion turned on)
                        # are ready to scale in", and "A target tracking scaling policy does
                        # not perform scaling when the specified metric has insufficient
                        # data. It does not perform scale in because it does not interpret
                        # insufficient data as low utilization." The idle target group has
                        # no data: with scale-in on, its policy would veto every scale-in.
                        # (Application Auto Scaling User Guide, "Target tracking scaling
                        # policies": it "scales based on the policy that provides the
                        # largest capacity for both scale in and scale out".)
                        disable_scale_in=True,
                    )
                )
        self.policies = tuple(policies)
        self.resource_id: str = self.target.resource_id
        """``service/<cluster>/<service>``, as registered."""
        self.min_count: int = rules.min_count
        self.max_count: int = rules.max_count
        self.policy_names: tuple[str, ...] = tuple(policy.name for policy in self.policies)
        self.policy_arns: tuple[str, ...] = tuple(policy.arn for policy in self.policies)

    def _policy(
        self,
        purpose: str,
        metric: str,
        target_value: int,
        *,
        resource_label: str | None = None,
        disable_scale_in: bool = False,
    ) -> aws.AppautoscalingPolicy:
        rules = self.props.rules
        return aws.AppautoscalingPolicy(
            self,
            purpose,
            name=aws_name(self.props.name_prefix, purpose, max_length=POLICY_NAME_MAX),
            policy_type="TargetTrackingScaling",
            # The target's attributes, not the same strings again: created after it.
            service_namespace=self.target.service_namespace,
            resource_id=self.target.resource_id,
            scalable_dimension=self.target.scalable_dimension,
            target_tracking_scaling_policy_configuration=(
                aws.AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration(
                    target_value=target_value,
                    scale_in_cooldown=rules.scale_in_cooldown_seconds,
                    scale_out_cooldown=rules.scale_out_cooldown_seconds,
                    disable_scale_in=disable_scale_in,
                    predefined_metric_specification=aws.AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification(
                        predefined_metric_type=metric, resource_label=resource_label
                    ),
                )
            ),
        )
