"""VerificationHook: the test-traffic check of an ECS blue/green release.

A Python Lambda function (``handlers/verify_test_traffic``) run once the ALB's test listener
routes to the new tasks: by CodeDeploy as the ``AfterAllowTestTraffic`` hook (engine
``codedeploy``; the verdict goes back with ``PutLifecycleEventHookExecutionStatus``) or by
ECS as the service's ``POST_TEST_TRAFFIC_SHIFT`` lifecycle hook (engine ``ecs``; the verdict
is the function's answer). It probes the test listener on every ALB node until the
configured checks pass a few rounds in a row, then answers pass or fail: the release carries
on or rolls back.

The function runs in the VPC: it reaches the ALB nodes by their private IPs (an
internet-facing ALB's DNS name resolves to public addresses it cannot reach without NAT).
With ``test_host_name`` (a custom domain whose certificate the test listener serves) it
probes those IPs over HTTPS and verifies the certificate against that name.
Its environment variables are the handler's whole configuration; :func:`hook_environment`
renders them from the props, and the tests feed the result to the handler's own loader.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from constructs import Construct

from constructs_lib import bindings as aws
from constructs_lib.engines import codedeploy as codedeploy_engine
from constructs_lib.engines import engine
from constructs_lib.iam import policy_document, service_trust_policy, statement
from constructs_lib.naming import IAM_ROLE_NAME_MAX, aws_name
from constructs_lib.release_spec import DeploymentEngine, check_engine
from constructs_lib.validation import (
    ValidationError,
    check_cidr_text,
    check_format,
    check_health_check_path,
    check_int_range,
    check_load_balancer_suffix,
    check_log_retention,
    check_port,
    check_region,
    check_resource_id,
    check_resource_ids,
    check_resource_prefix,
    check_template_free,
    show,
)

HOOK_EVENT = codedeploy_engine.HOOK_EVENT
"""CodeDeploy's event for the hook (kept importable here)."""
PACKAGE_DIR = Path(__file__).resolve().parent / "handlers" / "verify_test_traffic"
"""The Lambda package: zipped as it stands, so it holds only ``index.py``."""
RUNTIME = "python3.12"
"""The runtime the handler is written for (standard library and the bundled boto3 only)."""
MEMORY_MB = 128
FUNCTION_NAME_MAX = 64
FUNCTION_SUFFIX = "verify-test-traffic"
TIMEOUT_HEADROOM_SECONDS = 30
"""Added to the probing deadline and one request timeout for the Lambda timeout: the AWS
lookups before probing and the status call after it. The handler keeps its own reserve for
the status call too, so a capped timeout shortens probing, never the report."""
LAMBDA_TIMEOUT_MAX = 900
MAX_SUBNETS = 16
"""Lambda accepts at most 16 subnets in a VPC configuration."""
MAX_PROBES_JSON = 2048
"""Lambda allows 4 KB of environment variables in total; ``PROBES`` may take half."""

# The handler's own formats (handlers/verify_test_traffic/index.py), checked here so a bad
# value fails the synth instead of every release.
_HOSTNAME_RE = re.compile(r"[A-Za-z0-9.-]+")
_DNS_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DNS_NAME_RE = re.compile(rf"(?=.{{1,253}}\Z){_DNS_LABEL}(?:\.{_DNS_LABEL})*")
_DNS_NAME = (
    "a DNS host name (lowercase labels of 1-63 letters, digits or hyphens, no hyphen at "
    "either end of a label, at most 253 characters, no trailing dot)"
)
_CONTAINER_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,254}")
_ENV_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True, kw_only=True)
class Probe:
    """One HTTP check against the test listener: ``GET path`` must answer ``status``."""

    path: str
    """Request path (and query), starting with ``/``."""
    status: int = 200
    """Expected HTTP status code (redirects are not followed)."""
    body: str | None = None
    """Expected body, compared with surrounding whitespace stripped; None: not compared."""
    body_is_version: bool = False
    """Expect the body to be the version being deployed: the ``version_variable`` of the
    ``version_container`` in the deployment's new task definition."""

    def __post_init__(self) -> None:
        check_health_check_path("path", self.path)
        check_int_range("status", self.status, 100, 599)
        if self.body is not None:
            if not isinstance(self.body, str):
                raise ValidationError("body", f"must be a string or None, got {show(self.body)}")
            check_template_free("body", self.body)
        if not isinstance(self.body_is_version, bool):
            raise ValidationError(
                "body_is_version", f"must be true or false, got {show(self.body_is_version)}"
            )
        if self.body is not None and self.body_is_version:
            raise ValidationError("body", "cannot be given together with body_is_version")

    def render(self) -> dict[str, Any]:
        """The entry of the handler's ``PROBES`` list (keys left out mean their default)."""
        rendered: dict[str, Any] = {"path": self.path, "status": self.status}
        if self.body is not None:
            rendered["body"] = self.body
        if self.body_is_version:
            rendered["body_is_version"] = True
        return rendered


DEFAULT_PROBES: tuple[Probe, ...] = (
    Probe(path="/health", status=200, body="ok"),
    Probe(path="/", status=200, body_is_version=True),
)


@dataclass(frozen=True, kw_only=True)
class VerificationHookProps:
    name_prefix: str
    """The function is ``<prefix>-verify-test-traffic`` (shortened with a hash to Lambda's 64
    characters); its role, security group and log group are named after it."""
    region: str
    """Region of the function (its network interface and log group ARNs)."""
    vpc_id: str
    """VPC of the ALB: the function runs in it."""
    subnet_ids: Sequence[str]
    """Subnets of the function (1-16), with a route to the ALB's nodes; private ones when
    AWS APIs are reached through interface endpoints or NAT (see ``api_egress_cidr``)."""
    load_balancer_arn_suffix: str
    """The ALB's ARN suffix ``app/<name>/<id>`` (``aws_lb.arn_suffix``): it names the ALB's
    network interfaces, whose private IPs are probed."""
    load_balancer_dns_name: str
    """The ALB's DNS name, sent as the ``Host`` header (unless ``test_host_name`` is set)."""
    test_port: int
    """Port of the ALB's test listener."""
    test_host_name: str | None = None
    """The name the test listener's certificate is for: probes use HTTPS, verify the
    certificate against it and send it as SNI and ``Host``. None: the test listener speaks
    plain HTTP (and ``Host`` is ``load_balancer_dns_name``)."""
    load_balancer_security_group_id: str
    """The ALB's security group: given one ingress rule admitting this function on
    ``test_port``."""
    api_egress_cidr: str
    """Where the function may open HTTPS connections for its AWS API calls (CodeDeploy, EC2,
    and ECS when a probe has ``body_is_version``): the VPC CIDR when interface endpoints
    serve those APIs, ``0.0.0.0/0`` when the subnets reach them through NAT. No default: a
    function in subnets without either never reports, and CodeDeploy waits an hour."""
    engine: DeploymentEngine = "codedeploy"
    """Who runs the hook: CodeDeploy (``AfterAllowTestTraffic``) or ECS
    (``POST_TEST_TRAFFIC_SHIFT``)."""
    deployment_group_arn: str | None = None
    """Engine ``codedeploy`` (required): the deployment group whose deployments this hook may
    report on (and read). Build it from the application and group names when the deploy
    role's policy names this function and the deployment group depends on that policy: the
    group's own ``arn`` attribute would then close a dependency cycle."""
    service_arn: str | None = None
    """Engine ``ecs`` (required): the service whose revisions the hook may read (their task
    definition tells the version being deployed); ``DescribeServiceRevisions`` authorizes
    against the service. Built from the names, like ``deployment_group_arn``."""
    probes: Sequence[Probe] = DEFAULT_PROBES
    """The checks, all of which must pass on every ALB node. Default: ``/health`` answers
    200 ``ok`` and ``/`` answers 200 with the version being deployed."""
    version_container: str = "app"
    """Container whose environment holds the version (used by ``body_is_version`` probes)."""
    version_variable: str = "VERSION"
    """Environment variable of ``version_container`` holding the version."""
    deadline_seconds: int = 120
    """How long the function probes before it gives up and reports ``Failed`` (10-900)."""
    interval_seconds: int = 5
    """Pause between probing rounds (1-300, less than the deadline)."""
    request_timeout_seconds: int = 3
    """Limit of one request, connection to last byte (1-60, less than the deadline)."""
    required_passes: int = 2
    """Consecutive passing rounds needed to report ``Succeeded`` (1-100; they must fit in
    the deadline)."""
    log_retention_days: int = 30
    """Retention of the function's log group (a value CloudWatch accepts)."""

    def __post_init__(self) -> None:
        check_resource_prefix("name_prefix", self.name_prefix, max_length=200)
        check_region("region", self.region)
        check_resource_id("vpc_id", self.vpc_id, "a VPC id")
        subnets = check_resource_ids("subnet_ids", self.subnet_ids, "a subnet id")
        if not 1 <= len(subnets) <= MAX_SUBNETS:
            raise ValidationError("subnet_ids", f"must list 1 to {MAX_SUBNETS} subnet ids")
        check_load_balancer_suffix("load_balancer_arn_suffix", self.load_balancer_arn_suffix)
        check_format(
            "load_balancer_dns_name", self.load_balancer_dns_name, _HOSTNAME_RE, "a host name"
        )
        check_port("test_port", self.test_port)
        if self.test_host_name is not None:
            check_format("test_host_name", self.test_host_name, _DNS_NAME_RE, _DNS_NAME)
        check_resource_id(
            "load_balancer_security_group_id",
            self.load_balancer_security_group_id,
            "a security group id",
        )
        check_cidr_text("api_egress_cidr", self.api_egress_cidr)
        target, pattern, what = engine(check_engine("engine", self.engine)).hook.release_target
        check_format(target, getattr(self, target), pattern, what)
        validate_verification_settings(
            probes=self.probes,
            deadline_seconds=self.deadline_seconds,
            interval_seconds=self.interval_seconds,
            request_timeout_seconds=self.request_timeout_seconds,
            required_passes=self.required_passes,
        )
        check_format(
            "version_container", self.version_container, _CONTAINER_NAME_RE, "a container name"
        )
        check_format(
            "version_variable", self.version_variable, _ENV_NAME_RE, "an environment variable"
        )
        check_log_retention("log_retention_days", self.log_retention_days)

    @property
    def needs_version(self) -> bool:
        """Whether a probe compares against the deployed version (two more API calls)."""
        return any(p.body_is_version for p in self.probes)


def validate_verification_settings(
    *,
    probes: object,
    deadline_seconds: object,
    interval_seconds: object,
    request_timeout_seconds: object,
    required_passes: object,
    field_prefix: str = "",
) -> None:
    """The user-tunable part of :class:`VerificationHookProps`; ``field_prefix`` qualifies
    field names in errors (``verification.``)."""
    f = field_prefix
    if not isinstance(probes, Sequence) or isinstance(probes, str) or not probes:
        raise ValidationError(f"{f}probes", "must be a non-empty sequence of Probe")
    for i, probe in enumerate(probes):
        if not isinstance(probe, Probe):
            raise ValidationError(f"{f}probes[{i}]", f"must be a Probe, got {show(probe)}")
    size = len(probes_json(probes))
    if size > MAX_PROBES_JSON:
        raise ValidationError(
            f"{f}probes",
            f"take {size} characters as JSON; Lambda's 4 KB of environment variables "
            f"leave them {MAX_PROBES_JSON}",
        )
    deadline = check_int_range(f"{f}deadline_seconds", deadline_seconds, 10, 900)
    interval = check_int_range(f"{f}interval_seconds", interval_seconds, 1, 300)
    timeout = check_int_range(f"{f}request_timeout_seconds", request_timeout_seconds, 1, 60)
    passes = check_int_range(f"{f}required_passes", required_passes, 1, 100)
    if interval >= deadline:
        raise ValidationError(
            f"{f}interval_seconds", f"must be less than deadline_seconds ({deadline})"
        )
    if timeout >= deadline:
        raise ValidationError(
            f"{f}request_timeout_seconds", f"must be less than deadline_seconds ({deadline})"
        )
    if (passes - 1) * interval >= deadline:
        raise ValidationError(
            f"{f}required_passes",
            f"{passes} rounds {interval} s apart cannot pass within {deadline} s",
        )


def probes_json(probes: Sequence[Probe]) -> str:
    return json.dumps([p.render() for p in probes], separators=(",", ":"))


def package_zip(source: Path = PACKAGE_DIR, cache_dir: Path | None = None) -> Path:
    """The Lambda package: the ``.py`` files of ``source`` in a zip whose bytes depend on
    their content only (fixed timestamps and modes, sorted), so the asset hash and the
    synthesized JSON are the same on every machine, whatever ``__pycache__`` a test run left.

    Built here rather than by cdktf's ``ARCHIVE`` asset, which zips in the jsii runtime and
    was a third of the whole synth time. The file is content-addressed in the temp folder:
    building it again is a no-op, and no build state lives in the project.
    """
    files = sorted(p for p in source.iterdir() if p.suffix == ".py" and p.is_file())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            entry = zipfile.ZipInfo(path.name, date_time=(1980, 1, 1, 0, 0, 0))
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, path.read_bytes())
    content = buffer.getvalue()
    folder = cache_dir or Path(tempfile.gettempdir()) / "ecs-blue-green-packages"
    target = folder / hashlib.sha256(content).hexdigest()[:16] / f"{source.name}.zip"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(content)
        partial.replace(target)  # atomic: a concurrent synth never reads half a zip
    return target


def function_name(name_prefix: str) -> str:
    return aws_name(name_prefix, FUNCTION_SUFFIX, max_length=FUNCTION_NAME_MAX)


def lambda_timeout(props: VerificationHookProps) -> int:
    """Seconds Lambda lets the function run: the probing deadline, one request that may
    straddle it, and headroom for the lookups and the status call (Lambda's cap: 900)."""
    wanted = props.deadline_seconds + props.request_timeout_seconds + TIMEOUT_HEADROOM_SECONDS
    return min(wanted, LAMBDA_TIMEOUT_MAX)


def hook_environment(props: VerificationHookProps) -> dict[str, str]:
    """The handler's environment contract (``load_config`` in the handler), from the props.

    ``TEST_HOST_NAME`` only with a ``test_host_name``: without one, the environment (and so
    the synthesized stack) is what it was before HTTPS probes existed.
    """
    environment = {
        "LOAD_BALANCER": props.load_balancer_arn_suffix,
        "LOAD_BALANCER_DNS": props.load_balancer_dns_name,
        "TEST_PORT": str(props.test_port),
        "PROBES": probes_json(props.probes),
        "VERSION_CONTAINER": props.version_container,
        "VERSION_VARIABLE": props.version_variable,
        "DEADLINE_SECONDS": str(props.deadline_seconds),
        "INTERVAL_SECONDS": str(props.interval_seconds),
        "REQUEST_TIMEOUT_SECONDS": str(props.request_timeout_seconds),
        "REQUIRED_PASSES": str(props.required_passes),
    }
    if props.test_host_name is not None:
        environment["TEST_HOST_NAME"] = props.test_host_name
    return environment


class VerificationHook(Construct):
    """The hook function, its role, log group and security group.

    Engine ``codedeploy``: put :attr:`hooks` in the AppSpec's ``Hooks`` and let the CodeDeploy
    role invoke :attr:`function_arn` (``lambda:InvokeFunction``). Engine ``ecs``: give
    :attr:`function_arn` to the service's ``NativeRelease.hook_function_arns``.
    """

    def __init__(self, scope: Construct, id_: str, props: VerificationHookProps) -> None:
        super().__init__(scope, id_)
        self.props = props
        self._runner = engine(props.engine).hook
        name = function_name(props.name_prefix)
        self._partition = aws.DataAwsPartition(self, "partition").partition
        self._account = aws.DataAwsCallerIdentity(self, "account").account_id

        # A literal name, not the function's attribute: the function depends on the group.
        self.log_group = aws.CloudwatchLogGroup(
            self,
            "logs",
            name=f"/aws/lambda/{name}",
            retention_in_days=props.log_retention_days,
        )
        self.security_group = self._security_group(name)
        self.security_group_id: str = self.security_group.id
        self.role, policy = self._role(name)
        package = aws.TerraformAsset(
            self, "package", path=str(package_zip()), type=aws.AssetType.FILE
        )
        self.function = aws.LambdaFunction(
            self,
            "function",
            function_name=name,
            description=(
                f"{self._runner.runner} {self._runner.stage} hook: probes the test listener"
                + ("" if props.test_host_name is None else " over HTTPS")
            ),
            role=self.role.arn,
            runtime=RUNTIME,
            handler=self._runner.handler,
            # Relative to the synthesized stack; the content hash redeploys changed code.
            filename=package.path,
            source_code_hash=package.asset_hash,
            memory_size=MEMORY_MB,
            timeout=lambda_timeout(props),
            environment=aws.LambdaFunctionEnvironment(variables=hook_environment(props)),
            vpc_config=aws.LambdaFunctionVpcConfig(
                subnet_ids=list(props.subnet_ids),
                security_group_ids=[self.security_group_id],
            ),
            # Lambda creates the function's network interfaces with the role's permissions
            # at creation time, and the first invocation must find its log group.
            depends_on=[policy, self.log_group],
        )

        self.function_name: str = self.function.function_name
        self.function_arn: str = self.function.arn
        self.role_arn: str = self.role.arn
        self.log_group_name: str = self.log_group.name
        self.hooks: dict[str, str] = self._runner.appspec_hooks(self.function_arn)
        """The AppSpec ``Hooks`` entry (CodeDeploy accepts a function name or ARN); empty
        with engine ``ecs``."""

    def _security_group(self, name: str) -> aws.SecurityGroup:
        props = self.props
        group = aws.SecurityGroup(
            self,
            "sg",
            name=name,
            description=f"{name}: test listener of the ALB and HTTPS to AWS APIs only",
            vpc_id=props.vpc_id,
            tags={"Name": name},
        )
        group_id: str = group.id  # one read: each is a round trip to the jsii runtime
        aws.VpcSecurityGroupIngressRule(
            self,
            "alb-ingress-from-hook",
            security_group_id=props.load_balancer_security_group_id,
            description=f"test listener from the {self._runner.stage} hook",
            ip_protocol="tcp",
            from_port=props.test_port,
            to_port=props.test_port,
            referenced_security_group_id=group_id,
        )
        aws.VpcSecurityGroupEgressRule(
            self,
            "egress-to-test-listener",
            security_group_id=group_id,
            description="the test listener of the ALB",
            ip_protocol="tcp",
            from_port=props.test_port,
            to_port=props.test_port,
            referenced_security_group_id=props.load_balancer_security_group_id,
        )
        aws.VpcSecurityGroupEgressRule(
            self,
            "egress-https-apis",
            security_group_id=group_id,
            description=self._runner.api_egress_description,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4=props.api_egress_cidr,
        )
        return group

    def _role(self, name: str) -> tuple[aws.IamRole, aws.IamRolePolicy]:
        role = aws.IamRole(
            self,
            "role",
            name=aws_name(self.props.name_prefix, FUNCTION_SUFFIX, max_length=IAM_ROLE_NAME_MAX),
            description=f"Execution role of the {name} Lambda function",
            # Only Lambda acting for this account may assume it (confused deputy protection).
            assume_role_policy=service_trust_policy(
                "lambda.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": self._account}},
            ),
        )
        policy = aws.IamRolePolicy(
            self,
            "policy",
            name="verify-test-traffic",
            role=role.id,
            policy=policy_document(*self._statements()),
        )
        return role, policy

    def _statements(self) -> list[dict[str, Any]]:
        props = self.props
        needs_version = props.needs_version
        statements = [
            # Giving the verdict and reading the version: the engine's (CodeDeploy's
            # deployment group, or the ECS service's revisions).
            *self._runner.statements(props),
            # AWS supports no resource-level permission for ec2:DescribeNetworkInterfaces
            # (the ALB's nodes, and Lambda's own interfaces): "*" is required.
            statement("DescribeNetworkInterfaces", ["ec2:DescribeNetworkInterfaces"], ["*"]),
        ]
        if needs_version:
            # AWS supports no resource-level permission for ecs:DescribeTaskDefinition.
            statements.append(
                statement("ReadDeployedTaskDefinition", ["ecs:DescribeTaskDefinition"], ["*"])
            )
        statements += [
            # Lambda creates the function's interfaces in its subnets with its security group;
            # subnets by id in any account, so subnets shared from another account work too.
            statement(
                "CreateInterfacesInOwnSubnets",
                ["ec2:CreateNetworkInterface"],
                [
                    self._ec2_arn("network-interface/*"),
                    *(self._ec2_arn(f"subnet/{s}", account="*") for s in props.subnet_ids),
                    self.security_group.arn,
                ],
            ),
            # Lambda checks DeleteNetworkInterface before any interface (or its id) exists, so
            # no single interface can be named: every network interface of the account and
            # region, the only resource type these actions take.
            statement(
                "ManageOwnAccountInterfaces",
                [
                    "ec2:AssignPrivateIpAddresses",
                    "ec2:DeleteNetworkInterface",
                    "ec2:UnassignPrivateIpAddresses",
                ],
                [self._ec2_arn("network-interface/*")],
            ),
            statement(
                "WriteOwnLogs",
                ["logs:CreateLogStream", "logs:PutLogEvents"],
                [f"{self.log_group.arn}:log-stream:*"],
            ),
        ]
        return statements

    def _ec2_arn(self, resource: str, *, account: str | None = None) -> str:
        owner = self._account if account is None else account
        return f"arn:{self._partition}:ec2:{self.props.region}:{owner}:{resource}"
