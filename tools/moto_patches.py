"""Narrow fixes for the local AWS emulator (moto 5.2) where it rejects or mis-serves valid
AWS input that this stack sends. One function per emulator defect, each named for it; the
product is never changed to please the emulator. The README lists the same gaps.

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
)


def apply() -> None:
    """Apply every patch, once: the marker lives on moto, which the patches change."""
    import moto

    if not getattr(moto, "_ecs_blue_green_patched", False):
        for patch in PATCHES:
            patch()
        moto._ecs_blue_green_patched = True  # type: ignore[attr-defined]
