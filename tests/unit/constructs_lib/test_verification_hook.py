"""VerificationHook: the AfterAllowTestTraffic Lambda, its role, logs and network access.

One stack holds two hooks and is synthesized once for the module: ``verify`` with the
default probes (one compares the body with the deployed version) and ``plain`` whose probes
do not, so the version-only permissions can be seen present in one and absent in the other.
A second stack holds ``tls``, whose test listener has a certificate for a custom domain
(``test_host_name``): its probes are HTTPS.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from constructs_lib.validation import ValidationError
from constructs_lib.verification_hook import (
    DEFAULT_PROBES,
    FUNCTION_NAME_MAX,
    HOOK_EVENT,
    PACKAGE_DIR,
    Probe,
    VerificationHook,
    VerificationHookProps,
    function_name,
    hook_environment,
    lambda_timeout,
    package_zip,
)
from tests.lambda_package import load_verify_test_traffic
from tests.synth import Synth

ROOT = Path(__file__).resolve().parents[3]
ALB_SG = "sg-0a1b2c3d4e5f60718"
SUBNETS = ("subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb")
DEPLOYMENT_GROUP = "arn:aws:codedeploy:eu-west-1:123456789012:deploymentgroup:orders/orders"
TEST_PORT = 9000
API_CIDR = "10.20.0.0/16"
# The actions AWS lets no policy scope to a resource: the only ones allowed "*".
UNSCOPABLE = {"ec2:DescribeNetworkInterfaces", "ecs:DescribeTaskDefinition"}


def _props(**overrides: Any) -> VerificationHookProps:
    fields: dict[str, Any] = {
        "name_prefix": "orders",
        "region": "eu-west-1",
        "vpc_id": "vpc-0123456789abcdef0",
        "subnet_ids": SUBNETS,
        "load_balancer_arn_suffix": "app/orders/0123456789abcdef",
        "load_balancer_dns_name": "orders-123456789.eu-west-1.elb.amazonaws.com",
        "test_port": TEST_PORT,
        "load_balancer_security_group_id": ALB_SG,
        "api_egress_cidr": API_CIDR,
        "deployment_group_arn": DEPLOYMENT_GROUP,
        "deadline_seconds": 240,
        "interval_seconds": 10,
        "request_timeout_seconds": 4,
        "required_passes": 3,
        "log_retention_days": 14,
    }
    return VerificationHookProps(**{**fields, **overrides})


VERIFY = _props()
PLAIN = _props(name_prefix="plain", probes=(Probe(path="/health", body="ok"),))
DOMAIN = "orders.example.com"
TLS = _props(name_prefix="tls", test_host_name=DOMAIN)


@pytest.fixture(scope="module")
def stack(new_stack: Callable[..., Any]) -> Any:
    from constructs_lib.bindings import LocalBackend, TerraformOutput

    built = new_stack("verification-hook")
    # A relative state path, as the product's stacks use: cdktf's default is absolute.
    LocalBackend(built, path="terraform.verification-hook.tfstate")
    hook = VerificationHook(built, "verify", VERIFY)
    VerificationHook(built, "plain", PLAIN)
    TerraformOutput(built, "hooks", value=hook.hooks)
    TerraformOutput(built, "function_name", value=hook.function_name)
    TerraformOutput(built, "role_arn", value=hook.role_arn)
    TerraformOutput(built, "security_group_id", value=hook.security_group_id)
    return built


@pytest.fixture(scope="module")
def s(stack: Any, synth: Callable[[Any], Synth]) -> Synth:
    return synth(stack)


@pytest.fixture(scope="module")
def tls(new_stack: Callable[..., Any], synth: Callable[[Any], Synth]) -> Synth:
    """The ``tls`` hook alone: its own stack, so the two hooks above stay all there is."""
    built = new_stack("verification-hook-tls")
    VerificationHook(built, "tls", TLS)
    return synth(built)


@pytest.fixture(scope="module")
def handler() -> ModuleType:
    return load_verify_test_traffic()


def _name(s: Synth, kind: str, hook: str) -> str:
    return s.named(kind, f"{hook}_")[0]


def _body(s: Synth, kind: str, hook: str) -> dict[str, Any]:
    return s.named(kind, f"{hook}_")[1]


def _statements(s: Synth, hook: str) -> dict[str, dict[str, Any]]:
    policy = json.loads(_body(s, "aws_iam_role_policy", hook)["policy"])
    return {st["Sid"]: st for st in policy["Statement"]}


def _data(s: Synth, kind: str, hook: str, attribute: str) -> str:
    (name,) = [n for n in s.data(kind) if n.startswith(f"{hook}_")]
    return f"${{data.{kind}.{name}.{attribute}}}"


# --- the function --------------------------------------------------------------------


def test_function_runs_the_handler_with_bounded_time(s: Synth) -> None:
    function = _body(s, "aws_lambda_function", "verify")
    assert function["function_name"] == "orders-verify-test-traffic"
    assert function["runtime"] in ("python3.12", "python3.13")
    assert function["handler"] == "index.handler"
    assert function["memory_size"] == 128
    assert function["timeout"] == 240 + 4 + 30  # deadline + one request + headroom
    assert "reserved_concurrent_executions" not in function
    assert function["role"] == s.ref("aws_iam_role", _name(s, "aws_iam_role", "verify"), "arn")


def test_timeout_is_capped_at_lambdas_limit() -> None:
    assert lambda_timeout(_props(deadline_seconds=900, interval_seconds=5)) == 900
    assert lambda_timeout(_props(deadline_seconds=860, request_timeout_seconds=10)) == 900
    assert lambda_timeout(_props(deadline_seconds=10, interval_seconds=1)) == 10 + 4 + 30


def test_environment_is_exactly_the_handlers_contract(s: Synth) -> None:
    variables = _body(s, "aws_lambda_function", "verify")["environment"]["variables"]
    assert variables == {
        "LOAD_BALANCER": "app/orders/0123456789abcdef",
        "LOAD_BALANCER_DNS": "orders-123456789.eu-west-1.elb.amazonaws.com",
        "TEST_PORT": "9000",
        "PROBES": json.dumps(
            [
                {"path": "/health", "status": 200, "body": "ok"},
                {"path": "/", "status": 200, "body_is_version": True},
            ],
            separators=(",", ":"),
        ),
        "VERSION_CONTAINER": "app",
        "VERSION_VARIABLE": "VERSION",
        "DEADLINE_SECONDS": "240",
        "INTERVAL_SECONDS": "10",
        "REQUEST_TIMEOUT_SECONDS": "4",
        "REQUIRED_PASSES": "3",
    }


def test_https_hook_environment_adds_only_the_test_host_name(s: Synth, tls: Synth) -> None:
    verify = _body(s, "aws_lambda_function", "verify")["environment"]["variables"]
    https = _body(tls, "aws_lambda_function", "tls")["environment"]["variables"]
    assert https == {**verify, "TEST_HOST_NAME": DOMAIN}


def test_environment_has_no_test_host_name_without_one(s: Synth) -> None:
    """So the synthesized stacks without a domain stay what they were."""
    for hook in ("verify", "plain"):
        variables = _body(s, "aws_lambda_function", hook)["environment"]["variables"]
        assert "TEST_HOST_NAME" not in variables
    assert "TEST_HOST_NAME" not in hook_environment(PLAIN)
    assert hook_environment(TLS)["TEST_HOST_NAME"] == DOMAIN


def test_description_says_https_only_with_a_test_host_name(s: Synth, tls: Synth) -> None:
    assert _body(s, "aws_lambda_function", "verify")["description"] == (
        "CodeDeploy AfterAllowTestTraffic hook: probes the test listener"
    )
    assert _body(tls, "aws_lambda_function", "tls")["description"] == (
        "CodeDeploy AfterAllowTestTraffic hook: probes the test listener over HTTPS"
    )


def test_https_hook_has_the_same_network_rules(tls: Synth) -> None:
    """HTTPS goes to the same test port: the ALB admits the hook there, as for HTTP."""
    group = tls.ref("aws_security_group", _name(tls, "aws_security_group", "tls"), "id")
    assert _rules(tls, "aws_vpc_security_group_ingress_rule", ALB_SG) == [
        {"ip_protocol": "tcp", "from_port": TEST_PORT, "to_port": TEST_PORT, "peer": group}
    ]
    assert sorted(_rules(tls, "aws_vpc_security_group_egress_rule", group), key=str) == sorted(
        [
            {"ip_protocol": "tcp", "from_port": TEST_PORT, "to_port": TEST_PORT, "peer": ALB_SG},
            {"ip_protocol": "tcp", "from_port": 443, "to_port": 443, "peer": API_CIDR},
        ],
        key=str,
    )


def test_handler_reads_the_synthesized_environment_as_the_props_say(
    s: Synth, tls: Synth, handler: ModuleType
) -> None:
    """The handler's own loader accepts what was synthesized and reads back every prop."""
    for synthesized, hook, props in ((s, "verify", VERIFY), (s, "plain", PLAIN), (tls, "tls", TLS)):
        variables = _body(synthesized, "aws_lambda_function", hook)["environment"]["variables"]
        config = handler.load_config(variables)
        assert config.load_balancer == props.load_balancer_arn_suffix
        assert config.load_balancer_dns == props.load_balancer_dns_name
        assert config.test_port == props.test_port
        assert [(p.path, p.status, p.body, p.body_is_version) for p in config.probes] == [
            (p.path, p.status, p.body, p.body_is_version) for p in props.probes
        ]
        assert config.version_container == props.version_container
        assert config.version_variable == props.version_variable
        assert config.deadline_seconds == props.deadline_seconds
        assert config.interval_seconds == props.interval_seconds
        assert config.request_timeout_seconds == props.request_timeout_seconds
        assert config.required_passes == props.required_passes
        assert config.needs_version == props.needs_version
        assert config.test_host_name == props.test_host_name
        assert config.scheme == ("http" if props.test_host_name is None else "https")
        # The Lambda timeout leaves the handler its whole probing deadline.
        timeout_ms = _body(synthesized, "aws_lambda_function", hook)["timeout"] * 1000
        assert handler.time_budget(config, timeout_ms) == props.deadline_seconds


def test_every_default_probe_is_accepted_by_the_handler(handler: ModuleType) -> None:
    environment = hook_environment(_props(probes=DEFAULT_PROBES))
    probes = handler.load_config(environment).probes
    assert probes == (
        handler.Probe("/health", 200, "ok", False),
        handler.Probe("/", 200, None, True),
    )


def test_function_runs_in_the_vpc_with_its_own_security_group(s: Synth) -> None:
    vpc_config = _body(s, "aws_lambda_function", "verify")["vpc_config"]
    assert vpc_config == {
        "subnet_ids": list(SUBNETS),
        "security_group_ids": [
            s.ref("aws_security_group", _name(s, "aws_security_group", "verify"), "id")
        ],
    }
    group = _body(s, "aws_security_group", "verify")
    assert group["vpc_id"] == "vpc-0123456789abcdef0"
    assert "ingress" not in group
    assert "egress" not in group  # rules are separate resources; Terraform drops AWS's default


def test_function_waits_for_its_policy_and_log_group(s: Synth) -> None:
    depends_on = _body(s, "aws_lambda_function", "verify")["depends_on"]
    assert sorted(depends_on) == sorted(
        [
            f"aws_iam_role_policy.{_name(s, 'aws_iam_role_policy', 'verify')}",
            f"aws_cloudwatch_log_group.{_name(s, 'aws_cloudwatch_log_group', 'verify')}",
        ]
    )


def test_package_is_a_relative_asset_whose_hash_redeploys_changes(s: Synth) -> None:
    function = _body(s, "aws_lambda_function", "verify")
    match = re.fullmatch(
        r"assets/[\w-]+/([0-9A-F]{32})/verify_test_traffic\.zip", function["filename"]
    )
    assert match, function["filename"]
    assert function["source_code_hash"] == match.group(1)
    # The other hook ships the same code: same package, same hash.
    assert _body(s, "aws_lambda_function", "plain")["source_code_hash"] == match.group(1)


def test_synthesized_stack_holds_no_machine_paths(s: Synth) -> None:
    for path in {"/work/", str(Path.home()), str(ROOT)}:
        assert path not in s.text


def test_package_directory_holds_only_the_handler() -> None:
    assert sorted(p.name for p in PACKAGE_DIR.iterdir() if p.name != "__pycache__") == ["index.py"]


def test_package_zip_ships_the_python_files_only_and_depends_on_content_only(
    tmp_path: Path,
) -> None:
    source = tmp_path / "handler"
    source.mkdir()
    (source / "index.py").write_text("def handler(event, context):\n    return 1\n")
    (source / "__pycache__").mkdir()
    (source / "__pycache__" / "index.cpython-311.pyc").write_bytes(b"stale")
    (source / "notes.txt").write_text("not shipped")
    first = package_zip(source, tmp_path / "cache")
    with zipfile.ZipFile(first) as archive:
        assert archive.namelist() == ["index.py"]
        (entry,) = archive.infolist()
        assert entry.date_time == (1980, 1, 1, 0, 0, 0)
        assert archive.read("index.py").startswith(b"def handler")
    # Same content later (new mtime, other stray files): the same bytes, the same file.
    os.utime(source / "index.py", (0, 0))
    (source / "other.txt").write_text("x")
    again = package_zip(source, tmp_path / "cache")
    assert again == first and again.read_bytes() == first.read_bytes()
    assert first.name == "handler.zip"
    # Changed code: another package.
    (source / "index.py").write_text("def handler(event, context):\n    return 2\n")
    assert package_zip(source, tmp_path / "cache") != first


def test_log_group_is_the_functions_with_retention(s: Synth) -> None:
    group = _body(s, "aws_cloudwatch_log_group", "verify")
    assert group["name"] == "/aws/lambda/orders-verify-test-traffic"
    assert group["retention_in_days"] == 14


def test_attributes_name_the_created_resources(s: Synth) -> None:
    function = _name(s, "aws_lambda_function", "verify")
    outputs = {name: output["value"] for name, output in s.tf["output"].items()}
    assert outputs["hooks"] == {HOOK_EVENT: s.ref("aws_lambda_function", function, "arn")}
    assert HOOK_EVENT == "AfterAllowTestTraffic"
    assert outputs["function_name"] == s.ref("aws_lambda_function", function, "function_name")
    assert outputs["role_arn"] == s.ref("aws_iam_role", _name(s, "aws_iam_role", "verify"), "arn")
    assert outputs["security_group_id"] == s.ref(
        "aws_security_group", _name(s, "aws_security_group", "verify"), "id"
    )


def test_long_prefixes_fit_lambdas_name_limit() -> None:
    name = function_name("a" * 200)
    assert len(name) == FUNCTION_NAME_MAX
    assert name.endswith("-verify-test-traffic")
    assert function_name("a" * 200) != function_name("a" * 199)


# --- IAM ------------------------------------------------------------------------------


def test_role_is_assumed_by_lambda_of_this_account_only(s: Synth) -> None:
    role = _body(s, "aws_iam_role", "verify")
    assert len(role["name"]) <= 64
    (trust,) = json.loads(role["assume_role_policy"])["Statement"]
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert trust["Action"] == "sts:AssumeRole"
    assert trust["Condition"] == {
        "StringEquals": {
            "aws:SourceAccount": _data(s, "aws_caller_identity", "verify", "account_id")
        }
    }
    assert len(s.resources("aws_iam_role_policy")) == 2  # one inline policy per hook


def test_policy_grants_exactly_what_the_handler_and_lambda_need(s: Synth) -> None:
    partition = _data(s, "aws_partition", "verify", "partition")
    account = _data(s, "aws_caller_identity", "verify", "account_id")
    ec2 = f"arn:{partition}:ec2:eu-west-1"
    group = s.ref("aws_security_group", _name(s, "aws_security_group", "verify"), "arn")
    logs = s.ref("aws_cloudwatch_log_group", _name(s, "aws_cloudwatch_log_group", "verify"), "arn")
    granted = {sid: (st["Action"], st["Resource"]) for sid, st in _statements(s, "verify").items()}
    assert granted == {
        "ReportToOwnDeploymentGroup": (
            ["codedeploy:GetDeployment", "codedeploy:PutLifecycleEventHookExecutionStatus"],
            [DEPLOYMENT_GROUP],
        ),
        "DescribeNetworkInterfaces": (["ec2:DescribeNetworkInterfaces"], ["*"]),
        "ReadDeployedTaskDefinition": (["ecs:DescribeTaskDefinition"], ["*"]),
        "CreateInterfacesInOwnSubnets": (
            ["ec2:CreateNetworkInterface"],
            [
                f"{ec2}:{account}:network-interface/*",
                f"{ec2}:*:subnet/{SUBNETS[0]}",
                f"{ec2}:*:subnet/{SUBNETS[1]}",
                group,
            ],
        ),
        "ManageOwnAccountInterfaces": (
            [
                "ec2:AssignPrivateIpAddresses",
                "ec2:DeleteNetworkInterface",
                "ec2:UnassignPrivateIpAddresses",
            ],
            [f"{ec2}:{account}:network-interface/*"],
        ),
        "WriteOwnLogs": (
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [f"{logs}:log-stream:*"],
        ),
    }
    assert all(
        st["Effect"] == "Allow" and "Condition" not in st
        for st in _statements(s, "verify").values()
    )


def test_version_permissions_only_when_a_probe_compares_the_version(s: Synth) -> None:
    plain = _statements(s, "plain")
    assert "ReadDeployedTaskDefinition" not in plain
    assert plain["ReportToOwnDeploymentGroup"]["Action"] == [
        "codedeploy:PutLifecycleEventHookExecutionStatus"
    ]
    assert set(_statements(s, "verify")) - set(plain) == {"ReadDeployedTaskDefinition"}


def test_no_wildcard_action_and_star_resources_only_where_aws_requires(s: Synth) -> None:
    for hook in ("verify", "plain"):
        for sid, st in _statements(s, hook).items():
            assert not any("*" in action for action in st["Action"]), sid
            if "*" in st["Resource"]:
                assert st["Resource"] == ["*"], sid
                assert set(st["Action"]) <= UNSCOPABLE, sid


# --- network --------------------------------------------------------------------------


def _rules(s: Synth, kind: str, group_id: str) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in rule.items() if k in ("ip_protocol", "from_port", "to_port")}
        | {"peer": rule.get("referenced_security_group_id") or rule.get("cidr_ipv4")}
        for rule in s.resources(kind).values()
        if rule["security_group_id"] == group_id
    ]


def test_alb_admits_only_the_hook_on_the_test_port(s: Synth) -> None:
    hooks = {
        s.ref("aws_security_group", _name(s, "aws_security_group", hook), "id")
        for hook in ("verify", "plain")
    }
    rules = _rules(s, "aws_vpc_security_group_ingress_rule", ALB_SG)
    assert sorted(rules, key=lambda r: r["peer"]) == sorted(
        (
            {"ip_protocol": "tcp", "from_port": TEST_PORT, "to_port": TEST_PORT, "peer": h}
            for h in hooks
        ),
        key=lambda r: r["peer"],
    )
    assert _rules(s, "aws_vpc_security_group_egress_rule", ALB_SG) == []


def test_hook_reaches_only_the_test_listener_and_https_apis(s: Synth) -> None:
    group = s.ref("aws_security_group", _name(s, "aws_security_group", "verify"), "id")
    assert _rules(s, "aws_vpc_security_group_ingress_rule", group) == []
    assert sorted(_rules(s, "aws_vpc_security_group_egress_rule", group), key=str) == sorted(
        [
            {"ip_protocol": "tcp", "from_port": TEST_PORT, "to_port": TEST_PORT, "peer": ALB_SG},
            {"ip_protocol": "tcp", "from_port": 443, "to_port": 443, "peer": API_CIDR},
        ],
        key=str,
    )


# --- props validation (no synthesis) --------------------------------------------------


@pytest.mark.parametrize(
    ("probe", "field"),
    [
        pytest.param({"path": "health"}, "path", id="path-starts-with-slash"),
        pytest.param({"path": "/he alth"}, "path", id="path-has-no-whitespace"),
        pytest.param({"path": "/", "status": 99}, "status", id="status-at-least-100"),
        pytest.param({"path": "/", "status": 600}, "status", id="status-at-most-599"),
        pytest.param({"path": "/", "status": True}, "status", id="status-is-an-int"),
        pytest.param({"path": "/", "body": 1}, "body", id="body-is-a-string"),
        pytest.param({"path": "/", "body": "${x}"}, "body", id="body-is-no-template"),
        pytest.param({"path": "/", "body_is_version": "yes"}, "body_is_version", id="bool"),
        pytest.param(
            {"path": "/", "body": "ok", "body_is_version": True}, "body", id="not-both-bodies"
        ),
    ],
)
def test_probe_rules(probe: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as error:
        Probe(**probe)
    assert error.value.field == field


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"name_prefix": "Orders"}, "name_prefix", id="name-prefix"),
        pytest.param({"region": "Ireland"}, "region", id="region"),
        pytest.param({"vpc_id": ""}, "vpc_id", id="vpc-id"),
        pytest.param({"subnet_ids": ()}, "subnet_ids", id="subnets-at-least-one"),
        pytest.param(
            {"subnet_ids": tuple(f"subnet-{i:x}" for i in range(17))},
            "subnet_ids",
            id="subnets-at-most-16",
        ),
        pytest.param({"subnet_ids": ("subnet 1",)}, "subnet_ids[0]", id="subnet-id"),
        pytest.param({"subnet_ids": (SUBNETS[0],) * 2}, "subnet_ids", id="subnets-distinct"),
        pytest.param(
            {"load_balancer_arn_suffix": "orders"}, "load_balancer_arn_suffix", id="arn-suffix"
        ),
        pytest.param(
            {"load_balancer_dns_name": "http://x"}, "load_balancer_dns_name", id="dns-name"
        ),
        pytest.param({"test_port": 0}, "test_port", id="test-port"),
        pytest.param(
            {"load_balancer_security_group_id": "alb"},
            "load_balancer_security_group_id",
            id="alb-security-group",
        ),
        pytest.param({"api_egress_cidr": "10.0.0.1/16"}, "api_egress_cidr", id="api-cidr"),
        pytest.param(
            {"deployment_group_arn": "arn:aws:codedeploy:eu-west-1:123456789012:application:x"},
            "deployment_group_arn",
            id="deployment-group-arn",
        ),
        pytest.param({"probes": ()}, "probes", id="probes-at-least-one"),
        pytest.param({"probes": ({"path": "/"},)}, "probes[0]", id="probes-are-probes"),
        pytest.param(
            {"probes": (Probe(path="/", body="x" * 2100),)}, "probes", id="probes-fit-in-env"
        ),
        pytest.param({"version_container": ""}, "version_container", id="version-container"),
        pytest.param({"version_variable": "1X"}, "version_variable", id="version-variable"),
        pytest.param({"deadline_seconds": 9}, "deadline_seconds", id="deadline-at-least-10"),
        pytest.param({"deadline_seconds": 901}, "deadline_seconds", id="deadline-at-most-900"),
        pytest.param({"interval_seconds": 0}, "interval_seconds", id="interval-at-least-1"),
        pytest.param(
            {"deadline_seconds": 10, "interval_seconds": 10},
            "interval_seconds",
            id="interval-below-deadline",
        ),
        pytest.param(
            {"request_timeout_seconds": 61}, "request_timeout_seconds", id="request-timeout"
        ),
        pytest.param(
            {"deadline_seconds": 10, "interval_seconds": 1, "request_timeout_seconds": 10},
            "request_timeout_seconds",
            id="request-timeout-below-deadline",
        ),
        pytest.param({"required_passes": 0}, "required_passes", id="passes-at-least-1"),
        pytest.param(
            {"deadline_seconds": 30, "interval_seconds": 10, "required_passes": 4},
            "required_passes",
            id="passes-fit-in-deadline",
        ),
        pytest.param({"log_retention_days": 10}, "log_retention_days", id="log-retention"),
    ],
)
def test_props_rules(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as error:
        _props(**overrides)
    assert error.value.field == field


LONGEST_NAME = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])  # 253 characters
GOOD_HOST_NAMES = ["app.example.com", "a", f"{'x' * 63}.example.com", LONGEST_NAME, "1-2.a.io"]
BAD_HOST_NAMES = [
    "App.example.com",
    "app.example.com.",
    "-app.example.com",
    "app-.example.com",
    "app..example.com",
    f"{'a' * 64}.example.com",
    LONGEST_NAME + "d",
    "https://app.example.com",
    "app.example.com:443",
    "*.example.com",
    "app_1.example.com",
]


@pytest.mark.parametrize("name", GOOD_HOST_NAMES)
def test_test_host_name_accepts_dns_host_names(name: str) -> None:
    assert _props(test_host_name=name).test_host_name == name


@pytest.mark.parametrize("name", [*BAD_HOST_NAMES, "", "app.example.com\n", 1, b"app.example.com"])
def test_test_host_name_refuses_anything_else_in_one_line(name: object) -> None:
    with pytest.raises(ValidationError) as error:
        _props(test_host_name=name)
    assert error.value.field == "test_host_name"
    assert str(error.value).startswith("test_host_name: must be a DNS host name (lowercase")
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("name", GOOD_HOST_NAMES + BAD_HOST_NAMES)
def test_test_host_name_rules_are_the_handlers(handler: ModuleType, name: str) -> None:
    """The construct refuses exactly what the handler's loader would. (The handler also
    trims whitespace and reads an empty value as unset, like all its variables; the props
    refuse both: None is how they say "plain HTTP".)"""
    try:
        environment = hook_environment(_props(test_host_name=name))
    except ValidationError:
        environment = {**hook_environment(VERIFY), "TEST_HOST_NAME": name}
        with pytest.raises(handler.ConfigError, match="TEST_HOST_NAME must be a DNS host name"):
            handler.load_config(environment)
    else:
        assert handler.load_config(environment).test_host_name == name


def test_valid_edges_are_accepted() -> None:
    _props(deadline_seconds=30, interval_seconds=10, required_passes=3)  # 20 s of pauses
    _props(subnet_ids=tuple(f"subnet-{i:x}" for i in range(16)), deadline_seconds=900)
    _props(probes=(Probe(path="/", status=204),), version_container="web-1", log_retention_days=1)


def test_terraform_references_pass_the_format_checks() -> None:
    from constructs_lib.bindings import Fn

    # Known only at apply time: e.g. an ALB or deployment group created in the same stack.
    props = replace(
        VERIFY,
        load_balancer_arn_suffix=Fn.lower("app/x/0"),
        deployment_group_arn=Fn.lower("arn"),
        subnet_ids=(Fn.lower("subnet"),),
        test_host_name=Fn.lower("Orders.Example.com"),
    )
    assert props.needs_version
