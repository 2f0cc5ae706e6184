"""Promotion between environments: who builds, who releases whose images, and who may read
what across accounts. Pure Python over validated :class:`~stacks.settings.Settings`.

An environment with ``pipeline.promote_from`` builds nothing: it releases, by digest, the
images of its source's successful releases. Chains are allowed (``prod`` <- ``staging`` <-
``dev``); the images of a whole chain live in the repositories of the one environment that
builds them, its *image home*.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from stacks.settings import Settings, SettingsError, shown_path
from stacks.workload import workload_task


@dataclass(frozen=True)
class Promotion:
    """One environment's place in the promotion chains."""

    source: Settings | None
    """The environment it promotes from (None: it builds its own images)."""
    image_home: Settings
    """Whose repositories hold the images it runs (itself when it builds)."""
    targets: tuple[Settings, ...]
    """The environments promoting from it: its successful releases are handed to them."""
    pullers: tuple[Settings, ...]
    """The other environments running images from its repositories (empty unless it
    builds)."""


def cross_account(a: Settings, b: Settings) -> bool:
    """Whether two environments live in different accounts (validated: both set an
    ``account_id`` or neither does, when one promotes from the other)."""
    return a.account_id != b.account_id


def plan_promotions(
    environments: Sequence[Settings],
    *,
    config_dir: Path = Path("config"),
    project_root: Path | None = None,
) -> dict[str, Promotion]:
    """Every environment's :class:`Promotion`, by environment name; a promotion AWS could
    not carry out is a :class:`SettingsError` naming the file (``<config_dir>/<env>.toml``)
    and the setting. With ``project_root``, a promoted environment's release build (its
    image home's ``pipeline.buildspec_path``, which its stack embeds) must be there."""
    by_name = {s.environment: s for s in environments}
    files = {name: config_dir / f"{name}.toml" for name in by_name}
    for name, settings in by_name.items():
        source = settings.pipeline.promote_from
        if source is not None:
            _check_link(files[name], settings, by_name.get(source), files)
    homes = {name: _image_home(name, by_name, files) for name in by_name}
    for name, home in homes.items():
        if name == home.environment:
            continue
        buildspec = home.pipeline.buildspec_path
        if project_root is not None and not (project_root / buildspec).is_file():
            raise _fail(
                files[name],
                "pipeline.promote_from",
                f"{home.environment!r}'s release build {buildspec} (its "
                "pipeline.buildspec_path) is not in the project: this environment runs it "
                "without the build",
            )
        if home.service.ecr_force_delete:
            raise _fail(
                files[home.environment],
                "service.ecr_force_delete",
                f"{name!r} runs {home.environment!r}'s images: destroying "
                f"{home.environment!r} must not delete them (set it to false)",
            )
    return {
        name: Promotion(
            source=by_name.get(settings.pipeline.promote_from or ""),
            image_home=homes[name],
            targets=tuple(
                s for s in by_name.values() if s.pipeline.promote_from == settings.environment
            ),
            pullers=tuple(
                by_name[other]
                for other, home in homes.items()
                if other != name and home.environment == name
            ),
        )
        for name, settings in by_name.items()
    }


def _fail(path: Path, setting: str, message: str) -> SettingsError:
    return SettingsError(f"{shown_path(path)}: {setting}: {message}")


def _check_link(
    path: Path, target: Settings, source: Settings | None, files: Mapping[str, Path]
) -> None:
    setting = "pipeline.promote_from"
    wanted = target.pipeline.promote_from
    if wanted == target.environment:
        raise _fail(path, setting, f"{wanted!r} is this environment: it cannot promote itself")
    if source is None:
        known = ", ".join(sorted(files))
        raise _fail(path, setting, f"{wanted!r} is not an environment (config/<env>.toml: {known})")
    if source.region != target.region:
        raise _fail(
            path,
            setting,
            f"{wanted!r} is in {source.region}, this environment in {target.region}: promotion "
            "stays in one region (the hand-off bucket and image pulls are regional)",
        )
    if (source.account_id is None) != (target.account_id is None):
        raise _fail(
            path,
            "account_id",
            f"set in one of {target.environment!r} and {wanted!r} only: set it in both (the "
            "same id when they share an account) or in neither, so the stack knows whether "
            "the promotion crosses accounts",
        )
    if _containers(source) != _containers(target):
        raise _fail(
            path,
            setting,
            f"{wanted!r} builds other containers ({_describe(source)}) than this environment "
            f"runs ({_describe(target)}): a promotion releases the same images",
        )


def _containers(settings: Settings) -> tuple[tuple[str, str], ...]:
    return tuple((c.name, c.build_context) for c in workload_task(settings.service).containers)


def _describe(settings: Settings) -> str:
    return ", ".join(f"{name} from {context}" for name, context in _containers(settings))


def _image_home(name: str, by_name: Mapping[str, Settings], files: Mapping[str, Path]) -> Settings:
    """The building environment at the end of ``name``'s chain; a cycle is an error."""
    chain = [name]
    current = by_name[name]
    while current.pipeline.promote_from is not None:
        source = current.pipeline.promote_from
        if source in chain:
            cycle = " <- ".join([*chain[chain.index(source) :], source])
            raise _fail(
                files[name],
                "pipeline.promote_from",
                f"promotion cycle {cycle}: some environment in a chain must build",
            )
        chain.append(source)
        current = by_name[source]
    return current
