"""Settings: bad input stops the synth with one line naming the setting."""

from pathlib import Path

import pytest

from constructs_lib.framework import PAUSE_HOOKS_PROVIDER_VERSION, VARIABLE
from constructs_lib.release_spec import TrafficShift
from constructs_lib.validation import ValidationError
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
        "network.private_subnet_cidrs[0]",
        "10.0.1.0/24 overlaps network.public_subnet_cidrs[1] (10.0.1.0/24)",
    ),
    (
        '[network]\nvpc_cidr = "10.0.0.0/16"\npublic_subnet_cidrs = ["10.0.2.0/24", "10.0.5.0/24"]\n',
        "network.public_subnet_cidrs",
        "one of the private_subnet_cidrs carved from vpc_cidr by default",
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
    ('[service]\ndesired_count = "2"\n', "service.desired_count", "must be an integer"),
    ("[service]\ndesired_cont = 2\n", "service.desired_cont", "unknown setting"),
    ('[backend]\nkind = "s3"\n', "backend.bucket", "required with kind = 's3'"),
    ('[backend]\nkind = "s3"\nbucket = "my..state"\n', "backend.bucket", "two dots in a row"),
    ('[backend]\nkind = "s3"\nbucket = "10.0.0.1"\n', "backend.bucket", "an IP address"),
    ('[backend]\nkind = "s3"\nbucket = "xn--state"\n', "backend.bucket", "S3 keeps names"),
    ('[backend]\nkind = "s3"\nbucket = "s--ol-s3"\n', "backend.bucket", "S3 keeps names"),
    (
        '[backend]\nkind = "s3"\nbucket = "state"\nkey = "a/${x}"\n',
        "backend.key",
        "read by Terraform as a template",
    ),
    ('[backend]\nkind = "s3"\nbucket = "state"\nkey = "a\\nb"\n', "backend.key", "line breaks"),
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
    (
        "artifact_force_destroy = 1\n",
        "pipeline.artifact_force_destroy",
        "must be a boolean (true or false)",
    ),
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
    ('[deployment]\nengine = "ECS"\n', "deployment.engine", "codedeploy, ecs"),
    (
        '[deployment]\nengine = "ecs"\ntermination_wait_minutes = 1500\n',
        "deployment.termination_wait_minutes",
        "between 0 and 1440",
    ),
    (
        '[deployment]\nengine = "ecs"\nconfig = "custom"\n'
        '[deployment.custom]\nkind = "linear"\npercentage = 2\ninterval_minutes = 1\n',
        "deployment.custom.percentage",
        "at least 3 %",
    ),
    (
        '[deployment]\nengine = "ecs"\nconfig = "CodeDeployDefault.ECSCanary10Percent15Minutes"'
        "\ntermination_wait_minutes = 31\n",
        "deployment.termination_wait_minutes",
        "exceed the 60 minutes",
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
        ('project = "shop"\n', "region", "required: the AWS region"),
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
    assert s.deployment.engine == "codedeploy"


def test_ecs_engine_takes_the_same_release_settings(tmp_path: Path) -> None:
    s = _load(
        tmp_path,
        MINIMAL
        + '[deployment]\nengine = "ecs"\nconfig = "CodeDeployDefault.ECSCanary10Percent15Minutes"'
        + "\ntermination_wait_minutes = 30\n",
    )
    assert s.deployment.engine == "ecs"
    # 15 minutes of canary + 30 of bake + 15 to start and verify: just within the 60 the
    # ECS deploy action waits.
    assert s.deployment.termination_wait_minutes == 30


ECS_READY_WAIT = '[deployment]\nengine = "ecs"\nready_wait_minutes = 20\n'


def test_ecs_ready_wait_is_refused_on_cdktf_saying_how_to_get_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(VARIABLE, "cdktf")
    _bad(
        tmp_path,
        MINIMAL + ECS_READY_WAIT,
        "deployment.ready_wait_minutes",
        f"needs hashicorp/aws >= {PAUSE_HOOKS_PROVIDER_VERSION}; cdktf's bindings are 6.25.0: "
        f"run on CDK Terrain ({VARIABLE}=cdktn, make FRAMEWORK=cdktn), use engine 'codedeploy'",
    )


def test_ecs_ready_wait_is_read_on_cdktn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VARIABLE, "cdktn")
    s = _load(tmp_path, MINIMAL + ECS_READY_WAIT)
    assert (s.deployment.engine, s.deployment.ready_wait_minutes) == ("ecs", 20)
    # 15 minutes of canary + 10 of bake + 15 to start and verify leave 20 of the 60.
    canary = (
        '[deployment]\nengine = "ecs"\nconfig = "CodeDeployDefault.ECSCanary10Percent15Minutes"'
        "\ntermination_wait_minutes = 10\n"
    )
    longest = _load(tmp_path, MINIMAL + canary + "ready_wait_minutes = 20\n")
    assert longest.deployment.ready_wait_minutes == 20
    _bad(
        tmp_path,
        MINIMAL + canary + "ready_wait_minutes = 21\n",
        "deployment.ready_wait_minutes",
        "exceed the 60 minutes CodePipeline's ECS action waits for a release: at most 20 min",
    )


# --- Holes the property tests (test_settings_properties.py) found, one example each. ---


def _case_id(value: object) -> str:
    """Test ids: the setting a case names, not the TOML text around it."""
    text = str(value)
    return "toml" if "\n" in text or " = " in text else text


def _bad(tmp_path: Path, text: str, setting: str, reason: str, env: str = "dev") -> None:
    with pytest.raises(SettingsError) as caught:
        _load(tmp_path, text, env=env)
    message = str(caught.value)
    assert len(message.splitlines()) == 1, message
    assert message.startswith(f"{tmp_path / f'{env}.toml'}: {setting}: "), message
    assert reason in message, message


@pytest.mark.parametrize(
    ("text", "setting"),
    [
        ('project = "shop\\n"\nregion = "eu-west-1"\n[pipeline]\nrepository = "a/b"\n', "project"),
        ('project = "shop"\nregion = "eu-west-1\\n"\n[pipeline]\nrepository = "a/b"\n', "region"),
        (MINIMAL_ROOT + '[pipeline]\nrepository = "acme/shop\\n"\n', "pipeline.repository"),
        (MINIMAL + 'branch = "main\\n"\n', "pipeline.branch"),
        (MINIMAL + 'buildspec_path = "app/buildspec.yml\\n"\n', "pipeline.buildspec_path"),
        (
            MINIMAL + 'connection_arn = "arn:aws:codeconnections:eu-west-1:123456789012:'
            'connection/abc\\n"\n',
            "pipeline.connection_arn",
        ),
        (MINIMAL + '[backend]\nkind = "s3"\nbucket = "state\\n"\n', "backend.bucket"),
        (
            MINIMAL + '[backend]\nkind = "s3"\nbucket = "state"\nregion = "eu-west-1\\n"\n',
            "backend.region",
        ),
    ],
    ids=_case_id,
)
def test_a_trailing_line_break_does_not_pass_for_a_name(
    tmp_path: Path, text: str, setting: str
) -> None:
    # The patterns ended in ``$``, which also matches before a final newline.
    _bad(tmp_path, text, setting, "")


def test_an_environment_file_name_with_a_line_break_is_refused_on_one_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "dev\n.toml"
    path.write_text(MINIMAL)
    with pytest.raises(SettingsError, match="environment") as caught:
        load_settings(path)
    message = str(caught.value)
    assert len(message.splitlines()) == 1, message
    assert message.startswith(repr(str(path))), message


@pytest.mark.parametrize(
    ("extra", "setting"),
    [
        ('"x\\ny" = 1\n[pipeline]\nrepository = "a/b"\n', '"x\\U0000000Ay"'),
        ('"\\r" = 1\n[pipeline]\nrepository = "a/b"\n', '"\\U0000000D"'),
        ('"" = 1\n[pipeline]\nrepository = "a/b"\n', '""'),
        ('[pipeline]\nrepository = "a/b"\n[tags]\n"a\\nb" = "x"\n', 'tags."a\\U0000000Ab"'),
    ],
    ids=_case_id,
)
def test_keys_that_are_not_printable_are_quoted_so_the_error_stays_one_line(
    tmp_path: Path, extra: str, setting: str
) -> None:
    _bad(tmp_path, MINIMAL_ROOT + extra, setting, "")


@pytest.mark.parametrize(
    "content",
    [
        b'project = "caf\xe9"\n',  # Latin-1, not UTF-8: UnicodeDecodeError escaped tomllib
        b"a = " + b"1" * 5000 + b"\n",  # Python refuses to convert > 4300 digits
        b"a = " + b"[" * 5000,  # tomllib recurses once per level
    ],
    ids=["not-utf8", "integer-too-long", "nested-too-deeply"],
)
def test_unreadable_toml_is_one_line_not_a_traceback(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "dev.toml"
    path.write_bytes(content)
    with pytest.raises(SettingsError, match="not valid TOML") as caught:
        load_settings(path)
    assert len(str(caught.value).splitlines()) == 1


@pytest.mark.parametrize(("table", "key"), [("service", "desired_count"), ("service", "cpu")])
def test_an_integer_too_long_to_print_is_refused_without_a_traceback(table: str, key: str) -> None:
    data = {"region": "eu-west-1", "pipeline": {"repository": "a/b"}, table: {key: 10**5000}}
    with pytest.raises(ValidationError, match=rf"^{table}\.{key}: .*too large to show"):
        parse_settings(data, environment="dev")


@pytest.mark.parametrize(
    ("extra", "setting", "written"),
    [
        ('[network]\nvpc_cidr = "10.0.0.0/255.255.0.0"\n', "network.vpc_cidr", "10.0.0.0/16"),
        ('[network]\nvpc_cidr = "10.0.0.0/016"\n', "network.vpc_cidr", "10.0.0.0/16"),
        (
            '[network]\npublic_subnet_cidrs = ["10.0.0.0/0.0.0.255", "10.0.1.0/24"]\n'
            'private_subnet_cidrs = ["10.0.2.0/24", "10.0.3.0/24"]\n',
            "network.public_subnet_cidrs[0]",
            "10.0.0.0/24",
        ),
        (
            '[load_balancer]\nproduction_ingress_cidrs = ["0.0.0.0/0.0.0.0"]\n',
            "load_balancer.production_ingress_cidrs[0]",
            "0.0.0.0/0",
        ),
    ],
    ids=_case_id,
)
def test_cidrs_must_be_spelled_canonically(
    tmp_path: Path, extra: str, setting: str, written: str
) -> None:
    # Python reads netmasks and zero-padded prefixes; AWS and the provider do not.
    _bad(tmp_path, MINIMAL + extra, setting, f"write {written}")


@pytest.mark.parametrize("matcher", ["", "abc", "500", "199", "299-200", "200,", "200\\n"])
def test_health_check_matcher_must_be_http_codes_an_alb_accepts(
    tmp_path: Path, matcher: str
) -> None:
    text = MINIMAL + f'[load_balancer.health_check]\nmatcher = "{matcher}"\n'
    _bad(tmp_path, text, "load_balancer.health_check.matcher", "HTTP codes 200-499")


@pytest.mark.parametrize("matcher", ["200", "200-299", "200,204", "200-299,404", "499"])
def test_health_check_matcher_accepts_codes_ranges_and_lists(tmp_path: Path, matcher: str) -> None:
    s = _load(tmp_path, MINIMAL + f'[load_balancer.health_check]\nmatcher = "{matcher}"\n')
    assert s.load_balancer.health_check.matcher == matcher


@pytest.mark.parametrize("path", ["/a b", "/${var.x}", "/%{ if true }", "/#top", "/é"])
def test_health_check_path_must_be_url_characters(tmp_path: Path, path: str) -> None:
    text = MINIMAL + f'[load_balancer.health_check]\npath = "{path}"\n'
    _bad(tmp_path, text, "load_balancer.health_check.path", "URL characters")


def test_health_check_path_may_carry_a_query(tmp_path: Path) -> None:
    s = _load(tmp_path, MINIMAL + '[load_balancer.health_check]\npath = "/health?deep=1"\n')
    assert s.load_balancer.health_check.path == "/health?deep=1"


@pytest.mark.parametrize(
    ("tags", "setting"),
    [
        ('Team = "${var.x}"\n', "tags.Team"),
        ('"a;b" = "x"\n', "tags.a;b"),
        ('Team = "a\\tb"\n', "tags.Team"),
    ],
    ids=_case_id,
)
def test_tags_hold_only_characters_aws_allows(tmp_path: Path, tags: str, setting: str) -> None:
    _bad(tmp_path, MINIMAL_ROOT + "[tags]\n" + tags, setting, "only letters, digits")


def test_unicode_letters_are_fine_in_tags(tmp_path: Path) -> None:
    s = _load(tmp_path, MINIMAL + '[tags]\n"Équipe" = "données: a/b = c+d @ e_f"\n')
    assert s.tags == {"Équipe": "données: a/b = c+d @ e_f"}


def test_at_most_45_tags_leave_room_for_the_stacks_own(tmp_path: Path) -> None:
    tags = "".join(f't{i} = "x"\n' for i in range(46))
    _bad(tmp_path, MINIMAL_ROOT + "[tags]\n" + tags, "tags", "at most 45 tags")
    assert len(_load(tmp_path, MINIMAL + "[tags]\n" + tags.split("t45")[0]).tags) == 45


def test_at_most_8_file_path_patterns(tmp_path: Path) -> None:
    patterns = ", ".join(f'"p{i}/**"' for i in range(9))
    _bad(tmp_path, MINIMAL + f"file_paths = [{patterns}]\n", "pipeline.file_paths", "at most 8")


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [("${var.x}/**", "read by Terraform as a template"), ("app/\\n**", "line breaks")],
)
def test_file_path_patterns_reach_terraform_verbatim(
    tmp_path: Path, pattern: str, reason: str
) -> None:
    _bad(tmp_path, MINIMAL + f'file_paths = ["{pattern}"]\n', "pipeline.file_paths[0]", reason)


@pytest.mark.parametrize(
    ("project", "env"),
    [
        ("internal", "dev"),
        ("internal-tools", "dev"),
        ("sthree", "dev"),
        ("amzn-s3", "demo-x"),
        ("sg", "dev"),  # security group names
        ("aws-shop", "dev"),  # SSM parameter names (/<stack>/release/...)
        ("ssmtools", "dev"),
    ],
)
def test_names_aws_reserves_are_refused(tmp_path: Path, project: str, env: str) -> None:
    text = f'project = "{project}"\nregion = "eu-west-1"\n[pipeline]\nrepository = "a/b"\n'
    _bad(tmp_path, text, "project", "which AWS reserves", env=env)


def test_a_project_merely_containing_internal_is_fine(tmp_path: Path) -> None:
    text = 'project = "internals"\nregion = "eu-west-1"\n[pipeline]\nrepository = "a/b"\n'
    assert _load(tmp_path, text).stack_name == "internals-dev"


def test_a_region_name_too_long_for_the_bucket_name_is_refused(tmp_path: Path) -> None:
    # It used to pass here and fail in the synth with a ValueError from the bucket naming.
    text = 'project = "shop"\nregion = "aa-a-' + "a" * 25 + '-0"\n[pipeline]\nrepository = "a/b"\n'
    _bad(tmp_path, text, "region", "not an AWS region name")


@pytest.mark.parametrize(
    ("backend", "setting"),
    [
        ('key = "shop.tfstate"\n', "backend.key"),
        ('region = "eu-west-1"\n', "backend.region"),
        ("use_lockfile = false\n", "backend.use_lockfile"),
    ],
    ids=_case_id,
)
def test_s3_settings_on_a_local_backend_are_not_silently_ignored(
    tmp_path: Path, backend: str, setting: str
) -> None:
    _bad(tmp_path, MINIMAL + '[backend]\nkind = "local"\n' + backend, setting, "only applies")


def test_an_empty_bucket_still_means_no_bucket_on_a_local_backend(tmp_path: Path) -> None:
    assert _load(tmp_path, MINIMAL + '[backend]\nbucket = ""\n').backend.bucket is None


@pytest.mark.parametrize("key", ["", "/state", "state/", "a//b", "k" * 1025])
def test_s3_state_key_follows_terraforms_rules(tmp_path: Path, key: str) -> None:
    text = MINIMAL + f'[backend]\nkind = "s3"\nbucket = "my-state"\nkey = "{key}"\n'
    _bad(tmp_path, text, "backend.key", "a state key is 1-1024 characters")


def test_test_ingress_cidrs_must_not_repeat_the_vpc(tmp_path: Path) -> None:
    text = MINIMAL + '[load_balancer]\ntest_ingress_cidrs = ["10.1.0.0/24", "10.0.0.0/16"]\n'
    _bad(tmp_path, text, "load_balancer.test_ingress_cidrs[1]", "is the VPC")


def test_a_vpc_too_small_for_any_subnet_names_the_vpc(tmp_path: Path) -> None:
    # Was "subnet_prefix_length: must be between 29 and 28".
    _bad(tmp_path, MINIMAL + '[network]\nvpc_cidr = "10.0.0.0/28"\n', "network.vpc_cidr", "no room")


def test_alarm_thresholds_are_read_and_validated(tmp_path, project_root) -> None:
    base = (project_root / "config" / "dev.toml").read_text().split("\n[alarms]")[0]
    good = tmp_path / "good.toml"
    good.write_text(base + "\n[alarms]\np95_response_seconds = 2\nevaluation_periods = 1\n")
    alarms = load_settings(good).alarms
    assert alarms.enabled is True
    assert alarms.thresholds.p95_response_seconds == 2
    assert alarms.thresholds.evaluation_periods == 1
    bad = tmp_path / "bad.toml"
    bad.write_text(base + "\n[alarms]\nperiod_seconds = 45\n")
    with pytest.raises(
        SettingsError, match=r"alarms\.period_seconds: must be 10, 30 or a multiple"
    ):
        load_settings(bad)
    off = tmp_path / "off.toml"
    off.write_text(base + "\n[alarms]\nenabled = false\nthreshold = 3\n")
    with pytest.raises(SettingsError, match=r"alarms\.threshold: unknown setting"):
        load_settings(off)


def _with(project_root, tmp_path, extra: str, *, drop: tuple[str, ...] = ()) -> Path:
    """dev.toml without the tables in ``drop``, plus ``extra``."""
    text = (project_root / "config" / "dev.toml").read_text()
    for table in drop:
        start = text.index(f"\n[{table}]")
        end = text.find("\n[", start + 1)
        while end != -1 and text[end + 1 :].lstrip("[").startswith(f"{table}."):
            end = text.find("\n[", end + 1)
        text = text[:start] + (text[end:] if end != -1 else "\n")
    path = tmp_path / "dev.toml"
    path.write_text(text + extra)
    return path


def test_task_placement_and_nat_gateways(tmp_path, project_root) -> None:
    dev = load_settings(project_root / "config" / "dev.toml")
    assert (dev.network.task_placement, dev.network.nat_gateways) == ("private-nat", "single")
    text = (project_root / "config" / "dev.toml").read_text()
    bad = tmp_path / "dev.toml"
    bad.write_text(text.replace('task_placement = "private-nat"', 'task_placement = "private"'))
    with pytest.raises(
        SettingsError,
        match=r"network\.task_placement: must be one of private-endpoints, private-nat, public, got 'private'",
    ):
        load_settings(bad)
    bad.write_text(text.replace('task_placement = "private-nat"', 'task_placement = "public"'))
    with pytest.raises(
        SettingsError,
        match=r"network\.nat_gateways: only applies to task_placement = 'private-nat'",
    ):
        load_settings(bad)
    default = tmp_path / "default.toml"
    default.write_text(
        text.replace('task_placement = "private-nat"', "").replace('nat_gateways = "single"', "")
    )
    assert load_settings(default).network.task_placement == "private-endpoints"


def test_verification_probes_are_read_and_validated(tmp_path, project_root) -> None:
    dev = load_settings(project_root / "config" / "dev.toml").verification
    assert dev.enabled is True
    assert [(p.path, p.body, p.body_is_version) for p in dev.probes] == [
        ("/health", "ok", False),
        ("/", None, True),
    ]
    probe = '\n[[verification.probes]]\npath = "/ready"\nstatus = 204\n'
    path = _with(
        project_root,
        tmp_path,
        "\n[verification]\ndeadline_seconds = 60\n" + probe,
        drop=("verification",),
    )
    custom = load_settings(path).verification
    assert [(p.path, p.status) for p in custom.probes] == [("/ready", 204)]
    assert custom.deadline_seconds == 60
    for extra, message in (
        ('\n[[verification.probes]]\npath = "ready"\n', r"verification\.probes\[0\]\.path: "),
        (
            '\n[[verification.probes]]\npath = "/"\nbody = "x"\nbody_is_version = true\n',
            r"verification\.probes\[0\]\.body: cannot be given together",
        ),
        (
            '\n[[verification.probes]]\npath = "/"\nexpect = 200\n',
            r"verification\.probes\[0\]\.expect: unknown setting",
        ),
        (
            "\n[verification]\ninterval_seconds = 200\n",
            r"verification\.interval_seconds: must be less than deadline_seconds \(120\)",
        ),
    ):
        path = _with(project_root, tmp_path, extra, drop=("verification",))
        with pytest.raises(SettingsError, match=message):
            load_settings(path)


def test_verification_can_be_turned_off(tmp_path, project_root) -> None:
    path = _with(
        project_root, tmp_path, "\n[verification]\nenabled = false\n", drop=("verification",)
    )
    assert load_settings(path).verification.enabled is False


def test_https_settings(tmp_path, project_root) -> None:
    text = (project_root / "config" / "dev.toml").read_text()
    certificate = (
        "arn:aws:acm:ap-northeast-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    )
    path = tmp_path / "dev.toml"
    path.write_text(
        text.replace(
            "production_port = 80", f'production_port = 443\ncertificate_arn = "{certificate}"'
        )
    )
    lb = load_settings(path).load_balancer
    assert (lb.certificate_arn, lb.http_redirect_port, lb.production_port) == (certificate, 80, 443)
    path.write_text(text.replace("production_port = 80", f'certificate_arn = "{certificate}"'))
    with pytest.raises(
        SettingsError, match=r"load_balancer\.http_redirect_port: 80 is already a listener port"
    ):
        load_settings(path)
    path.write_text(
        text.replace("production_port = 80", "production_port = 80\nhttp_redirect_port = 81")
    )
    with pytest.raises(
        SettingsError,
        match=r"load_balancer\.http_redirect_port: only applies with a certificate_arn",
    ):
        load_settings(path)


def test_autoscaling_is_off_by_default_and_on_in_prod(tmp_path, settings_by_env) -> None:
    off = _load(tmp_path, MINIMAL).autoscaling
    assert off.enabled is False
    assert (off.rules.min_count, off.rules.max_count, off.rules.cpu_target_percent) == (2, 6, 60)
    assert settings_by_env["dev"].autoscaling.enabled is False
    prod = settings_by_env["prod"]
    assert prod.autoscaling.enabled is True
    rules = prod.autoscaling.rules
    assert rules.min_count <= prod.service.desired_count <= rules.max_count
    assert rules.cpu_target_percent > 0


def test_autoscaling_settings_are_read(tmp_path: Path) -> None:
    s = _load(
        tmp_path,
        MINIMAL
        + "[autoscaling]\nenabled = true\nmin_count = 1\nmax_count = 8\n"
        + "cpu_target_percent = 70\nrequests_per_target = 500\n"
        + "scale_in_cooldown_seconds = 600\nscale_out_cooldown_seconds = 30\n",
    )
    rules = s.autoscaling.rules
    assert s.autoscaling.enabled is True
    assert (rules.min_count, rules.max_count) == (1, 8)
    assert (rules.cpu_target_percent, rules.requests_per_target) == (70, 500)
    assert (rules.scale_in_cooldown_seconds, rules.scale_out_cooldown_seconds) == (600, 30)


AUTOSCALING_BAD = [
    ("min_count = 0\n", "autoscaling.min_count", "between 1 and 5000"),
    ("max_count = 10000\n", "autoscaling.max_count", "between 1 and 5000"),
    ("min_count = 2\nmax_count = 1\n", "autoscaling.max_count", "at least min_count (2)"),
    ("cpu_target_percent = 100\n", "autoscaling.cpu_target_percent", "between 0 and 90"),
    ("cpu_target_percent = 0\n", "autoscaling.cpu_target_percent", "no scaling policy"),
    (
        "cpu_target_percent = 0\nrequests_per_target = 100\n",
        "autoscaling.requests_per_target",
        "needs cpu_target_percent",
    ),
    ("requests_per_target = -5\n", "autoscaling.requests_per_target", "between 0 and"),
    ("scale_in_cooldown_seconds = 4000\n", "autoscaling.scale_in_cooldown_seconds", "3600"),
    ('scale_out_cooldown_seconds = "60"\n', "autoscaling.scale_out_cooldown_seconds", "int"),
    ('enabled = "yes"\n', "autoscaling.enabled", "must be a boolean (true or false)"),
    ("min_tasks = 2\n", "autoscaling.min_tasks", "unknown setting"),
    # With autoscaling on, the service starts inside the autoscaler's range (desired 2).
    (
        "enabled = true\nmin_count = 3\n",
        "autoscaling.min_count",
        "at most service.desired_count (2)",
    ),
    ("enabled = true\nmax_count = 1\nmin_count = 1\n", "autoscaling.max_count", "at least service"),
]


@pytest.mark.parametrize(
    ("extra", "setting", "reason"), AUTOSCALING_BAD, ids=[b[0] for b in AUTOSCALING_BAD]
)
def test_bad_autoscaling_setting_is_one_line_naming_it(
    tmp_path: Path, extra: str, setting: str, reason: str
) -> None:
    _bad(tmp_path, MINIMAL + "[autoscaling]\n" + extra, setting, reason)


def test_desired_count_outside_the_range_is_fine_while_autoscaling_is_off(tmp_path: Path) -> None:
    s = _load(tmp_path, MINIMAL + "[autoscaling]\nenabled = false\nmin_count = 3\nmax_count = 4\n")
    assert s.autoscaling.enabled is False
    assert s.service.desired_count == 2


# --- a team's own service: environment, secrets, domain ------------------------------

SM_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/db-AbCdEf"
SSM_ARN = "arn:aws:ssm:eu-west-1:123456789012:parameter/shop/api-key"
KMS_ARN = "arn:aws:kms:eu-west-1:123456789012:key/0123abcd-4567-89ab-cdef-0123456789ab"
DOMAIN_LB = (
    '[load_balancer]\nproduction_port = 443\ndomain_name = "shop.example.com"\n'
    'hosted_zone_id = "Z0123456789ABCDEFGHIJ"\n'
)


def test_own_service_settings_are_read(tmp_path: Path) -> None:
    s = _load(
        tmp_path,
        MINIMAL
        + DOMAIN_LB
        + f'[service]\nsecrets_kms_key_arns = ["{KMS_ARN}"]\n'
        + '[service.environment]\nLOG_LEVEL = "debug"\nFEATURES = "a,b"\n'
        + f'[service.secrets]\nDB_PASSWORD = "{SM_ARN}:password::"\nAPI_KEY = "{SSM_ARN}"\n',
    )
    assert s.service.environment == {"LOG_LEVEL": "debug", "FEATURES": "a,b"}
    assert s.service.secrets == {"DB_PASSWORD": f"{SM_ARN}:password::", "API_KEY": SSM_ARN}
    assert s.service.secrets_kms_key_arns == (KMS_ARN,)
    lb = s.load_balancer
    assert (lb.domain_name, lb.hosted_zone_id) == ("shop.example.com", "Z0123456789ABCDEFGHIJ")
    assert (lb.certificate_arn, lb.http_redirect_port) == (None, 80)


def test_without_them_nothing_changes(tmp_path: Path) -> None:
    s = _load(tmp_path, MINIMAL)
    assert (s.service.environment, s.service.secrets, s.service.secrets_kms_key_arns) == (
        {},
        {},
        (),
    )
    assert (s.load_balancer.domain_name, s.load_balancer.hosted_zone_id) == (None, None)


OWN_SERVICE_BAD_INPUTS = [
    # environment
    ('[service.environment]\n"1ST" = "x"\n', "service.environment.1ST", "variable name"),
    ('[service.environment]\n"A-B" = "x"\n', "service.environment.A-B", "variable name"),
    ('[service.environment]\n"" = "x"\n', 'service.environment.""', "variable name"),
    ('[service.environment]\nPORT = "9000"\n', "service.environment.PORT", "service.app_port"),
    ('[service.environment]\nVERSION = "1"\n', "service.environment.VERSION", "each release"),
    (
        '[service.environment]\nSHUTDOWN_GRACE_PERIOD = "5s"\n',
        "service.environment.SHUTDOWN_GRACE_PERIOD",
        "set by the stack",
    ),
    (
        '[service.environment]\nRELEASE_SPEC = "x"\n',
        "service.environment.RELEASE_SPEC",
        "set by the stack",
    ),
    ('[service.environment]\nAWS_REGION = "x"\n', "service.environment.AWS_REGION", "Fargate"),
    (
        '[service.environment]\nECS_CONTAINER_METADATA_URI = "x"\n',
        "service.environment.ECS_CONTAINER_METADATA_URI",
        "ECS agent",
    ),
    ("[service.environment]\nWORKERS = 4\n", "service.environment.WORKERS", "must be a string"),
    ("[service.environment]\nDEBUG = true\n", "service.environment.DEBUG", "must be a string"),
    ('[service.environment]\nEMPTY = ""\n', "service.environment.EMPTY", "ECS drops empty"),
    ('[service.environment]\nT = "${var.x}"\n', "service.environment.T", "template"),
    ('[service.environment]\nN = "a\\u0000b"\n', "service.environment.N", "NUL"),
    ("[service]\nenvironment = 3\n", "service.environment", "must be a table"),
    (
        "[service.environment]\n" + "".join(f'V{i} = "{"x" * 2000}"\n' for i in range(40)),
        "service.environment",
        "ECS allows 65536",
    ),
    (
        "[service.environment]\n" + "".join(f'V{i} = "{"x" * 1000}"\n' for i in range(6)),
        "service.environment",
        "SSM holds 8192",
    ),
    (
        "[service.secrets]\n" + "".join(f'S{i} = "{SSM_ARN}-{"p" * 900}-{i}"\n' for i in range(7)),
        "service.secrets",
        "SSM holds 8192",
    ),
    # secrets
    ('[service.secrets]\nDB = "plain-password"\n', "service.secrets.DB", "is not an ARN"),
    (f'[service.secrets]\nDB = "{SM_ARN}:password"\n', "service.secrets.DB", "exactly"),
    (
        f'[service.secrets]\nDB = "{SM_ARN.replace("eu-west-1", "us-east-1")}"\n',
        "service.secrets.DB",
        "the stack's region is 'eu-west-1'",
    ),
    (
        f'[service.secrets]\nDB = "{SM_ARN.replace("arn:aws:", "arn:aws-cn:")}"\n',
        "service.secrets.DB",
        "partition",
    ),
    (
        '[service.secrets]\nDB = "arn:aws:ssm:eu-west-1:123456789012:document/shop"\n',
        "service.secrets.DB",
        "not a parameter",
    ),
    (f'[service.secrets]\nDB = "{SSM_ARN}:key::"\n', "service.secrets.DB", "no JSON-key"),
    (
        f'[service.environment]\nDB = "x"\n[service.secrets]\nDB = "{SSM_ARN}"\n',
        "service.secrets.DB",
        "also in service.environment",
    ),
    (f'[service.secrets]\nVERSION = "{SSM_ARN}"\n', "service.secrets.VERSION", "each release"),
    (f'[service.secrets]\nAWS_KEY = "{SSM_ARN}"\n', "service.secrets.AWS_KEY", "Fargate"),
    ("[service.secrets]\nDB = 1\n", "service.secrets.DB", "must be a string"),
    (
        f'[service]\nsecrets_kms_key_arns = ["{KMS_ARN}"]\n',
        "service.secrets_kms_key_arns",
        "only applies with service.secrets",
    ),
    (
        '[service]\nsecrets_kms_key_arns = ["arn:aws:kms:eu-west-1:123456789012:alias/x"]\n'
        f'[service.secrets]\nDB = "{SSM_ARN}"\n',
        "service.secrets_kms_key_arns[0]",
        "not a KMS key ARN",
    ),
    (
        f'[service]\nsecrets_kms_key_arns = ["{KMS_ARN.replace("eu-west-1", "eu-west-2")}"]\n'
        f'[service.secrets]\nDB = "{SSM_ARN}"\n',
        "service.secrets_kms_key_arns[0]",
        "region",
    ),
    # domain
    (
        '[load_balancer]\nproduction_port = 443\ndomain_name = "shop.example.com"\n',
        "load_balancer.hosted_zone_id",
        "required with domain_name",
    ),
    (
        '[load_balancer]\nhosted_zone_id = "Z0123456789ABCDEFGHIJ"\n',
        "load_balancer.domain_name",
        "required with hosted_zone_id",
    ),
    (
        DOMAIN_LB.replace("shop.example.com", "Shop.example.com"),
        "load_balancer.domain_name",
        "lowercase",
    ),
    (
        DOMAIN_LB.replace("shop.example.com", "shop.example.com."),
        "load_balancer.domain_name",
        "trailing dot",
    ),
    (
        DOMAIN_LB.replace("shop.example.com", "*.example.com"),
        "load_balancer.domain_name",
        "no wildcard",
    ),
    (
        DOMAIN_LB.replace("shop.example.com", f"{'a' * 64}.example.com"),
        "load_balancer.domain_name",
        "1-63",
    ),
    (
        DOMAIN_LB.replace("shop.example.com", ".".join(["label"] * 43)),
        "load_balancer.domain_name",
        "longer than 253",
    ),
    (DOMAIN_LB.replace("shop.example.com", "shop"), "load_balancer.domain_name", "two labels"),
    (
        DOMAIN_LB.replace("Z0123456789ABCDEFGHIJ", "/hostedzone/Z0123"),
        "load_balancer.hosted_zone_id",
        "hosted zone id",
    ),
    (
        DOMAIN_LB.replace("production_port = 443", "production_port = 8443"),
        "load_balancer.production_port",
        "must be 443 with a domain_name",
    ),
    (
        DOMAIN_LB + 'certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/'
        '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"\n',
        "load_balancer.domain_name",
        "not both",
    ),
    (
        DOMAIN_LB + "http_redirect_port = 8080\n",
        "load_balancer.http_redirect_port",
        "already a listener port",
    ),
    (DOMAIN_LB + 'ssl_policy = "TLSv1"\n', "load_balancer.ssl_policy", "ELBSecurityPolicy"),
]


@pytest.mark.parametrize(
    ("extra", "setting", "reason"),
    OWN_SERVICE_BAD_INPUTS,
    ids=[f"{i}-{b[1]}" for i, b in enumerate(OWN_SERVICE_BAD_INPUTS)],
)
def test_bad_own_service_setting_is_one_line_naming_it(
    tmp_path: Path, extra: str, setting: str, reason: str
) -> None:
    _bad(tmp_path, MINIMAL + extra, setting, reason)


def test_an_environment_beyond_the_standard_tier_but_within_ssm_is_taken(tmp_path: Path) -> None:
    """Parameter Store's Intelligent-Tiering takes the release template to the advanced
    tier above 4 KB; only beyond its 8 KB is the environment refused."""
    text = "[service.environment]\n" + "".join(f'V{i} = "{"x" * 1000}"\n' for i in range(3))
    assert len(_load(tmp_path, MINIMAL + text).service.environment) == 3


def test_tls_options_apply_with_a_domain(tmp_path: Path) -> None:
    s = _load(
        tmp_path,
        MINIMAL + DOMAIN_LB + 'ssl_policy = "ELBSecurityPolicy-TLS13-1-3-2021-06"\n'
        "http_redirect_port = 0\n",
    )
    assert (s.load_balancer.ssl_policy, s.load_balancer.http_redirect_port) == (
        "ELBSecurityPolicy-TLS13-1-3-2021-06",
        None,
    )


CERTIFICATE_EU = (
    "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
)


@pytest.mark.parametrize(
    ("text", "setting", "reason"),
    [
        (
            "[load_balancer]\nproduction_port = 443\ncertificate_arn = "
            f'"{CERTIFICATE_EU.replace("eu-west-1", "us-east-1")}"\n',
            "load_balancer.certificate_arn",
            "the certificate is in region 'us-east-1'; the stack's region is 'eu-west-1'",
        ),
        (
            "[load_balancer]\nproduction_port = 443\ncertificate_arn = "
            f'"{CERTIFICATE_EU.replace("arn:aws:", "arn:aws-cn:")}"\n',
            "load_balancer.certificate_arn",
            "the certificate is in partition 'aws-cn'",
        ),
        (
            '[tags]\nProject = "other"\n',
            "tags.Project",
            "the stack sets Project, Environment, ManagedBy",
        ),
        ('[tags]\nmanagedby = "me"\n', "tags.managedby", "choose another key"),
    ],
)
def test_settings_aws_or_the_stack_would_overrule_are_refused(
    tmp_path: Path, text: str, setting: str, reason: str
) -> None:
    _bad(tmp_path, MINIMAL + text, setting, reason)


def test_a_connection_of_another_region_is_fine_but_not_of_another_partition(
    tmp_path: Path,
) -> None:
    connection = "arn:aws:codeconnections:us-east-1:123456789012:connection/abc-123"
    path = tmp_path / "dev.toml"
    path.write_text(
        f'region = "eu-west-1"\n[pipeline]\nrepository = "acme/shop"\n'
        f'connection_arn = "{connection}"\n'
    )
    assert load_settings(path).pipeline.connection_arn == connection  # connections are global
    path.write_text(path.read_text().replace("arn:aws:", "arn:aws-us-gov:"))
    _bad(tmp_path, path.read_text(), "pipeline.connection_arn", "partition 'aws-us-gov'")


def test_an_accepted_certificate_of_the_stacks_region(tmp_path: Path) -> None:
    path = tmp_path / "dev.toml"
    path.write_text(
        MINIMAL + f'[load_balancer]\nproduction_port = 443\ncertificate_arn = "{CERTIFICATE_EU}"\n'
    )
    assert load_settings(path).load_balancer.certificate_arn == CERTIFICATE_EU
