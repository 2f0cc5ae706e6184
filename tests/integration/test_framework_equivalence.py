"""cdktf and CDK Terrain write the same stacks: every golden stack (each shipped config, both
engines, custom shifts, an own service) synthesized on cdktn in its own process (a process
holds one framework) differs from the cdktf-recorded golden file exactly where
``tests.golden.generate.FRAMEWORK_WRITTEN`` says, and nowhere else."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from constructs_lib.framework import VARIABLE
from tests.golden.generate import FRAMEWORK_WRITTEN, golden_files

pytestmark = pytest.mark.slow

SYNTHESIZE = (
    "import sys; from pathlib import Path; from tests.golden.generate import synthesize; "
    "synthesize(Path(sys.argv[1]))"
)


def leaves(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every scalar of a JSON document with its path (list items by index)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from leaves(value, (*path, str(index)))
    else:
        yield path, node


def differing_paths(a: Path, b: Path) -> set[tuple[str, ...]]:
    left = dict(leaves(json.loads(a.read_text())))
    right = dict(leaves(json.loads(b.read_text())))
    return {path for path in left.keys() | right.keys() if left.get(path) != right.get(path)}


def allowed(path: tuple[str, ...]) -> tuple[str, ...] | None:
    """The :data:`FRAMEWORK_WRITTEN` entry covering ``path``, if any."""
    return next((entry for entry in FRAMEWORK_WRITTEN if path[: len(entry)] == entry), None)


@pytest.fixture(scope="module")
def on_cdktn(tmp_path_factory: pytest.TempPathFactory, project_root: Path) -> Path:
    outdir = tmp_path_factory.mktemp("cdktn")
    subprocess.run(
        [sys.executable, "-c", SYNTHESIZE, str(outdir)],
        cwd=project_root, env={**os.environ, VARIABLE: "cdktn"}, check=True,
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    return outdir / "stacks"


def test_the_allow_list_is_short_and_names_no_resource() -> None:
    assert len(FRAMEWORK_WRITTEN) <= 3
    assert not any(entry[0] in ("resource", "data", "output") for entry in FRAMEWORK_WRITTEN)


@pytest.mark.parametrize("stack", sorted(golden_files()))
def test_cdktn_writes_the_golden_stack_but_for_the_allow_list(on_cdktn: Path, stack: str) -> None:
    paths = differing_paths(golden_files()[stack], on_cdktn / stack / "cdk.tf.json")
    beyond = sorted(path for path in paths if allowed(path) is None)
    assert beyond == [], f"{stack}: cdktn differs outside the allow-list at {beyond[:5]}"
    # Each entry is needed: the two lines do write these differently (pin and version).
    assert {allowed(path) for path in paths} == set(FRAMEWORK_WRITTEN)


def test_cdktn_pins_its_own_provider_release(on_cdktn: Path) -> None:
    from constructs_lib.framework import FRAMEWORKS

    stack = json.loads((on_cdktn / "ecs-blue-green-dev" / "cdk.tf.json").read_text())
    pin = stack["terraform"]["required_providers"]["aws"]
    assert pin == {"source": "hashicorp/aws", "version": FRAMEWORKS["cdktn"].provider_version}
    assert stack["//"]["metadata"]["version"] == importlib.metadata.version("cdktn")
