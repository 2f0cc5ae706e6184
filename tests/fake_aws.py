"""Plausible values for the Terraform references in a synthesized stack.

Offline checks (botocore's input validation, parliament, the buildspec run) need the strings
Terraform would produce at apply time: ARNs in the right shape, names, URLs. This resolves
``${aws_x.y.attr}``, ``${data.…}`` and the ``replace()``/``element()`` calls the stack uses,
from the literal names in the synthesized resources, for a fake account.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from constructs_lib.release_spec import ServiceTarget, TrafficRoutes
from tests.synth import Synth

ACCOUNT = "123456789012"
_REF = r"(local\.[A-Za-z0-9_-]+|(?:data\.)?[a-z0-9_]+\.[A-Za-z0-9_-]+\.[a-z_]+)"
_REPLACE_RE = re.compile(r"\$\{replace\(" + _REF + r', ("[^"]*"), ("[^"]*")\)\}')
# Terraform's replace() takes a regular expression when the pattern is wrapped in slashes.
_ELEMENT_RE = re.compile(r"\$\{element\(" + _REF + r", (\d+)\)\}")
_REF_RE = re.compile(r"\$\{" + _REF + r"\}")
# (resource type, attribute) -> template; {name} is the resource's literal name.
_TEMPLATES = {
    ("aws_iam_role", "arn"): "arn:aws:iam::{account}:role/{name}",
    ("aws_iam_role", "id"): "{name}",
    ("aws_ecr_repository", "arn"): "arn:aws:ecr:{region}:{account}:repository/{name}",
    ("aws_ecr_repository", "repository_url"): "{account}.dkr.ecr.{region}.amazonaws.com/{name}",
    ("aws_cloudwatch_log_group", "arn"): "arn:aws:logs:{region}:{account}:log-group:{name}",
    ("aws_s3_bucket", "arn"): "arn:aws:s3:::{name}",
    ("aws_ssm_parameter", "arn"): "arn:aws:ssm:{region}:{account}:parameter{name}",
    ("aws_codebuild_project", "arn"): "arn:aws:codebuild:{region}:{account}:project/{name}",
    ("aws_codepipeline", "arn"): "arn:aws:codepipeline:{region}:{account}:{name}",
    ("aws_cloudwatch_event_rule", "arn"): "arn:aws:events:{region}:{account}:rule/{name}",
    ("aws_sns_topic", "arn"): "arn:aws:sns:{region}:{account}:{name}",
    ("aws_codeconnections_connection", "arn"): (
        "arn:aws:codeconnections:{region}:{account}:connection/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    ),
    (
        "aws_lb",
        "arn",
    ): "arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/app/{name}/0123456789abcdef",
    ("aws_lb", "dns_name"): "{name}-1234567890.{region}.elb.amazonaws.com",
    ("aws_lb_listener", "arn"): (
        "arn:aws:elasticloadbalancing:{region}:{account}:listener/app/alb/0123456789abcdef/{id}"
    ),
    ("aws_lb_listener_rule", "arn"): (
        "arn:aws:elasticloadbalancing:{region}:{account}:listener-rule/app/alb/0123456789abcdef/"
        "0123456789abcdef/{id}"
    ),
    ("aws_lb_target_group", "arn"): (
        "arn:aws:elasticloadbalancing:{region}:{account}:targetgroup/{name}/0123456789abcdef"
    ),
    ("aws_lambda_function", "arn"): "arn:aws:lambda:{region}:{account}:function:{name}",
    ("aws_ecs_cluster", "arn"): "arn:aws:ecs:{region}:{account}:cluster/{name}",
    ("aws_ecs_service", "id"): "arn:aws:ecs:{region}:{account}:service/{name}/{name}",
    ("aws_ecs_task_definition", "arn"): "arn:aws:ecs:{region}:{account}:task-definition/{name}:1",
    ("aws_vpc", "id"): "vpc-{id}",
    ("aws_subnet", "id"): "subnet-{id}",
    ("aws_security_group", "id"): "sg-{id}",
    ("aws_security_group", "arn"): "arn:aws:ec2:{region}:{account}:security-group/sg-{id}",
    ("aws_subnet", "arn"): "arn:aws:ec2:{region}:{account}:subnet/subnet-{id}",
    ("aws_route_table", "id"): "rtb-{id}",
    ("aws_internet_gateway", "id"): "igw-{id}",
}
# Keys that hold a resource's literal name: read from its body, and the attributes a
# reference may ask for that resolve to that name.
_NAMING = (
    "name",
    "ecr_repository_prefix",
    "function_name",
    "bucket",
    "family",
    "deployment_group_name",
    "deployment_config_name",
    "alarm_name",
)
_NAME_ATTRIBUTES = (*_NAMING, "id")
_NAME_KEYS = (*_NAMING, "repository")


def fake_value(synth: Synth, ref: str, region: str) -> str:
    parts = ref.split(".")
    if parts[0] == "local":
        return fake_resolve(synth, synth.tf["locals"][parts[1]], region)
    if parts[0] == "data":
        attribute = parts[-1]
        return {
            "account_id": ACCOUNT,
            "partition": "aws",
            "dns_suffix": "amazonaws.com",
            "arn": "arn:aws:iam::582318560864:root",  # the ELB account of ap-northeast-1
        }[attribute]
    kind, logical, attribute = parts
    body = synth.resources(kind)[logical]
    name = next(
        (body[k] for k in _NAME_KEYS if isinstance(body.get(k), str) and "${" not in body[k]),
        logical,
    )
    if (kind, attribute) in _TEMPLATES:
        # A short stable id from the logical id, hex like the real ones.
        short_id = hashlib.sha256(logical.encode()).hexdigest()[:17]
        return _TEMPLATES[kind, attribute].format(
            account=ACCOUNT, region=region, name=name, id=short_id
        )
    if attribute in _NAME_ATTRIBUTES:
        return str(name)
    raise KeyError(f"no fake value for {ref}")


def _replace(value: str, pattern: str, replacement: str) -> str:
    if len(pattern) > 1 and pattern.startswith("/") and pattern.endswith("/"):
        return re.sub(pattern[1:-1], replacement, value)
    return value.replace(pattern, replacement)


def fake_resolve(synth: Synth, text: str, region: str) -> str:
    """``text`` with every Terraform reference replaced by a plausible value."""
    text = _REPLACE_RE.sub(
        lambda m: _replace(fake_value(synth, m[1], region), json.loads(m[2]), json.loads(m[3])),
        text,
    )
    text = _ELEMENT_RE.sub(lambda m: f"{region}{'abcdef'[int(m[2])]}", text)
    text = _REF_RE.sub(lambda m: fake_value(synth, m[1], region), text)
    if "${" in text:
        raise ValueError(f"unresolved reference in {text[text.index('${') :][:80]!r}")
    return text


def fake_resolve_all(synth: Synth, value: Any, region: str) -> Any:
    """:func:`fake_resolve` over every string in a JSON-like value."""
    if isinstance(value, str):
        return fake_resolve(synth, value, region)
    if isinstance(value, list):
        return [fake_resolve_all(synth, v, region) for v in value]
    if isinstance(value, dict):
        return {k: fake_resolve_all(synth, v, region) for k, v in value.items()}
    return value


def literal_service_target() -> ServiceTarget:
    """A service named ``shop`` (containers ``app`` and ``nginx``) given as literal ids, as
    a team whose service lives in another stack would."""
    return ServiceTarget(
        cluster_name="shop",
        cluster_arn="arn:aws:ecs:eu-west-1:123456789012:cluster/shop",
        service_name="shop",
        service_arn="arn:aws:ecs:eu-west-1:123456789012:service/shop/shop",
        task_family="shop",
        execution_role_arn="arn:aws:iam::123456789012:role/shop-task-execution",
        task_role_arn="arn:aws:iam::123456789012:role/shop-task",
        subnet_ids=("subnet-1", "subnet-2"),
        security_group_ids=("sg-1",),
        assign_public_ip=False,
        repository_urls={
            "app": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/app",
            "nginx": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/nginx",
        },
        repository_arns={
            "app": "arn:aws:ecr:eu-west-1:123456789012:repository/shop/app",
            "nginx": "arn:aws:ecr:eu-west-1:123456789012:repository/shop/nginx",
        },
        log_group_names={"app": "/ecs/shop/app", "nginx": "/ecs/shop/nginx"},
    )


def literal_traffic_routes() -> TrafficRoutes:
    """The load balancer side of :func:`literal_service_target`."""
    return TrafficRoutes(
        production_listener_arn="arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/1/2",
        test_listener_arn="arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/1/3",
        blue_target_group_name="shop-blue",
        green_target_group_name="shop-green",
    )
