"""The refactor guard: every golden stack (tests/golden/generate.py) synthesizes byte for
byte as recorded, construct metadata and resource addresses included."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.golden.generate import differences, golden_files, synthesize, variants


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return synthesize(tmp_path_factory.mktemp("golden"))


def test_golden_stacks_cover_both_engines_shifts_and_an_own_service() -> None:
    names = {s.stack_name for s in variants()}
    assert names == set(golden_files())
    assert {"ecs-blue-green-dev", "ecs-blue-green-prod"} <= names  # every shipped config
    assert {"ecs-blue-green-dev-ecs", "ecs-blue-green-prod-ecs"} <= names
    assert {"ecs-blue-green-dev-custom", "ecs-blue-green-dev-ecs-custom"} <= names
    assert {"ecs-blue-green-dev-own", "ecs-blue-green-prod-own"} <= names


def test_every_stack_synthesizes_byte_identical_to_its_golden_file(
    fresh: dict[str, Path],
) -> None:
    """A difference is a change for deployed users (a changed address is a destroy and a
    create): intended ones are recorded with `python -m tests.golden.generate`."""
    assert differences(fresh) == []


def test_the_comparison_sees_one_changed_byte(fresh: dict[str, Path], tmp_path: Path) -> None:
    name = "ecs-blue-green-dev"
    changed = tmp_path / "cdk.tf.json"
    text = fresh[name].read_bytes()
    changed.write_bytes(text.replace(b'"aws_lb"', b'"aws_alb"', 1))
    assert differences({**fresh, name: changed}) == [
        f"{name}: synthesized JSON differs from {golden_files()[name]}"
    ]
    missing = {k: v for k, v in fresh.items() if k != name}
    assert differences(missing) == [f"{name}: golden file of no stack"]
