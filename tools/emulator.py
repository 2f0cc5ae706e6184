"""Deploy a stack to a local AWS emulator (moto in server mode) with real Terraform.

The synthesized JSON is applied unchanged except for what only a local run needs, written
next to it in a working copy: the provider pinned to the version the offline mirror holds,
no backend (local state in the working copy), and an ``emulator_override.tf.json`` that
points every AWS endpoint at the emulator with test credentials.

The emulator is patched narrowly where it rejects or mis-serves valid AWS input; each patch
names the defect. The product is never changed to please the emulator.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools import tf_validate

ACCOUNT = "123456789012"  # moto's default account
# Services the stack calls; each gets the emulator as its endpoint.
ENDPOINT_SERVICES = (
    "cloudwatch",
    "codebuild",
    "codedeploy",
    "codepipeline",
    "ec2",
    "ecr",
    "ecs",
    "elbv2",
    "iam",
    "lambda",
    "logs",
    "s3",
    "ssm",
    "sts",
)


# --- the emulator -------------------------------------------------------------------------


def patch_emulator() -> None:
    """Work around moto defects met by this stack (moto 5.2); idempotent."""
    import moto.codebuild.responses as codebuild
    import moto.codedeploy.responses as codedeploy
    import moto.codepipeline.models as codepipeline
    from moto.core.responses import ActionResult

    if getattr(codebuild, "_ecs_blue_green_patched", False):
        return

    # Defect 1: CreateProject demands a source and an artifacts `location` even for type
    # CODEPIPELINE, where AWS takes none (the pipeline supplies both).
    def without_location_check(check: Callable[[dict[str, Any]], None]) -> Callable[..., None]:
        def checked(params: dict[str, Any]) -> None:
            if params.get("type") != "CODEPIPELINE":
                check(params)

        return checked

    codebuild._validate_required_params_source = without_location_check(
        codebuild._validate_required_params_source
    )
    codebuild._validate_required_params_artifacts = without_location_check(
        codebuild._validate_required_params_artifacts
    )

    # Defect 2: GetPipeline returns metadata.created/updated as ISO strings; the JSON
    # protocol sends timestamps as epoch seconds and the AWS SDK fails to parse strings.
    def metadata(self: Any) -> dict[str, Any]:
        return {
            "pipelineArn": self._arn,
            "created": self._created.timestamp(),
            "updated": self._updated.timestamp(),
        }

    codepipeline.CodePipeline.metadata = property(metadata)  # type: ignore[method-assign,assignment]

    # Defect 3: no DeleteDeploymentGroup / DeleteApplication, so `destroy` would wait forever.
    def delete_deployment_group(self: Any) -> ActionResult:
        groups = self.codedeploy_backend.deployment_groups.get(self._get_param("applicationName"))
        if groups is not None:
            groups.pop(self._get_param("deploymentGroupName"), None)
        return ActionResult({"hooksNotCleanedUp": []})

    def delete_application(self: Any) -> ActionResult:
        name = self._get_param("applicationName")
        self.codedeploy_backend.applications.pop(name, None)
        self.codedeploy_backend.deployment_groups.pop(name, None)
        return ActionResult({})

    codedeploy.CodeDeployResponse.delete_deployment_group = delete_deployment_group  # type: ignore[attr-defined]
    codedeploy.CodeDeployResponse.delete_application = delete_application  # type: ignore[attr-defined]
    codebuild._ecs_blue_green_patched = True  # type: ignore[attr-defined]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Emulator:
    """A patched moto server on a free loopback port, in this process."""

    def __init__(self, port: int | None = None) -> None:
        from moto.server import ThreadedMotoServer

        patch_emulator()
        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)

    def __enter__(self) -> Emulator:
        self._server.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.stop()


# --- the Terraform working copy -------------------------------------------------------------


def endpoint_override(endpoint: str) -> dict[str, Any]:
    return {
        "provider": {
            "aws": {
                "access_key": "test",
                "secret_key": "test",
                "skip_credentials_validation": True,
                "skip_metadata_api_check": True,
                "skip_region_validation": True,
                "s3_use_path_style": True,
                "endpoints": [dict.fromkeys(ENDPOINT_SERVICES, endpoint)],
            }
        }
    }


@dataclass(frozen=True)
class Workspace:
    """A Terraform working copy of one synthesized stack, wired to the emulator."""

    directory: Path
    env: dict[str, str]
    terraform: str

    @classmethod
    def create(cls, stack_dir: Path, directory: Path, endpoint: str) -> Workspace:
        mirror = tf_validate.find_mirror()
        terraform = tf_validate.find_terraform()
        directory.mkdir(parents=True, exist_ok=True)
        tf_validate.prepare_copy(stack_dir, directory, mirror.version)
        (directory / "emulator_override.tf.json").write_text(
            json.dumps(endpoint_override(endpoint), indent=2)
        )
        cli_config = directory / "mirror.tfrc"
        cli_config.write_text(
            f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror.root}"\n'
            "  }\n}\n"
        )
        env = {
            **os.environ,
            "TF_CLI_CONFIG_FILE": str(cli_config),
            "TF_IN_AUTOMATION": "1",
            "CHECKPOINT_DISABLE": "1",
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        env.pop("AWS_PROFILE", None)
        return cls(directory, env, terraform)

    def run(
        self, *args: str, echo: bool = False, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        """``terraform <args>``; with ``echo`` the progress streams to stdout as it comes."""
        command = [self.terraform, *args, "-no-color"]
        if not echo:
            return subprocess.run(
                command, cwd=self.directory, env=self.env, capture_output=True, text=True,
                timeout=timeout, check=False,
            )  # fmt: skip
        lines: list[str] = []
        with subprocess.Popen(
            command, cwd=self.directory, env=self.env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
        ) as process:  # fmt: skip
            assert process.stdout is not None
            for line in process.stdout:
                sys.stdout.write(line)
                lines.append(line)
            code = process.wait(timeout=timeout)
        return subprocess.CompletedProcess(command, code, "".join(lines), "")
