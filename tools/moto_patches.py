"""Narrow fixes for the local AWS emulator (moto 5.2) where it rejects or mis-serves valid
AWS input that this stack sends, or accepts what AWS refuses where that would hide a defect
of the stack. One function per emulator defect, each named for it; the product is never
changed to please the emulator. The README lists the same gaps.

Applied in-process before ``moto.server.ThreadedMotoServer`` starts (``apply()``); every
patch is proven by ``tests/unit/tools/test_moto_patches.py`` against moto itself.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

_ECS_SERVICE_SETTINGS_DROPPED = (
    "availabilityZoneRebalancing",
    "enableECSManagedTags",
    "healthCheckGracePeriodSeconds",
)
_MEMORY_KEYS = {"memory", "memoryReservation", "Memory", "MemoryReservation"}


def codebuild_pipeline_projects_need_no_location() -> None:
    """CreateProject demands a source and an artifacts ``location`` even for type
    CODEPIPELINE, where AWS takes none (the pipeline supplies both)."""
    import moto.codebuild.responses as codebuild

    def without_location_check(check: Callable[[dict[str, Any]], None]) -> Callable[..., None]:
        def checked(params: dict[str, Any]) -> None:
            if params.get("type") != "CODEPIPELINE":
                check(params)

        return checked

    codebuild._validate_required_params_source = without_location_check(
        codebuild._validate_required_params_source
    )
    codebuild._validate_required_params_artifacts = without_location_check(
        codebuild._validate_required_params_artifacts
    )


def codebuild_delete_project_by_arn() -> None:
    """DeleteProject given the project's ARN (as Terraform sends it) deletes nothing; AWS
    takes a name or an ARN."""
    import moto.codebuild.models as codebuild

    delete_project = codebuild.CodeBuildBackend.delete_project

    def delete_project_by_name_or_arn(self: Any, project_name: str) -> None:
        delete_project(self, project_name.rsplit(":project/", 1)[-1])

    codebuild.CodeBuildBackend.delete_project = delete_project_by_name_or_arn  # type: ignore[method-assign]


def codepipeline_metadata_timestamps_as_epoch() -> None:
    """GetPipeline returns metadata.created/updated as ISO strings; the JSON protocol sends
    timestamps as epoch seconds and the AWS SDK fails to parse strings."""
    import moto.codepipeline.models as codepipeline

    def metadata(self: Any) -> dict[str, Any]:
        return {
            "pipelineArn": self._arn,
            "created": self._created.timestamp(),
            "updated": self._updated.timestamp(),
        }

    codepipeline.CodePipeline.metadata = property(metadata)  # type: ignore[method-assign,assignment]


def codedeploy_deletes_groups_and_applications() -> None:
    """No DeleteDeploymentGroup / DeleteApplication: ``destroy`` would wait forever."""
    import moto.codedeploy.responses as codedeploy
    from moto.core.responses import ActionResult

    def delete_deployment_group(self: Any) -> ActionResult:
        groups = self.codedeploy_backend.deployment_groups.get(self._get_param("applicationName"))
        if groups is not None:
            groups.pop(self._get_param("deploymentGroupName"), None)
        return ActionResult({"hooksNotCleanedUp": []})

    def delete_application(self: Any) -> ActionResult:
        name = self._get_param("applicationName")
        self.codedeploy_backend.applications.pop(name, None)
        self.codedeploy_backend.deployment_groups.pop(name, None)
        return ActionResult({})

    codedeploy.CodeDeployResponse.delete_deployment_group = delete_deployment_group  # type: ignore[attr-defined]
    codedeploy.CodeDeployResponse.delete_application = delete_application  # type: ignore[attr-defined]


def codedeploy_returns_alarm_configuration() -> None:
    """GetDeploymentGroup answers ``alarmConfiguration: {}`` whatever the group was created
    with: the alarms a release stops on vanish, and every plan would add them again."""
    import moto.codedeploy.responses as codedeploy

    group_info = codedeploy._deployment_group_info

    def group_info_with_alarms(deployment_group: Any) -> dict[str, Any]:
        info: dict[str, Any] = group_info(deployment_group)
        info["alarmConfiguration"] = deployment_group.alarm_configuration or {}
        return info

    codedeploy._deployment_group_info = group_info_with_alarms


def ecs_service_keeps_dropped_settings() -> None:
    """CreateService drops availabilityZoneRebalancing, enableECSManagedTags and
    healthCheckGracePeriodSeconds, so DescribeServices never returns them and every plan
    would set them again."""
    import moto.ecs.responses as ecs
    from botocore import xform_name  # type: ignore[import-untyped]

    create_service = ecs.EC2ContainerServiceResponse.create_service

    def create_service_keeping_settings(self: Any) -> Any:
        result = create_service(self)
        cluster = self._get_param("cluster", "default").split("/")[-1]
        service = self.ecs_backend.services[f"{cluster}:{self._get_param('serviceName')}"]
        for parameter in _ECS_SERVICE_SETTINGS_DROPPED:
            value = self._get_param(parameter)
            if value is not None:
                setattr(service, xform_name(parameter), value)
        return result

    ecs.EC2ContainerServiceResponse.create_service = create_service_keeping_settings  # type: ignore[method-assign]


def ecs_tasks_take_task_level_memory() -> None:
    """Starting tasks (RunTask, CreateTaskSet) sums per-container memory and fails when a
    container has none, which is valid on Fargate where memory is set per task."""
    import moto.ecs.models as ecs

    requirements = ecs.EC2ContainerServiceBackend._calculate_task_resource_requirements

    def requirements_with_task_level_memory(task_definition: Any) -> dict[str, Any]:
        containers = [
            container if _MEMORY_KEYS & set(container) else {**container, "memory": 0}
            for container in task_definition.container_definitions
        ]
        with_memory: Any = SimpleNamespace(container_definitions=containers)
        result: dict[str, Any] = requirements(with_memory)
        return result

    ecs.EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(  # type: ignore[method-assign]
        requirements_with_task_level_memory
    )


def ec2_group_rule_descriptions() -> None:
    """A rule that references a security group keeps its description with the group
    reference, but DescribeSecurityGroupRules reads it only from CIDR ranges."""
    from moto.ec2.models import security_groups

    def rule_description(self: Any) -> str | None:
        description: str | None = self.ip_range.get("Description") or self.source_group.get(
            "Description"
        )
        return description

    security_groups.SecurityGroupRule.description = property(rule_description)  # type: ignore[method-assign,assignment]


def application_autoscaling_tags_scalable_targets() -> None:
    """No TagResource / UntagResource / ListTagsForResource, and RegisterScalableTarget drops
    its ``Tags``: Terraform reads a scalable target's tags after registering it (the
    provider's default tags) and retries the failing call until it times out."""
    import json

    import moto.applicationautoscaling.responses as autoscaling
    from moto.core.exceptions import JsonRESTError

    response = autoscaling.ApplicationAutoScalingResponse
    register_scalable_target = response.register_scalable_target

    def tags_of(self: Any, arn: str) -> dict[str, str]:
        backend = self.applicationautoscaling_backend
        for targets in backend.targets.values():
            for target in targets.values():
                if target.arn == arn:
                    if not hasattr(target, "tags"):
                        target.tags = {}
                    found: dict[str, str] = target.tags
                    return found
        raise JsonRESTError("ResourceNotFoundException", f"No scalable target found: {arn}")

    def register_keeping_tags(self: Any) -> str:
        result: str = register_scalable_target(self)
        tags_of(self, json.loads(result)["ScalableTargetARN"]).update(self._get_param("Tags") or {})
        return result

    def tag_resource(self: Any) -> str:
        tags_of(self, self._get_param("ResourceARN")).update(self._get_param("Tags") or {})
        return "{}"

    def untag_resource(self: Any) -> str:
        tags = tags_of(self, self._get_param("ResourceARN"))
        for key in self._get_param("TagKeys") or []:
            tags.pop(key, None)
        return "{}"

    def list_tags_for_resource(self: Any) -> str:
        return json.dumps({"Tags": tags_of(self, self._get_param("ResourceARN"))})

    response.register_scalable_target = register_keeping_tags  # type: ignore[method-assign]
    response.tag_resource = tag_resource  # type: ignore[attr-defined]
    response.untag_resource = untag_resource  # type: ignore[attr-defined]
    response.list_tags_for_resource = list_tags_for_resource  # type: ignore[attr-defined]


def ecr_pull_through_cache_rules() -> None:
    """No CreatePullThroughCacheRule / DescribePullThroughCacheRules /
    DeletePullThroughCacheRule: prod's private tasks pull ECR Public through such a rule."""
    import datetime

    import moto.ecr.responses as ecr
    from moto.core.responses import ActionResult

    def rules(self: Any) -> dict[str, dict[str, Any]]:
        backend = self.ecr_backend
        if not hasattr(backend, "pull_through_cache_rules"):
            backend.pull_through_cache_rules = {}
        found: dict[str, dict[str, Any]] = backend.pull_through_cache_rules
        return found

    def create_rule(self: Any) -> ActionResult:
        prefix = self._get_param("ecrRepositoryPrefix")
        rule = {
            "ecrRepositoryPrefix": prefix,
            "upstreamRegistryUrl": self._get_param("upstreamRegistryUrl"),
            "createdAt": datetime.datetime.now(datetime.UTC),
            "registryId": self.current_account,
        }
        rules(self)[prefix] = rule
        return ActionResult(rule)

    def describe_rules(self: Any) -> ActionResult:
        wanted = self._get_param("ecrRepositoryPrefixes") or list(rules(self))
        return ActionResult(
            {"pullThroughCacheRules": [rules(self)[p] for p in wanted if p in rules(self)]}
        )

    def delete_rule(self: Any) -> ActionResult:
        return ActionResult(rules(self).pop(self._get_param("ecrRepositoryPrefix")))

    ecr.ECRResponse.create_pull_through_cache_rule = create_rule  # type: ignore[attr-defined]
    ecr.ECRResponse.describe_pull_through_cache_rules = describe_rules  # type: ignore[attr-defined]
    ecr.ECRResponse.delete_pull_through_cache_rule = delete_rule  # type: ignore[attr-defined]


def elbv2_listeners_take_only_issued_certificates() -> None:
    """CreateListener, ModifyListener and AddListenerCertificates refuse an ACM certificate
    that is not ISSUED yet (UnsupportedCertificate), which is why a listener must take the
    ARN from ``aws_acm_certificate_validation``; moto takes any existing certificate, so a
    listener wired to the unvalidated certificate would pass here and fail on AWS."""
    import moto.elbv2.responses as elbv2
    from moto.acm.models import acm_backends
    from moto.elbv2.exceptions import ELBClientError

    response = elbv2.ELBV2Response

    def taking_only_issued_certificates(call: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def checked(self: Any) -> Any:
            acm = acm_backends[self.current_account][self.region]
            for certificate in self._get_param("Certificates") or ():
                arn = certificate.get("CertificateArn")
                if arn in acm._certificates and acm.get_certificate(arn).status != "ISSUED":
                    raise ELBClientError(
                        "UnsupportedCertificate",
                        f"The certificate '{arn}' must have a fully-qualified domain name, "
                        "a supported signature, and a supported key size.",
                    )
            return call(self)

        return checked

    for action in ("create_listener", "modify_listener", "add_listener_certificates"):
        setattr(response, action, taking_only_issued_certificates(getattr(response, action)))


def acm_certificates_in_use_by_load_balancers() -> None:
    """DescribeCertificate lists in ``InUseBy`` the load balancers whose listeners serve the
    certificate, and DeleteCertificate refuses one in use (ResourceInUseException). moto
    records the listener's ARN when a listener is created, keeps it after the listener is
    gone, and deletes certificates still served: a replacement without
    ``create_before_destroy`` would pass here and fail on AWS."""
    import moto.acm.models as acm
    from moto.core.exceptions import JsonRESTError
    from moto.elbv2.models import elbv2_backends

    def load_balancers_serving(certificate: Any) -> list[str]:
        region, account = certificate.arn.split(":")[3:5]
        return sorted(
            balancer.arn
            for balancer in elbv2_backends[account][region].load_balancers.values()
            if any(certificate.arn in each.certificates for each in balancer.listeners.values())
        )

    delete_certificate = acm.AWSCertificateManagerBackend.delete_certificate

    def delete_unless_in_use(self: Any, arn: str) -> None:
        users = load_balancers_serving(self.get_certificate(arn))
        if users:
            raise JsonRESTError(
                "ResourceInUseException", f"Certificate {arn} in use by {', '.join(users)}"
            )
        delete_certificate(self, arn)

    # moto's own records (listener ARNs, written in __init__ and on CreateListener) are
    # dropped: the load balancers are read from the listeners as they are now.
    acm.CertBundle.in_use_by = property(load_balancers_serving, lambda *_: None)  # type: ignore[assignment]
    acm.AWSCertificateManagerBackend.delete_certificate = delete_unless_in_use  # type: ignore[method-assign]


def route53_hosted_zone_ids_start_with_z() -> None:
    """CreateHostedZone answers ids like ``Z1PA6795UKMFR9`` or ``Z0123456789ABCDEFGHIJ``: a
    Z, then letters and digits. moto draws 22 letters and digits, so most of its ids lack
    the Z and the stack's settings refuse them as a ``hosted_zone_id``."""
    import moto.route53.models as route53
    from moto.moto_api._internal import mock_random  # moto's seedable random
    from moto.utilities.id_generator import moto_id

    def zone_id(*_: Any, **__: Any) -> str:
        choices = route53.ROUTE53_ID_CHOICE
        return "Z" + "".join(mock_random.choice(choices) for _ in range(20))

    # moto_id keeps moto's custom ids (set through its API or a tag) before drawing one.
    route53.create_route53_zone_id = moto_id(zone_id)


def s3_bucket_notification_returns_eventbridge() -> None:
    """GetBucketNotificationConfiguration leaves out ``EventBridgeConfiguration`` although
    PutBucketNotificationConfiguration kept it: a promoted environment's hand-off bucket
    would seem to send no events, and every plan would turn them on again."""
    import moto.s3.responses as s3
    from moto.core.responses import ActionResult

    get_bucket_notification = s3.S3Response.get_bucket_notification

    def get_bucket_notification_with_eventbridge(self: Any) -> Any:
        configuration = self.backend.get_bucket_notification_configuration(self.bucket_name)
        if configuration is None or configuration.event_bridge is None:
            return get_bucket_notification(self)
        serialized = self.serialized  # one response object per request: safe to shadow

        def with_eventbridge(result: ActionResult) -> Any:
            answer: dict[str, Any] = result.result  # type: ignore[assignment]
            # AWS answers an empty <EventBridgeConfiguration/> when the bucket sends events.
            return serialized(ActionResult({**answer, "EventBridgeConfiguration": {}}))

        self.serialized = with_eventbridge
        try:
            return get_bucket_notification(self)
        finally:
            del self.serialized

    s3.S3Response.get_bucket_notification = get_bucket_notification_with_eventbridge  # type: ignore[method-assign]


def events_test_event_pattern() -> None:
    """TestEventPattern answers nothing (moto leaves it unimplemented): whether a rule's
    pattern matches an event can only be asked of the matcher moto routes events with."""
    import json

    import moto.events.responses as events
    from moto.events.models import EventPattern

    def test_event_pattern(self: Any) -> str:
        pattern = EventPattern.load(self._get_param("EventPattern"))
        event = json.loads(self._get_param("Event"))
        return json.dumps({"Result": pattern.matches_event(event)})

    events.EventsHandler.test_event_pattern = test_event_pattern  # type: ignore[method-assign,assignment]


def elbv2_deletion_protection_refuses_delete() -> None:
    """DeleteLoadBalancer deletes a load balancer with ``deletion_protection.enabled``, which
    AWS refuses (OperationNotPermitted): prod's ``destroy`` would pass here and fail on AWS."""
    import moto.elbv2.responses as elbv2
    from moto.elbv2.exceptions import ELBClientError

    delete_load_balancer = elbv2.ELBV2Response.delete_load_balancer

    def delete_unless_protected(self: Any) -> Any:
        arn = self._get_param("LoadBalancerArn")
        balancer = self.elbv2_backend.load_balancers.get(arn)
        if balancer is not None and balancer.attrs.get("deletion_protection.enabled") == "true":
            raise ELBClientError(
                "OperationNotPermitted",
                f"Load balancer '{arn}' cannot be deleted because deletion protection is enabled",
            )
        return delete_load_balancer(self)

    elbv2.ELBV2Response.delete_load_balancer = delete_unless_protected  # type: ignore[method-assign]


def s3_bucket_policy_conditions_on_secure_transport() -> None:
    """Object requests meet a bucket policy's Deny whatever its ``Condition``: moto evaluates
    only StringEquals, and without the request's context keys, so every bucket of the stack
    (``DenyInsecureTransport``: Deny when ``aws:SecureTransport`` is false) refuses every
    object request. Evaluated here as AWS does for the stack's clients, which all speak TLS
    (the emulator's loopback HTTP stands in for AWS's HTTPS endpoints): a statement whose
    ``Bool`` condition on ``aws:SecureTransport`` excludes ``true`` does not apply."""
    import json

    import moto.s3.models as s3
    from moto.iam.access_control import IAMPolicy, PermissionResult

    def applies_over_tls(statement: dict[str, Any]) -> bool:
        for operator, keys in statement.get("Condition", {}).items():
            if operator not in ("Bool", "BoolIfExists"):
                continue
            for key, expected in keys.items():
                values = expected if isinstance(expected, list) else [expected]
                if key.lower() == "aws:securetransport" and "true" not in (
                    str(value).lower() for value in values
                ):
                    return False
        return True

    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        policy = json.loads(self.policy)
        statements = policy["Statement"]
        listed = statements if isinstance(statements, list) else [statements]
        kept = [statement for statement in listed if applies_over_tls(statement)]
        if not kept:
            return PermissionResult.NEUTRAL
        return IAMPolicy(json.dumps({**policy, "Statement": kept})).is_action_permitted(
            action, resource
        )

    s3.FakeBucket.get_permission = get_permission  # type: ignore[method-assign]


PATCHES = (
    ecr_pull_through_cache_rules,
    codebuild_pipeline_projects_need_no_location,
    codebuild_delete_project_by_arn,
    codepipeline_metadata_timestamps_as_epoch,
    codedeploy_deletes_groups_and_applications,
    codedeploy_returns_alarm_configuration,
    ecs_service_keeps_dropped_settings,
    ecs_tasks_take_task_level_memory,
    ec2_group_rule_descriptions,
    application_autoscaling_tags_scalable_targets,
    elbv2_listeners_take_only_issued_certificates,
    acm_certificates_in_use_by_load_balancers,
    route53_hosted_zone_ids_start_with_z,
    s3_bucket_notification_returns_eventbridge,
    s3_bucket_policy_conditions_on_secure_transport,
    events_test_event_pattern,
    elbv2_deletion_protection_refuses_delete,
)


def apply() -> None:
    """Apply every patch, once: the marker lives on moto, which the patches change."""
    import moto

    if not getattr(moto, "_ecs_blue_green_patched", False):
        for patch in PATCHES:
            patch()
        moto._ecs_blue_green_patched = True  # type: ignore[attr-defined]
