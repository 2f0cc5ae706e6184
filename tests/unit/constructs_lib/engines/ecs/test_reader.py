"""``make timeline`` reads an ECS-native release's ready wait from its PAUSE lifecycle
hooks (plain JSON: no bindings, the same under either framework line)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from constructs_lib.engines.ecs.reader import read_ready_wait
from constructs_lib.release_reading import StackReadError

VERIFY = {
    "hook_target_arn": "${aws_lambda_function.hook.arn}",
    "role_arn": "${aws_iam_role.infrastructure-role.arn}",
    "lifecycle_stages": ["POST_TEST_TRAFFIC_SHIFT"],
}


def _pause(
    minutes: object = None,
    *,
    action: str | None = "ROLLBACK",
    stages: Sequence[str] = ("POST_TEST_TRAFFIC_SHIFT",),
) -> dict[str, Any]:
    timeout = {
        key: value
        for key, value in (("action", action), ("timeout_in_minutes", minutes))
        if value is not None
    }
    hook: dict[str, Any] = {"target_type": "PAUSE", "lifecycle_stages": list(stages)}
    if timeout:
        hook["timeout_configuration"] = timeout
    return hook


def _read(*hooks: dict[str, Any]) -> int | None:
    return read_ready_wait({"strategy": "BLUE_GREEN", "lifecycle_hook": list(hooks)})


def test_no_pause_hook_is_no_ready_wait() -> None:
    assert read_ready_wait({"strategy": "BLUE_GREEN"}) is None
    assert _read(VERIFY) is None
    # A Lambda hook named AWS_LAMBDA explicitly is no wait either.
    assert _read({**VERIFY, "target_type": "AWS_LAMBDA"}) is None


def test_the_pause_beside_the_verification_hook_is_the_ready_wait() -> None:
    assert _read(VERIFY, _pause("20")) == 20
    assert _read(_pause(45), VERIFY) == 45


def test_ecs_defaults_apply_to_an_unset_timeout_and_action() -> None:
    assert _read(_pause()) == 1440
    assert _read(_pause(30, action=None)) == 30


def test_pauses_of_one_stage_overlap_and_stages_add_up() -> None:
    assert _read(_pause(10), _pause(30)) == 30
    assert _read(_pause(10, stages=("POST_SCALE_UP",)), _pause(30)) == 40
    assert _read(_pause(10, stages=("POST_SCALE_UP", "POST_TEST_TRAFFIC_SHIFT"))) == 20


def test_a_pause_that_continues_by_itself_is_not_timed() -> None:
    with pytest.raises(StackReadError, match="fixed delay"):
        _read(_pause(10, action="CONTINUE"))


def test_a_pause_before_every_traffic_step_is_not_timed() -> None:
    with pytest.raises(StackReadError, match="every traffic shift step"):
        _read(_pause(10, stages=("PRE_PRODUCTION_TRAFFIC_SHIFT",)))


def test_a_timeout_only_known_at_apply_time_is_an_error() -> None:
    with pytest.raises(StackReadError, match="timeout_in_minutes"):
        _read(_pause("${var.wait}"))
