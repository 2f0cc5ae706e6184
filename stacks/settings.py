"""Environment settings: ``config/<environment>.toml`` parsed and validated into frozen data.

Pure Python (no cdktf): every check runs before any construct exists, and every problem is
reported as one line naming the file, the setting and the reason.
"""

from __future__ import annotations

import ipaddress
import tomllib
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from constructs_lib.alb_blue_green import (
    DEFAULT_SSL_POLICY,
    TargetHealthCheck,
    validate_listener_settings,
)
from constructs_lib.codedeploy_pipeline import (
    ALL_AT_ONCE,
    validate_deployment_settings,
)
from constructs_lib.container_secrets import check_kms_key_arn, parse_secret_arn
from constructs_lib.container_spec import is_variable_name
from constructs_lib.engines import engine
from constructs_lib.fargate_service import longest_release_target, validate_service_settings
from constructs_lib.network import NatGateways, check_zone_ids, plan_subnets
from constructs_lib.pipeline_settings import validate_build_settings, validate_source_settings
from constructs_lib.release_alarms import AlarmThresholds
from constructs_lib.release_approval import check_email
from constructs_lib.release_spec import (
    SSM_PARAMETER_MAX_BYTES,
    DeploymentEngine,
    TrafficShift,
    check_engine,
    release_template_bytes,
)
from constructs_lib.secure_bucket import bucket_name_problem
from constructs_lib.service_autoscaling import ScalingRules
from constructs_lib.validation import (
    REGION_RE,
    ValidationError,
    build_under,
    check_account_id,
    check_arn_home,
    check_domain_name,
    check_fargate_size,
    check_hosted_zone_id,
    check_int_range,
    check_log_retention,
    check_port,
    check_resource_prefix,
    check_template_free,
    show,
)
from constructs_lib.verification_hook import (
    DEFAULT_PROBES,
    Probe,
    validate_verification_settings,
)
from stacks.workload import APP, STACK_VARIABLES, workload_task

T = TypeVar("T")

PROJECT_MAX = 40
ENVIRONMENT_MAX = 16
# The longest region name today has 14 characters; the bound keeps room for bucket names.
REGION_MAX = 25
# Starts of names AWS refuses, and the names of the stack that would take them: each of
# those names starts with the stack name (<project>-<environment>).
RESERVED_NAME_PREFIXES: dict[str, str] = {
    "internal-": "the load balancer's name",
    "sthree-": "bucket names",
    "amzn-s3-demo-": "bucket names",
    "sg-": "security group names",
    "aws": "SSM parameter names (/<stack>/release/...)",
    "ssm": "SSM parameter names (/<stack>/release/...)",
}
# AWS allows 50 tags per resource; the stack sets up to 5 itself (Project, Environment,
# ManagedBy, and on subnets Name and Tier).
TAGS_MAX = 45
APPROVALS: tuple[Literal["none", "manual"], ...] = ("none", "manual")
BUILD_ONLY_PIPELINE_SETTINGS = (
    "repository",
    "branch",
    "connection_arn",
    "file_paths",
    "buildspec_path",
)
"""Pipeline settings of a building environment only: a promoted one has no source."""
REPOSITORY_SETTINGS = ("ecr_images_to_keep", "ecr_force_delete")
"""Service settings of the environment that holds the images."""
FILE_PATHS_MAX = 8  # CodePipeline's git push filter takes at most 8 file path patterns
_TAG_PUNCTUATION = frozenset("_.:/=+-@")
# What a TOML value must be, in TOML's words.
_KIND_NAMES: dict[type, str] = {
    str: "a string",
    int: "an integer",
    bool: "a boolean (true or false)",
    list: "a list",
    dict: "a table",
}
# Default tags every resource gets from the stack (BlueGreenStack.default_tags).
STACK_TAG_KEYS = ("Project", "Environment", "ManagedBy")
# Fargate and the ECS agent set AWS_* (region, credentials endpoint, execution environment)
# and ECS_* (metadata endpoints) in every container; the app relies on them being theirs.
RESERVED_VARIABLE_PREFIXES = ("AWS_", "ECS_")
HTTPS_PORT = 443


TaskPlacement = Literal["private-endpoints", "private-nat", "public"]
TASK_PLACEMENTS: tuple[TaskPlacement, ...] = ("private-endpoints", "private-nat", "public")


class SettingsError(Exception):
    """A settings file cannot become a stack; the message is one line for the user."""


@dataclass(frozen=True, kw_only=True)
class BackendSettings:
    kind: str = "local"
    """``local`` (state file in the project root) or ``s3``."""
    bucket: str | None = None
    key: str | None = None
    region: str | None = None
    use_lockfile: bool = True


@dataclass(frozen=True, kw_only=True)
class NetworkSettings:
    vpc_cidr: str = "10.0.0.0/16"
    az_count: int = 2
    subnet_prefix_length: int = 24
    public_subnet_cidrs: tuple[str, ...] | None = None
    private_subnet_cidrs: tuple[str, ...] | None = None
    task_placement: TaskPlacement = "private-endpoints"
    """``private-endpoints``: private subnets, no public IP, VPC endpoints for ECR, Logs and
    S3; ``private-nat``: private subnets behind NAT; ``public``: the seed's layout (public
    subnets, public IPs)."""
    nat_gateways: NatGateways = "single"
    """With ``private-nat``: ``single`` or ``per-az``."""
    flow_log_retention_days: int = 30
    """VPC flow logs kept this many days; 0: no flow logs."""
    zone_ids: tuple[str, ...] | None = None
    """The availability zones by id, one per ``az_count`` in subnet order (the same physical
    zones in every account); None: the region's first zones by name (as before zone ids)."""


@dataclass(frozen=True, kw_only=True)
class LoadBalancerSettings:
    production_port: int = 80
    test_port: int = 8080
    production_ingress_cidrs: tuple[str, ...] = ("0.0.0.0/0",)
    test_ingress_cidrs: tuple[str, ...] = ()
    deregistration_delay_seconds: int = 30
    deletion_protection: bool = False
    idle_timeout_seconds: int = 60
    health_check: TargetHealthCheck = field(default_factory=TargetHealthCheck)
    certificate_arn: str | None = None
    """A certificate you bring: the production listener speaks HTTPS with it."""
    domain_name: str | None = None
    """The service's name: the stack makes its certificate (DNS-validated in
    ``hosted_zone_id``), points the name at the ALB, and both listeners speak HTTPS."""
    hosted_zone_id: str | None = None
    ssl_policy: str = DEFAULT_SSL_POLICY
    http_redirect_port: int | None = 80
    access_log_retention_days: int = 30
    """ALB access logs (to a bucket of their own) kept this many days; 0: no access logs."""


@dataclass(frozen=True, kw_only=True)
class ServiceSettings:
    cpu: int = 256
    memory: int = 512
    desired_count: int = 2
    health_check_grace_period_seconds: int = 30
    container_insights: str = "disabled"
    log_retention_days: int = 30
    ecr_images_to_keep: int = 20
    ecr_force_delete: bool = False
    app_port: int = 8080
    proxy_port: int = 80
    shutdown_grace_seconds: int = 10
    environment: Mapping[str, str] = field(default_factory=dict)
    """The app container's own configuration (``[service.environment]``)."""
    secrets: Mapping[str, str] = field(default_factory=dict)
    """The app container's secrets: variable name -> Secrets Manager / SSM ARN."""
    secrets_kms_key_arns: tuple[str, ...] = ()
    """Customer managed keys the secrets are encrypted with."""


@dataclass(frozen=True, kw_only=True)
class PipelineSettings:
    repository: str
    """GitHub ``owner/name`` the pipeline builds (empty in a promoted environment)."""
    promote_from: str | None = None
    """The environment whose successful releases this one releases, by digest; it then
    builds nothing (no source, no build)."""
    approval: Literal["none", "manual"] = "none"
    """``manual``: a person approves each release before it deploys."""
    approval_emails: tuple[str, ...] = ()
    """Addresses the approval topic notifies (each confirms its subscription once)."""
    branch: str = "main"
    connection_arn: str | None = None
    file_paths: tuple[str, ...] = ()
    buildspec_path: str = "app/buildspec.yml"
    build_compute_type: str = "BUILD_GENERAL1_SMALL"
    build_timeout_minutes: int = 30
    artifact_expiry_days: int = 30
    artifact_force_destroy: bool = False


@dataclass(frozen=True, kw_only=True)
class DeploymentSettings:
    engine: DeploymentEngine = "codedeploy"
    """``codedeploy`` or ``ecs`` (ECS-native blue/green): the one switch all constructs
    follow."""
    config: str | TrafficShift = ALL_AT_ONCE
    ready_wait_minutes: int = 0
    termination_wait_minutes: int = 5


@dataclass(frozen=True, kw_only=True)
class AlarmSettings:
    enabled: bool = True
    """Alarms that stop and roll back a release (DEPLOYMENT_STOP_ON_ALARM)."""
    thresholds: AlarmThresholds = field(default_factory=AlarmThresholds)


@dataclass(frozen=True, kw_only=True)
class AutoscalingSettings:
    enabled: bool = False
    """Target tracking on the service's desired count (Terraform then ignores
    ``service.desired_count`` after the first apply)."""
    rules: ScalingRules = field(default_factory=ScalingRules)


@dataclass(frozen=True, kw_only=True)
class VerificationSettings:
    enabled: bool = True
    """The AfterAllowTestTraffic hook probes the test listener before production moves."""
    probes: tuple[Probe, ...] = DEFAULT_PROBES
    deadline_seconds: int = 120
    interval_seconds: int = 5
    request_timeout_seconds: int = 3
    required_passes: int = 2


@dataclass(frozen=True, kw_only=True)
class Settings:
    project: str
    environment: str
    region: str
    account_id: str | None = None
    """The only account the stack may be applied to (the provider's
    ``allowed_account_ids``); also tells a promotion whether it crosses accounts."""
    tags: Mapping[str, str] = field(default_factory=dict)
    backend: BackendSettings = field(default_factory=BackendSettings)
    network: NetworkSettings = field(default_factory=NetworkSettings)
    load_balancer: LoadBalancerSettings = field(default_factory=LoadBalancerSettings)
    service: ServiceSettings = field(default_factory=ServiceSettings)
    pipeline: PipelineSettings
    deployment: DeploymentSettings = field(default_factory=DeploymentSettings)
    alarms: AlarmSettings = field(default_factory=AlarmSettings)
    verification: VerificationSettings = field(default_factory=VerificationSettings)
    autoscaling: AutoscalingSettings = field(default_factory=AutoscalingSettings)

    @property
    def stack_name(self) -> str:
        return f"{self.project}-{self.environment}"


class _Table:
    """One TOML table read strictly: typed lookups, and unknown keys are errors (a typo
    must not silently fall back to a default)."""

    def __init__(self, data: Mapping[str, Any], path: str) -> None:
        self._data = data
        self._path = path
        self._seen: set[str] = set()

    @property
    def prefix(self) -> str:
        """What qualifies this table's keys in error messages (``load_balancer.``)."""
        return self._path

    def name(self, key: str) -> str:
        return f"{self._path}{_toml_key(key)}"

    def get(self, key: str, kind: type[T], default: T) -> T:
        self._seen.add(key)
        if key not in self._data:
            return default
        value = self._data[key]
        if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
            raise ValidationError(self.name(key), f"must be {_KIND_NAMES[kind]}, got {show(value)}")
        return value

    def strings(self, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = self.get(key, list, None)
        if value is None:
            return default
        if not all(isinstance(v, str) for v in value):
            raise ValidationError(self.name(key), "must be a list of strings")
        return tuple(value)

    def __contains__(self, key: str) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._data))

    def table(self, key: str) -> _Table:
        return _Table(self.get(key, dict, {}), f"{self.name(key)}.")

    def finish(self) -> None:
        unknown = sorted(set(self._data) - self._seen)
        if unknown:
            raise ValidationError(self.name(unknown[0]), "unknown setting")


def _toml_key(key: str) -> str:
    """A key for an error message: as written when that reads unambiguously, else quoted
    with TOML escapes, so the message stays on one line and a dot in a key is not read as a
    table (``load_balancer."health_check."``)."""
    if key and key.isprintable() and not {".", '"'} & set(key):
        return key
    escaped = "".join(
        f"\\{c}" if c in '"\\' else c if c.isprintable() else f"\\U{ord(c):08X}" for c in key
    )
    return f'"{escaped}"'


PROJECT_ROOT = Path(__file__).resolve().parent.parent


def shown_path(path: Path) -> str:
    """A settings file's path for a one-line error message: relative to the project when it
    lies inside it (``config/dev.toml``, as the README and ``make`` name it)."""
    try:
        text = str(path.resolve().relative_to(PROJECT_ROOT))
    except (ValueError, OSError, RuntimeError):
        text = str(path)
    return text if text.isprintable() else repr(text)


def load_settings(path: Path) -> Settings:
    """Read and validate one environment file; raise :class:`SettingsError` on any problem."""
    shown = shown_path(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as error:
        raise SettingsError(f"{shown}: cannot read: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{shown}: not valid TOML: {error}") from None
    except UnicodeDecodeError as error:
        raise SettingsError(f"{shown}: not valid TOML: not UTF-8 at byte {error.start}") from None
    except (ValueError, RecursionError):
        # tomllib reads integers of any length and nests without bound; Python converts at
        # most 4300 digits and recurses ~1000 deep.
        raise SettingsError(
            f"{shown}: not valid TOML: a number too long or values nested too deeply"
        ) from None
    try:
        return parse_settings(data, environment=path.stem)
    except ValidationError as error:
        raise SettingsError(f"{shown}: {error}") from None


def parse_settings(data: Mapping[str, Any], *, environment: str) -> Settings:
    root = _Table(data, "")
    check_resource_prefix("environment (file name)", environment, max_length=ENVIRONMENT_MAX)
    project = check_resource_prefix(
        "project", root.get("project", str, "ecs-blue-green"), max_length=PROJECT_MAX
    )
    stack_name = f"{project}-{environment}"
    for prefix, names in RESERVED_NAME_PREFIXES.items():
        if f"{stack_name}-".startswith(prefix):
            raise ValidationError(
                "project",
                f"the stack name {stack_name!r} would start {names} with {prefix!r}, which "
                "AWS reserves",
            )
    if "region" not in root:
        raise ValidationError(
            "region", "required: the AWS region of this environment, e.g. eu-west-1"
        )
    region = root.get("region", str, "")
    _check_region("region", region)
    settings = Settings(
        project=project,
        environment=environment,
        region=region,
        account_id=_account_id(root),
        tags=_tags(root.table("tags")),
        backend=_backend(root.table("backend"), project, environment),
        network=_network(root.table("network"), region),
        load_balancer=_load_balancer(root.table("load_balancer")),
        service=_service(root.table("service"), region),
        pipeline=_pipeline(root.table("pipeline")),
        deployment=_deployment(root.table("deployment")),
        alarms=_alarms(root.table("alarms")),
        verification=_verification(root.table("verification")),
        autoscaling=_autoscaling(root.table("autoscaling")),
    )
    root.finish()
    _check_arn_homes(settings)
    _check_promoted_service(data, settings)
    _check_desired_count_in_range(settings)
    _check_release_template_size(settings)
    vpc_cidr = settings.network.vpc_cidr
    for i, cidr in enumerate(settings.load_balancer.test_ingress_cidrs):
        if cidr == vpc_cidr:
            # The test listener always admits the VPC: a second rule for it is a duplicate
            # AWS refuses at apply time.
            raise ValidationError(
                f"load_balancer.test_ingress_cidrs[{i}]",
                f"{cidr} is the VPC, which always reaches the test listener",
            )
    return settings


def _check_arn_homes(settings: Settings) -> None:
    """ARNs of the right partition and, where the resource is regional, the stack's region
    (the secrets and their keys are checked where they are read)."""
    certificate = settings.load_balancer.certificate_arn
    if certificate is not None:
        # An ALB serves only certificates of its own region.
        check_arn_home(
            "load_balancer.certificate_arn", certificate, settings.region, what="the certificate"
        )
    connection = settings.pipeline.connection_arn
    if connection is not None:
        # Connections are global (usable from every region), but not across partitions.
        check_arn_home(
            "pipeline.connection_arn",
            connection,
            settings.region,
            regional=False,
            what="the connection",
        )


def _check_region(field: str, region: str) -> None:
    if not REGION_RE.fullmatch(region) or len(region) > REGION_MAX:
        raise ValidationError(field, f"{show(region)} is not an AWS region name (e.g. eu-west-1)")


def _is_tag_text(text: str) -> bool:
    """AWS's tag pattern: letters, separators, numbers and ``_ . : / = + - @``."""
    return all(unicodedata.category(c)[0] in "LZN" or c in _TAG_PUNCTUATION for c in text)


def _tags(t: _Table) -> dict[str, str]:
    tags: dict[str, str] = {}
    for key in t:
        value = t.get(key, str, "")
        if key.lower() in {k.lower() for k in STACK_TAG_KEYS}:
            raise ValidationError(
                t.name(key),
                f"the stack sets {', '.join(STACK_TAG_KEYS)} on every resource itself "
                "(from project, the file name and the tool): choose another key",
            )
        if key.lower().startswith("aws:") or not 1 <= len(key) <= 128:
            raise ValidationError(
                t.name(key), "tag keys are 1-128 characters, not starting with aws:"
            )
        if len(value) > 256:
            raise ValidationError(t.name(key), "tag values are at most 256 characters")
        if not (_is_tag_text(key) and _is_tag_text(value)):
            raise ValidationError(
                t.name(key),
                "tag keys and values hold only letters, digits, spaces and _ . : / = + - @",
            )
        tags[key] = value
    if len(tags) > TAGS_MAX:
        raise ValidationError(
            t.prefix.rstrip("."),
            f"at most {TAGS_MAX} tags: AWS allows 50 per resource and the stack sets up to 5",
        )
    return tags


def _backend(t: _Table, project: str, environment: str) -> BackendSettings:
    kind = t.get("kind", str, "local")
    if kind not in ("local", "s3"):
        raise ValidationError(t.name("kind"), f"must be 'local' or 's3', got {kind!r}")
    bucket = t.get("bucket", str, "") or None
    key = t.get("key", str, f"{project}/{environment}/terraform.tfstate")
    region = t.get("region", str, "") or None
    use_lockfile = t.get("use_lockfile", bool, True)
    t.finish()
    if kind == "s3":
        if bucket is None:
            raise ValidationError(t.name("bucket"), "required with kind = 's3'")
        problem = bucket_name_problem(bucket)
        if problem:
            raise ValidationError(
                t.name("bucket"), f"{show(bucket)} is not a bucket name S3 allows: {problem}"
            )
        if region is not None:
            _check_region(t.name("region"), region)
        # Terraform's own rules for the S3 backend's key.
        if not 1 <= len(key) <= 1024 or key.startswith("/") or key.endswith("/") or "//" in key:
            raise ValidationError(
                t.name("key"),
                f"{show(key)}: a state key is 1-1024 characters, without a leading or "
                "trailing '/' or '//'",
            )
        if not key.isprintable():
            raise ValidationError(
                t.name("key"), f"{show(key)}: control characters and line breaks are not allowed"
            )
        check_template_free(t.name("key"), key)
    else:
        for name, given in (
            ("bucket", bucket is not None),
            ("key", "key" in t),
            ("region", region is not None),
            ("use_lockfile", "use_lockfile" in t),
        ):
            if given:
                raise ValidationError(t.name(name), "only applies when kind = 's3'")
    return BackendSettings(
        kind=kind, bucket=bucket, key=key, region=region, use_lockfile=use_lockfile
    )


def _network(t: _Table, region: str) -> NetworkSettings:
    d = NetworkSettings()
    network = NetworkSettings(
        vpc_cidr=t.get("vpc_cidr", str, d.vpc_cidr),
        az_count=t.get("az_count", int, d.az_count),
        subnet_prefix_length=t.get("subnet_prefix_length", int, d.subnet_prefix_length),
        public_subnet_cidrs=t.strings("public_subnet_cidrs", ()) or None,
        private_subnet_cidrs=t.strings("private_subnet_cidrs", ()) or None,
        task_placement=_choice(t, "task_placement", TASK_PLACEMENTS, d.task_placement),
        nat_gateways=_choice(t, "nat_gateways", ("single", "per-az"), d.nat_gateways),
        flow_log_retention_days=_retention(t, "flow_log_retention_days", d.flow_log_retention_days),
        zone_ids=t.strings("zone_ids", ()) if "zone_ids" in t else None,
    )
    if "nat_gateways" in t and network.task_placement != "private-nat":
        raise ValidationError(
            t.name("nat_gateways"), "only applies to task_placement = 'private-nat'"
        )
    t.finish()
    try:
        plan_subnets(
            network.vpc_cidr,
            network.az_count,
            network.subnet_prefix_length,
            public=network.public_subnet_cidrs,
            private=network.private_subnet_cidrs,
            field_prefix=t.prefix,
        )
    except ValidationError as error:
        if error.field != f"{t.prefix}subnets":
            raise
        raise _subnet_overlap(t, network, error.reason) from None
    if network.zone_ids is not None:  # after az_count's own check
        check_zone_ids(t.name("zone_ids"), network.zone_ids, network.az_count, region=region)
    return network


def _subnet_overlap(t: _Table, network: NetworkSettings, reason: str) -> ValidationError:
    """Overlapping subnets, named by the setting that brings the overlap: the later of two
    CIDRs given, or the list given over the other tier's subnets carved by default."""
    tiers = ("public_subnet_cidrs", "private_subnet_cidrs")
    given = [
        (f"{tier}[{i}]", ipaddress.IPv4Network(cidr))
        for tier in tiers
        for i, cidr in enumerate(getattr(network, tier) or ())
    ]
    for i, (name, net) in enumerate(given):
        for earlier, other in given[:i]:
            if net.overlaps(other):
                return ValidationError(t.name(name), f"{net} overlaps {t.name(earlier)} ({other})")
    mine, carved = tiers if network.public_subnet_cidrs else tiers[::-1]
    return ValidationError(
        t.name(mine),
        f"{reason}, one of the {carved} carved from vpc_cidr by default: list {carved} too",
    )


def _load_balancer(t: _Table) -> LoadBalancerSettings:
    d = LoadBalancerSettings()
    h = t.table("health_check")
    dh = d.health_check
    health_check = build_under(
        h.prefix,
        TargetHealthCheck,
        path=h.get("path", str, dh.path),
        interval_seconds=h.get("interval_seconds", int, dh.interval_seconds),
        timeout_seconds=h.get("timeout_seconds", int, dh.timeout_seconds),
        healthy_threshold=h.get("healthy_threshold", int, dh.healthy_threshold),
        unhealthy_threshold=h.get("unhealthy_threshold", int, dh.unhealthy_threshold),
        matcher=h.get("matcher", str, dh.matcher),
    )
    h.finish()
    lb = LoadBalancerSettings(
        production_port=t.get("production_port", int, d.production_port),
        test_port=t.get("test_port", int, d.test_port),
        production_ingress_cidrs=t.strings("production_ingress_cidrs", d.production_ingress_cidrs),
        test_ingress_cidrs=t.strings("test_ingress_cidrs", d.test_ingress_cidrs),
        deregistration_delay_seconds=t.get(
            "deregistration_delay_seconds", int, d.deregistration_delay_seconds
        ),
        deletion_protection=t.get("deletion_protection", bool, d.deletion_protection),
        idle_timeout_seconds=t.get("idle_timeout_seconds", int, d.idle_timeout_seconds),
        health_check=health_check,
        certificate_arn=t.get("certificate_arn", str, "") or None,
        domain_name=t.get("domain_name", str, "") or None,
        hosted_zone_id=t.get("hosted_zone_id", str, "") or None,
        ssl_policy=t.get("ssl_policy", str, d.ssl_policy),
        # 0: no redirect listener.
        http_redirect_port=t.get("http_redirect_port", int, 80) or None,
        access_log_retention_days=t.get(
            "access_log_retention_days", int, d.access_log_retention_days
        ),
    )
    check_int_range(t.name("access_log_retention_days"), lb.access_log_retention_days, 0, 3650)
    _check_domain(t, lb)
    if lb.certificate_arn is None and lb.domain_name is None:
        for key in ("ssl_policy", "http_redirect_port"):
            if key in t:
                raise ValidationError(
                    t.name(key), "only applies with a certificate_arn or a domain_name"
                )
    t.finish()
    validate_listener_settings(
        production_port=lb.production_port,
        test_port=lb.test_port,
        production_ingress_cidrs=lb.production_ingress_cidrs,
        test_ingress_cidrs=lb.test_ingress_cidrs,
        deregistration_delay_seconds=lb.deregistration_delay_seconds,
        idle_timeout_seconds=lb.idle_timeout_seconds,
        health_check=lb.health_check,
        certificate_arn=lb.certificate_arn,
        ssl_policy=lb.ssl_policy,
        http_redirect_port=lb.http_redirect_port,
        field_prefix=t.prefix,
        https=lb.domain_name is not None,
    )
    return lb


def _check_domain(t: _Table, lb: LoadBalancerSettings) -> None:
    """A domain needs its zone (and the reverse), excludes a certificate brought along, and
    is served on 443: ``https://<domain>`` names no port."""
    if lb.domain_name is None and lb.hosted_zone_id is None:
        return
    if lb.domain_name is None:
        raise ValidationError(t.name("domain_name"), "required with hosted_zone_id")
    if lb.hosted_zone_id is None:
        raise ValidationError(
            t.name("hosted_zone_id"), "required with domain_name: the zone holding it"
        )
    check_domain_name(t.name("domain_name"), lb.domain_name)
    check_hosted_zone_id(t.name("hosted_zone_id"), lb.hosted_zone_id)
    if lb.certificate_arn is not None:
        raise ValidationError(
            t.name("domain_name"),
            "set certificate_arn (a certificate you bring) or domain_name (the stack makes "
            "one), not both",
        )
    if lb.production_port != HTTPS_PORT:
        raise ValidationError(
            t.name("production_port"),
            f"must be {HTTPS_PORT} with a domain_name (https://{lb.domain_name} names no port), "
            f"got {lb.production_port}",
        )


def _service(t: _Table, region: str) -> ServiceSettings:
    d = ServiceSettings()
    environment = _environment(t.table("environment"))
    secrets = _secrets(t.table("secrets"), region, environment)
    kms_keys = t.strings("secrets_kms_key_arns", ())
    for i, key in enumerate(kms_keys):
        check_kms_key_arn(t.name(f"secrets_kms_key_arns[{i}]"), key, region=region)
    if kms_keys and not secrets:
        raise ValidationError(t.name("secrets_kms_key_arns"), "only applies with service.secrets")
    s = ServiceSettings(
        cpu=t.get("cpu", int, d.cpu),
        memory=t.get("memory", int, d.memory),
        desired_count=t.get("desired_count", int, d.desired_count),
        health_check_grace_period_seconds=t.get(
            "health_check_grace_period_seconds", int, d.health_check_grace_period_seconds
        ),
        container_insights=t.get("container_insights", str, d.container_insights),
        log_retention_days=t.get("log_retention_days", int, d.log_retention_days),
        ecr_images_to_keep=t.get("ecr_images_to_keep", int, d.ecr_images_to_keep),
        ecr_force_delete=t.get("ecr_force_delete", bool, d.ecr_force_delete),
        app_port=t.get("app_port", int, d.app_port),
        proxy_port=t.get("proxy_port", int, d.proxy_port),
        shutdown_grace_seconds=t.get("shutdown_grace_seconds", int, d.shutdown_grace_seconds),
        environment=environment,
        secrets=secrets,
        secrets_kms_key_arns=kms_keys,
    )
    t.finish()
    check_fargate_size(t.name("cpu"), s.cpu, t.name("memory"), s.memory)
    validate_service_settings(
        desired_count=s.desired_count,
        health_check_grace_period_seconds=s.health_check_grace_period_seconds,
        container_insights=s.container_insights,
        log_retention_days=s.log_retention_days,
        ecr_images_to_keep=s.ecr_images_to_keep,
        field_prefix=t.prefix,
    )
    check_port(t.name("app_port"), s.app_port)
    check_port(t.name("proxy_port"), s.proxy_port)
    if s.app_port == s.proxy_port:
        raise ValidationError(
            t.name("proxy_port"),
            "must differ from app_port: both containers share one network namespace",
        )
    # Fargate's stopTimeout tops out at 120 s; the containers get grace + 5 s.
    check_int_range(t.name("shutdown_grace_seconds"), s.shutdown_grace_seconds, 1, 115)
    return s


def _variable_name(t: _Table, key: str) -> None:
    """An environment variable name the stack leaves to the user."""
    if not is_variable_name(key):
        raise ValidationError(
            t.name(key), "not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)"
        )
    if key in STACK_VARIABLES:
        raise ValidationError(t.name(key), f"set by the stack from {STACK_VARIABLES[key]}")
    if key.startswith(RESERVED_VARIABLE_PREFIXES):
        raise ValidationError(
            t.name(key),
            f"{', '.join(p + '*' for p in RESERVED_VARIABLE_PREFIXES)} are set by Fargate and "
            "the ECS agent",
        )


def _environment(t: _Table) -> dict[str, str]:
    """``[service.environment]``: plain configuration, in the task definition for anyone
    who may read it (secrets go in ``[service.secrets]``)."""
    environment: dict[str, str] = {}
    for key in t:
        _variable_name(t, key)
        value = t.get(key, str, "")
        if not value:
            raise ValidationError(
                t.name(key), "empty: ECS drops empty values (a change in every plan); leave it out"
            )
        if "\0" in value:
            raise ValidationError(t.name(key), "a NUL character cannot be in the environment")
        check_template_free(t.name(key), value)
        environment[key] = value
    return environment


def _secrets(t: _Table, region: str, environment: Mapping[str, str]) -> dict[str, str]:
    """``[service.secrets]``: variable -> the ARN ECS reads it from at start, in the stack's
    own region and partition."""
    secrets: dict[str, str] = {}
    for key in t:
        _variable_name(t, key)
        if key in environment:
            raise ValidationError(
                t.name(key), "also in service.environment: a variable is plain or secret, not both"
            )
        secrets[key] = parse_secret_arn(t.name(key), t.get(key, str, ""), region=region).value_from
    return secrets


def _account_id(root: _Table) -> str | None:
    if "account_id" not in root:
        return None
    return check_account_id("account_id", root.get("account_id", str, ""))


def _pipeline(t: _Table) -> PipelineSettings:
    promote_from = t.get("promote_from", str, "") or None
    if promote_from is not None:
        check_resource_prefix(t.name("promote_from"), promote_from, max_length=ENVIRONMENT_MAX)
        return _promoted_pipeline(t, promote_from)
    if "repository" not in t:
        raise ValidationError(
            t.name("repository"), "required: the GitHub 'owner/name' the pipeline releases"
        )
    d = PipelineSettings(repository="")
    p = PipelineSettings(
        repository=t.get("repository", str, ""),
        branch=t.get("branch", str, d.branch),
        connection_arn=t.get("connection_arn", str, "") or None,
        file_paths=t.strings("file_paths", d.file_paths),
        buildspec_path=t.get("buildspec_path", str, d.buildspec_path),
        **_release_step(t),
    )
    t.finish()
    validate_source_settings(
        repository=p.repository,
        branch=p.branch,
        connection_arn=p.connection_arn,
        buildspec_path=p.buildspec_path,
        field_prefix=t.prefix,
    )
    if len(p.file_paths) > FILE_PATHS_MAX:
        raise ValidationError(
            t.name("file_paths"),
            f"at most {FILE_PATHS_MAX} patterns (CodePipeline's limit), got {len(p.file_paths)}",
        )
    for i, pattern in enumerate(p.file_paths):
        if not pattern or len(pattern) > 255:
            raise ValidationError(t.name(f"file_paths[{i}]"), "must be 1-255 characters")
        if not pattern.isprintable():
            raise ValidationError(
                t.name(f"file_paths[{i}]"),
                f"{show(pattern)}: control characters and line breaks are not allowed",
            )
        check_template_free(t.name(f"file_paths[{i}]"), pattern)
    _check_release_step(t, p)
    return p


def _promoted_pipeline(t: _Table, promote_from: str) -> PipelineSettings:
    """A promoted environment builds nothing: what names a source or a build is refused."""
    for key in BUILD_ONLY_PIPELINE_SETTINGS:
        if key in t:
            raise ValidationError(
                t.name(key),
                f"means nothing with promote_from = {promote_from!r}: this environment builds "
                f"nothing, it releases what {promote_from!r} built",
            )
    p = PipelineSettings(repository="", promote_from=promote_from, **_release_step(t))
    t.finish()
    _check_release_step(t, p)
    return p


def _release_step(t: _Table) -> dict[str, Any]:
    """What every pipeline has, building or promoted: the approval, the CodeBuild step that
    renders its releases, and its artifacts."""
    d = PipelineSettings(repository="")
    return {
        "approval": _choice(t, "approval", APPROVALS, d.approval),
        "approval_emails": _approval_emails(t),
        "build_compute_type": t.get("build_compute_type", str, d.build_compute_type),
        "build_timeout_minutes": t.get("build_timeout_minutes", int, d.build_timeout_minutes),
        "artifact_expiry_days": t.get("artifact_expiry_days", int, d.artifact_expiry_days),
        "artifact_force_destroy": t.get("artifact_force_destroy", bool, d.artifact_force_destroy),
    }


def _check_release_step(t: _Table, p: PipelineSettings) -> None:
    validate_build_settings(
        build_compute_type=p.build_compute_type,
        build_timeout_minutes=p.build_timeout_minutes,
        artifact_expiry_days=p.artifact_expiry_days,
        field_prefix=t.prefix,
    )
    if p.approval_emails and p.approval != "manual":
        raise ValidationError(
            t.name("approval_emails"), 'only with approval = "manual" (nothing to approve)'
        )


def _approval_emails(t: _Table) -> tuple[str, ...]:
    emails = t.strings("approval_emails", ())
    for i, email in enumerate(emails):
        check_email(t.name(f"approval_emails[{i}]"), email)
    if len(set(emails)) != len(emails):
        raise ValidationError(t.name("approval_emails"), "lists an address twice")
    return emails


def _deployment(t: _Table) -> DeploymentSettings:
    d = DeploymentSettings()
    name = t.get("config", str, ALL_AT_ONCE)
    custom = t.table("custom")
    config: str | TrafficShift = name
    if name == "custom":
        kind = custom.get("kind", str, "")
        if kind not in ("canary", "linear"):
            raise ValidationError(
                custom.name("kind"), f"must be 'canary' or 'linear', got {kind!r}"
            )
        config = build_under(
            custom.prefix,
            TrafficShift,
            kind="canary" if kind == "canary" else "linear",
            percentage=custom.get("percentage", int, 10),
            interval_minutes=custom.get("interval_minutes", int, 5),
        )
        custom.finish()
    elif "custom" in t:
        raise ValidationError(t.name("custom"), "only applies when config = 'custom'")
    engine = check_engine(t.name("engine"), t.get("engine", str, d.engine))
    deployment = DeploymentSettings(
        engine=engine,
        config=config,
        ready_wait_minutes=t.get("ready_wait_minutes", int, d.ready_wait_minutes),
        termination_wait_minutes=t.get("termination_wait_minutes", int, d.termination_wait_minutes),
    )
    t.finish()
    validate_deployment_settings(
        deployment_config=deployment.config,
        ready_wait_minutes=deployment.ready_wait_minutes,
        termination_wait_minutes=deployment.termination_wait_minutes,
        engine=deployment.engine,
        field_prefix=t.prefix,
        shift_prefix="custom.",
    )
    return deployment


def _alarms(t: _Table) -> AlarmSettings:
    d = AlarmThresholds()
    thresholds = build_under(
        t.prefix,
        AlarmThresholds,
        target_5xx_count=t.get("target_5xx_count", int, d.target_5xx_count),
        unhealthy_hosts=t.get("unhealthy_hosts", int, d.unhealthy_hosts),
        # A number: TOML writes 1 and 1.0 differently, both mean a second.
        p95_response_seconds=t.get("p95_response_seconds", object, d.p95_response_seconds),  # type: ignore[arg-type]
        period_seconds=t.get("period_seconds", int, d.period_seconds),
        evaluation_periods=t.get("evaluation_periods", int, d.evaluation_periods),
    )
    alarms = AlarmSettings(enabled=t.get("enabled", bool, True), thresholds=thresholds)
    t.finish()
    return alarms


def _autoscaling(t: _Table) -> AutoscalingSettings:
    d = ScalingRules()
    rules = build_under(
        t.prefix,
        ScalingRules,
        min_count=t.get("min_count", int, d.min_count),
        max_count=t.get("max_count", int, d.max_count),
        cpu_target_percent=t.get("cpu_target_percent", int, d.cpu_target_percent),
        requests_per_target=t.get("requests_per_target", int, d.requests_per_target),
        scale_in_cooldown_seconds=t.get(
            "scale_in_cooldown_seconds", int, d.scale_in_cooldown_seconds
        ),
        scale_out_cooldown_seconds=t.get(
            "scale_out_cooldown_seconds", int, d.scale_out_cooldown_seconds
        ),
    )
    autoscaling = AutoscalingSettings(enabled=t.get("enabled", bool, False), rules=rules)
    t.finish()
    return autoscaling


def _check_promoted_service(data: Mapping[str, Any], settings: Settings) -> None:
    """A promoted environment has no repositories: its images are its source's."""
    source = settings.pipeline.promote_from
    service = data.get("service")
    if source is None or not isinstance(service, Mapping):
        return
    for key in REPOSITORY_SETTINGS:
        if key in service:
            raise ValidationError(
                f"service.{key}",
                f"means nothing with pipeline.promote_from = {source!r}: this environment "
                f"runs {source!r}'s images from {source!r}'s repositories",
            )


def _check_desired_count_in_range(settings: Settings) -> None:
    """The service starts with ``service.desired_count`` tasks: with autoscaling on, that
    must lie within the range the autoscaler keeps it in."""
    autoscaling, desired = settings.autoscaling, settings.service.desired_count
    if not autoscaling.enabled:
        return
    rules = autoscaling.rules
    if desired < rules.min_count:
        raise ValidationError(
            "autoscaling.min_count",
            f"must be at most service.desired_count ({desired}), got {rules.min_count}",
        )
    if desired > rules.max_count:
        raise ValidationError(
            "autoscaling.max_count",
            f"must be at least service.desired_count ({desired}), got {rules.max_count}",
        )


def _check_release_template_size(settings: Settings) -> None:
    """The app's environment and secrets must leave the release template (``taskdef.json``
    in Parameter Store, rendered with every reference at its longest) within SSM's 8 KB,
    and so the task definitions within ECS's 64 KiB: else the first apply fails."""
    service = settings.service
    if not service.environment and not service.secrets:
        return
    field = "service.environment" if service.environment else "service.secrets"
    try:
        size = release_template_bound(settings)
    except ValidationError as error:  # the task spec's own limit (ECS's 64 KiB)
        raise ValidationError(field, error.reason) from None
    if size > SSM_PARAMETER_MAX_BYTES:
        raise ValidationError(
            field,
            f"with the secrets' ARNs the release template (taskdef.json in Parameter Store) "
            f"would take up to {size} bytes; SSM holds {SSM_PARAMETER_MAX_BYTES}: keep less "
            "here (e.g. one secret holding a JSON document, read by key)",
        )


def release_template_bound(settings: Settings, stack_name: str | None = None) -> int:
    """The most bytes the stack's release template can take, every reference at its
    longest (``stack_name``: the stack's name, when named apart from its settings)."""
    task = workload_task(settings.service)
    source = settings.pipeline.promote_from
    # A promoted environment runs its source's images: that project's name is not known
    # here, so it is taken at its longest.
    image_home = f"{'p' * PROJECT_MAX}-{source}" if source else None
    return release_template_bytes(
        task,
        longest_release_target(
            stack_name or settings.stack_name, settings.region, task, image_home
        ),
        region=settings.region,
        primary_container=APP,
        style=engine(settings.deployment.engine).template_style,
    )


def _choice(t: _Table, key: str, choices: tuple[T, ...], default: T) -> T:
    value = t.get(key, str, str(default))
    for choice in choices:
        if value == choice:
            return choice
    raise ValidationError(
        t.name(key), f"must be one of {', '.join(map(str, choices))}, got {show(value)}"
    )


def _verification(t: _Table) -> VerificationSettings:
    d = VerificationSettings()
    listed = t.get("probes", list, None)
    probes = d.probes if listed is None else tuple(_probes(t.name("probes"), listed))
    verification = VerificationSettings(
        enabled=t.get("enabled", bool, d.enabled),
        probes=probes,
        deadline_seconds=t.get("deadline_seconds", int, d.deadline_seconds),
        interval_seconds=t.get("interval_seconds", int, d.interval_seconds),
        request_timeout_seconds=t.get("request_timeout_seconds", int, d.request_timeout_seconds),
        required_passes=t.get("required_passes", int, d.required_passes),
    )
    t.finish()
    validate_verification_settings(
        probes=verification.probes,
        deadline_seconds=verification.deadline_seconds,
        interval_seconds=verification.interval_seconds,
        request_timeout_seconds=verification.request_timeout_seconds,
        required_passes=verification.required_passes,
        field_prefix=t.prefix,
    )
    return verification


def _probes(name: str, entries: list[Any]) -> Iterator[Probe]:
    """``[[verification.probes]]`` tables; Probe's own checks, named by their position."""
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ValidationError(f"{name}[{i}]", f"must be a table, got {show(entry)}")
        t = _Table(entry, f"{name}[{i}].")
        path = t.get("path", str, "")
        status = t.get("status", int, 200)
        body = t.get("body", str, "") or None
        body_is_version = t.get("body_is_version", bool, False)
        t.finish()
        try:
            yield Probe(path=path, status=status, body=body, body_is_version=body_is_version)
        except ValidationError as error:
            raise ValidationError(f"{t.prefix}{error.field}", error.reason) from None


def _retention(t: _Table, key: str, default: int) -> int:
    """Days CloudWatch Logs accepts, or 0 for off."""
    days = t.get(key, int, default)
    if days != 0:
        check_log_retention(t.name(key), days)
    return days
