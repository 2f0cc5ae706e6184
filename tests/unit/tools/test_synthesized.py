"""The current stacks come from the synthesis manifest, not from a glob of the output
directory (tools/synthesized.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools import synthesized


def write_outdir(outdir: Path, stacks: dict[str, str], stale: dict[str, str]) -> None:
    """An output directory as a synth leaves it: ``stacks`` in the manifest, ``stale`` only
    on disk (the directories of stacks an earlier synth wrote)."""
    for name, text in {**stacks, **stale}.items():
        (outdir / "stacks" / name).mkdir(parents=True)
        (outdir / "stacks" / name / synthesized.STACK_FILE).write_text(text)
    entries = {name: {"name": name, "workingDirectory": f"stacks/{name}"} for name in stacks}
    (outdir / "manifest.json").write_text(json.dumps({"stacks": entries}))


def test_only_the_manifests_stacks_are_current(tmp_path: Path) -> None:
    write_outdir(tmp_path, {"b-dev": "{}", "a-dev": "{}"}, stale={"renamed-dev": "{}"})
    assert synthesized.current_stacks(tmp_path) == [
        tmp_path / "stacks" / "a-dev",
        tmp_path / "stacks" / "b-dev",
    ]


@pytest.mark.parametrize("manifest", [None, "not json", '{"version": "0.21.0"}'])
def test_no_readable_manifest_is_not_synthesized(tmp_path: Path, manifest: str | None) -> None:
    if manifest is not None:
        (tmp_path / "manifest.json").write_text(manifest)
    with pytest.raises(synthesized.NotSynthesizedError, match=r"manifest\.json"):
        synthesized.current_stacks(tmp_path)


def test_main_lists_the_current_stack_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_outdir(tmp_path / "cdktf.out", {"x-dev": "{}"}, stale={"y-dev": "{}"})
    monkeypatch.chdir(tmp_path)
    assert synthesized.main() == 0
    assert capsys.readouterr().out == "cdktf.out/stacks/x-dev/cdk.tf.json\n"


def test_main_without_a_synth(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert synthesized.main() == 2
    assert "make synth" in capsys.readouterr().err


def test_validate_without_arguments_reads_the_manifest_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tools import tf_validate

    monkeypatch.chdir(tmp_path)
    assert tf_validate.main([]) == 2
    assert "manifest.json" in capsys.readouterr().err
