"""Golden synthesized stacks: what a refactor must leave byte for byte as it was.

Every shipped environment, each as released by the ECS-native engine, a custom traffic
shift under either engine, and dev and prod as a team's own service (environment, secrets,
a domain): synthesized by the real ``App`` (as ``python main.py`` and ``cdktf synth`` do,
construct metadata included) into ``tests/golden/<stack>/cdk.tf.json``. A changed resource
address is a destroy and a create for a deployed user; ``tests/unit/test_golden.py`` fails
on any byte that differs.

    python -m tests.golden.generate          # rewrite the golden files (an intended change)
    python -m tests.golden.generate --check  # compare, as the test does

The files are recorded on cdktf, the default framework line. On CDK Terrain
(``ECS_BLUE_GREEN_FRAMEWORK=cdktn``) a stack must synthesize to the same JSON except for what
the framework itself writes (:data:`FRAMEWORK_WRITTEN`): the same resources, addresses and
arguments, so switching a deployed stack's framework plans no change.
"""

from __future__ import annotations

import argparse
import dataclasses
import filecmp
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from constructs_lib.framework import DEFAULT as RECORDED_ON
from constructs_lib.framework import current as current_framework
from constructs_lib.release_spec import TrafficShift
from stacks.settings import Settings, load_settings

GOLDEN_DIR = Path(__file__).resolve().parent
CONFIG_DIR = GOLDEN_DIR.parent.parent / "config"
CUSTOM_SHIFT = TrafficShift(kind="linear", percentage=20, interval_minutes=2)

FRAMEWORK_WRITTEN: tuple[tuple[str, ...], ...] = (
    # The framework's own version, in the stack's metadata (no Terraform meaning).
    ("//", "metadata", "version"),
    # The provider pin: each line's bindings pin the hashicorp/aws release they were
    # generated from (cdktf: "aws" 6.25.0, cdktn: "hashicorp/aws" 6.69.1; one address).
    ("terraform", "required_providers", "aws"),
)
"""Where cdktf and cdktn may write a stack differently; nothing else may differ."""


def _engine(settings: Settings, engine: str, suffix: str) -> Settings:
    return dataclasses.replace(
        settings,
        environment=f"{settings.environment}-{suffix}",
        deployment=dataclasses.replace(settings.deployment, engine=engine),  # type: ignore[arg-type]
    )


def _custom_shift(settings: Settings) -> Settings:
    return dataclasses.replace(
        settings,
        environment=f"{settings.environment}-custom",
        deployment=dataclasses.replace(settings.deployment, config=CUSTOM_SHIFT),
    )


def variants() -> list[Settings]:
    """The settings of every golden stack (distinct stack names)."""
    from tests.own_service import own_service_settings

    shipped = [load_settings(path) for path in sorted(CONFIG_DIR.glob("*.toml"))]
    by_env = {s.environment: s for s in shipped}
    derived: list[Callable[[], Settings]] = [
        lambda: _engine(by_env["dev"], "ecs", "ecs"),
        lambda: _engine(by_env["prod"], "ecs", "ecs"),
        lambda: _custom_shift(by_env["dev"]),
        lambda: _custom_shift(_engine(by_env["dev"], "ecs", "ecs")),
        lambda: own_service_settings("dev"),
        lambda: own_service_settings("prod"),
    ]
    return [*shipped, *(make() for make in derived)]


def synthesize(outdir: Path) -> dict[str, Path]:
    """Every golden stack synthesized into ``outdir``: stack name -> its ``cdk.tf.json``."""
    from stacks.app import build_app

    environments = variants()
    build_app(environments, outdir=str(outdir)).synth()
    return {s.stack_name: outdir / "stacks" / s.stack_name / "cdk.tf.json" for s in environments}


def golden_files() -> dict[str, Path]:
    return {path.parent.name: path for path in sorted(GOLDEN_DIR.glob("*/cdk.tf.json"))}


def framework_neutral(path: Path) -> Any:
    """A synthesized stack without :data:`FRAMEWORK_WRITTEN`."""
    document = json.loads(path.read_text())
    for *parents, key in FRAMEWORK_WRITTEN:
        node = document
        for parent in parents:
            node = node.get(parent, {})
        node.pop(key, None)
    return document


def same_stack(fresh: Path, golden: Path) -> bool:
    """Byte-identical on the line the golden files are recorded on; identical but for
    :data:`FRAMEWORK_WRITTEN` on the other."""
    if current_framework().name == RECORDED_ON:
        return filecmp.cmp(fresh, golden, shallow=False)
    return bool(framework_neutral(fresh) == framework_neutral(golden))


def differences(fresh: dict[str, Path]) -> list[str]:
    """One line per golden stack that is missing, extra or not the same (:func:`same_stack`)."""
    golden = golden_files()
    found = [f"{name}: no golden file" for name in sorted(set(fresh) - set(golden))]
    found += [f"{name}: golden file of no stack" for name in sorted(set(golden) - set(fresh))]
    for name in sorted(set(fresh) & set(golden)):
        if not same_stack(fresh[name], golden[name]):
            found.append(f"{name}: synthesized JSON differs from {golden[name]}")
    return found


def write(fresh: dict[str, Path]) -> None:
    for path in golden_files().values():
        path.unlink()
        path.parent.rmdir()
    for name, path in fresh.items():
        target = GOLDEN_DIR / name / "cdk.tf.json"
        target.parent.mkdir()
        target.write_bytes(path.read_bytes())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.golden.generate", description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    framework = current_framework().name
    if not args.check and framework != RECORDED_ON:
        print(
            f"error: golden files are recorded on {RECORDED_ON}, this is {framework}",
            file=sys.stderr,
        )
        return 2
    with tempfile.TemporaryDirectory() as outdir:
        fresh = synthesize(Path(outdir))
        if args.check:
            problems = differences(fresh)
            for problem in problems:
                print(problem, file=sys.stderr)
            return 1 if problems else 0
        write(fresh)
    print(f"wrote {len(fresh)} golden stacks to {GOLDEN_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
