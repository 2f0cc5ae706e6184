"""The container spec renders one definition for both the Terraform and the release path."""

import pytest

from constructs_lib.container_spec import (
    BootstrapImage,
    ContainerHealthCheck,
    ContainerSpec,
    RenderTarget,
    TaskSpec,
    render_container_definitions,
)
from constructs_lib.validation import ValidationError

PROBE = ContainerHealthCheck(command=("CMD", "/app", "-healthcheck"))
STANDIN = BootstrapImage(
    image="public.ecr.aws/docker/library/busybox:1.37",
    command=("httpd",),
    health_check=ContainerHealthCheck(command=("CMD", "wget", "-q", "http://127.0.0.1/")),
)


def _task(**overrides: object) -> TaskSpec:
    web = ContainerSpec(
        name="web",
        build_context="web",
        port=80,
        bootstrap=STANDIN,
        health_check=PROBE,
        environment={"B": "2", "A": "1"},
        version_variable="VERSION",
        scratch_paths=("/tmp",),
    )
    sidecar = ContainerSpec(
        name="side", build_context="side", bootstrap=STANDIN, depends_on=(("web", "HEALTHY"),)
    )
    fields = {
        "cpu": 256,
        "memory": 512,
        "containers": (web, sidecar),
        "load_balanced_container": "web",
    }
    return TaskSpec(**{**fields, **overrides})


def _target(bootstrap: bool) -> RenderTarget:
    return RenderTarget(
        images={"web": "repo/web:abc", "side": "repo/side:abc"},
        version="abc",
        log_groups={"web": "/ecs/x/web", "side": "/ecs/x/side"},
        region="eu-west-1",
        bootstrap=bootstrap,
    )


def test_release_rendering_uses_the_image_entrypoint_and_own_health_check() -> None:
    web, side = render_container_definitions(_task(), _target(bootstrap=False))
    assert web == {
        "name": "web",
        "image": "repo/web:abc",
        "essential": True,
        "readonlyRootFilesystem": True,
        "stopTimeout": 30,
        "environment": [
            {"name": "A", "value": "1"},
            {"name": "B", "value": "2"},
            {"name": "VERSION", "value": "abc"},
        ],
        "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}],
        "healthCheck": {
            "command": ["CMD", "/app", "-healthcheck"],
            "interval": 10,
            "timeout": 5,
            "retries": 3,
            "startPeriod": 10,
        },
        "mountPoints": [{"sourceVolume": "web-tmp", "containerPath": "/tmp", "readOnly": False}],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": "/ecs/x/web",
                "awslogs-region": "eu-west-1",
                "awslogs-stream-prefix": "web",
            },
        },
    }
    assert side["dependsOn"] == [{"containerName": "web", "condition": "HEALTHY"}]
    # Empty collections are omitted, never rendered as [] (ECS drops them: perpetual diff).
    assert (
        not {"environment", "portMappings", "mountPoints", "healthCheck", "command", "entryPoint"}
        & side.keys()
    )


def test_bootstrap_rendering_differs_only_in_image_command_and_health_check() -> None:
    release = render_container_definitions(_task(), _target(bootstrap=False))
    bootstrap = render_container_definitions(_task(), _target(bootstrap=True))
    allowed = {"command", "entryPoint", "healthCheck"}
    for r, b in zip(release, bootstrap, strict=True):
        differing = {k for k in r.keys() | b.keys() if r.get(k) != b.get(k)}
        assert differing <= allowed
    assert bootstrap[0]["command"] == ["httpd"]
    assert bootstrap[0]["healthCheck"]["command"][:2] == ["CMD", "wget"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"cpu": 256, "memory": 4096}, "memory"),
        ({"load_balanced_container": "side"}, "load_balanced_container"),
        ({"load_balanced_container": "nope"}, "load_balanced_container"),
        ({"containers": ()}, "containers"),
    ],
)
def test_task_spec_rejects_inconsistent_tasks(overrides: dict, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _task(**overrides)
    assert caught.value.field == field


def test_dependencies_must_name_another_container() -> None:
    lonely = ContainerSpec(
        name="a", build_context=".", port=80, bootstrap=STANDIN, depends_on=(("ghost", "START"),)
    )
    with pytest.raises(ValidationError, match="'ghost' is not another container"):
        TaskSpec(containers=(lonely,), load_balanced_container="a")


def test_containers_in_one_task_cannot_share_a_port() -> None:
    a = ContainerSpec(name="a", build_context=".", port=80, bootstrap=STANDIN)
    b = ContainerSpec(name="b", build_context=".", port=80, bootstrap=STANDIN)
    with pytest.raises(ValidationError, match="ports must differ"):
        TaskSpec(containers=(a, b), load_balanced_container="a")


def test_stop_timeout_within_fargate_limit() -> None:
    with pytest.raises(ValidationError, match=r"^stop_timeout_seconds: "):
        ContainerSpec(
            name="a", build_context=".", port=80, bootstrap=STANDIN, stop_timeout_seconds=121
        )


DB_VALUE_FROM = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:web/db-AbCdEf:password::"
PARAMETER = "arn:aws:ssm:eu-west-1:123456789012:parameter/web/api-key"


def _web(**overrides: object) -> ContainerSpec:
    fields: dict[str, object] = {
        "name": "web",
        "build_context": "web",
        "port": 80,
        "bootstrap": STANDIN,
        "version_variable": "VERSION",
        "environment": {"LOG_LEVEL": "info"},
        "secrets": {"DB_PASSWORD": DB_VALUE_FROM, "API_KEY": PARAMETER},
    }
    return ContainerSpec(**{**fields, **overrides})  # type: ignore[arg-type]


def test_secrets_render_as_value_from_in_both_renderings() -> None:
    task = TaskSpec(containers=(_web(),), load_balanced_container="web")
    for bootstrap in (False, True):
        (web,) = render_container_definitions(task, _target(bootstrap))
        assert web["secrets"] == [
            {"name": "API_KEY", "valueFrom": PARAMETER},
            {"name": "DB_PASSWORD", "valueFrom": DB_VALUE_FROM},
        ]
        assert {"name": "LOG_LEVEL", "value": "info"} in web["environment"]


def test_no_secrets_no_key() -> None:
    (web,) = render_container_definitions(
        TaskSpec(containers=(_web(secrets={}),), load_balanced_container="web"),
        _target(bootstrap=False),
    )
    assert "secrets" not in web


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"secrets": {"LOG_LEVEL": DB_VALUE_FROM}}, "secrets.LOG_LEVEL"),
        ({"secrets": {"VERSION": DB_VALUE_FROM}}, "version_variable"),
        ({"environment": {"VERSION": "1"}}, "version_variable"),
        ({"secrets": {"1BAD": DB_VALUE_FROM}}, "secrets"),
        ({"environment": {"A-B": "1"}}, "environment"),
        ({"environment": {"A": 1}}, "environment.A"),
        ({"environment": ["A=1"]}, "environment"),
        ({"secrets": {"DB": "plain-text-password"}}, "secrets.DB"),
        (
            {"secrets": {"DB": "arn:aws:ssm:eu-west-1:123456789012:document/x"}},
            "secrets.DB",
        ),
    ],
)
def test_variables_are_named_once_and_secrets_are_arns(overrides: dict, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _web(**overrides)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "web app"}, "name"),
        ({"build_context": "../web"}, "build_context"),
        ({"test_target": "Test"}, "test_target"),
        ({"port": 70000}, "port"),
        ({"depends_on": (("side", "READY"),)}, "depends_on[0]"),
        ({"depends_on": ("side",)}, "depends_on[0]"),
        ({"scratch_paths": "/tmp"}, "scratch_paths"),
        ({"scratch_paths": ("tmp",)}, "scratch_paths"),
        ({"essential": 1}, "essential"),
        ({"bootstrap": "busybox"}, "bootstrap"),
        ({"health_check": ("CMD", "true")}, "health_check"),
    ],
)
def test_a_container_refuses_bad_values_as_it_is_built(overrides: dict, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _web(**overrides)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"command": ("true",)}, "command"),
        ({"command": "CMD-SHELL true"}, "command"),
        ({"command": ("CMD", 1)}, "command"),
        ({"interval_seconds": 4}, "interval_seconds"),
        ({"timeout_seconds": 61}, "timeout_seconds"),
        ({"retries": 11}, "retries"),
        ({"start_period_seconds": 301}, "start_period_seconds"),
    ],
)
def test_a_container_health_check_keeps_ecs_limits(overrides: dict, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ContainerHealthCheck(**{"command": ("CMD-SHELL", "true"), **overrides})
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"image": ""}, "image"),
        ({"image": "nginx latest"}, "image"),
        ({"image": "x" * 256}, "image"),
        ({"command": "httpd -f"}, "command"),
        ({"entry_point": ("sh", None)}, "entry_point"),
    ],
)
def test_a_bootstrap_image_refuses_bad_values(overrides: dict, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        BootstrapImage(**{"image": "public.ecr.aws/nginx/nginx:stable", **overrides})
    assert caught.value.field == field


def test_the_task_definition_must_fit_ecs_limit() -> None:
    """ECS refuses a task definition over 64 KiB at registration, long after the synth."""
    roomy = {f"V{i}": "x" * 1000 for i in range(55)}
    fits = TaskSpec(containers=(_web(environment=roomy),), load_balanced_container="web")
    assert 55_000 < fits.largest_definition_bytes() <= 64 * 1024
    with pytest.raises(ValidationError, match="ECS allows 65536") as caught:
        TaskSpec(
            containers=(_web(environment={**roomy, "MORE": "x" * 9000}),),
            load_balanced_container="web",
        )
    assert caught.value.field == "containers"
