"""Settings: bad input stops the synth with one line naming the setting."""

from pathlib import Path

import pytest

from constructs_lib.codedeploy_pipeline import TrafficShift
from stacks.settings import Settings, SettingsError, load_settings, parse_settings

MINIMAL_ROOT = 'project = "shop"\nregion = "eu-west-1"\n'
# Ends inside [pipeline]: bad inputs without a table header land in that table.
MINIMAL = MINIMAL_ROOT + '[pipeline]\nrepository = "acme/shop"\n'


def _load(tmp_path: Path, text: str, env: str = "dev") -> Settings:
    path = tmp_path / f"{env}.toml"
    path.write_text(text)
    return load_settings(path)


def test_minimal_file_gets_documented_defaults(tmp_path: Path) -> None:
    s = _load(tmp_path, MINIMAL)
    assert s.stack_name == "shop-dev"
    assert s.network.vpc_cidr == "10.0.0.0/16"
    assert s.network.az_count == 2
    assert s.load_balancer.production_port == 80
    assert s.load_balancer.test_port == 8080
    assert s.load_balancer.test_ingress_cidrs == ()
    assert s.load_balancer.deregistration_delay_seconds == 30
    assert s.load_balancer.health_check.interval_seconds == 10
    assert (s.service.cpu, s.service.memory, s.service.desired_count) == (256, 512, 2)
    assert s.backend.kind == "local"
    assert (s.pipeline.repository, s.pipeline.branch) == ("acme/shop", "main")
    assert s.pipeline.connection_arn is None
    assert s.deployment.config == "CodeDeployDefault.ECSAllAtOnce"
    assert (s.deployment.ready_wait_minutes, s.deployment.termination_wait_minutes) == (0, 5)


def test_shipped_environments_load(settings_by_env: dict[str, Settings]) -> None:
    assert set(settings_by_env) >= {"dev", "prod"}
    assert settings_by_env["dev"].stack_name == "ecs-blue-green-dev"
    assert settings_by_env["prod"].load_balancer.deletion_protection is True


BAD_INPUTS = [
    # (TOML text appended to MINIMAL or replacing it, setting named, reason fragment)
    ('[network]\nvpc_cidr = "10.0.0.0/33"\n', "network.vpc_cidr", "invalid prefix length"),
    ('[network]\nvpc_cidr = "10.0.0.1/16"\n', "network.vpc_cidr", "host bits set"),
    ('[network]\nvpc_cidr = "banana"\n', "network.vpc_cidr", "not an IPv4 CIDR"),
    ('[network]\nvpc_cidr = "10.0.0.0/8"\n', "network.vpc_cidr", "/16 to /28"),
    ("[network]\naz_count = 1\n", "network.az_count", "between 2 and 6"),
    (
        '[network]\nvpc_cidr = "10.0.0.0/26"\naz_count = 3\nsubnet_prefix_length = 28\n',
        "network.subnet_prefix_length",
        "6 needed",
    ),
    (
        '[network]\npublic_subnet_cidrs = ["10.0.0.0/24", "10.0.1.0/24"]\n'
        'private_subnet_cidrs = ["10.0.1.0/24", "10.0.2.0/24"]\n',
        "network.subnets",
        "overlaps",
    ),
    (
        '[network]\npublic_subnet_cidrs = ["10.0.0.0/24", "10.9.0.0/24"]\n'
        'private_subnet_cidrs = ["10.0.2.0/24", "10.0.3.0/24"]\n',
        "network.public_subnet_cidrs[1]",
        "outside the VPC",
    ),
    ("[load_balancer]\ntest_port = 80\n", "load_balancer.test_port", "must differ"),
    ("[load_balancer]\nproduction_port = 70000\n", "load_balancer.production_port", "65535"),
    (
        '[load_balancer]\ntest_ingress_cidrs = ["0.0.0.0/0"]\n',
        "load_balancer.test_ingress_cidrs[0]",
        "internet",
    ),
    (
        '[load_balancer]\ntest_ingress_cidrs = ["1.2.3.4/40"]\n',
        "load_balancer.test_ingress_cidrs[0]",
        "prefix",
    ),
    (
        "[load_balancer.health_check]\ninterval_seconds = 5\ntimeout_seconds = 5\n",
        "load_balancer.health_check.timeout_seconds",
        "below interval_seconds",
    ),
    (
        "[service]\ncpu = 256\nmemory = 4096\n",
        "service.memory",
        "Fargate cpu 256 allows memory 512-2048",
    ),
    ("[service]\ncpu = 384\n", "service.cpu", "Fargate cpu must be one of"),
    ("[service]\ndesired_count = 0\n", "service.desired_count", "between 1 and 5000"),
    ("[service]\nlog_retention_days = 10\n", "service.log_retention_days", "CloudWatch accepts"),
    ("[service]\napp_port = 80\n", "service.proxy_port", "must differ from app_port"),
    (
        "[service]\nshutdown_grace_seconds = 200\n",
        "service.shutdown_grace_seconds",
        "between 1 and 115",
    ),
    ('[service]\ncontainer_insights = "yes"\n', "service.container_insights", "must be one of"),
    ('[service]\ndesired_count = "2"\n', "service.desired_count", "must be a int"),
    ("[service]\ndesired_cont = 2\n", "service.desired_cont", "unknown setting"),
    ('[backend]\nkind = "s3"\n', "backend.bucket", "needs a valid bucket name"),
    ('[backend]\nkind = "gcs"\n', "backend.kind", "must be 'local' or 's3'"),
    ("[tags]\n\"aws:owner\" = 'me'\n", "tags.aws:owner", "not starting with aws:"),
    ('branch = "feature..x"\n', "pipeline.branch", "not a branch name"),
    (
        'connection_arn = "arn:aws:s3:::bucket"\n',
        "pipeline.connection_arn",
        "not a CodeConnections",
    ),
    ('build_compute_type = "HUGE"\n', "pipeline.build_compute_type", "must be one of"),
    ('buildspec_path = "/etc/buildspec.yml"\n', "pipeline.buildspec_path", "relative path"),
    ("build_timeout_minutes = 1\n", "pipeline.build_timeout_minutes", "between 5 and 480"),
    ('file_paths = [""]\n', "pipeline.file_paths[0]", "1-255 characters"),
    ("artifact_expiry_days = 0\n", "pipeline.artifact_expiry_days", "between 1 and 3650"),
    ("artifact_force_destroy = 1\n", "pipeline.artifact_force_destroy", "must be a bool"),
    (
        '[deployment]\nconfig = "CodeDeployDefault.AllAtOnce"\n',
        "deployment.config",
        "must be 'custom' or one of CodeDeployDefault.ECSAllAtOnce",
    ),
    (
        '[deployment]\nconfig = "custom"\n[deployment.custom]\nkind = "blue"\n',
        "deployment.custom.kind",
        "must be 'canary' or 'linear'",
    ),
    (
        '[deployment]\nconfig = "custom"\n[deployment.custom]\nkind = "linear"\npercentage = 100\n',
        "deployment.custom.percentage",
        "between 1 and 99",
    ),
    (
        '[deployment]\nconfig = "custom"\n[deployment.custom]\nkind = "canary"\ninterval_minutes = 0\n',
        "deployment.custom.interval_minutes",
        "between 1 and 2880",
    ),
    (
        '[deployment.custom]\nkind = "canary"\n',
        "deployment.custom",
        "only applies when config = 'custom'",
    ),
    ("[deployment]\nready_wait_minutes = 7201\n", "deployment.ready_wait_minutes", "0 and 7200"),
    (
        "[deployment]\ntermination_wait_minutes = -1\n",
        "deployment.termination_wait_minutes",
        "between 0 and 2880",
    ),
]


@pytest.mark.parametrize(("extra", "setting", "reason"), BAD_INPUTS, ids=[b[1] for b in BAD_INPUTS])
def test_bad_setting_is_one_line_naming_it(
    tmp_path: Path, extra: str, setting: str, reason: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        _load(tmp_path, MINIMAL + extra)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{tmp_path / 'dev.toml'}: {setting}: "), message
    assert reason in message


@pytest.mark.parametrize(
    ("text", "setting", "reason"),
    [
        ('project = "Shop"\nregion = "eu-west-1"\n', "project", "lowercase"),
        ('project = "' + "x" * 41 + '"\nregion = "eu-west-1"\n', "project", "longer than 40"),
        ('project = "shop"\n', "region", "not an AWS region name"),
        ('project = "shop"\nregion = "mars-1"\n', "region", "not an AWS region name"),
        ('regoin = "x"\n' + MINIMAL, "regoin", "unknown setting"),
        (MINIMAL_ROOT, "pipeline.repository", "required"),
        (MINIMAL_ROOT + '[pipeline]\nrepository = "shop"\n', "pipeline.repository", "owner/name"),
    ],
)
def test_bad_top_level_settings(tmp_path: Path, text: str, setting: str, reason: str) -> None:
    with pytest.raises(SettingsError, match=rf": {setting}: .*{reason}"):
        _load(tmp_path, text)


def test_environment_comes_from_the_file_name(tmp_path: Path) -> None:
    assert _load(tmp_path, MINIMAL, env="staging").stack_name == "shop-staging"
    with pytest.raises(SettingsError, match="environment"):
        _load(tmp_path, MINIMAL, env="Staging_1")


def test_invalid_toml_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="not valid TOML") as caught:
        _load(tmp_path, "project = \n")
    assert "\n" not in str(caught.value)


def test_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="cannot read"):
        load_settings(tmp_path / "nope.toml")


def test_s3_backend_settings(tmp_path: Path) -> None:
    s = _load(tmp_path, MINIMAL + '[backend]\nkind = "s3"\nbucket = "my-state"\n')
    assert s.backend.kind == "s3"
    assert s.backend.key == "shop/dev/terraform.tfstate"
    assert s.backend.use_lockfile is True


def test_settings_are_frozen() -> None:
    s = parse_settings(
        {"region": "eu-west-1", "pipeline": {"repository": "acme/shop"}}, environment="dev"
    )
    with pytest.raises(AttributeError):
        s.region = "us-east-1"  # type: ignore[misc]


def test_custom_traffic_shift(tmp_path: Path) -> None:
    s = _load(
        tmp_path,
        MINIMAL
        + '[deployment]\nconfig = "custom"\nready_wait_minutes = 30\n'
        + '[deployment.custom]\nkind = "linear"\npercentage = 25\ninterval_minutes = 2\n',
    )
    assert s.deployment.config == TrafficShift(kind="linear", percentage=25, interval_minutes=2)
    assert s.deployment.ready_wait_minutes == 30
