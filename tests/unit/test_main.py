"""main.py: bad settings stop before cdktf is even imported, with one line and exit 2."""

import subprocess
import sys
from pathlib import Path

import pytest

import main


def test_bad_settings_exit_2_with_one_line(tmp_path: Path, monkeypatch, capsys) -> None:
    (tmp_path / "dev.toml").write_text('region = "eu-west-1"\n[service]\ncpu = 100\n')
    monkeypatch.setattr(main, "CONFIG_DIR", tmp_path)
    assert main.main([]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "service.cpu: Fargate cpu must be one of" in err
    assert "Traceback" not in err


def test_ecs_ready_wait_on_cdktf_exits_2_naming_the_file_the_setting_and_the_way_out(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    (tmp_path / "dev.toml").write_text(
        'region = "eu-west-1"\n[pipeline]\nrepository = "acme/shop"\n'
        '[deployment]\nengine = "ecs"\nready_wait_minutes = 10\n'
    )
    monkeypatch.setattr(main, "CONFIG_DIR", tmp_path)
    monkeypatch.setenv("ECS_BLUE_GREEN_FRAMEWORK", "cdktf")
    assert main.main([]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"error: {tmp_path / 'dev.toml'}: deployment.ready_wait_minutes: ")
    assert "ECS_BLUE_GREEN_FRAMEWORK=cdktn" in err
    assert "engine 'codedeploy'" in err


def test_empty_config_dir_is_an_error(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(main, "CONFIG_DIR", tmp_path)
    assert main.main([]) == 2
    assert "no <environment>.toml files" in capsys.readouterr().err


@pytest.mark.slow
def test_real_process_reports_without_traceback(tmp_path: Path, project_root: Path) -> None:
    """The whole path a user takes: a copy of the project with one broken setting."""
    (tmp_path / "main.py").write_text((project_root / "main.py").read_text())
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "dev.toml").write_text(
        'region = "eu-west-1"\n[network]\nvpc_cidr = "10.0.0.0/33"\n'
    )
    result = subprocess.run(
        [sys.executable, "main.py"],
        cwd=tmp_path,
        # As `pipenv run` does: the environment's bin (with its Node) first on PATH.
        env={
            "PYTHONPATH": str(project_root),
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().endswith(
        "network.vpc_cidr: '10.0.0.0/33' has an invalid prefix length"
    )
    assert result.stderr.count("\n") == 1


def test_stack_name_of_one_environment(capsys) -> None:
    assert main.main(["--stack-name", "prod"]) == 0
    assert capsys.readouterr().out == "ecs-blue-green-prod\n"


def test_stack_name_of_a_missing_environment_is_one_line(capsys) -> None:
    assert main.main(["--stack-name", "staging"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "staging.toml: cannot read" in err


def test_unknown_arguments_print_usage(capsys) -> None:
    assert main.main(["--verbose"]) == 2
    assert "usage: python main.py" in capsys.readouterr().err


def test_two_files_making_one_stack_are_refused_naming_both(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    pipeline = '[pipeline]\nrepository = "acme/shop"\n'
    (tmp_path / "dev.toml").write_text(f'region = "eu-west-1"\n{pipeline}')
    (tmp_path / "green-dev.toml").write_text(
        f'project = "ecs-blue"\nregion = "eu-west-1"\n{pipeline}'
    )
    monkeypatch.setattr(main, "CONFIG_DIR", tmp_path)
    assert main.main([]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "green-dev.toml: project: makes the stack 'ecs-blue-green-dev'" in err
    assert f"as {tmp_path / 'dev.toml'} does" in err


def test_files_inside_the_project_are_named_relative_to_it(capsys) -> None:
    from stacks.settings import PROJECT_ROOT, shown_path

    assert shown_path(PROJECT_ROOT / "config" / "dev.toml") == "config/dev.toml"
    assert shown_path(Path("/elsewhere/dev.toml")) == "/elsewhere/dev.toml"


def test_files_differing_only_in_case_are_refused(tmp_path: Path, monkeypatch, capsys) -> None:
    """On a case-insensitive disk they would be one file; environment names are lowercase."""
    text = 'region = "eu-west-1"\n[pipeline]\nrepository = "acme/shop"\n'
    (tmp_path / "dev.toml").write_text(text)
    (tmp_path / "Dev.toml").write_text(text)
    monkeypatch.setattr(main, "CONFIG_DIR", tmp_path)
    assert main.main([]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "Dev.toml: environment (file name): 'Dev' must start with a lowercase letter" in err
