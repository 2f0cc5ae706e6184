"""Test-traffic verification hook for an ECS blue/green release, for either deployment engine.

When this function is called, the ALB's test listener already routes to the new (green) tasks
while production traffic still goes to the original ones. The function probes the test
listener until the new tasks answer every configured check a few rounds in a row, then gives
its verdict: carry on, or roll back. Two entry points share the configuration, the probing
and the version rule; they differ in what the event names and how the verdict goes back:

* ``index.handler``: a CodeDeploy ``AfterAllowTestTraffic`` hook (service deployment
  controller ``CODE_DEPLOY``). The event holds ``DeploymentId`` and
  ``LifecycleEventHookExecutionId``; the new task definition is the one the deployment's
  AppSpec names; the verdict is sent with ``PutLifecycleEventHookExecutionStatus``
  (``Succeeded`` or ``Failed``).
* ``index.ecs_handler``: an ECS-native blue/green lifecycle hook (deployment controller
  ``ECS``, strategy ``BLUE_GREEN``, ``LINEAR`` or ``CANARY``) at ``POST_TEST_TRAFFIC_SHIFT``.
  The event is ``{"executionId", "lifecycleStage", "resourceArn", "executionDetails":
  {"serviceArn", "targetServiceRevisionArn", "testTrafficWeights",
  "productionTrafficWeights"}}``; the new task definition is the target service revision's;
  the verdict is the return value, ``{"hookStatus": "SUCCEEDED" | "FAILED"}``. The check
  finishes within one invocation, so ``IN_PROGRESS`` (ECS calling again later) is never used.
  CodeDeploy is not involved.

The version a probe with ``body_is_version`` expects comes from the new task definition's
container ``VERSION_CONTAINER``: its environment variable ``VERSION_VARIABLE`` if it defines
one, else its image tag (``repo:tag``). Release task definitions of the ECS engine carry no
such variable (the image sets it, and is tagged with the same commit id); an image pinned by
digest, or untagged, names no version, which fails the check.

Why it works the way it does:

* The function runs in the VPC without internet access and the ALB is internet-facing, so
  its DNS name resolves to public addresses the function cannot reach. It connects instead to
  the private IPs of the ALB's network interfaces (whose description is ``ELB <arn-suffix>``)
  and sends the ALB's DNS name as the ``Host`` header.
* With ``TEST_HOST_NAME`` set (the test listener serves a certificate for a custom domain),
  the probes go over HTTPS to those same private IPs, sending the domain as SNI and ``Host``,
  and the certificate is verified against the domain, not the IP, with the runtime's default
  trust store (ACM's public certificates chain to Amazon's roots). A wrong name, an untrusted
  chain or an expired certificate fails the probe like any error: clients would reject it too.
* Every ALB node is probed: a node that cannot reach the green tasks fails the round.
* A verdict is always given, whatever goes wrong (configuration, lookups, a malformed ECS
  event): without one, CodeDeploy waits for the hook to time out (an hour) before it rolls
  back, and ECS waits for its hook timeout.

Runtime: python3.12 with its bundled boto3; standard library otherwise.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import json
import math
import os
import re
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

Status = Literal["Succeeded", "Failed"]
HookStatus = Literal["SUCCEEDED", "FAILED"]
LogRecord = dict[str, Any]
Log = Callable[[LogRecord], None]
Clock = Callable[[], float]
Sleep = Callable[[float], None]
TlsContext = Callable[[], ssl.SSLContext]

# Defaults of the optional environment variables.
DEFAULT_VERSION_VARIABLE = "VERSION"
DEFAULT_DEADLINE_SECONDS = 120.0
DEFAULT_INTERVAL_SECONDS = 5.0
DEFAULT_REQUEST_TIMEOUT_SECONDS = 3.0
DEFAULT_REQUIRED_PASSES = 2

# Seconds kept back from the Lambda's own timeout for the final status call: a function
# killed by its timeout reports nothing, and CodeDeploy would wait an hour to roll back.
STATUS_CALL_RESERVE_SECONDS = 10.0
# The ECS lifecycle stage this function verifies: test traffic goes to the new revision.
ECS_LIFECYCLE_STAGE = "POST_TEST_TRAFFIC_SHIFT"
_HOOK_STATUS: dict[Status, HookStatus] = {"Succeeded": "SUCCEEDED", "Failed": "FAILED"}
# Only the start of a body is compared or logged; an error page can be large.
MAX_BODY_BYTES = 64 * 1024
MAX_LOGGED_BODY_CHARS = 120
USER_AGENT = "codedeploy-verify-test-traffic"

_LOAD_BALANCER_SUFFIX = re.compile(r"app/[A-Za-z0-9-]+/[0-9a-f]+")
_HOSTNAME = re.compile(r"[A-Za-z0-9.-]+")
# TEST_HOST_NAME: a DNS host name, lowercase (one spelling, so the construct's check and this
# one agree), labels of 1-63 characters without a hyphen at either end, 253 in all.
_DNS_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DNS_NAME = re.compile(rf"(?=.{{1,253}}\Z){_DNS_LABEL}(?:\.{_DNS_LABEL})*")
_DNS_NAME_RULES = (
    "lowercase labels of 1-63 letters, digits or hyphens, no hyphen at either end of a label, "
    "at most 253 characters, no trailing dot"
)
# A task definition ARN in an AppSpec, YAML or JSON: only characters an ARN can hold, so a
# quote, comma or bracket after it (JSON, flow-style YAML) is left out.
_TASK_DEFINITION_ARN = re.compile(
    r"arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition/[A-Za-z0-9_-]+(?::\d+)?"
)
# A Docker image tag: what may follow the last colon of an image reference's last component.
_IMAGE_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_PROBE_KEYS = frozenset({"path", "status", "body", "body_is_version"})
_HTTP_STATUS_MIN = 100
_HTTP_STATUS_MAX = 599
_PORT_MAX = 65535


class ConfigError(ValueError):
    """The function's environment variables are missing or malformed."""


class LookupFailedError(RuntimeError):
    """A fact the check depends on (ALB nodes, deployed version) could not be found."""


class EventError(ValueError):
    """The invocation event lacks what the function needs, or is for another stage."""


@dataclass(frozen=True)
class Probe:
    """One HTTP check: ``path`` must answer ``status`` and, optionally, a given body."""

    path: str
    status: int
    body: str | None = None
    body_is_version: bool = False


@dataclass(frozen=True)
class Config:
    """Everything the function reads from its environment, validated once per invocation."""

    load_balancer: str
    load_balancer_dns: str
    test_port: int
    probes: tuple[Probe, ...]
    version_container: str | None
    version_variable: str
    deadline_seconds: float
    interval_seconds: float
    request_timeout_seconds: float
    required_passes: int
    test_host_name: str | None = None

    @property
    def needs_version(self) -> bool:
        """Whether a probe compares against the deployed version, which costs two API calls."""
        return any(p.body_is_version for p in self.probes)

    @property
    def scheme(self) -> str:
        """``https`` when the test listener serves a certificate for ``test_host_name``."""
        return "http" if self.test_host_name is None else "https"

    @property
    def probe_host(self) -> str:
        """The ``Host`` of every probe; over HTTPS also the SNI and the certificate's name."""
        return self.load_balancer_dns if self.test_host_name is None else self.test_host_name


@dataclass(frozen=True)
class ProbeResult:
    """What one request returned: a status and body, or the error that prevented one."""

    ip: str
    path: str
    status: int | None
    body: str | None
    error: str | None
    elapsed_ms: int


@dataclass(frozen=True)
class Outcome:
    """The verdict given to the deployment engine, with the reason logged."""

    status: Status
    reason: str
    rounds: int = 0


class Fetch(Protocol):
    """How :func:`verify` sends one probe: :func:`probe`, or a test's stand-in."""

    def __call__(
        self,
        ip: str,
        port: int,
        host: str,
        path: str,
        timeout: float,
        *,
        tls: ssl.SSLContext | None = None,
    ) -> ProbeResult: ...


# --- configuration --------------------------------------------------------------------


def load_config(env: Mapping[str, str]) -> Config:
    """Read and validate the environment variables, reporting every problem at once.

    Validation happens up front so a misconfigured function fails with a message naming the
    variable, rather than as an obscure error in the middle of probing.
    """
    errors: list[str] = []

    def required(name: str) -> str:
        value = env.get(name, "").strip()
        if not value:
            errors.append(f"{name} is required")
        return value

    load_balancer = required("LOAD_BALANCER")
    if load_balancer and not _LOAD_BALANCER_SUFFIX.fullmatch(load_balancer):
        errors.append(f"LOAD_BALANCER must be an ALB ARN suffix app/<name>/<id>: {load_balancer!r}")
    dns = required("LOAD_BALANCER_DNS")
    if dns and not _HOSTNAME.fullmatch(dns):
        errors.append(f"LOAD_BALANCER_DNS must be a bare host name: {dns!r}")
    port = _number(env, "TEST_PORT", errors, kind=int, minimum=1, maximum=_PORT_MAX)
    host_name = env.get("TEST_HOST_NAME", "").strip() or None
    if host_name is not None and not _DNS_NAME.fullmatch(host_name):
        errors.append(f"TEST_HOST_NAME must be a DNS host name ({_DNS_NAME_RULES}): {host_name!r}")
    probes = _probes(required("PROBES"), errors)
    container = env.get("VERSION_CONTAINER", "").strip() or None
    if container is None and any(p.body_is_version for p in probes):
        errors.append("VERSION_CONTAINER is required when a probe has body_is_version")
    variable = env.get("VERSION_VARIABLE", "").strip() or DEFAULT_VERSION_VARIABLE
    deadline = _number(
        env,
        "DEADLINE_SECONDS",
        errors,
        kind=float,
        minimum=0.001,
        default=DEFAULT_DEADLINE_SECONDS,
    )
    interval = _number(
        env, "INTERVAL_SECONDS", errors, kind=float, minimum=0, default=DEFAULT_INTERVAL_SECONDS
    )
    timeout = _number(
        env,
        "REQUEST_TIMEOUT_SECONDS",
        errors,
        kind=float,
        minimum=0.001,
        default=DEFAULT_REQUEST_TIMEOUT_SECONDS,
    )
    passes = _number(
        env, "REQUIRED_PASSES", errors, kind=int, minimum=1, default=DEFAULT_REQUIRED_PASSES
    )

    if errors:
        raise ConfigError("invalid configuration: " + "; ".join(errors))
    return Config(
        load_balancer=load_balancer,
        load_balancer_dns=dns,
        test_port=int(port),
        probes=probes,
        version_container=container,
        version_variable=variable,
        deadline_seconds=float(deadline),
        interval_seconds=float(interval),
        request_timeout_seconds=float(timeout),
        required_passes=int(passes),
        test_host_name=host_name,
    )


def _number(
    env: Mapping[str, str],
    name: str,
    errors: list[str],
    *,
    kind: type[int] | type[float],
    minimum: float,
    maximum: float | None = None,
    default: float | None = None,
) -> float:
    """Parse one numeric variable; a bad value is recorded in ``errors`` rather than raised."""
    raw = env.get(name, "").strip()
    if not raw:
        if default is None:
            errors.append(f"{name} is required")
            return 0
        return default
    try:
        value: float = kind(raw)
    except ValueError:
        errors.append(f"{name} must be {'an integer' if kind is int else 'a number'}: {raw!r}")
        return 0
    if not math.isfinite(value) or value < minimum or (maximum is not None and value > maximum):
        bounds = f">= {minimum:g}" if maximum is None else f"between {minimum:g} and {maximum:g}"
        errors.append(f"{name} must be {bounds}: {raw!r}")
    return value


def _probes(raw: str, errors: list[str]) -> tuple[Probe, ...]:
    """Parse ``PROBES``: unknown keys are errors, so a typo cannot silently skip a check."""
    if not raw:
        return ()
    try:
        items = json.loads(raw)
    except json.JSONDecodeError as exc:
        errors.append(f"PROBES is not valid JSON: {exc}")
        return ()
    if not isinstance(items, list) or not items:
        errors.append("PROBES must be a non-empty JSON list of objects")
        return ()
    probes: list[Probe] = []
    for index, item in enumerate(items):
        problem = _probe_problem(item)
        if problem:
            errors.append(f"PROBES[{index}] {problem}")
            continue
        probes.append(
            Probe(
                path=item["path"],
                status=item["status"],
                body=item.get("body"),
                body_is_version=item.get("body_is_version", False),
            )
        )
    return tuple(probes)


def _probe_problem(item: object) -> str | None:
    """Why one ``PROBES`` entry is unusable, or None if it is fine."""
    if not isinstance(item, dict):
        return "must be an object"
    unknown = sorted(set(item) - _PROBE_KEYS)
    path, status, body = item.get("path"), item.get("status"), item.get("body", "")
    is_version = item.get("body_is_version", False)
    path_ok = isinstance(path, str) and path.startswith("/") and not any(map(str.isspace, path))
    status_ok = type(status) is int and _HTTP_STATUS_MIN <= status <= _HTTP_STATUS_MAX
    problems = [
        (bool(unknown), f"has unknown keys {unknown}"),
        (not path_ok, f"path must start with / and contain no whitespace: {path!r}"),
        (not status_ok, f"status must be an HTTP status code: {status!r}"),
        (not isinstance(body, str), "body must be a string"),
        (not isinstance(is_version, bool), "body_is_version must be true or false"),
        ("body" in item and is_version is True, "cannot have both body and body_is_version"),
    ]
    return next((message for failed, message in problems if failed), None)


# --- AWS lookups ----------------------------------------------------------------------


def node_addresses(ec2: Any, load_balancer: str) -> list[str]:
    """Private IPs of the ALB's nodes, one per network interface the ALB owns.

    The function cannot reach the public addresses behind an internet-facing ALB's DNS name,
    but it can reach these from inside the VPC; ELB names each interface ``ELB <arn-suffix>``.
    """
    paginator = ec2.get_paginator("describe_network_interfaces")
    pages = paginator.paginate(
        Filters=[{"Name": "description", "Values": [f"ELB {load_balancer}"]}]
    )
    addresses = {
        interface["PrivateIpAddress"]
        for page in pages
        for interface in page.get("NetworkInterfaces", [])
        if interface.get("PrivateIpAddress")
    }
    if not addresses:
        raise LookupFailedError(f"no network interfaces found for load balancer {load_balancer}")
    return sorted(addresses)


def task_definition_arn(appspec_content: str) -> str:
    """The one task definition ARN in an ECS AppSpec, whether written as YAML or JSON.

    A regular expression rather than a parser: the runtime has no YAML library, and the
    AppSpec names exactly one task definition (hook entries are Lambda ARNs, which differ).
    """
    arns = {match.group(0) for match in _TASK_DEFINITION_ARN.finditer(appspec_content)}
    if len(arns) != 1:
        found = "no" if not arns else f"{len(arns)} different"
        raise LookupFailedError(f"{found} task definition ARNs in the deployment's AppSpec")
    return arns.pop()


def image_tag(image: str) -> str:
    """The tag of an image reference ``[registry[:port]/]repository:tag``.

    A reference by digest (``repository@sha256:...``, with or without a tag) or without a tag
    names no version: what runs is the digest, or whatever ``latest`` was at pull time.
    """
    if "@" in image:
        raise LookupFailedError(f"image {image!r} is referenced by digest, which names no version")
    # A registry port is a colon too, but only before the last slash.
    _, colon, tag = image.rpartition("/")[2].partition(":")
    if not image or not colon or not tag:
        raise LookupFailedError(f"image {image!r} has no tag")
    if not _IMAGE_TAG.fullmatch(tag):
        raise LookupFailedError(f"image {image!r} has a malformed tag {tag!r}")
    return tag


def container_version(definition: Mapping[str, Any], container: str, variable: str) -> str:
    """The version a container of a task definition runs, by the rule both engines share.

    The container's environment variable ``variable`` if it defines one, else its image tag.
    A variable set to an empty value is an error rather than a reason to look at the tag:
    the task definition's value replaces the image's, so the application sees it empty.
    """
    arn = definition.get("taskDefinitionArn") or "the task definition"
    containers = {c.get("name"): c for c in definition.get("containerDefinitions", [])}
    if container not in containers:
        raise LookupFailedError(f"task definition {arn} has no container named {container!r}")
    spec = containers[container]
    environment = {e.get("name"): e.get("value") for e in spec.get("environment", [])}
    if variable in environment:
        if not environment[variable]:
            raise LookupFailedError(
                f"container {container!r} in {arn} sets environment variable {variable!r} "
                "to an empty value"
            )
        return str(environment[variable])
    try:
        return image_tag(str(spec.get("image") or ""))
    except LookupFailedError as exc:
        raise LookupFailedError(
            f"container {container!r} in {arn} has no environment variable {variable!r}, "
            f"and its {exc}"
        ) from None


def task_definition_version(ecs: Any, task_definition: str, container: str, variable: str) -> str:
    """The version ``container`` runs in ``task_definition`` (an ARN or family:revision)."""
    definition = ecs.describe_task_definition(taskDefinition=task_definition)["taskDefinition"]
    return container_version(definition, container, variable)


def deployed_version(
    codedeploy: Any, ecs: Any, deployment_id: str, container: str, variable: str
) -> str:
    """The version a CodeDeploy deployment is deploying, from its new task definition.

    It is read from the deployment itself (its AppSpec names the new task definition) rather
    than from configuration, which would describe whatever was current when this function
    was last deployed.
    """
    info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    revision = info.get("revision", {})
    content = revision.get("appSpecContent", {}).get("content")
    if not content:
        kind = revision.get("revisionType", "unknown")
        raise LookupFailedError(
            f"deployment {deployment_id} has no inline AppSpec content (revision type {kind})"
        )
    return task_definition_version(ecs, task_definition_arn(content), container, variable)


def revision_version(ecs: Any, revision_arn: str, container: str, variable: str) -> str:
    """The version an ECS-native deployment is deploying, from its target service revision.

    The revision records the task definition it runs; the event names the revision.
    """
    response = ecs.describe_service_revisions(serviceRevisionArns=[revision_arn])
    revisions = response.get("serviceRevisions", [])
    if not revisions:
        reasons = ", ".join(
            str(f.get("reason") or "unknown reason") for f in response.get("failures", [])
        )
        raise LookupFailedError(
            f"service revision {revision_arn} not found ({reasons or 'no failure given'})"
        )
    task_definition = revisions[0].get("taskDefinition")
    if not task_definition:
        raise LookupFailedError(f"service revision {revision_arn} names no task definition")
    return task_definition_version(ecs, str(task_definition), container, variable)


# --- probing --------------------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Report a redirect as the response it is: following it could leave the test listener."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        """Decline every redirect, so urllib raises it as an HTTPError carrying its status."""
        return None


class _Watchdog:
    """Cuts a request's socket once its time is up.

    A socket timeout bounds each connect or read, not the request: a server that trickles
    its response could hold one probe, and so the whole hook, far past its deadline.
    """

    def __init__(self, seconds: float) -> None:
        self.fired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()

    def watch(self, sock: socket.socket) -> None:
        """Cut ``sock`` when time is up (at once if it already is)."""
        with self._lock:
            self._sockets.append(sock)
            if self.fired:
                _cut(sock)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            for sock in self._sockets:
                _cut(sock)


def _cut(sock: socket.socket) -> None:
    """Shut a socket down: a read blocked on it in another thread returns at once.

    The plain socket's ``shutdown`` even for a TLS socket: it acts on the connection only,
    where ``SSLSocket.shutdown`` would also drop the TLS state under the thread using it.
    """
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _WatchedConnection(http.client.HTTPConnection):
    """An HTTP connection that hands its socket to a watchdog as soon as it connects."""

    def __init__(self, *args: Any, watchdog: _Watchdog, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._watchdog = watchdog

    def connect(self) -> None:
        super().connect()
        self._watchdog.watch(self.sock)


class _WatchedHTTPHandler(urllib.request.HTTPHandler):
    """urllib's HTTP handler, opening watched connections."""

    def __init__(self, watchdog: _Watchdog) -> None:
        super().__init__()
        self._watchdog = watchdog

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        connection = functools.partial(_WatchedConnection, watchdog=self._watchdog)
        return self.do_open(connection, req)


class _WatchedHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection to an address whose certificate is verified against a name.

    ``http.client`` would send the address as SNI and match the certificate against it; an
    ALB node's certificate is for the domain, so the handshake is done here with
    ``server_name``. The socket is watched before the handshake, where a stalled server
    would otherwise hold it for as long as the socket timeout allows.
    """

    def __init__(
        self,
        *args: Any,
        watchdog: _Watchdog,
        server_name: str,
        context: ssl.SSLContext,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, context=context, **kwargs)
        self._watchdog = watchdog
        self._server_name = server_name
        self._tls = context

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)  # TCP only: the TLS part follows
        tls_socket = self._tls.wrap_socket(
            self.sock, server_hostname=self._server_name, do_handshake_on_connect=False
        )
        self.sock = tls_socket  # closed with the connection, even if the handshake fails
        self._watchdog.watch(tls_socket)
        tls_socket.do_handshake()


class _WatchedHTTPSHandler(urllib.request.HTTPSHandler):
    """urllib's HTTPS handler, opening watched connections verified against ``server_name``."""

    def __init__(self, watchdog: _Watchdog, tls: ssl.SSLContext, server_name: str) -> None:
        super().__init__(context=tls)  # given, so urllib builds no default context of its own
        self._watchdog = watchdog
        self._tls = tls
        self._server_name = server_name

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        connection = functools.partial(
            _WatchedHTTPSConnection,
            watchdog=self._watchdog,
            server_name=self._server_name,
            context=self._tls,
        )
        return self.do_open(connection, req)


def default_tls_context() -> ssl.SSLContext:
    """What HTTPS probes verify with: the runtime's default trust store, chain and name checked.

    ACM's public certificates chain to Amazon's roots, which the Lambda runtime's system
    store holds. HTTP/1.1 is offered by ALPN because it is all ``http.client`` speaks.
    """
    context = ssl.create_default_context()
    context.set_alpn_protocols(["http/1.1"])
    return context


def _verifies(tls: ssl.SSLContext) -> bool:
    """Whether ``tls`` checks both the chain and the host name: without either check, a
    probe would pass a listener serving a certificate that clients reject."""
    return tls.verify_mode == ssl.CERT_REQUIRED and tls.check_hostname


def _opener(
    watchdog: _Watchdog, host: str, tls: ssl.SSLContext | None
) -> urllib.request.OpenerDirector:
    """No proxy (the request must reach the ALB node it names), no redirects (they could
    leave the test listener), and connections the watchdog can cut."""
    transport: urllib.request.BaseHandler = (
        _WatchedHTTPHandler(watchdog) if tls is None else _WatchedHTTPSHandler(watchdog, tls, host)
    )
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects(), transport)


def _error_text(reason: object) -> str:
    """A request error in one line; a rejected certificate says which check failed (host
    name mismatch, unknown issuer, expiry) without OpenSSL's codes around it."""
    if isinstance(reason, ssl.SSLCertVerificationError):
        return f"certificate verify failed: {reason.verify_message or reason}"
    return str(reason) or type(reason).__name__


def probe(
    ip: str,
    port: int,
    host: str,
    path: str,
    timeout: float,
    *,
    tls: ssl.SSLContext | None = None,
) -> ProbeResult:
    """One GET to one ALB node's test listener; never raises, errors come back as results.

    ``timeout`` bounds the whole request, connection (and TLS handshake) to last byte, and
    only the first ``MAX_BODY_BYTES`` of the body are read. No proxy is used: the request
    must reach the ALB node it names. Without ``tls``: plain HTTP, ``host`` sent as
    ``Host``. With ``tls``: HTTPS, ``host`` sent as SNI and ``Host``, and the certificate
    must chain to a CA ``tls`` trusts and be valid for ``host`` (not for ``ip``); a context
    that would skip either check is refused.
    """
    if tls is not None and not _verifies(tls):
        refused = "TLS context refused: it does not verify certificate chains and host names"
        return ProbeResult(ip, path, None, None, refused, 0)
    target = f"[{ip}]" if ":" in ip else ip
    scheme = "http" if tls is None else "https"
    request = urllib.request.Request(  # noqa: S310 - the scheme is http or https, never file:
        f"{scheme}://{target}:{port}{path}",
        headers={"Host": host, "User-Agent": USER_AGENT},
    )
    start = time.monotonic()
    status: int | None = None
    body: str | None = None
    error: str | None = None
    with _Watchdog(timeout) as watchdog:
        opener = _opener(watchdog, host, tls)
        try:
            with opener.open(request, timeout=timeout) as response:
                status = response.status
                body = response.read(MAX_BODY_BYTES).decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:  # 3xx, 4xx and 5xx all land here
            status = exc.code
            try:
                body = exc.read(MAX_BODY_BYTES).decode("utf-8", "replace")
            except (OSError, http.client.HTTPException):
                body = ""
            finally:
                exc.close()
        except urllib.error.URLError as exc:
            error = _error_text(exc.reason)
        except (OSError, http.client.HTTPException) as exc:
            error = _error_text(exc)
    if watchdog.fired:  # whatever arrived, the response did not arrive in time
        status, body, error = None, None, f"timed out after {timeout:g}s"
    elapsed_ms = round((time.monotonic() - start) * 1000)
    return ProbeResult(ip, path, status, body, error, elapsed_ms)


def failure_reason(result: ProbeResult, check: Probe, version: str | None) -> str | None:
    """Why ``result`` does not satisfy ``check``, or None if it does."""
    if result.error is not None:
        return f"request failed: {result.error}"
    if result.status != check.status:
        return f"status {result.status}, expected {check.status}"
    expected = version if check.body_is_version else check.body
    if expected is None:
        return None
    actual = (result.body or "").strip()
    if actual != expected.strip():
        return f"body {_shorten(actual)!r}, expected {_shorten(expected.strip())!r}"
    return None


def _shorten(text: str) -> str:
    return text if len(text) <= MAX_LOGGED_BODY_CHARS else text[:MAX_LOGGED_BODY_CHARS] + "..."


def emit(record: LogRecord) -> None:
    """Write one JSON line to stdout, which Lambda sends to CloudWatch Logs as it stands."""
    print(json.dumps(record, separators=(",", ":")), flush=True)


def verify(
    addresses: Sequence[str],
    config: Config,
    version: str | None,
    *,
    budget_seconds: float | None = None,
    fetch: Fetch = probe,
    tls_context: TlsContext = default_tls_context,
    clock: Clock = time.monotonic,
    sleep: Sleep = time.sleep,
    log: Log = emit,
) -> Outcome:
    """Probe rounds until ``required_passes`` pass in a row, or the time budget runs out.

    A round sends every probe to every ALB node and passes only if all of them pass; one
    lucky round is not enough, so a failed round resets the count. No request starts and no
    sleep ends after the deadline, so this returns within the budget plus one request.
    With ``test_host_name`` set, every probe is HTTPS, verified with one context made by
    ``tls_context`` (the runtime's trust store; tests inject one trusting their own CA).
    """
    tls = tls_context() if config.test_host_name is not None else None
    budget = config.deadline_seconds if budget_seconds is None else budget_seconds
    deadline = clock() + budget
    rounds = passes = 0
    last_failure: str | None = None
    while clock() < deadline:
        rounds += 1
        finished, failure = _round(
            rounds,
            addresses=addresses,
            config=config,
            version=version,
            deadline=deadline,
            fetch=fetch,
            tls=tls,
            clock=clock,
            log=log,
        )
        if failure is not None:
            passes, last_failure = 0, failure
        elif not finished:  # cut short by the deadline: proves nothing either way
            break
        else:
            passes += 1
            if passes >= config.required_passes:
                return Outcome("Succeeded", f"{passes} consecutive passing rounds", rounds)
        remaining = deadline - clock()
        if remaining <= 0:
            break
        sleep(min(config.interval_seconds, remaining))
    reason = (
        f"deadline of {budget:g}s reached after {rounds} rounds "
        f"({passes}/{config.required_passes} consecutive passes)"
    )
    if last_failure is not None:
        reason += f"; last failure: {last_failure}"
    return Outcome("Failed", reason, rounds)


def _round(
    number: int,
    *,
    addresses: Sequence[str],
    config: Config,
    version: str | None,
    deadline: float,
    fetch: Fetch,
    tls: ssl.SSLContext | None,
    clock: Clock,
    log: Log,
) -> tuple[bool, str | None]:
    """Run one round: whether it finished before the deadline, and its first failure.

    A failing probe does not end the round early, so the log shows every node's state.
    """
    first_failure: str | None = None
    for ip in addresses:
        for check in config.probes:
            if clock() >= deadline:
                return False, first_failure
            result = fetch(
                ip,
                config.test_port,
                config.probe_host,
                check.path,
                config.request_timeout_seconds,
                tls=tls,
            )
            reason = failure_reason(result, check, version)
            log(
                {
                    "event": "probe",
                    "round": number,
                    "ip": result.ip,
                    "scheme": config.scheme,
                    "host": config.probe_host,
                    "path": result.path,
                    "status": result.status,
                    "error": result.error,
                    "elapsed_ms": result.elapsed_ms,
                    "ok": reason is None,
                    "reason": reason,
                }
            )
            if reason is not None and first_failure is None:
                first_failure = f"{ip}{check.path}: {reason}"
    return True, first_failure


def time_budget(config: Config, remaining_ms: int | None) -> float:
    """``DEADLINE_SECONDS``, shortened if needed so the status call fits in the Lambda timeout.

    The last request may overrun the budget by one request timeout, and the status call
    needs a few seconds after that.
    """
    if remaining_ms is None:
        return config.deadline_seconds
    spare = remaining_ms / 1000 - config.request_timeout_seconds - STATUS_CALL_RESERVE_SECONDS
    return max(0.0, min(config.deadline_seconds, spare))


# --- entry point ----------------------------------------------------------------------


def _client(name: str, clients: Mapping[str, Any] | None) -> Any:
    """An injected client if there is one, else a boto3 client with short timeouts.

    boto3 is imported here, not at module level, so tests can load this module and inject
    stubbed clients. The timeouts keep a missing VPC endpoint from hanging the function past
    its own timeout, which would leave CodeDeploy without a status.
    """
    if clients is not None and name in clients:
        return clients[name]
    import boto3  # type: ignore[import-untyped]
    from botocore.config import Config as BotoConfig  # type: ignore[import-untyped]

    settings = BotoConfig(
        connect_timeout=5, read_timeout=10, retries={"max_attempts": 3, "mode": "standard"}
    )
    return boto3.client(name, config=settings)


def _remaining_ms(context: Any) -> int | None:
    """Milliseconds left before Lambda stops the function, when the context can tell."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return int(remaining()) if callable(remaining) else None


def _failed(exc: Exception) -> Outcome:
    return Outcome("Failed", f"{type(exc).__name__}: {exc}")


def _verify_release(
    context: Any,
    clients: Mapping[str, Any] | None,
    summary: dict[str, Any],
    version_of: Callable[[Config], str],
) -> Outcome:
    """The check both entry points run; ``version_of`` looks the deployed version up.

    Never raises: any error (configuration, AWS lookups) becomes a ``Failed`` outcome, so
    the engine rolls back at once instead of waiting for the hook to time out.
    """
    try:
        config = load_config(os.environ)
        addresses = node_addresses(_client("ec2", clients), config.load_balancer)
        version = version_of(config) if config.needs_version else None
        budget = time_budget(config, _remaining_ms(context))
        summary.update(nodes=addresses, version=version, budget_seconds=budget)
        return verify(addresses, config, version, budget_seconds=budget)
    except Exception as exc:  # any failure must still be reported, as Failed
        return _failed(exc)


def handler(
    event: Mapping[str, Any], context: Any, *, clients: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """CodeDeploy entry point: verify the test listener and report the verdict to CodeDeploy.

    Any error before the verdict (configuration, AWS lookups) is reported as ``Failed`` so
    CodeDeploy rolls back at once. Only an event without the two IDs, or a failure of the
    status call itself, raises: then there is nobody, or no way, to report to.
    """
    deployment_id = str(event["DeploymentId"])
    execution_id = str(event["LifecycleEventHookExecutionId"])
    codedeploy = _client("codedeploy", clients)
    summary: dict[str, Any] = {"event": "summary", "deployment_id": deployment_id}

    def version_of(config: Config) -> str:
        return deployed_version(
            codedeploy,
            _client("ecs", clients),
            deployment_id,
            str(config.version_container),
            config.version_variable,
        )

    outcome = _verify_release(context, clients, summary, version_of)
    summary.update(status=outcome.status, reason=outcome.reason, rounds=outcome.rounds)
    emit(summary)
    codedeploy.put_lifecycle_event_hook_execution_status(
        deploymentId=deployment_id,
        lifecycleEventHookExecutionId=execution_id,
        status=outcome.status,
    )
    return {
        "deploymentId": deployment_id,
        "status": outcome.status,
        "reason": outcome.reason,
        "rounds": outcome.rounds,
    }


def ecs_target_revision(event: object) -> str:
    """The target service revision ARN of an ECS lifecycle hook event at our stage.

    A hook registered at another stage would probe a test listener that may not route to the
    new revision yet (or any more), so its verdict would mean nothing: that is an error too.
    """
    if not isinstance(event, Mapping):
        raise EventError(f"event must be an object, not {type(event).__name__}")
    stage = event.get("lifecycleStage")
    if stage != ECS_LIFECYCLE_STAGE:
        raise EventError(f"lifecycleStage is {stage!r}, this hook verifies {ECS_LIFECYCLE_STAGE}")
    details = event.get("executionDetails")
    if not isinstance(details, Mapping):
        raise EventError("executionDetails is missing or not an object")
    arn = details.get("targetServiceRevisionArn")
    if not isinstance(arn, str) or not arn.startswith("arn:") or ":service-revision/" not in arn:
        raise EventError(
            f"executionDetails.targetServiceRevisionArn is not a service revision ARN: {arn!r}"
        )
    return arn


def ecs_handler(
    event: Mapping[str, Any], context: Any, *, clients: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """ECS-native blue/green entry point: verify the test listener, return the verdict.

    ECS reads the verdict from the return value, ``{"hookStatus": "SUCCEEDED" | "FAILED"}``;
    ``FAILED`` rolls the deployment back. Nothing raises: a malformed event, a bad
    configuration or a failed lookup is ``FAILED``, with the reason in the logged summary.
    """
    summary: dict[str, Any] = {"event": "summary", "engine": "ecs"}
    if isinstance(event, Mapping):
        details = event.get("executionDetails")
        summary.update(
            execution_id=event.get("executionId"),
            lifecycle_stage=event.get("lifecycleStage"),
            service_deployment_arn=event.get("resourceArn"),
            service_revision_arn=(
                details.get("targetServiceRevisionArn") if isinstance(details, Mapping) else None
            ),
        )
    try:
        revision_arn = ecs_target_revision(event)
    except EventError as exc:
        outcome = _failed(exc)
    else:

        def version_of(config: Config) -> str:
            return revision_version(
                _client("ecs", clients),
                revision_arn,
                str(config.version_container),
                config.version_variable,
            )

        outcome = _verify_release(context, clients, summary, version_of)
    hook_status = _HOOK_STATUS[outcome.status]
    summary.update(
        status=outcome.status,
        hook_status=hook_status,
        reason=outcome.reason,
        rounds=outcome.rounds,
    )
    emit(summary)
    return {"hookStatus": hook_status}
