"""FargateService: ECS cluster, task definition, ECR, logs, roles and a blue/green service,
released by CodeDeploy or by ECS itself (:class:`NativeRelease`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from constructs import Construct

from constructs_lib import bindings as aws
from constructs_lib.bindings import ITerraformDependable, TerraformResourceLifecycle
from constructs_lib.container_secrets import (
    SECRET_STORES,
    SecretSource,
    SecretStore,
    check_kms_key_arn,
    execution_role_statements,
    parse_secret_arn,
)
from constructs_lib.container_spec import RenderTarget, TaskSpec, render_container_definitions
from constructs_lib.engines import engine
from constructs_lib.engines.codedeploy import SERVICE_IGNORE_CHANGES
from constructs_lib.engines.ecs import NATIVE_SERVICE_IGNORE_CHANGES, NativeRelease
from constructs_lib.iam import policy_document, service_trust_policy, statement
from constructs_lib.naming import aws_name
from constructs_lib.release_spec import (
    DeploymentEngine,
    ServiceTarget,
    check_engine,
)
from constructs_lib.service_images import (
    PULL_ACTIONS,
    ImagePuller,
    ImageSource,
    OwnRepositoryProps,
    own_repository,
)
from constructs_lib.service_names import (
    execution_role_name,
    log_group_name,
    longest_release_target,
    repository_name,
    task_role_name,
)
from constructs_lib.validation import (
    ValidationError,
    check_arn,
    check_bool,
    check_cidr,
    check_int_range,
    check_log_retention,
    check_region,
    check_resource_id,
    check_resource_ids,
    check_resource_prefix,
    show,
)

# What each engine changes at run time on the service (engines/codedeploy/, engines/ecs/),
# and the ECS-native release settings, kept importable here.
__all__ = [
    "NATIVE_SERVICE_IGNORE_CHANGES",
    "SERVICE_IGNORE_CHANGES",
    "FargateService",
    "FargateServiceProps",
    "ImagePuller",
    "ImageSource",
    "NativeRelease",
    "execution_role_name",
    "log_group_name",
    "longest_release_target",
    "repository_name",
    "task_role_name",
    "validate_service_settings",
]
CONTAINER_INSIGHTS_MODES = ("disabled", "enabled", "enhanced")
BOOTSTRAP_VERSION = "bootstrap"
ECR_PUBLIC = "public.ecr.aws"
CACHE_PREFIX_MAX = 30  # ECR's limit for a pull-through cache rule's repository prefix


@dataclass(frozen=True, kw_only=True)
class FargateServiceProps:
    name_prefix: str
    """Cluster, service, family, repository and role names derive from it."""
    region: str
    """Region of the log groups (container log configuration needs it spelled out)."""
    vpc_id: str
    subnet_ids: Sequence[str]
    """Subnets the tasks run in."""
    task: TaskSpec
    """The containers: the single source of the task definition."""
    target_group_arn: str
    """Target group the service registers with first (the blue one)."""
    load_balancer_security_group_id: str
    """Security group of the ALB: the only source admitted to the service, and given the
    one egress rule it needs to reach the tasks."""
    listeners: Sequence[ITerraformDependable] = ()
    """Listeners that must exist before the service: ECS rejects a target group that is
    not yet attached to a load balancer."""
    assign_public_ip: bool = False
    """Give tasks public IPs (needed in public subnets without NAT or VPC endpoints)."""
    desired_count: int = 2
    health_check_grace_period_seconds: int = 30
    """Seconds ECS ignores failing ALB health checks of a starting task."""
    container_insights: str = "disabled"
    """``disabled``, ``enabled`` or ``enhanced``."""
    log_retention_days: int = 30
    ecr_images_to_keep: int = 20
    """Tagged images kept per repository; older ones expire."""
    ecr_force_delete: bool = False
    """Let ``destroy`` delete repositories that still hold images."""
    egress_https_cidrs: Sequence[str] = ("0.0.0.0/0",)
    """Where tasks may open HTTPS connections (image pulls, logs, AWS APIs)."""
    autoscaled: bool = False
    """Something else (Application Auto Scaling) owns ``desired_count`` after creation."""
    mirror_public_images: bool = False
    """Pull the bootstrap images from ECR Public through an ECR pull-through cache rule, for
    tasks without internet access (private subnets served by VPC endpoints only: the
    endpoints reach the account's registry, not ``public.ecr.aws``)."""
    engine: DeploymentEngine = "codedeploy"
    """``codedeploy``: a CODE_DEPLOY-controlled service. ``ecs``: ECS's own blue/green,
    configured by ``native_release``."""
    native_release: NativeRelease | None = None
    """Required with engine ``ecs``, refused otherwise."""
    secrets_kms_key_arns: Sequence[str] = ()
    """Customer managed KMS keys that encrypt the containers' secrets: the execution role
    may decrypt with them, only through Secrets Manager or SSM (``kms:ViaService``). Secrets
    under the AWS managed keys need none. Only with secrets."""
    image_source: ImageSource | None = None
    """None: one repository per container, the service's own. Else the images come from
    these repositories (the service creates none)."""
    image_pullers: Sequence[ImagePuller] = ()
    """Other accounts' roles allowed to pull from the service's own repositories."""

    def __post_init__(self) -> None:
        check_resource_prefix("name_prefix", self.name_prefix, max_length=200)
        check_region("region", self.region)
        engine(check_engine("engine", self.engine)).service_control(self.native_release)
        check_resource_id("vpc_id", self.vpc_id, "a VPC id")
        if not check_resource_ids("subnet_ids", self.subnet_ids, "a subnet id"):
            raise ValidationError("subnet_ids", "at least one subnet is needed")
        check_arn("target_group_arn", self.target_group_arn)
        check_resource_id(
            "load_balancer_security_group_id",
            self.load_balancer_security_group_id,
            "a security group id",
        )
        for name in ("assign_public_ip", "ecr_force_delete", "autoscaled", "mirror_public_images"):
            check_bool(name, getattr(self, name))
        validate_service_settings(
            desired_count=self.desired_count,
            health_check_grace_period_seconds=self.health_check_grace_period_seconds,
            container_insights=self.container_insights,
            log_retention_days=self.log_retention_days,
            ecr_images_to_keep=self.ecr_images_to_keep,
        )
        for i, cidr in enumerate(self.egress_https_cidrs):
            check_cidr(f"egress_https_cidrs[{i}]", cidr)
        self.secret_sources()
        for i, key in enumerate(self.secrets_kms_key_arns):
            check_kms_key_arn(f"secrets_kms_key_arns[{i}]", key, region=self.region)
        if self.secrets_kms_key_arns and not any(c.secrets for c in self.task.containers):
            raise ValidationError(
                "secrets_kms_key_arns", "only applies when a container has secrets"
            )
        self._check_images()

    def _check_images(self) -> None:
        source = self.image_source
        if source is not None:
            if self.image_pullers:
                raise ValidationError(
                    "image_pullers", "only for a service with its own repositories"
                )
            for c in self.task.containers:
                if c.name not in source.repository_urls:
                    raise ValidationError("image_source", f"no repository for {c.name!r}")
        for i, puller in enumerate(self.image_pullers):
            if not isinstance(puller, ImagePuller):
                raise ValidationError(
                    f"image_pullers[{i}]", f"must be an ImagePuller, got {show(puller)}"
                )

    def secret_sources(self) -> list[SecretSource]:
        """Every container's secrets, each an ARN of the service's own region and
        partition (ECS resolves them there with the execution role)."""
        return [
            parse_secret_arn(f"task.{c.name}.secrets.{name}", arn, region=self.region)
            for c in self.task.containers
            for name, arn in sorted(c.secrets.items())
        ]


def validate_service_settings(
    *,
    desired_count: object,
    health_check_grace_period_seconds: object,
    container_insights: object,
    log_retention_days: object,
    ecr_images_to_keep: object,
    field_prefix: str = "",
) -> None:
    """The rules for the user-tunable part of :class:`FargateServiceProps`; ``field_prefix``
    names the fields as the caller's user knows them."""
    f = field_prefix
    check_int_range(f"{f}desired_count", desired_count, 1, 5000)
    check_int_range(
        f"{f}health_check_grace_period_seconds", health_check_grace_period_seconds, 0, 7200
    )
    if container_insights not in CONTAINER_INSIGHTS_MODES:
        raise ValidationError(
            f"{f}container_insights",
            f"must be one of {', '.join(CONTAINER_INSIGHTS_MODES)}, got {container_insights!r}",
        )
    check_log_retention(f"{f}log_retention_days", log_retention_days)
    check_int_range(f"{f}ecr_images_to_keep", ecr_images_to_keep, 1, 1000)


class FargateService(Construct):
    """A Fargate service released blue/green by CodeDeploy or, with a :class:`NativeRelease`,
    by ECS itself (then the construct also creates the ECS infrastructure role that shifts
    the listener rules and invokes the hooks).

    The Terraform-managed task definition revision is the *bootstrap* revision (see
    :class:`~constructs_lib.container_spec.BootstrapImage`): it lets the very first apply
    reach a steady state before any image was built. Releases register new revisions of the
    same family from the same :class:`TaskSpec`.
    """

    def __init__(self, scope: Construct, id_: str, props: FargateServiceProps) -> None:
        super().__init__(scope, id_)
        self.props = props
        self._control = engine(props.engine).service_control(props.native_release)
        prefix = props.name_prefix
        partition_data = aws.DataAwsPartition(self, "partition")
        partition: str = partition_data.partition
        account = aws.DataAwsCallerIdentity(self, "account").account_id

        self.cluster = aws.EcsCluster(
            self,
            "cluster",
            name=prefix,
            setting=[
                aws.EcsClusterSetting(name="containerInsights", value=props.container_insights)
            ],
        )
        self.repositories = (
            {}
            if props.image_source
            else {
                c.name: own_repository(
                    self,
                    c.name,
                    OwnRepositoryProps(
                        name_prefix=prefix,
                        images_to_keep=props.ecr_images_to_keep,
                        force_delete=props.ecr_force_delete,
                        pullers=props.image_pullers,
                    ),
                    partition,
                )
                for c in props.task.containers
            }
        )
        """The service's own repositories (none when its images come from elsewhere)."""
        self.repository_urls: dict[str, str] = (
            dict(props.image_source.repository_urls)
            if props.image_source
            else {name: repo.repository_url for name, repo in self.repositories.items()}
        )
        self.repository_arns: dict[str, str] = (
            dict(props.image_source.repository_arns)
            if props.image_source
            else {name: repo.arn for name, repo in self.repositories.items()}
        )
        self.log_groups = {
            c.name: aws.CloudwatchLogGroup(
                self,
                f"logs-{c.name}",
                name=log_group_name(prefix, c.name),
                retention_in_days=props.log_retention_days,
            )
            for c in props.task.containers
        }
        self.public_image_cache_prefix: str | None = None
        """Repository prefix of the pull-through cache for ECR Public, when mirrored."""
        cache_rule = None
        if props.mirror_public_images:
            cache_rule = aws.EcrPullThroughCacheRule(
                self,
                "ecr-public-cache",
                ecr_repository_prefix=aws_name(prefix, "ecr-public", max_length=CACHE_PREFIX_MAX),
                upstream_registry_url=ECR_PUBLIC,
            )
            self.public_image_cache_prefix = cache_rule.ecr_repository_prefix
            self._registry = f"{account}.dkr.ecr.{props.region}.{partition_data.dns_suffix}"
        sources = props.secret_sources()
        self.secret_stores: tuple[SecretStore, ...] = tuple(
            store for store in SECRET_STORES if any(s.store == store for s in sources)
        )
        """Where the containers' secrets come from (``secretsmanager``, ``ssm``): tasks
        without internet access need an interface endpoint for each."""
        secret_statements = (
            execution_role_statements(
                sources,
                props.secrets_kms_key_arns,
                region=props.region,
                dns_suffix=partition_data.dns_suffix,
            )
            if sources
            else []
        )
        self.execution_role, execution_policy = self._execution_role(
            partition, account, secret_statements
        )
        self.task_role = aws.IamRole(
            self,
            "task-role",
            name=task_role_name(prefix),
            description=f"Identity of the {prefix} application containers",
            assume_role_policy=_ecs_tasks_trust(partition, account, props.region),
        )
        self.task_definition = self._task_definition()
        self.security_group = self._security_group()
        self.security_group_id: str = self.security_group.id

        lb_container = props.task.load_balanced
        control = self._control
        release_policy = control.release_resources(self, prefix, account)
        self.infrastructure_role: aws.IamRole | None = control.infrastructure_role
        """Engine ``ecs``: the role ECS shifts traffic and runs hooks with."""
        self.service = aws.EcsService(
            self,
            "service",
            name=prefix,
            cluster=self.cluster.arn,
            task_definition=self.task_definition.arn,
            desired_count=props.desired_count,
            launch_type="FARGATE",
            platform_version="LATEST",
            deployment_controller=aws.EcsServiceDeploymentController(type=control.controller),
            deployment_configuration=control.deployment_configuration(),
            alarms=control.alarms(),
            load_balancer=[
                aws.EcsServiceLoadBalancer(
                    target_group_arn=props.target_group_arn,
                    container_name=lb_container.name,
                    container_port=lb_container.port,
                    advanced_configuration=control.advanced_configuration(),
                )
            ],
            network_configuration=aws.EcsServiceNetworkConfiguration(
                subnets=list(props.subnet_ids),
                security_groups=[self.security_group_id],
                assign_public_ip=props.assign_public_ip,
            ),
            health_check_grace_period_seconds=props.health_check_grace_period_seconds,
            propagate_tags="SERVICE",
            enable_ecs_managed_tags=True,
            # Tasks start only once the execution role can pull and log, and the target
            # group is attached to a listener (the seed raced both).
            depends_on=[
                *props.listeners,
                execution_policy,
                *release_policy,
                *([cache_rule] if cache_rule is not None else []),
            ],
            lifecycle=TerraformResourceLifecycle(ignore_changes=list(self.ignored_changes())),
        )

        self.cluster_name: str = self.cluster.name
        self.cluster_arn: str = self.cluster.arn
        self.service_name: str = self.service.name
        self.service_id: str = self.service.id
        self.task_family: str = self.task_definition.family
        self.task_definition_arn: str = self.task_definition.arn
        self.execution_role_arn: str = self.execution_role.arn
        self.task_role_arn: str = self.task_role.arn
        self.log_group_names: dict[str, str] = {
            name: group.name for name, group in self.log_groups.items()
        }
        self.release_target = ServiceTarget(
            cluster_name=self.cluster_name,
            cluster_arn=self.cluster_arn,
            service_name=self.service_name,
            service_arn=self.service_id,
            task_family=self.task_family,
            execution_role_arn=self.execution_role_arn,
            task_role_arn=self.task_role_arn,
            subnet_ids=tuple(props.subnet_ids),
            security_group_ids=(self.security_group_id,),
            assign_public_ip=props.assign_public_ip,
            repository_urls=self.repository_urls,
            repository_arns=self.repository_arns,
            log_group_names=self.log_group_names,
        )
        """Everything a release pipeline needs to deploy to this service."""

    def ignored_changes(self) -> tuple[str, ...]:
        """Service attributes Terraform leaves to the deployer (and autoscaler)."""
        extra = ("desired_count",) if self.props.autoscaled else ()
        return self._control.ignore_changes + extra

    def _execution_role(
        self, partition: str, account: str, secret_statements: Sequence[dict[str, object]]
    ) -> tuple[aws.IamRole, aws.IamRolePolicy]:
        """The role ECS uses to pull images, ship logs and hand the containers their secrets,
        created here (the seed assumed a pre-existing ``ecsTaskExecutionRole``). The task
        role, what the application itself may do, never gets the secrets' permissions."""
        props = self.props
        role = aws.IamRole(
            self,
            "execution-role",
            name=execution_role_name(props.name_prefix),
            description=f"Lets ECS pull images and write logs for {props.name_prefix}",
            # The agent assumes this role outside any task ARN: scope it to the account only.
            assume_role_policy=service_trust_policy(
                "ecs-tasks.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": account}},
            ),
        )
        policy = aws.IamRolePolicy(
            self,
            "execution-policy",
            name="pull-images-and-write-logs",
            role=role.id,
            policy=policy_document(
                # ecr:GetAuthorizationToken has no resource-level permissions: AWS requires "*".
                statement("EcrLogin", ["ecr:GetAuthorizationToken"], ["*"]),
                statement(
                    "PullPromotedImages" if props.image_source else "PullOwnImages",
                    list(PULL_ACTIONS),
                    list(self.repository_arns.values()),
                ),
                statement(
                    "WriteOwnLogs",
                    ["logs:CreateLogStream", "logs:PutLogEvents"],
                    [f"{group.arn}:log-stream:*" for group in self.log_groups.values()],
                ),
                *self._cache_statements(partition, account),
                *secret_statements,
            ),
        )
        return role, policy

    def _cache_statements(self, partition: str, account: str) -> list[dict[str, object]]:
        """The first pull of a cached image creates its repository and imports the image from
        upstream on the caller's behalf; later pulls read it like any repository."""
        if self.public_image_cache_prefix is None:
            return []
        cached = (
            f"arn:{partition}:ecr:{self.props.region}:{account}:repository/"
            f"{self.public_image_cache_prefix}/*"
        )
        return [
            statement(
                "PullBootstrapImagesThroughCache",
                [
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:BatchImportUpstreamImage",
                    "ecr:CreateRepository",
                    "ecr:GetDownloadUrlForLayer",
                ],
                [cached],
            )
        ]

    def _task_definition(self) -> aws.EcsTaskDefinition:
        props = self.props
        task = props.task
        definitions = render_container_definitions(
            task,
            RenderTarget(
                images={c.name: self._bootstrap_image(c.bootstrap.image) for c in task.containers},
                version=BOOTSTRAP_VERSION,
                log_groups={name: group.name for name, group in self.log_groups.items()},
                region=props.region,
                bootstrap=True,
            ),
        )
        return aws.EcsTaskDefinition(
            self,
            "task",
            family=props.name_prefix,
            cpu=str(task.cpu),
            memory=str(task.memory),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform=aws.EcsTaskDefinitionRuntimePlatform(
                operating_system_family="LINUX", cpu_architecture="X86_64"
            ),
            execution_role_arn=self.execution_role.arn,
            task_role_arn=self.task_role.arn,
            container_definitions=json.dumps(definitions, sort_keys=True),
            volume=[aws.EcsTaskDefinitionVolume(name=name) for name in task.volume_names()],
            # Releases register later revisions of this family; keep this one registered
            # when Terraform replaces it, in case the service still runs it.
            skip_destroy=True,
        )

    def start_after(self, *resources: aws.TerraformResource) -> None:
        """Create the service (and so start its first tasks) only after ``resources``: what
        the tasks need from outside the construct, such as the NAT routes or the VPC
        endpoints they pull images through. Without it the first tasks can start too early
        and fail until ECS retries them."""
        names = [f"{r.terraform_resource_type}.{r.friendly_unique_id}" for r in resources]
        self.service.depends_on = [*(self.service.depends_on or []), *names]

    def _bootstrap_image(self, image: str) -> str:
        """``public.ecr.aws/<path>`` through the pull-through cache when mirrored."""
        prefix = self.public_image_cache_prefix
        if prefix is None or not image.startswith(f"{ECR_PUBLIC}/"):
            return image
        return f"{self._registry}/{prefix}/{image.removeprefix(f'{ECR_PUBLIC}/')}"

    def _security_group(self) -> aws.SecurityGroup:
        props = self.props
        port = props.task.load_balanced.port
        group = aws.SecurityGroup(
            self,
            "sg",
            name=f"{props.name_prefix}-service",
            description=f"Tasks of {props.name_prefix}: reachable only from its ALB",
            vpc_id=props.vpc_id,
            tags={"Name": f"{props.name_prefix}-service"},
        )
        group_id: str = group.id  # one read: each is a round trip to the jsii runtime
        aws.VpcSecurityGroupIngressRule(
            self,
            "ingress-from-alb",
            security_group_id=group_id,
            description="load-balanced container from the ALB",
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            referenced_security_group_id=props.load_balancer_security_group_id,
        )
        aws.VpcSecurityGroupEgressRule(
            self,
            "alb-egress-to-service",
            security_group_id=props.load_balancer_security_group_id,
            description=f"ALB to the {props.name_prefix} tasks",
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            referenced_security_group_id=group_id,
        )
        for i, cidr in enumerate(sorted(set(props.egress_https_cidrs))):
            aws.VpcSecurityGroupEgressRule(
                self,
                f"egress-https-{i}",
                security_group_id=group_id,
                description="HTTPS: image pulls, logs and AWS APIs",
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                cidr_ipv4=cidr,
            )
        return group


def _ecs_tasks_trust(partition: str, account: str, region: str) -> str:
    """Only ECS tasks of this account and region may assume the task role (confused
    deputy protection, as the ECS task-role guide recommends)."""
    return service_trust_policy(
        "ecs-tasks.amazonaws.com",
        conditions={
            "StringEquals": {"aws:SourceAccount": account},
            "ArnLike": {"aws:SourceArn": f"arn:{partition}:ecs:{region}:{account}:*"},
        },
    )
