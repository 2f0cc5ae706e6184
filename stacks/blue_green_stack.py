"""One environment's stack: network, ALB with blue/green target groups, Fargate service, the
alarms that roll a release back and the pipeline that releases it.

``deployment.engine`` is read here only: every construct gets the same value, so switching
between CodeDeploy and ECS-native blue/green is one setting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from constructs import Construct

from constructs_lib import (
    AccessLogs,
    AlbBlueGreen,
    AlbBlueGreenProps,
    CodeDeployPipeline,
    CodeDeployPipelineProps,
    DnsAlias,
    DnsAliasProps,
    DnsValidatedCertificate,
    DnsValidatedCertificateProps,
    FargateService,
    FargateServiceProps,
    NativeRelease,
    NetworkConstruct,
    NetworkProps,
    ReleaseAlarms,
    ReleaseAlarmsProps,
    ServiceAutoscaling,
    ServiceAutoscalingProps,
    VerificationHook,
    VerificationHookProps,
    VpcEndpoints,
    VpcEndpointsProps,
    engines,
)
from constructs_lib import bindings as aws
from constructs_lib.bindings import Fn, LocalBackend, S3Backend, TerraformOutput, TerraformStack
from constructs_lib.container_spec import ContainerSpec, TaskSpec
from constructs_lib.fargate_service import (
    ImagePuller,
    ImageSource,
    execution_role_name,
    repository_name,
)
from constructs_lib.pipeline_kit import PIPELINE_ROLE, role_name
from constructs_lib.promotion_pipeline import PromotionPipeline, PromotionPipelineProps
from constructs_lib.release_handoff import (
    HandoffDestination,
    Publisher,
    handoff_bucket_name,
    handoff_key,
)
from constructs_lib.release_spec import traffic_shift
from constructs_lib.vpc_endpoints import TASK_SERVICES
from stacks.promotion import Promotion, cross_account
from stacks.settings import Settings
from stacks.workload import APP, workload_task

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class BlueGreenStack(TerraformStack):
    """Composes the constructs from one environment's settings; knows no AWS details itself."""

    def __init__(
        self, scope: Construct, settings: Settings, promotion: Promotion | None = None
    ) -> None:
        super().__init__(scope, settings.stack_name)
        self.settings = settings
        self._partition: aws.DataAwsPartition | None = None
        if promotion is None and settings.pipeline.promote_from is not None:
            raise ValueError(
                f"{settings.stack_name} promotes from {settings.pipeline.promote_from}: give "
                "it its Promotion (stacks.promotion.plan_promotions over every environment)"
            )
        self.promotion = promotion or Promotion(
            source=None, image_home=settings, targets=(), pullers=()
        )
        name = settings.stack_name
        aws.AwsProvider(
            self,
            "aws",
            region=settings.region,
            # Applying with another account's credentials fails before anything changes.
            allowed_account_ids=[settings.account_id] if settings.account_id else None,
            default_tags=[aws.AwsProviderDefaultTags(tags=self.default_tags())],
        )
        self._backend()
        # The account the stack's own ARNs name (resolved at plan time, never hard-coded).
        self.account_id: str = aws.DataAwsCallerIdentity(self, "account").account_id

        net = settings.network
        self.network = NetworkConstruct(
            self,
            "network",
            NetworkProps(
                name_prefix=name,
                vpc_cidr=net.vpc_cidr,
                az_count=net.az_count,
                subnet_prefix_length=net.subnet_prefix_length,
                public_subnet_cidrs=net.public_subnet_cidrs,
                private_subnet_cidrs=net.private_subnet_cidrs,
                nat_gateways=net.nat_gateways if net.task_placement == "private-nat" else "none",
                flow_log_retention_days=net.flow_log_retention_days or None,
                zone_ids=net.zone_ids,
            ),
        )
        public_tasks = net.task_placement == "public"
        lb = settings.load_balancer
        svc = settings.service
        deploy = settings.deployment
        engine = deploy.engine
        # The one place the engine is chosen: every construct gets its name, and the engine
        # says where the release's alarms and hook go (the pipeline's or the service's).
        self.engine = engines.engine(engine)
        self.certificate = self._certificate()
        self.alb = AlbBlueGreen(
            self,
            "alb",
            AlbBlueGreenProps(
                name_prefix=name,
                vpc_id=self.network.vpc_id,
                vpc_cidr_block=self.network.vpc_cidr_block,
                subnet_ids=self.network.public_subnet_ids,
                target_port=svc.proxy_port,
                production_port=lb.production_port,
                test_port=lb.test_port,
                production_ingress_cidrs=lb.production_ingress_cidrs,
                test_ingress_cidrs=lb.test_ingress_cidrs,
                deregistration_delay_seconds=lb.deregistration_delay_seconds,
                health_check=lb.health_check,
                deletion_protection=lb.deletion_protection,
                idle_timeout_seconds=lb.idle_timeout_seconds,
                certificate_arn=(
                    self.certificate.certificate_arn if self.certificate else lb.certificate_arn
                ),
                # With a domain the verification hook knows the name to check the test
                # listener's certificate against.
                test_listener_tls=self.certificate is not None,
                ssl_policy=lb.ssl_policy,
                http_redirect_port=lb.http_redirect_port,
                access_logs=(
                    AccessLogs(region=settings.region, retention_days=lb.access_log_retention_days)
                    if lb.access_log_retention_days
                    else None
                ),
                engine=engine,
            ),
        )
        self.domain = self._domain()
        # Before the service: with engine "ecs" the alarms and the hook are the service's.
        self.alarms = self._release_alarms()
        self.hook = self._verification_hook()
        task = workload_task(svc)
        self.service = FargateService(
            self,
            "service",
            FargateServiceProps(
                name_prefix=name,
                region=settings.region,
                vpc_id=self.network.vpc_id,
                # "public" is the seed's layout: tasks with public IPs reach ECR and Logs
                # through the internet gateway. Otherwise: private subnets, and NAT or
                # endpoints (below) for those APIs.
                subnet_ids=(
                    self.network.public_subnet_ids
                    if public_tasks
                    else self.network.private_subnet_ids
                ),
                assign_public_ip=public_tasks,
                task=task,
                target_group_arn=self.alb.blue_target_group.arn,
                load_balancer_security_group_id=self.alb.security_group_id,
                listeners=self.alb.listeners,
                desired_count=svc.desired_count,
                health_check_grace_period_seconds=svc.health_check_grace_period_seconds,
                container_insights=svc.container_insights,
                log_retention_days=svc.log_retention_days,
                ecr_images_to_keep=svc.ecr_images_to_keep,
                ecr_force_delete=svc.ecr_force_delete,
                # With autoscaling the service's desired_count is the autoscaler's.
                autoscaled=settings.autoscaling.enabled,
                # Endpoints reach the account's registry only, not ECR Public.
                mirror_public_images=net.task_placement == "private-endpoints",
                engine=engine,
                native_release=self._native_release(),
                secrets_kms_key_arns=svc.secrets_kms_key_arns,
                image_source=self._image_source(),
                image_pullers=self._image_pullers(),
            ),
        )
        self.autoscaling = self._autoscaling()
        self.pipeline = self._pipeline(task)
        self.endpoints = self._endpoints()
        # The first tasks pull their images as they start: through NAT or the endpoints.
        self.service.start_after(
            *self.network.egress_ready, *(self.endpoints.ready if self.endpoints else ())
        )
        self._outputs()

    def _pipeline(self, task: TaskSpec) -> CodeDeployPipeline | PromotionPipeline:
        """A building pipeline (GitHub, build, deploy), or one releasing what the
        environment promoted from released."""
        settings = self.settings
        pipe = settings.pipeline
        release: dict[str, Any] = {
            "name_prefix": settings.stack_name,
            "region": settings.region,
            "build_compute_type": pipe.build_compute_type,
            "build_timeout_minutes": pipe.build_timeout_minutes,
            "task": task,
            "primary_container": APP,
            "service": self.service.release_target,
            "traffic": self.alb.traffic_routes,
            "engine": self.engine.name,
            "deployment_config": settings.deployment.config,
            "ready_wait_minutes": settings.deployment.ready_wait_minutes,
            "termination_wait_minutes": settings.deployment.termination_wait_minutes,
            "alarm_names": self.engine.inputs.pipeline_alarm_names(
                self.alarms.alarm_names if self.alarms else ()
            ),
            "hooks": self.hook.hooks if self.hook else {},
            "log_retention_days": settings.service.log_retention_days,
            "artifact_expiry_days": pipe.artifact_expiry_days,
            "artifact_force_destroy": pipe.artifact_force_destroy,
            **self._approval_and_handoffs(),
        }
        source = self.promotion.source
        if source is None:
            return CodeDeployPipeline(
                self,
                "pipeline",
                CodeDeployPipelineProps(
                    repository=pipe.repository,
                    branch=pipe.branch,
                    file_path_filters=pipe.file_paths,
                    connection_arn=pipe.connection_arn,
                    buildspec_path=pipe.buildspec_path,
                    **release,
                ),
            )
        home = self.promotion.image_home.pipeline
        return PromotionPipeline(
            self,
            "pipeline",
            PromotionPipelineProps(
                source_name_prefix=source.stack_name,
                # The building environment's release build, run here without its build.
                release_buildspec=(PROJECT_ROOT / home.buildspec_path).read_text(),
                publisher=(
                    Publisher(
                        account_id=str(source.account_id),
                        role_arn=self._role_arn(
                            source, role_name(source.stack_name, PIPELINE_ROLE)
                        ),
                    )
                    if cross_account(source, settings)
                    else None
                ),
                **release,
            ),
        )

    def _approval_and_handoffs(self) -> dict[str, Any]:
        pipe = self.settings.pipeline
        return {
            "manual_approval": pipe.approval == "manual",
            "approval_emails": pipe.approval_emails,
            "publish_to": [
                HandoffDestination(
                    environment=target.environment,
                    bucket_name=(
                        bucket := handoff_bucket_name(
                            target.stack_name, target.region, self._account_of(target)
                        )
                    ),
                    bucket_arn=f"arn:{self.partition.partition}:s3:::{bucket}",
                    object_key=handoff_key(self.settings.stack_name),
                )
                for target in self.promotion.targets
            ],
        }

    def _image_source(self) -> ImageSource | None:
        """A promoted environment runs the images of the environment that builds them."""
        home = self.promotion.image_home
        if home is self.settings:
            return None
        account = self._account_of(home)
        registry = f"{account}.dkr.ecr.{home.region}.{self.partition.dns_suffix}"
        names = {c.name: repository_name(home.stack_name, c.name) for c in self._containers()}
        return ImageSource(
            repository_urls={c: f"{registry}/{repo}" for c, repo in names.items()},
            repository_arns={
                c: f"arn:{self.partition.partition}:ecr:{home.region}:{account}:repository/{repo}"
                for c, repo in names.items()
            },
        )

    def _image_pullers(self) -> list[ImagePuller]:
        """Environments of other accounts running this one's images: their task execution
        roles may pull (same-account ones need no grant here: their own policy does)."""
        pullers = [p for p in self.promotion.pullers if cross_account(p, self.settings)]
        return [
            ImagePuller(
                account_id=str(p.account_id),
                role_arns=[self._role_arn(p, execution_role_name(p.stack_name))],
            )
            for p in pullers
        ]

    def _containers(self) -> tuple[ContainerSpec, ...]:
        return workload_task(self.settings.service).containers

    def _account_of(self, other: Settings) -> str:
        """Another environment's account: its ``account_id``, else this one's (validated:
        environments that promote between them both set it, or share the account)."""
        return other.account_id or self.account_id

    def _role_arn(self, other: Settings, name: str) -> str:
        return f"arn:{self.partition.partition}:iam::{self._account_of(other)}:role/{name}"

    @property
    def partition(self) -> aws.DataAwsPartition:
        """The partition, looked up once (its first use places it in the stack)."""
        if self._partition is None:
            self._partition = aws.DataAwsPartition(self, "partition")
        return self._partition

    def _certificate(self) -> DnsValidatedCertificate | None:
        """With ``load_balancer.domain_name``: the listeners' certificate, made and
        DNS-validated here (else the user's ``certificate_arn``, or plain HTTP)."""
        lb = self.settings.load_balancer
        if lb.domain_name is None or lb.hosted_zone_id is None:
            return None
        return DnsValidatedCertificate(
            self,
            "certificate",
            DnsValidatedCertificateProps(
                domain_name=lb.domain_name, hosted_zone_id=lb.hosted_zone_id
            ),
        )

    def _domain(self) -> DnsAlias | None:
        """The certificate's name points at the ALB (IPv4: the ALB is not dual-stack)."""
        certificate = self.certificate
        if certificate is None:
            return None
        return DnsAlias(
            self,
            "domain",
            DnsAliasProps(
                name=certificate.domain_name,
                hosted_zone_id=certificate.hosted_zone_id,
                target_dns_name=self.alb.dns_name,
                target_hosted_zone_id=self.alb.canonical_hosted_zone_id,
            ),
        )

    def _native_release(self) -> NativeRelease | None:
        """Engine "ecs": ECS shifts the traffic, runs the hook, holds the release for a
        go-ahead (the ready wait's pause hook) and watches the alarms."""
        deploy = self.settings.deployment
        return self.engine.inputs.native_release(
            traffic=self.alb.traffic_routes,
            shift=traffic_shift(deploy.config),
            bake_time_minutes=deploy.termination_wait_minutes,
            ready_wait_minutes=deploy.ready_wait_minutes,
            hook_function_arns=(self.hook.function_arn,) if self.hook else (),
            alarm_names=self.alarms.alarm_names if self.alarms else (),
        )

    def _verification_hook(self) -> VerificationHook | None:
        verification = self.settings.verification
        if not verification.enabled:
            return None
        name = self.settings.stack_name
        behind_nat = self.settings.network.task_placement == "private-nat"
        partition = self.partition.partition
        runner = self.engine.hook
        # What the hook reports on (the deployment group) or reads (the service), by name.
        target = runner.release_target_arn(
            partition=partition,
            region=self.settings.region,
            account=self.account_id,
            name_prefix=name,
        )
        return VerificationHook(
            self,
            "verification-hook",
            VerificationHookProps(
                name_prefix=name,
                region=self.settings.region,
                vpc_id=self.network.vpc_id,
                subnet_ids=self.network.private_subnet_ids,
                load_balancer_arn_suffix=self.alb.load_balancer_arn_suffix,
                load_balancer_dns_name=self.alb.dns_name,
                test_port=self.settings.load_balancer.test_port,
                test_host_name=self.settings.load_balancer.domain_name,
                load_balancer_security_group_id=self.alb.security_group_id,
                # Behind NAT the APIs are on the internet; otherwise interface endpoints in
                # the VPC serve them (see _endpoints).
                api_egress_cidr="0.0.0.0/0" if behind_nat else self.network.vpc_cidr_block,
                engine=self.engine.name,
                **{runner.release_target[0]: target},
                probes=verification.probes,
                version_container=APP,
                deadline_seconds=verification.deadline_seconds,
                interval_seconds=verification.interval_seconds,
                request_timeout_seconds=verification.request_timeout_seconds,
                required_passes=verification.required_passes,
                log_retention_days=self.settings.service.log_retention_days,
            ),
        )

    def _endpoints(self) -> VpcEndpoints | None:
        """Interface endpoints for whatever runs in the private subnets without NAT: the
        tasks (private-endpoints) and the verification hook (unless behind NAT)."""
        placement = self.settings.network.task_placement
        if placement == "private-nat":
            return None
        services: list[str] = []
        clients: list[str] = []
        if placement == "private-endpoints":
            # Secrets are read by the ECS agent for the task, through the task's network.
            services += (*TASK_SERVICES, *self.service.secret_stores)
            clients.append(self.service.security_group_id)
        if self.hook:
            services += self.engine.hook.api_services
            clients.append(self.hook.security_group_id)
        if not services:
            return None
        return VpcEndpoints(
            self,
            "endpoints",
            VpcEndpointsProps(
                name_prefix=self.settings.stack_name,
                region=self.settings.region,
                vpc_id=self.network.vpc_id,
                subnet_ids=self.network.private_subnet_ids,
                # ECR keeps image layers in S3: tasks reach it through the gateway endpoint.
                route_table_ids=(
                    self.network.private_route_table_ids if placement == "private-endpoints" else ()
                ),
                interface_services=services,
                client_security_group_ids=clients,
            ),
        )

    def _autoscaling(self) -> ServiceAutoscaling | None:
        autoscaling = self.settings.autoscaling
        if not autoscaling.enabled:
            return None
        return ServiceAutoscaling(
            self,
            "autoscaling",
            ServiceAutoscalingProps(
                name_prefix=self.settings.stack_name,
                cluster_name=self.service.cluster_name,
                service_name=self.service.service_name,
                load_balancer_arn_suffix=self.alb.load_balancer_arn_suffix,
                target_group_arn_suffixes=self.alb.target_group_arn_suffixes,
                rules=autoscaling.rules,
            ),
        )

    def _release_alarms(self) -> ReleaseAlarms | None:
        alarms = self.settings.alarms
        if not alarms.enabled:
            return None
        return ReleaseAlarms(
            self,
            "release-alarms",
            ReleaseAlarmsProps(
                name_prefix=self.settings.stack_name,
                load_balancer_arn_suffix=self.alb.load_balancer_arn_suffix,
                target_group_arn_suffixes=self.alb.target_group_arn_suffixes,
                thresholds=alarms.thresholds,
            ),
        )

    def default_tags(self) -> dict[str, str]:
        s = self.settings
        return {"Project": s.project, "Environment": s.environment, "ManagedBy": "cdktf", **s.tags}

    def _backend(self) -> None:
        backend = self.settings.backend
        if backend.kind == "s3":
            S3Backend(
                self,
                bucket=backend.bucket or "",
                key=backend.key or "",
                region=backend.region or self.settings.region,
                encrypt=True,
            )
            # cdktf 0.21's S3Backend predates S3-native locking (Terraform >= 1.10).
            self.add_override("terraform.backend.s3.use_lockfile", backend.use_lockfile)
        else:
            # Relative to cdktf.out/stacks/<stack>/ where Terraform runs: the state file lands
            # in the project root, and nothing machine-specific enters the synthesized JSON.
            LocalBackend(self, path=f"../../../terraform.{self.settings.stack_name}.tfstate")

    def _outputs(self) -> None:
        lb = self.settings.load_balancer
        dns = self.alb.dns_name
        # With a domain, the URLs name it: its certificate is what both listeners present.
        host = lb.domain_name or dns
        outputs = {
            "alb_dns_name": (dns, "DNS name of the load balancer"),
            "production_url": (
                _url(
                    host,
                    lb.production_port,
                    tls=self.certificate is not None or lb.certificate_arn is not None,
                ),
                "Production listener",
            ),
            "test_url": (
                _url(host, lb.test_port, tls=self.certificate is not None),
                "Test listener (green side during a release; reachable only from the VPC "
                "and load_balancer.test_ingress_cidrs)",
            ),
            "ecs_cluster_name": (self.service.cluster_name, "ECS cluster"),
            "ecs_service_name": (self.service.service_name, "ECS service"),
            "task_family": (self.service.task_family, "Task definition family"),
        }
        for container, url in self.service.repository_urls.items():
            outputs[f"ecr_{container}_repository_url"] = (url, f"ECR repository of {container}")
        outputs |= self._pipeline_outputs()
        if self.pipeline.application_name and self.pipeline.deployment_group_name:
            outputs["codedeploy_application"] = (
                self.pipeline.application_name,
                "CodeDeploy application",
            )
            outputs["codedeploy_deployment_group"] = (
                self.pipeline.deployment_group_name,
                "CodeDeploy deployment group",
            )
        else:
            outputs["deployment_engine"] = (
                "ecs",
                "ECS-native blue/green: the service runs each release itself (aws ecs "
                "list-service-deployments shows them)",
            )
        if self.hook:
            outputs["verification_hook_function"] = (
                self.hook.function_name,
                "Lambda that verifies the test listener before production moves (its logs "
                "say why a release was rolled back)",
            )
        if self.alarms:
            outputs["rollback_alarms"] = (
                Fn.join(",", list(self.alarms.alarm_names)),
                "CloudWatch alarms that stop and roll back a release",
            )
        if self.autoscaling:
            scaling = self.autoscaling
            outputs["autoscaling_policies"] = (
                Fn.join(",", list(scaling.policy_names)),
                f"Target-tracking policies keeping the service at {scaling.min_count}-"
                f"{scaling.max_count} tasks (Terraform ignores its desired_count)",
            )
        if self.certificate:
            outputs["certificate_arn"] = (
                self.certificate.certificate_arn,
                f"ACM certificate of {self.certificate.domain_name} (DNS-validated, renewed "
                "by ACM)",
            )
        if self.alb.access_log_bucket:
            outputs["access_log_bucket"] = (self.alb.access_log_bucket.bucket_name, "ALB logs")
        for key, (value, description) in outputs.items():
            TerraformOutput(self, key, value=value, description=description, static_id=True)

    def _pipeline_outputs(self) -> dict[str, tuple[str, str]]:
        region = self.settings.region
        pipeline = self.pipeline
        url = (
            f"https://{region}.console.aws.amazon.com/codesuite/codepipeline/pipelines/"
            f"{pipeline.pipeline_name}/view?region={region}"
        )
        outputs = {
            "pipeline_name": (pipeline.pipeline_name, "Release pipeline"),
            "pipeline_url": (url, "Release pipeline in the console"),
        }
        if isinstance(pipeline, CodeDeployPipeline):
            outputs |= {
                "codeconnection_arn": (pipeline.connection_arn, "GitHub connection"),
                "codeconnection_activation": (
                    "One manual step before the first release: open "
                    f"https://{region}.console.aws.amazon.com/codesuite/settings/connections"
                    f"?region={region}, choose this connection, 'Update pending connection' "
                    "and authorize the GitHub app for the repository "
                    f"{self.settings.pipeline.repository} (a connection created by Terraform "
                    "starts PENDING).",
                    "What to do once after the first deploy",
                ),
            }
        else:
            source = self.settings.pipeline.promote_from
            outputs |= {
                "promoted_from": (
                    str(source),
                    f"Releases what {source} released successfully, by image digest",
                ),
                "handoff_bucket": (
                    pipeline.handoff_bucket_name,
                    f"Where {source}'s pipeline hands its releases off (each version a "
                    "release that can be redeployed)",
                ),
            }
        outputs["artifact_bucket"] = (pipeline.artifact_bucket_name, "Pipeline artifacts")
        if pipeline.approval:
            outputs["approval_url"] = (
                url,
                "Where a person approves or rejects the release waiting in the Approval "
                "stage (SNS topic: approval_topic)",
            )
            outputs["approval_topic"] = (
                pipeline.approval.topic_arn,
                "SNS topic announcing each release waiting for approval",
            )
        return outputs


def _url(host: str, port: int, *, tls: bool = False) -> str:
    scheme, default_port = ("https", 443) if tls else ("http", 80)
    return f"{scheme}://{host}" if port == default_port else f"{scheme}://{host}:{port}"
