"""The README's "Reusing the constructs" example runs exactly as printed: its code block is
written to a file of its own, run with ``python`` in an empty folder, and what it writes is
checked and validated offline like the product's own stacks."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from constructs_lib.framework import current
from tools import tf_validate

pytestmark = [pytest.mark.slow, pytest.mark.both_frameworks]

SECTION = "## Reusing the constructs"


def readme_example(readme: Path) -> str:
    """The first ```python block after :data:`SECTION`."""
    text = readme.read_text()
    section = text[text.index(SECTION) :]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, f"no python block under {SECTION!r}"
    return match.group(1)


@pytest.fixture(scope="module")
def example_stack(project_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("readme-example")
    script = work / "orders.py"
    script.write_text(readme_example(project_root / "README.md"))
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=work, capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "PYTHONPATH": str(project_root), "CDKTF_OUTDIR": str(work / "out")},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stderr == ""
    return work / "out" / "stacks" / "orders"


def test_the_example_is_a_whole_program() -> None:
    code = readme_example(Path(__file__).resolve().parents[2] / "README.md")
    for needed in ("App()", "TerraformStack(app", "AwsProvider(stack", "app.synth()"):
        assert needed in code
    assert "import cdktf" not in code and "cdktf_cdktf_provider_aws" not in code


def test_the_example_synthesizes_the_service_its_pipeline_and_the_alb(example_stack: Path) -> None:
    stack = json.loads((example_stack / "cdk.tf.json").read_text())
    resources = stack["resource"]
    for kind in (
        "aws_lb",
        "aws_ecs_service",
        "aws_codepipeline",
        "aws_codedeploy_deployment_group",
    ):
        assert len(resources[kind]) == 1, kind
    assert stack["provider"]["aws"][0]["region"] == "us-east-2"
    pin = stack["terraform"]["required_providers"]["aws"]["version"]
    assert pin == current().provider_version


def test_what_the_example_writes_is_valid_terraform(example_stack: Path) -> None:
    try:
        result = tf_validate.validate(example_stack)
    except tf_validate.ValidationUnavailableError as error:
        pytest.skip(str(error))
    assert result.valid, result.summary()
