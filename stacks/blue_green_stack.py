"""One environment's stack: network, ALB with blue/green target groups, Fargate service, the
alarms that roll a release back and the pipeline that releases it."""

from __future__ import annotations

from constructs import Construct

from constructs_lib import (
    AlbBlueGreen,
    AlbBlueGreenProps,
    CodeDeployPipeline,
    CodeDeployPipelineProps,
    FargateService,
    FargateServiceProps,
    NetworkConstruct,
    NetworkProps,
    ReleaseAlarms,
    ReleaseAlarmsProps,
)
from constructs_lib import bindings as aws
from constructs_lib.bindings import LocalBackend, S3Backend, TerraformOutput, TerraformStack
from stacks.settings import Settings
from stacks.workload import APP, workload_task


class BlueGreenStack(TerraformStack):
    """Composes the constructs from one environment's settings; knows no AWS details itself."""

    def __init__(self, scope: Construct, settings: Settings) -> None:
        super().__init__(scope, settings.stack_name)
        self.settings = settings
        name = settings.stack_name
        aws.AwsProvider(
            self,
            "aws",
            region=settings.region,
            default_tags=[aws.AwsProviderDefaultTags(tags=self.default_tags())],
        )
        self._backend()

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
            ),
        )
        lb = settings.load_balancer
        svc = settings.service
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
            ),
        )
        task = workload_task(svc)
        self.service = FargateService(
            self,
            "service",
            FargateServiceProps(
                name_prefix=name,
                region=settings.region,
                vpc_id=self.network.vpc_id,
                # The seed's layout: tasks in public subnets with public IPs pull images
                # without NAT or VPC endpoints.
                subnet_ids=self.network.public_subnet_ids,
                assign_public_ip=svc.assign_public_ip,
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
            ),
        )
        self.alarms = self._release_alarms()
        pipe = settings.pipeline
        deploy = settings.deployment
        self.pipeline = CodeDeployPipeline(
            self,
            "pipeline",
            CodeDeployPipelineProps(
                name_prefix=name,
                region=settings.region,
                repository=pipe.repository,
                branch=pipe.branch,
                file_path_filters=pipe.file_paths,
                connection_arn=pipe.connection_arn,
                buildspec_path=pipe.buildspec_path,
                build_compute_type=pipe.build_compute_type,
                build_timeout_minutes=pipe.build_timeout_minutes,
                task=task,
                primary_container=APP,
                service=self.service.release_target,
                traffic=self.alb.traffic_routes,
                deployment_config=deploy.config,
                ready_wait_minutes=deploy.ready_wait_minutes,
                termination_wait_minutes=deploy.termination_wait_minutes,
                alarm_names=self.alarms.alarm_names if self.alarms else (),
                log_retention_days=svc.log_retention_days,
                artifact_expiry_days=pipe.artifact_expiry_days,
                artifact_force_destroy=pipe.artifact_force_destroy,
            ),
        )
        self._outputs()

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
        outputs = {
            "alb_dns_name": (dns, "DNS name of the load balancer"),
            "production_url": (_url(dns, lb.production_port), "Production listener"),
            "test_url": (
                _url(dns, lb.test_port),
                "Test listener (green side during a release; reachable only from the VPC "
                "and load_balancer.test_ingress_cidrs)",
            ),
            "ecs_cluster_name": (self.service.cluster_name, "ECS cluster"),
            "ecs_service_name": (self.service.service_name, "ECS service"),
            "task_family": (self.service.task_family, "Task definition family"),
        }
        for container, url in self.service.repository_urls.items():
            outputs[f"ecr_{container}_repository_url"] = (url, f"ECR repository of {container}")
        region = self.settings.region
        pipeline = self.pipeline.pipeline_name
        outputs |= {
            "pipeline_name": (pipeline, "Release pipeline"),
            "pipeline_url": (
                f"https://{region}.console.aws.amazon.com/codesuite/codepipeline/pipelines/"
                f"{pipeline}/view?region={region}",
                "Release pipeline in the console",
            ),
            "codeconnection_arn": (self.pipeline.connection_arn, "GitHub connection"),
            "codeconnection_activation": (
                "One manual step before the first release: open "
                f"https://{region}.console.aws.amazon.com/codesuite/settings/connections"
                f"?region={region}, choose this connection, 'Update pending connection' and "
                "authorize the GitHub app for the repository "
                f"{self.settings.pipeline.repository} (a connection created by Terraform "
                "starts PENDING).",
                "What to do once after the first deploy",
            ),
            "codedeploy_application": (self.pipeline.application_name, "CodeDeploy application"),
            "codedeploy_deployment_group": (
                self.pipeline.deployment_group_name,
                "CodeDeploy deployment group",
            ),
            "artifact_bucket": (self.pipeline.artifact_bucket_name, "Pipeline artifacts"),
        }
        for key, (value, description) in outputs.items():
            TerraformOutput(self, key, value=value, description=description, static_id=True)


def _url(host: str, port: int) -> str:
    return f"http://{host}" if port == 80 else f"http://{host}:{port}"
