"""The test-traffic hook Lambda, against a real HTTP server on 127.0.0.1: its CodeDeploy
entry point (``handler``, AfterAllowTestTraffic) and its ECS-native one (``ecs_handler``,
POST_TEST_TRAFFIC_SHIFT). With ``TEST_HOST_NAME`` it probes over HTTPS: a real HTTPS server
on 127.0.0.1 serves certificates from a CA made for the session.

The AWS calls go to real boto3 clients under ``botocore.stub.Stubber``, so every request is
checked against the service model and an unexpected call fails the test. The handler's
directory is the Lambda package, so the module is loaded from its file path rather than
imported as part of a package.
"""

from __future__ import annotations

import ast
import contextlib
import datetime
import json
import os
import re
import socket
import ssl
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from botocore.exceptions import ClientError  # type: ignore[import-untyped]
from botocore.stub import Stubber  # type: ignore[import-untyped]
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from constructs_lib.verification_hook import PACKAGE_DIR
from tests.lambda_package import load_verify_test_traffic

LOAD_BALANCER = "app/ecs-blue-green-dev/0123456789abcdef"
DNS = "ecs-blue-green-dev-123456789.eu-west-1.elb.amazonaws.com"
DEPLOYMENT_ID = "d-ABCDEF123"
EXECUTION_ID = "hook-execution-1"
EVENT = {"DeploymentId": DEPLOYMENT_ID, "LifecycleEventHookExecutionId": EXECUTION_ID}
VERSION = "1.4.2"
TASK_DEFINITION = "arn:aws:ecs:eu-west-1:123456789012:task-definition/ecs-blue-green-dev:7"
REVISION_ARN = (
    "arn:aws:ecs:eu-west-1:123456789012:service-revision/ecs-blue-green-dev/app/9313423515462893900"
)
# An ECS lifecycle hook event as the ECS developer guide shows it ("Lambda hooks for Amazon
# ECS service deployments", POST_TEST_TRAFFIC_SHIFT).
ECS_EVENT: dict[str, Any] = {
    "executionId": "3a0345ba-b029-404b-890d-7da2a4b266aa",
    "lifecycleStage": "POST_TEST_TRAFFIC_SHIFT",
    "resourceArn": (
        "arn:aws:ecs:eu-west-1:123456789012:service-deployment/ecs-blue-green-dev/app/EZe5RNVLH6"
    ),
    "executionDetails": {
        "serviceArn": "arn:aws:ecs:eu-west-1:123456789012:service/ecs-blue-green-dev/app",
        "targetServiceRevisionArn": REVISION_ARN,
        "testTrafficWeights": {},
        "productionTrafficWeights": {},
    },
}
REGISTRY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
COMMIT = "3f2c1ab"
PROBES = [
    {"path": "/health", "status": 200, "body": "ok"},
    {"path": "/", "status": 200, "body_is_version": True},
]
CONFIG_VARIABLES = (
    "LOAD_BALANCER",
    "LOAD_BALANCER_DNS",
    "TEST_PORT",
    "PROBES",
    "VERSION_CONTAINER",
    "VERSION_VARIABLE",
    "DEADLINE_SECONDS",
    "INTERVAL_SECONDS",
    "REQUEST_TIMEOUT_SECONDS",
    "REQUIRED_PASSES",
    "TEST_HOST_NAME",
)
# The custom domain of the HTTPS cases: the name the test listener's certificate is for.
NAME = "app.example.test"
OTHER_NAME = "other.example.test"

# What CodeDeploy stores for this project's release (release_spec.to_yaml writes scalars as
# JSON), with the task definition placeholder already replaced by CodePipeline.
YAML_APPSPEC = f"""version: 0.0
Resources:
  - TargetService:
      Type: "AWS::ECS::Service"
      Properties:
        TaskDefinition: "{TASK_DEFINITION}"
        LoadBalancerInfo:
          ContainerName: "proxy"
          ContainerPort: 8080
Hooks:
  - AfterAllowTestTraffic: "arn:aws:lambda:eu-west-1:123456789012:function:verify"
"""
JSON_APPSPEC = json.dumps(
    {
        "version": 0.0,
        "Resources": [
            {
                "TargetService": {
                    "Type": "AWS::ECS::Service",
                    "Properties": {"TaskDefinition": TASK_DEFINITION.replace(":7", ":8")},
                }
            }
        ],
    },
    indent=2,
)


hook = load_verify_test_traffic()


# --- a fake ALB node ------------------------------------------------------------------


@dataclass
class Behaviour:
    """How the fake ALB node answers; each test changes what it needs."""

    routes: dict[str, tuple[int, str, dict[str, str]]] = field(default_factory=dict)
    delay_seconds: float = 0.0  # before the response
    trickle_seconds: float = 0.0  # between the bytes of the body
    failures_left: int = 0
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    certificate: str = "valid"  # HTTPS only: which of Pki.servers the node presents
    server_names: list[str | None] = field(default_factory=list)  # HTTPS only: SNI received
    lock: threading.Lock = field(default_factory=threading.Lock)

    def healthy(self, version: str = VERSION) -> None:
        self.routes = {"/health": (200, "ok\n", {}), "/": (200, version + "\n", {})}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    behaviour: Behaviour

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A slow reply written after the client timed out is expected, not an error."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        behaviour = self.server.behaviour
        with behaviour.lock:
            behaviour.requests.append((self.path, self.headers.get("Host")))
            failing = behaviour.failures_left > 0
            behaviour.failures_left -= int(failing)
        if behaviour.delay_seconds:
            time.sleep(behaviour.delay_seconds)
        status, body, headers = (
            (503, "starting", {})
            if failing
            else behaviour.routes.get(self.path, (404, "not found", {}))
        )
        payload = body.encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if not behaviour.trickle_seconds:
            self.wfile.write(payload)
            return
        for byte in payload:
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            time.sleep(behaviour.trickle_seconds)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""


@contextlib.contextmanager
def serving(httpd: _Server) -> Iterator[None]:
    """Run ``httpd`` in a thread for the duration of the block."""
    httpd.behaviour = Behaviour()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture(scope="module")
def server() -> Iterator[_Server]:
    httpd = _Server(("127.0.0.1", 0), _Handler)
    with serving(httpd):
        yield httpd


@pytest.fixture
def alb(server: _Server) -> Behaviour:
    """A healthy node serving VERSION, fresh for each test."""
    server.behaviour = Behaviour()
    server.behaviour.healthy()
    return server.behaviour


@pytest.fixture
def port(server: _Server) -> int:
    return int(server.server_address[1])


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- configuration and stubbed AWS ----------------------------------------------------


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, port: int) -> pytest.MonkeyPatch:
    """A valid configuration pointing at the fake node; tests override single variables."""
    for name in CONFIG_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    values = {
        "LOAD_BALANCER": LOAD_BALANCER,
        "LOAD_BALANCER_DNS": DNS,
        "TEST_PORT": str(port),
        "PROBES": json.dumps(PROBES),
        "VERSION_CONTAINER": "app",
        "DEADLINE_SECONDS": "5",
        "INTERVAL_SECONDS": "0.01",
        "REQUEST_TIMEOUT_SECONDS": "0.5",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def failing_fast(env: pytest.MonkeyPatch) -> None:
    """A deadline short enough that a failing verification ends within a fraction of a second."""
    env.setenv("DEADLINE_SECONDS", "0.2")
    env.setenv("INTERVAL_SECONDS", "0.02")


@pytest.fixture(scope="module")
def session() -> boto3.session.Session:
    return boto3.session.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - dummy: every call is stubbed
        region_name="eu-west-1",
    )


class Aws:
    """Stubbed EC2, ECS and CodeDeploy clients, with helpers that queue expected calls."""

    def __init__(self, session: boto3.session.Session) -> None:
        self.clients = {name: session.client(name) for name in ("ec2", "ecs", "codedeploy")}
        self.stubs = {name: Stubber(client) for name, client in self.clients.items()}
        for stub in self.stubs.values():
            stub.activate()

    def enis(self, *ips: str, page: str | None = None, more: str | None = None) -> None:
        """Queue one describe_network_interfaces page: ``page`` is the NextToken it is asked
        for, ``more`` the NextToken it returns."""
        params: dict[str, Any] = {
            "Filters": [{"Name": "description", "Values": [f"ELB {LOAD_BALANCER}"]}]
        }
        if page:
            params["NextToken"] = page
        response: dict[str, Any] = {
            "NetworkInterfaces": [
                {"NetworkInterfaceId": f"eni-{i}", "PrivateIpAddress": ip}
                for i, ip in enumerate(ips)
            ]
        }
        if more:
            response["NextToken"] = more
        self.stubs["ec2"].add_response("describe_network_interfaces", response, params)

    def deployment(self, content: str | None, revision_type: str = "AppSpecContent") -> None:
        revision: dict[str, Any] = {"revisionType": revision_type}
        if content is not None:
            revision["appSpecContent"] = {"content": content, "sha256": "0" * 64}
        else:
            revision["s3Location"] = {"bucket": "artifacts", "key": "appspec.yaml"}
        self.stubs["codedeploy"].add_response(
            "get_deployment",
            {"deploymentInfo": {"deploymentId": DEPLOYMENT_ID, "revision": revision}},
            {"deploymentId": DEPLOYMENT_ID},
        )

    def task_definition(
        self,
        arn: str = TASK_DEFINITION,
        app_environment: dict[str, str] | None = None,
        app_image: str | None = None,
    ) -> None:
        """Queue describe_task_definition: an ``app`` container and a decoy sidecar (whose
        variable and image tag are wrong for ``app``)."""
        app_env = {"VERSION": VERSION} if app_environment is None else app_environment
        app: dict[str, Any] = {
            "name": "app",
            "environment": [
                {"name": "PORT", "value": "8081"},
                *({"name": k, "value": v} for k, v in app_env.items()),
            ],
        }
        if app_image is not None:
            app["image"] = app_image
        self.stubs["ecs"].add_response(
            "describe_task_definition",
            {
                "taskDefinition": {
                    "taskDefinitionArn": arn,
                    "containerDefinitions": [
                        {
                            "name": "proxy",
                            "image": f"{REGISTRY}/proxy:proxy-tag",
                            "environment": [{"name": "VERSION", "value": "proxy-version"}],
                        },
                        app,
                    ],
                }
            },
            {"taskDefinition": arn},
        )

    def version_lookup(self) -> None:
        self.deployment(YAML_APPSPEC)
        self.task_definition()

    def revision(self, task_definition: str | None = TASK_DEFINITION) -> None:
        """Queue describe_service_revisions for REVISION_ARN, found (running
        ``task_definition``) or, if that is None, missing."""
        response: dict[str, Any]
        if task_definition is None:
            response = {
                "serviceRevisions": [],
                "failures": [{"arn": REVISION_ARN, "reason": "MISSING"}],
            }
        else:
            response = {
                "serviceRevisions": [
                    {"serviceRevisionArn": REVISION_ARN, "taskDefinition": task_definition}
                ],
                "failures": [],
            }
        self.stubs["ecs"].add_response(
            "describe_service_revisions", response, {"serviceRevisionArns": [REVISION_ARN]}
        )

    def status(self, status: str) -> None:
        """Expect the hook status call, with exactly this status."""
        self.stubs["codedeploy"].add_response(
            "put_lifecycle_event_hook_execution_status",
            {"lifecycleEventHookExecutionId": EXECUTION_ID},
            {
                "deploymentId": DEPLOYMENT_ID,
                "lifecycleEventHookExecutionId": EXECUTION_ID,
                "status": status,
            },
        )

    def verify_done(self) -> None:
        for stub in self.stubs.values():
            stub.assert_no_pending_responses()


@pytest.fixture
def aws(session: boto3.session.Session) -> Iterator[Aws]:
    stubbed = Aws(session)
    yield stubbed
    for stub in stubbed.stubs.values():
        stub.deactivate()


def run(aws: Aws, context: Any = None) -> dict[str, Any]:
    """Invoke the handler, then check that every queued AWS call was made."""
    result: dict[str, Any] = hook.handler(EVENT, context, clients=aws.clients)
    aws.verify_done()
    return result


def run_ecs(
    aws: Aws, monkeypatch: pytest.MonkeyPatch, event: Any = ECS_EVENT, context: Any = None
) -> dict[str, Any]:
    """Invoke the ECS entry point; check that every queued AWS call was made and that it
    never asked for a CodeDeploy client (the stubbed one has nothing queued either)."""
    requested: list[str] = []
    real_client = hook._client

    def spy(name: str, clients: Any) -> Any:
        requested.append(name)
        return real_client(name, clients)

    monkeypatch.setattr(hook, "_client", spy)
    result: dict[str, Any] = hook.ecs_handler(event, context, clients=aws.clients)
    aws.verify_done()
    assert "codedeploy" not in requested
    return result


def log_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


# --- the Lambda package ---------------------------------------------------------------


def _import_roots(nodes: list[ast.stmt] | list[ast.AST]) -> set[str]:
    roots: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            roots.add((node.module or "").split(".")[0])
    return roots


def test_handler_needs_only_the_runtime() -> None:
    """The zip holds index.py alone: the standard library at module level, and boto3 only
    inside a function (so tests load the module without it and inject clients)."""
    tree = ast.parse((PACKAGE_DIR / "index.py").read_text())
    top_level = _import_roots(tree.body)
    everywhere = _import_roots(list(ast.walk(tree)))
    assert {"json", "urllib"} <= top_level <= sys.stdlib_module_names
    assert everywhere - top_level == {"boto3", "botocore"}


# --- configuration --------------------------------------------------------------------


def test_config_defaults(env: pytest.MonkeyPatch, port: int) -> None:
    for name in ("DEADLINE_SECONDS", "INTERVAL_SECONDS", "REQUEST_TIMEOUT_SECONDS"):
        env.delenv(name)
    config = hook.load_config(dict(os.environ))
    assert config == hook.Config(
        load_balancer=LOAD_BALANCER,
        load_balancer_dns=DNS,
        test_port=port,
        probes=(
            hook.Probe("/health", 200, body="ok"),
            hook.Probe("/", 200, body_is_version=True),
        ),
        version_container="app",
        version_variable="VERSION",
        deadline_seconds=120.0,
        interval_seconds=5.0,
        request_timeout_seconds=3.0,
        required_passes=2,
    )
    assert config.needs_version


def test_config_reports_every_missing_variable() -> None:
    with pytest.raises(hook.ConfigError) as raised:
        hook.load_config({})
    message = str(raised.value)
    for name in ("LOAD_BALANCER", "LOAD_BALANCER_DNS", "TEST_PORT", "PROBES"):
        assert f"{name} is required" in message


def test_version_container_is_optional_without_version_probes() -> None:
    config = hook.load_config(
        {
            "LOAD_BALANCER": LOAD_BALANCER,
            "LOAD_BALANCER_DNS": DNS,
            "TEST_PORT": "8080",
            "PROBES": '[{"path": "/health", "status": 200}]',
        }
    )
    assert config.version_container is None
    assert not config.needs_version


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "LOAD_BALANCER",
            f"arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/{LOAD_BALANCER}",
            "ARN suffix",
        ),
        ("LOAD_BALANCER_DNS", f"http://{DNS}/", "bare host name"),
        ("TEST_PORT", "http", "TEST_PORT must be an integer"),
        ("TEST_PORT", "0", "TEST_PORT must be between 1 and 65535"),
        ("TEST_PORT", "65536", "TEST_PORT must be between 1 and 65535"),
        ("PROBES", "{not json", "PROBES is not valid JSON"),
        ("PROBES", "[]", "non-empty JSON list"),
        ("PROBES", '{"path": "/"}', "non-empty JSON list"),
        ("PROBES", '["/health"]', "PROBES[0] must be an object"),
        ("PROBES", '[{"path": "/", "status": 200, "bdy": "ok"}]', "unknown keys ['bdy']"),
        ("PROBES", '[{"path": "health", "status": 200}]', "path must start with /"),
        ("PROBES", '[{"path": "/", "status": "200"}]', "status must be an HTTP status code"),
        ("PROBES", '[{"path": "/", "status": true}]', "status must be an HTTP status code"),
        ("PROBES", '[{"path": "/"}]', "status must be an HTTP status code"),
        ("PROBES", '[{"path": "/", "status": 200, "body": 1}]', "body must be a string"),
        ("PROBES", '[{"path": "/", "status": 200, "body_is_version": "yes"}]', "true or false"),
        (
            "PROBES",
            '[{"path": "/", "status": 200, "body": "x", "body_is_version": true}]',
            "both body and body_is_version",
        ),
        ("VERSION_CONTAINER", "", "VERSION_CONTAINER is required when a probe has body_is_version"),
        ("DEADLINE_SECONDS", "0", "DEADLINE_SECONDS must be >= 0.001"),
        ("DEADLINE_SECONDS", "nan", "DEADLINE_SECONDS must be >= 0.001"),
        ("INTERVAL_SECONDS", "-1", "INTERVAL_SECONDS must be >= 0"),
        ("REQUEST_TIMEOUT_SECONDS", "soon", "REQUEST_TIMEOUT_SECONDS must be a number"),
        ("REQUIRED_PASSES", "0", "REQUIRED_PASSES must be >= 1"),
        ("REQUIRED_PASSES", "1.5", "REQUIRED_PASSES must be an integer"),
    ],
)
def test_config_rejects_bad_values(
    env: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    env.setenv(name, value)
    with pytest.raises(hook.ConfigError, match="invalid configuration") as raised:
        hook.load_config(dict(os.environ))
    assert message in str(raised.value)


# --- AWS lookups ----------------------------------------------------------------------


def test_node_addresses_follow_pagination(aws: Aws) -> None:
    aws.enis("10.0.2.9", "10.0.1.5", more="page-2")
    aws.enis("10.0.1.5", "10.0.3.7", page="page-2")
    assert hook.node_addresses(aws.clients["ec2"], LOAD_BALANCER) == [
        "10.0.1.5",
        "10.0.2.9",
        "10.0.3.7",
    ]
    aws.verify_done()


def test_no_network_interfaces_is_a_lookup_failure(aws: Aws) -> None:
    aws.enis()
    with pytest.raises(hook.LookupFailedError, match="no network interfaces"):
        hook.node_addresses(aws.clients["ec2"], LOAD_BALANCER)
    aws.verify_done()


@pytest.mark.parametrize(
    ("content", "arn"),
    [
        (YAML_APPSPEC, TASK_DEFINITION),
        (YAML_APPSPEC.replace(f'"{TASK_DEFINITION}"', TASK_DEFINITION), TASK_DEFINITION),
        (JSON_APPSPEC, TASK_DEFINITION.replace(":7", ":8")),
        (f"{{TaskDefinition: {TASK_DEFINITION}, PlatformVersion: LATEST}}", TASK_DEFINITION),
    ],
    ids=["yaml-quoted", "yaml-plain", "json", "yaml-flow"],
)
def test_task_definition_arn_from_appspec(content: str, arn: str) -> None:
    assert hook.task_definition_arn(content) == arn


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (YAML_APPSPEC.replace(TASK_DEFINITION, "<TASK_DEFINITION>"), "no task definition"),
        (YAML_APPSPEC + f"# {TASK_DEFINITION[:-1]}9\n", "2 different task definition"),
    ],
)
def test_task_definition_arn_must_be_unique(content: str, message: str) -> None:
    with pytest.raises(hook.LookupFailedError, match=message):
        hook.task_definition_arn(content)


@pytest.mark.parametrize(
    ("content", "arn"),
    [(YAML_APPSPEC, TASK_DEFINITION), (JSON_APPSPEC, TASK_DEFINITION.replace(":7", ":8"))],
    ids=["yaml", "json"],
)
def test_deployed_version_comes_from_the_deployments_task_definition(
    aws: Aws, content: str, arn: str
) -> None:
    aws.deployment(content)
    aws.task_definition(arn)
    version = hook.deployed_version(
        aws.clients["codedeploy"], aws.clients["ecs"], DEPLOYMENT_ID, "app", "VERSION"
    )
    assert version == VERSION
    aws.verify_done()


def test_deployed_version_honours_the_variable_name(aws: Aws) -> None:
    aws.deployment(YAML_APPSPEC)
    aws.task_definition(app_environment={"VERSION": "wrong", "RELEASE": "2.0.0"})
    version = hook.deployed_version(
        aws.clients["codedeploy"], aws.clients["ecs"], DEPLOYMENT_ID, "app", "RELEASE"
    )
    assert version == "2.0.0"
    aws.verify_done()


@pytest.mark.parametrize(
    ("container", "app_environment", "message"),
    [
        ("worker", None, "no container named 'worker'"),
        ("app", {}, "no environment variable 'VERSION', and its image '' has no tag"),
        ("app", {"VERSION": ""}, "sets environment variable 'VERSION' to an empty value"),
    ],
)
def test_deployed_version_missing_pieces(
    aws: Aws, container: str, app_environment: dict[str, str] | None, message: str
) -> None:
    aws.deployment(YAML_APPSPEC)
    aws.task_definition(app_environment=app_environment)
    with pytest.raises(hook.LookupFailedError, match=message):
        hook.deployed_version(
            aws.clients["codedeploy"], aws.clients["ecs"], DEPLOYMENT_ID, container, "VERSION"
        )
    aws.verify_done()


def test_deployed_version_falls_back_to_the_image_tag(aws: Aws) -> None:
    """The CodeDeploy path shares the ECS path's rule."""
    aws.deployment(YAML_APPSPEC)
    aws.task_definition(app_environment={}, app_image=f"{REGISTRY}/app:{COMMIT}")
    version = hook.deployed_version(
        aws.clients["codedeploy"], aws.clients["ecs"], DEPLOYMENT_ID, "app", "VERSION"
    )
    assert version == COMMIT
    aws.verify_done()


def test_deployed_version_needs_inline_appspec(aws: Aws) -> None:
    aws.deployment(None, revision_type="S3")
    with pytest.raises(
        hook.LookupFailedError, match=r"no inline AppSpec content \(revision type S3\)"
    ):
        hook.deployed_version(
            aws.clients["codedeploy"], aws.clients["ecs"], DEPLOYMENT_ID, "app", "VERSION"
        )
    aws.verify_done()


@pytest.mark.parametrize(
    ("image", "tag"),
    [
        ("app:1.4.2", "1.4.2"),
        (f"{REGISTRY}/app:{COMMIT}", COMMIT),
        ("localhost:5000/team/app:v2_rc.1-x", "v2_rc.1-x"),
    ],
)
def test_image_tag(image: str, tag: str) -> None:
    assert hook.image_tag(image) == tag


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (f"{REGISTRY}/app@sha256:{'a' * 64}", "referenced by digest"),
        (f"{REGISTRY}/app:{COMMIT}@sha256:{'a' * 64}", "referenced by digest"),
        (f"{REGISTRY}/app", "has no tag"),
        ("localhost:5000/app", "has no tag"),  # the colon is the registry's port
        ("app:", "has no tag"),
        ("", "has no tag"),
        ("app:.hidden", "malformed tag '.hidden'"),
    ],
)
def test_image_without_a_usable_tag(image: str, message: str) -> None:
    with pytest.raises(hook.LookupFailedError, match=message):
        hook.image_tag(image)


def _definition(environment: dict[str, str], image: str | None) -> dict[str, Any]:
    app: dict[str, Any] = {
        "name": "app",
        "environment": [{"name": k, "value": v} for k, v in environment.items()],
    }
    if image is not None:
        app["image"] = image
    return {
        "taskDefinitionArn": TASK_DEFINITION,
        "containerDefinitions": [
            {"name": "proxy", "image": "proxy:proxy-tag", "environment": []},
            app,
        ],
    }


@pytest.mark.parametrize(
    ("environment", "image", "version"),
    [
        ({"VERSION": VERSION}, f"{REGISTRY}/app:{COMMIT}", VERSION),  # the variable wins
        ({"VERSION": VERSION}, f"{REGISTRY}/app@sha256:{'a' * 64}", VERSION),
        ({}, f"{REGISTRY}/app:{COMMIT}", COMMIT),
        ({"RELEASE": "2.0.0"}, f"{REGISTRY}/app:{COMMIT}", COMMIT),  # another variable
    ],
    ids=["variable", "variable-digest-image", "tag", "tag-other-variable"],
)
def test_container_version_rule(environment: dict[str, str], image: str, version: str) -> None:
    assert hook.container_version(_definition(environment, image), "app", "VERSION") == version


@pytest.mark.parametrize(
    ("container", "environment", "image", "message"),
    [
        ("worker", {}, "app:1", f"task definition {TASK_DEFINITION} has no container named"),
        ("app", {}, None, "no environment variable 'VERSION', and its image '' has no tag"),
        ("app", {}, f"app@sha256:{'b' * 64}", f"image 'app@sha256:{'b' * 64}' is referenced by"),
        ("app", {"VERSION": ""}, "app:1", "'VERSION' to an empty value"),
    ],
)
def test_container_version_failures(
    container: str, environment: dict[str, str], image: str | None, message: str
) -> None:
    with pytest.raises(hook.LookupFailedError, match=re.escape(message)):
        hook.container_version(_definition(environment, image), container, "VERSION")


# --- one probe against the fake node --------------------------------------------------


def test_probe_reads_status_and_body_and_sends_host(alb: Behaviour, port: int) -> None:
    result = hook.probe("127.0.0.1", port, DNS, "/health", 1.0)
    assert (result.ip, result.path, result.status, result.body, result.error) == (
        "127.0.0.1",
        "/health",
        200,
        "ok\n",
        None,
    )
    assert alb.requests == [("/health", DNS)]


def test_probe_reports_error_statuses_with_their_body(alb: Behaviour, port: int) -> None:
    alb.routes["/health"] = (503, "draining", {})
    result = hook.probe("127.0.0.1", port, DNS, "/health", 1.0)
    assert (result.status, result.body, result.error) == (503, "draining", None)


def test_probe_does_not_follow_redirects(alb: Behaviour, port: int) -> None:
    alb.routes["/"] = (302, "", {"Location": "/health"})
    result = hook.probe("127.0.0.1", port, DNS, "/", 1.0)
    assert result.status == 302
    assert [path for path, _ in alb.requests] == ["/"]


def test_probe_times_out(alb: Behaviour, port: int) -> None:
    alb.delay_seconds = 0.3
    result = hook.probe("127.0.0.1", port, DNS, "/health", 0.05)
    assert result.status is None
    assert result.error is not None
    assert "timed out" in result.error


def test_probe_timeout_bounds_the_whole_request(alb: Behaviour, port: int) -> None:
    """Each read of a trickled body is quick; the request as a whole is not."""
    alb.routes["/health"] = (200, "x" * 100, {})
    alb.trickle_seconds = 0.02  # 2 s for the whole body
    result = hook.probe("127.0.0.1", port, DNS, "/health", 0.1)
    assert (result.status, result.body, result.error) == (None, None, "timed out after 0.1s")
    assert result.elapsed_ms < 1000  # cut at 0.1 s, not after the body's 2 s


def test_probe_reports_refused_connections(closed_port: int) -> None:
    result = hook.probe("127.0.0.1", closed_port, DNS, "/health", 1.0)
    assert result.status is None
    assert result.error is not None
    assert "refused" in result.error.lower()


@pytest.mark.parametrize(
    ("status", "body", "check", "reason"),
    [
        (200, " ok\n", hook.Probe("/health", 200, body="ok"), None),
        (200, "anything", hook.Probe("/health", 200), None),
        (200, "1.4.2\n", hook.Probe("/", 200, body_is_version=True), None),
        (
            200,
            "1.4.1",
            hook.Probe("/", 200, body_is_version=True),
            "body '1.4.1', expected '1.4.2'",
        ),
        (204, "ok", hook.Probe("/health", 200, body="ok"), "status 204, expected 200"),
        (200, "x" * 500, hook.Probe("/", 200, body="ok"), "x" * 120 + "..."),
    ],
)
def test_failure_reason(status: int, body: str, check: Any, reason: str | None) -> None:
    result = hook.ProbeResult("10.0.0.1", check.path, status, body, None, 1)
    actual = hook.failure_reason(result, check, VERSION)
    if reason is None:
        assert actual is None
    else:
        assert actual is not None
        assert reason in actual


def test_failure_reason_for_request_errors() -> None:
    result = hook.ProbeResult("10.0.0.1", "/", None, None, "timed out", 50)
    assert hook.failure_reason(result, hook.Probe("/", 200), None) == "request failed: timed out"


# --- the verification loop, on a fake clock -------------------------------------------


class FakeClock:
    """Monotonic time that moves only when the code under test sleeps or fetches."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


def loop_config(**overrides: Any) -> Any:
    values: dict[str, Any] = {
        "load_balancer": LOAD_BALANCER,
        "load_balancer_dns": DNS,
        "test_port": 8080,
        "probes": (hook.Probe("/health", 200),),
        "version_container": None,
        "version_variable": "VERSION",
        "deadline_seconds": 10.0,
        "interval_seconds": 4.0,
        "request_timeout_seconds": 1.0,
        "required_passes": 2,
    }
    values.update(overrides)
    return hook.Config(**values)


def scripted_fetch(
    clock: FakeClock, statuses: list[int], seconds: float = 0.0
) -> tuple[Any, list[tuple[float, str, str]]]:
    """A fetch answering ``statuses`` in turn (the last one forever), taking ``seconds``."""
    calls: list[tuple[float, str, str]] = []

    def fetch(ip: str, port: int, host: str, path: str, timeout: float, *, tls: Any = None) -> Any:
        assert (port, host, timeout, tls) == (8080, DNS, 1.0, None)
        calls.append((clock.now, ip, path))
        clock.now += seconds
        status = statuses[min(len(calls), len(statuses)) - 1]
        return hook.ProbeResult(ip, path, status, "", None, round(seconds * 1000))

    return fetch, calls


def run_verify(
    clock: FakeClock, fetch: Any, config: Any, addresses: tuple[str, ...] = ("10.0.0.1",)
) -> tuple[Any, list[dict[str, Any]]]:
    logged: list[dict[str, Any]] = []
    outcome = hook.verify(
        list(addresses),
        config,
        None,
        fetch=fetch,
        clock=clock,
        sleep=clock.sleep,
        log=logged.append,
    )
    return outcome, logged


def test_verify_needs_consecutive_passing_rounds() -> None:
    clock = FakeClock()
    fetch, calls = scripted_fetch(clock, [200, 503, 200, 200])
    outcome, _ = run_verify(clock, fetch, loop_config(deadline_seconds=100.0))
    assert (outcome.status, outcome.rounds) == ("Succeeded", 4)
    assert [at for at, _, _ in calls] == [0.0, 4.0, 8.0, 12.0]


def test_verify_probes_every_node_and_logs_each_result() -> None:
    clock = FakeClock()
    calls: list[tuple[str, str]] = []

    def fetch(ip: str, port: int, host: str, path: str, timeout: float, *, tls: Any = None) -> Any:
        calls.append((ip, path))
        status = 503 if ip == "10.0.0.2" and path == "/" else 200
        return hook.ProbeResult(ip, path, status, "", None, 7)

    config = loop_config(probes=(hook.Probe("/health", 200), hook.Probe("/", 200)))
    outcome, logged = run_verify(clock, fetch, config, ("10.0.0.1", "10.0.0.2"))
    assert outcome.status == "Failed"
    assert "10.0.0.2/: status 503, expected 200" in outcome.reason
    # Every round asks every node every probe, even after a failure within the round.
    assert calls[:4] == [
        ("10.0.0.1", "/health"),
        ("10.0.0.1", "/"),
        ("10.0.0.2", "/health"),
        ("10.0.0.2", "/"),
    ]
    assert len(calls) == 4 * outcome.rounds
    assert logged[3] == {
        "event": "probe",
        "round": 1,
        "ip": "10.0.0.2",
        "scheme": "http",
        "host": DNS,
        "path": "/",
        "status": 503,
        "error": None,
        "elapsed_ms": 7,
        "ok": False,
        "reason": "status 503, expected 200",
    }
    assert [r["ok"] for r in logged[:4]] == [True, True, True, False]


def test_verify_never_sleeps_past_the_deadline() -> None:
    clock = FakeClock()
    fetch, calls = scripted_fetch(clock, [503], seconds=1.5)
    outcome, _ = run_verify(clock, fetch, loop_config())
    # Rounds at 0 and 5.5; after the second (ends at 7) only 3 s remain, not 4.
    assert clock.sleeps == [4.0, 3.0]
    assert [at for at, _, _ in calls] == [0.0, 5.5]
    assert clock.now == 10.0
    assert outcome.status == "Failed"
    assert outcome.rounds == 2
    assert outcome.reason.startswith("deadline of 10s reached after 2 rounds (0/2")
    assert "status 503, expected 200" in outcome.reason


def test_verify_starts_no_request_after_the_deadline() -> None:
    """A request under way at the deadline finishes; the rest of the round is skipped."""
    clock = FakeClock()
    fetch, calls = scripted_fetch(clock, [200], seconds=1.0)
    config = loop_config(
        deadline_seconds=1.5,
        probes=(hook.Probe("/a", 200), hook.Probe("/b", 200), hook.Probe("/c", 200)),
    )
    outcome, logged = run_verify(clock, fetch, config)
    assert [path for _, _, path in calls] == ["/a", "/b"]
    assert clock.now == 2.0  # within the deadline plus one request timeout
    assert clock.sleeps == []
    assert outcome.status == "Failed"
    # The cut-short round neither passes nor fails.
    assert outcome.reason == "deadline of 1.5s reached after 1 rounds (0/2 consecutive passes)"
    assert len(logged) == 2


def test_verify_counts_passes_toward_the_deadline_reason() -> None:
    clock = FakeClock()
    fetch, _ = scripted_fetch(clock, [200], seconds=1.0)
    outcome, _ = run_verify(clock, fetch, loop_config(deadline_seconds=3.0, required_passes=3))
    # Round 1 passes at 0-1, sleeps to the deadline at 3: one pass of three.
    assert clock.sleeps == [2.0]
    assert (outcome.status, outcome.rounds) == ("Failed", 1)
    assert "(1/3 consecutive passes)" in outcome.reason


def test_verify_with_no_time_runs_no_round() -> None:
    clock = FakeClock()
    fetch, calls = scripted_fetch(clock, [200])
    logged: list[dict[str, Any]] = []
    outcome = hook.verify(
        ["10.0.0.1"],
        loop_config(),
        None,
        budget_seconds=0.0,
        fetch=fetch,
        clock=clock,
        sleep=clock.sleep,
        log=logged.append,
    )
    assert (outcome.status, outcome.rounds, calls, logged) == ("Failed", 0, [], [])


@pytest.mark.parametrize(
    ("remaining_ms", "budget"),
    [(None, 120.0), (600_000, 120.0), (60_000, 47.0), (12_000, 0.0)],
)
def test_time_budget_leaves_room_for_the_status_call(
    remaining_ms: int | None, budget: float
) -> None:
    config = loop_config(deadline_seconds=120.0, request_timeout_seconds=3.0)
    assert hook.time_budget(config, remaining_ms) == pytest.approx(budget)


# --- the handler, end to end ----------------------------------------------------------


def test_healthy_release_succeeds(
    env: pytest.MonkeyPatch, alb: Behaviour, aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    aws.enis("127.0.0.1")
    aws.version_lookup()
    aws.status("Succeeded")
    result = run(aws)
    assert result == {
        "deploymentId": DEPLOYMENT_ID,
        "status": "Succeeded",
        "reason": "2 consecutive passing rounds",
        "rounds": 2,
    }
    assert alb.requests == [("/health", DNS), ("/", DNS)] * 2
    lines = log_lines(capsys)
    assert [line["event"] for line in lines] == ["probe"] * 4 + ["summary"]
    assert {line["ip"] for line in lines[:4]} == {"127.0.0.1"}
    assert {(line["scheme"], line["host"]) for line in lines[:4]} == {("http", DNS)}
    assert all(line["ok"] and line["status"] == 200 for line in lines[:4])
    assert lines[-1]["status"] == "Succeeded"
    assert lines[-1]["version"] == VERSION
    assert lines[-1]["nodes"] == ["127.0.0.1"]


def test_probes_without_version_skip_the_version_lookup(
    env: pytest.MonkeyPatch, alb: Behaviour, aws: Aws
) -> None:
    env.setenv("PROBES", '[{"path": "/health", "status": 200, "body": "ok"}]')
    env.delenv("VERSION_CONTAINER")
    env.setenv("REQUIRED_PASSES", "3")
    aws.enis("127.0.0.1")
    aws.status("Succeeded")  # no get_deployment or describe_task_definition queued
    assert run(aws)["rounds"] == 3
    assert alb.requests == [("/health", DNS)] * 3


def test_unhealthy_release_fails(env: pytest.MonkeyPatch, alb: Behaviour, aws: Aws) -> None:
    failing_fast(env)
    alb.routes["/health"] = (503, "unhealthy", {})
    aws.enis("127.0.0.1")
    aws.version_lookup()
    aws.status("Failed")
    result = run(aws)
    assert result["status"] == "Failed"
    assert "127.0.0.1/health: status 503, expected 200" in result["reason"]
    assert result["rounds"] >= 1


def test_wrong_version_fails(env: pytest.MonkeyPatch, alb: Behaviour, aws: Aws) -> None:
    failing_fast(env)
    alb.healthy(version="1.4.1")
    aws.enis("127.0.0.1")
    aws.version_lookup()
    aws.status("Failed")
    result = run(aws)
    assert "127.0.0.1/: body '1.4.1', expected '1.4.2'" in result["reason"]


def test_slow_release_fails(env: pytest.MonkeyPatch, alb: Behaviour, aws: Aws) -> None:
    failing_fast(env)
    env.setenv("REQUEST_TIMEOUT_SECONDS", "0.05")
    alb.delay_seconds = 0.3
    aws.enis("127.0.0.1")
    aws.version_lookup()
    aws.status("Failed")
    result = run(aws)
    assert "request failed: timed out" in result["reason"]


def test_refused_connection_fails(
    env: pytest.MonkeyPatch, closed_port: int, alb: Behaviour, aws: Aws
) -> None:
    failing_fast(env)
    env.setenv("TEST_PORT", str(closed_port))
    aws.enis("127.0.0.1")
    aws.version_lookup()
    aws.status("Failed")
    result = run(aws)
    assert "request failed:" in result["reason"]
    assert "refused" in result["reason"].lower()
    assert alb.requests == []


def test_flaky_then_healthy_release_succeeds_after_retries(
    env: pytest.MonkeyPatch, alb: Behaviour, aws: Aws
) -> None:
    alb.failures_left = 3  # rounds 1 and 2 each see a 503
    aws.enis("127.0.0.1")
    aws.version_lookup()
    aws.status("Succeeded")
    result = run(aws)
    assert (result["status"], result["rounds"]) == ("Succeeded", 4)
    assert len(alb.requests) == 8


def test_missing_configuration_is_reported_as_failed(
    env: pytest.MonkeyPatch, aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    env.delenv("TEST_PORT")
    aws.status("Failed")  # and nothing else: no lookups with a broken configuration
    result = run(aws)
    assert result["status"] == "Failed"
    assert result["reason"].startswith("ConfigError: invalid configuration")
    assert "TEST_PORT is required" in result["reason"]
    summary = log_lines(capsys)[-1]
    assert (summary["event"], summary["status"]) == ("summary", "Failed")
    assert "TEST_PORT is required" in summary["reason"]


def test_no_network_interfaces_is_reported_as_failed(
    env: pytest.MonkeyPatch, alb: Behaviour, aws: Aws
) -> None:
    aws.enis()
    aws.status("Failed")
    result = run(aws)
    assert result["reason"] == (
        f"LookupFailedError: no network interfaces found for load balancer {LOAD_BALANCER}"
    )
    assert alb.requests == []


def test_version_lookup_failure_is_reported_as_failed(
    env: pytest.MonkeyPatch, alb: Behaviour, aws: Aws
) -> None:
    env.setenv("VERSION_CONTAINER", "worker")
    aws.enis("127.0.0.1")
    aws.version_lookup()
    aws.status("Failed")
    result = run(aws)
    assert "no container named 'worker'" in result["reason"]
    assert alb.requests == []


def test_aws_error_during_lookup_is_reported_as_failed(
    env: pytest.MonkeyPatch, alb: Behaviour, aws: Aws
) -> None:
    aws.stubs["ec2"].add_client_error(
        "describe_network_interfaces", "UnauthorizedOperation", "not allowed"
    )
    aws.status("Failed")
    result = run(aws)
    assert result["reason"].startswith("ClientError:")
    assert "UnauthorizedOperation" in result["reason"]


def test_short_lambda_time_left_cuts_the_budget(
    env: pytest.MonkeyPatch, alb: Behaviour, aws: Aws
) -> None:
    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 5_000  # less than the status-call reserve

    aws.enis("127.0.0.1")
    aws.version_lookup()
    aws.status("Failed")
    result = run(aws, Context())
    assert (result["status"], result["rounds"]) == ("Failed", 0)
    assert result["reason"].startswith("deadline of 0s reached after 0 rounds")
    assert alb.requests == []


def test_status_call_failure_propagates(env: pytest.MonkeyPatch, alb: Behaviour, aws: Aws) -> None:
    aws.enis("127.0.0.1")
    aws.version_lookup()
    aws.stubs["codedeploy"].add_client_error(
        "put_lifecycle_event_hook_execution_status",
        "DeploymentDoesNotExistException",
        "gone",
        expected_params={
            "deploymentId": DEPLOYMENT_ID,
            "lifecycleEventHookExecutionId": EXECUTION_ID,
            "status": "Succeeded",
        },
    )
    with pytest.raises(ClientError, match="DeploymentDoesNotExistException"):
        hook.handler(EVENT, None, clients=aws.clients)
    aws.verify_done()


def test_event_without_ids_raises_before_any_call(aws: Aws) -> None:
    with pytest.raises(KeyError, match="LifecycleEventHookExecutionId"):
        hook.handler({"DeploymentId": DEPLOYMENT_ID}, None, clients=aws.clients)


# --- the ECS-native entry point, end to end -------------------------------------------


@pytest.mark.parametrize(
    ("app_environment", "app_image", "version"),
    [
        (None, f"{REGISTRY}/app:{COMMIT}", VERSION),  # VERSION=1.4.2 beats the tag
        ({}, f"{REGISTRY}/app:{COMMIT}", COMMIT),  # no variable: the tag is the version
    ],
    ids=["version-from-variable", "version-from-image-tag"],
)
def test_ecs_healthy_release_succeeds(
    env: pytest.MonkeyPatch,
    alb: Behaviour,
    aws: Aws,
    capsys: pytest.CaptureFixture[str],
    *,
    app_environment: dict[str, str] | None,
    app_image: str,
    version: str,
) -> None:
    alb.healthy(version=version)
    aws.enis("127.0.0.1")
    aws.revision()
    aws.task_definition(app_environment=app_environment, app_image=app_image)
    assert run_ecs(aws, env) == {"hookStatus": "SUCCEEDED"}
    assert alb.requests == [("/health", DNS), ("/", DNS)] * 2
    lines = log_lines(capsys)
    assert [line["event"] for line in lines] == ["probe"] * 4 + ["summary"]
    summary = lines[-1]
    assert summary == {
        "event": "summary",
        "engine": "ecs",
        "execution_id": ECS_EVENT["executionId"],
        "lifecycle_stage": "POST_TEST_TRAFFIC_SHIFT",
        "service_deployment_arn": ECS_EVENT["resourceArn"],
        "service_revision_arn": REVISION_ARN,
        "nodes": ["127.0.0.1"],
        "version": version,
        "budget_seconds": 5.0,
        "status": "Succeeded",
        "hook_status": "SUCCEEDED",
        "reason": "2 consecutive passing rounds",
        "rounds": 2,
    }


def test_ecs_probes_without_version_skip_the_revision_lookup(
    env: pytest.MonkeyPatch, alb: Behaviour, aws: Aws
) -> None:
    env.setenv("PROBES", '[{"path": "/health", "status": 200, "body": "ok"}]')
    env.delenv("VERSION_CONTAINER")
    aws.enis("127.0.0.1")  # no describe_service_revisions or describe_task_definition
    assert run_ecs(aws, env) == {"hookStatus": "SUCCEEDED"}
    assert alb.requests == [("/health", DNS)] * 2


def test_ecs_wrong_version_fails(
    env: pytest.MonkeyPatch, alb: Behaviour, aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    failing_fast(env)
    alb.healthy(version="1.4.1")  # the old revision still answers the test listener
    aws.enis("127.0.0.1")
    aws.revision()
    aws.task_definition(app_image=f"{REGISTRY}/app:{COMMIT}")
    assert run_ecs(aws, env) == {"hookStatus": "FAILED"}
    summary = log_lines(capsys)[-1]
    assert (summary["status"], summary["hook_status"]) == ("Failed", "FAILED")
    assert "127.0.0.1/: body '1.4.1', expected '1.4.2'" in summary["reason"]
    assert summary["rounds"] >= 1


def test_ecs_unhealthy_release_fails(env: pytest.MonkeyPatch, alb: Behaviour, aws: Aws) -> None:
    failing_fast(env)
    alb.routes["/health"] = (503, "unhealthy", {})
    aws.enis("127.0.0.1")
    aws.revision()
    aws.task_definition()
    assert run_ecs(aws, env) == {"hookStatus": "FAILED"}


DIGEST_IMAGE = f"{REGISTRY}/app@sha256:{'c' * 64}"


@pytest.mark.parametrize(
    ("container", "found", "app_environment", "app_image", "reason"),
    [
        (
            "app",
            False,
            None,
            None,
            f"LookupFailedError: service revision {REVISION_ARN} not found (MISSING)",
        ),
        (
            "worker",
            True,
            None,
            None,
            f"LookupFailedError: task definition {TASK_DEFINITION} has no container named 'worker'",
        ),
        (
            "app",
            True,
            {},
            DIGEST_IMAGE,
            f"LookupFailedError: container 'app' in {TASK_DEFINITION} has no environment "
            f"variable 'VERSION', and its image '{DIGEST_IMAGE}' is referenced by digest, "
            "which names no version",
        ),
        (
            "app",
            True,
            {},
            f"{REGISTRY}/app",
            f"LookupFailedError: container 'app' in {TASK_DEFINITION} has no environment "
            f"variable 'VERSION', and its image '{REGISTRY}/app' has no tag",
        ),
    ],
    ids=["unknown-revision", "container-missing", "digest-image", "untagged-image"],
)
def test_ecs_lookup_failure_fails(
    env: pytest.MonkeyPatch,
    alb: Behaviour,
    aws: Aws,
    capsys: pytest.CaptureFixture[str],
    *,
    container: str,
    found: bool,
    app_environment: dict[str, str] | None,
    app_image: str | None,
    reason: str,
) -> None:
    env.setenv("VERSION_CONTAINER", container)
    aws.enis("127.0.0.1")
    aws.revision(TASK_DEFINITION if found else None)
    if found:
        aws.task_definition(app_environment=app_environment, app_image=app_image)
    assert run_ecs(aws, env) == {"hookStatus": "FAILED"}
    summary = log_lines(capsys)[-1]
    assert (summary["event"], summary["hook_status"], summary["rounds"]) == (
        "summary",
        "FAILED",
        0,
    )
    assert summary["reason"] == reason
    assert alb.requests == []  # no probing without a version to compare with


def test_ecs_revision_without_task_definition_fails(
    env: pytest.MonkeyPatch, alb: Behaviour, aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    aws.enis("127.0.0.1")
    aws.stubs["ecs"].add_response(
        "describe_service_revisions",
        {"serviceRevisions": [{"serviceRevisionArn": REVISION_ARN}], "failures": []},
        {"serviceRevisionArns": [REVISION_ARN]},
    )
    assert run_ecs(aws, env) == {"hookStatus": "FAILED"}
    assert "names no task definition" in log_lines(capsys)[-1]["reason"]


def test_ecs_aws_error_fails(
    env: pytest.MonkeyPatch, alb: Behaviour, aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    aws.enis("127.0.0.1")
    aws.stubs["ecs"].add_client_error(
        "describe_service_revisions",
        "AccessDeniedException",
        "not allowed",
        expected_params={"serviceRevisionArns": [REVISION_ARN]},
    )
    assert run_ecs(aws, env) == {"hookStatus": "FAILED"}
    reason = log_lines(capsys)[-1]["reason"]
    assert reason.startswith("AccessDeniedException: ")  # botocore's modelled ClientError
    assert "DescribeServiceRevisions operation: not allowed" in reason


def test_ecs_missing_configuration_fails(
    env: pytest.MonkeyPatch, aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    env.delenv("TEST_PORT")
    assert run_ecs(aws, env) == {"hookStatus": "FAILED"}  # and no AWS call at all
    reason = log_lines(capsys)[-1]["reason"]
    assert reason.startswith("ConfigError: invalid configuration")
    assert "TEST_PORT is required" in reason


def _event(**changes: Any) -> dict[str, Any]:
    """ECS_EVENT with top-level keys (or, under ``details``, executionDetails keys) replaced;
    a value of None removes the key."""
    event: dict[str, Any] = json.loads(json.dumps(ECS_EVENT))
    for key, value in changes.pop("details", {}).items():
        event["executionDetails"].pop(key)
        if value is not None:
            event["executionDetails"][key] = value
    for key, value in changes.items():
        event.pop(key)
        if value is not None:
            event[key] = value
    return event


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (None, "event must be an object, not NoneType"),
        ({}, "lifecycleStage is None, this hook verifies POST_TEST_TRAFFIC_SHIFT"),
        (_event(lifecycleStage=None), "lifecycleStage is None"),
        (_event(lifecycleStage="TEST_TRAFFIC_SHIFT"), "lifecycleStage is 'TEST_TRAFFIC_SHIFT'"),
        (_event(executionDetails=None), "executionDetails is missing or not an object"),
        (_event(executionDetails=[REVISION_ARN]), "executionDetails is missing or not an object"),
        (
            _event(details={"targetServiceRevisionArn": None}),
            "executionDetails.targetServiceRevisionArn is not a service revision ARN: None",
        ),
        (
            _event(details={"targetServiceRevisionArn": ""}),
            "executionDetails.targetServiceRevisionArn is not a service revision ARN: ''",
        ),
        (
            _event(details={"targetServiceRevisionArn": ECS_EVENT["resourceArn"]}),
            "executionDetails.targetServiceRevisionArn is not a service revision ARN: "
            f"{ECS_EVENT['resourceArn']!r}",
        ),
    ],
    ids=[
        "none",
        "empty",
        "no-stage",
        "other-stage",
        "no-details",
        "details-not-object",
        "no-revision",
        "empty-revision",
        "deployment-arn-as-revision",
    ],
)
def test_ecs_malformed_event_fails_without_any_call(
    env: pytest.MonkeyPatch,
    alb: Behaviour,
    aws: Aws,
    capsys: pytest.CaptureFixture[str],
    *,
    event: Any,
    reason: str,
) -> None:
    assert run_ecs(aws, env, event) == {"hookStatus": "FAILED"}  # nothing queued, none made
    summary = log_lines(capsys)[-1]
    assert (summary["event"], summary["engine"], summary["status"]) == ("summary", "ecs", "Failed")
    assert summary["reason"].startswith("EventError: " + reason)
    assert alb.requests == []


def test_ecs_short_lambda_time_left_fails(
    env: pytest.MonkeyPatch, alb: Behaviour, aws: Aws, capsys: pytest.CaptureFixture[str]
) -> None:
    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 5_000

    aws.enis("127.0.0.1")
    aws.revision()
    aws.task_definition()
    assert run_ecs(aws, env, context=Context()) == {"hookStatus": "FAILED"}
    assert log_lines(capsys)[-1]["reason"].startswith("deadline of 0s reached after 0 rounds")
    assert alb.requests == []


# --- HTTPS: a custom domain on the test listener --------------------------------------


@dataclass(frozen=True)
class Pki:
    """A CA made for the session and the server certificates it signed, as PEM files."""

    ca_file: Path
    servers: dict[str, tuple[Path, Path]]  # kind -> (certificate, key)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[str, ec.EllipticCurvePrivateKey] | None = None,
    *,
    dns_name: str | None = None,
    valid_days: tuple[int, int] = (-1, 30),
) -> x509.Certificate:
    """A CA certificate (no ``issuer``: self-signed) or a server certificate for
    ``dns_name``, valid from and to the given days around now."""
    now = datetime.datetime.now(datetime.UTC)
    issuer_name, issuer_key = issuer or (subject, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + datetime.timedelta(days=valid_days[0]))
        .not_valid_after(now + datetime.timedelta(days=valid_days[1]))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    if issuer is None:
        usage = {"key_cert_sign": True, "crl_sign": True, "digital_signature": False}
    else:
        usage = {"key_cert_sign": False, "crl_sign": False, "digital_signature": True}
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(dns_name or subject)]), critical=False
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    builder = builder.add_extension(
        x509.KeyUsage(
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            encipher_only=False,
            decipher_only=False,
            **usage,
        ),
        critical=True,
    )
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A private CA, and server certificates it signed: for NAME (``valid``), for another
    name (``other-name``) and for NAME but expired yesterday (``expired``)."""
    folder = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = ("ecs-blue-green test CA", ca_key)
    ca_file = folder / "ca.pem"
    ca_file.write_bytes(_certificate(ca[0], ca_key).public_bytes(serialization.Encoding.PEM))
    servers: dict[str, tuple[Path, Path]] = {}
    for kind, dns_name, valid_days in (
        ("valid", NAME, (-1, 30)),
        ("other-name", OTHER_NAME, (-1, 30)),
        ("expired", NAME, (-30, -1)),
    ):
        key = ec.generate_private_key(ec.SECP256R1())
        certificate = _certificate(dns_name, key, ca, valid_days=valid_days)
        cert_file, key_file = folder / f"{kind}.pem", folder / f"{kind}.key"
        cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        servers[kind] = (cert_file, key_file)
    return Pki(ca_file, servers)


class _TlsServer(_Server):
    """The fake ALB node behind an HTTPS listener: the certificate it presents is the one
    ``behaviour.certificate`` names, and the SNI each client sends is recorded."""

    contexts: dict[str, ssl.SSLContext]

    def finish_request(self, request: Any, client_address: Any) -> None:
        """The handshake runs in the connection's own thread: a client that stalls it, or
        rejects the certificate, holds no one else up."""
        request.settimeout(5)
        context = self.contexts[self.behaviour.certificate]
        try:
            connection = context.wrap_socket(request, server_side=True)
        except OSError:  # the client rejected the certificate, or went away
            return
        with connection:
            super().finish_request(connection, client_address)

    def record_server_name(self, _sock: Any, server_name: str | None, _context: Any) -> None:
        with self.behaviour.lock:
            self.behaviour.server_names.append(server_name)


@pytest.fixture(scope="module")
def tls_server(pki: Pki) -> Iterator[_TlsServer]:
    httpd = _TlsServer(("127.0.0.1", 0), _Handler)
    httpd.contexts = {}
    for kind, (cert_file, key_file) in pki.servers.items():
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        context.sni_callback = httpd.record_server_name
        httpd.contexts[kind] = context
    with serving(httpd):
        yield httpd


@pytest.fixture
def tls_alb(tls_server: _TlsServer) -> Behaviour:
    """A healthy node serving VERSION over HTTPS with a valid certificate for NAME."""
    tls_server.behaviour = Behaviour()
    tls_server.behaviour.healthy()
    return tls_server.behaviour


@pytest.fixture
def tls_port(tls_server: _TlsServer) -> int:
    return int(tls_server.server_address[1])


@pytest.fixture
def trusting(pki: Pki) -> ssl.SSLContext:
    """A verifying client context whose only trusted CA is the session's."""
    return ssl.create_default_context(cafile=str(pki.ca_file))


@pytest.fixture
def stalled_port() -> Iterator[int]:
    """A listener nobody accepts on: the kernel completes the TCP handshake, and the TLS
    handshake then waits forever for the server's answer."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        yield int(listener.getsockname()[1])


@pytest.fixture
def https_env(
    env: pytest.MonkeyPatch, pki: Pki, tls_port: int, tls_alb: Behaviour
) -> pytest.MonkeyPatch:
    """The handler configured for the HTTPS node, its default trust store being the
    session's CA: OpenSSL reads ``SSL_CERT_FILE`` when ``ssl.create_default_context()``
    loads the default store, so the handler runs exactly its production code."""
    env.setenv("TEST_PORT", str(tls_port))
    env.setenv("TEST_HOST_NAME", NAME)
    env.setenv("SSL_CERT_FILE", str(pki.ca_file))
    env.delenv("SSL_CERT_DIR", raising=False)
    return env


# configuration


def test_config_without_test_host_name_probes_over_http(env: pytest.MonkeyPatch) -> None:
    for value in (None, "", "  "):
        if value is None:
            env.delenv("TEST_HOST_NAME", raising=False)
        else:
            env.setenv("TEST_HOST_NAME", value)
        config = hook.load_config(dict(os.environ))
        assert (config.test_host_name, config.scheme, config.probe_host) == (None, "http", DNS)


LONGEST_NAME = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])  # 253 characters


@pytest.mark.parametrize(
    "name",
    [NAME, "a", f"{'x' * 63}.example.com", LONGEST_NAME, "1-2.example.com", "xn--bcher-kva.ch"],
)
def test_config_accepts_test_host_names(env: pytest.MonkeyPatch, name: str) -> None:
    env.setenv("TEST_HOST_NAME", f" {name} ")
    config = hook.load_config(dict(os.environ))
    assert (config.test_host_name, config.scheme, config.probe_host) == (name, "https", name)
    assert config.load_balancer_dns == DNS


@pytest.mark.parametrize(
    "name",
    [
        "App.example.test",
        f"{NAME}.",
        f"-{NAME}",
        "app-.example.test",
        "app..example.test",
        f"{'a' * 64}.example.test",
        LONGEST_NAME + "d",
        f"https://{NAME}",
        f"{NAME}:443",
        f"*.{NAME}",
        "app_1.example.test",
        "café.example.test",
    ],
    ids=[
        "uppercase",
        "trailing-dot",
        "leading-hyphen",
        "label-ending-hyphen",
        "empty-label",
        "label-over-63",
        "name-over-253",
        "url",
        "port",
        "wildcard",
        "underscore",
        "non-ascii",
    ],
)
def test_config_rejects_bad_test_host_names(env: pytest.MonkeyPatch, name: str) -> None:
    env.setenv("TEST_HOST_NAME", name)
    with pytest.raises(hook.ConfigError) as raised:
        hook.load_config(dict(os.environ))
    assert "TEST_HOST_NAME must be a DNS host name (lowercase labels of 1-63" in str(raised.value)
    assert repr(name) in str(raised.value)


# one HTTPS probe


def test_https_probe_verifies_the_certificate_against_the_domain(
    tls_alb: Behaviour, tls_port: int, trusting: ssl.SSLContext
) -> None:
    """Connected to the IP, the probe sends the domain as SNI and Host, and the certificate
    (for the domain only) passes because it is checked against the domain."""
    result = hook.probe("127.0.0.1", tls_port, NAME, "/health", 1.0, tls=trusting)
    assert (result.ip, result.status, result.body, result.error) == ("127.0.0.1", 200, "ok\n", None)
    assert tls_alb.server_names == [NAME]
    assert tls_alb.requests == [("/health", NAME)]


@pytest.mark.parametrize(
    ("certificate", "message"),
    [
        ("other-name", f"Hostname mismatch, certificate is not valid for '{NAME}'."),
        ("expired", "certificate has expired"),
    ],
)
def test_https_probe_rejects_a_bad_certificate_from_the_right_address(
    tls_alb: Behaviour,
    tls_port: int,
    trusting: ssl.SSLContext,
    *,
    certificate: str,
    message: str,
) -> None:
    tls_alb.certificate = certificate
    result = hook.probe("127.0.0.1", tls_port, NAME, "/health", 1.0, tls=trusting)
    assert (result.status, result.body) == (None, None)
    assert result.error == f"certificate verify failed: {message}"
    assert tls_alb.server_names == [NAME]
    assert tls_alb.requests == []  # nothing is sent over a connection that failed the check


def test_https_probe_with_the_default_trust_store_rejects_an_unknown_ca(
    tls_alb: Behaviour, tls_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    result = hook.probe("127.0.0.1", tls_port, NAME, "/health", 1.0, tls=hook.default_tls_context())
    assert result.error == "certificate verify failed: unable to get local issuer certificate"
    assert tls_alb.requests == []


def test_default_tls_context_checks_chain_and_host_name() -> None:
    context = hook.default_tls_context()
    assert (context.verify_mode, context.check_hostname) == (ssl.CERT_REQUIRED, True)


@pytest.mark.parametrize("weaken", ["check_hostname", "verify_mode"])
def test_https_probe_refuses_a_context_that_skips_a_check(
    tls_alb: Behaviour, tls_port: int, pki: Pki, weaken: str
) -> None:
    context = ssl.create_default_context(cafile=str(pki.ca_file))
    if weaken == "verify_mode":
        context.verify_mode = ssl.CERT_OPTIONAL  # the host name alone would still be checked
    else:
        context.check_hostname = False  # the chain alone would still be checked
    result = hook.probe("127.0.0.1", tls_port, NAME, "/health", 1.0, tls=context)
    assert result.error is not None
    assert result.error.startswith("TLS context refused")
    assert tls_alb.server_names == []  # not even connected


def test_https_probe_to_a_plain_http_listener_fails(
    alb: Behaviour, port: int, trusting: ssl.SSLContext
) -> None:
    result = hook.probe("127.0.0.1", port, NAME, "/health", 1.0, tls=trusting)
    assert (result.status, result.body) == (None, None)
    assert result.error is not None
    assert "SSL" in result.error or "ssl" in result.error


def test_https_probe_does_not_follow_redirects(
    tls_alb: Behaviour, tls_port: int, trusting: ssl.SSLContext
) -> None:
    tls_alb.routes["/"] = (302, "", {"Location": f"https://{NAME}/health"})
    result = hook.probe("127.0.0.1", tls_port, NAME, "/", 1.0, tls=trusting)
    assert result.status == 302
    assert tls_alb.requests == [("/", NAME)]


def test_https_probe_reads_at_most_max_body_bytes(
    tls_alb: Behaviour, tls_port: int, trusting: ssl.SSLContext
) -> None:
    tls_alb.routes["/"] = (200, "v" * (hook.MAX_BODY_BYTES + 1000), {})
    result = hook.probe("127.0.0.1", tls_port, NAME, "/", 2.0, tls=trusting)
    assert (result.status, result.error) == (200, None)
    assert result.body == "v" * hook.MAX_BODY_BYTES


def test_https_probe_timeout_bounds_the_whole_request(
    tls_alb: Behaviour, tls_port: int, trusting: ssl.SSLContext
) -> None:
    """Over TLS too, a trickled body is cut when the request's time is up."""
    tls_alb.routes["/health"] = (200, "x" * 100, {})
    tls_alb.trickle_seconds = 0.02  # 2 s for the whole body
    result = hook.probe("127.0.0.1", tls_port, NAME, "/health", 0.5, tls=trusting)
    assert (result.status, result.body, result.error) == (None, None, "timed out after 0.5s")
    assert result.elapsed_ms < 1500  # cut at 0.5 s, not after the body's 2 s


def test_https_probe_cuts_a_stalled_handshake(stalled_port: int, trusting: ssl.SSLContext) -> None:
    """(The handshake's own socket timeout is the same 0.1 s, so which of the two ends it
    is a race: the test below shows the watchdog alone does.)"""
    result = hook.probe("127.0.0.1", stalled_port, NAME, "/health", 0.1, tls=trusting)
    assert (result.status, result.body) == (None, None)
    assert result.error is not None
    assert "timed out" in result.error
    assert result.elapsed_ms < 1000


def test_watchdog_cuts_a_stalled_handshake_before_the_socket_timeout(
    stalled_port: int, trusting: ssl.SSLContext
) -> None:
    """The watchdog, not the 10 s socket timeout, ends the handshake: the socket it cuts is
    the one the handshake runs on."""
    start = time.monotonic()
    with hook._Watchdog(0.1) as watchdog:
        connection = hook._WatchedHTTPSConnection(
            "127.0.0.1",
            stalled_port,
            timeout=10,
            watchdog=watchdog,
            server_name=NAME,
            context=trusting,
        )
        with pytest.raises(ssl.SSLError, match="EOF"):
            connection.connect()
        connection.close()
    assert watchdog.fired
    assert time.monotonic() - start < 2


# the verification loop over HTTPS


def test_verify_over_https_makes_one_context_and_sends_the_domain() -> None:
    clock = FakeClock()
    context = ssl.create_default_context()
    made: list[ssl.SSLContext] = []
    calls: list[tuple[str, Any]] = []

    def tls_context() -> ssl.SSLContext:
        made.append(context)
        return context

    def fetch(ip: str, port: int, host: str, path: str, timeout: float, *, tls: Any = None) -> Any:
        calls.append((host, tls))
        return hook.ProbeResult(ip, path, 200, "", None, 1)

    logged: list[dict[str, Any]] = []
    outcome = hook.verify(
        ["10.0.0.1", "10.0.0.2"],
        loop_config(test_host_name=NAME),
        None,
        fetch=fetch,
        tls_context=tls_context,
        clock=clock,
        sleep=clock.sleep,
        log=logged.append,
    )
    assert outcome.status == "Succeeded"
    assert made == [context]
    assert calls == [(NAME, context)] * 4
    assert {(r["scheme"], r["host"]) for r in logged} == {("https", NAME)}


def test_verify_over_http_makes_no_tls_context() -> None:
    clock = FakeClock()
    fetch, calls = scripted_fetch(clock, [200])  # asserts tls is None and host is DNS

    def no_context() -> ssl.SSLContext:
        raise AssertionError("no TLS context for plain HTTP")

    outcome = hook.verify(
        ["10.0.0.1"],
        loop_config(),
        None,
        fetch=fetch,
        tls_context=no_context,
        clock=clock,
        sleep=clock.sleep,
        log=lambda record: None,
    )
    assert outcome.status == "Succeeded"
    assert len(calls) == 2


def test_verify_over_https_against_the_node(
    tls_alb: Behaviour, tls_port: int, trusting: ssl.SSLContext
) -> None:
    config = loop_config(
        test_port=tls_port,
        test_host_name=NAME,
        interval_seconds=0.01,
        request_timeout_seconds=1.0,
        probes=(hook.Probe("/health", 200, body="ok"),),
    )
    logged: list[dict[str, Any]] = []
    outcome = hook.verify(
        ["127.0.0.1"], config, None, tls_context=lambda: trusting, log=logged.append
    )
    assert (outcome.status, outcome.rounds) == ("Succeeded", 2)
    assert tls_alb.server_names == [NAME, NAME]


# the handlers, end to end over HTTPS


def test_https_healthy_release_succeeds(
    https_env: pytest.MonkeyPatch,
    tls_alb: Behaviour,
    aws: Aws,
    capsys: pytest.CaptureFixture[str],
) -> None:
    aws.enis("127.0.0.1")
    aws.version_lookup()
    aws.status("Succeeded")
    result = run(aws)
    assert (result["status"], result["rounds"]) == ("Succeeded", 2)
    assert tls_alb.requests == [("/health", NAME), ("/", NAME)] * 2
    assert tls_alb.server_names == [NAME] * 4
    lines = log_lines(capsys)
    assert [line["event"] for line in lines] == ["probe"] * 4 + ["summary"]
    assert {(line["scheme"], line["host"], line["ok"]) for line in lines[:4]} == {
        ("https", NAME, True)
    }


def test_https_certificate_for_another_name_fails_the_release(
    https_env: pytest.MonkeyPatch, tls_alb: Behaviour, aws: Aws
) -> None:
    failing_fast(https_env)
    tls_alb.certificate = "other-name"
    aws.enis("127.0.0.1")
    aws.version_lookup()
    aws.status("Failed")
    result = run(aws)
    assert result["status"] == "Failed"
    assert (
        "127.0.0.1/health: request failed: certificate verify failed: Hostname mismatch, "
        f"certificate is not valid for '{NAME}'"
    ) in result["reason"]
    assert tls_alb.requests == []


def test_https_untrusted_certificate_fails_the_release(
    https_env: pytest.MonkeyPatch, tls_alb: Behaviour, aws: Aws
) -> None:
    """Without the session's CA in the default trust store, the same node fails."""
    failing_fast(https_env)
    https_env.delenv("SSL_CERT_FILE")
    aws.enis("127.0.0.1")
    aws.version_lookup()
    aws.status("Failed")
    result = run(aws)
    assert "certificate verify failed: unable to get local issuer certificate" in result["reason"]
    assert tls_alb.requests == []


def test_bad_test_host_name_is_reported_as_failed(
    env: pytest.MonkeyPatch, aws: Aws, alb: Behaviour
) -> None:
    env.setenv("TEST_HOST_NAME", "App.Example.test")
    aws.status("Failed")  # and no lookup with a broken configuration
    result = run(aws)
    assert result["reason"].startswith("ConfigError: invalid configuration")
    assert "TEST_HOST_NAME must be a DNS host name" in result["reason"]
    assert alb.requests == []


def test_ecs_https_healthy_release_succeeds(
    https_env: pytest.MonkeyPatch,
    tls_alb: Behaviour,
    aws: Aws,
    capsys: pytest.CaptureFixture[str],
) -> None:
    aws.enis("127.0.0.1")
    aws.revision()
    aws.task_definition()
    assert run_ecs(aws, https_env) == {"hookStatus": "SUCCEEDED"}
    assert tls_alb.requests == [("/health", NAME), ("/", NAME)] * 2
    assert tls_alb.server_names == [NAME] * 4
    assert log_lines(capsys)[-1]["reason"] == "2 consecutive passing rounds"


@pytest.mark.parametrize(
    ("certificate", "message"),
    [
        ("other-name", "Hostname mismatch"),
        ("expired", "certificate has expired"),
    ],
)
def test_ecs_https_bad_certificate_fails_the_release(
    https_env: pytest.MonkeyPatch,
    tls_alb: Behaviour,
    aws: Aws,
    capsys: pytest.CaptureFixture[str],
    *,
    certificate: str,
    message: str,
) -> None:
    failing_fast(https_env)
    tls_alb.certificate = certificate
    aws.enis("127.0.0.1")
    aws.revision()
    aws.task_definition()
    assert run_ecs(aws, https_env) == {"hookStatus": "FAILED"}
    reason = log_lines(capsys)[-1]["reason"]
    assert f"127.0.0.1/health: request failed: certificate verify failed: {message}" in reason
    assert tls_alb.requests == []
