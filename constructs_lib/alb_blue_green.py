"""AlbBlueGreen: an ALB with a production and a test listener over blue/green target groups."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from constructs import Construct

from constructs_lib import bindings as aws
from constructs_lib.bindings import TerraformResourceLifecycle, Token
from constructs_lib.engines import engine
from constructs_lib.engines.codedeploy import LISTENER_IGNORE_CHANGES
from constructs_lib.engines.ecs import RULE_IGNORE_CHANGES, RULE_PRIORITY
from constructs_lib.naming import ALB_NAME_MAX, TARGET_GROUP_NAME_MAX, aws_name
from constructs_lib.network import MAX_PREFIX as VPC_MAX_PREFIX
from constructs_lib.network import MIN_PREFIX as VPC_MIN_PREFIX
from constructs_lib.release_spec import DeploymentEngine, TrafficRoutes, check_engine
from constructs_lib.secure_bucket import (
    BucketWriter,
    SecureBucket,
    SecureBucketProps,
    check_bucket_name,
)
from constructs_lib.validation import (
    ValidationError,
    check_bool,
    check_cidr,
    check_cidr_text,
    check_health_check_path,
    check_http_codes,
    check_int_range,
    check_port,
    check_region,
    check_resource_id,
    check_resource_ids,
    check_resource_prefix,
    check_unique,
    show,
)

# What the deployer changes at run time (each engine's listener wiring says it: CodeDeploy
# swaps the listeners' default actions, ECS the weights of its rules), kept importable here.
__all__ = [
    "DEFAULT_SSL_POLICY",
    "LISTENER_IGNORE_CHANGES",
    "RULE_IGNORE_CHANGES",
    "RULE_PRIORITY",
    "AccessLogs",
    "AlbBlueGreen",
    "AlbBlueGreenProps",
    "TargetHealthCheck",
    "validate_listener_settings",
]
DEFAULT_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
_CERTIFICATE_ARN_RE = re.compile(
    r"arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]{36}"
)
_SSL_POLICY_RE = re.compile(r"ELBSecurityPolicy-[A-Za-z0-9-]+")
# ELB refuses a prefix containing "AWSLogs", starting or ending with "/".
_LOG_PREFIX_RE = re.compile(r"(?!.*AWSLogs)[A-Za-z0-9!_.*'()-]+(?:/[A-Za-z0-9!_.*'()-]+)*")


@dataclass(frozen=True, kw_only=True)
class TargetHealthCheck:
    """ALB target health check. Defaults are tuned for fast releases: a new target is healthy
    after one passing check (so within ``interval_seconds``), a failing one is out after
    ``unhealthy_threshold`` x ``interval_seconds``. AWS defaults (30 s x 5) cost minutes."""

    path: str = "/health"
    """Path probed on every target."""
    interval_seconds: int = 10
    """Seconds between checks (5-300)."""
    timeout_seconds: int = 5
    """Seconds before a check counts as failed (2-120, below the interval)."""
    healthy_threshold: int = 2
    """Consecutive passes to mark a recovering target healthy (2-10)."""
    unhealthy_threshold: int = 2
    """Consecutive failures to mark a target unhealthy (2-10)."""
    matcher: str = "200"
    """HTTP codes that count as healthy."""

    def __post_init__(self) -> None:
        self.validate()

    def validate(self, field_prefix: str = "") -> None:
        f = field_prefix
        check_health_check_path(f"{f}path", self.path)
        check_http_codes(f"{f}matcher", self.matcher)
        check_int_range(f"{f}interval_seconds", self.interval_seconds, 5, 300)
        check_int_range(f"{f}timeout_seconds", self.timeout_seconds, 2, 120)
        if self.timeout_seconds >= self.interval_seconds:
            raise ValidationError(
                f"{f}timeout_seconds",
                f"must be below interval_seconds ({self.interval_seconds}), "
                f"got {self.timeout_seconds}",
            )
        check_int_range(f"{f}healthy_threshold", self.healthy_threshold, 2, 10)
        check_int_range(f"{f}unhealthy_threshold", self.unhealthy_threshold, 2, 10)


def _no_cidrs() -> tuple[str, ...]:
    return ()


@dataclass(frozen=True, kw_only=True)
class AccessLogs:
    """ALB access logs: into an existing ``bucket``, or into a bucket the construct creates
    (``<prefix>-alb-logs-<account>-<region>``: SSE-S3, the only encryption log delivery
    accepts; only Elastic Load Balancing's log delivery may write, under ``prefix``)."""

    region: str
    """Region of the ALB (and of the bucket, which must be the same)."""
    bucket: str | None = None
    """An existing bucket (same region, SSE-S3, a policy letting ELB write); None: create one."""
    retention_days: int = 30
    """Days the created bucket keeps logs."""
    prefix: str = "alb"

    def __post_init__(self) -> None:
        self.validate()

    def validate(self, field_prefix: str = "") -> None:
        f = field_prefix
        check_region(f"{f}region", self.region)
        if self.bucket is not None:
            check_bucket_name(f"{f}bucket", self.bucket)
        check_int_range(f"{f}retention_days", self.retention_days, 1, 3650)
        if not isinstance(self.prefix, str) or not _LOG_PREFIX_RE.fullmatch(self.prefix):
            raise ValidationError(
                f"{f}prefix", f"must be a plain key prefix, got {show(self.prefix)}"
            )


@dataclass(frozen=True, kw_only=True)
class AlbBlueGreenProps:
    name_prefix: str
    """Prefix of every name; long ones are shortened to AWS's 32-character limit with a hash."""
    vpc_id: str
    """VPC of the target groups and security group."""
    vpc_cidr_block: str
    """The VPC's CIDR: clients inside it may always reach the test listener."""
    subnet_ids: Sequence[str]
    """Public subnets (two AZs or more) the internet-facing ALB lives in."""
    target_port: int = 80
    """Port the load-balanced container listens on."""
    production_port: int = 80
    """Production listener port (CodeDeploy's production traffic route)."""
    test_port: int = 8080
    """Test listener port (CodeDeploy's test traffic route), serving the green side."""
    production_ingress_cidrs: Sequence[str] = ("0.0.0.0/0",)
    """Who may reach the production listener."""
    test_ingress_cidrs: Sequence[str] = field(default_factory=_no_cidrs)
    """Extra CIDRs (besides the VPC) allowed to reach the test listener. Default: nobody
    outside the VPC; the internet (/0) is refused."""
    deregistration_delay_seconds: int = 30
    """How long a deregistered target drains (AWS default 300 s slows every release)."""
    health_check: TargetHealthCheck = field(default_factory=TargetHealthCheck)
    """Target health check, shared by both target groups."""
    deletion_protection: bool = False
    """Refuse to delete the ALB (set it for production)."""
    idle_timeout_seconds: int = 60
    """Connection idle timeout."""
    certificate_arn: str | None = None
    """ACM certificate: the production listener speaks HTTPS with it (and
    ``http_redirect_port`` redirects plain HTTP there). None: plain HTTP."""
    ssl_policy: str = DEFAULT_SSL_POLICY
    """TLS policy of the HTTPS listener: TLS 1.3 and 1.2 with forward secrecy only."""
    http_redirect_port: int | None = 80
    """With a certificate: an HTTP listener on this port answers 301 to the HTTPS one.
    None: no redirect listener."""
    test_listener_tls: bool = False
    """With a certificate: the test listener speaks HTTPS with it too. Whoever probes it
    (the verification hook) must then know the name the certificate is for."""
    access_logs: AccessLogs | None = None
    """Where access logs go; None: no access logs."""
    engine: DeploymentEngine = "codedeploy"
    """``codedeploy``: each listener forwards to one target group and CodeDeploy swaps them.
    ``ecs``: each listener answers 404 by default and one rule per listener forwards to both
    target groups by weight (blue 100, green 0); ECS shifts those weights."""

    def __post_init__(self) -> None:
        check_resource_prefix("name_prefix", self.name_prefix, max_length=200)
        check_engine("engine", self.engine)
        check_resource_id("vpc_id", self.vpc_id, "a VPC id")
        check_cidr_text(
            "vpc_cidr_block",
            self.vpc_cidr_block,
            min_prefix=VPC_MIN_PREFIX,
            max_prefix=VPC_MAX_PREFIX,
        )
        check_port("target_port", self.target_port)
        if self.access_logs is not None and not isinstance(self.access_logs, AccessLogs):
            raise ValidationError(
                "access_logs", f"must be an AccessLogs or None, got {show(self.access_logs)}"
            )
        if len(check_resource_ids("subnet_ids", self.subnet_ids, "a subnet id")) < 2:
            raise ValidationError("subnet_ids", "an ALB needs subnets in at least two AZs")
        check_bool("deletion_protection", self.deletion_protection)
        check_bool("test_listener_tls", self.test_listener_tls)
        if self.test_listener_tls and self.certificate_arn is None:
            raise ValidationError("test_listener_tls", "needs a certificate_arn")
        validate_listener_settings(
            production_port=self.production_port,
            test_port=self.test_port,
            production_ingress_cidrs=self.production_ingress_cidrs,
            test_ingress_cidrs=self.test_ingress_cidrs,
            deregistration_delay_seconds=self.deregistration_delay_seconds,
            idle_timeout_seconds=self.idle_timeout_seconds,
            health_check=self.health_check,
            certificate_arn=self.certificate_arn,
            ssl_policy=self.ssl_policy,
            http_redirect_port=self.http_redirect_port,
        )


def validate_listener_settings(
    *,
    production_port: object,
    test_port: object,
    production_ingress_cidrs: Sequence[str],
    test_ingress_cidrs: Sequence[str],
    deregistration_delay_seconds: object,
    idle_timeout_seconds: object,
    health_check: TargetHealthCheck,
    certificate_arn: object = None,
    ssl_policy: object = DEFAULT_SSL_POLICY,
    http_redirect_port: object = None,
    field_prefix: str = "",
    https: bool = False,
) -> None:
    """The rules for the user-tunable part of :class:`AlbBlueGreenProps`; ``field_prefix``
    names the fields as the caller's user knows them. ``https``: the listeners speak HTTPS
    with a certificate made alongside (no ARN to check yet), so the TLS options apply."""
    f = field_prefix
    _validate_tls(
        certificate_arn=certificate_arn,
        ssl_policy=ssl_policy,
        http_redirect_port=http_redirect_port,
        listener_ports=(production_port, test_port),
        field_prefix=f,
        https=https,
    )
    check_port(f"{f}production_port", production_port)
    check_port(f"{f}test_port", test_port)
    if production_port == test_port:
        raise ValidationError(
            f"{f}test_port", f"must differ from production_port ({production_port})"
        )
    for i, cidr in enumerate(production_ingress_cidrs):
        check_cidr(f"{f}production_ingress_cidrs[{i}]", cidr)
    for i, cidr in enumerate(test_ingress_cidrs):
        if check_cidr(f"{f}test_ingress_cidrs[{i}]", cidr).prefixlen == 0:
            raise ValidationError(
                f"{f}test_ingress_cidrs[{i}]", "would open the test listener to the internet"
            )
    # Each CIDR becomes a security group rule: EC2 refuses the same rule twice at apply time.
    check_unique(f"{f}production_ingress_cidrs", list(production_ingress_cidrs))
    check_unique(f"{f}test_ingress_cidrs", list(test_ingress_cidrs))
    check_int_range(f"{f}deregistration_delay_seconds", deregistration_delay_seconds, 0, 3600)
    check_int_range(f"{f}idle_timeout_seconds", idle_timeout_seconds, 1, 4000)
    # The health check checked its own values as it was built.
    if not isinstance(health_check, TargetHealthCheck):
        raise ValidationError(
            f"{f}health_check", f"must be a TargetHealthCheck, got {show(health_check)}"
        )


def _validate_tls(
    *,
    certificate_arn: object,
    ssl_policy: object,
    http_redirect_port: object,
    listener_ports: tuple[object, object],
    field_prefix: str,
    https: bool,
) -> None:
    f = field_prefix
    if certificate_arn is None and not https:
        return
    if certificate_arn is not None and (
        not isinstance(certificate_arn, str)
        or not (
            Token.is_unresolved(certificate_arn) or _CERTIFICATE_ARN_RE.fullmatch(certificate_arn)
        )
    ):
        raise ValidationError(
            f"{f}certificate_arn", f"must be an ACM certificate ARN, got {show(certificate_arn)}"
        )
    if not isinstance(ssl_policy, str) or not _SSL_POLICY_RE.fullmatch(ssl_policy):
        raise ValidationError(
            f"{f}ssl_policy", f"must be an ELBSecurityPolicy name, got {show(ssl_policy)}"
        )
    if http_redirect_port is not None:
        check_port(f"{f}http_redirect_port", http_redirect_port)
        if http_redirect_port in listener_ports:
            raise ValidationError(
                f"{f}http_redirect_port",
                f"{http_redirect_port} is already a listener port (production or test); "
                "serve HTTPS on another production_port, e.g. 443",
            )


class AlbBlueGreen(Construct):
    """Internet-facing ALB for blue/green releases.

    Engine ``codedeploy``: the production listener forwards to ``blue``, the test listener to
    ``green``; CodeDeploy swaps them on each release, so both listeners ignore changes to
    their default action. Engine ``ecs``: a weighted-forward rule on each listener (blue 100,
    green 0), whose action ECS rewrites on each release and Terraform ignores; the
    listeners' own default action (404) stays Terraform's.

    The ALB's security group starts with no egress: whoever owns the targets adds the one
    egress rule they need (see :class:`FargateService`).
    """

    def __init__(self, scope: Construct, id_: str, props: AlbBlueGreenProps) -> None:
        super().__init__(scope, id_)
        self.props = props
        prefix = props.name_prefix
        self._wiring = engine(props.engine).traffic

        self.security_group = aws.SecurityGroup(
            self,
            "sg",
            name=f"{prefix}-alb",
            description=f"ALB of {prefix}: production and test listeners",
            vpc_id=props.vpc_id,
            tags={"Name": f"{prefix}-alb"},
        )
        self.security_group_id: str = self.security_group.id
        self._ingress("production", props.production_port, props.production_ingress_cidrs)
        redirect_port = props.http_redirect_port if props.certificate_arn else None
        if redirect_port is not None:
            self._ingress("redirect", redirect_port, props.production_ingress_cidrs)
        self._ingress("test", props.test_port, (props.vpc_cidr_block, *props.test_ingress_cidrs))

        self.access_log_bucket: SecureBucket | None = None
        """The access log bucket this construct created (None: an existing one, or none)."""
        self.load_balancer = aws.Lb(
            self,
            "alb",
            name=aws_name(prefix, max_length=ALB_NAME_MAX),
            internal=False,
            load_balancer_type="application",
            security_groups=[self.security_group_id],
            subnets=list(props.subnet_ids),
            drop_invalid_header_fields=True,
            enable_deletion_protection=props.deletion_protection,
            idle_timeout=props.idle_timeout_seconds,
            access_logs=self._access_logs(),
        )
        self.blue_target_group = self._target_group("blue")
        self.green_target_group = self._target_group("green")

        self.production_listener = self._listener(
            "production", props.production_port, self.blue_target_group
        )
        self.test_listener = self._listener("test", props.test_port, self.green_target_group)
        self.redirect_listener = (
            self._redirect_listener(redirect_port) if redirect_port is not None else None
        )
        rules = self._wiring.rules(
            self,
            prefix,
            {"production": self.production_listener, "test": self.test_listener},
            (self.blue_target_group.arn, self.green_target_group.arn),
        )
        self.production_rule: aws.LbListenerRule | None = rules.get("production")
        """Engine ``ecs``: the rule ECS shifts production traffic with."""
        self.test_rule: aws.LbListenerRule | None = rules.get("test")
        """Engine ``ecs``: the rule ECS points at the new revision for the checks."""

        self.dns_name: str = self.load_balancer.dns_name
        self.load_balancer_arn: str = self.load_balancer.arn
        self.load_balancer_arn_suffix: str = self.load_balancer.arn_suffix
        """``app/<name>/<id>``: the LoadBalancer dimension of the ALB's CloudWatch metrics."""
        self.canonical_hosted_zone_id: str = self.load_balancer.zone_id
        """The ALB's own Route 53 zone: what an alias record pointing at it names."""
        self.production_listener_arn: str = self.production_listener.arn
        self.test_listener_arn: str = self.test_listener.arn
        self.target_group_names: tuple[str, str] = (
            self.blue_target_group.name,
            self.green_target_group.name,
        )
        self.target_group_arns: tuple[str, str] = (
            self.blue_target_group.arn,
            self.green_target_group.arn,
        )
        self.target_group_arn_suffixes: tuple[str, str] = (
            self.blue_target_group.arn_suffix,
            self.green_target_group.arn_suffix,
        )
        self.listeners: tuple[aws.TerraformResource, ...] = (
            self.production_listener,
            self.test_listener,
            *(r for r in (self.production_rule, self.test_rule) if r is not None),
        )
        """What a service must wait for: its target groups are attached through these."""
        self.traffic_routes = TrafficRoutes(
            production_listener_arn=self.production_listener_arn,
            test_listener_arn=self.test_listener_arn,
            blue_target_group_name=self.blue_target_group.name,
            green_target_group_name=self.green_target_group.name,
            blue_target_group_arn=self.target_group_arns[0],
            green_target_group_arn=self.target_group_arns[1],
            production_listener_rule_arn=self.production_rule.arn if self.production_rule else None,
            test_listener_rule_arn=self.test_rule.arn if self.test_rule else None,
        )
        """The listeners, rules and target groups a release switches."""

    def _ingress(self, role: str, port: int, cidrs: Sequence[str]) -> None:
        # Sorted and deduplicated so the construct ids are stable whatever the input order.
        unique = sorted(set(cidrs), key=lambda c: (c.startswith("${"), c))
        for i, cidr in enumerate(unique):
            aws.VpcSecurityGroupIngressRule(
                self,
                f"{role}-ingress-{i}",
                security_group_id=self.security_group_id,
                description=f"{role} listener from {_describe(cidr)}",
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                cidr_ipv4=cidr,
            )

    def _target_group(self, colour: str) -> aws.LbTargetGroup:
        hc = self.props.health_check
        return aws.LbTargetGroup(
            self,
            colour,
            name=aws_name(self.props.name_prefix, colour, max_length=TARGET_GROUP_NAME_MAX),
            port=self.props.target_port,
            protocol="HTTP",
            target_type="ip",
            vpc_id=self.props.vpc_id,
            deregistration_delay=str(self.props.deregistration_delay_seconds),
            health_check=aws.LbTargetGroupHealthCheck(
                enabled=True,
                path=hc.path,
                protocol="HTTP",
                port="traffic-port",
                matcher=hc.matcher,
                interval=hc.interval_seconds,
                timeout=hc.timeout_seconds,
                healthy_threshold=hc.healthy_threshold,
                unhealthy_threshold=hc.unhealthy_threshold,
            ),
            tags={"Name": aws_name(self.props.name_prefix, colour, max_length=255)},
        )

    def _listener(self, role: str, port: int, target: aws.LbTargetGroup) -> aws.LbListener:
        # Production speaks HTTPS once there is a certificate; the test listener only when
        # asked (test_listener_tls): the verification hook reaches it by the ALB's private
        # addresses and must know which name to verify the certificate against.
        tls = {}
        if self.props.certificate_arn and (role == "production" or self.props.test_listener_tls):
            tls = {
                "protocol": "HTTPS",
                "certificate_arn": self.props.certificate_arn,
                "ssl_policy": self.props.ssl_policy,
            }
        ignored = self._wiring.listener_ignore_changes
        return aws.LbListener(
            self,
            f"{role}-listener",
            load_balancer_arn=self.load_balancer.arn,
            port=port,
            protocol=tls.pop("protocol", "HTTP"),
            **tls,
            default_action=[self._wiring.default_action(target.arn)],
            lifecycle=TerraformResourceLifecycle(ignore_changes=list(ignored)) if ignored else None,
            tags={"Name": f"{self.props.name_prefix}-{role}"},
        )

    def _access_logs(self) -> aws.LbAccessLogs | None:
        logs = self.props.access_logs
        if logs is None:
            return None
        bucket = logs.bucket
        if bucket is None:
            self.access_log_bucket = self._access_log_bucket(logs)
            # Named through its policy: the ALB checks it may write when it is created.
            bucket = self.access_log_bucket.bucket_name_once_writable
        return aws.LbAccessLogs(bucket=bucket, prefix=logs.prefix, enabled=True)

    def _access_log_bucket(self, logs: AccessLogs) -> SecureBucket:
        """Log delivery writes as the Region's ELB account in Regions older than August
        2022 and as the log-delivery service principal in newer ones: both may put objects
        under this ALB's prefix, nothing else."""
        account = aws.DataAwsCallerIdentity(self, "account").account_id
        elb_account = aws.DataAwsElbServiceAccount(self, "elb-account").arn
        key_prefix = f"{logs.prefix}/AWSLogs/{account}/"
        return SecureBucket(
            self,
            "access-logs",
            SecureBucketProps(
                name_prefix=self.props.name_prefix,
                purpose="alb-logs",
                region=logs.region,
                expire_after_days=logs.retention_days,
                encryption="AES256",
                writers=(
                    BucketWriter(
                        sid="RegionalElbAccountWritesAccessLogs",
                        principal={"AWS": elb_account},
                        key_prefix=key_prefix,
                    ),
                    BucketWriter(
                        sid="ElbLogDeliveryWritesAccessLogs",
                        principal={"Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
                        key_prefix=key_prefix,
                    ),
                ),
            ),
        )

    def _redirect_listener(self, port: int) -> aws.LbListener:
        """Plain HTTP answers a permanent redirect to the HTTPS production listener; not a
        CodeDeploy route, so Terraform owns its action."""
        return aws.LbListener(
            self,
            "redirect-listener",
            load_balancer_arn=self.load_balancer.arn,
            port=port,
            protocol="HTTP",
            default_action=[
                aws.LbListenerDefaultAction(
                    type="redirect",
                    redirect=aws.LbListenerDefaultActionRedirect(
                        protocol="HTTPS",
                        port=str(self.props.production_port),
                        status_code="HTTP_301",
                    ),
                )
            ],
            tags={"Name": f"{self.props.name_prefix}-redirect"},
        )


def _describe(cidr: str) -> str:
    if cidr.startswith("${"):
        return "the VPC"
    return "anywhere" if ipaddress.IPv4Network(cidr).prefixlen == 0 else cidr
