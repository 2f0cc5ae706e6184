"""Promotion settings: each environment file alone (pipeline.promote_from, approval,
account_id) and the environments together (stacks/promotion.py), one line per refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

import main
from stacks import promotion
from stacks.settings import Settings, SettingsError, load_settings
from stacks.workload import workload_task

BUILDING = 'project = "shop"\nregion = "eu-west-1"\n[pipeline]\nrepository = "acme/shop"\n'
PROMOTED = 'project = "shop"\nregion = "eu-west-1"\n[pipeline]\npromote_from = "dev"\n'


def _configs(tmp_path: Path, **files: str) -> Path:
    for env, text in files.items():
        (tmp_path / f"{env}.toml").write_text(text)
    return tmp_path


def _refusal(tmp_path: Path, **files: str) -> str:
    with pytest.raises(SettingsError) as caught:
        main.load_all(_configs(tmp_path, **files))
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_promoted_environment_builds_nothing(tmp_path: Path) -> None:
    environments = main.load_all(_configs(tmp_path, dev=BUILDING, prod=PROMOTED))
    plan = promotion.plan_promotions(environments)
    dev, prod = (s for s in environments)
    assert plan["prod"].source == dev
    assert plan["prod"].image_home == dev
    assert plan["dev"].targets == (prod,)
    assert plan["dev"].pullers == (prod,)
    assert plan["dev"].source is None
    assert plan["prod"].targets == plan["prod"].pullers == ()
    assert prod.pipeline.repository == ""
    assert prod.pipeline.approval == "none"


def test_a_chain_pulls_from_the_environment_that_builds(tmp_path: Path) -> None:
    staging = PROMOTED
    prod = PROMOTED.replace('"dev"', '"staging"')
    environments = main.load_all(_configs(tmp_path, dev=BUILDING, staging=staging, prod=prod))
    plan = promotion.plan_promotions(environments)
    assert plan["prod"].source is not None
    assert plan["prod"].source.environment == "staging"
    assert plan["prod"].image_home.environment == "dev"
    assert [s.environment for s in plan["dev"].pullers] == ["prod", "staging"]
    assert [s.environment for s in plan["staging"].targets] == ["prod"]
    assert plan["staging"].pullers == ()  # it runs dev's images, it holds none


@pytest.mark.parametrize(
    ("files", "names", "reason"),
    [
        ({"prod": PROMOTED}, "prod.toml: pipeline.promote_from", "'dev' is not an environment"),
        (
            {"dev": PROMOTED},
            "dev.toml: pipeline.promote_from",
            "is this environment: it cannot promote itself",
        ),
        (
            {"a": PROMOTED.replace('"dev"', '"b"'), "b": PROMOTED.replace('"dev"', '"a"')},
            "a.toml: pipeline.promote_from",
            "promotion cycle a <- b <- a",
        ),
        (
            {"dev": BUILDING, "prod": PROMOTED.replace("eu-west-1", "eu-central-1")},
            "prod.toml: pipeline.promote_from",
            "promotion stays in one region",
        ),
        (
            {"dev": BUILDING, "prod": 'account_id = "123456789012"\n' + PROMOTED},
            "prod.toml: account_id",
            "set it in both",
        ),
    ],
)
def test_environments_that_cannot_promote_are_refused(
    tmp_path: Path, files: dict[str, str], names: str, reason: str
) -> None:
    message = _refusal(tmp_path, **files)
    assert f"{names}: " in message, message
    assert reason in message, message


def test_a_source_building_other_containers_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The project's workload is one for every environment today; the check stands guard
    for the day it is not."""

    def workload(service: object) -> object:
        task = workload_task(service)  # type: ignore[arg-type]
        if getattr(service, "cpu", None) == 512:  # prod's service only
            containers = tuple(
                type(c)(**{**c.__dict__, "build_context": "other"}) for c in task.containers
            )
            return type(task)(**{**task.__dict__, "containers": containers})
        return task

    monkeypatch.setattr(promotion, "workload_task", workload)
    message = _refusal(
        tmp_path,
        dev=BUILDING,
        prod=PROMOTED + "[service]\ncpu = 512\nmemory = 1024\n",
    )
    assert "prod.toml: pipeline.promote_from: 'dev' builds other containers" in message


@pytest.mark.parametrize(
    ("extra", "setting", "reason"),
    [
        ('repository = "acme/shop"\n', "pipeline.repository", "builds nothing"),
        ('branch = "main"\n', "pipeline.branch", "builds nothing"),
        ('file_paths = ["app/**"]\n', "pipeline.file_paths", "builds nothing"),
        ('buildspec_path = "app/buildspec.yml"\n', "pipeline.buildspec_path", "builds nothing"),
        (
            'connection_arn = "arn:aws:codeconnections:eu-west-1:123456789012:connection/x"\n',
            "pipeline.connection_arn",
            "builds nothing",
        ),
        ('approval = "later"\n', "pipeline.approval", "must be one of none, manual"),
        ('approval = "manual"\napproval_emails = ["ops"]\n', "pipeline.approval_emails[0]", ""),
        (
            'approval = "manual"\napproval_emails = ["a@example.com", "a@example.com"]\n',
            "pipeline.approval_emails",
            "lists an address twice",
        ),
        ('approval_emails = ["a@example.com"]\n', "pipeline.approval_emails", "only with"),
        ('build_compute_type = "HUGE"\n', "pipeline.build_compute_type", "must be one of"),
    ],
)
def test_bad_promoted_pipeline_settings(
    tmp_path: Path, extra: str, setting: str, reason: str
) -> None:
    path = tmp_path / "prod.toml"
    path.write_text(PROMOTED + extra)
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    assert str(caught.value).startswith(f"{path}: {setting}: "), caught.value
    assert reason in str(caught.value)


@pytest.mark.parametrize("key", ["ecr_images_to_keep = 5", "ecr_force_delete = false"])
def test_a_promoted_environment_has_no_repositories_to_configure(tmp_path: Path, key: str) -> None:
    path = tmp_path / "prod.toml"
    path.write_text(PROMOTED + f"[service]\n{key}\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    setting = key.split(" ", maxsplit=1)[0]
    assert str(caught.value).startswith(f"{path}: service.{setting}: means nothing"), caught.value


def test_the_images_others_run_survive_a_destroy(tmp_path: Path) -> None:
    message = _refusal(
        tmp_path, dev=BUILDING + "[service]\necr_force_delete = true\n", prod=PROMOTED
    )
    assert "dev.toml: service.ecr_force_delete: 'prod' runs 'dev''s images" in message


@pytest.mark.parametrize(
    ("text", "setting"),
    [
        ('account_id = "12345678901"\n' + BUILDING, "account_id"),
        ('account_id = "1234567890123"\n' + BUILDING, "account_id"),
        ('account_id = "12345678901a"\n' + BUILDING, "account_id"),
        ("account_id = 123456789012\n" + BUILDING, "account_id"),
        (BUILDING + 'approval = "manual"\napproval_emails = ["not an address"]\n', ""),
        (BUILDING.replace('"acme/shop"', '"acme/shop"\npromote_from = "Dev"'), ""),
    ],
)
def test_bad_account_ids_and_addresses(tmp_path: Path, text: str, setting: str) -> None:
    path = tmp_path / "dev.toml"
    path.write_text(text)
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: {setting or 'pipeline.'}"), message


def test_account_id_and_approval_are_read(tmp_path: Path) -> None:
    path = tmp_path / "dev.toml"
    path.write_text(
        'account_id = "123456789012"\n'
        + BUILDING
        + 'approval = "manual"\napproval_emails = ["ops@example.com", "lead@example.org"]\n'
    )
    s: Settings = load_settings(path)
    assert s.account_id == "123456789012"
    assert s.pipeline.approval == "manual"
    assert s.pipeline.approval_emails == ("ops@example.com", "lead@example.org")


def test_shipped_prod_promotes_dev_with_approval(settings_by_env: dict[str, Settings]) -> None:
    prod = settings_by_env["prod"]
    assert prod.pipeline.promote_from == "dev"
    assert prod.pipeline.approval == "manual"
    assert settings_by_env["dev"].pipeline.promote_from is None
    plan = promotion.plan_promotions(list(settings_by_env.values()))
    assert plan["dev"].targets == (prod,)


def test_main_refuses_a_bad_promotion_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(main, "CONFIG_DIR", _configs(tmp_path, prod=PROMOTED))
    assert main.main([]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "pipeline.promote_from" in err
    assert "\n" not in err


def test_a_promotion_needs_the_release_build_in_the_project(tmp_path: Path) -> None:
    building = BUILDING + 'buildspec_path = "ci/release.yml"\n'
    message = _refusal(tmp_path, dev=building, prod=PROMOTED)
    assert "prod.toml: pipeline.promote_from: 'dev''s release build ci/release.yml" in message
