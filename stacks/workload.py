"""The workload this product ships: the Go app behind an nginx sidecar (see ``app/``).

One :class:`TaskSpec` describes both containers; the Terraform task definition and the
pipeline's ``taskdef.json`` are both rendered from it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from constructs_lib.container_spec import (
    BootstrapImage,
    ContainerHealthCheck,
    ContainerSpec,
    TaskSpec,
)
from constructs_lib.release_spec import RELEASE_SPEC_VARIABLE

if TYPE_CHECKING:  # settings validates against this module's names
    from stacks.settings import ServiceSettings

APP = "app"
PROXY = "nginx"
PORT_VARIABLE = "PORT"
SHUTDOWN_VARIABLE = "SHUTDOWN_GRACE_PERIOD"
VERSION_VARIABLE = "VERSION"
STACK_VARIABLES: dict[str, str] = {
    PORT_VARIABLE: "service.app_port",
    SHUTDOWN_VARIABLE: "service.shutdown_grace_seconds",
    VERSION_VARIABLE: "each release (the commit id)",
    RELEASE_SPEC_VARIABLE: "engine 'ecs' releases (the container spec)",
}
"""What the stack itself sets in the app container, and from what: ``service.environment``
and ``service.secrets`` may not set these."""
# Public images the bootstrap revision runs until the first release (see BootstrapImage).
# The nginx one is the base of app/nginx/Dockerfile, so both run the same nginx.
BOOTSTRAP_APP_IMAGE = "public.ecr.aws/docker/library/busybox:1.37"
BOOTSTRAP_PROXY_IMAGE = "public.ecr.aws/docker/library/nginx:1.30.6-alpine"
# Seconds the containers get between SIGTERM and SIGKILL beyond the app's own grace period.
STOP_MARGIN_SECONDS = 5


def bootstrap_app_script() -> str:
    """busybox httpd answering like the app: ``/health`` -> ``ok``, ``/`` -> the version."""
    return (
        "mkdir -p /tmp/www && echo ok > /tmp/www/health && "
        'echo "$VERSION" > /tmp/www/index.html && '
        'exec httpd -f -p "0.0.0.0:$PORT" -h /tmp/www'
    )


def bootstrap_proxy_config(proxy_port: int, app_port: int) -> str:
    """A minimal nginx.conf for a read-only root: everything writable lives in /tmp."""
    return (
        "pid /tmp/nginx/nginx.pid; error_log stderr warn; events {} "
        "http { access_log off; "
        "client_body_temp_path /tmp/nginx/body; proxy_temp_path /tmp/nginx/proxy; "
        "fastcgi_temp_path /tmp/nginx/fastcgi; uwsgi_temp_path /tmp/nginx/uwsgi; "
        "scgi_temp_path /tmp/nginx/scgi; "
        f"server {{ listen {proxy_port}; "
        f"location / {{ proxy_pass http://127.0.0.1:{app_port}; }} }} }}"
    )


def bootstrap_proxy_script(proxy_port: int, app_port: int) -> str:
    config = bootstrap_proxy_config(proxy_port, app_port)
    return (
        f"mkdir -p /tmp/nginx && printf '%s\\n' '{config}' > /tmp/nginx/nginx.conf && "
        "exec nginx -c /tmp/nginx/nginx.conf -g 'daemon off;'"
    )


def http_probe(port: int, path: str = "/health") -> tuple[str, ...]:
    return ("CMD", "curl", "-fsS", "-o", "/dev/null", f"http://127.0.0.1:{port}{path}")


def workload_task(service: ServiceSettings) -> TaskSpec:
    stop_timeout = service.shutdown_grace_seconds + STOP_MARGIN_SECONDS
    app = ContainerSpec(
        name=APP,
        build_context="app",
        test_target="test",  # app/Dockerfile's stage running go vet and go test
        port=None,  # reached over loopback by nginx only
        environment={
            **service.environment,
            PORT_VARIABLE: str(service.app_port),
            SHUTDOWN_VARIABLE: f"{service.shutdown_grace_seconds}s",
        },
        secrets=dict(service.secrets),
        version_variable=VERSION_VARIABLE,
        # The app image has no shell: the binary probes itself.
        health_check=ContainerHealthCheck(
            command=("CMD", "/app", "-healthcheck"),
            interval_seconds=5,
            timeout_seconds=2,
            retries=3,
            start_period_seconds=10,
        ),
        stop_timeout_seconds=stop_timeout,
        readonly_root_filesystem=True,
        scratch_paths=("/tmp",),
        bootstrap=BootstrapImage(
            image=BOOTSTRAP_APP_IMAGE,
            entry_point=("sh", "-c"),
            command=(bootstrap_app_script(),),
            health_check=ContainerHealthCheck(
                command=(
                    "CMD",
                    "wget",
                    "-q",
                    "-O",
                    "/dev/null",
                    f"http://127.0.0.1:{service.app_port}/health",
                ),
                interval_seconds=5,
                timeout_seconds=2,
                retries=3,
                start_period_seconds=10,
            ),
        ),
    )
    proxy = ContainerSpec(
        name=PROXY,
        build_context="app/nginx",
        port=service.proxy_port,
        environment={"APP_PORT": str(service.app_port), "NGINX_PORT": str(service.proxy_port)},
        health_check=ContainerHealthCheck(
            command=http_probe(service.proxy_port),
            interval_seconds=10,
            timeout_seconds=5,
            retries=3,
            start_period_seconds=10,
        ),
        depends_on=((APP, "HEALTHY"),),
        stop_timeout_seconds=stop_timeout,
        readonly_root_filesystem=True,
        scratch_paths=("/tmp",),
        bootstrap=BootstrapImage(
            image=BOOTSTRAP_PROXY_IMAGE,
            entry_point=("sh", "-c"),
            command=(bootstrap_proxy_script(service.proxy_port, service.app_port),),
        ),
    )
    return TaskSpec(
        cpu=service.cpu,
        memory=service.memory,
        containers=(app, proxy),
        load_balanced_container=PROXY,
    )
