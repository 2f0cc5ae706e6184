"""Every name the stacks give fits AWS's limits and rules, for the longest inputs the
settings allow: a 40-character project, a 16-character environment and a 25-character
region, in a stack that builds and one that promotes from it, between them holding every
resource type the constructs make (custom shift, approval topic, autoscaling with request
policies, VPC endpoints and the image cache, a domain, secrets, the ECS engine's rules).

Each stack is synthesized once per session. Every string argument of every resource whose
key says it is a name is held to the rule of ``tests/aws_names.py`` for its resource type
(or listed in ``NOT_NAMES`` with the reason it is none); names that are Terraform references
are resolved where the value is bounded (an account id, the region) and otherwise left to
the resource they name, which is checked itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from stacks.settings import ENVIRONMENT_MAX, PROJECT_MAX, REGION_MAX, Settings, parse_settings
from tests.aws_names import (
    APPROVAL_CUSTOM_DATA,
    PIPELINE_ARTIFACT,
    PIPELINE_STAGE_OR_ACTION,
    RULES,
    TAG_VALUE,
    NameRule,
)
from tests.own_service import OwnService, environment_data, own_service_data
from tests.synth import Synth

ROOT = Path(__file__).resolve().parents[3]
# Hyphens every third character: names cut to a limit end on one now and then.
PROJECT = ("ab-" * PROJECT_MAX)[: PROJECT_MAX - 1] + "p"
BUILDING = ("e-" * ENVIRONMENT_MAX)[: ENVIRONMENT_MAX - 1] + "b"
PROMOTED = ("e-" * ENVIRONMENT_MAX)[: ENVIRONMENT_MAX - 1] + "q"
REGION = "ap-" + "x" * (REGION_MAX - 6) + "-12"
ACCOUNT = "123456789012"

# Keys naming something, beyond those ending in "name" or "name_prefix".
NAME_KEYS = {"family", "bucket", "ecr_repository_prefix"}
# Keys holding something else than a name of the resource, and why they are not checked.
NOT_NAMES = {
    ("aws_vpc_endpoint", "service_name"): "AWS's service endpoint, not named by the stack",
    ("aws_codedeploy_deployment_group", "app_name"): "a reference to the application's name",
    ("aws_codedeploy_deployment_group", "deployment_config_name"): (
        "a predefined config or a reference to the custom one's name"
    ),
    ("aws_lambda_function", "filename"): "the asset's path on this machine",
    ("aws_s3_bucket_lifecycle_configuration", "bucket"): "a reference to the bucket",
    ("aws_s3_bucket_notification", "bucket"): "a reference to the bucket",
    ("aws_s3_bucket_ownership_controls", "bucket"): "a reference to the bucket",
    ("aws_s3_bucket_policy", "bucket"): "a reference to the bucket",
    ("aws_s3_bucket_public_access_block", "bucket"): "a reference to the bucket",
    ("aws_s3_bucket_server_side_encryption_configuration", "bucket"): ("a reference to the bucket"),
    ("aws_s3_bucket_versioning", "bucket"): "a reference to the bucket",
}
# Terraform references a name may hold, and what each resolves to at its longest.
_BOUNDED_REFERENCES = {
    r"\$\{data\.aws_caller_identity\.[\w-]+\.account_id\}": ACCOUNT,
    r"\$\{data\.aws_region\.[\w-]+\.(?:name|region|id)\}": REGION,
    r"\$\{data\.aws_partition\.[\w-]+\.partition\}": "aws-iso-b",
    r"\$\{data\.aws_partition\.[\w-]+\.dns_suffix\}": "amazonaws.com.cn",
}
_REFERENCE = re.compile(r"\$\{[^}]*\}")


def _resolved(value: str) -> str | None:
    """``value`` with its bounded references at their longest; None if another reference
    is left (a name taken from another resource, which is checked itself)."""
    for pattern, longest in _BOUNDED_REFERENCES.items():
        value = re.sub(pattern, longest, value)
    return None if _REFERENCE.search(value) else value


def _longest_settings() -> tuple[Settings, Settings]:
    """dev and prod as a team's own service with every option that adds a named resource,
    under the longest names the settings take; through the parser, so they are valid."""
    own = OwnService.stand_in(REGION)
    building = own_service_data(environment_data("dev"), own)
    building |= {"project": PROJECT, "region": REGION, "account_id": ACCOUNT}
    building["network"] |= {"task_placement": "private-endpoints"}
    building["network"].pop("nat_gateways")
    building["pipeline"] |= {"approval": "manual", "approval_emails": ["ops@example.com"]}
    building["deployment"] |= {
        "config": "custom",
        "custom": {"kind": "linear", "percentage": 10, "interval_minutes": 1},
    }
    building["autoscaling"] = {
        "enabled": True,
        "min_count": 2,
        "max_count": 4,
        "requests_per_target": 1000,
    }
    promoted = own_service_data(environment_data("prod"), own)
    promoted |= {"project": PROJECT, "region": REGION, "account_id": ACCOUNT}
    promoted["pipeline"] |= {"promote_from": BUILDING, "approval_emails": ["ops@example.com"]}
    promoted["deployment"] |= {"engine": "ecs"}
    # NAT gateways and their addresses here, VPC endpoints and the image cache there.
    promoted["network"] |= {"task_placement": "private-nat", "nat_gateways": "per-az"}
    return (
        parse_settings(building, environment=BUILDING),
        parse_settings(promoted, environment=PROMOTED),
    )


@pytest.fixture(scope="module")
def longest(cdktf_app: object) -> dict[str, Synth]:
    from constructs_lib import bindings
    from stacks.blue_green_stack import BlueGreenStack
    from stacks.promotion import plan_promotions

    pair = _longest_settings()
    plan = plan_promotions(pair)
    return {
        s.environment: Synth.of(
            bindings.Testing.synth(BlueGreenStack(cdktf_app, s, plan[s.environment]))  # type: ignore[arg-type]
        )
        for s in pair
    }


def _is_name_key(key: str) -> bool:
    return key.endswith(("name", "name_prefix")) or key in NAME_KEYS


def _names(synth: Synth) -> Iterator[tuple[str, str, str, str]]:
    """(type, logical id, key, value) of every top-level string argument naming something."""
    for kind, resources in synth.tf.get("resource", {}).items():
        for logical_id, body in resources.items():
            for key, value in body.items():
                if isinstance(value, str) and _is_name_key(key):
                    yield kind, logical_id, key, value


def _check(rule: NameRule, value: str, where: str) -> str | None:
    """The rule's problems with ``value`` as one line, or None (also for a reference to
    another resource's name)."""
    resolved = _resolved(value)
    if resolved is None:
        return None
    problems = rule.problems(resolved)
    return f"{where} = {resolved!r}: {'; '.join(problems)}" if problems else None


def test_the_inputs_are_the_longest_the_settings_allow() -> None:
    assert len(PROJECT) == PROJECT_MAX and len(REGION) == REGION_MAX
    assert len(BUILDING) == len(PROMOTED) == ENVIRONMENT_MAX
    building, promoted = _longest_settings()
    assert building.stack_name != promoted.stack_name
    # One character more is refused.
    for project, environment in ((PROJECT + "p", BUILDING), (PROJECT, BUILDING + "b")):
        data = environment_data("dev") | {"project": project, "region": REGION}
        with pytest.raises(ValueError, match="longer than"):
            parse_settings(data, environment=environment)


def test_every_name_fits_awss_limits_and_rules(longest: dict[str, Synth]) -> None:
    problems, unruled = [], set()
    for synth in longest.values():
        for kind, logical_id, key, value in _names(synth):
            if (kind, key) in NOT_NAMES:
                continue
            rule = RULES.get((kind, key))
            if rule is None:
                unruled.add((kind, key))
                continue
            problem = _check(rule, value, f"{kind}.{logical_id}.{key}")
            if problem:
                problems.append(problem)
    assert not unruled, f"name arguments without a rule in tests/aws_names.py: {sorted(unruled)}"
    assert not problems, "\n".join(problems)


_SECURITY_GROUP_KINDS = (
    "aws_security_group",
    "aws_vpc_security_group_ingress_rule",
    "aws_vpc_security_group_egress_rule",
)


def _description_problems(longest: dict[str, Synth], kinds: tuple[str, ...]) -> list[str]:
    problems = []
    for synth in longest.values():
        for kind in kinds:
            for logical_id, body in synth.resources(kind).items():
                if isinstance(body.get("description"), str):
                    where = f"{kind}.{logical_id}.description"
                    problems.append(
                        _check(RULES[(kind, "description")], body["description"], where)
                    )
    return [p for p in problems if p]


def test_descriptions_and_tags_fit_too(longest: dict[str, Synth]) -> None:
    """Texts built from the names: descriptions (their own limits) and tags (256)."""
    kinds = {k for synth in longest.values() for k in synth.tf["resource"]}
    described = tuple(k for k in kinds if (k, "description") in RULES)
    problems = _description_problems(
        longest, tuple(k for k in described if k not in _SECURITY_GROUP_KINDS)
    )
    for synth in longest.values():
        for kind, resources in synth.tf["resource"].items():
            for logical_id, body in resources.items():
                for tag, value in (body.get("tags") or {}).items():
                    problems.append(_check(TAG_VALUE, value, f"{kind}.{logical_id}.tags.{tag}"))
    assert not [p for p in problems if p], "\n".join(p for p in problems if p)


def test_security_group_descriptions_hold_only_what_ec2_allows(
    longest: dict[str, Synth],
) -> None:
    problems = _description_problems(longest, _SECURITY_GROUP_KINDS)
    assert not problems, "\n".join(problems)


def test_pipeline_stages_actions_and_artifacts_fit(longest: dict[str, Synth]) -> None:
    problems = []
    for synth in longest.values():
        for logical_id, pipeline in synth.resources("aws_codepipeline").items():
            for stage in pipeline["stage"]:
                problems.append(_check(PIPELINE_STAGE_OR_ACTION, stage["name"], logical_id))
                for action in stage["action"]:
                    problems.append(_check(PIPELINE_STAGE_OR_ACTION, action["name"], logical_id))
                    for artifact in (
                        *action.get("input_artifacts", ()),
                        *action.get("output_artifacts", ()),
                    ):
                        problems.append(_check(PIPELINE_ARTIFACT, artifact, logical_id))
                    custom = action.get("configuration", {}).get("CustomData")
                    if custom is not None:
                        problems.append(_check(APPROVAL_CUSTOM_DATA, custom, logical_id))
    assert not [p for p in problems if p], "\n".join(p for p in problems if p)


def test_every_resource_type_with_a_name_was_seen(longest: dict[str, Synth]) -> None:
    """The two stacks hold every named resource type the rules know, so none goes
    unchecked for want of an example (and a rule for a type no stack makes is stale)."""
    seen = {(kind, key) for synth in longest.values() for kind, _, key, _ in _names(synth)}
    expected = {
        (kind, key) for kind, key in RULES if key != "description" and not key.endswith("_prefix")
    }
    assert sorted(expected - seen - set(NOT_NAMES)) == []


def test_the_stacks_hold_every_resource_type_of_the_golden_stacks(
    longest: dict[str, Synth],
) -> None:
    """No resource type of a shipped stack (or a golden variant) escapes the name checks."""
    golden = {
        kind
        for path in (ROOT / "tests" / "golden").glob("*/cdk.tf.json")
        for kind in json.loads(path.read_text()).get("resource", {})
    }
    held = {kind for synth in longest.values() for kind in synth.tf["resource"]}
    assert golden and sorted(golden - held) == []


def test_every_exception_is_still_there(longest: dict[str, Synth]) -> None:
    """``NOT_NAMES`` lists only arguments the stacks give (no stale excuses)."""
    seen = {(kind, key) for synth in longest.values() for kind, _, key, _ in _names(synth)}
    assert sorted(set(NOT_NAMES) - seen) == []


def test_names_are_the_longest_and_the_rules_can_fail(longest: dict[str, Synth]) -> None:
    """The check is not vacuous: names cut to their limit are there, and a name one
    character longer, or starting with what AWS reserves, breaks its rule."""
    lengths = {
        (kind, key): len(resolved)
        for synth in longest.values()
        for kind, _, key, value in _names(synth)
        if (resolved := _resolved(value)) is not None
    }
    assert lengths[("aws_lb", "name")] == 32
    assert lengths[("aws_lb_target_group", "name")] == 32
    assert lengths[("aws_s3_bucket", "bucket")] == 63
    assert lengths[("aws_lambda_function", "function_name")] == 64
    for kind, key in lengths:
        rule = RULES.get((kind, key))
        if rule is not None:
            assert rule.problems("a" * (rule.max_length + 1)), (kind, key)
    assert RULES[("aws_security_group", "name")].problems("sg-x-alb")
    assert RULES[("aws_ssm_parameter", "name")].problems("/awsome-dev/release/x")
    assert RULES[("aws_s3_bucket", "bucket")].problems("192.168.0.1")


def test_the_name_limit_table(
    longest: dict[str, Synth], capsys: pytest.CaptureFixture[str]
) -> None:
    """Longest generated name per resource type and argument, against AWS's limit (printed
    with ``-s``)."""
    longest_seen: dict[tuple[str, str], int] = {}
    for synth in longest.values():
        for kind, _, key, value in _names(synth):
            resolved = _resolved(value)
            if resolved is not None and (kind, key) in RULES:
                longest_seen[(kind, key)] = max(longest_seen.get((kind, key), 0), len(resolved))
    table = {f"{k}.{a}": (RULES[(k, a)].max_length, n) for (k, a), n in longest_seen.items()}
    print(json.dumps(table, indent=1, sort_keys=True))
    assert all(n <= limit for limit, n in table.values())
