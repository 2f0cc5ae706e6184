"""Synthesize one stack per ``config/<environment>.toml`` into ``cdktf.out/``."""

from __future__ import annotations

import sys
from pathlib import Path

from stacks.settings import Settings, SettingsError, load_settings

CONFIG_DIR = Path(__file__).resolve().parent / "config"


def load_all(config_dir: Path | None = None) -> list[Settings]:
    config_dir = config_dir or CONFIG_DIR
    files = sorted(config_dir.glob("*.toml"))
    if not files:
        raise SettingsError(f"{config_dir}: no <environment>.toml files")
    return [load_settings(path) for path in files]


def main() -> int:
    try:
        environments = load_all()
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    # Imported only now: the provider bindings take seconds to load, bad settings should not.
    from stacks.app import synth_app

    synth_app(environments)
    return 0


if __name__ == "__main__":
    sys.exit(main())
