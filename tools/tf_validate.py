"""Offline ``terraform validate`` of synthesized stacks against a local provider mirror.

The product pins the hashicorp/aws release its bindings wrap (cdktf: 6.25.0, CDK Terrain:
6.69.1, see ``constructs_lib.framework``). Machines without registry access may hold another
version in a filesystem mirror; validation then runs on a temporary copy whose provider pin
is rewritten to the mirrored version. The user's synthesized files are never modified.

Mirror discovery: ``$TF_PROVIDER_MIRROR`` (the folder holding ``registry.terraform.io``),
else the usual plugin folders, else a bounded search of the filesystem.

Usage: ``python -m tools.tf_validate [cdktf.out/stacks/<stack> ...]`` (default: every stack in
``cdktf.out/manifest.json``)
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.synthesized import NotSynthesizedError, current_stacks

PROVIDER_DIR = Path("registry.terraform.io/hashicorp/aws")
_CANDIDATE_ROOTS = (
    "/opt/tf-plugins",
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
)
_SEARCH_ROOTS = ("/opt", "/usr/local", "/usr/share", "/var/lib", "/srv", "~")
_SEARCH_DEPTH = 4


class ValidationUnavailableError(Exception):
    """Terraform or a provider mirror is missing: validation cannot run here."""


@dataclass(frozen=True)
class Mirror:
    root: Path
    version: str


@dataclass(frozen=True)
class Result:
    valid: bool
    diagnostics: list[dict[str, object]]

    def summary(self) -> str:
        return "; ".join(
            f"{d.get('severity')}: {d.get('summary')} {d.get('detail', '')}".strip()
            for d in self.diagnostics
        )


def _versions(root: Path) -> list[str]:
    provider = root / PROVIDER_DIR
    if not provider.is_dir():
        return []
    return sorted(
        (p.name for p in provider.iterdir() if any(p.glob("*/terraform-provider-aws*"))),
        key=lambda v: tuple(int(x) if x.isdigit() else 0 for x in v.split(".")),
    )


def _walk_for_mirror(start: Path, depth: int) -> Path | None:
    if depth < 0 or not start.is_dir():
        return None
    if (start / PROVIDER_DIR).is_dir() and _versions(start):
        return start
    try:
        children = sorted(p for p in start.iterdir() if p.is_dir() and not p.is_symlink())
    except OSError:
        return None
    for child in children:
        found = _walk_for_mirror(child, depth - 1)
        if found:
            return found
    return None


def find_mirror() -> Mirror:
    configured = os.environ.get("TF_PROVIDER_MIRROR")
    roots = [Path(configured)] if configured else [Path(p).expanduser() for p in _CANDIDATE_ROOTS]
    for root in roots:
        versions = _versions(root)
        if versions:
            return Mirror(root=root, version=versions[-1])
    if configured:
        raise ValidationUnavailableError(
            f"TF_PROVIDER_MIRROR={configured} holds no hashicorp/aws provider"
        )
    for start in _SEARCH_ROOTS:
        found = _walk_for_mirror(Path(start).expanduser(), _SEARCH_DEPTH)
        if found:
            return Mirror(root=found, version=_versions(found)[-1])
    raise ValidationUnavailableError(
        "no hashicorp/aws provider mirror found (set TF_PROVIDER_MIRROR to the folder "
        "holding registry.terraform.io)"
    )


def find_terraform() -> str:
    terraform = shutil.which(os.environ.get("TERRAFORM_BINARY_NAME", "terraform"))
    if not terraform:
        raise ValidationUnavailableError("terraform is not on PATH")
    return terraform


def prepare_copy(stack_dir: Path, work_dir: Path, provider_version: str) -> None:
    """Copy the stack and its assets, pinning the mirrored provider and dropping the
    backend (validation needs no state, and an S3 backend would demand credentials)."""
    config = json.loads((stack_dir / "cdk.tf.json").read_text())
    terraform = config.setdefault("terraform", {})
    terraform.pop("backend", None)
    terraform.setdefault("required_providers", {})["aws"] = {
        "source": "hashicorp/aws",
        "version": provider_version,
    }
    (work_dir / "cdk.tf.json").write_text(json.dumps(config, indent=2))
    # Packaged assets (the hook's Lambda zip) are read at plan time by relative path.
    assets = stack_dir / "assets"
    if assets.is_dir():
        shutil.rmtree(work_dir / "assets", ignore_errors=True)
        shutil.copytree(assets, work_dir / "assets")


# Arguments of aws_ecs_service that the ECS engine sets and the machine's provider mirror
# (hashicorp/aws 5.100.0) predates: ECS-native blue/green arrived in provider 6.4
# (deployment_configuration, load_balancer.advanced_configuration), canary/linear in 6.21.
POST_MIRROR_SERVICE_ARGUMENTS = ("deployment_configuration", "advanced_configuration")


def without_post_mirror_arguments(tf: dict[str, Any]) -> dict[str, Any]:
    """A copy of a synthesized stack without :data:`POST_MIRROR_SERVICE_ARGUMENTS`, so the
    mirror's provider can check (or apply) everything else of an ECS-engine stack."""
    stripped = copy.deepcopy(tf)
    for service in stripped.get("resource", {}).get("aws_ecs_service", {}).values():
        service.pop("deployment_configuration", None)
        for balancer in service.get("load_balancer", ()):
            balancer.pop("advanced_configuration", None)
    return stripped


QUIET_ENV = {"TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
"""No interactive hints, no call home."""


def write_mirror_config(mirror: Mirror, path: Path) -> Path:
    """A Terraform CLI config that installs providers from ``mirror`` only; returns ``path``
    (for ``TF_CLI_CONFIG_FILE``)."""
    path.write_text(
        f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror.root}"\n  }}\n}}\n'
    )
    return path


def validate(stack_dir: Path, mirror: Mirror | None = None, terraform: str | None = None) -> Result:
    mirror = mirror or find_mirror()
    terraform = terraform or find_terraform()
    with tempfile.TemporaryDirectory(prefix="tf-validate-") as tmp:
        work = Path(tmp)
        prepare_copy(stack_dir, work, mirror.version)
        env = {
            **os.environ,
            **QUIET_ENV,
            "TF_CLI_CONFIG_FILE": str(write_mirror_config(mirror, work / "mirror.tfrc")),
            "TF_DATA_DIR": str(work / ".terraform"),
        }
        init = subprocess.run(
            [terraform, "init", "-backend=false", "-input=false", "-no-color"],
            cwd=work, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if init.returncode != 0:
            return Result(
                False,
                [
                    {
                        "severity": "error",
                        "summary": "terraform init failed",
                        "detail": init.stderr.strip(),
                    }
                ],
            )
        run = subprocess.run(
            [terraform, "validate", "-json", "-no-color"],
            cwd=work, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        report = json.loads(run.stdout)
        return Result(bool(report.get("valid")), list(report.get("diagnostics", [])))


def main(argv: list[str]) -> int:
    if not argv:
        try:  # every stack the last synth wrote (its manifest, not a glob: see tools.synthesized)
            argv = [str(stack) for stack in current_stacks()]
        except NotSynthesizedError as error:
            print(f"error: {error}: run `make synth` first", file=sys.stderr)
            return 2
    try:
        mirror = find_mirror()
        terraform = find_terraform()
    except ValidationUnavailableError as error:
        print(f"skipped: {error}", file=sys.stderr)
        return 3
    failed = False
    for stack in argv:
        result = validate(Path(stack), mirror, terraform)
        status = "valid" if result.valid else "INVALID"
        print(f"{stack}: {status} (hashicorp/aws {mirror.version} from {mirror.root})")
        if not result.valid:
            print(f"  {result.summary()}")
        failed |= not result.valid
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
