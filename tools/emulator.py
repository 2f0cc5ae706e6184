"""Deploy a stack to a local AWS emulator (moto in server mode) with real Terraform.

The synthesized JSON is applied unchanged except for what only a local run needs, written
next to it in a working copy: the provider pinned to the version the offline mirror holds
(or the product's own pin, downloaded, where no mirror exists), no backend (local state in
the working copy), and an ``emulator_override.tf.json`` that points every AWS endpoint at
the emulator with test credentials.

The emulator is patched narrowly where it rejects or mis-serves valid AWS input
(``tools/moto_patches.py``, one function per defect). The product is never changed to please
the emulator.

Usage (``make deploy-local`` / ``make destroy-local``)::

    python -m tools.emulator deploy [ENV]    # start the emulator if needed, synth, apply
    python -m tools.emulator destroy [ENV]   # destroy, then stop the emulator
    python -m tools.emulator serve --port N  # the emulator in the foreground

The background emulator keeps its state in memory between ``deploy`` and ``destroy``; its
process id, port and log live in ``.emulator/``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tools import moto_patches, tf_validate

if TYPE_CHECKING:
    from stacks.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = ROOT / ".emulator"
ACCOUNT = "123456789012"  # moto's default account
# Services the stack calls; each gets the emulator as its endpoint.
ENDPOINT_SERVICES = (
    "acm",
    "appautoscaling",  # Application Auto Scaling (the provider also takes applicationautoscaling)
    "cloudwatch",
    "codebuild",
    "codedeploy",
    "codepipeline",
    "ec2",
    "ecr",
    "ecs",
    "elbv2",
    "events",  # EventBridge: a promoted environment's hand-off rule
    "iam",
    "lambda",
    "logs",
    "route53",
    "s3",
    "secretsmanager",
    "sns",  # a manual approval's topic
    "ssm",
    "sts",
)


# --- the emulator -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Emulator:
    """A patched moto server on a loopback port, in this process."""

    def __init__(self, port: int | None = None) -> None:
        from moto.server import ThreadedMotoServer

        moto_patches.apply()
        # One access-log line per API call would bury Terraform's own progress.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)

    def __enter__(self) -> Emulator:
        self._server.start()
        # moto's state lives in the process, not the server: a new emulator starts empty
        # whatever an earlier one in this process held.
        reset(self.endpoint)
        return self

    def __exit__(self, *_: object) -> None:
        self._server.stop()


def accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


# --- the background emulator of `make deploy-local` ---------------------------------------


@dataclass(frozen=True)
class Background:
    """The emulator process that outlives one command, recorded in ``<state>/server.json``."""

    pid: int
    port: int

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @staticmethod
    def record(state_dir: Path) -> Path:
        return state_dir / "server.json"

    @classmethod
    def find(cls, state_dir: Path) -> Background | None:
        """The recorded emulator if it still runs and answers, else None."""
        try:
            data = json.loads(cls.record(state_dir).read_text())
            found = cls(pid=int(data["pid"]), port=int(data["port"]))
            os.kill(found.pid, 0)
        except (OSError, ValueError, KeyError):
            return None
        return found if accepts_connections(found.port) else None

    @classmethod
    def start(cls, state_dir: Path, *, timeout: float = 30) -> Background:
        state_dir.mkdir(parents=True, exist_ok=True)
        port = free_port()
        log = state_dir / "server.log"
        with log.open("a") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "tools.emulator", "serve", "--port", str(port)],
                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,  # survives this command; `destroy` stops it
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while not accepts_connections(port):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                tail = log.read_text().strip().splitlines()[-5:]
                raise RuntimeError(f"the emulator did not start: {' / '.join(tail)}")
            time.sleep(0.2)
        started = cls(pid=process.pid, port=port)
        cls.record(state_dir).write_text(json.dumps({"pid": started.pid, "port": port}))
        return started

    def stop(self, state_dir: Path, *, timeout: float = 10) -> None:
        if not process_gone(self.pid):
            os.kill(self.pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while not process_gone(self.pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if not process_gone(self.pid):
                os.kill(self.pid, signal.SIGKILL)
                killed = time.monotonic() + timeout
                while not process_gone(self.pid) and time.monotonic() < killed:
                    time.sleep(0.1)
        self.record(state_dir).unlink(missing_ok=True)


def process_gone(pid: int) -> bool:
    """True once the process has exited (reaping it if it is this process's child)."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return True
    except ChildProcessError:
        pass  # not our child: its parent reaps it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def serve(port: int) -> None:
    """Run the patched emulator in the foreground until SIGTERM or Ctrl-C."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with Emulator(port) as emulator:
        print(f"emulator listening on {emulator.endpoint}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()


# --- the stack, as the emulator can take it ------------------------------------------------


def for_emulator(settings: Settings) -> Settings:
    """The emulator has no CodeConnections API: take the product's other path, an existing
    connection ARN, when the settings would create a connection."""
    if settings.pipeline.connection_arn:
        return settings
    connection_id = uuid.uuid5(uuid.NAMESPACE_URL, settings.stack_name)
    arn = f"arn:aws:codeconnections:{settings.region}:{ACCOUNT}:connection/{connection_id}"
    return dataclasses.replace(
        settings, pipeline=dataclasses.replace(settings.pipeline, connection_arn=arn)
    )


STAND_IN_VALUE = "emulator-stand-in"
"""What a stand-in secret or parameter holds: never a value of the user's."""


def with_stand_ins(settings: Settings, endpoint: str) -> Settings:
    """The emulator holds none of what the settings name outside the stack: the hosted zone
    of ``load_balancer.domain_name`` and the secrets and parameters of
    ``[service.secrets]``. Create a stand-in for each (found again by name on the next
    command) and point the settings at it: a public zone for the domain's parent, a secret
    or parameter of the same name holding :data:`STAND_IN_VALUE`."""
    from constructs_lib.container_secrets import parse_secret_arn

    def client_of(service: str) -> Any:
        return client(endpoint, settings.region, service)

    lb, service = settings.load_balancer, settings.service
    if lb.domain_name is not None:
        zone = lb.domain_name.split(".", 1)[1] if lb.domain_name.count(".") > 1 else lb.domain_name
        lb = dataclasses.replace(lb, hosted_zone_id=_stand_in_zone(client_of("route53"), zone))
    secrets = {}
    for variable, arn in service.secrets.items():
        source = parse_secret_arn(variable, arn)
        if source.store == "secretsmanager":
            secrets[variable] = _stand_in_secret(client_of("secretsmanager"), source.name)
            secrets[variable] += source.selector
        else:
            secrets[variable] = _stand_in_parameter(client_of("ssm"), source.name)
    service = dataclasses.replace(service, secrets=secrets)
    return dataclasses.replace(settings, load_balancer=lb, service=service)


def client(endpoint: str, region: str, service: str) -> Any:
    """A boto3 client of the emulator at ``endpoint``, with its fixed test credentials."""
    import boto3  # type: ignore[import-untyped]

    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="test",
        aws_secret_access_key="test",  # noqa: S106 - the emulator's fixed test credentials
    )


def reset(endpoint: str) -> None:
    """Forget everything the emulator holds: moto keeps its state for the whole process,
    across emulator servers."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")  # noqa: S310
    urllib.request.urlopen(request, timeout=10).close()  # noqa: S310 - the loopback emulator


def _stand_in_zone(route53: Any, name: str) -> str:
    for zone in route53.list_hosted_zones_by_name(DNSName=name)["HostedZones"]:
        if zone["Name"].rstrip(".") == name:
            return str(zone["Id"]).rsplit("/", 1)[-1]
    created = route53.create_hosted_zone(Name=name, CallerReference=f"stand-in-{name}")
    return str(created["HostedZone"]["Id"]).rsplit("/", 1)[-1]


def _stand_in_secret(secretsmanager: Any, name: str) -> str:
    try:
        return str(secretsmanager.describe_secret(SecretId=name)["ARN"])
    except secretsmanager.exceptions.ResourceNotFoundException:
        created = secretsmanager.create_secret(Name=name, SecretString=STAND_IN_VALUE)
        return str(created["ARN"])


def _stand_in_parameter(ssm: Any, name: str) -> str:
    try:
        return str(ssm.get_parameter(Name=name)["Parameter"]["ARN"])
    except ssm.exceptions.ParameterNotFound:
        ssm.put_parameter(Name=name, Type="SecureString", Value=STAND_IN_VALUE)
        return str(ssm.get_parameter(Name=name)["Parameter"]["ARN"])


def synth(settings: Settings, outdir: Path, others: Sequence[Settings] = ()) -> Path:
    """Synthesize one stack, its promotions planned with ``others`` (the environments it
    may promote from or hand releases to); returns its directory."""
    from constructs_lib import bindings
    from stacks.blue_green_stack import BlueGreenStack
    from stacks.promotion import plan_promotions

    pool = [settings, *(o for o in others if o.environment != settings.environment)]
    app = bindings.App(outdir=str(outdir))
    BlueGreenStack(app, settings, plan_promotions(pool)[settings.environment])
    app.synth()
    return outdir / "stacks" / settings.stack_name


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


_ERROR_LINE = re.compile(r"^[│|]?\s*Error: (?P<message>.+?)\s*$")
_WITH_LINE = re.compile(r"^[│|]?\s*with (?P<address>[\w.\-\[\]\"]+),")


def failures(output: str) -> list[str]:
    """``<resource address>: <error>`` for each error block in Terraform's output."""
    found: list[str] = []
    message: str | None = None
    for line in output.splitlines():
        if error := _ERROR_LINE.match(line):
            if message is not None:
                found.append(message)
            message = error["message"]
        elif message is not None and (resource := _WITH_LINE.match(line)):
            found.append(f"{resource['address']}: {message}")
            message = None
    if message is not None:
        found.append(message)
    return found


@dataclass(frozen=True)
class Workspace:
    """A Terraform working copy of one synthesized stack, wired to the emulator."""

    directory: Path
    env: dict[str, str]
    terraform: str
    provider_source: str

    @classmethod
    def create(cls, stack_dir: Path, directory: Path, endpoint: str) -> Workspace:
        """Copy (or refresh) the stack into ``directory``; an existing state is kept."""
        terraform = tf_validate.find_terraform()
        directory.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            **tf_validate.QUIET_ENV,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        env.pop("AWS_PROFILE", None)
        try:
            mirror = tf_validate.find_mirror()
        except tf_validate.ValidationUnavailableError:
            # No mirror: keep the product's pin and let `terraform init` download it.
            pinned = json.loads((stack_dir / "cdk.tf.json").read_text())["terraform"]
            version = pinned["required_providers"]["aws"]["version"]
            tf_validate.prepare_copy(stack_dir, directory, version)
            source = f"hashicorp/aws {version} from the registry"
        else:
            tf_validate.prepare_copy(stack_dir, directory, mirror.version)
            cli_config = tf_validate.write_mirror_config(mirror, directory / "mirror.tfrc")
            env["TF_CLI_CONFIG_FILE"] = str(cli_config)
            source = f"hashicorp/aws {mirror.version} from the mirror {mirror.root}"
            if _leave_out_post_mirror_arguments(directory / "cdk.tf.json"):
                source += (
                    "; the ECS-native blue/green arguments are left out (provider >= 6.4): "
                    "everything else of the ecs engine is applied"
                )
        (directory / "emulator_override.tf.json").write_text(
            json.dumps(endpoint_override(endpoint), indent=2)
        )
        return cls(directory, env, terraform, source)

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

    def managed_resources(self) -> list[str]:
        listed = self.run("state", "list").stdout.split()
        return [address for address in listed if not address.startswith("data.")]

    def forget_state(self) -> None:
        for state in self.directory.glob("terraform.tfstate*"):
            state.unlink()


# --- the commands ---------------------------------------------------------------------------


def _leave_out_post_mirror_arguments(stack_file: Path) -> bool:
    """Drop what an older mirrored provider cannot plan (see
    :func:`tools.tf_validate.without_post_mirror_arguments`); True if anything was."""
    config = json.loads(stack_file.read_text())
    stripped = tf_validate.without_post_mirror_arguments(config)
    if stripped == config:
        return False
    stack_file.write_text(json.dumps(stripped, indent=2))
    return True


class CommandError(Exception):
    """A step failed; the message says which and why, in one line per problem."""


def _step(message: str) -> None:
    print(f"==> {message}", flush=True)


def _terraform(workspace: Workspace, *args: str) -> str:
    result = workspace.run(*args, echo=True)
    if result.returncode != 0:
        problems = failures(result.stdout) or [f"exit {result.returncode}"]
        raise CommandError(f"terraform {args[0]} failed:\n  " + "\n  ".join(problems))
    return result.stdout


def _load(environment: str) -> Settings:
    from stacks.settings import load_settings

    return for_emulator(load_settings(ROOT / "config" / f"{environment}.toml"))


def _environments() -> list[Settings]:
    """Every environment, as the emulator takes them: a stack's promotions name the
    others."""
    from main import load_all

    return [for_emulator(s) for s in load_all()]


def deploy(environment: str, state_dir: Path = STATE_DIR) -> None:
    settings = _load(environment)
    running = Background.find(state_dir)
    if running is None:
        running = Background.start(state_dir)
        log = state_dir / "server.log"
        _step(f"emulator started on {running.endpoint} (pid {running.pid}, log {log})")
    else:
        _step(f"emulator already running on {running.endpoint} (pid {running.pid})")
    _step(
        f"synthesizing {settings.stack_name} with pipeline.connection_arn = "
        f"{settings.pipeline.connection_arn} (the emulator has no CodeConnections API)"
    )
    if settings.load_balancer.domain_name or settings.service.secrets:
        settings = with_stand_ins(settings, running.endpoint)
        named = [*settings.service.secrets.values()]
        if settings.load_balancer.domain_name:
            named.insert(0, f"hosted zone {settings.load_balancer.hosted_zone_id}")
        _step(f"stand-ins for what the stack names outside itself: {', '.join(named)}")
    stack_dir = synth(settings, state_dir / "synth", _environments())
    workspace = Workspace.create(
        stack_dir, state_dir / "work" / settings.stack_name, running.endpoint
    )
    if running.pid != _state_owner(workspace.directory):
        workspace.forget_state()  # its resources lived in an emulator that is gone
    (workspace.directory / "emulator.pid").write_text(str(running.pid))
    _step(f"terraform init ({workspace.provider_source})")
    _terraform(workspace, "init", "-input=false")
    _step("terraform apply")
    started = time.monotonic()
    _terraform(workspace, "apply", "-auto-approve", "-input=false", "-parallelism=20")
    _step(f"applied {len(workspace.managed_resources())} resources in "
          f"{time.monotonic() - started:.0f} s; outputs:")  # fmt: skip
    _terraform(workspace, "output")
    print(f"\nTear down with: make destroy-local ENV={environment}")


def _state_owner(work: Path) -> int | None:
    """The emulator process whose resources the working copy's state describes."""
    try:
        return int((work / "emulator.pid").read_text())
    except (OSError, ValueError):
        return None


def destroy(environment: str, state_dir: Path = STATE_DIR) -> None:
    settings = _load(environment)
    running = Background.find(state_dir)
    work = state_dir / "work" / settings.stack_name
    if running is None:
        _step("no emulator running: nothing to destroy")
    elif _state_owner(work) == running.pid:
        stack_dir = state_dir / "synth" / "stacks" / settings.stack_name
        workspace = Workspace.create(stack_dir, work, running.endpoint)
        _step(f"terraform destroy ({len(workspace.managed_resources())} resources)")
        _terraform(workspace, "destroy", "-auto-approve", "-input=false", "-parallelism=20")
    if running is not None:
        _step(f"stopping the emulator (pid {running.pid})")
        running.stop(state_dir)
    shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.emulator", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("deploy", "destroy"):
        command = commands.add_parser(name)
        command.add_argument("environment", nargs="?", default="dev")
    commands.add_parser("serve").add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    from stacks.settings import SettingsError

    try:
        if args.command == "serve":
            serve(args.port)
        elif args.command == "deploy":
            deploy(args.environment)
        else:
            destroy(args.environment)
    except (
        CommandError,
        SettingsError,
        RuntimeError,
        tf_validate.ValidationUnavailableError,
    ) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
