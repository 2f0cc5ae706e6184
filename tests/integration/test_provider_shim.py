"""The provider import shim (constructs_lib/bindings.py) is safe: ``python main.py`` writes
byte-identical output with it and with the provider package imported the ordinary way."""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.both_frameworks]


def _synth(project_root: Path, workdir: Path, *, full_import: bool) -> Path:
    """Run main.py on a copy of the project's config; returns the cdktf.out it wrote."""
    workdir.mkdir()
    # app/buildspec.yml: prod (promoted) embeds the release build.
    for part in ("main.py", "config", "stacks", "constructs_lib", "cdktf.json", "app"):
        source = project_root / part
        copy = shutil.copytree if source.is_dir() else shutil.copy
        copy(source, workdir / part)
    env = {k: v for k, v in os.environ.items() if k != "ECS_BLUE_GREEN_FULL_PROVIDER_IMPORT"}
    if full_import:
        env["ECS_BLUE_GREEN_FULL_PROVIDER_IMPORT"] = "1"
    done = subprocess.run(
        [sys.executable, "main.py"], cwd=workdir, env=env, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return workdir / "cdktf.out"


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_synth_is_byte_identical_with_and_without_the_shim(project_root, tmp_path) -> None:
    shimmed = _synth(project_root, tmp_path / "shim", full_import=False)
    ordinary = _synth(project_root, tmp_path / "full", full_import=True)
    files = _files(shimmed)
    assert files == _files(ordinary)
    assert [f for f in files if f.endswith("cdk.tf.json")], files
    _, mismatch, errors = filecmp.cmpfiles(shimmed, ordinary, files, shallow=False)
    assert (mismatch, errors) == ([], [])
