"""The bootstrap revision really serves the ALB health check: its exact container commands
(rendered by the same code as the Terraform task definition) run here with Debian's busybox
and nginx, the container health checks pass, and /health answers through the proxy.

Only the scratch directory (/tmp in the containers) and the ports differ, so parallel runs
and the host's /tmp are left alone."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from constructs_lib.container_spec import RenderTarget, render_container_definitions
from stacks.settings import ServiceSettings
from stacks.workload import APP, PROXY, workload_task

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _require(binary: str, package: str) -> str:
    found = shutil.which(binary) or (
        f"/usr/sbin/{binary}" if Path(f"/usr/sbin/{binary}").exists() else None
    )
    if not found:
        pytest.skip(
            f"{binary} not installed (Debian package {package}; `make test` installs it as root)"
        )
    return found


@pytest.fixture(scope="module")
def bin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """busybox applets and nginx under the names the stand-in images use."""
    busybox = _require("busybox", "busybox")
    nginx = _require("nginx", "nginx-light")
    _require("curl", "curl")
    directory = tmp_path_factory.mktemp("bin")
    for applet in ("sh", "httpd", "wget", "mkdir", "echo"):
        (directory / applet).symlink_to(busybox)
    (directory / "nginx").symlink_to(nginx)
    return directory


def _render_on_free_ports() -> dict[str, dict]:
    task = workload_task(ServiceSettings(app_port=_free_port(), proxy_port=_free_port()))
    rendered = render_container_definitions(
        task,
        RenderTarget(
            images={c.name: c.bootstrap.image for c in task.containers},
            version="bootstrap",
            log_groups={c.name: "unused" for c in task.containers},
            region="eu-west-1",
            bootstrap=True,
        ),
    )
    return {d["name"]: d for d in rendered}


@pytest.fixture(scope="module")
def definitions() -> dict[str, dict]:
    return _render_on_free_ports()


def _localize(words: list[str], scratch: Path) -> list[str]:
    return [w.replace("/tmp/", f"{scratch}/") for w in words]


def _start(definition: dict, bin_dir: Path, scratch: Path) -> subprocess.Popen[bytes]:
    env = {e["name"]: e["value"] for e in definition.get("environment", [])}
    env["PATH"] = f"{bin_dir}:/usr/bin:/bin"
    argv = _localize(definition["entryPoint"] + definition["command"], scratch)
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _health(definition: dict, bin_dir: Path) -> int:
    """Run the container health check the way the ECS agent does (CMD form: exec argv)."""
    kind, *argv = definition["healthCheck"]["command"]
    assert kind == "CMD"
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin"}
    return subprocess.run(argv, env=env, capture_output=True, timeout=10, check=False).returncode


def _wait(check, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture(scope="module")
def running(definitions, bin_dir, tmp_path_factory) -> Iterator[dict[str, dict]]:
    scratch = tmp_path_factory.mktemp("scratch")
    processes = []
    try:
        processes.append(_start(definitions[APP], bin_dir, scratch))
        # ECS starts nginx only once the app is HEALTHY (dependsOn): so do we.
        assert _wait(lambda: _health(definitions[APP], bin_dir) == 0), "app stand-in never healthy"
        processes.append(_start(definitions[PROXY], bin_dir, scratch))
        assert _wait(lambda: _health(definitions[PROXY], bin_dir) == 0), (
            "proxy stand-in never healthy"
        )
        yield definitions
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def _get(port: int, path: str) -> tuple[int, str]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
        return response.status, response.read().decode()


def test_alb_health_check_passes_through_the_proxy(running) -> None:
    port = running[PROXY]["portMappings"][0]["containerPort"]
    assert _get(port, "/health") == (200, "ok\n")


def test_root_reports_the_bootstrap_version(running) -> None:
    port = running[PROXY]["portMappings"][0]["containerPort"]
    assert _get(port, "/") == (200, "bootstrap\n")


def test_health_checks_fail_when_nothing_answers(bin_dir) -> None:
    """The health checks can fail: against ports nobody listens on they report unhealthy."""
    idle = _render_on_free_ports()
    assert _health(idle[APP], bin_dir) != 0
    assert _health(idle[PROXY], bin_dir) != 0
