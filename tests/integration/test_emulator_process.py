"""The background emulator of ``make deploy-local``: it outlives the command that started
it, is found again by the next one, and stops for good."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.emulator import Background, accepts_connections, process_gone

pytestmark = pytest.mark.slow


def test_background_emulator_starts_is_found_and_stops(tmp_path: Path) -> None:
    assert Background.find(tmp_path) is None
    started = Background.start(tmp_path)
    try:
        assert Background.find(tmp_path) == started
        assert accepts_connections(started.port)
    finally:
        started.stop(tmp_path)
    assert process_gone(started.pid)
    assert not accepts_connections(started.port)
    assert Background.find(tmp_path) is None
    assert "emulator listening on" in (tmp_path / "server.log").read_text()


def test_a_dead_emulator_is_not_found(tmp_path: Path) -> None:
    Background.record(tmp_path).write_text('{"pid": 999999999, "port": 1}')
    assert Background.find(tmp_path) is None
