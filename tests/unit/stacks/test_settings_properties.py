"""Settings, property-based: whatever a config file holds, it either becomes a ``Settings``
whose derived values AWS and Terraform accept, or stops with one line naming the setting.
Never another exception.

Inputs start from the shipped ``config/dev.toml`` and are mutated: any setting replaced by any
type (ints of any size, floats, bools, dates, unicode / empty / very long strings, lists,
nested tables), CIDR-ish strings and real random networks, names near AWS's length limits,
ports 0-70000, unknown keys, missing tables. The runs are deterministic (``derandomize``)
and write no example database. The number of inputs each property ran is printed at the end
of the module (``settings properties: ...``).

Then the other way round: for every setting of the README's configuration table (read from
the table itself), values of every kind of wrong that applies to it (type, range, shape,
empty, too long, reserved, whitespace, templates, ARNs of another service, partition or
region, conflicts) must each stop ``main`` with exit code 2 and one line naming the file and
that setting: a bad value is never accepted, nor reported under another setting's name.
"""

from __future__ import annotations

import copy
import datetime
import ipaddress
import math
import re
import sys
import tempfile
import tomllib
import unicodedata
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

import main
from constructs_lib.codedeploy_pipeline import (
    BUILD_COMPUTE_TYPES,
    PREDEFINED_ECS_CONFIGS,
)
from constructs_lib.container_spec import TASK_DEFINITION_MAX_BYTES
from constructs_lib.engines import engine
from constructs_lib.fargate_service import CONTAINER_INSIGHTS_MODES, longest_release_target
from constructs_lib.naming import (
    ALB_NAME_MAX,
    IAM_ROLE_NAME_MAX,
    TARGET_GROUP_NAME_MAX,
    aws_name,
)
from constructs_lib.network import plan_subnets
from constructs_lib.release_spec import (
    SSM_PARAMETER_MAX_BYTES,
    TrafficShift,
    release_template_bytes,
)
from constructs_lib.secure_bucket import bucket_name
from constructs_lib.validation import (
    FARGATE_MEMORY_BY_CPU,
    LOG_RETENTION_DAYS,
    ValidationError,
    check_cidr,
    check_fargate_size,
    check_health_check_path,
    check_http_codes,
    check_int_range,
    check_log_retention,
    check_port,
    check_resource_prefix,
    partition_of,
)
from stacks.settings import (
    PROJECT_MAX,
    TASK_PLACEMENTS,
    Settings,
    SettingsError,
    load_settings,
    parse_settings,
)
from stacks.workload import workload_task
from tests.aws_names import S3_BUCKET

ROOT = Path(__file__).resolve().parents[3]
DEV_TEXT = (ROOT / "config" / "dev.toml").read_text()
DEV: dict[str, Any] = tomllib.loads(DEV_TEXT)

# Hypothesis caches Unicode tables and source constants in ./.hypothesis: keep them out of
# the repository (no example database is written at all: database=None).
HYPOTHESIS_HOME = Path(tempfile.gettempdir()) / "ecs-blue-green-hypothesis"
set_hypothesis_home_dir(HYPOTHESIS_HOME)

# Inputs each property ran, and how many of them became Settings: printed when the module
# ends.
EXAMPLES: Counter[str] = Counter()
ACCEPTED: Counter[str] = Counter()

PROFILE = settings(
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)


@pytest.fixture(scope="module", autouse=True)
def _report_example_counts(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    total = sum(EXAMPLES.values())
    detail = ", ".join(
        f"{name} {count} ({ACCEPTED[name]} valid)" for name, count in sorted(EXAMPLES.items())
    )
    line = (
        f"settings properties: {total} generated inputs, {sum(ACCEPTED.values())} valid: {detail}"
    )
    plugins = request.config.pluginmanager
    reporter = plugins.get_plugin("terminalreporter")
    capture = plugins.get_plugin("capturemanager")
    if reporter is None or capture is None:
        print(line)
        return
    with capture.global_and_fixture_disabled():
        reporter.ensure_newline()
        reporter.write_line(line)


# --- every documented setting, and the values it is fuzzed with -----------------------------

# path -> the kind of value the setting takes (picks the targeted strategy below).
SETTING_KINDS: dict[tuple[str, ...], str] = {
    ("project",): "name",
    ("region",): "region",
    ("tags",): "tags",
    ("backend", "kind"): "backend_kind",
    ("backend", "bucket"): "bucket",
    ("backend", "key"): "object_key",
    ("backend", "region"): "region",
    ("backend", "use_lockfile"): "bool",
    ("network", "vpc_cidr"): "cidr",
    ("network", "az_count"): "count",
    ("network", "subnet_prefix_length"): "count",
    ("network", "public_subnet_cidrs"): "cidrs",
    ("network", "private_subnet_cidrs"): "cidrs",
    ("network", "task_placement"): "placement",
    ("load_balancer", "production_port"): "port",
    ("load_balancer", "test_port"): "port",
    ("load_balancer", "production_ingress_cidrs"): "cidrs",
    ("load_balancer", "test_ingress_cidrs"): "cidrs",
    ("load_balancer", "deregistration_delay_seconds"): "count",
    ("load_balancer", "deletion_protection"): "bool",
    ("load_balancer", "idle_timeout_seconds"): "count",
    ("load_balancer", "health_check", "path"): "url_path",
    ("load_balancer", "health_check", "interval_seconds"): "count",
    ("load_balancer", "health_check", "timeout_seconds"): "count",
    ("load_balancer", "health_check", "healthy_threshold"): "count",
    ("load_balancer", "health_check", "unhealthy_threshold"): "count",
    ("load_balancer", "health_check", "matcher"): "matcher",
    ("service", "cpu"): "cpu",
    ("service", "memory"): "memory",
    ("service", "desired_count"): "count",
    ("service", "health_check_grace_period_seconds"): "count",
    ("service", "container_insights"): "insights",
    ("service", "log_retention_days"): "retention",
    ("service", "ecr_images_to_keep"): "count",
    ("service", "ecr_force_delete"): "bool",
    ("service", "app_port"): "port",
    ("service", "proxy_port"): "port",
    ("service", "shutdown_grace_seconds"): "count",
    ("pipeline", "repository"): "repository",
    ("pipeline", "branch"): "branch",
    ("pipeline", "connection_arn"): "connection_arn",
    ("pipeline", "file_paths"): "globs",
    ("pipeline", "buildspec_path"): "buildspec",
    ("pipeline", "build_compute_type"): "compute",
    ("pipeline", "build_timeout_minutes"): "count",
    ("pipeline", "artifact_expiry_days"): "count",
    ("pipeline", "artifact_force_destroy"): "bool",
    ("deployment", "engine"): "engine",
    ("deployment", "config"): "deployment_config",
    ("deployment", "ready_wait_minutes"): "count",
    ("deployment", "termination_wait_minutes"): "count",
    ("deployment", "custom", "kind"): "shift_kind",
    ("deployment", "custom", "percentage"): "count",
    ("deployment", "custom", "interval_minutes"): "count",
    ("network", "nat_gateways"): "nat",
    ("network", "flow_log_retention_days"): "retention",
    ("network", "zone_ids"): "zone_ids",
    ("load_balancer", "certificate_arn"): "certificate_arn",
    ("load_balancer", "http_redirect_port"): "port",
    ("load_balancer", "access_log_retention_days"): "count",
    ("alarms", "enabled"): "bool",
    ("alarms", "target_5xx_count"): "count",
    ("alarms", "unhealthy_hosts"): "count",
    ("alarms", "p95_response_seconds"): "seconds",
    ("alarms", "period_seconds"): "count",
    ("alarms", "evaluation_periods"): "count",
    ("verification", "enabled"): "bool",
    ("verification", "deadline_seconds"): "count",
    ("verification", "interval_seconds"): "count",
    ("verification", "request_timeout_seconds"): "count",
    ("verification", "required_passes"): "count",
    ("verification", "probes"): "probes",
    ("load_balancer", "domain_name"): "domain",
    ("load_balancer", "hosted_zone_id"): "zone_id",
    ("service", "environment"): "environment",
    ("service", "secrets"): "secrets",
    ("service", "secrets_kms_key_arns"): "kms_keys",
    ("account_id",): "account",
    ("load_balancer", "ssl_policy"): "ssl_policy",
    ("pipeline", "promote_from"): "name",
    ("pipeline", "approval"): "approval",
    ("pipeline", "approval_emails"): "emails",
    ("autoscaling", "enabled"): "bool",
    ("autoscaling", "min_count"): "count",
    ("autoscaling", "max_count"): "count",
    ("autoscaling", "cpu_target_percent"): "count",
    ("autoscaling", "requests_per_target"): "count",
    ("autoscaling", "scale_in_cooldown_seconds"): "count",
    ("autoscaling", "scale_out_cooldown_seconds"): "count",
}
TABLES: tuple[tuple[str, ...], ...] = (
    (),
    ("tags",),
    ("backend",),
    ("network",),
    ("load_balancer",),
    ("load_balancer", "health_check"),
    ("service",),
    ("service", "environment"),
    ("service", "secrets"),
    ("pipeline",),
    ("deployment",),
    ("deployment", "custom"),
    ("alarms",),
    ("verification",),
    ("autoscaling",),
)
REAL_REGIONS = (
    "eu-west-1",
    "us-east-1",
    "ap-northeast-1",
    "ap-southeast-5",
    "us-gov-west-1",
    "cn-northwest-1",
    "us-isob-east-1",
    "il-central-1",
)

TRICKY_TEXT = (
    "",
    " ",
    "\n",
    "\r\n",
    "a\nb",
    "\t",
    "\x00",
    "\u2028",
    "\x85",
    "${var.x}",
    "%{ if true }x%{ endif }",
    "$${literal}",
    "${TfToken[TOKEN.1]}",
    "é",
    "日本",
    "😀",
    "x" * 300,
    "/" * 70,
    '"',
    "\\",
    "'",
)
text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(TRICKY_TEXT),
    st.text(alphabet=st.characters(codec="ascii"), max_size=300),
)
ints = st.one_of(
    st.integers(-10, 70000),
    st.integers(),
    st.sampled_from([-(2**63), -1, 0, 1, 2**31, 2**63, 10**30]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    ints,
    st.floats(),
    text,
    st.dates(),
    st.times(),
    st.datetimes(),
)
any_value = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=8,
)

networks = st.builds(
    lambda address, prefix: ipaddress.IPv4Network((address, prefix), strict=False),
    st.integers(0, 2**32 - 1),
    st.integers(0, 32),
)


def _render_cidr(net: ipaddress.IPv4Network, form: str, host: int) -> str:
    """Spellings of a network a user might write, most of which AWS does not accept."""
    address, prefix = net.network_address, net.prefixlen
    octets = str(address).split(".")
    return {
        "canonical": str(net),
        "netmask": f"{address}/{net.netmask}",
        "hostmask": f"{address}/{net.hostmask}",
        "host_bits": f"{address + host % net.num_addresses}/{prefix}",
        "no_prefix": str(address),
        "zero_padded_prefix": f"{address}/0{prefix}",
        "zero_padded_octet": "0" + ".".join(octets) + f"/{prefix}",
        "padded": f" {net} ",
        "trailing_newline": f"{net}\n",
        "plus_prefix": f"{address}/+{prefix}",
        "big_octet": f"{int(octets[0]) + 256}.{'.'.join(octets[1:])}/{prefix}",
        "ipv6": f"fd00::/{min(prefix + 32, 128)}",
        "fullwidth": str(net).translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"}),
    }[form]


CIDR_FORMS = (
    "canonical",
    "canonical",
    "canonical",
    "netmask",
    "hostmask",
    "host_bits",
    "no_prefix",
    "zero_padded_prefix",
    "zero_padded_octet",
    "padded",
    "trailing_newline",
    "plus_prefix",
    "big_octet",
    "ipv6",
    "fullwidth",
)
cidr_text = st.one_of(
    st.builds(_render_cidr, networks, st.sampled_from(CIDR_FORMS), st.integers(1, 2**32)),
    st.from_regex(r"[0-9./ ]{0,20}", fullmatch=True),
    text,
)

PREFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789-"
valid_prefixes = st.from_regex(r"[a-z](?:[a-z0-9]|-[a-z0-9]){0,44}", fullmatch=True)
names = st.one_of(
    valid_prefixes,
    st.text(alphabet=PREFIX_ALPHABET, max_size=70),
    st.text(alphabet=PREFIX_ALPHABET + "A_. \n", max_size=45),
    st.sampled_from(
        [
            *("internal", "internal-tools", "sthree", "amzn-s3-demo-x", "sg-shop", "aws"),
            *("awsome", "ssmx", "shop\n", "a" * 40, "a" * 41),
        ]
    ),
    text,
)
regions = st.one_of(
    st.sampled_from(REAL_REGIONS),
    st.from_regex(r"[a-z]{2}(-[a-z]{1,30}){1,3}-[0-9]{1,2}", fullmatch=True),
    st.sampled_from(["eu-west-1\n", "EU-WEST-1", "eu_west_1", "eusc-de-east-1", ""]),
    text,
)
ports = st.one_of(st.integers(-1, 70000), st.sampled_from([0, 1, 80, 443, 8080, 65535, 65536]))
counts = st.one_of(st.integers(-2, 300), st.integers(-2, 10000), ints)
tag_keys = st.one_of(
    st.from_regex(r"[A-Za-z][A-Za-z0-9_.:/=+@ -]{0,20}", fullmatch=True),
    st.sampled_from(["aws:owner", "AWS:x", "Name", "Project", "k" * 128, "k" * 129, "a$b"]),
    text,
)
tag_values = st.one_of(
    st.from_regex(r"[A-Za-z0-9_.:/=+@ -]{0,30}", fullmatch=True),
    st.sampled_from(["v" * 256, "v" * 257]),
    text,
)
tags = st.one_of(
    st.dictionaries(tag_keys, st.one_of(tag_values, any_value), max_size=6),
    st.dictionaries(
        st.from_regex(r"[a-z]{1,8}", fullmatch=True), st.just("v"), min_size=40, max_size=60
    ),
)
url_paths = st.one_of(
    st.from_regex(r"/[A-Za-z0-9._~/-]{0,40}", fullmatch=True),
    st.sampled_from(["/", "/health?full=1", "/a b", "/${x}", "/" + "a" * 1023, "/" + "a" * 1024]),
    text.map(lambda s: "/" + s),
    text,
)
matchers = st.one_of(
    st.sampled_from(["200", "200-299", "200,202", "200-399,404", "499", "199", "500", "0"]),
    st.sampled_from(["", "abc", "200-", "-200", "200,,201", "299-200", "2000", "200\n"]),
    st.from_regex(r"[0-9,-]{0,15}", fullmatch=True),
    text,
)
all_memory = sorted(set().union(*FARGATE_MEMORY_BY_CPU.values()))
repositories = st.one_of(
    st.from_regex(r"[A-Za-z0-9-]{1,40}/[A-Za-z0-9._-]{1,101}", fullmatch=True),
    st.sampled_from(["acme/shop\n", "acme/shop/x", "/shop", "acme/", "acme/${x}"]),
    text,
)
branches = st.one_of(
    st.from_regex(r"[A-Za-z0-9._/-]{1,40}", fullmatch=True),
    st.sampled_from(["main\n", "feature..x", "a//b", "/main", "main/", "main.", "${x}"]),
    text,
)
CONNECTION = "arn:aws:codeconnections:eu-west-1:123456789012:connection/0f1e2d3c-4b5a-6978"
connection_arns = st.one_of(
    st.sampled_from(
        [
            "",
            CONNECTION,
            CONNECTION.replace("codeconnections", "codestar-connections"),
            CONNECTION + "\n",
            CONNECTION + "${x}",
            "arn:aws:s3:::bucket",
        ]
    ),
    text,
)
globs = st.lists(
    st.one_of(st.from_regex(r"[A-Za-z0-9_./*?-]{1,30}", fullmatch=True), text), max_size=10
)
buildspecs = st.one_of(
    st.from_regex(r"[A-Za-z0-9_./-]{1,30}\.ya?ml", fullmatch=True),
    st.sampled_from(["app/buildspec.yml\n", "../buildspec.yml", "/etc/b.yml", "b.json"]),
    text,
)
object_keys = st.one_of(
    st.from_regex(r"[A-Za-z0-9_./-]{1,40}", fullmatch=True),
    st.sampled_from(["", "/state", "state/", "a//b", "k" * 1025, "a\nb", "${x}"]),
    text,
)
buckets = st.one_of(
    st.from_regex(r"[a-z0-9.-]{1,70}", fullmatch=True),
    st.sampled_from(["my-state", "my..state", "192.168.0.1", "my-state\n", "xn--state"]),
    text,
)


def _one_of(values: Any) -> st.SearchStrategy[Any]:
    return st.sampled_from(tuple(values))


def _mostly(
    valid: st.SearchStrategy[Any], fuzz: st.SearchStrategy[Any], *, rarity: int = 2
) -> st.SearchStrategy[Any]:
    """A value from ``valid``, or once in ``2 ** rarity`` from ``fuzz``: enough valid
    neighbours that a combination of settings gets past the first error."""
    coins = st.lists(st.booleans(), min_size=rarity, max_size=rarity)
    return coins.flatmap(lambda heads: fuzz if all(heads) else valid)


# A team's own service: its configuration, secrets and domain (dev's region).
OWN_REGION = DEV["region"]
OWN_ACCOUNT = "123456789012"
# Digits of other scripts: Python's \d and int() take them, AWS does not.
FULLWIDTH_DIGITS = str.maketrans("0123456789", "".join(chr(0xFF10 + i) for i in range(10)))
ARABIC_INDIC_DIGITS = str.maketrans("0123456789", "".join(chr(0x0660 + i) for i in range(10)))
SECRET_ARN = f"arn:aws:secretsmanager:{OWN_REGION}:{OWN_ACCOUNT}:secret:shop/db-AbCdEf"
PARAMETER_ARN = f"arn:aws:ssm:{OWN_REGION}:{OWN_ACCOUNT}:parameter/shop/api-key"
KMS_KEY_ARN = f"arn:aws:kms:{OWN_REGION}:{OWN_ACCOUNT}:key/0123abcd-4567-89ab-cdef-0123456789ab"
valid_variable_names = st.from_regex(r"[A-Z][A-Z0-9_]{0,20}", fullmatch=True).filter(
    lambda n: (
        not n.startswith(("AWS_", "ECS_"))
        and n not in {"PORT", "VERSION", "SHUTDOWN_GRACE_PERIOD", "RELEASE_SPEC"}
    )
)
variable_names = st.one_of(
    valid_variable_names,
    st.sampled_from(
        ["PORT", "VERSION", "RELEASE_SPEC", "AWS_REGION", "ECS_X", "1A", "A-B", "a.b", "", "é"]
    ),
    text,
)
valid_secret_arns = st.sampled_from(
    [
        SECRET_ARN,
        f"{SECRET_ARN}:password::",
        f"{SECRET_ARN}::AWSPREVIOUS:",
        SECRET_ARN.removesuffix("-AbCdEf"),
        PARAMETER_ARN,
    ]
)
secret_arns = st.one_of(
    valid_secret_arns,
    st.sampled_from(
        [
            SECRET_ARN.replace(OWN_REGION, "us-east-1"),
            SECRET_ARN.replace("arn:aws:", "arn:aws-cn:"),
            f"{SECRET_ARN}:password",
            f"{SECRET_ARN}:::",
            f"{PARAMETER_ARN}:key::",
            PARAMETER_ARN.replace("parameter/", "document/"),
            PARAMETER_ARN.replace("shop/", "aws/"),
            f"{SECRET_ARN}${{x}}",
            f"{SECRET_ARN}\n",
            "hunter2",
            "",
        ]
    ),
    text.map(lambda t: f"{SECRET_ARN}{t}"),
    text,
)
valid_domains = st.lists(
    st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True), min_size=1, max_size=4
).map(lambda labels: ".".join([*labels, "example"]))
domains = st.one_of(
    valid_domains,
    st.sampled_from(
        [
            "App.example.com",
            "app.example.com.",
            "*.example.com",
            "app",
            "10.0.0.1",
            "-a.example.com",
            "a_b.example.com",
            f"{'a' * 64}.example.com",
            ".".join(["label"] * 43),
            "app.example.com\n",
            "",
        ]
    ),
    text,
)
zone_ids = st.one_of(
    st.from_regex(r"Z[A-Z0-9]{1,31}", fullmatch=True),
    st.sampled_from(["", "z123", "/hostedzone/Z123", "Z" + "A" * 32, "Z123\n"]),
    text,
)
environments = st.dictionaries(
    variable_names,
    st.one_of(text, st.sampled_from(["x" * 70000, "a\x00b"]), any_value),
    max_size=5,
)


TARGETED: dict[str, st.SearchStrategy[Any]] = {
    "name": names,
    "region": regions,
    "tags": tags,
    "backend_kind": st.sampled_from(["local", "s3", "gcs", "S3", ""]),
    "bucket": buckets,
    "object_key": object_keys,
    "bool": st.booleans(),
    "cidr": cidr_text,
    "cidrs": st.lists(cidr_text, max_size=7),
    "zone_ids": st.lists(
        st.one_of(
            st.sampled_from(["apne1-az1", "apne1-az2", "use1-az1", "ap-northeast-1a", ""]),
            st.text(max_size=12),
        ),
        max_size=4,
    ),
    "count": counts,
    "port": ports,
    "url_path": url_paths,
    "matcher": matchers,
    "cpu": _one_of([*FARGATE_MEMORY_BY_CPU, 128, 300, 32768]),
    "memory": _one_of([*all_memory, 0, 511, 1536, 17408, 10**9]),
    "insights": _one_of([*CONTAINER_INSIGHTS_MODES, "Enabled", "yes", ""]),
    "placement": _one_of([*TASK_PLACEMENTS, "private", "Public", ""]),
    "retention": _one_of([*LOG_RETENTION_DAYS, 0, 2, 10, 3654]),
    "nat": _one_of(["single", "per-az", "none", "Single", ""]),
    "certificate_arn": _one_of(
        [
            "",
            "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
            "arn:aws:acm:eu-west-1:123456789012:certificate/x",
            "arn:aws:iam::123456789012:server-certificate/x",
        ]
    ),
    "seconds": st.one_of(st.floats(allow_nan=True, allow_infinity=True), counts),
    "probes": st.lists(
        st.dictionaries(
            st.sampled_from(["path", "status", "body", "body_is_version", "expect"]),
            st.one_of(url_paths, counts, st.booleans(), st.text(max_size=5)),
            max_size=4,
        ),
        max_size=3,
    ),
    "repository": repositories,
    "branch": branches,
    "connection_arn": connection_arns,
    "globs": globs,
    "buildspec": buildspecs,
    "compute": _one_of([*BUILD_COMPUTE_TYPES, "BUILD_GENERAL1_HUGE", "small"]),
    "deployment_config": _one_of([*PREDEFINED_ECS_CONFIGS, "custom", "AllAtOnce", ""]),
    "engine": _one_of(["codedeploy", "ecs", "ECS", "native", ""]),
    "shift_kind": _one_of(["canary", "linear", "Canary", "blue", ""]),
    "domain": domains,
    "zone_id": zone_ids,
    "environment": environments,
    "secrets": st.dictionaries(variable_names, _mostly(secret_arns, any_value), max_size=4),
    "kms_keys": st.lists(
        _mostly(
            st.just(KMS_KEY_ARN),
            st.sampled_from(
                [KMS_KEY_ARN.replace("key/", "alias/"), KMS_KEY_ARN.replace(OWN_REGION, "x")]
            )
            | text,
        ),
        max_size=3,
    ),
    "account": st.one_of(
        st.from_regex(r"[0-9]{10,14}", fullmatch=True),
        st.sampled_from(
            ["123456789012", "", " 123456789012", OWN_ACCOUNT.translate(FULLWIDTH_DIGITS)]
        ),
        text,
    ),
    "ssl_policy": st.one_of(
        st.sampled_from(["ELBSecurityPolicy-TLS13-1-2-2021-06", "TLS13", "ELBSecurityPolicy-"]),
        text,
    ),
    "approval": _one_of(["none", "manual", "Manual", "auto", ""]),
    "emails": st.lists(
        st.one_of(
            st.sampled_from(["ops@example.com", "a@b", "ops${x}@example.com", ""]),
            st.emails(),
            text,
        ),
        max_size=3,
    ),
}


# Valid values, built from parts (faster to generate than from regexes).
RESERVED = ("internal-", "sthree-", "amzn-s3-demo-", "sg-", "aws", "ssm")
_LOWER = "abcdefghijklmnopqrstuvwxyz"
_DIGITS = "0123456789"
_words = st.lists(st.text(_LOWER + _DIGITS, min_size=1, max_size=6), max_size=5)
valid_projects = st.builds(
    lambda head, words: "-".join([head, *words]), st.text(_LOWER, min_size=1, max_size=6), _words
).filter(lambda p: len(p) <= 40 and not f"{p}-".startswith(RESERVED))
valid_environments = st.builds(
    lambda head, tail: head + tail,
    st.text(_LOWER, min_size=1, max_size=1),
    st.text(_LOWER + _DIGITS, max_size=7),
)
_segment = st.text(_LOWER + _DIGITS + "_-", min_size=1, max_size=8)
_path = st.lists(_segment, min_size=1, max_size=3).map("/".join)
_http_code = st.integers(200, 499)
valid_matchers = st.one_of(
    _http_code.map(str),
    st.tuples(_http_code, _http_code).map(lambda c: f"{min(c)}-{max(c)}"),
    st.lists(_http_code, min_size=1, max_size=3, unique=True).map(lambda c: ",".join(map(str, c))),
)
_tag_text = st.text(_LOWER + _LOWER.upper() + _DIGITS + "_.:/=+@ -", max_size=20)
valid_tags = st.dictionaries(
    st.builds(
        lambda head, tail: head + tail, st.text(_LOWER.upper(), min_size=1, max_size=1), _tag_text
    ).filter(lambda key: not key.lower().startswith("aws:")),
    _tag_text,
    max_size=4,
)
valid_backends = st.one_of(
    st.just({}),
    st.just({"kind": "local"}),
    st.fixed_dictionaries(
        {
            "kind": st.just("s3"),
            "bucket": st.builds(
                lambda w: f"state-{w}", st.text(_LOWER + _DIGITS, min_size=1, max_size=20)
            ),
        },
        optional={
            "key": _path.map(lambda p: f"{p}.tfstate"),
            "region": st.sampled_from(REAL_REGIONS),
            "use_lockfile": st.booleans(),
        },
    ),
)
_alnum = st.text(_LOWER + _LOWER.upper() + _DIGITS, min_size=1, max_size=12)
valid_repositories = st.builds(
    lambda owner, name, tail: f"{owner}/{name}{tail}",
    _alnum,
    _alnum,
    st.sampled_from(["", ".js", "-infra", "_x"]),
)
valid_globs = st.lists(
    st.builds(lambda p, star: p + star, _path, st.sampled_from(["", "/**", "/*.go", "?"])),
    max_size=8,
)
_distinct_ports = st.lists(st.integers(1, 65535), min_size=2, max_size=2, unique=True)
_canonical_networks = networks.map(str)


def value_for(path: tuple[str, ...]) -> st.SearchStrategy[Any]:
    """Mostly a value aimed at the setting, sometimes any value of any type."""
    return _mostly(TARGETED[SETTING_KINDS[path]], any_value)


# --- the property every input must satisfy -------------------------------------------------

_TERRAFORM_TEMPLATE = re.compile(r"[$%]\{")
# AWS's tag pattern (shared by the services the stack tags): letters, separators, numbers
# and _ . : / = + - @.
_TAG_PUNCTUATION = frozenset("_.:/=+-@")
_HTTP_CODES = re.compile(r"[0-9]{3}(?:-[0-9]{3})?(?:,[0-9]{3}(?:-[0-9]{3})?)*")
_URL_PATH = re.compile(r"/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*")
# The most tags one resource carries besides the user's: Project, Environment, ManagedBy and
# a subnet's Name and Tier; AWS allows 50.
_STACK_TAGS_PER_RESOURCE = 5
_ROLE_SUFFIXES = ("task", "task-execution", "pipeline", "build", "deploy")


def _is_tag_text(value: str) -> bool:
    return all(
        unicodedata.category(c)[0] in "LZN" or c in _TAG_PUNCTUATION for c in value
    ) and not _TERRAFORM_TEMPLATE.search(value)


def _one_line(message: str) -> bool:
    return "\n" not in message and len(message.splitlines()) == 1


# Every key path a message may name: the documented settings, their tables, and the one
# pseudo-setting naming all subnets together.
KNOWN_PATHS = frozenset(
    path[:i]
    for path in (
        *SETTING_KINDS,
        *TABLES,
        ("network", "subnets"),
        *(("verification", "probes", key) for key in ("path", "status", "body", "body_is_version")),
    )
    for i in range(len(path) + 1)
)


# A TOML dotted key: bare parts, or quoted ones (with escapes) that may hold dots.
_KEY_PART_RE = re.compile(r'"(?:[^"\\]|\\.)*"|[^."]+')
_ESCAPE_RE = re.compile(r'\\(U[0-9A-F]{8}|["\\])')


def _key_parts(field: str) -> list[str]:
    """The keys of an error's TOML path, unquoted (list positions dropped: probes[0].path)."""
    return [
        _ESCAPE_RE.sub(lambda m: chr(int(m[1][1:], 16)) if m[1][0] == "U" else m[1], part[1:-1])
        if part.startswith('"')
        else re.sub(r"\[\d+\]", "", part)
        for part in _KEY_PART_RE.findall(field)
    ]


def _names_a_setting(field: str, data: Mapping[str, Any]) -> bool:
    """The error's field is a documented setting, or a key the user wrote, by its TOML path."""
    if field == "environment (file name)":
        return True
    parts = _key_parts(field)
    # The list positions after each part (probes[0]), to find the table a key is in.
    positions = [
        [] if raw.startswith('"') else [int(i) for i in re.findall(r"\[(\d+)\]", raw)]
        for raw in _KEY_PART_RE.findall(field)
    ]
    table: Any = data
    for i, part in enumerate(parts):
        if tuple(parts[: i + 1]) not in KNOWN_PATHS or tuple(parts[:i]) == ("tags",):
            # An unknown key, or a tag: one key the user wrote.
            return i == len(parts) - 1 and isinstance(table, Mapping) and part in table
        table = table.get(part) if isinstance(table, Mapping) else None
        for position in positions[i]:
            table = table[position] if isinstance(table, list) and position < len(table) else None
    return True


def _check(label: str, data: Mapping[str, Any], environment: str = "dev") -> Settings | None:
    """Parse; assert the outcome is a sound ``Settings`` or a one-line ``ValidationError``."""
    EXAMPLES[label] += 1
    try:
        parsed = parse_settings(data, environment=environment)
    except ValidationError as caught:
        _assert_one_line_naming_a_setting(caught, data)
        return None
    assert isinstance(parsed, Settings)
    _assert_sound(parsed, data)
    ACCEPTED[label] += 1
    return parsed


def _assert_one_line_naming_a_setting(error: ValidationError, data: Mapping[str, Any]) -> None:
    message = str(error)
    assert _one_line(message), repr(message)
    assert error.field, repr(message)
    assert message.startswith(f"{error.field}: "), repr(message)
    assert error.reason, repr(message)
    assert _names_a_setting(error.field, data), repr(message)
    for low, high in re.findall(r"between (-?\d+) and (-?\d+)", message):
        assert int(low) <= int(high), repr(message)  # an empty range explains nothing


def _canonical(cidr: str) -> bool:
    return str(ipaddress.IPv4Network(cidr)) == cidr


def _assert_sound(s: Settings, data: Mapping[str, Any]) -> None:
    """What AWS and Terraform require of a stack built from ``s``, checked in pure Python."""
    name = s.stack_name
    assert re.fullmatch(r"[a-z](?:[a-z0-9]|-[a-z0-9])*", name), name
    assert re.fullmatch(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}", s.region), s.region

    alb = aws_name(name, max_length=ALB_NAME_MAX)
    assert len(alb) <= ALB_NAME_MAX
    assert not alb.startswith("internal-"), alb  # AWS refuses such ALB names
    for colour in ("blue", "green"):
        assert len(aws_name(name, colour, max_length=TARGET_GROUP_NAME_MAX)) <= 32
    for suffix in _ROLE_SUFFIXES:
        assert len(aws_name(name, suffix, max_length=IAM_ROLE_NAME_MAX)) <= 64
    bucket = bucket_name(name, "artifacts", s.region, "123456789012")
    assert not S3_BUCKET.problems(bucket), bucket
    assert not f"{name}-alb".startswith("sg-"), name  # EC2 refuses such security group names
    # SSM refuses parameter names whose first part starts with aws or ssm (any case).
    assert not name.lower().startswith(("aws", "ssm")), name
    assert len(f"{name}-canary-99pct-2880min") <= 100  # custom deployment config name

    assert len(s.tags) <= 50 - _STACK_TAGS_PER_RESOURCE
    for key, value in s.tags.items():
        assert 1 <= len(key) <= 128 and len(value) <= 256
        assert not key.lower().startswith("aws:")
        assert _is_tag_text(key) and _is_tag_text(value), (key, value)

    if s.backend.kind == "s3":
        assert s.backend.bucket and s.backend.key
        key = s.backend.key  # Terraform's rules for the S3 backend's key (it reads no templates)
        assert 1 <= len(key) <= 1024, key
        assert not key.startswith("/") and not key.endswith("/") and "//" not in key, key
        assert key.isprintable() and not _TERRAFORM_TEMPLATE.search(key), key
        assert not S3_BUCKET.problems(s.backend.bucket), s.backend.bucket
    else:
        # Every backend setting but kind belongs to S3: a local backend ignoring one would be
        # a silently dropped setting (an empty bucket or region means "not set").
        given = {k for k, v in data.get("backend", {}).items() if v != ""}
        assert given <= {"kind"}, data["backend"]
        assert s.backend.bucket is None

    net = s.network
    vpc = ipaddress.IPv4Network(net.vpc_cidr)
    assert _canonical(net.vpc_cidr), net.vpc_cidr
    assert 16 <= vpc.prefixlen <= 28
    plan = plan_subnets(
        net.vpc_cidr,
        net.az_count,
        net.subnet_prefix_length,
        public=net.public_subnet_cidrs,
        private=net.private_subnet_cidrs,
    )
    subnets = [*plan.public, *plan.private]
    assert len(plan.public) == len(plan.private) == net.az_count
    for cidr in subnets:
        assert _canonical(cidr), cidr
        assert ipaddress.IPv4Network(cidr).subnet_of(vpc)
    parsed = [ipaddress.IPv4Network(c) for c in subnets]
    assert not any(a.overlaps(b) for i, a in enumerate(parsed) for b in parsed[i + 1 :])

    lb = s.load_balancer
    assert lb.production_port != lb.test_port
    for cidr in (*lb.production_ingress_cidrs, *lb.test_ingress_cidrs):
        assert _canonical(cidr), cidr
    assert all(ipaddress.IPv4Network(c).prefixlen > 0 for c in lb.test_ingress_cidrs)
    hc = lb.health_check
    assert _URL_PATH.fullmatch(hc.path) and len(hc.path) <= 1024, hc.path
    assert not _TERRAFORM_TEMPLATE.search(hc.path), hc.path
    assert _HTTP_CODES.fullmatch(hc.matcher), hc.matcher
    for code in re.split(r"[,-]", hc.matcher):
        assert 200 <= int(code) <= 499, hc.matcher  # what an ALB target group accepts
    assert hc.timeout_seconds < hc.interval_seconds

    svc = s.service
    assert svc.memory in FARGATE_MEMORY_BY_CPU[svc.cpu]
    assert svc.app_port != svc.proxy_port
    assert svc.shutdown_grace_seconds + 5 <= 120  # Fargate's stopTimeout limit

    p = s.pipeline
    for value in (p.repository, p.branch, p.buildspec_path, p.connection_arn or ""):
        assert value.isprintable() and value.isascii(), value
        assert not _TERRAFORM_TEMPLATE.search(value), value
    assert len(p.file_paths) <= 8  # CodePipeline's git push filter takes at most 8 includes
    for pattern in p.file_paths:
        assert 1 <= len(pattern) <= 255 and pattern.isprintable(), pattern
        assert not _TERRAFORM_TEMPLATE.search(pattern), pattern

    config = s.deployment.config
    assert isinstance(config, TrafficShift) or config in PREDEFINED_ECS_CONFIGS
    _assert_own_service_sound(s)


_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STACK_VARIABLES = {"PORT", "SHUTDOWN_GRACE_PERIOD", "VERSION", "RELEASE_SPEC"}
_DNS_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def _assert_own_service_sound(s: Settings) -> None:
    """What ECS, Secrets Manager, SSM, ACM and Route 53 require of the service's own
    settings."""
    svc = s.service
    for name in (*svc.environment, *svc.secrets):
        assert _VARIABLE.fullmatch(name), name
        assert name not in _STACK_VARIABLES and not name.startswith(("AWS_", "ECS_")), name
    assert not svc.environment.keys() & svc.secrets.keys()
    for value in svc.environment.values():
        assert isinstance(value, str) and value and "\x00" not in value, value
        assert not _TERRAFORM_TEMPLATE.search(value), value
    for arn in svc.secrets.values():
        assert arn.startswith(
            (f"arn:aws:secretsmanager:{s.region}:", f"arn:aws:ssm:{s.region}:")
        ) or not s.region.startswith(("cn-", "us-gov-", "us-iso")), arn
        assert f":{s.region}:" in arn and arn.isprintable(), arn
        assert not _TERRAFORM_TEMPLATE.search(arn), arn
        if ":ssm:" in arn:
            assert ":parameter/" in arn and arn.count(":") == 5, arn
    assert not svc.secrets_kms_key_arns or svc.secrets
    for key in svc.secrets_kms_key_arns:
        assert f":kms:{s.region}:" in key and ":key/" in key, key
    if svc.environment or svc.secrets:
        task = workload_task(svc)
        assert task.largest_definition_bytes() <= TASK_DEFINITION_MAX_BYTES
        # Promoted: the images are the source's, whose project may take the longest name.
        source = s.pipeline.promote_from
        home = f"{'p' * PROJECT_MAX}-{source}" if source else None
        template = release_template_bytes(
            task,
            longest_release_target(s.stack_name, s.region, task, home),
            region=s.region,
            primary_container="app",
            style=engine(s.deployment.engine).template_style,
        )
        assert template <= SSM_PARAMETER_MAX_BYTES  # the release template in Parameter Store
    lb = s.load_balancer
    assert (lb.domain_name is None) == (lb.hosted_zone_id is None)
    if lb.domain_name is not None:
        assert lb.certificate_arn is None
        assert lb.production_port == 443
        assert len(lb.domain_name) <= 253 and lb.domain_name.count(".") >= 1
        assert all(_DNS_LABEL.fullmatch(label) for label in lb.domain_name.split("."))
        assert re.fullmatch(r"Z[A-Z0-9]{1,31}", str(lb.hosted_zone_id))


# --- mutations of the dev config -----------------------------------------------------------


def _set(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    table = data
    for part in path[:-1]:
        nested = table.setdefault(part, {})
        if not isinstance(nested, dict):
            return  # an earlier mutation replaced the table itself
        table = nested
    table[path[-1]] = value


def _delete(data: dict[str, Any], path: tuple[str, ...]) -> None:
    table: Any = data
    for part in path[:-1]:
        table = table.get(part) if isinstance(table, dict) else None
    if isinstance(table, dict):
        table.pop(path[-1], None)


SETTING_PATHS = tuple(SETTING_KINDS)
ALL_PATHS = SETTING_PATHS + TABLES[1:]


@st.composite
def mutations(draw: st.DrawFn, max_count: int = 4) -> list[tuple[tuple[str, ...], Any]]:
    """(path, value) pairs; a value of ``_DELETE`` removes the key."""
    changes = []
    for _ in range(draw(st.integers(1, max_count))):
        path = draw(st.sampled_from(ALL_PATHS))
        if path in SETTING_KINDS:
            value = draw(st.one_of(value_for(path), st.just(_DELETE)))
        else:  # a whole table: replaced by anything, emptied or removed
            value = draw(st.one_of(any_value, st.just({}), st.just(_DELETE)))
        changes.append((path, value))
    return changes


_DELETE = object()


def _mutated(changes: list[tuple[tuple[str, ...], Any]]) -> dict[str, Any]:
    data = copy.deepcopy(DEV)
    for path, value in changes:
        if value is _DELETE:
            _delete(data, path)
        else:
            _set(data, path, value)
    return data


@settings(PROFILE, max_examples=1000)
@given(mutations())
def test_any_settings_replaced_by_anything_parse_or_fail_on_one_line(
    changes: list[tuple[tuple[str, ...], Any]],
) -> None:
    _check("mutated settings", _mutated(changes))


@settings(PROFILE, max_examples=250)
@given(st.dictionaries(st.sampled_from(SETTING_PATHS), any_value, min_size=4, max_size=15))
def test_many_settings_at_once_of_any_type_parse_or_fail_on_one_line(
    replaced: dict[tuple[str, ...], Any],
) -> None:
    config = copy.deepcopy(DEV)
    for path, value in replaced.items():
        _set(config, path, value)
    _check("many settings of any type", config)


@settings(PROFILE, max_examples=300)
@given(
    st.lists(
        st.tuples(st.sampled_from(TABLES), st.one_of(text, st.sampled_from(["Project", "a.b"]))),
        min_size=1,
        max_size=3,
    ),
    any_value,
    st.lists(st.sampled_from(ALL_PATHS), max_size=4),
)
def test_unknown_and_missing_keys_parse_or_fail_on_one_line(
    unknown: list[tuple[tuple[str, ...], str]], value: Any, missing: list[tuple[str, ...]]
) -> None:
    config = copy.deepcopy(DEV)
    for path in missing:
        _delete(config, path)
    for table, key in unknown:
        _set(config, (*table, key), value)
    _check("unknown and missing keys", config)


# --- network: real random networks and CIDR spellings ---------------------------------------


@st.composite
def network_tables(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly plausible layouts of a real random VPC, each part sometimes off."""
    prefix = draw(_mostly(st.integers(16, 28), st.integers(0, 32), rarity=3))
    vpc = ipaddress.IPv4Network((draw(st.integers(0, 2**32 - 1)), prefix), strict=False)
    az_count = draw(_mostly(st.integers(2, 6), st.integers(-1, 8) | counts, rarity=3))
    count = az_count if isinstance(az_count, int) and 0 <= az_count <= 8 else 2
    table: dict[str, Any] = {
        "vpc_cidr": draw(
            _mostly(
                st.just(str(vpc)),
                st.one_of(
                    st.builds(_render_cidr, st.just(vpc), st.sampled_from(CIDR_FORMS), ints),
                    cidr_text,
                ),
                rarity=3,
            )
        ),
        "az_count": az_count,
        "subnet_prefix_length": draw(
            _mostly(
                st.integers(min(prefix + (2 * count - 1).bit_length(), 28), 28),
                st.integers(prefix - 1, 33) | counts,
                rarity=3,
            )
        ),
    }
    for tier in ("public_subnet_cidrs", "private_subnet_cidrs"):
        kind = draw(
            _mostly(st.sampled_from(["absent", "carved"]), st.sampled_from(["spelled", "any"]))
        )
        if kind == "absent":
            continue
        size = draw(_mostly(st.just(count), st.integers(0, 7), rarity=3))
        if kind == "any":
            table[tier] = draw(st.lists(cidr_text, min_size=size, max_size=size))
            continue
        new_prefix = draw(st.integers(prefix, min(32, prefix + 12)))
        step = 2 ** (32 - new_prefix)
        available = 2 ** (new_prefix - prefix)
        indices = st.integers(0, available - 1)
        size = min(size, available)
        picked = draw(st.lists(indices, min_size=size, max_size=size, unique=True))
        base = int(vpc.network_address)
        subnets = [ipaddress.IPv4Network((base + i * step, new_prefix)) for i in picked]
        forms = st.sampled_from(CIDR_FORMS) if kind == "spelled" else st.just("canonical")
        table[tier] = [_render_cidr(n, draw(forms), 1) for n in subnets]
    return table


@settings(PROFILE, max_examples=600)
@given(network_tables())
def test_any_network_parses_into_disjoint_subnets_inside_the_vpc_or_fails_on_one_line(
    network: dict[str, Any],
) -> None:
    config = copy.deepcopy(DEV)
    config["network"] = network
    _check("network", config)


@settings(PROFILE, max_examples=300)
@given(
    st.lists(_mostly(networks.map(str), cidr_text), max_size=4),
    st.lists(_mostly(networks.map(str), cidr_text), max_size=4),
    _mostly(st.just("10.0.0.0/16"), st.sampled_from(["0.0.0.0/0", "10.0.0.0/255.255.0.0"])),
)
def test_any_ingress_cidrs_parse_or_fail_on_one_line(
    production: list[str], test: list[str], vpc: str
) -> None:
    config = copy.deepcopy(DEV)
    config["load_balancer"] |= {"production_ingress_cidrs": production, "test_ingress_cidrs": test}
    config["network"] = {"vpc_cidr": vpc}
    _check("ingress cidrs", config)


# --- names, ports, counts --------------------------------------------------------------------


@settings(PROFILE, max_examples=500)
@given(
    _mostly(valid_projects, names),
    _mostly(valid_environments, names),
    _mostly(st.sampled_from(REAL_REGIONS), regions),
    _mostly(valid_repositories, repositories),
    _mostly(_path, branches),
)
def test_any_names_parse_into_names_aws_accepts_or_fail_on_one_line(
    project: Any, environment: Any, region: Any, repository: Any, branch: Any
) -> None:
    config = copy.deepcopy(DEV)
    config |= {"project": project, "region": region}
    config["pipeline"] |= {"repository": repository, "branch": branch}
    if isinstance(environment, str):
        _check("names", config, environment=environment)
    else:
        with pytest.raises(ValidationError, match=r"^environment \(file name\): "):
            parse_settings(config, environment=environment)


def _int(low: int, high: int) -> st.SearchStrategy[Any]:
    """Mostly within the documented range, else any count."""
    return _mostly(st.integers(low, high), counts)


@settings(PROFILE, max_examples=400)
@given(
    st.fixed_dictionaries(
        {"production_port": _int(1, 65535), "test_port": _int(1, 65535)},
        optional={
            "deregistration_delay_seconds": _int(0, 3600),
            "idle_timeout_seconds": _int(1, 4000),
        },
    ),
    st.fixed_dictionaries(
        {},
        optional={
            "interval_seconds": _int(5, 300),
            "timeout_seconds": _int(2, 120),
            "healthy_threshold": _int(2, 10),
            "unhealthy_threshold": _int(2, 10),
            "path": _mostly(st.just("/ready"), url_paths),
            "matcher": _mostly(st.sampled_from(["200", "200-299", "200,204"]), matchers),
        },
    ),
    st.fixed_dictionaries(
        {"app_port": _int(1, 65535), "proxy_port": _int(1, 65535)},
        optional={
            "cpu": TARGETED["cpu"],
            "memory": TARGETED["memory"],
            "desired_count": _int(1, 5000),
            "shutdown_grace_seconds": _int(1, 115),
            "health_check_grace_period_seconds": _int(0, 7200),
            "log_retention_days": TARGETED["retention"],
            "ecr_images_to_keep": _int(1, 1000),
        },
    ),
)
def test_any_ports_and_counts_parse_or_fail_on_one_line(
    listener: dict[str, Any], health_check: dict[str, Any], service: dict[str, Any]
) -> None:
    config = copy.deepcopy(DEV)
    config["load_balancer"] |= listener
    config["load_balancer"]["health_check"] |= health_check
    config["service"] |= service
    _check("ports and counts", config)


s3_backends = st.fixed_dictionaries(
    {"kind": st.just("s3"), "bucket": _mostly(st.just("my-state"), buckets)},
    optional={
        "key": _mostly(st.just("shop/dev.tfstate"), object_keys),
        "region": _mostly(st.sampled_from(REAL_REGIONS), regions),
        "use_lockfile": _mostly(st.booleans(), any_value),
    },
)
other_backends = st.fixed_dictionaries(
    {},
    optional={
        "kind": TARGETED["backend_kind"],
        "bucket": buckets,
        "key": object_keys,
        "region": regions,
        "use_lockfile": any_value,
    },
)


@settings(PROFILE, max_examples=400)
@given(
    _mostly(st.one_of(s3_backends, st.just({"kind": "local"}), st.just({})), other_backends),
    st.fixed_dictionaries(
        {},
        optional={
            "connection_arn": _mostly(st.sampled_from(["", CONNECTION]), connection_arns),
            "file_paths": _mostly(st.lists(st.just("app/**"), max_size=8), globs),
            "buildspec_path": _mostly(st.just("ci/build.yaml"), buildspecs),
            "build_compute_type": _mostly(
                st.sampled_from(BUILD_COMPUTE_TYPES), TARGETED["compute"]
            ),
            "build_timeout_minutes": _int(5, 480),
            "artifact_expiry_days": _int(1, 3650),
        },
    ),
    _mostly(st.dictionaries(st.sampled_from(["Team", "Owner", "cost:centre"]), st.just("x")), tags),
)
def test_any_backend_pipeline_and_tags_parse_or_fail_on_one_line(
    backend: dict[str, Any], pipeline: dict[str, Any], tag_table: dict[str, Any]
) -> None:
    config = copy.deepcopy(DEV)
    config["backend"] = backend
    config["pipeline"] |= pipeline
    config["tags"] = tag_table
    _check("backend, pipeline, tags", config)


@settings(PROFILE, max_examples=300)
@given(
    _mostly(st.dictionaries(valid_variable_names, st.text(min_size=1), max_size=6), environments),
    _mostly(
        st.dictionaries(valid_variable_names, valid_secret_arns, max_size=3),
        TARGETED["secrets"],
    ),
    _mostly(st.lists(st.just(KMS_KEY_ARN), max_size=1), TARGETED["kms_keys"], rarity=3),
    st.fixed_dictionaries(
        {},
        optional={
            "domain_name": _mostly(valid_domains, domains),
            "hosted_zone_id": _mostly(st.just("Z0123456789ABCDEFGHIJ"), zone_ids),
            "production_port": _mostly(st.just(443), ports),
        },
    ),
)
def test_any_own_service_settings_parse_or_fail_on_one_line(
    environment: Any, secrets: Any, kms_keys: Any, load_balancer: dict[str, Any]
) -> None:
    """A team's own service: its environment, secrets (of the stack's region, or not), keys
    and domain, mostly plausible, each sometimes anything."""
    config = copy.deepcopy(DEV)
    config["service"] |= {"environment": environment, "secrets": secrets}
    if kms_keys:
        config["service"]["secrets_kms_key_arns"] = kms_keys
    config["load_balancer"] |= load_balancer
    _check("own service", config)


custom_shifts = st.fixed_dictionaries(
    {},
    optional={
        "kind": _mostly(st.sampled_from(["canary", "linear"]), TARGETED["shift_kind"]),
        "percentage": _int(1, 99),
        "interval_minutes": _int(1, 2880),
        "extra": any_value,
    },
)


@st.composite
def deployment_parts(draw: st.DrawFn) -> tuple[Any, Any]:
    """A config name and a custom table (None: absent), mostly consistent with each other."""
    name = draw(
        _mostly(st.sampled_from([*PREDEFINED_ECS_CONFIGS, "custom"]), TARGETED["deployment_config"])
    )
    if name == "custom":
        return name, draw(_mostly(custom_shifts, st.one_of(st.none(), any_value)))
    return name, draw(_mostly(st.none(), st.one_of(custom_shifts, any_value)))


@settings(PROFILE, max_examples=300)
@given(
    deployment_parts(),
    _int(0, 7200),
    _int(0, 2880),
    _mostly(st.sampled_from(["codedeploy", "ecs"]), TARGETED["engine"]),
)
def test_any_deployment_parses_or_fails_on_one_line(
    parts: tuple[Any, Any], ready_wait: Any, termination_wait: Any, engine: Any
) -> None:
    config_name, custom = parts
    config = copy.deepcopy(DEV)
    config["deployment"] = {
        "engine": engine,
        "config": config_name,
        "ready_wait_minutes": ready_wait,
        "termination_wait_minutes": termination_wait,
    }
    if custom is not None:
        config["deployment"]["custom"] = custom
    _check("deployment", config)


# --- files: what load_settings reads -------------------------------------------------------

DEV_LINES = DEV_TEXT.splitlines(keepends=True)
toml_values = st.one_of(
    st.sampled_from(
        [
            *("1", "-0", "0x10", "1e400", "nan", "true", '""', "''", "[]", "{}", "[1, 'a']"),
            *('"\\u00e9"', '"a\\nb"', "1979-05-27", "07:32:00", "1979-05-27T07:32:00Z"),
            *("2021-02-30", '"""\nmulti\nline"""', "{ a = 1 }", '"${x}"', "[" * 50 + "]" * 50),
            "1" * 5000,
        ]
    ),
    st.text(max_size=20),
)


@st.composite
def config_files(draw: st.DrawFn) -> bytes:
    lines = list(DEV_LINES)
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["value", "insert", "delete", "garble"]))
        if action == "value" and "=" in lines[i]:
            key = lines[i].split("=", 1)[0]
            lines[i] = f"{key}= {draw(toml_values)}\n"
        elif action == "insert":
            key = draw(st.one_of(st.from_regex(r"[a-z_]{1,12}", fullmatch=True), text))
            lines.insert(i, f"{key} = {draw(toml_values)}\n")
        elif action == "delete":
            del lines[i]
        else:
            lines[i] = draw(st.text(max_size=30)) + "\n"
    content = "".join(lines).encode()
    return draw(
        st.one_of(
            st.just(content),
            st.just(content),
            st.binary(max_size=40).map(lambda junk: content + junk),
            st.just(content.replace(b"ecs-blue-green", b"\xe9cs")),
            st.just(b"a = " + b"[" * 5000),
        )
    )


_FILES = tempfile.TemporaryDirectory(prefix="settings-properties-")


@settings(PROFILE, max_examples=400)
@given(
    config_files(),
    st.one_of(
        st.just("dev"),
        st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True),
        st.text(alphabet=st.characters(exclude_characters="/\x00"), min_size=1, max_size=20),
    ),
)
def test_any_config_file_loads_or_fails_on_one_line(content: bytes, environment: str) -> None:
    EXAMPLES["config files"] += 1
    if environment in (".", ".."):
        environment = "dev"
    path = Path(_FILES.name) / f"{environment}.toml"
    path.write_bytes(content)
    try:
        loaded = load_settings(path)
    except SettingsError as caught:
        message = str(caught)
        assert _one_line(message), repr(message)
        assert message.startswith(f"{path}: ") or not str(path).isprintable(), repr(message)
    else:
        assert isinstance(loaded, Settings)
        _assert_sound(loaded, tomllib.loads(content.decode()))
        ACCEPTED["config files"] += 1
    finally:
        path.unlink()


# --- the shared checks on their own -----------------------------------------------------------


@settings(PROFILE, max_examples=300)
@given(any_value, any_value)
def test_checks_return_or_raise_validation_error_for_any_object(a: Any, b: Any) -> None:
    EXAMPLES["checks on any object"] += 1
    for check in (
        lambda: check_int_range("f", a, 0, 10),
        lambda: check_port("f", a),
        lambda: check_cidr("f", a),
        lambda: check_fargate_size("cpu", a, "memory", b),
        lambda: check_log_retention("f", a),
        lambda: check_resource_prefix("f", a, max_length=40),
        lambda: check_health_check_path("f", a),
        lambda: check_http_codes("f", a),
    ):
        try:
            result = check()
        except ValidationError as caught:
            message = str(caught)
            assert _one_line(message), repr(message)
            assert message.startswith(("f: ", "cpu: ", "memory: ")), repr(message)
        else:
            if result is not None and not isinstance(result, ipaddress.IPv4Network):
                assert type(result) is type(a) and result == a


# --- valid settings: what the synth-and-validate test builds -------------------------------


@st.composite
def valid_networks(draw: st.DrawFn) -> dict[str, Any]:
    prefix = draw(st.integers(16, 24))
    vpc = ipaddress.IPv4Network((draw(st.integers(0, 2**32 - 1)), prefix), strict=False)
    az_count = draw(st.integers(2, 6))
    subnet_prefix = draw(st.integers(prefix + (2 * az_count - 1).bit_length(), 28))
    network: dict[str, Any] = {
        "vpc_cidr": str(vpc),
        "az_count": az_count,
        "subnet_prefix_length": subnet_prefix,
    }
    if draw(st.booleans()):  # explicit subnets: any distinct slots of the VPC
        slots = st.integers(0, 2 ** (subnet_prefix - prefix) - 1)
        picked = draw(st.lists(slots, min_size=2 * az_count, max_size=2 * az_count, unique=True))
        step = 2 ** (32 - subnet_prefix)
        base = int(vpc.network_address)
        cidrs = [str(ipaddress.IPv4Network((base + i * step, subnet_prefix))) for i in picked]
        network["public_subnet_cidrs"] = cidrs[:az_count]
        network["private_subnet_cidrs"] = cidrs[az_count:]
    network["task_placement"] = draw(st.sampled_from(TASK_PLACEMENTS))
    if network["task_placement"] == "private-nat":
        network["nat_gateways"] = draw(st.sampled_from(["single", "per-az"]))
    return network


@st.composite
def valid_settings_data(draw: st.DrawFn) -> dict[str, Any]:
    """A settings table every rule accepts, spread over the whole valid space."""
    network = draw(valid_networks())
    production_port, test_port = draw(_distinct_ports)
    app_port, proxy_port = draw(_distinct_ports)
    interval = draw(st.integers(5, 300))
    cpu = draw(st.sampled_from(sorted(FARGATE_MEMORY_BY_CPU)))
    deployment: dict[str, Any] = {
        "config": draw(st.sampled_from([*PREDEFINED_ECS_CONFIGS, "custom"])),
        "ready_wait_minutes": draw(st.integers(0, 7200)),
        "termination_wait_minutes": draw(st.integers(0, 2880)),
    }
    if deployment["config"] == "custom":
        deployment["custom"] = {
            "kind": draw(st.sampled_from(["canary", "linear"])),
            "percentage": draw(st.integers(1, 99)),
            "interval_minutes": draw(st.integers(1, 2880)),
        }
    region = draw(st.sampled_from(REAL_REGIONS))
    # A connection is usable from every region of its partition (not across partitions).
    connection = CONNECTION.replace("arn:aws:", f"arn:{partition_of(region)}:", 1)
    return {
        "project": draw(valid_projects),
        "region": region,
        "tags": draw(valid_tags),
        "backend": draw(valid_backends),
        "network": network,
        "load_balancer": {
            "production_port": production_port,
            "test_port": test_port,
            "production_ingress_cidrs": draw(
                st.lists(_canonical_networks, max_size=2, unique=True)
            ),
            "test_ingress_cidrs": draw(
                st.lists(
                    _canonical_networks.filter(
                        lambda c: not c.endswith("/0") and c != network["vpc_cidr"]
                    ),
                    max_size=2,
                    unique=True,
                )
            ),
            "deregistration_delay_seconds": draw(st.integers(0, 3600)),
            "deletion_protection": draw(st.booleans()),
            "idle_timeout_seconds": draw(st.integers(1, 4000)),
            "health_check": {
                "path": draw(st.one_of(st.just("/"), _path.map(lambda p: f"/{p}"))),
                "interval_seconds": interval,
                "timeout_seconds": draw(st.integers(2, min(120, interval - 1))),
                "healthy_threshold": draw(st.integers(2, 10)),
                "unhealthy_threshold": draw(st.integers(2, 10)),
                "matcher": draw(valid_matchers),
            },
        },
        "service": {
            "cpu": cpu,
            "memory": draw(st.sampled_from(sorted(FARGATE_MEMORY_BY_CPU[cpu]))),
            "desired_count": draw(st.integers(1, 5000)),
            "health_check_grace_period_seconds": draw(st.integers(0, 7200)),
            "container_insights": draw(st.sampled_from(CONTAINER_INSIGHTS_MODES)),
            "log_retention_days": draw(st.sampled_from(LOG_RETENTION_DAYS)),
            "ecr_images_to_keep": draw(st.integers(1, 1000)),
            "ecr_force_delete": draw(st.booleans()),
            "app_port": app_port,
            "proxy_port": proxy_port,
            "shutdown_grace_seconds": draw(st.integers(1, 115)),
        },
        "pipeline": {
            "repository": draw(valid_repositories),
            "branch": draw(_path),
            "connection_arn": draw(st.sampled_from(["", connection])),
            "file_paths": draw(valid_globs),
            "buildspec_path": draw(
                st.builds(lambda p, ext: p + ext, _path, st.sampled_from([".yml", ".yaml"]))
            ),
            "build_compute_type": draw(st.sampled_from(BUILD_COMPUTE_TYPES)),
            "build_timeout_minutes": draw(st.integers(5, 480)),
            "artifact_expiry_days": draw(st.integers(1, 3650)),
            "artifact_force_destroy": draw(st.booleans()),
        },
        "deployment": deployment,
    }


@settings(PROFILE, max_examples=250)
@given(valid_settings_data(), valid_environments)
def test_valid_settings_are_accepted_and_sound(data: dict[str, Any], environment: str) -> None:
    assert _check("valid settings", data, environment=environment) is not None


# --- every setting of the README's table, refused by name when bad ---------------------------
#
# The settings are read from the README's configuration table itself; each has values of
# every kind of wrong that applies to it, and every one of them must stop the synth: exit
# code 2 and one line naming the file and that setting (the whole setting, an entry of a list
# or a key of a table). The concrete values below run through main.main; they and the
# generated ones run through main.load_all, as main does before any construct exists.


def _readme_settings() -> tuple[str, ...]:
    """Dotted settings of README's "Configuration" table, from its rows' first column:
    ``a.b`` / ``c`` names ``a.b`` and ``a.c``; ``[t]`` and ``[[t]]`` name the table ``t``."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    found: list[str] = []
    for row in section.splitlines():
        if not row.startswith("| `"):
            continue
        head, *rest = re.findall(r"`([^`]+)`", row.split("|")[1])
        table = re.fullmatch(r"\[\[?([a-z_.]+)\]?\]", head)
        if table:
            found.append(table[1])
            continue
        found.append(head)
        parent = head.rpartition(".")[0]
        for name in rest:
            full = name.split(".")[0] == head.split(".")[0] and "." in name
            found.append(name if full or not parent else f"{parent}.{name}")
    return tuple(found)


README_SETTINGS = _readme_settings()
PROD_TEXT = (ROOT / "config" / "prod.toml").read_text()
PROD: dict[str, Any] = tomllib.loads(PROD_TEXT)

WRONG_KINDS = {
    "type": "another TOML type: a string for a number or a boolean, a float for an integer, "
    "a table for a list, ...",
    "range": "a number or choice outside what the setting (or AWS) allows",
    "shape": "a string that is not in the setting's format",
    "empty": "an empty string, list or table where something is needed",
    "too_long": "longer (or more entries) than AWS or the stack allows",
    "reserved": "a name, prefix or key AWS or the stack keeps for itself",
    "whitespace": "leading, trailing or inner whitespace and line breaks",
    "template": "'${' or '%{': Terraform would read the synthesized JSON as a template",
    "arn": "an ARN of another service, partition or region than the setting needs",
    "conflict": "a value another setting (or an entry of the same list) already takes",
}


@dataclass(frozen=True)
class Wrong:
    """Bad values of one kind: listed ones (also run through main.main) and generated ones."""

    listed: tuple[Any, ...]
    generated: st.SearchStrategy[Any] | None = None

    def strategy(self) -> st.SearchStrategy[Any]:
        listed = st.sampled_from(self.listed)
        return listed if self.generated is None else st.one_of(listed, self.generated)


def wrong(*listed: Any, generated: st.SearchStrategy[Any] | None = None) -> Wrong:
    return Wrong(listed, generated)


_DATE = datetime.date(2024, 1, 1)
WRONG_TYPES: dict[str, Wrong] = {
    "str": wrong(
        1,
        1.5,
        True,
        ["x"],
        {"x": "y"},
        _DATE,
        generated=st.one_of(st.integers(-(2**63), 2**63 - 1), st.floats(), st.booleans()),
    ),
    "int": wrong(
        True,
        False,
        30.0,
        1.5,
        "30",
        [30],
        {"n": 30},
        _DATE,
        generated=st.one_of(
            st.floats(), st.integers(-1000, 1000).map(str), st.integers(-1000, 1000).map(float)
        ),
    ),
    "bool": wrong(
        "true",
        "false",
        1,
        0,
        "yes",
        1.0,
        [True],
        generated=st.one_of(st.integers(-5, 5), st.text(max_size=5), st.floats()),
    ),
    "number": wrong("1.0", True, [1.0], {"s": 1.0}, _DATE, generated=st.text(max_size=6)),
    "strings": wrong(
        "x",
        1,
        {"a": "b"},
        [1],
        [True],
        [["x"]],
        generated=st.lists(st.integers(-5, 5), min_size=1, max_size=3),
    ),
    "table": wrong("x", 1, ["x"], True, generated=st.one_of(st.text(max_size=5), st.integers())),
    "tables": wrong(
        {"path": "/"},
        "x",
        [1],
        ["/health"],
        [[{"path": "/"}]],
        generated=st.lists(st.integers(-5, 5), min_size=1, max_size=3),
    ),
}


@dataclass(frozen=True)
class Bad:
    """How a setting goes wrong: its TOML type, and bad values of each kind that applies.
    ``context``: other settings (dotted paths) set first, so that this one applies (a bucket
    needs ``kind = "s3"``); ``base``: the shipped file the setting's file starts from."""

    toml: str
    kinds: Mapping[str, Wrong]
    context: Mapping[str, Any] = field(default_factory=dict)
    base: str = "dev"

    def all_kinds(self) -> dict[str, Wrong]:
        return {"type": WRONG_TYPES[self.toml], **self.kinds}


def _outside(low: int, high: int) -> st.SearchStrategy[int]:
    """Integers below ``low`` or above ``high`` (within 64 bits, as TOML has them)."""
    return st.one_of(
        st.integers(max(low - 10**6, -(2**63)), low - 1),
        st.integers(high + 1, min(high + 10**6, 2**63 - 1)),
        st.sampled_from([-(2**63), 2**63 - 1]),
    )


def _ints(low: int, high: int, *listed: int) -> dict[str, Wrong]:
    return {"range": wrong(low - 1, high + 1, *listed, generated=_outside(low, high))}


def _not_in(allowed: Any, *listed: Any) -> dict[str, Wrong]:
    """Integers that are not one of ``allowed``."""
    return {
        "range": wrong(
            *listed, generated=st.integers(-(10**6), 10**6).filter(lambda n: n not in allowed)
        )
    }


def _choice(allowed: tuple[str, ...], *listed: str) -> dict[str, Wrong]:
    """A string setting taking one of ``allowed``."""
    return {
        "range": wrong(
            *listed,
            *(v for a in allowed for v in {a.upper(), a.lower(), a.title()} - set(allowed)),
            generated=st.text(max_size=12).filter(lambda s: s not in allowed),
        ),
        "empty": wrong(""),
        "whitespace": wrong(*(f"{a} " for a in allowed), *(f"\n{a}" for a in allowed)),
    }


def _longer_than(limit: int, unit: str = "a") -> st.SearchStrategy[str]:
    return st.integers(limit + 1, limit + 200).map(lambda n: unit * n)


# A stack in dev's region and account, and ARNs of what it may name.
REGION = DEV["region"]
OTHER_REGION = "us-east-1" if REGION != "us-east-1" else "eu-west-1"
CERTIFICATE = f"arn:aws:acm:{REGION}:{OWN_ACCOUNT}:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
ZONE = "Z0123456789ABCDEFGHIJ"
TLS = {"load_balancer.production_port": 443, "load_balancer.certificate_arn": CERTIFICATE}
DOMAIN = {
    "load_balancer.production_port": 443,
    "load_balancer.domain_name": "app.example.com",
    "load_balancer.hosted_zone_id": ZONE,
}
S3_BACKEND = {"backend.kind": "s3", "backend.bucket": "team-tfstate-123456789012"}
CUSTOM_SHIFT = {
    "deployment.config": "custom",
    "deployment.custom": {"kind": "linear", "percentage": 10, "interval_minutes": 1},
}
AUTOSCALING = {
    "autoscaling": {"enabled": True, "min_count": 2, "max_count": 4, "cpu_target_percent": 60}
}
SECRETS = {"service.secrets": {"DB_PASSWORD": SECRET_ARN}}


def _arn_elsewhere(arn: str) -> tuple[str, ...]:
    """``arn`` in another region, and in the partitions the stack's region is not in."""
    return (
        arn.replace(f":{REGION}:", f":{OTHER_REGION}:"),
        arn.replace("arn:aws:", "arn:aws-cn:"),
        arn.replace("arn:aws:", "arn:aws-us-gov:"),
    )


_UPPER_OR_PUNCTUATION = st.text(alphabet="abcXYZ019_. -/é\n", min_size=1, max_size=20).filter(
    lambda s: not re.fullmatch(r"[a-z](?:[a-z0-9]|-(?=[a-z0-9]))*", s)
)
NAME_SHAPES = wrong(
    "Shop",
    "1shop",
    "shop-",
    "-shop",
    "shop--x",
    "shop_x",
    "shöp",
    "shop.x",
    generated=_UPPER_OR_PUNCTUATION,
)
CIDR_SHAPES = wrong(
    "10.0.0.0/255.255.0.0",
    "10.0.0.1/16",
    "10.0.0.0",
    "10.0.0.0/016",
    "010.0.0.0/16",
    "fd00::/48",
    "10.0.0.256/16",
    "ten/16",
    generated=cidr_text.filter(lambda c: not _is_canonical_cidr(c)),
)


def _is_canonical_cidr(text: str) -> bool:
    try:
        return str(ipaddress.IPv4Network(text)) == text and "/" in text
    except ValueError:
        return False


_VPC = DEV["network"]["vpc_cidr"]  # 10.10.0.0/16, two zones
_SUBNET = "10.10.0.0/24"
BAD: dict[str, Bad] = {
    "project": Bad(
        "str",
        {
            "shape": NAME_SHAPES,
            "empty": wrong(""),
            "too_long": wrong("a" * (PROJECT_MAX + 1), generated=_longer_than(PROJECT_MAX, "p")),
            # ALB names (internal-), buckets (sthree-, amzn-s3-demo-), security groups (sg-)
            # and SSM parameters (aws, ssm: the release templates are /<stack>/release/...).
            "reserved": wrong(
                "internal",
                "internal-tools",
                "sthree",
                "amzn-s3-demo-x",
                "sg",
                "sg-shop",
                "aws",
                "aws-shop",
                "awsome",
                "ssm",
                "ssmtools",
            ),
            "whitespace": wrong("shop ", " shop", "shop\n", "sh op"),
            "template": wrong("${var.x}", "%{x}"),
        },
    ),
    "region": Bad(
        "str",
        {
            "shape": wrong(
                "EU-WEST-1",
                "eu_west_1",
                "euwest1",
                "eu-west",
                "mars",
                "eu-west-1a",
                "eu-west-1".translate(ARABIC_INDIC_DIGITS),
                "eu-west-1".translate(FULLWIDTH_DIGITS),
            ),
            "empty": wrong(""),
            "too_long": wrong(f"ap-{'a' * 20}-12"),
            "whitespace": wrong("eu-west-1\n", " eu-west-1", "eu-west-1 "),
            "template": wrong("${var.region}"),
        },
    ),
    "account_id": Bad(
        "str",
        {
            "shape": wrong(
                "12345678901a",
                "123-456-789-012",
                OWN_ACCOUNT.translate(FULLWIDTH_DIGITS),
                OWN_ACCOUNT.translate(ARABIC_INDIC_DIGITS),
            ),
            "empty": wrong(""),
            "too_long": wrong(
                "1234567890123", generated=st.from_regex(r"\d{13,20}", fullmatch=True)
            ),
            "range": wrong("12345678901", generated=st.from_regex(r"\d{0,11}", fullmatch=True)),
            "whitespace": wrong(" 123456789012", "123456789012\n"),
        },
    ),
    "tags": Bad(
        "table",
        {
            "type": wrong({"Team": 1}, {"Team": True}, {"Team": ["a"]}, {"Team": {"a": "b"}}),
            "shape": wrong({"Team!": "x"}, {"Team": "a#b"}, {"Team": "a\nb"}, {"Te\tam": "x"}),
            "empty": wrong({"": "x"}),
            "too_long": wrong(
                {"k" * 129: "x"},
                {"Team": "v" * 257},
                {f"k{i}": "v" for i in range(46)},
                generated=st.integers(46, 60).map(lambda n: {f"k{i}": "v" for i in range(n)}),
            ),
            # AWS's prefix, and the tags the stack sets on every resource itself.
            "reserved": wrong(
                {"aws:owner": "x"},
                {"AWS:x": "y"},
                {"Aws:cost": "z"},
                {"Project": "x"},
                {"environment": "x"},
                {"ManagedBy": "me"},
            ),
            "template": wrong({"Team": "${x}"}, {"Team": "%{x}"}),
        },
    ),
    "backend.kind": Bad("str", _choice(("local", "s3"), "gcs", "remote")),
    "backend.bucket": Bad(
        "str",
        {
            "shape": wrong(
                "My-State",
                "my_state",
                "my..state",
                "192.168.0.1",
                "-state",
                "state-",
                ".state",
                "state.",
                "my state",
            ),
            "empty": wrong(""),
            "too_long": wrong("a" * 64, "ab", generated=_longer_than(63, "b")),
            "reserved": wrong(
                "xn--state",
                "sthree-state",
                "amzn-s3-demo-state",
                "state-s3alias",
                "state--ol-s3",
                "state.mrap",
                "state--x-s3",
                "state--table-s3",
            ),
            "whitespace": wrong("state\n", " state"),
        },
        context=S3_BACKEND,
    ),
    "backend.key": Bad(
        "str",
        {
            "shape": wrong("/state", "state/", "a//b"),
            "empty": wrong(""),
            "too_long": wrong("k" * 1025, generated=_longer_than(1024, "k")),
            "whitespace": wrong("a\nb", "a\x00b", "state\r\n"),
            "template": wrong("${var.x}/state", "a/%{x}"),
        },
        context=S3_BACKEND,
    ),
    "backend.region": Bad(
        "str",
        {
            "shape": wrong("EU-WEST-1", "mars", "eu-west-1a"),
            "too_long": wrong(f"ap-{'a' * 20}-12"),
            "whitespace": wrong("eu-west-1\n", " eu-west-1"),
        },
        context=S3_BACKEND,
    ),
    "backend.use_lockfile": Bad("bool", {}, context=S3_BACKEND),
    "network.vpc_cidr": Bad(
        "str",
        {
            "shape": CIDR_SHAPES,
            "range": wrong("10.0.0.0/15", "10.0.0.0/8", "0.0.0.0/0", "10.0.0.0/29", "10.0.0.0/32"),
            "empty": wrong(""),
            "whitespace": wrong(" 10.0.0.0/16", "10.0.0.0/16\n", "10.0.0.0 /16"),
        },
    ),
    "network.az_count": Bad("int", _ints(2, 6, 0, -1)),
    "network.subnet_prefix_length": Bad("int", _ints(17, 28, 16, 0, 32, 33)),
    "network.public_subnet_cidrs": Bad(
        "strings",
        {
            "shape": wrong(
                ["10.10.0.0/255.255.255.0", "10.10.1.0/24"],
                ["10.10.0.1/24", "10.10.1.0/24"],
                ["x", "10.10.1.0/24"],
            ),
            "range": wrong(["10.11.0.0/24", "10.10.1.0/24"], ["10.10.0.0/15", "10.10.1.0/24"]),
            "empty": wrong([""], ["", ""]),
            "too_long": wrong(["10.10.0.0/24", "10.10.1.0/24", "10.10.2.0/24"]),
            "conflict": wrong(
                ["10.10.0.0/24", "10.10.0.0/25"],
                ["10.10.2.0/24", "10.10.3.0/24"],  # the private subnets carved by default
            ),
        },
    ),
    "network.private_subnet_cidrs": Bad(
        "strings",
        {
            "shape": wrong(["10.10.0.0/255.255.255.0", "10.10.1.0/24"]),
            "range": wrong(["10.11.0.0/24", "10.10.1.0/24"]),
            "empty": wrong([""]),
            "too_long": wrong(["10.10.4.0/24", "10.10.5.0/24", "10.10.6.0/24"]),
            "conflict": wrong(
                ["10.10.4.0/24", "10.10.4.0/24"],
                ["10.10.0.0/24", "10.10.5.0/24"],  # a public subnet carved by default
            ),
        },
    ),
    "network.zone_ids": Bad(
        "strings",
        {
            # The shipped dev file: region ap-northeast-1, az_count 2.
            "shape": wrong(["ap-northeast-1a", "apne1-az2"], ["apne1-az1", "az2"]),
            "range": wrong(["use1-az1", "use1-az2"], ["apne1-az1"], ["apne1-az1"] * 3),
            "empty": wrong([], ["", "apne1-az1"]),
            "whitespace": wrong([" apne1-az1", "apne1-az2"], ["apne1-az1\n", "apne1-az2"]),
            "conflict": wrong(["apne1-az1", "apne1-az1"]),
        },
    ),
    "network.task_placement": Bad("str", _choice(TASK_PLACEMENTS, "private", "nat")),
    "network.nat_gateways": Bad("str", _choice(("single", "per-az"), "none", "multi")),
    "network.flow_log_retention_days": Bad(
        "int", _not_in({0, *LOG_RETENTION_DAYS}, -1, 2, 4, 366, 3654)
    ),
    "load_balancer.production_port": Bad("int", _ints(1, 65535, -80)),
    "load_balancer.test_port": Bad(
        "int", {**_ints(1, 65535, -1), "conflict": wrong(DEV["load_balancer"]["production_port"])}
    ),
    "load_balancer.production_ingress_cidrs": Bad(
        "strings",
        {
            "shape": wrong(["10.0.0.0/255.0.0.0"], ["10.0.0.1/8"], ["x"], ["fd00::/8"]),
            "empty": wrong([""]),
            "whitespace": wrong([" 0.0.0.0/0"], ["0.0.0.0/0\n"]),
            # Each CIDR becomes a security group rule: EC2 refuses the same rule twice.
            "conflict": wrong(
                ["0.0.0.0/0", "0.0.0.0/0"], ["10.0.0.0/8", "1.0.0.0/8", "10.0.0.0/8"]
            ),
        },
    ),
    "load_balancer.test_ingress_cidrs": Bad(
        "strings",
        {
            "shape": wrong(["10.0.0.0/255.0.0.0"], ["10.0.0.1/8"], ["x"]),
            "range": wrong(["0.0.0.0/0"]),
            "empty": wrong([""]),
            "whitespace": wrong([" 192.0.2.0/24"]),
            "conflict": wrong([_VPC], ["192.0.2.0/24", "192.0.2.0/24"]),
        },
    ),
    "load_balancer.deregistration_delay_seconds": Bad("int", _ints(0, 3600)),
    "load_balancer.deletion_protection": Bad("bool", {}),
    "load_balancer.idle_timeout_seconds": Bad("int", _ints(1, 4000)),
    "load_balancer.health_check.path": Bad(
        "str",
        {
            "shape": wrong("health", "/a b", "/é", "/a#b", "/a\\b", "/a<b>"),
            "empty": wrong(""),
            "too_long": wrong(
                "/" + "a" * 1024, generated=_longer_than(1024).map(lambda s: "/" + s)
            ),
            "whitespace": wrong("/health\n", " /health", "/health "),
            "template": wrong("/${x}", "/%{x}"),
        },
    ),
    "load_balancer.health_check.interval_seconds": Bad("int", _ints(5, 300)),
    "load_balancer.health_check.timeout_seconds": Bad(
        "int",
        {**_ints(2, 120), "conflict": wrong(10, 11, 120)},  # not below the interval (10)
    ),
    "load_balancer.health_check.healthy_threshold": Bad("int", _ints(2, 10)),
    "load_balancer.health_check.unhealthy_threshold": Bad("int", _ints(2, 10)),
    "load_balancer.health_check.matcher": Bad(
        "str",
        {
            "shape": wrong(
                "abc",
                "200-",
                "-200",
                "200,,201",
                "2xx",
                "299-200",
                "200;201",
                "200".translate(FULLWIDTH_DIGITS),
            ),
            "range": wrong("199", "500", "100-200", "200-500", "0"),
            "empty": wrong(""),
            "whitespace": wrong("200 ", "200\n", "200, 201"),
        },
    ),
    "load_balancer.certificate_arn": Bad(
        "str",
        {
            "shape": wrong(
                "not-an-arn",
                CERTIFICATE.replace("0f1e2d3c-", ""),
                CERTIFICATE + "x",
                CERTIFICATE.replace(OWN_ACCOUNT, OWN_ACCOUNT.translate(FULLWIDTH_DIGITS)),
            ),
            "arn": wrong(
                f"arn:aws:iam::{OWN_ACCOUNT}:server-certificate/x",
                CERTIFICATE.replace(":acm:", ":acm-pca:"),
                *_arn_elsewhere(CERTIFICATE),
            ),
            "whitespace": wrong(CERTIFICATE + "\n", " " + CERTIFICATE),
        },
        context={"load_balancer.production_port": 443},
    ),
    "load_balancer.domain_name": Bad(
        "str",
        {
            "shape": wrong(
                "App.example.com",
                "*.example.com",
                "app",
                "10.0.0.1",
                "a_b.example.com",
                "-a.example.com",
                "app.example.com.",
            ),
            "too_long": wrong(f"{'a' * 64}.example.com", ".".join(["label"] * 43)),
            "whitespace": wrong("app.example.com\n", " app.example.com"),
        },
        context=DOMAIN,
    ),
    "load_balancer.hosted_zone_id": Bad(
        "str",
        {
            "shape": wrong("z123", "/hostedzone/Z123", "Z12 3", "Zabc", "Z"),
            "too_long": wrong("Z" + "A" * 32),
            "whitespace": wrong("Z123\n", " Z123"),
        },
        context=DOMAIN,
    ),
    "load_balancer.ssl_policy": Bad(
        "str",
        {
            "shape": wrong("TLS13", "elbsecuritypolicy-tls13", "ELBSecurityPolicy-"),
            "empty": wrong(""),
            "whitespace": wrong("ELBSecurityPolicy-TLS13-1-2-2021-06\n"),
        },
        context=TLS,
    ),
    "load_balancer.http_redirect_port": Bad(
        "int", {**_ints(0, 65535), "conflict": wrong(443, 8080)}, context=TLS
    ),
    "load_balancer.access_log_retention_days": Bad("int", _ints(0, 3650)),
    "service.cpu": Bad("int", _not_in(FARGATE_MEMORY_BY_CPU, 0, -256, 128, 300, 32768)),
    "service.memory": Bad(
        "int", _not_in(FARGATE_MEMORY_BY_CPU[DEV["service"]["cpu"]], 0, -512, 256, 513, 4096)
    ),
    "service.desired_count": Bad("int", _ints(1, 5000)),
    "service.health_check_grace_period_seconds": Bad("int", _ints(0, 7200)),
    "service.container_insights": Bad("str", _choice(CONTAINER_INSIGHTS_MODES, "on", "true")),
    "service.log_retention_days": Bad("int", _not_in(LOG_RETENTION_DAYS, 0, -1, 2, 3654)),
    "service.ecr_images_to_keep": Bad("int", _ints(1, 1000)),
    "service.ecr_force_delete": Bad("bool", {}),
    "service.app_port": Bad("int", _ints(1, 65535)),
    "service.proxy_port": Bad("int", {**_ints(1, 65535), "conflict": wrong(8080)}),
    "service.shutdown_grace_seconds": Bad("int", _ints(1, 115)),
    "service.environment": Bad(
        "table",
        {
            "type": wrong({"LOG_LEVEL": 1}, {"LOG_LEVEL": True}, {"LOG_LEVEL": ["a"]}),
            "shape": wrong({"1A": "x"}, {"A-B": "x"}, {"a.b": "x"}, {"É": "x"}, {"A B": "x"}),
            "empty": wrong({"": "x"}, {"LOG_LEVEL": ""}),
            "too_long": wrong(
                {"BIG": "x" * 9000},
                {f"V{i}": "x" * 500 for i in range(20)},
                generated=st.integers(8200, 20000).map(lambda n: {"BIG": "x" * n}),
            ),
            "reserved": wrong(
                {"PORT": "1"},
                {"VERSION": "1"},
                {"RELEASE_SPEC": "x"},
                {"SHUTDOWN_GRACE_PERIOD": "1"},
                {"AWS_REGION": "x"},
                {"ECS_X": "y"},
            ),
            "whitespace": wrong({"A": "a\x00b"}),
            "template": wrong({"A": "${x}"}, {"A": "%{ if x }"}),
        },
    ),
    "service.secrets": Bad(
        "table",
        {
            "type": wrong({"DB": 1}, {"DB": [SECRET_ARN]}),
            "shape": wrong(
                {"DB": "hunter2"},
                {"DB": f"{SECRET_ARN}:password"},
                {"DB": f"{SECRET_ARN}:::"},
                {"DB": f"{PARAMETER_ARN}:key::"},
                {"DB": SECRET_ARN.replace(OWN_ACCOUNT, OWN_ACCOUNT.translate(FULLWIDTH_DIGITS))},
                {"1DB": SECRET_ARN},
            ),
            "arn": wrong(
                {"DB": KMS_KEY_ARN},
                {"DB": PARAMETER_ARN.replace("parameter/", "document/")},
                *({"DB": arn} for arn in _arn_elsewhere(SECRET_ARN)),
                *({"DB": arn} for arn in _arn_elsewhere(PARAMETER_ARN)),
            ),
            "empty": wrong({"DB": ""}, {"": SECRET_ARN}),
            "reserved": wrong(
                {"DB": PARAMETER_ARN.replace("shop/", "aws/")},
                {"DB": PARAMETER_ARN.replace("shop/", "SSM-")},
                {"PORT": SECRET_ARN},
                {"AWS_SECRET": SECRET_ARN},
            ),
            "too_long": wrong(
                {"DB": PARAMETER_ARN + "x" * 1000}, {"DB": PARAMETER_ARN + "/x" * 15}
            ),
            "whitespace": wrong({"DB": SECRET_ARN + "\n"}, {"DB": " " + SECRET_ARN}),
            "template": wrong({"DB": SECRET_ARN + "${x}"}),
            "conflict": wrong(),  # filled in below: a name both plain and secret
        },
    ),
    "service.secrets_kms_key_arns": Bad(
        "strings",
        {
            "shape": wrong(
                [KMS_KEY_ARN.replace("key/", "alias/")], ["key/0123"], [KMS_KEY_ARN + "x"]
            ),
            "arn": wrong([SECRET_ARN], *([arn] for arn in _arn_elsewhere(KMS_KEY_ARN))),
            "empty": wrong([""]),
            "whitespace": wrong([KMS_KEY_ARN + "\n"]),
        },
        context=SECRETS,
    ),
    "pipeline.repository": Bad(
        "str",
        {
            "shape": wrong("shop", "acme/", "/shop", "acme/shop/x", "ac me/shop", "acme/shop.git/"),
            "empty": wrong(""),
            "too_long": wrong(f"{'o' * 40}/shop", f"acme/{'n' * 101}"),
            "whitespace": wrong("acme/shop\n", " acme/shop"),
            "template": wrong("acme/${x}"),
        },
    ),
    "pipeline.promote_from": Bad(
        "str",
        {
            "shape": wrong("Dev", "dev_x", "1dev", "dev-"),
            "too_long": wrong("d" * 17),
            "range": wrong("staging", "prod"),  # no such environment; itself
            "whitespace": wrong("dev\n", " dev"),
        },
        base="prod",
    ),
    "pipeline.approval": Bad("str", _choice(("none", "manual"), "auto", "yes")),
    "pipeline.approval_emails": Bad(
        "strings",
        {
            "shape": wrong(["not-an-email"], ["a@b"], ["a b@c.com"], ["@example.com"]),
            "empty": wrong([""]),
            "too_long": wrong([f"{'a' * 250}@example.com"]),
            "conflict": wrong(["ops@example.com", "ops@example.com"]),
            "whitespace": wrong(["ops@example.com\n"]),
            "template": wrong(["ops${x}@example.com"], ["ops%{x}@example.com"]),
        },
        context={"pipeline.approval": "manual"},
    ),
    "pipeline.branch": Bad(
        "str",
        {
            "shape": wrong(
                "feature..x",
                "a//b",
                "/main",
                "main/",
                "main.",
                "ma~in",
                "ma:in",
                ".hidden",
                "a/.b",
                "main.lock",
                "a.lock/b",
            ),
            "empty": wrong(""),
            "too_long": wrong("b" * 256),
            "whitespace": wrong("main\n", " main", "ma in"),
            "template": wrong("${x}"),
        },
    ),
    "pipeline.connection_arn": Bad(
        "str",
        {
            "shape": wrong(
                "not-an-arn",
                CONNECTION.replace("connection/", ""),
                CONNECTION + "é",
                CONNECTION.replace("123456789012", OWN_ACCOUNT.translate(FULLWIDTH_DIGITS)),
            ),
            "arn": wrong(
                "arn:aws:s3:::bucket",
                CONNECTION.replace("codeconnections", "codecommit"),
                CONNECTION.replace("arn:aws:", "arn:aws-cn:"),
            ),
            "whitespace": wrong(CONNECTION + "\n", " " + CONNECTION),
            "template": wrong(CONNECTION + "${x}"),
        },
    ),
    "pipeline.file_paths": Bad(
        "strings",
        {
            "empty": wrong([""]),
            "too_long": wrong(["a" * 256], [f"p{i}/**" for i in range(9)]),
            "whitespace": wrong(["a\nb"], ["a\tb"]),
            "template": wrong(["${x}/**"], ["%{x}"]),
        },
    ),
    "pipeline.buildspec_path": Bad(
        "str",
        {
            "shape": wrong("/etc/b.yml", "../b.yml", "a/../b.yml", "b.json", "b.yml/", "a/./b.yml"),
            "empty": wrong(""),
            "whitespace": wrong("app/buildspec.yml\n", " app/buildspec.yml", "a b.yml"),
            "template": wrong("${x}.yml"),
        },
    ),
    "pipeline.build_compute_type": Bad(
        "str", _choice(BUILD_COMPUTE_TYPES, "BUILD_GENERAL1_HUGE", "small", "BUILD_LAMBDA_1GB")
    ),
    "pipeline.build_timeout_minutes": Bad("int", _ints(5, 480)),
    "pipeline.artifact_expiry_days": Bad("int", _ints(1, 3650)),
    "pipeline.artifact_force_destroy": Bad("bool", {}),
    "deployment.engine": Bad("str", _choice(("codedeploy", "ecs"), "native", "fargate")),
    "deployment.config": Bad(
        "str",
        _choice(
            (*PREDEFINED_ECS_CONFIGS, "custom"),
            "AllAtOnce",
            "CodeDeployDefault.LambdaAllAtOnce",
            "CodeDeployDefault.ECSCanary10Percent",
        ),
    ),
    "deployment.custom.kind": Bad(
        "str", _choice(("canary", "linear"), "blue", "all"), context=CUSTOM_SHIFT
    ),
    "deployment.custom.percentage": Bad("int", _ints(1, 99), context=CUSTOM_SHIFT),
    "deployment.custom.interval_minutes": Bad("int", _ints(1, 2880), context=CUSTOM_SHIFT),
    "deployment.ready_wait_minutes": Bad("int", _ints(0, 7200)),
    "deployment.termination_wait_minutes": Bad("int", _ints(0, 2880)),
    "autoscaling.enabled": Bad("bool", {}, context=AUTOSCALING),
    # dev's desired_count (2) must lie within min_count-max_count.
    "autoscaling.min_count": Bad("int", _ints(1, 5000, 3), context=AUTOSCALING),
    "autoscaling.max_count": Bad("int", _ints(2, 5000, 0), context=AUTOSCALING),
    "autoscaling.cpu_target_percent": Bad(
        "int",
        _ints(0, 90, 5, 9, 0),
        context=AUTOSCALING,  # 0 leaves no policy here
    ),
    "autoscaling.requests_per_target": Bad("int", _ints(0, 1_000_000), context=AUTOSCALING),
    "autoscaling.scale_in_cooldown_seconds": Bad("int", _ints(0, 3600), context=AUTOSCALING),
    "autoscaling.scale_out_cooldown_seconds": Bad("int", _ints(0, 3600), context=AUTOSCALING),
    "alarms.enabled": Bad("bool", {}),
    "alarms.target_5xx_count": Bad("int", _ints(1, 1_000_000)),
    "alarms.unhealthy_hosts": Bad("int", _ints(1, 1000)),
    "alarms.p95_response_seconds": Bad(
        "number",
        {
            "range": wrong(
                0,
                0.0,
                0.0009,
                600.5,
                601,
                -1.0,
                math.nan,
                math.inf,
                -math.inf,
                generated=st.one_of(
                    st.floats(max_value=0.000999), st.floats(min_value=600.0001), _outside(1, 600)
                ),
            )
        },
    ),
    "alarms.period_seconds": Bad(
        "int", _not_in({10, 30, *range(60, 86_401, 60)}, 0, 9, 20, 45, 59, 61, 90, 86_460)
    ),
    # CloudWatch evaluates at most 7 days: 7 periods of a day.
    "alarms.evaluation_periods": Bad(
        "int", {**_ints(1, 10), "conflict": wrong(8, 10)}, context={"alarms.period_seconds": 86_400}
    ),
    "verification.enabled": Bad("bool", {}),
    "verification.probes": Bad(
        "tables",
        {
            "empty": wrong([], [{}]),
            "shape": wrong(
                [{"path": "health"}],
                [{"path": "/", "status": 99}],
                [{"path": "/", "status": 600}],
                [{"path": "/", "status": "200"}],
                [{"path": "/", "body": "x", "body_is_version": True}],
                [{"path": "/", "body_is_version": "yes"}],
                [{"path": "/", "expect": 200}],
            ),
            "too_long": wrong([{"path": "/", "body": "x" * 2100}]),
            "template": wrong([{"path": "/", "body": "${x}"}]),
        },
    ),
    "verification.deadline_seconds": Bad("int", _ints(10, 900)),
    "verification.interval_seconds": Bad("int", {**_ints(1, 300), "conflict": wrong(120, 200)}),
    "verification.request_timeout_seconds": Bad("int", _ints(1, 60)),
    "verification.required_passes": Bad("int", {**_ints(1, 100), "conflict": wrong(25, 100)}),
}
BAD["service.secrets"] = Bad(
    "table",
    {
        **BAD["service.secrets"].kinds,
        "conflict": wrong({"LOG_LEVEL": SECRET_ARN}),
    },
    context={"service.environment": {"LOG_LEVEL": "info"}},
)


def _toml_number(value: bool | float) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) or math.isfinite(value):
        return repr(value)
    return "nan" if math.isnan(value) else "inf" if value > 0 else "-inf"


def _toml(value: Any) -> str:
    """``value`` as a TOML value on one line (tables inline, strings basic and escaped)."""
    if isinstance(value, bool | int | float):
        return _toml_number(value)
    if isinstance(value, str):
        escaped = "".join(
            {'"': '\\"', "\\": "\\\\"}.get(c)
            or (f"\\u{ord(c):04X}" if unicodedata.category(c) == "Cc" else c)
            for c in value
        )
        return f'"{escaped}"'
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, list):
        return f"[{', '.join(map(_toml, value))}]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml(str(k))} = {_toml(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no TOML for {value!r}")


def _toml_document(data: Mapping[str, Any]) -> str:
    return "".join(f"{_toml(key)} = {_toml(value)}\n" for key, value in data.items())


def test_the_toml_writer_round_trips_the_shipped_files() -> None:
    for data in (DEV, PROD, {"a": [{"b": '\x00\n"\\é'}, 1.5e-7, -0.0], "t": datetime.time(7)}):
        assert tomllib.loads(_toml_document(data)) == data


_REFUSALS = tempfile.TemporaryDirectory(prefix="settings-refusals-")
_BASES = {"dev": DEV, "prod": PROD}


def _bad_config(setting: str, value: Any) -> tuple[str, dict[str, Any]]:
    """The environment and the settings of its file: its base with ``setting`` = ``value``."""
    bad = BAD[setting]
    data = copy.deepcopy(_BASES[bad.base])
    for path, setting_value in (*bad.context.items(), (setting, value)):
        _set(data, tuple(path.split(".")), copy.deepcopy(setting_value))
    return bad.base, data


def _write_config_dir(directory: Path, environment: str, data: Mapping[str, Any]) -> Path:
    """A config directory holding the environment's file (and dev's, which prod promotes
    from); returns the file."""
    for old in directory.glob("*.toml"):
        old.unlink()
    if environment != "dev":
        (directory / "dev.toml").write_text(DEV_TEXT)
    path = directory / f"{environment}.toml"
    path.write_text(_toml_document(data))
    return path


def _assert_names_file_and_setting(message: str, path: Path, setting: str) -> None:
    """One line: ``<file>: <setting>[<entry>]: <reason>``, the file as given or relative to
    the project."""
    assert _one_line(message), repr(message)
    shown, _, rest = message.partition(": ")
    assert (ROOT / shown).resolve() == path.resolve(), repr(message)
    field_, _, reason = rest.partition(": ")
    assert field_ == setting or field_.startswith((f"{setting}[", f"{setting}.")), repr(message)
    assert reason.strip(), repr(message)


def _assert_refused(setting: str, value: Any) -> None:
    environment, data = _bad_config(setting, value)
    path = _write_config_dir(Path(_REFUSALS.name), environment, data)
    EXAMPLES["bad values by setting"] += 1
    try:
        main.load_all(path.parent)
    except SettingsError as caught:
        _assert_names_file_and_setting(str(caught), path, setting)
    else:
        ACCEPTED["bad values by setting"] += 1
        raise AssertionError(f"{setting} = {value!r} was accepted")


def test_every_readme_setting_has_bad_values_and_fuzz_targets() -> None:
    """A setting added to the README's table without bad values here fails this test."""
    assert len(README_SETTINGS) > 80 and {"project", "alarms.evaluation_periods"} <= set(
        README_SETTINGS
    )
    assert len(set(README_SETTINGS)) == len(README_SETTINGS), README_SETTINGS
    assert sorted(set(README_SETTINGS) - set(BAD)) == [], "README settings without bad values"
    assert sorted(set(BAD) - set(README_SETTINGS)) == [], "bad values of undocumented settings"
    fuzzed = {".".join(path) for path in SETTING_KINDS}
    assert sorted(set(README_SETTINGS) - fuzzed) == [], "README settings the fuzzers never set"
    for setting, bad in BAD.items():
        assert set(bad.kinds) <= set(WRONG_KINDS), setting
        assert all(w.listed for w in bad.all_kinds().values()), setting
        # Every setting but a switch has a way to be wrong beyond its type.
        assert bad.kinds or bad.toml == "bool", setting


@pytest.mark.parametrize("setting", sorted(BAD))
def test_every_kind_of_bad_value_of_every_setting_is_refused_naming_it(setting: str) -> None:
    """One value of each kind per example, listed or generated."""
    kinds = BAD[setting].all_kinds()

    @settings(PROFILE, max_examples=BAD_VALUE_EXAMPLES)
    @given(st.fixed_dictionaries({kind: w.strategy() for kind, w in kinds.items()}))
    def refused(values: dict[str, Any]) -> None:
        for value in values.values():
            _assert_refused(setting, value)

    refused()


BAD_VALUE_EXAMPLES = 5


def _must_not_synthesize(environments: object) -> None:
    raise AssertionError("main.main went on to synthesize a bad setting")


@pytest.mark.parametrize("setting", sorted(BAD))
def test_main_exits_2_with_one_line_for_every_listed_bad_value(
    setting: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(main, "CONFIG_DIR", tmp_path)
    monkeypatch.setitem(sys.modules, "stacks.app", SimpleNamespace(synth_app=_must_not_synthesize))
    for kind, w in BAD[setting].all_kinds().items():
        for value in w.listed:
            environment, data = _bad_config(setting, value)
            path = _write_config_dir(tmp_path, environment, data)
            try:
                status = main.main([])
            except AssertionError:
                raise AssertionError(f"{setting} = {value!r} ({kind}) was accepted") from None
            assert status == 2, (kind, value)
            out, err = capsys.readouterr()
            assert out == "" and err.startswith("error: ") and err.endswith("\n"), (kind, err)
            assert "Traceback" not in err, err
            _assert_names_file_and_setting(err.removeprefix("error: ")[:-1], path, setting)
