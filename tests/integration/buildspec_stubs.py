"""Stand-ins for ``docker`` and ``aws`` when the buildspec runs in a test.

Each call is appended to ``$STUB_LOG`` (one JSON array of arguments per line). The stubs
check what the real tools would reject (a build context without a Dockerfile, an unknown
stage, a push of an image never built, a login with the wrong password; a push to the
repository named ``$STUB_FAIL_PUSH`` is denied) and answer the few AWS calls the build makes
from ``$STUB_PARAMETERS`` (SSM values) and ``$STUB_IMAGES`` (tags already in ECR,
"<repository-name>:<tag>" space-separated).

ECR holds those tags and the ones the build pushed; ``ecr describe-images`` gives each the
digest :func:`digest` (deterministic), or ``$STUB_IMAGE_DIGEST`` when set (a malformed one).

The ECS calls (engine ``ecs``) answer from the scenario in ``$STUB_ECS``::

    {"cluster": "...", "service": "...",
     "running": "<task definition ARN the service runs>",
     "task_definitions": {"<ARN>": {<taskDefinition>}, ...},
     "rollout": [["new" | "old", "<rolloutState>"], ...]}

``rollout`` is the service's PRIMARY deployment on each ``describe-services`` after
``update-service`` (the last entry repeats): ``new`` is the revision the update moved to,
``old`` the one it ran before (ECS rolled back). What the build registered, the service's
revision and the polls so far are kept in ``<$STUB_LOG stem>.ecs.json``. ``--query`` is
applied with jmespath, and ``--output text`` printed as the AWS CLI prints it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import jmespath  # type: ignore[import-untyped]  # botocore's dependency

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


def digest(repository_name: str, tag: str) -> str:
    """The digest stub ECR gives the image ``<repository_name>:<tag>``."""
    return "sha256:" + hashlib.sha256(f"{repository_name}:{tag}".encode()).hexdigest()


def _built_tags() -> Path:
    return Path(os.environ["STUB_LOG"]).with_suffix(".built")


def _pushed_images() -> Path:
    """ "<repository-name>:<tag>" per line: what ECR holds since the build pushed it."""
    return Path(os.environ["STUB_LOG"]).with_suffix(".pushed")


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
    repository_name = args[1].split("/", 1)[1].rsplit(":", 1)[0]
    if repository_name == os.environ.get("STUB_FAIL_PUSH"):
        print(f"denied: not authorized to push to {repository_name}", file=sys.stderr)
        return 1
    with _pushed_images().open("a") as handle:
        handle.write(args[1].split("/", 1)[1] + "\n")  # <registry>/<repository-name>:<tag>
    return 0


def docker(args: list[str]) -> int:
    commands = {"login": _docker_login, "build": _docker_build, "push": _docker_push}
    if args[0] not in commands:
        print(f"stub docker: unexpected command {args[0]}", file=sys.stderr)
        return 2
    return commands[args[0]](args)


def _ecs_state_file() -> Path:
    return Path(os.environ["STUB_LOG"]).with_suffix(".ecs.json")


def _ecs_state(scenario: dict[str, Any]) -> dict[str, Any]:
    path = _ecs_state_file()
    if path.exists():
        state: dict[str, Any] = json.loads(path.read_text())
        return state
    return {"running": scenario["running"], "previous": None, "registered": [], "polls": 0}


def _text(value: Any) -> str:
    """The AWS CLI's ``--output text`` of a query result (the shapes the build asks for)."""
    if value is None:
        return "None"
    if isinstance(value, list):
        if value and all(isinstance(item, list) for item in value):
            return "\n".join(_text(item) for item in value)
        return "\t".join(_text(item) for item in value)
    if isinstance(value, dict):
        return "\t".join(_text(item) for item in value.values())
    return str(value)


def _answer(args: list[str], response: dict[str, Any]) -> int:
    query = _option(args, "--query")
    result = jmespath.search(query, response) if query else response
    print(_text(result) if _option(args, "--output") == "text" else json.dumps(result))
    return 0


def _client_error(code: str, message: str) -> int:
    print(f"An error occurred ({code}): {message}", file=sys.stderr)
    return 254


def _deployments(scenario: dict[str, Any], state: dict[str, Any]) -> list[dict[str, Any]]:
    if state["previous"] is None:  # not updated: one deployment, done long ago
        return [
            {"status": "PRIMARY", "taskDefinition": state["running"], "rolloutState": "COMPLETED"}
        ]
    rollout = scenario["rollout"]
    which, rollout_state = rollout[min(state["polls"], len(rollout) - 1)]
    state["polls"] += 1
    new, old = state["running"], state["previous"]
    if which == "old":  # rolled back: the old revision is PRIMARY again, the new one failed
        return [
            {"status": "PRIMARY", "taskDefinition": old, "rolloutState": rollout_state},
            {"status": "ACTIVE", "taskDefinition": new, "rolloutState": "FAILED"},
        ]
    deployments = [{"status": "PRIMARY", "taskDefinition": new, "rolloutState": rollout_state}]
    if rollout_state != "COMPLETED":
        deployments.append({"status": "ACTIVE", "taskDefinition": old, "rolloutState": "COMPLETED"})
    return deployments


def _known_task_definitions(
    scenario: dict[str, Any], state: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    known = dict(scenario["task_definitions"])
    known.update({r["taskDefinitionArn"]: r for r in state["registered"]})
    return known


def _register(scenario: dict[str, Any], state: dict[str, Any], args: list[str]) -> int:
    source = _option(args, "--cli-input-json") or ""
    if not source.startswith("file://"):
        return _client_error("ParamValidation", f"expected file://..., got {source!r}")
    try:
        given = json.loads(Path(source.removeprefix("file://")).read_text())
    except (OSError, ValueError) as error:
        return _client_error("ParamValidation", f"{source}: {error}")
    family = given["family"]
    known = _known_task_definitions(scenario, state)
    revisions = [
        int(arn.rsplit(":", 1)[1]) for arn in known if arn.split("/")[-1].startswith(family + ":")
    ]
    prefix = scenario["running"].rsplit("/", 1)[0]  # arn:aws:ecs:<region>:<account>:task-definition
    arn = f"{prefix}/{family}:{max(revisions, default=0) + 1}"
    state["registered"].append({**given, "taskDefinitionArn": arn})
    return _answer(args, {"taskDefinition": {**given, "taskDefinitionArn": arn}})


def _describe_services(scenario: dict[str, Any], state: dict[str, Any], args: list[str]) -> int:
    if _option(args, "--services") != scenario["service"]:
        return _answer(args, {"services": [], "failures": [{"reason": "MISSING"}]})
    service = {
        "serviceName": scenario["service"],
        "taskDefinition": state["running"],
        "deployments": _deployments(scenario, state),
    }
    return _answer(args, {"services": [service], "failures": []})


def _describe_task_definition(
    scenario: dict[str, Any], state: dict[str, Any], args: list[str]
) -> int:
    arn = _option(args, "--task-definition") or ""
    found = _known_task_definitions(scenario, state).get(arn)
    if found is None:
        return _client_error("ClientException", f"Unable to describe task definition {arn}.")
    return _answer(args, {"taskDefinition": found})


def _update_service(scenario: dict[str, Any], state: dict[str, Any], args: list[str]) -> int:
    if _option(args, "--service") != scenario["service"]:
        return _client_error("ServiceNotFoundException", "Service not found.")
    arn = _option(args, "--task-definition") or ""
    if arn not in _known_task_definitions(scenario, state):
        return _client_error("ClientException", f"TaskDefinition not found: {arn}")
    state["previous"], state["running"], state["polls"] = state["running"], arn, 0
    return _answer(args, {"service": {"serviceName": scenario["service"], "taskDefinition": arn}})


ECS_OPERATIONS = {
    "describe-services": _describe_services,
    "describe-task-definition": _describe_task_definition,
    "register-task-definition": _register,
    "update-service": _update_service,
}


def ecs(operation: str, args: list[str]) -> int:
    if operation not in ECS_OPERATIONS:
        print(f"stub aws: unexpected call ecs {operation} {args}", file=sys.stderr)
        return 2
    scenario = json.loads(Path(os.environ["STUB_ECS"]).read_text())
    state = _ecs_state(scenario)
    needs_cluster = operation in ("describe-services", "update-service")
    if needs_cluster and _option(args, "--cluster") != scenario["cluster"]:
        return _client_error("ClusterNotFoundException", "Cluster not found.")
    rc = ECS_OPERATIONS[operation](scenario, state, args)
    _ecs_state_file().write_text(json.dumps(state))
    return rc


def _describe_images(args: list[str]) -> int:
    repository = _option(args, "--repository-name") or ""
    image_ids = _option(args, "--image-ids") or ""
    if not image_ids.startswith("imageTag="):
        return _client_error("ParamValidation", f"expected imageTag=<tag>, got {image_ids!r}")
    tag = image_ids.removeprefix("imageTag=")
    pushed = _pushed_images().read_text().split() if _pushed_images().exists() else []
    if f"{repository}:{tag}" not in [*os.environ.get("STUB_IMAGES", "").split(), *pushed]:
        return _client_error(
            "ImageNotFoundException",
            f"The image with imageId {{imageTag:'{tag}'}} does not exist within the repository "
            f"with name '{repository}'",
        )
    detail = {
        "repositoryName": repository,
        "imageDigest": os.environ.get("STUB_IMAGE_DIGEST") or digest(repository, tag),
        "imageTags": [tag],
    }
    return _answer(args, {"imageDetails": [detail]})


def aws(args: list[str]) -> int:
    service, operation = args[0], args[1]
    if (service, operation) == ("ecr", "get-login-password"):
        print(TOKEN)
        return 0
    if (service, operation) == ("ecr", "describe-images"):
        return _describe_images(args)
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
    if tool == "docker":
        return docker(args)
    return ecs(args[1], args[2:]) if args[0] == "ecs" else aws(args)


if __name__ == "__main__":
    sys.exit(main())
