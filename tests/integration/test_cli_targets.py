"""`make diff ENV=dev FRAMEWORK=<line>` runs that line's CLI (cdktf or cdktn): it synthesizes
the stack with the same framework and hands it to Terraform. Terraform is a recording stand-in
(``TERRAFORM_BINARY_NAME``, which both CLIs honour): there is no AWS account here, and a real
plan would need the bindings' provider release from the registry."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from constructs_lib.framework import current

pytestmark = [pytest.mark.slow, pytest.mark.both_frameworks]

STAND_IN = """#!/bin/bash
echo "$PWD :: $*" >> "{log}"
if [ "$1" = version ]; then exec "{terraform}" "$@"; fi
echo "stand-in terraform $1"
"""


@pytest.fixture(scope="module")
def diff_run(project_root: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    terraform = shutil.which("terraform")
    if not shutil.which("make") or not terraform:
        pytest.skip("make and terraform are needed (make test installs the rest)")
    if not (project_root / "node_modules" / ".bin" / current().cli).exists():
        pytest.skip(f"{current().cli} CLI not installed (make test installs it with `npm ci`)")
    work = tmp_path_factory.mktemp("cli")
    log = work / "terraform.log"
    stand_in = work / "terraform"
    stand_in.write_text(STAND_IN.format(log=log, terraform=terraform))
    stand_in.chmod(stand_in.stat().st_mode | stat.S_IXUSR)
    outdir = work / "out"
    result = subprocess.run(
        ["make", "--no-print-directory", "diff", "ENV=dev", f"FRAMEWORK={current().name}",
         f"ARGS=--output {outdir}"],
        cwd=project_root, capture_output=True, text=True, timeout=600, check=False,
        env={**os.environ, "TERRAFORM_BINARY_NAME": str(stand_in), "CHECKPOINT_DISABLE": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert result.stdout.startswith(f"{current().cli} diff ecs-blue-green-dev")
    return outdir / "stacks" / "ecs-blue-green-dev", log.read_text()


def test_the_frameworks_cli_plans_the_environments_stack(diff_run: tuple[Path, str]) -> None:
    stack_dir, log = diff_run
    in_stack = [
        line.split(" :: ", 1)[1] for line in log.splitlines() if line.startswith(f"{stack_dir} :: ")
    ]
    assert in_stack[0] == "init"
    assert any(command.startswith("plan ") for command in in_stack)


def test_the_stack_it_plans_was_synthesized_by_the_same_framework(
    diff_run: tuple[Path, str],
) -> None:
    stack_dir, _ = diff_run
    stack = json.loads((stack_dir / "cdk.tf.json").read_text())
    assert stack["terraform"]["required_providers"]["aws"]["version"] == current().provider_version
