"""The shipped config/<env>.toml files are templates users edit by uncommenting lines: a
commented sub-table example must come last in its section, or uncommenting it where it
sits would move the section's following settings into the sub-table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
COMMENTED_TABLE = re.compile(r"#\s*\[\[?[A-Za-z0-9_.]+\]\]?")
TABLE = re.compile(r"\[\[?[A-Za-z0-9_.]+\]\]?")
SETTING = re.compile(r"[A-Za-z0-9_\"-]+\s*=")


def settings_captured(lines: list[str]) -> list[tuple[int, str, int]]:
    """(header line, header, setting line) for each live setting that follows a commented
    table header in its section: uncommenting the header would capture it."""
    captured = []
    header: tuple[int, str] | None = None
    for number, line in enumerate(lines, start=1):
        if TABLE.match(line):
            header = None
        elif COMMENTED_TABLE.match(line):
            header = (number, line.split("#", 1)[1].split("#")[0].strip())
        elif header is not None and SETTING.match(line):
            captured.append((header[0], header[1], number))
    return captured


@pytest.mark.parametrize("path", sorted(CONFIG_DIR.glob("*.toml")), ids=lambda p: p.name)
def test_commented_sub_tables_come_last_in_their_section(path: Path) -> None:
    assert settings_captured(path.read_text().splitlines()) == []


def test_a_setting_after_a_commented_sub_table_is_found() -> None:
    lines = ["[deployment]", "# [deployment.custom]", "# kind = 'linear'", "ready_wait_minutes = 0"]
    assert settings_captured(lines) == [(2, "[deployment.custom]", 4)]
    assert settings_captured([*lines[:3], "[alarms]", "enabled = true"]) == []
