"""The container workload as real processes on loopback: the Go app and nginx.

No container engine or registry is reachable here, so the images cannot be
built. Instead this module builds the app with the local Go toolchain (Debian's
golang-go is Go 1.19; the module declares go 1.19) and runs the local nginx
(Debian's nginx-light) with the project's own configuration:

* the template in app/nginx/templates/ is rendered the way the official image's
  entrypoint does it (only variables defined in the environment are
  substituted; the environment is the image's ENV from app/nginx/Dockerfile
  plus the test's ports), into the directory that plays the container's /tmp;
* app/nginx/nginx.conf is used as is, except that "/tmp/" is rewritten to that
  directory;
* where the machine allows a private mount namespace (root with unshare), nginx
  runs with every mount read-only except that directory, as in the ECS task
  (readonlyRootFilesystem plus a writable volume at /tmp).

Missing go or nginx skips the tests that need them, naming the binary.
"""

from __future__ import annotations

import functools
import http.client
import http.server
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.integration.test_dockerfiles import instructions

# Starts real processes: left out of `pytest -m "not slow"`.
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
APP_DIR = REPO / "app"
NGINX_DIR = APP_DIR / "nginx"
NGINX_DOCKERFILE = NGINX_DIR / "Dockerfile"
NGINX_CONF = NGINX_DIR / "nginx.conf"
TEMPLATES = NGINX_DIR / "templates"

CONTAINER_TMP = "/tmp"
# The app's default, and what ECS uses: stopTimeout is this plus 5 s.
GRACE_SECONDS = 10.0
LOAD_WORKERS = 8


# --------------------------------------------------------------------------
# tools


def _which(name: str) -> str | None:
    # Debian installs nginx in /usr/sbin, which a non-root PATH may lack.
    path = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin:/sbin"
    return shutil.which(name, path=path)


def need(name: str, package: str) -> str:
    found = _which(name)
    if found is None:
        pytest.skip(f"`{name}` not found on PATH: install Debian's {package} to run this test")
    return found


def go_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        CGO_ENABLED="0",
        GOFLAGS="",
        GOPROXY="off",  # standard library only: nothing may be downloaded
        GOTOOLCHAIN="local",
    )
    if "GOCACHE" not in env and "HOME" not in env and "XDG_CACHE_HOME" not in env:
        env["GOCACHE"] = str(Path(tempfile.gettempdir()) / "ecs-blue-green-gocache")
    return env


def run_go(go: str, args: list[str], timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [go, *args],
        cwd=APP_DIR,
        env=go_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def go_bin() -> str:
    return need("go", "golang-go")


@pytest.fixture(scope="module")
def nginx_bin() -> str:
    return need("nginx", "nginx-light")


@pytest.fixture(scope="module")
def app_binary(go_bin: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The app, built once, with the Dockerfile's flags."""
    tmp = tmp_path_factory.mktemp("app-build")
    out = tmp / "app"
    res = run_go(go_bin, ["build", "-trimpath", "-ldflags=-s -w", "-o", str(out), "."])
    assert res.returncode == 0, f"go build failed:\n{res.stdout}{res.stderr}"
    return out


def test_go_vet(go_bin: str) -> None:
    res = run_go(go_bin, ["vet", "./..."])
    assert res.returncode == 0, f"go vet:\n{res.stdout}{res.stderr}"


def test_go_test(go_bin: str) -> None:
    res = run_go(go_bin, ["test", "-count=1", "./..."])
    assert res.returncode == 0, f"go test:\n{res.stdout}{res.stderr}"


# --------------------------------------------------------------------------
# ports and HTTP


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Reply:
    status: int
    body: str
    headers: dict[str, str]


def get(
    port: int, path: str = "/", headers: dict[str, str] | None = None, timeout: float = 5
) -> Reply:
    """One request on a fresh connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Connection": "close", **(headers or {})})
        resp = conn.getresponse()
        body = resp.read().decode()
        return Reply(resp.status, body, {k.lower(): v for k, v in resp.getheaders()})
    finally:
        conn.close()


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


# --------------------------------------------------------------------------
# the app as a process


class AppProcess:
    def __init__(
        self, binary: Path, workdir: Path, port: int, version: str, grace: str = "10s"
    ) -> None:
        self.port = port
        self.version = version
        self.log_path = workdir / f"app-{version}-{port}.log"
        self._log = self.log_path.open("wb")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PORT": str(port),
            "VERSION": version,
            "SHUTDOWN_GRACE_PERIOD": grace,
        }
        self.proc = subprocess.Popen(
            [str(binary)], env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        try:
            wait_until(self._healthy, 10, f"app {version} on :{port}")
        except AssertionError:
            self.stop()
            raise AssertionError(f"app did not become healthy; log:\n{self.log_text()}") from None

    def _healthy(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"app exited {self.proc.returncode}; log:\n{self.log_text()}")
        return get(self.port, "/health", timeout=1).status == 200

    def log_text(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def log_lines(self) -> list[dict]:
        return [json.loads(line) for line in self.log_text().splitlines() if line.strip()]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=GRACE_SECONDS + 5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


@pytest.fixture
def start_app(app_binary: Path, tmp_path: Path) -> Iterator[Callable[..., AppProcess]]:
    started: list[AppProcess] = []

    def start(version: str, port: int | None = None, grace: str = "10s") -> AppProcess:
        app = AppProcess(app_binary, tmp_path, port or free_port(), version, grace)
        started.append(app)
        return app

    yield start
    for app in started:
        app.stop()


# --------------------------------------------------------------------------
# nginx with the project's configuration


def dockerfile_env(path: Path) -> dict[str, str]:
    env: dict[str, str] = {}
    for word, rest in instructions(path):
        if word == "ENV":
            for item in shlex.split(rest):
                key, sep, value = item.partition("=")
                assert sep, f"legacy `ENV key value` syntax in {path}: ENV {rest}"
                env[key] = value
    return env


_ENV_REF = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


def envsubst_defined(text: str, env: dict[str, str]) -> str:
    """`envsubst "${A} ${B} ..."` for every variable defined in env, as the official
    image's 20-envsubst-on-templates.sh runs it: $X and ${X} of a defined X are
    replaced, every other $name is left as it is."""

    def repl(m: re.Match) -> str:
        name = m.group(1) or m.group(2)
        return env[name] if name in env else m.group(0)

    return _ENV_REF.sub(repl, text)


def container_env(**overrides: str) -> dict[str, str]:
    """The nginx container's environment: the image's ENV, a few variables every
    container has, and the test's values."""
    env = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOSTNAME": "ip-10-0-1-23.ec2.internal",
        "HOME": "/root",
        "AWS_REGION": "us-east-1",
        "ECS_CONTAINER_METADATA_URI_V4": "http://169.254.170.2/v4/abc",
    }
    env.update(dockerfile_env(NGINX_DOCKERFILE))
    env.update(overrides)
    return env


_RO_ROOT_SCRIPT = r"""
set -e
keep="$1"; shift
mount --bind "$keep" "$keep"
awk '{print $2}' /proc/self/mounts | while read -r m; do
  case "$m" in
    "$keep"|/proc|/proc/*|/sys|/sys/*|/dev|/dev/*) ;;
    *) mount -o remount,bind,ro "$m" 2>/dev/null || true ;;
  esac
done
exec "$@"
"""


def read_only_root(writable: Path, cmd: list[str]) -> list[str]:
    """cmd, run in a private mount namespace where every mount but writable (and
    /proc, /sys, /dev) is read-only."""
    return [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        _RO_ROOT_SCRIPT,
        "sh",
        str(writable),
        *cmd,
    ]


@functools.cache
def read_only_root_unavailable() -> str | None:
    """None if read_only_root works here, else why not."""
    if _which("unshare") is None:
        return "`unshare` not found"
    with tempfile.TemporaryDirectory() as d:
        check = (
            'touch "$0/ok" && ! touch /.ro-probe 2>/dev/null && ! touch /tmp/.ro-probe 2>/dev/null'
        )
        res = subprocess.run(
            read_only_root(Path(d), ["sh", "-c", check, d]),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        for leftover in (Path("/.ro-probe"), Path("/tmp/.ro-probe")):
            leftover.unlink(missing_ok=True)
        if res.returncode != 0 or not (Path(d) / "ok").exists():
            return f"cannot make a read-only mount namespace here (rc={res.returncode}: {res.stderr.strip()[:200]})"
    return None


class Nginx:
    """nginx run from the project's nginx.conf and template, /tmp mapped to tmpdir."""

    def __init__(self, nginx: str, app_port: int, port: int | None = None) -> None:
        self.nginx = nginx
        self.port = port or free_port()
        # Workers run as an unprivileged user: they need to traverse to tmpdir.
        self.tmpdir = Path(tempfile.mkdtemp(prefix="nginx-tmp-"))
        self.tmpdir.chmod(0o755)
        self.conf = self.tmpdir / "nginx.conf"
        self.conf.write_text(NGINX_CONF.read_text().replace(CONTAINER_TMP + "/", f"{self.tmpdir}/"))
        self.render(app_port)
        self.reason_not_read_only = read_only_root_unavailable()
        cmd = [
            nginx,
            "-p",
            f"{self.tmpdir}/",
            "-c",
            str(self.conf),
            "-e",
            "stderr",
            "-g",
            "daemon off;",
        ]
        if self.reason_not_read_only is None:
            cmd = read_only_root(self.tmpdir, cmd)
        self.out = (self.tmpdir / "stdout.log").open("wb")
        self.err = (self.tmpdir / "stderr.log").open("wb")
        self.proc = subprocess.Popen(cmd, stdout=self.out, stderr=self.err)
        try:
            wait_until(self._up, 10, f"nginx on :{self.port}")
        except AssertionError as e:
            message = f"{e}\nnginx stderr:\n{self.stderr()}"
            self.stop()
            raise AssertionError(message) from None

    def host_path(self, container_path: str) -> Path:
        assert container_path == CONTAINER_TMP or container_path.startswith(CONTAINER_TMP + "/"), (
            f"{container_path} is not under {CONTAINER_TMP}, the only writable path"
        )
        return self.tmpdir / container_path[len(CONTAINER_TMP) :].lstrip("/")

    def render(self, app_port: int) -> None:
        """What /docker-entrypoint.d/20-envsubst-on-templates.sh does at start."""
        env = container_env(APP_PORT=str(app_port), NGINX_PORT=str(self.port))
        template_dir = env["NGINX_ENVSUBST_TEMPLATE_DIR"]
        assert template_dir == "/etc/nginx/templates", template_dir
        output_dir = self.host_path(env["NGINX_ENVSUBST_OUTPUT_DIR"])
        suffix = env.get("NGINX_ENVSUBST_TEMPLATE_SUFFIX", ".template")
        for template in sorted(TEMPLATES.rglob(f"*{suffix}")):
            rel = template.relative_to(TEMPLATES)
            out = output_dir / str(rel)[: -len(suffix)]
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(envsubst_defined(template.read_text(), env))

    def _up(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"nginx exited {self.proc.returncode}")
        with socket.create_connection(("127.0.0.1", self.port), timeout=1):
            return True

    def stderr(self) -> str:
        self.err.flush()
        return (self.tmpdir / "stderr.log").read_text(errors="replace")

    def access_log(self) -> list[dict]:
        self.out.flush()
        text = (self.tmpdir / "stdout.log").read_text(errors="replace")
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def reload(self, app_port: int) -> None:
        """Point the upstream at another port: re-render, then `nginx -s reload`."""
        self.render(app_port)
        res = subprocess.run(
            [
                self.nginx,
                "-p",
                f"{self.tmpdir}/",
                "-c",
                str(self.conf),
                "-e",
                "stderr",
                "-s",
                "reload",
            ],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        assert res.returncode == 0, f"nginx -s reload: {res.stderr}"

    def workers(self) -> set[int]:
        """PIDs of the master's children."""
        kids = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                kids.add(int(stat.parent.name))
        return kids

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()
        self.err.close()
        shutil.rmtree(self.tmpdir, ignore_errors=True)


@pytest.fixture
def start_nginx(nginx_bin: str) -> Iterator[Callable[[int], Nginx]]:
    started: list[Nginx] = []

    def start(app_port: int) -> Nginx:
        n = Nginx(nginx_bin, app_port)
        started.append(n)
        return n

    yield start
    for n in started:
        n.stop()


# --------------------------------------------------------------------------
# a header-echoing stand-in for the app (nginx's config is under test)


class _Echo(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the Go server

    def do_GET(self) -> None:
        body = json.dumps(
            {
                "path": self.path,
                "version": self.request_version,
                "client_port": self.client_address[1],
                "headers": {k.lower(): v for k, v in self.headers.items()},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def echo_server() -> Iterator[int]:
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    srv.daemon_threads = True
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv.server_address[1]
    srv.shutdown()
    srv.server_close()


# --------------------------------------------------------------------------
# load generator


@dataclass
class Result:
    rid: str
    start: float
    end: float
    status: int | None  # None: the request failed at the client (reset, timeout, ...)
    body: str = ""
    error: str = ""


@dataclass
class Load:
    """LOAD_WORKERS threads, each sending GET / on a fresh connection in a loop,
    each request tagged with a unique X-Request-Id."""

    port: int
    workers: int = LOAD_WORKERS
    results: list[Result] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _worker(self, w: int) -> None:
        n = 0
        while not self._stop.is_set():
            rid = f"load-{w}-{n}"
            n += 1
            start = time.monotonic()
            try:
                r = get(self.port, f"/load/{rid}", headers={"X-Request-Id": rid}, timeout=10)
                res = Result(rid, start, time.monotonic(), r.status, r.body)
            except (OSError, http.client.HTTPException) as e:
                res = Result(rid, start, time.monotonic(), None, error=repr(e))
            with self._lock:
                self.results.append(res)

    def __enter__(self) -> Load:
        for w in range(self.workers):
            t = threading.Thread(target=self._worker, args=(w,), daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=15)


def summary(label: str, results: list[Result]) -> str:
    by: dict[str, int] = {}
    for r in results:
        key = (
            r.body.strip()
            if r.status == 200
            else (f"HTTP {r.status}" if r.status else "client error")
        )
        by[key] = by.get(key, 0) + 1
    return f"{label}: {len(results)} requests, " + ", ".join(
        f"{k}={v}" for k, v in sorted(by.items())
    )


# --------------------------------------------------------------------------
# the app alone


def test_app_routes_and_json_logs(start_app: Callable[..., AppProcess]) -> None:
    app = start_app("v-routes")
    assert (r := get(app.port, "/health")).status == 200 and r.body == "ok\n"
    assert (r := get(app.port, "/")).status == 200 and r.body == "v-routes\n"
    assert get(app.port, "/any/other/path").body == "v-routes\n"

    lines = app.log_lines()
    start = lines[0]
    assert start["msg"] == "listening" and start["level"] == "info"
    assert start["addr"] == f"0.0.0.0:{app.port}" and start["version"] == "v-routes"
    assert start["shutdown_grace_period"] == "10s"
    requests = [ln for ln in lines if ln["msg"] == "request"]
    assert {ln["path"] for ln in requests} >= {"/health", "/", "/any/other/path"}
    for ln in requests:
        assert {"time", "method", "path", "status", "duration_ms"} <= ln.keys()
        assert (
            ln["status"] == 200
            and ln["method"] == "GET"
            and isinstance(ln["duration_ms"], (int, float))
        )


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_app_exits_zero_on_signal(
    start_app: Callable[..., AppProcess], sig: signal.Signals
) -> None:
    app = start_app("v-signal")
    app.proc.send_signal(sig)
    assert app.proc.wait(timeout=5) == 0
    msgs = [ln["msg"] for ln in app.log_lines()]
    assert msgs[-2:] == ["shutdown started", "shutdown complete"], msgs
    started = next(ln for ln in app.log_lines() if ln["msg"] == "shutdown started")
    assert started["signal"] == {signal.SIGTERM: "terminated", signal.SIGINT: "interrupt"}[sig]


def test_app_exits_nonzero_when_port_taken(app_binary: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        res = subprocess.run(
            [str(app_binary)],
            env={"PORT": str(port)},
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    assert res.returncode != 0
    line = json.loads(res.stdout.strip().splitlines()[-1])
    assert line["level"] == "error" and line["msg"] == "cannot listen", line


def test_healthcheck_flag(app_binary: Path, start_app: Callable[..., AppProcess]) -> None:
    app = start_app("v-hc")

    def healthcheck(port: int) -> int:
        return subprocess.run(
            [str(app_binary), "-healthcheck"],
            env={"PORT": str(port)},
            capture_output=True,
            timeout=10,
            check=False,
        ).returncode

    assert healthcheck(app.port) == 0
    assert healthcheck(free_port()) == 1


# --------------------------------------------------------------------------
# nginx in front


def test_rendering_matches_envsubst(tmp_path: Path) -> None:
    """The Python renderer behaves like GNU envsubst given the defined variables."""
    envsubst = _which("envsubst")
    if envsubst is None:
        pytest.skip(
            "`envsubst` not found on PATH (Debian's gettext-base); cannot cross-check the renderer"
        )
    env = container_env(APP_PORT="18080", NGINX_PORT="18081")
    shell_format = " ".join(f"${{{k}}}" for k in env)
    for template in TEMPLATES.rglob("*.template"):
        res = subprocess.run(
            [envsubst, shell_format],
            input=template.read_text(),
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
        assert envsubst_defined(template.read_text(), env) == res.stdout


def test_template_substitutes_only_image_variables() -> None:
    """Every $NAME in the template is an image ENV (substituted) or an nginx
    variable (lower case, so no container environment variable can clobber it)."""
    image_env = dockerfile_env(NGINX_DOCKERFILE)
    for template in TEMPLATES.rglob("*.template"):
        names = {m.group(1) or m.group(2) for m in _ENV_REF.finditer(template.read_text())}
        substituted = {n for n in names if n in image_env}
        assert substituted == {"APP_PORT", "NGINX_PORT"}, substituted
        assert all(n.islower() for n in names - substituted), names - substituted
        rendered = envsubst_defined(template.read_text(), container_env())
        assert "127.0.0.1:8080;" in rendered and "listen 80 " in rendered
        assert "localhost" not in re.sub(r"#.*", "", rendered)


def test_nginx_conf_writes_only_under_tmp() -> None:
    """With a read-only root, nginx may write under /tmp only; logs go to stdout/stderr."""
    text = re.sub(r"#.*", "", NGINX_CONF.read_text())
    paths = set(re.findall(r"(?<![\w$])(/[\w./-]+)", text))
    writable = {p for p in paths if p == "/tmp" or p.startswith("/tmp/")}
    assert paths - writable <= {"/dev/stdout", "/dev/stderr"}, paths - writable
    for directive in (
        "pid",
        "client_body_temp_path",
        "proxy_temp_path",
        "fastcgi_temp_path",
        "uwsgi_temp_path",
        "scgi_temp_path",
    ):
        assert re.search(rf"^\s*{directive}\s+/tmp/\S+;", text, re.M), f"{directive} not under /tmp"
    out_dir = dockerfile_env(NGINX_DOCKERFILE)["NGINX_ENVSUBST_OUTPUT_DIR"]
    assert re.search(rf"^\s*include\s+{re.escape(out_dir)}/default\.conf;", text, re.M)
    assert re.search(r"^\s*worker_shutdown_timeout\s+10s;", text, re.M)


def test_nginx_runs_with_read_only_root(start_app: Callable[..., AppProcess], start_nginx) -> None:
    reason = read_only_root_unavailable()
    if reason is not None:
        pytest.skip(f"read-only root not testable here: {reason}")
    app = start_app("v-ro")
    nginx = start_nginx(app.port)
    assert nginx.reason_not_read_only is None
    assert get(nginx.port, "/health").body == "ok\n"
    # What nginx did write is in its /tmp.
    assert (nginx.tmpdir / "nginx.pid").read_text().strip() == str(nginx.proc.pid)
    assert (nginx.tmpdir / "proxy_temp").is_dir() and (nginx.tmpdir / "client_body_temp").is_dir()


def test_nginx_proxies_app(start_app: Callable[..., AppProcess], start_nginx) -> None:
    app = start_app("v-proxied")
    nginx = start_nginx(app.port)
    health = get(nginx.port, "/health")
    assert (health.status, health.body) == (200, "ok\n")
    root = get(nginx.port, "/")
    assert (root.status, root.body) == (200, "v-proxied\n")
    assert get(nginx.port, "/deep/path?x=1").body == "v-proxied\n"
    # server_tokens off: no version in Server, and none on error pages either.
    assert root.headers["server"] == "nginx"
    assert re.fullmatch(r"[0-9a-f]{32}", root.headers["x-request-id"])
    # /health reaches the app (proxied, not answered by nginx).
    assert any(ln.get("path") == "/health" for ln in app.log_lines() if ln["msg"] == "request")
    # One JSON access-log line per request, carrying the request id (nginx
    # writes it just after the response, so give it a moment).
    wait_until(lambda: len(nginx.access_log()) >= 3, 5, "3 access-log lines")
    log = nginx.access_log()
    assert len(log) == 3 and {e["status"] for e in log} == {200}
    # By its URI: nginx's workers may write the lines in another order than the requests.
    (root_line,) = [e for e in log if e["uri"] == "/"]
    assert root_line["request_id"] == root.headers["x-request-id"]


def test_nginx_error_page_has_no_version(start_nginx) -> None:
    nginx = start_nginx(free_port())  # nothing listens upstream
    r = get(nginx.port, "/")
    assert r.status == 502
    assert r.headers["server"] == "nginx"
    assert not re.search(r"nginx/\d", r.body)


def test_nginx_forwarded_headers(echo_server: int, start_nginx) -> None:
    nginx = start_nginx(echo_server)

    r = get(nginx.port, "/hdr", headers={"Host": "shop.example.test"})
    seen = json.loads(r.body)
    h = seen["headers"]
    assert seen["version"] == "HTTP/1.1"  # proxy_http_version 1.1
    assert "close" not in h.get("connection", "").lower()  # keep-alive upstream
    assert h["host"] == "shop.example.test"
    assert h["x-forwarded-for"] == "127.0.0.1"
    assert h["x-real-ip"] == "127.0.0.1"
    assert h["x-forwarded-proto"] == "http"  # no ALB header: nginx's own $scheme
    generated = h["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert r.headers["x-request-id"] == generated  # echoed to the client

    # As the ALB calls it: client IP in X-Forwarded-For, https terminated at the ALB.
    r = get(
        nginx.port,
        "/hdr",
        headers={
            "X-Forwarded-For": "203.0.113.7",
            "X-Forwarded-Proto": "https",
            "X-Request-Id": "abc-123",
        },
    )
    h = json.loads(r.body)["headers"]
    assert h["x-forwarded-for"] == "203.0.113.7, 127.0.0.1"
    assert h["x-forwarded-proto"] == "https"
    assert h["x-request-id"] == "abc-123"
    assert r.headers["x-request-id"] == "abc-123"

    # Every request gets its own id.
    ids = {json.loads(get(nginx.port, "/").body)["headers"]["x-request-id"] for _ in range(5)}
    assert len(ids) == 5

    # Upstream connections are reused (upstream keepalive): 20 requests, few connections.
    ports = {json.loads(get(nginx.port, f"/k{i}").body)["client_port"] for i in range(20)}
    assert len(ports) <= 4, f"{len(ports)} upstream connections for 20 requests"


# --------------------------------------------------------------------------
# shutdown and release rehearsals


def test_graceful_shutdown_under_load(start_app: Callable[..., AppProcess], start_nginx) -> None:
    """SIGTERM to the app while 8 clients hammer nginx -> app and a slow client
    has a request half sent: every request the app accepted is answered, the
    slow one too, and the app exits 0 within its grace period."""
    app = start_app("v-drain", grace=f"{GRACE_SECONDS:g}s")
    nginx = start_nginx(app.port)

    with Load(nginx.port) as load:
        time.sleep(1.0)
        # A request in flight at the app itself: headers partly sent.
        slow = socket.create_connection(("127.0.0.1", app.port), timeout=GRACE_SECONDS)
        slow.sendall(b"GET /slow-client HTTP/1.1\r\nHost: app\r\nX-Request-Id: in-flight\r\n")
        time.sleep(0.3)

        t_sigterm = time.monotonic()
        app.proc.send_signal(signal.SIGTERM)
        time.sleep(1.0)
        assert app.proc.poll() is None, "app exited with a request in flight"

        slow.sendall(b"\r\n")
        reply = b""
        while chunk := slow.recv(65536):
            reply += chunk
        slow.close()
        t_inflight_done = time.monotonic()
        rc = app.proc.wait(timeout=GRACE_SECONDS)
        t_exit = time.monotonic()
        time.sleep(0.3)

    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), reply
    assert body == b"v-drain\n"
    assert b"connection: close" in head.lower()  # the app is draining: no keep-alive
    assert rc == 0
    assert t_exit - t_sigterm < GRACE_SECONDS
    assert t_exit >= t_inflight_done - 0.05

    results = load.results
    app_logs = app.log_lines()
    accepted = {ln["request_id"] for ln in app_logs if ln["msg"] == "request"}
    assert "in-flight" in accepted
    before = [r for r in results if r.end < t_sigterm]
    after = [r for r in results if r.start > t_sigterm]
    print(
        "\n"
        + summary("graceful shutdown, all", results)
        + "\n"
        + summary("  finished before SIGTERM", before)
        + "\n"
        + summary("  started after SIGTERM", after)
        + f"\n  accepted by the app: {len([r for r in results if r.rid in accepted])}"
        + f", app exit {rc} after {t_exit - t_sigterm:.2f}s"
    )
    assert len(before) >= 50, "the load generator hardly ran"
    # Zero failures among the requests the app accepted.
    lost = [r for r in results if r.rid in accepted and (r.status != 200 or r.body != "v-drain\n")]
    assert not lost, lost[:5]
    assert all(r.status == 200 and r.body == "v-drain\n" for r in before)
    # The rest were refused cleanly by nginx (the app's listener was closed):
    # 502 from nginx, never a hung or reset client connection.
    assert all(r.status in (200, 502) for r in results), [
        r for r in results if r.status not in (200, 502)
    ][:5]
    assert all(r.status == 502 for r in results if r.rid not in accepted)
    msgs = [ln["msg"] for ln in app_logs]
    assert msgs[-1] == "shutdown complete" and "shutdown started" in msgs


def test_blue_green_switch_under_load(start_app: Callable[..., AppProcess], start_nginx) -> None:
    """The release, in small: nginx's upstream moves from blue to green by
    re-rendering the template and `nginx -s reload` while clients keep calling;
    then blue gets SIGTERM. No request fails, and after the switch only green answers."""
    blue = start_app("blue")
    green = start_app("green")
    nginx = start_nginx(blue.port)
    assert get(nginx.port, "/").body == "blue\n"

    with Load(nginx.port) as load:
        time.sleep(0.8)
        old_workers = nginx.workers()
        assert old_workers
        t_reload = time.monotonic()
        nginx.reload(green.port)
        wait_until(lambda: not (old_workers & nginx.workers()), 10, "old nginx workers to exit")
        t_switched = time.monotonic()
        time.sleep(0.5)
        t_blue_term = time.monotonic()
        blue.proc.send_signal(signal.SIGTERM)
        blue_rc = blue.proc.wait(timeout=GRACE_SECONDS)
        blue_exit = time.monotonic() - t_blue_term
        time.sleep(1.0)

    results = load.results
    print(
        "\n"
        + summary("blue/green, all", results)
        + "\n"
        + summary("  started before the reload", [r for r in results if r.start < t_reload])
        + "\n"
        + summary(
            "  started after the old workers exited", [r for r in results if r.start > t_switched]
        )
        + f"\n  reload took {t_switched - t_reload:.2f}s; blue exit {blue_rc} after {blue_exit:.2f}s"
    )
    failed = [r for r in results if r.status != 200 or r.body not in ("blue\n", "green\n")]
    assert not failed, failed[:5]
    assert blue_rc == 0
    assert all(r.body == "green\n" for r in results if r.start > t_switched)
    assert any(r.body == "blue\n" for r in results) and any(r.body == "green\n" for r in results)
    assert len([r for r in results if r.start > t_blue_term]) >= 50, "the load generator hardly ran"
    assert get(nginx.port, "/").body == "green\n"
    assert green.proc.poll() is None
