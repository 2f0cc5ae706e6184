"""The stacks the last synthesis wrote, read from ``cdktf.out/manifest.json``.

Not a glob of ``cdktf.out/stacks/``: after a project rename or a deleted environment file the
old stack's directory stays behind (it may hold the ``.terraform`` a destroy of that stack
still needs), and a tool that globbed would report it as current. Both frameworks write the
same manifest (``stacks.<name>.workingDirectory``, relative to the output directory).

``python -m tools.synthesized`` prints each current stack's ``cdk.tf.json`` (``make synth``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUTDIR = Path("cdktf.out")
STACK_FILE = "cdk.tf.json"


class NotSynthesizedError(Exception):
    """No readable manifest: nothing was synthesized into the output directory yet."""


def current_stacks(outdir: Path = OUTDIR) -> list[Path]:
    """The working directory of every stack in ``outdir``'s manifest, sorted by name."""
    manifest = outdir / "manifest.json"
    try:
        stacks = json.loads(manifest.read_text(encoding="utf-8"))["stacks"]
    except (OSError, ValueError, KeyError) as error:
        raise NotSynthesizedError(f"{manifest}: no synthesized stacks ({error})") from error
    return [outdir / stacks[name]["workingDirectory"] for name in sorted(stacks)]


def main() -> int:
    try:
        stacks = current_stacks()
    except NotSynthesizedError as error:
        print(f"error: {error}: run `make synth` first", file=sys.stderr)
        return 2
    for stack in stacks:
        print(stack / STACK_FILE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
