"""`terraform validate`, offline, of every synthesized stack (see tools/tf_validate.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from constructs_lib.framework import current
from tests.synth import Synth
from tools import tf_validate

pytestmark = [pytest.mark.slow, pytest.mark.both_frameworks]


def _write(synth: Synth, directory: Path) -> Path:
    directory.mkdir(parents=True)
    (directory / "cdk.tf.json").write_text(synth.text)
    return directory


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_environment_stack_is_valid(env, synths, toolchain, tmp_path) -> None:
    mirror, terraform = toolchain
    result = tf_validate.validate(_write(synths[env], tmp_path / env), mirror, terraform)
    assert result.valid, result.summary()
    assert not [d for d in result.diagnostics if d.get("severity") == "warning"], result.summary()


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_own_service_stack_is_valid(env, own_synths, toolchain, tmp_path) -> None:
    """Environment, secrets, the certificate with its DNS validation and the alias record
    (tests/own_service.py) against the provider's schema."""
    mirror, terraform = toolchain
    result = tf_validate.validate(_write(own_synths[env], tmp_path / env), mirror, terraform)
    assert result.valid, result.summary()
    assert not [d for d in result.diagnostics if d.get("severity") == "warning"], result.summary()


def test_reuse_stack_is_valid(reuse, toolchain, tmp_path) -> None:
    mirror, terraform = toolchain
    stack_dir = _write(reuse, tmp_path / "reuse")
    result = tf_validate.validate(stack_dir, mirror, terraform)
    assert result.valid, result.summary()


def test_validation_catches_a_broken_stack(dev, toolchain, tmp_path) -> None:
    """The validator itself must be able to fail."""
    mirror, terraform = toolchain
    broken = json.loads(dev.text)
    service = next(iter(broken["resource"]["aws_ecs_service"].values()))
    service["launch_type"] = ["FARGATE"]  # a list where a string belongs
    result = tf_validate.validate(
        _write(Synth.of(json.dumps(broken)), tmp_path / "broken"), mirror, terraform
    )
    assert not result.valid


def test_copy_is_pinned_to_the_mirror_without_backend(dev, tmp_path) -> None:
    src = _write(dev, tmp_path / "src")
    out = tmp_path / "out"
    out.mkdir()
    tf_validate.prepare_copy(src, out, "5.100.0")
    terraform = json.loads((out / "cdk.tf.json").read_text())["terraform"]
    assert "backend" not in terraform
    assert terraform["required_providers"]["aws"] == {
        "source": "hashicorp/aws",
        "version": "5.100.0",
    }
    assert (
        json.loads((src / "cdk.tf.json").read_text())["terraform"]["required_providers"]["aws"][
            "version"
        ]
        == current().provider_version
    )


def test_copy_carries_the_packaged_assets(tmp_path) -> None:
    src = tmp_path / "src"
    (src / "assets" / "hook" / "abc").mkdir(parents=True)
    (src / "cdk.tf.json").write_text('{"terraform": {"required_providers": {"aws": {}}}}')
    (src / "assets" / "hook" / "abc" / "archive.zip").write_bytes(b"PK")
    out = tmp_path / "out"
    out.mkdir()
    tf_validate.prepare_copy(src, out, "5.100.0")
    assert (out / "assets" / "hook" / "abc" / "archive.zip").read_bytes() == b"PK"
    tf_validate.prepare_copy(src, out, "5.100.0")  # again, over an earlier copy
    assert (out / "assets" / "hook" / "abc" / "archive.zip").exists()


def _without_post_mirror_arguments(synth: Synth) -> Synth:
    return Synth.of(json.dumps(tf_validate.without_post_mirror_arguments(synth.tf)))


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_ecs_engine_stack_is_valid_but_for_what_the_mirror_predates(
    env, ecs_synths, toolchain, tmp_path
) -> None:
    """The offline mirror cannot check the ECS-native arguments themselves (provider >= 6.4;
    the cdktf bindings and the synthesized pin are 6.25): everything else of the ``ecs``
    stack must validate, and those arguments must be the only complaint."""
    mirror, terraform = toolchain
    stripped = tf_validate.validate(
        _write(_without_post_mirror_arguments(ecs_synths[env]), tmp_path / "stripped"),
        mirror,
        terraform,
    )
    assert stripped.valid, stripped.summary()
    whole = tf_validate.validate(_write(ecs_synths[env], tmp_path / "whole"), mirror, terraform)
    assert not whole.valid
    complaints = [d for d in whole.diagnostics if d.get("severity") == "error"]
    assert complaints, whole.summary()
    for diagnostic in complaints:
        text = json.dumps(diagnostic)
        assert any(a in text for a in tf_validate.POST_MIRROR_SERVICE_ARGUMENTS), text
