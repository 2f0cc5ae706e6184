"""app/buildspec.yml run for real in bash, as CodeBuild would, with stub docker and aws.

Engine ``codedeploy``: the environment is the one the dev stack gives the CodeBuild project
(references resolved to plausible values) plus what the pipeline passes (the commit id). The
test reads back what the build produced: the calls it made, the tags, and the three artifacts
CodeDeploy consumes.

Engine ``ecs``: no stack renders that project yet, so its environment and task definition
template are literal here; the stub ``aws ecs`` answers from a scenario (the revision the
service runs, then its deployments poll after poll) and the test reads back
imagedefinitions.json and what the build registered and deployed.

Both engines write release.json, the release manifest (every image by the digest stub ECR
gives it), and both run in promotion mode (``RELEASE_MANIFEST``): the source folder then holds
only what the source environment's build published, and the build releases its digests
without docker or ECR.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from constructs_lib.release_spec import IMAGE_PLACEHOLDER, TASK_DEFINITION_PLACEHOLDER
from stacks.settings import Settings
from tests.aws_models import api_input_errors
from tests.fake_aws import ACCOUNT, fake_resolve
from tests.integration.buildspec_stubs import digest
from tests.synth import Synth

ROOT = Path(__file__).resolve().parents[2]
BUILDSPEC = ROOT / "app" / "buildspec.yml"
STUBS = Path(__file__).with_name("buildspec_stubs.py")
COMMIT = "3f2a9c1d5e7b8a6c4d2e0f1a3b5c7d9e1f2a4b6c"
PROMOTED_COMMIT = "b4c1e2d3f4a5968778695a4b3c2d1e0f9a8b7c6d"
"""The commit of the source environment's release a promotion test releases."""
PHASES = ("install", "pre_build", "build", "post_build")


@dataclass(frozen=True)
class BuildRun:
    returncode: int
    output: str
    calls: list[list[str]]
    artifacts: dict[str, str]
    registered: list[dict[str, Any]] = field(default_factory=list)
    """Engine ecs: the task definitions the build registered (stub aws ecs)."""

    def aws_calls(self, service: str) -> list[list[str]]:
        return [call[2:] for call in self.calls if call[:2] == ["aws", service]]


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
    *,
    source_files: dict[str, str] | None = None,
    **extra_env: str,
) -> BuildRun:
    """Build mode: the source is the repository's app/. ``source_files`` (promotion mode): the
    source holds exactly these files, as the source environment's build output would."""
    source = tmp_path / "src"
    if source_files is None:
        shutil.copytree(ROOT / "app", source / "app", ignore=shutil.ignore_patterns("*_test.go"))
    else:
        source.mkdir()
        for name, content in source_files.items():
            (source / name).write_text(content)
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
        str(path.relative_to(base)): path.read_text()
        for pattern in artifacts_spec["files"]
        for path in sorted(base.glob(pattern))
        if path.is_file()
    }
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    ecs_state = log.with_suffix(".ecs.json")
    registered = json.loads(ecs_state.read_text())["registered"] if ecs_state.exists() else []
    return BuildRun(result.returncode, result.stdout + result.stderr, calls, artifacts, registered)


@pytest.fixture
def run_build(
    tmp_path: Path,
    buildspec: dict[str, Any],
    project_env: dict[str, str],
    parameters: dict[str, str],
    region: str,
) -> Callable[..., BuildRun]:
    """Run the buildspec in this test's folder with extra environment variables (and, for a
    promotion, the source folder's files)."""

    def run(source_files: dict[str, str] | None = None, **extra_env: str) -> BuildRun:
        return _run_build(
            tmp_path,
            buildspec,
            project_env,
            parameters,
            region,
            source_files=source_files,
            **extra_env,
        )

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


CODEDEPLOY_FILES = {"imageDetail.json", "taskdef.json", "appspec.yaml", "release.json"}


def _repository_name(repository_url: str) -> str:
    return repository_url.split("/", 1)[1]


def _manifest(repos: dict[str, str], commit: str = COMMIT) -> dict[str, Any]:
    """The release manifest of ``commit``'s images in ``repos``: the digests stub ECR gives."""
    images = {name: f"{url}@{digest(_repository_name(url), commit)}" for name, url in repos.items()}
    return {"commit": commit, "images": images}


def _digest_queries(run: BuildRun) -> list[list[str]]:
    return [
        call for call in run.aws_calls("ecr") if call[0] == "describe-images" and "--query" in call
    ]


def _describe_images_input(call: list[str]) -> dict[str, Any]:
    """The DescribeImages input of an ``aws ecr describe-images`` call (shorthand ids)."""
    options = dict(zip(call[1::2], call[2::2], strict=True))
    key, value = options["--image-ids"].split("=", 1)
    return {"repositoryName": options["--repository-name"], "imageIds": [{key: value}]}


def test_buildspec_shape(buildspec: dict[str, Any]) -> None:
    assert buildspec["version"] == 0.2
    assert buildspec["env"]["shell"] == "bash"
    assert set(buildspec["phases"]) <= set(PHASES)
    # One glob for both engines: .release/ holds exactly what the engine's deploy action reads
    # (the tests below check each engine's set), scratch files go elsewhere.
    assert buildspec["artifacts"] == {"base-directory": ".release", "files": ["*"]}
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
    assert docker[2:] == _release_image_builds(repos)


def _release_image_builds(repos: dict[str, str]) -> list[list[str]]:
    """The docker calls that build and push the release images: the version goes in as a
    build argument (the app image bakes it in) and as the revision label."""
    label = f"org.opencontainers.image.revision={COMMIT}"
    version = f"VERSION={COMMIT}"
    return [
        [
            "build",
            "--build-arg",
            version,
            "--label",
            label,
            "--tag",
            f"{repos['app']}:{COMMIT}",
            "app",
        ],
        ["push", f"{repos['app']}:{COMMIT}"],
        [
            "build",
            "--build-arg",
            version,
            "--label",
            label,
            "--tag",
            f"{repos['nginx']}:{COMMIT}",
            "app/nginx",
        ],
        ["push", f"{repos['nginx']}:{COMMIT}"],
    ]


def test_codedeploy_release_publishes_its_three_files_and_the_manifest(
    release: BuildRun,
) -> None:
    assert set(release.artifacts) == CODEDEPLOY_FILES
    assert not release.aws_calls("ecs")


def test_release_manifest_names_every_image_by_its_ecr_digest(
    release: BuildRun, project_env: dict[str, str]
) -> None:
    manifest = json.loads(release.artifacts["release.json"])
    assert manifest == _manifest(_repositories(project_env))
    assert list(manifest) == sorted(manifest)  # stable: keys sorted
    assert list(manifest["images"]) == sorted(manifest["images"])
    describe_images = [call for call in release.aws_calls("ecr") if call[0] == "describe-images"]
    assert len(describe_images) == 4  # per image: already in ECR?, then its digest
    for call in describe_images:
        assert api_input_errors("ecr", "DescribeImages", _describe_images_input(call)) == ""


def test_release_manifest_digests_are_asked_after_every_push(release: BuildRun) -> None:
    """The digest of the tag each image was pushed under: asked once the pushes are done."""
    pushes = [i for i, call in enumerate(release.calls) if call[:2] == ["docker", "push"]]
    queries = [
        i
        for i, call in enumerate(release.calls)
        if call[:3] == ["aws", "ecr", "describe-images"] and "--query" in call
    ]
    assert len(pushes) == len(queries) == 2
    assert min(queries) > max(pushes)
    for query in _digest_queries(release):
        assert query[-4:] == ["--query", "imageDetails[0].imageDigest", "--output", "text"]


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
    assert set(run.artifacts) == CODEDEPLOY_FILES
    # The reused images are released by digest too (ECR's, as for the images just pushed).
    assert json.loads(run.artifacts["release.json"]) == _manifest(repos)


def test_failing_push_publishes_no_manifest(
    run_build: Callable[..., BuildRun], project_env: dict[str, str], tmp_path: Path
) -> None:
    nginx = _repositories(project_env)["nginx"]
    run = run_build(SOURCE_COMMIT=COMMIT, STUB_FAIL_PUSH=_repository_name(nginx))
    assert run.returncode != 0
    assert f"denied: not authorized to push to {_repository_name(nginx)}" in run.output
    assert "FAILED: build[0]" in run.output
    assert not _digest_queries(run)
    assert run.artifacts == {}
    assert not list(tmp_path.rglob("release.json"))  # nothing to publish, not even scratch


def test_ecr_digest_that_is_no_sha256_stops_the_release(
    run_build: Callable[..., BuildRun], project_env: dict[str, str]
) -> None:
    run = run_build(SOURCE_COMMIT=COMMIT, STUB_IMAGE_DIGEST="sha256:0123abcd")
    assert run.returncode != 0
    app = _repositories(project_env)["app"]
    refusals = [line for line in run.output.splitlines() if "gives no digest" in line]
    assert refusals == [
        f'container app: ECR gives no digest for {app}:{COMMIT} ("sha256:0123abcd")'
    ]
    assert len(_digest_queries(run)) == 1  # stops at the first
    assert run.artifacts == {}


def test_failing_tests_stop_the_release(run_build: Callable[..., BuildRun], tmp_path: Path) -> None:
    run = run_build(
        SOURCE_COMMIT=COMMIT,
        STUB_FAIL_TARGET="test",
    )
    assert run.returncode != 0
    assert "FAILED: pre_build" in run.output
    docker = [call[1] for call in run.calls if call[0] == "docker"]
    assert docker == ["login", "build"]  # the test stage only: no image built or pushed
    assert run.artifacts == {}
    assert not list(tmp_path.rglob("release.json"))  # nothing to publish


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


def test_app_image_takes_the_version_as_a_build_argument() -> None:
    """The build's --build-arg VERSION must reach the app's environment: the ECS deploy action
    copies task definitions, so under engine ecs only the image can carry the version."""
    final_stage = re.split(r"(?im)^FROM\s", (ROOT / "app" / "Dockerfile").read_text())[-1]
    assert re.search(r"(?m)^ARG VERSION=?$", final_stage)
    assert re.search(r"(?m)^ENV (.*\s)?VERSION=\$VERSION\b", final_stage)


def test_explicit_codedeploy_engine_is_the_default(
    run_build: Callable[..., BuildRun], release: BuildRun
) -> None:
    run = run_build(SOURCE_COMMIT=COMMIT, RELEASE_ENGINE="codedeploy")
    assert run.returncode == 0, run.output
    assert run.artifacts == release.artifacts
    for tool in ("docker", "aws"):  # per tool: the login pipeline's two calls may interleave
        assert [c for c in run.calls if c[0] == tool] == [c for c in release.calls if c[0] == tool]


def test_unknown_engine_stops_the_build(run_build: Callable[..., BuildRun]) -> None:
    run = run_build(SOURCE_COMMIT=COMMIT, RELEASE_ENGINE="lambda")
    assert run.returncode != 0
    assert 'unknown RELEASE_ENGINE "lambda"' in run.output
    assert run.calls == []
    assert run.artifacts == {}


# Engine ecs: the project environment and the SSM template as the stack would render them.

ECS_REGION = "ap-northeast-1"
ECS_REGISTRY = f"{ACCOUNT}.dkr.ecr.{ECS_REGION}.amazonaws.com"
ECS_REPOS = {
    "app": f"{ECS_REGISTRY}/ecs-blue-green-dev/app",
    "nginx": f"{ECS_REGISTRY}/ecs-blue-green-dev/nginx",
}
SPEC = "5d41402abc4b2a76"
OLD_SPEC = "7b52009b64fd0a2a"
OLD_COMMIT = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"
TASKDEF_PARAMETER = "/ecs-blue-green-dev/release/taskdef-template"
TASK_DEFINITION_ARN = f"arn:aws:ecs:{ECS_REGION}:{ACCOUNT}:task-definition/ecs-blue-green-dev"
ECS_ENV = {
    "RELEASE_ENGINE": "ecs",
    "RELEASE_IMAGES": f"app,app,{ECS_REPOS['app']} nginx,app/nginx,{ECS_REPOS['nginx']}",
    "TEST_TARGETS": "app,test",
    "PRIMARY_CONTAINER": "app",
    "TASKDEF_PARAMETER": TASKDEF_PARAMETER,
    "RELEASE_SPEC": SPEC,
    "ECS_CLUSTER": "ecs-blue-green-dev",
    "ECS_SERVICE": "ecs-blue-green-dev-web",
    "ECS_POLL_SECONDS": "0",
}


def _log_configuration(container: str) -> dict[str, Any]:
    return {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": f"/ecs/ecs-blue-green-dev/{container}",
            "awslogs-region": ECS_REGION,
            "awslogs-stream-prefix": container,
        },
    }


def _ecs_template(spec: str = SPEC) -> dict[str, Any]:
    """The stack's task definition for engine ecs: every image at <SOURCE_VERSION>, no
    VERSION variable, the spec id in the primary container."""
    return {
        "family": "ecs-blue-green-dev",
        "executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/ecs-blue-green-dev-execution",
        "taskRoleArn": f"arn:aws:iam::{ACCOUNT}:role/ecs-blue-green-dev-task",
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "256",
        "memory": "512",
        "runtimePlatform": {"operatingSystemFamily": "LINUX", "cpuArchitecture": "X86_64"},
        "containerDefinitions": [
            {
                "name": "app",
                "image": f"{ECS_REPOS['app']}:<SOURCE_VERSION>",
                "essential": True,
                "environment": [
                    {"name": "PORT", "value": "8080"},
                    {"name": "RELEASE_SPEC", "value": spec},
                    {"name": "SHUTDOWN_GRACE_PERIOD", "value": "10s"},
                ],
                "healthCheck": {
                    "command": ["CMD", "/app", "-healthcheck"],
                    "interval": 5,
                    "retries": 3,
                    "startPeriod": 10,
                    "timeout": 2,
                },
                "logConfiguration": _log_configuration("app"),
                "mountPoints": [{"containerPath": "/tmp", "sourceVolume": "app-tmp"}],
                "readonlyRootFilesystem": True,
                "stopTimeout": 15,
            },
            {
                "name": "nginx",
                "image": f"{ECS_REPOS['nginx']}:<SOURCE_VERSION>",
                "essential": True,
                "dependsOn": [{"containerName": "app", "condition": "HEALTHY"}],
                "environment": [
                    {"name": "APP_PORT", "value": "8080"},
                    {"name": "NGINX_PORT", "value": "80"},
                ],
                "portMappings": [{"containerPort": 80, "protocol": "tcp"}],
                "logConfiguration": _log_configuration("nginx"),
                "mountPoints": [{"containerPath": "/tmp", "sourceVolume": "nginx-tmp"}],
                "readonlyRootFilesystem": True,
                "stopTimeout": 15,
            },
        ],
        "volumes": [{"name": "app-tmp"}, {"name": "nginx-tmp"}],
    }


def _registered(rendered: dict[str, Any], revision: int) -> dict[str, Any]:
    """A task definition as DescribeTaskDefinition returns it."""
    arn = f"{TASK_DEFINITION_ARN}:{revision}"
    return {**rendered, "taskDefinitionArn": arn, "revision": revision, "status": "ACTIVE"}


def _release_of(commit: str, spec: str) -> dict[str, Any]:
    """A revision an earlier release registered from the template of ``spec``."""
    rendered: dict[str, Any] = json.loads(
        json.dumps(_ecs_template(spec)).replace("<SOURCE_VERSION>", commit)
    )
    return rendered


def _bootstrap_revision() -> dict[str, Any]:
    """What the first apply registers: public stand-ins, command overrides, no spec id."""
    template = _ecs_template()
    app, nginx = template["containerDefinitions"]
    app.update(
        image="public.ecr.aws/docker/library/busybox:1.37.0",
        entryPoint=["sh", "-c"],
        command=["mkdir -p /tmp/www && echo ok > /tmp/www/health && httpd -f -p 8080 -h /tmp/www"],
        healthCheck={"command": ["CMD", "wget", "-qO-", "http://127.0.0.1:8080/health"]},
    )
    del app["environment"]
    nginx.update(image="public.ecr.aws/docker/library/nginx:1.30.6-alpine")
    return template


RUNNING = {
    "stack spec": _release_of(OLD_COMMIT, SPEC),
    "bootstrap": _bootstrap_revision(),
    "older spec": _release_of(OLD_COMMIT, OLD_SPEC),
}


def _scenario(running: str, rollout: list[list[str]] | None = None) -> dict[str, Any]:
    current = _registered(RUNNING[running], 3)
    return {
        "cluster": ECS_ENV["ECS_CLUSTER"],
        "service": ECS_ENV["ECS_SERVICE"],
        "running": current["taskDefinitionArn"],
        "task_definitions": {current["taskDefinitionArn"]: current},
        "rollout": rollout
        or [["new", "IN_PROGRESS"], ["new", "IN_PROGRESS"], ["new", "COMPLETED"]],
    }


@pytest.fixture
def run_ecs_build(tmp_path: Path, buildspec: dict[str, Any]) -> Callable[..., BuildRun]:
    """Run the buildspec with engine ecs against a scenario of the service."""

    def run(
        scenario: dict[str, Any],
        template: dict[str, Any] | None = None,
        source_files: dict[str, str] | None = None,
        **extra_env: str,
    ) -> BuildRun:
        """Build mode with SOURCE_COMMIT=COMMIT; promotion mode when ``source_files`` is
        given (no SOURCE_COMMIT: pass RELEASE_MANIFEST)."""
        parameters = {TASKDEF_PARAMETER: json.dumps(template or _ecs_template(), indent=1)}
        (tmp_path / "ecs-scenario.json").write_text(json.dumps(scenario))
        env = {
            **ECS_ENV,
            **({"SOURCE_COMMIT": COMMIT} if source_files is None else {}),
            "STUB_ECS": str(tmp_path / "ecs-scenario.json"),
            **extra_env,
        }
        return _run_build(
            tmp_path, buildspec, env, parameters, ECS_REGION, source_files=source_files
        )

    return run


def _reads() -> list[list[str]]:
    """The two calls that tell which spec the service runs."""
    cluster, service = ECS_ENV["ECS_CLUSTER"], ECS_ENV["ECS_SERVICE"]
    return [
        [
            "describe-services",
            "--cluster",
            cluster,
            "--services",
            service,
            "--query",
            "services[0].taskDefinition",
            "--output",
            "text",
        ],
        [
            "describe-task-definition",
            "--task-definition",
            f"{TASK_DEFINITION_ARN}:3",
            "--query",
            "taskDefinition.containerDefinitions[?name=='app'] | [0].environment[?name=='RELEASE_SPEC'] | [0].value",
            "--output",
            "text",
        ],
    ]


ECS_FILES = {"imagedefinitions.json", "release.json"}


def _image_definitions() -> list[dict[str, str]]:
    return [
        {"name": "app", "imageUri": f"{ECS_REPOS['app']}:{COMMIT}"},
        {"name": "nginx", "imageUri": f"{ECS_REPOS['nginx']}:{COMMIT}"},
    ]


def test_ecs_service_on_the_stack_spec_is_only_read(
    run_ecs_build: Callable[..., BuildRun],
) -> None:
    run = run_ecs_build(_scenario("stack spec"))
    assert run.returncode == 0, run.output
    assert run.aws_calls("ecs") == _reads()
    assert not run.aws_calls("ssm")
    assert run.registered == []
    assert set(run.artifacts) == ECS_FILES
    assert json.loads(run.artifacts["imagedefinitions.json"]) == _image_definitions()
    assert json.loads(run.artifacts["release.json"]) == _manifest(ECS_REPOS)


def test_ecs_builds_images_with_the_version(run_ecs_build: Callable[..., BuildRun]) -> None:
    run = run_ecs_build(_scenario("stack spec"))
    assert run.returncode == 0, run.output
    docker = [call[1:] for call in run.calls if call[0] == "docker"]
    assert docker[0] == ["login", "--username", "AWS", "--password-stdin", ECS_REGISTRY]
    assert docker[1] == ["build", "--target", "test", "app"]
    assert docker[2:] == _release_image_builds(ECS_REPOS)


@pytest.mark.parametrize("running", ["bootstrap", "older spec"])
def test_ecs_service_is_moved_onto_the_stack_spec_first(
    run_ecs_build: Callable[..., BuildRun], running: str
) -> None:
    run = run_ecs_build(_scenario(running))
    assert run.returncode == 0, run.output
    running_spec = {"bootstrap": "(none", "older spec": OLD_SPEC}[running]
    assert f"service runs spec {running_spec}" in run.output
    assert f"the stack's is {SPEC}: " in run.output

    # The stack's template with this release's commit everywhere, valid API input.
    (registered,) = run.registered
    new = registered.pop("taskDefinitionArn")
    assert new == f"{TASK_DEFINITION_ARN}:4"
    assert registered == _release_of(COMMIT, SPEC)
    assert api_input_errors("ecs", "RegisterTaskDefinition", registered) == ""

    calls = run.aws_calls("ecs")
    assert calls[:2] == _reads()
    assert calls[2][0] == "register-task-definition"
    cluster, service = ECS_ENV["ECS_CLUSTER"], ECS_ENV["ECS_SERVICE"]
    assert calls[3] == [
        "update-service",
        "--cluster",
        cluster,
        "--service",
        service,
        "--task-definition",
        new,
    ]
    polls = calls[4:]
    assert len(polls) == 3  # IN_PROGRESS, IN_PROGRESS, COMPLETED: waits for the end, no more
    assert all(
        p[0] == "describe-services" and p[1:5] == ["--cluster", cluster, "--services", service]
        for p in polls
    )
    assert f"service now runs {new}" in run.output
    assert json.loads(run.artifacts["imagedefinitions.json"]) == _image_definitions()
    assert set(run.artifacts) == ECS_FILES


def test_ecs_rollback_fails_the_build(run_ecs_build: Callable[..., BuildRun]) -> None:
    """The circuit breaker rolled back: the stack's spec does not run, so the ECS action must
    not go on to copy the old revision."""
    run = run_ecs_build(_scenario("bootstrap", [["new", "IN_PROGRESS"], ["old", "IN_PROGRESS"]]))
    assert run.returncode != 0
    assert (
        f"ECS rolled the service back from {TASK_DEFINITION_ARN}:4 to {TASK_DEFINITION_ARN}:3"
        in run.output
    )
    assert len(run.aws_calls("ecs")) == 4 + 2
    assert run.artifacts == {}


def test_ecs_failed_rollout_fails_the_build(run_ecs_build: Callable[..., BuildRun]) -> None:
    run = run_ecs_build(_scenario("older spec", [["new", "IN_PROGRESS"], ["new", "FAILED"]]))
    assert run.returncode != 0
    assert f"the deployment of {TASK_DEFINITION_ARN}:4 failed (rolloutState FAILED)" in run.output
    assert run.artifacts == {}


def test_ecs_deployment_that_never_becomes_primary_fails(
    run_ecs_build: Callable[..., BuildRun],
) -> None:
    """Another update took the service over: stop polling instead of waiting for ever."""
    run = run_ecs_build(_scenario("bootstrap", [["old", "COMPLETED"]]))
    assert run.returncode != 0
    assert f"{TASK_DEFINITION_ARN}:4 never became the service's PRIMARY deployment" in run.output
    assert len(run.aws_calls("ecs")) == 4 + 10
    assert run.artifacts == {}


def test_ecs_template_of_another_spec_is_not_registered(
    run_ecs_build: Callable[..., BuildRun],
) -> None:
    """A template that does not carry the project's RELEASE_SPEC would be re-registered on
    every release: the build stops instead."""
    run = run_ecs_build(_scenario("older spec"), template=_ecs_template("ffffffffffffffff"))
    assert run.returncode != 0
    assert f"does not carry RELEASE_SPEC {SPEC}" in run.output
    assert run.registered == []
    assert [c[0] for c in run.aws_calls("ecs")] == ["describe-services", "describe-task-definition"]


def test_ecs_needs_its_whole_environment(run_ecs_build: Callable[..., BuildRun]) -> None:
    run = run_ecs_build(_scenario("stack spec"), ECS_SERVICE="", RELEASE_SPEC="")
    assert run.returncode != 0
    assert "RELEASE_ENGINE=ecs needs in the environment: RELEASE_SPEC ECS_SERVICE" in run.output
    assert run.calls == []


def test_ecs_environment_is_the_one_the_ecs_stack_gives(ecs_synths: dict[str, Synth]) -> None:
    """The literal ecs-mode environment above names exactly the variables the synthesized
    ecs stack gives its CodeBuild project (plus the test's poll interval)."""
    variables = ecs_synths["dev"].body("aws_codebuild_project")["environment"]
    names = {v["name"]: v["value"] for v in variables["environment_variable"]}
    assert set(names) == set(ECS_ENV) - {"ECS_POLL_SECONDS"}
    for name in ("RELEASE_ENGINE", "TEST_TARGETS", "PRIMARY_CONTAINER"):
        assert names[name] == ECS_ENV[name], name

    def containers_and_contexts(images: str) -> list[str]:
        return [",".join(image.split(",")[:2]) for image in images.split()]

    assert containers_and_contexts(names["RELEASE_IMAGES"]) == containers_and_contexts(
        ECS_ENV["RELEASE_IMAGES"]
    )


# Promotion mode: the source folder holds only what the source environment's build published
# (release.json at the top); the project's environment is the build one plus RELEASE_MANIFEST,
# without SOURCE_COMMIT.


def _source(manifest: dict[str, Any]) -> dict[str, str]:
    return {"release.json": json.dumps(manifest, indent=2)}


def _no_build(run: BuildRun) -> None:
    """What a promotion never does: docker (the project has none) or any ECR call."""
    assert not [call for call in run.calls if call[0] == "docker"]
    assert not run.aws_calls("ecr")


@pytest.fixture(scope="module")
def promotion(
    tmp_path_factory: pytest.TempPathFactory,
    buildspec: dict[str, Any],
    project_env: dict[str, str],
    parameters: dict[str, str],
    region: str,
) -> BuildRun:
    """The dev stack's project promoting PROMOTED_COMMIT's release of its repositories."""
    run = _run_build(
        tmp_path_factory.mktemp("promotion"),
        buildspec,
        project_env,
        parameters,
        region,
        source_files=_source(_manifest(_repositories(project_env), PROMOTED_COMMIT)),
        RELEASE_MANIFEST="release.json",
    )
    assert run.returncode == 0, run.output
    return run


def test_promotion_builds_nothing_and_asks_ecr_nothing(promotion: BuildRun) -> None:
    _no_build(promotion)
    assert [call[:3] for call in promotion.calls] == [["aws", "ssm", "get-parameter"]] * 2
    assert "promotion mode" in promotion.output


def test_promotion_publishes_the_codedeploy_files_and_the_same_manifest(
    promotion: BuildRun, project_env: dict[str, str]
) -> None:
    """The manifest goes on: an environment promoted from this one releases the same."""
    assert set(promotion.artifacts) == CODEDEPLOY_FILES
    manifest = _manifest(_repositories(project_env), PROMOTED_COMMIT)
    assert json.loads(promotion.artifacts["release.json"]) == manifest


def test_promoted_image_detail_is_the_primary_digest(
    promotion: BuildRun, project_env: dict[str, str]
) -> None:
    app = _manifest(_repositories(project_env), PROMOTED_COMMIT)["images"]["app"]
    assert json.loads(promotion.artifacts["imageDetail.json"]) == {"ImageURI": app}


def test_promoted_taskdef_runs_the_digests_at_the_manifest_commit(
    promotion: BuildRun, project_env: dict[str, str]
) -> None:
    images = _manifest(_repositories(project_env), PROMOTED_COMMIT)["images"]
    text = promotion.artifacts["taskdef.json"]
    taskdef = json.loads(text)
    containers = {c["name"]: c for c in taskdef["containerDefinitions"]}
    assert containers["app"]["image"] == IMAGE_PLACEHOLDER  # CodeDeploy fills it
    assert containers["nginx"]["image"] == images["nginx"]
    assert {"name": "VERSION", "value": PROMOTED_COMMIT} in containers["app"]["environment"]
    assert "<SOURCE_VERSION>" not in text
    registered = json.loads(text.replace(IMAGE_PLACEHOLDER, images["app"]))
    assert api_input_errors("ecs", "RegisterTaskDefinition", registered) == ""


def test_promotion_of_a_build_output_releases_its_images_by_digest(
    run_build: Callable[..., BuildRun], release: BuildRun, project_env: dict[str, str]
) -> None:
    """Build once, promote everywhere: dev's build output as the source, the same release
    with each tag replaced by its digest."""
    run = run_build(release.artifacts, RELEASE_MANIFEST="release.json")
    assert run.returncode == 0, run.output
    _no_build(run)
    assert run.artifacts["release.json"] == release.artifacts["release.json"]
    images = json.loads(release.artifacts["release.json"])["images"]
    repos = _repositories(project_env)
    by_digest = {release.artifacts[name] for name in ("imageDetail.json", "taskdef.json")}
    for name, tag_ref in ((n, f"{repos[n]}:{COMMIT}") for n in repos):
        by_digest = {text.replace(tag_ref, images[name]) for text in by_digest}
    assert {run.artifacts["imageDetail.json"], run.artifacts["taskdef.json"]} == by_digest
    assert run.artifacts["appspec.yaml"] == release.artifacts["appspec.yaml"]


def test_promotion_needs_neither_test_targets_nor_a_commit(
    run_build: Callable[..., BuildRun], project_env: dict[str, str]
) -> None:
    manifest = _manifest(_repositories(project_env), PROMOTED_COMMIT)
    run = run_build(
        _source(manifest),
        RELEASE_MANIFEST="release.json",
        TEST_TARGETS="",
        CODEBUILD_RESOLVED_SOURCE_VERSION="not-a-commit",
    )
    assert run.returncode == 0, run.output
    assert f"releasing commit {PROMOTED_COMMIT}" in run.output


def test_ecs_promotion_swaps_in_the_digests(run_ecs_build: Callable[..., BuildRun]) -> None:
    manifest = _manifest(ECS_REPOS, PROMOTED_COMMIT)
    run = run_ecs_build(
        _scenario("stack spec"), source_files=_source(manifest), RELEASE_MANIFEST="release.json"
    )
    assert run.returncode == 0, run.output
    _no_build(run)
    assert run.aws_calls("ecs") == _reads()
    assert set(run.artifacts) == ECS_FILES
    assert json.loads(run.artifacts["imagedefinitions.json"]) == [
        {"name": name, "imageUri": reference} for name, reference in manifest["images"].items()
    ]
    assert json.loads(run.artifacts["release.json"]) == manifest


def test_ecs_promotion_moves_the_service_onto_the_digests(
    run_ecs_build: Callable[..., BuildRun],
) -> None:
    """The spec refresh registers the stack's task definition with the promoted digests."""
    manifest = _manifest(ECS_REPOS, PROMOTED_COMMIT)
    run = run_ecs_build(
        _scenario("bootstrap"), source_files=_source(manifest), RELEASE_MANIFEST="release.json"
    )
    assert run.returncode == 0, run.output
    _no_build(run)
    (registered,) = run.registered
    assert registered.pop("taskDefinitionArn") == f"{TASK_DEFINITION_ARN}:4"
    expected = _ecs_template()
    for container in expected["containerDefinitions"]:
        container["image"] = manifest["images"][container["name"]]
    assert registered == expected
    assert api_input_errors("ecs", "RegisterTaskDefinition", registered) == ""
    assert f"service now runs {TASK_DEFINITION_ARN}:4" in run.output
    assert [d["imageUri"] for d in json.loads(run.artifacts["imagedefinitions.json"])] == list(
        manifest["images"].values()
    )


# A promotion refuses any manifest that is not exactly the release of the images it runs.


def _refusal(run_build: Callable[..., BuildRun], source_files: dict[str, str]) -> str:
    """The one line a refused promotion prints: nothing is called, nothing is published."""
    run = run_build(source_files, RELEASE_MANIFEST="release.json")
    assert run.returncode != 0
    assert "FAILED: pre_build" in run.output
    assert run.calls == []
    assert run.artifacts == {}
    (line,) = [line for line in run.output.splitlines() if line.startswith("release manifest ")]
    return line


def _edited(project_env: dict[str, str], **images: str | None) -> dict[str, str]:
    """The source of a promotion whose manifest has ``images`` changed (None: removed)."""
    manifest = _manifest(_repositories(project_env), PROMOTED_COMMIT)
    for name, reference in images.items():
        if reference is None:
            del manifest["images"][name]
        else:
            manifest["images"][name] = reference
    return _source(manifest)


def test_promotion_without_a_manifest_is_refused(run_build: Callable[..., BuildRun]) -> None:
    line = _refusal(run_build, {"imagedefinitions.json": "[]"})  # no release.json
    assert "/src/release.json: not found: a promotion releases the images" in line


def test_promotion_of_a_manifest_that_is_no_json_is_refused(
    run_build: Callable[..., BuildRun],
) -> None:
    line = _refusal(run_build, {"release.json": "commit: 3f2a9c1\n"})
    assert "release.json: not a JSON file (" in line


def test_promotion_of_a_manifest_without_a_commit_id_is_refused(
    run_build: Callable[..., BuildRun], project_env: dict[str, str]
) -> None:
    manifest = _manifest(_repositories(project_env), PROMOTED_COMMIT)
    line = _refusal(run_build, _source({**manifest, "commit": PROMOTED_COMMIT[:7]}))
    assert line.endswith(f'release.json: commit "{PROMOTED_COMMIT[:7]}" is not a 40-hex commit id')


def test_promotion_missing_a_container_is_refused(
    run_build: Callable[..., BuildRun], project_env: dict[str, str]
) -> None:
    line = _refusal(run_build, _edited(project_env, nginx=None))
    assert line.endswith("release.json: container nginx: missing (RELEASE_IMAGES releases it)")


def test_promotion_with_an_extra_container_is_refused(
    run_build: Callable[..., BuildRun], project_env: dict[str, str]
) -> None:
    worker = _repositories(project_env)["app"].replace("/app", "/worker")
    line = _refusal(run_build, _edited(project_env, worker=f"{worker}@sha256:{'0' * 64}"))
    assert line.endswith(
        'release.json: container "worker": not in RELEASE_IMAGES (app nginx), nothing would release it'
    )


def test_promotion_of_a_tag_is_refused(
    run_build: Callable[..., BuildRun], project_env: dict[str, str]
) -> None:
    nginx = _repositories(project_env)["nginx"]
    line = _refusal(run_build, _edited(project_env, nginx=f"{nginx}:{PROMOTED_COMMIT}"))
    assert line.endswith(
        f'container nginx: "{nginx}:{PROMOTED_COMMIT}" is not a digest reference {nginx}@sha256:<64 hex>'
    )


def test_promotion_of_another_repository_is_refused(
    run_build: Callable[..., BuildRun], project_env: dict[str, str]
) -> None:
    nginx = _repositories(project_env)["nginx"]
    elsewhere = nginx.replace("-dev/", "-prod/")
    reference = f"{elsewhere}@{digest(_repository_name(elsewhere), PROMOTED_COMMIT)}"
    line = _refusal(run_build, _edited(project_env, nginx=reference))
    assert line.endswith(
        f"container nginx: {reference} is an image of {elsewhere}, not of {nginx} "
        "(RELEASE_IMAGES): a promotion releases the source images only"
    )
