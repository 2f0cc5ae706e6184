"""app/buildspec.yml run for real in bash, as CodeBuild would, with stub docker and aws.

The environment is the one the dev stack gives the CodeBuild project (references resolved to
plausible values) plus what the pipeline passes (the commit id). The test reads back what the
build produced: the calls it made, the tags, and the three artifacts CodeDeploy consumes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from constructs_lib.release_spec import IMAGE_PLACEHOLDER, TASK_DEFINITION_PLACEHOLDER
from stacks.settings import Settings
from tests.aws_models import api_input_errors
from tests.fake_aws import ACCOUNT, fake_resolve
from tests.synth import Synth

ROOT = Path(__file__).resolve().parents[2]
BUILDSPEC = ROOT / "app" / "buildspec.yml"
STUBS = Path(__file__).with_name("buildspec_stubs.py")
COMMIT = "3f2a9c1d5e7b8a6c4d2e0f1a3b5c7d9e1f2a4b6c"
PHASES = ("install", "pre_build", "build", "post_build")


@dataclass(frozen=True)
class BuildRun:
    returncode: int
    output: str
    calls: list[list[str]]
    artifacts: dict[str, str]


@pytest.fixture(scope="module")
def buildspec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(BUILDSPEC.read_text())
    return loaded


@pytest.fixture(scope="module")
def region(settings_by_env: dict[str, Settings]) -> str:
    return settings_by_env["dev"].region


@pytest.fixture(scope="module")
def project_env(dev: Synth, region: str) -> dict[str, str]:
    variables = dev.body("aws_codebuild_project")["environment"]["environment_variable"]
    return {v["name"]: fake_resolve(dev, v["value"], region) for v in variables}


@pytest.fixture(scope="module")
def parameters(dev: Synth, region: str) -> dict[str, str]:
    """The SSM parameters as they would be after apply: name -> value."""
    return {
        fake_resolve(dev, p["name"], region): fake_resolve(dev, p["insecure_value"], region)
        for p in dev.resources("aws_ssm_parameter").values()
    }


def _script(spec: dict[str, Any]) -> str:
    """The phases' commands in one bash process (buildspec 0.2 runs them in one shell
    instance), stopping at the first command that fails, as CodeBuild does."""
    lines = ["#!/bin/bash"]
    for phase in PHASES:
        for i, command in enumerate(spec.get("phases", {}).get(phase, {}).get("commands", [])):
            lines += [
                command,
                "__rc=$?",
                f'if [ "$__rc" -ne 0 ]; then echo "FAILED: {phase}[{i}]" >&2; exit "$__rc"; fi',
            ]
    return "\n".join(lines) + "\n"


def _run_build(
    tmp_path: Path,
    spec: dict[str, Any],
    project_env: dict[str, str],
    parameters: dict[str, str],
    region: str,
    **extra_env: str,
) -> BuildRun:
    source = tmp_path / "src"
    shutil.copytree(ROOT / "app", source / "app", ignore=shutil.ignore_patterns("*_test.go"))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("docker", "aws"):
        stub = bin_dir / tool
        stub.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{STUBS}" {tool} "$@"\n')
        stub.chmod(0o755)
    (tmp_path / "parameters.json").write_text(json.dumps(parameters))
    log = tmp_path / "calls.log"
    log.touch()
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "CODEBUILD_SRC_DIR": str(source),
        "STUB_LOG": str(log),
        "STUB_PARAMETERS": str(tmp_path / "parameters.json"),
        **project_env,
        **extra_env,
    }
    script = tmp_path / "build.sh"
    script.write_text(_script(spec))
    result = subprocess.run(
        ["bash", str(script)],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    artifacts_spec = spec["artifacts"]
    base = source / artifacts_spec.get("base-directory", ".")
    artifacts = {
        name: (base / name).read_text()
        for name in artifacts_spec["files"]
        if (base / name).exists()
    }
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    return BuildRun(result.returncode, result.stdout + result.stderr, calls, artifacts)


@pytest.fixture
def run_build(
    tmp_path: Path,
    buildspec: dict[str, Any],
    project_env: dict[str, str],
    parameters: dict[str, str],
    region: str,
) -> Callable[..., BuildRun]:
    """Run the buildspec in this test's folder with extra environment variables."""

    def run(**extra_env: str) -> BuildRun:
        return _run_build(tmp_path, buildspec, project_env, parameters, region, **extra_env)

    return run


@pytest.fixture(scope="module")
def release(
    tmp_path_factory: pytest.TempPathFactory,
    buildspec: dict[str, Any],
    project_env: dict[str, str],
    parameters: dict[str, str],
    region: str,
) -> BuildRun:
    run = _run_build(
        tmp_path_factory.mktemp("release"),
        buildspec,
        project_env,
        parameters,
        region,
        SOURCE_COMMIT=COMMIT,
    )
    assert run.returncode == 0, run.output
    return run


def _repositories(project_env: dict[str, str]) -> dict[str, str]:
    entries = (entry.split(",") for entry in project_env["RELEASE_IMAGES"].split())
    return {name: repository for name, _, repository in entries}


def test_buildspec_shape(buildspec: dict[str, Any]) -> None:
    assert buildspec["version"] == 0.2
    assert buildspec["env"]["shell"] == "bash"
    assert set(buildspec["phases"]) <= set(PHASES)
    assert buildspec["artifacts"]["files"] == ["imageDetail.json", "taskdef.json", "appspec.yaml"]
    text = BUILDSPEC.read_text()
    assert "get-login-password" in text and "ecr get-login " not in text  # CLI v2 login


def test_logs_in_then_tests_then_builds_and_pushes_both_images(
    release: BuildRun, project_env: dict[str, str], region: str
) -> None:
    docker = [call[1:] for call in release.calls if call[0] == "docker"]
    registry = f"{ACCOUNT}.dkr.ecr.{region}.amazonaws.com"
    assert docker[0] == ["login", "--username", "AWS", "--password-stdin", registry]
    assert docker[1] == ["build", "--target", "test", "app"]  # go vet + go test stage
    repos = _repositories(project_env)
    label = f"org.opencontainers.image.revision={COMMIT}"
    assert docker[2:] == [
        ["build", "--label", label, "--tag", f"{repos['app']}:{COMMIT}", "app"],
        ["push", f"{repos['app']}:{COMMIT}"],
        ["build", "--label", label, "--tag", f"{repos['nginx']}:{COMMIT}", "app/nginx"],
        ["push", f"{repos['nginx']}:{COMMIT}"],
    ]


def test_image_detail_points_codedeploy_at_the_app_image(
    release: BuildRun, project_env: dict[str, str]
) -> None:
    detail = json.loads(release.artifacts["imageDetail.json"])
    assert detail == {"ImageURI": f"{_repositories(project_env)['app']}:{COMMIT}"}


def test_taskdef_carries_the_version_and_both_images(
    release: BuildRun, project_env: dict[str, str]
) -> None:
    taskdef = json.loads(release.artifacts["taskdef.json"])
    containers = {c["name"]: c for c in taskdef["containerDefinitions"]}
    assert containers["app"]["image"] == IMAGE_PLACEHOLDER  # CodeDeploy fills it
    assert containers["nginx"]["image"] == f"{_repositories(project_env)['nginx']}:{COMMIT}"
    assert {"name": "VERSION", "value": COMMIT} in containers["app"]["environment"]
    assert "<SOURCE_VERSION>" not in release.artifacts["taskdef.json"]


def test_taskdef_as_codedeploy_registers_it_is_valid_api_input(
    release: BuildRun,
) -> None:
    """What the CodeDeployToECS action sends to RegisterTaskDefinition, after it fills the
    image placeholder from imageDetail.json."""
    image = json.loads(release.artifacts["imageDetail.json"])["ImageURI"]
    registered = json.loads(release.artifacts["taskdef.json"].replace(IMAGE_PLACEHOLDER, image))
    assert api_input_errors("ecs", "RegisterTaskDefinition", registered) == ""


def test_appspec_is_the_stacks_appspec(release: BuildRun, parameters: dict[str, str]) -> None:
    appspec = yaml.safe_load(release.artifacts["appspec.yaml"])
    stack_appspec = next(v for k, v in parameters.items() if k.endswith("appspec-template"))
    assert appspec == yaml.safe_load(stack_appspec)
    properties = appspec["Resources"][0]["TargetService"]["Properties"]
    assert properties["TaskDefinition"] == TASK_DEFINITION_PLACEHOLDER
    assert properties["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"][0].startswith(
        "subnet-"
    )


def test_rerun_of_a_commit_reuses_its_images(
    run_build: Callable[..., BuildRun], project_env: dict[str, str]
) -> None:
    """Tags are immutable: a retried release must not try to push the same tag again."""
    repos = _repositories(project_env)
    existing = " ".join(f"{url.split('/', 1)[1]}:{COMMIT}" for url in repos.values())
    run = run_build(
        SOURCE_COMMIT=COMMIT,
        STUB_IMAGES=existing,
    )
    assert run.returncode == 0, run.output
    assert not [c for c in run.calls if c[:2] == ["docker", "push"]]
    assert set(run.artifacts) == {"imageDetail.json", "taskdef.json", "appspec.yaml"}


def test_failing_tests_stop_the_release(run_build: Callable[..., BuildRun]) -> None:
    run = run_build(
        SOURCE_COMMIT=COMMIT,
        STUB_FAIL_TARGET="test",
    )
    assert run.returncode != 0
    assert "FAILED: pre_build" in run.output
    docker = [call[1] for call in run.calls if call[0] == "docker"]
    assert docker == ["login", "build"]  # the test stage only: no image built or pushed
    assert run.artifacts == {}


def test_without_a_commit_id_nothing_is_built(run_build: Callable[..., BuildRun]) -> None:
    run = run_build()
    assert run.returncode != 0
    assert "no commit id" in run.output
    assert not [c for c in run.calls if c[0] == "docker"]


def test_falls_back_to_codebuild_source_version(run_build: Callable[..., BuildRun]) -> None:
    """Started outside the pipeline (e.g. `aws codebuild start-build`), CodeBuild's own
    resolved commit versions the release."""
    run = run_build(
        CODEBUILD_RESOLVED_SOURCE_VERSION=COMMIT,
    )
    assert run.returncode == 0, run.output
    assert f":{COMMIT}" in json.loads(run.artifacts["imageDetail.json"])["ImageURI"]
