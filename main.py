"""Synthesize one stack per ``config/<environment>.toml`` into ``cdktf.out/``.

``python main.py --stack-name <environment>`` prints that environment's stack name instead
(``make deploy ENV=prod`` uses it).
"""

from __future__ import annotations

import sys
from pathlib import Path

try:
    from stacks.promotion import plan_promotions
    from stacks.settings import Settings, SettingsError, load_settings, shown_path
except ValueError as error:
    # constructs_lib reads ECS_BLUE_GREEN_FRAMEWORK as it loads (constructs_lib.framework):
    # a misspelt framework is bad input, one line and exit 2 like a bad setting.
    if __name__ != "__main__" or type(error).__name__ != "UnknownFrameworkError":
        raise
    print(f"error: {error}", file=sys.stderr)
    sys.exit(2)

PROJECT_ROOT = Path(__file__).resolve().parent
CONFIG_DIR = PROJECT_ROOT / "config"


def load_all(config_dir: Path | None = None) -> list[Settings]:
    """Every environment's settings, each file valid and the promotions between them too."""
    config_dir = config_dir or CONFIG_DIR
    files = sorted(config_dir.glob("*.toml"))
    if not files:
        raise SettingsError(f"{config_dir}: no <environment>.toml files")
    environments = [load_settings(path) for path in files]
    check_distinct_stacks(dict(zip(files, environments, strict=True)))
    plan_promotions(environments, config_dir=config_dir, project_root=PROJECT_ROOT)
    return environments


def check_distinct_stacks(environments: dict[Path, Settings]) -> None:
    """Two files must not make one stack (``green-dev.toml`` with project ``ecs-blue`` and
    ``dev.toml`` with ``ecs-blue-green`` both make ``ecs-blue-green-dev``): the app could not
    hold both, and their resources would share every name."""
    first: dict[str, Path] = {}
    for path, settings in environments.items():
        other = first.setdefault(settings.stack_name, path)
        if other != path:
            raise SettingsError(
                f"{shown_path(path)}: project: makes the stack {settings.stack_name!r}, as "
                f"{shown_path(other)} does; change the project or rename a file"
            )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        if args[:1] == ["--stack-name"] and len(args) == 2:
            print(load_settings(CONFIG_DIR / f"{args[1]}.toml").stack_name)
            return 0
        if args:
            print("usage: python main.py [--stack-name <environment>]", file=sys.stderr)
            return 2
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
