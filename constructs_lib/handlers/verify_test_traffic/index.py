"""CodeDeploy ``AfterAllowTestTraffic`` hook for an ECS blue/green deployment.

When CodeDeploy calls this function, the ALB's test listener already routes to the
replacement (green) task set while production traffic still goes to the original one. The
function probes the test listener until the new tasks answer every configured check a few
rounds in a row, then tells CodeDeploy ``Succeeded`` (carry on) or ``Failed`` (roll back).

Why it works the way it does:

* The function runs in the VPC without internet access and the ALB is internet-facing, so
  its DNS name resolves to public addresses the function cannot reach. It connects instead to
  the private IPs of the ALB's network interfaces (whose description is ``ELB <arn-suffix>``)
  and sends the ALB's DNS name as the ``Host`` header.
* Every ALB node is probed: a node that cannot reach the green tasks fails the round.
* A status is always reported, whatever goes wrong: without one, CodeDeploy waits for the
  hook to time out (an hour) before it rolls back.

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
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Status = Literal["Succeeded", "Failed"]
LogRecord = dict[str, Any]
Log = Callable[[LogRecord], None]
Clock = Callable[[], float]
Sleep = Callable[[float], None]

# Defaults of the optional environment variables.
DEFAULT_VERSION_VARIABLE = "VERSION"
DEFAULT_DEADLINE_SECONDS = 120.0
DEFAULT_INTERVAL_SECONDS = 5.0
DEFAULT_REQUEST_TIMEOUT_SECONDS = 3.0
DEFAULT_REQUIRED_PASSES = 2

# Seconds kept back from the Lambda's own timeout for the final status call: a function
# killed by its timeout reports nothing, and CodeDeploy would wait an hour to roll back.
STATUS_CALL_RESERVE_SECONDS = 10.0
# Only the start of a body is compared or logged; an error page can be large.
MAX_BODY_BYTES = 64 * 1024
MAX_LOGGED_BODY_CHARS = 120
USER_AGENT = "codedeploy-verify-test-traffic"

_LOAD_BALANCER_SUFFIX = re.compile(r"app/[A-Za-z0-9-]+/[0-9a-f]+")
_HOSTNAME = re.compile(r"[A-Za-z0-9.-]+")
# A task definition ARN in an AppSpec, YAML or JSON: only characters an ARN can hold, so a
# quote, comma or bracket after it (JSON, flow-style YAML) is left out.
_TASK_DEFINITION_ARN = re.compile(
    r"arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition/[A-Za-z0-9_-]+(?::\d+)?"
)
_PROBE_KEYS = frozenset({"path", "status", "body", "body_is_version"})
_HTTP_STATUS_MIN = 100
_HTTP_STATUS_MAX = 599
_PORT_MAX = 65535


class ConfigError(ValueError):
    """The function's environment variables are missing or malformed."""


class LookupFailedError(RuntimeError):
    """A fact the check depends on (ALB nodes, deployed version) could not be found."""


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

    @property
    def needs_version(self) -> bool:
        """Whether a probe compares against the deployed version, which costs two API calls."""
        return any(p.body_is_version for p in self.probes)


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
    """The verdict reported to CodeDeploy, with the reason logged and returned."""

    status: Status
    reason: str
    rounds: int = 0


Fetch = Callable[[str, int, str, str, float], ProbeResult]


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


def deployed_version(
    codedeploy: Any, ecs: Any, deployment_id: str, container: str, variable: str
) -> str:
    """The version being deployed: an environment variable of the new task definition.

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
    arn = task_definition_arn(content)
    definition = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
    containers = {c.get("name"): c for c in definition.get("containerDefinitions", [])}
    if container not in containers:
        raise LookupFailedError(f"task definition {arn} has no container named {container!r}")
    environment = {
        e.get("name"): e.get("value") for e in containers[container].get("environment", [])
    }
    version = environment.get(variable)
    if not version:
        raise LookupFailedError(
            f"container {container!r} in {arn} has no environment variable {variable!r}"
        )
    return str(version)


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
    """Shut a socket down: a read blocked on it in another thread returns at once."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


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


def probe(ip: str, port: int, host: str, path: str, timeout: float) -> ProbeResult:
    """One GET to one ALB node's test listener; never raises, errors come back as results.

    ``timeout`` bounds the whole request, connection to last byte, and only the first
    ``MAX_BODY_BYTES`` of the body are read. No proxy is used: the request must reach the
    ALB node it names.
    """
    target = f"[{ip}]" if ":" in ip else ip
    request = urllib.request.Request(
        f"http://{target}:{port}{path}",
        headers={"Host": host, "User-Agent": USER_AGENT},
    )
    start = time.monotonic()
    status: int | None = None
    body: str | None = None
    error: str | None = None
    with _Watchdog(timeout) as watchdog:
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), _NoRedirects(), _WatchedHTTPHandler(watchdog)
        )
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
            error = str(exc.reason)
        except (OSError, http.client.HTTPException) as exc:
            error = str(exc) or type(exc).__name__
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
    clock: Clock = time.monotonic,
    sleep: Sleep = time.sleep,
    log: Log = emit,
) -> Outcome:
    """Probe rounds until ``required_passes`` pass in a row, or the time budget runs out.

    A round sends every probe to every ALB node and passes only if all of them pass; one
    lucky round is not enough, so a failed round resets the count. No request starts and no
    sleep ends after the deadline, so this returns within the budget plus one request.
    """
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
                config.load_balancer_dns,
                check.path,
                config.request_timeout_seconds,
            )
            reason = failure_reason(result, check, version)
            log(
                {
                    "event": "probe",
                    "round": number,
                    "ip": result.ip,
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


def handler(
    event: Mapping[str, Any], context: Any, *, clients: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Lambda entry point: verify the test listener and report the verdict to CodeDeploy.

    Any error before the verdict (configuration, AWS lookups) is reported as ``Failed`` so
    CodeDeploy rolls back at once. Only an event without the two IDs, or a failure of the
    status call itself, raises: then there is nobody, or no way, to report to.
    """
    deployment_id = str(event["DeploymentId"])
    execution_id = str(event["LifecycleEventHookExecutionId"])
    codedeploy = _client("codedeploy", clients)
    summary: dict[str, Any] = {"event": "summary", "deployment_id": deployment_id}
    try:
        config = load_config(os.environ)
        addresses = node_addresses(_client("ec2", clients), config.load_balancer)
        version = None
        if config.needs_version:
            version = deployed_version(
                codedeploy,
                _client("ecs", clients),
                deployment_id,
                str(config.version_container),
                config.version_variable,
            )
        budget = time_budget(config, _remaining_ms(context))
        summary.update(nodes=addresses, version=version, budget_seconds=budget)
        outcome = verify(addresses, config, version, budget_seconds=budget)
    except Exception as exc:  # any failure must still be reported, as Failed
        outcome = Outcome("Failed", f"{type(exc).__name__}: {exc}")
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
