"""PromotionPipeline: release what another environment released successfully, by digest.

No GitHub source and no image build: the pipeline starts when the source environment's
pipeline hands a successful release off (:class:`~constructs_lib.release_handoff.ReleaseHandoff`:
its build output, with ``release.json`` naming the commit and each image's digest), waits
for a person if asked (:class:`~constructs_lib.release_approval.ReleaseApproval`), then
deploys through its own engine with its own task definition template (its cpu, memory,
counts, secrets) and the source's images pinned by digest.

The deploy stage runs two actions in order: ``Release``, the same release build the source
ran (``app/buildspec.yml``) in its promotion mode (``RELEASE_MANIFEST``: no docker, no
image push, nothing but the release files rendered from the manifest; not privileged),
then the engine's ``Deploy`` action on those files. A rollback in this environment is its
engine's (the previous release comes back); the source is never touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from constructs import Construct

from constructs_lib import bindings as aws
from constructs_lib.engines import ReleaseStage
from constructs_lib.pipeline_kit import (
    BUILD_ARTIFACT,
    ProjectSpec,
    action,
    deploy_action,
    stage,
)
from constructs_lib.release_handoff import Publisher, ReleaseHandoff, ReleaseHandoffProps
from constructs_lib.release_pipeline import ReleaseParts, ReleasePipelineProps
from constructs_lib.validation import ValidationError, check_resource_prefix

HANDOFF_ARTIFACT = "ReleaseManifest"
MANIFEST_FILE = "release.json"


@dataclass(frozen=True, kw_only=True)
class PromotionPipelineProps(ReleasePipelineProps):
    """A pipeline that releases another environment's successful releases (the release
    props: :class:`~constructs_lib.release_pipeline.ReleasePipelineProps`)."""

    source_name_prefix: str
    """The environment promoted from (its stack name): names the hand-off object."""
    release_buildspec: str
    """The text of the release build the source runs (``app/buildspec.yml``), run here in
    its promotion mode."""
    publisher: Publisher | None = None
    """The source pipeline's role, when it is in another account (None: the same one)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        check_resource_prefix("source_name_prefix", self.source_name_prefix, max_length=90)
        if self.source_name_prefix == self.name_prefix:
            raise ValidationError("source_name_prefix", "is this pipeline's own environment")
        if not self.release_buildspec.strip():
            raise ValidationError("release_buildspec", "is empty")


def terraform_literal(text: str) -> str:
    """``text`` as Terraform must receive it to keep it as written: its template sequences
    (bash's ``${VAR}``, ``%{``) escaped, so Terraform neither interpolates nor rejects them."""
    return text.replace("${", "$${").replace("%{", "%%{")


class PromotionPipeline(Construct):
    """Hand-off -> (approval) -> release files -> the engine's deploy."""

    def __init__(self, scope: Construct, id_: str, props: PromotionPipelineProps) -> None:
        super().__init__(scope, id_)
        self.props = props
        self._parts = ReleaseParts(self, props)
        self.release: ReleaseStage = self._parts.release
        self.artifacts = self._parts.artifacts
        self.handoff = ReleaseHandoff(
            self,
            "handoff",
            ReleaseHandoffProps(
                name_prefix=props.name_prefix,
                region=props.region,
                source_name_prefix=props.source_name_prefix,
                publisher=props.publisher,
                expire_after_days=props.artifact_expiry_days,
                force_destroy=props.artifact_force_destroy,
            ),
        )
        self._parts.release_files()
        self.release_spec: str | None = self.release.release_spec
        self.application_name: str | None = self.release.application_name
        self.deployment_group_name: str | None = self.release.deployment_group_name
        self.release_project = self._release_project()
        self.approval = self._parts.approval(self)
        self.pipeline = self._pipeline()
        self.handoff.trigger(self._parts.kit, self.pipeline.name, self.pipeline.arn)

        self.pipeline_name: str = self.pipeline.name
        self.pipeline_arn: str = self.pipeline.arn
        self.artifact_bucket_name: str = self.artifacts.bucket_name
        self.handoff_bucket_name: str = self.handoff.bucket_name
        self.handoff_object_key: str = self.handoff.object_key

    def release_environment(self) -> dict[str, str]:
        """The release build's inputs, and the manifest: nothing to build or test (the
        source's build ran the tests on the very same images)."""
        return {**self._parts.release_environment(), "RELEASE_MANIFEST": MANIFEST_FILE}

    def _release_project(self) -> aws.CodebuildProject:
        props = self.props
        return self._parts.kit.codebuild_project(
            "release",
            ProjectSpec(
                description=f"Renders the release files of {props.name_prefix} from a "
                f"release of {props.source_name_prefix} (no image build)",
                role_description=f"Lets CodeBuild prepare {props.name_prefix}'s releases",
                buildspec=terraform_literal(props.release_buildspec),
                environment=self.release_environment(),
                compute_type=props.build_compute_type,
                image=props.build_image,
                timeout_minutes=self._parts.release_timeout_minutes(),
                log_retention_days=props.log_retention_days,
                docker=False,
            ),
            self.artifacts.bucket_arn,
            self._parts.release_step_statements(),
        )

    def _pipeline(self) -> aws.Codepipeline:
        return self._parts.pipeline(
            self,
            description=f"Runs the {self.props.name_prefix} promotion pipeline",
            statements=self._own_statements(),
            sources=[
                stage(
                    "Source",
                    action(
                        "Source",
                        category="Source",
                        provider="S3",
                        output_artifacts=[HANDOFF_ARTIFACT],
                        configuration={
                            "S3Bucket": self.handoff.bucket_name,
                            "S3ObjectKey": self.handoff.object_key,
                            # The hand-off's EventBridge rule starts the pipeline.
                            "PollForSourceChanges": "false",
                        },
                    ),
                ),
            ],
            deploy=stage(
                "Deploy",
                action(
                    "Release",
                    category="Build",
                    provider="CodeBuild",
                    input_artifacts=[HANDOFF_ARTIFACT],
                    output_artifacts=[BUILD_ARTIFACT],
                    configuration={"ProjectName": self.release_project.name},
                    run_order=1,
                ),
                deploy_action(self.release, run_order=2),
            ),
            approval=self.approval,
        )

    def _own_statements(self) -> list[dict[str, Any]]:
        return [
            *self.handoff.source_statements(),
            self._parts.run_project_statement("RunOwnReleaseBuild", self.release_project),
        ]
