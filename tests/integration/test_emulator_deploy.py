"""The dev stack applied with real Terraform to the local AWS emulator, then destroyed.

The emulator has no CodeConnections API, so the stack uses the product's other path, an
existing connection ARN (pipeline.connection_arn).
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from stacks.settings import Settings
from tools import tf_validate

pytestmark = pytest.mark.slow

CONNECTION = (
    "arn:aws:codeconnections:ap-northeast-1:123456789012:connection/"
    "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
)


@pytest.fixture(scope="module")
def stack_dir(
    tmp_path_factory: pytest.TempPathFactory, settings_by_env: dict[str, Settings]
) -> Path:
    import cdktf

    from stacks.blue_green_stack import BlueGreenStack

    dev = settings_by_env["dev"]
    settings = dataclasses.replace(
        dev, pipeline=dataclasses.replace(dev.pipeline, connection_arn=CONNECTION)
    )
    out = tmp_path_factory.mktemp("emulator-synth")
    app = cdktf.App(outdir=str(out))
    BlueGreenStack(app, settings)
    app.synth()
    return out / "stacks" / settings.stack_name


def test_dev_stack_applies_and_destroys_on_the_emulator(stack_dir: Path, tmp_path: Path) -> None:
    try:
        tf_validate.find_mirror()
        tf_validate.find_terraform()
    except tf_validate.ValidationUnavailableError as error:
        pytest.skip(f"no offline Terraform toolchain: {error}")
    from tools.emulator import Emulator, Workspace

    with Emulator() as emulator:
        workspace = Workspace.create(stack_dir, tmp_path / "work", emulator.endpoint)
        init = workspace.run("init", "-input=false")
        assert init.returncode == 0, init.stderr
        started = time.monotonic()
        apply = workspace.run("apply", "-auto-approve", "-input=false", "-parallelism=20")
        applied_in = time.monotonic() - started
        assert apply.returncode == 0, apply.stdout[-4000:] + apply.stderr
        state = workspace.run("state", "list")
        managed = [line for line in state.stdout.split() if not line.startswith("data.")]
        assert len(managed) == 59, managed  # all but the connection (an existing ARN here)
        destroy = workspace.run("destroy", "-auto-approve", "-input=false", "-parallelism=20")
        assert destroy.returncode == 0, destroy.stdout[-4000:] + destroy.stderr
        assert workspace.run("state", "list").stdout.split() == []
        print(f"apply took {applied_in:.0f} s")
