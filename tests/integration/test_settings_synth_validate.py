"""Valid settings, generated: every one becomes a stack that synthesizes and passes an offline
``terraform validate`` (see tools/tf_validate.py).

The settings come from the same Hypothesis strategy as the fast property tests
(tests/unit/stacks/test_settings_properties.py), plus two hand-made ones at the limits. All
stacks are built in one cdktf App (the provider bindings load once) and validated in one
Terraform run: a root module holding each stack as a child module, so the ~700 MB provider
starts once instead of once per stack. A deliberately broken copy of one stack rides along
to prove that a bad module fails that run, and only that module.
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import Phase, given, settings

from stacks.settings import Settings, parse_settings
from tests.unit.stacks.test_settings_properties import (
    CONNECTION,
    DEV,
    PROFILE,
    valid_environments,
    valid_settings_data,
)
from tools import tf_validate

pytestmark = pytest.mark.slow

GENERATED_STACKS = 20
BROKEN = "broken"


def _generated() -> list[Settings]:
    """Distinct stacks from the valid-settings strategy (deterministic: derandomized)."""
    found: dict[str, Settings] = {}

    @settings(PROFILE, max_examples=GENERATED_STACKS, phases=[Phase.generate])
    @given(valid_settings_data(), valid_environments)
    def collect(data: dict[str, Any], environment: str) -> None:
        if len(found) < GENERATED_STACKS:
            # A counter keeps stack names distinct inside the one App.
            parsed = parse_settings(data, environment=f"{environment}-{len(found)}")
            found.setdefault(parsed.stack_name, parsed)

    collect()
    return list(found.values())


def _at_the_limits() -> list[Settings]:
    """Longest names, most AZs and tags, the largest task, a canary and a linear shift."""
    big = copy.deepcopy(DEV)
    big["project"] = "a" + "-b" * 19 + "c"  # 40 characters
    big["tags"] = {f"Tag{i}": "v" * 256 for i in range(45)}
    big["backend"] = {"kind": "s3", "bucket": "my-state", "key": "a/b.tfstate"}
    big["network"] = {"vpc_cidr": "10.0.0.0/16", "az_count": 6, "subnet_prefix_length": 20}
    big["load_balancer"] |= {
        "production_port": 65535,
        "test_port": 1,
        "test_ingress_cidrs": ["192.168.0.0/24", "203.0.113.7/32"],
        "deregistration_delay_seconds": 3600,
        "idle_timeout_seconds": 4000,
        "health_check": {
            "path": "/health?deep=1",
            "interval_seconds": 300,
            "timeout_seconds": 120,
            "healthy_threshold": 10,
            "unhealthy_threshold": 10,
            "matcher": "200-299,404",
        },
    }
    big["service"] |= {"cpu": 16384, "memory": 122880, "desired_count": 5000}
    big["service"] |= {"app_port": 65535, "proxy_port": 1, "shutdown_grace_seconds": 115}
    big["pipeline"] |= {
        "connection_arn": CONNECTION,
        "file_paths": [f"dir{i}/**" for i in range(8)],
        "build_timeout_minutes": 480,
        "artifact_expiry_days": 3650,
    }
    big["deployment"] = {
        "config": "custom",
        "custom": {"kind": "canary", "percentage": 99, "interval_minutes": 2880},
        "ready_wait_minutes": 7200,
        "termination_wait_minutes": 2880,
    }
    small = copy.deepcopy(DEV)
    small["project"] = "x"
    small["network"] = {
        "vpc_cidr": "172.16.0.192/26",
        "az_count": 2,
        "public_subnet_cidrs": ["172.16.0.240/28", "172.16.0.192/28"],
        "private_subnet_cidrs": ["172.16.0.224/28", "172.16.0.208/28"],
    }
    small["load_balancer"] |= {"production_ingress_cidrs": [], "deregistration_delay_seconds": 0}
    small["deployment"] = {
        "config": "custom",
        "custom": {"kind": "linear", "percentage": 1, "interval_minutes": 1},
        "ready_wait_minutes": 0,
        "termination_wait_minutes": 0,
    }
    return [
        parse_settings(big, environment="e" * 16),
        parse_settings(small, environment="y"),
    ]


def _synthesize(environments: list[Settings], out: Path) -> dict[str, Path]:
    from stacks.app import build_app

    build_app(environments, outdir=str(out)).synth()
    return {s.stack_name: out / "stacks" / s.stack_name for s in environments}


def _root_module(
    stacks: dict[str, Path], work: Path, provider_version: str
) -> tuple[Path, dict[str, str]]:
    """A root module calling each stack as a child module; returns it and module -> stack."""
    names: dict[str, str] = {}
    for i, (stack, stack_dir) in enumerate(stacks.items()):
        module = work / f"stack{i:02d}"
        module.mkdir(parents=True)
        tf_validate.prepare_copy(stack_dir, module, provider_version)
        names[module.name] = stack
    root = work / "root"
    root.mkdir()
    # Absolute sources: tf_validate.validate copies only the root file to its own directory.
    calls = {module: {"source": str(work / module)} for module in names}
    (root / "cdk.tf.json").write_text(json.dumps({"module": calls}))
    return root, names


def _break(stack_dir: Path, into: Path) -> Path:
    """A copy of the stack with one attribute of the wrong type."""
    config = json.loads((stack_dir / "cdk.tf.json").read_text())
    service = next(iter(config["resource"]["aws_ecs_service"].values()))
    service["launch_type"] = ["FARGATE"]  # a list where a string belongs
    into.mkdir(parents=True)
    (into / "cdk.tf.json").write_text(json.dumps(config))
    return into


def test_generated_valid_settings_synthesize_stacks_terraform_accepts(
    toolchain: tuple[tf_validate.Mirror, str], tmp_path: Path
) -> None:
    mirror, terraform = toolchain
    started = time.monotonic()
    environments = _generated() + _at_the_limits()
    assert len(environments) == GENERATED_STACKS + 2
    stacks = _synthesize(environments, tmp_path / "out")
    synthesized = time.monotonic()
    for stack_dir in stacks.values():
        assert (stack_dir / "cdk.tf.json").is_file()

    first = next(iter(stacks.values()))
    with_broken = {**stacks, BROKEN: _break(first, tmp_path / BROKEN)}
    root, names = _root_module(with_broken, tmp_path / "modules", mirror.version)
    result = tf_validate.validate(root, mirror, terraform)
    validated = time.monotonic()

    by_stack: dict[str, list[str]] = {}
    for diagnostic in result.diagnostics:
        where = diagnostic.get("range")
        filename = str(where.get("filename", "")) if isinstance(where, dict) else ""
        module = next((m for m in names if f"/{m}/" in f"/{filename}"), "?")
        line = f"{diagnostic.get('severity')}: {diagnostic.get('summary')} {filename}"
        by_stack.setdefault(names.get(module, module), []).append(line)
    assert not result.valid  # the broken copy
    assert set(by_stack) == {BROKEN}, by_stack
    covered = {
        "s3 backend": sum(s.backend.kind == "s3" for s in environments),
        "explicit subnets": sum(s.network.public_subnet_cidrs is not None for s in environments),
        "custom shift": sum(not isinstance(s.deployment.config, str) for s in environments),
        "names over 32": sum(len(s.stack_name) > 32 for s in environments),
        "existing connection": sum(s.pipeline.connection_arn is not None for s in environments),
    }
    print(
        f"{len(stacks)} stacks ({covered}): synth {synthesized - started:.1f} s, "
        f"terraform validate {validated - synthesized:.1f} s"
    )
