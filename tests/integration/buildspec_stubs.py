"""Stand-ins for ``docker`` and ``aws`` when the buildspec runs in a test.

Each call is appended to ``$STUB_LOG`` (one JSON array of arguments per line). The stubs
check what the real tools would reject (a build context without a Dockerfile, an unknown
stage, a push of an image never built, a login with the wrong password) and answer the few
AWS calls the build makes from ``$STUB_PARAMETERS`` (SSM values) and ``$STUB_IMAGES`` (tags
already in ECR).
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

TOKEN = "stub-ecr-token"  # noqa: S105 - what the stub aws hands the stub docker


def _log(tool: str, args: list[str]) -> None:
    with open(os.environ["STUB_LOG"], "a") as log:
        log.write(json.dumps([tool, *args]) + "\n")


def _option(args: list[str], name: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def _built_tags() -> Path:
    return Path(os.environ["STUB_LOG"]).with_suffix(".built")


def _docker_login(args: list[str]) -> int:
    if sys.stdin.read().strip() != TOKEN:
        print("Error: login failed: wrong password", file=sys.stderr)
        return 1
    return 0


def _docker_build(args: list[str]) -> int:
    context = Path(args[-1])
    dockerfile = context / "Dockerfile"
    if not dockerfile.is_file():
        print(f"ERROR: no Dockerfile in {context}", file=sys.stderr)
        return 1
    target = _option(args, "--target")
    if target is not None:
        stages = re.findall(r"(?im)^FROM\s+\S+\s+AS\s+(\S+)\s*$", dockerfile.read_text())
        if target not in stages:
            print(f"ERROR: target stage {target!r} not found", file=sys.stderr)
            return 1
        if target == os.environ.get("STUB_FAIL_TARGET"):
            print("--- FAIL: TestHealth (0.00s)", file=sys.stderr)
            return 1
    tag = _option(args, "--tag") or _option(args, "-t")
    if tag:
        with _built_tags().open("a") as handle:
            handle.write(tag + "\n")
    return 0


def _docker_push(args: list[str]) -> int:
    tags = _built_tags().read_text().split() if _built_tags().exists() else []
    if args[1] not in tags:
        print(f"An image does not exist locally with the tag: {args[1]}", file=sys.stderr)
        return 1
    return 0


def docker(args: list[str]) -> int:
    commands = {"login": _docker_login, "build": _docker_build, "push": _docker_push}
    if args[0] not in commands:
        print(f"stub docker: unexpected command {args[0]}", file=sys.stderr)
        return 2
    return commands[args[0]](args)


def aws(args: list[str]) -> int:
    service, operation = args[0], args[1]
    if (service, operation) == ("ecr", "get-login-password"):
        print(TOKEN)
        return 0
    if (service, operation) == ("ecr", "describe-images"):
        repository = _option(args, "--repository-name")
        image_ids = _option(args, "--image-ids") or ""
        existing = os.environ.get("STUB_IMAGES", "").split()
        if f"{repository}:{image_ids.removeprefix('imageTag=')}" in existing:
            print(json.dumps({"imageDetails": [{"repositoryName": repository}]}))
            return 0
        print("An error occurred (ImageNotFoundException)", file=sys.stderr)
        return 254
    if (service, operation) == ("ssm", "get-parameter"):
        assert _option(args, "--query") == "Parameter.Value"
        assert _option(args, "--output") == "text"
        parameters = json.loads(Path(os.environ["STUB_PARAMETERS"]).read_text())
        name = _option(args, "--name")
        if name not in parameters:
            print("An error occurred (ParameterNotFound)", file=sys.stderr)
            return 254
        print(parameters[name])
        return 0
    print(f"stub aws: unexpected call {args}", file=sys.stderr)
    return 2


def main() -> int:
    tool, args = sys.argv[1], sys.argv[2:]
    _log(tool, args)
    return docker(args) if tool == "docker" else aws(args)


if __name__ == "__main__":
    sys.exit(main())
