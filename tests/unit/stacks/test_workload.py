"""The workload's task spec: shutdown timing and the bootstrap stand-ins."""

from stacks.settings import ServiceSettings
from stacks.workload import (
    APP,
    PROXY,
    bootstrap_proxy_config,
    workload_task,
)


def test_stop_timeout_covers_the_app_grace_period() -> None:
    task = workload_task(ServiceSettings(shutdown_grace_seconds=20))
    app = next(c for c in task.containers if c.name == APP)
    assert app.environment["SHUTDOWN_GRACE_PERIOD"] == "20s"
    assert all(c.stop_timeout_seconds == 25 for c in task.containers)


def test_proxy_starts_after_the_app_is_healthy() -> None:
    task = workload_task(ServiceSettings())
    proxy = next(c for c in task.containers if c.name == PROXY)
    assert proxy.depends_on == ((APP, "HEALTHY"),)
    assert task.load_balanced_container == PROXY
    assert task.load_balanced.port == 80


def test_every_container_is_built_from_the_repository() -> None:
    """Seed defect: the nginx image was never built by the pipeline."""
    task = workload_task(ServiceSettings())
    assert {c.name: c.build_context for c in task.containers} == {APP: "app", PROXY: "app/nginx"}


def test_bootstrap_proxy_config_follows_ports() -> None:
    config = bootstrap_proxy_config(proxy_port=8081, app_port=9000)
    assert "listen 8081;" in config
    assert "proxy_pass http://127.0.0.1:9000;" in config
    assert "'" not in config  # embedded in a single-quoted shell word
