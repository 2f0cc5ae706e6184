"""Benchmarks: synth against its floor, the fast test tier, and the release timeline.

    python -m benchmarks.bench [--runs 5] [--skip-tests]      (make bench)

- **Floor**: a cold process that starts the jsii runtime and loads the cdktf and AWS provider
  assemblies, and nothing else: no stack can synthesize faster than that.
- **Full synth**: ``python main.py``, a cold process synthesizing every stack in config/.
- Both as the median of ``--runs`` runs, and their ratio; peak memory of the synth process
  tree (Python plus its node child), sampled from /proc.
- **Fast tier**: ``pytest -m "not slow"`` wall time (one run: it takes tens of seconds).
- **Timeline**: ``tools.timeline`` over the synthesized stacks.

Figures are medians and ratios of this machine's runs, printed, never asserted: timing
assertions in tests flake; the timeline budgets (computed, not timed) are the tests' job.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR_SCRIPT = """
import importlib, importlib.util, sys
import cdktf  # starts the jsii runtime (node) and loads the cdktf assembly
spec = importlib.util.find_spec("cdktf_cdktf_provider_aws")
sys.modules[spec.name] = importlib.util.module_from_spec(spec)
importlib.import_module("cdktf_cdktf_provider_aws._jsii")  # loads the provider assembly
"""


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_rss_mib: float


def _tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            status = (entry / "status").read_text()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss[int(entry.name)] = int(line.split()[1])
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += rss.get(current, 0)
        todo.extend(children.get(current, []))
    return total


def measure(command: list[str], env: dict[str, str] | None = None) -> Run:
    """Wall time and peak resident memory of the process tree, sampled every 20 ms."""
    peak = 0
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kib(process.pid))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {stderr.decode()[-2000:]}")
    return Run(elapsed, peak / 1024)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("CHECKPOINT_DISABLE", "1")
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-tests", action="store_true", help="skip the fast-tier run")
    args = parser.parse_args(argv)
    env = _env()

    print(f"synth: median of {args.runs} cold processes each (floor and full, interleaved)")
    floors: list[Run] = []
    fulls: list[Run] = []
    for _ in range(args.runs):  # interleaved, so drift on the machine hits both alike
        floors.append(measure([sys.executable, "-c", FLOOR_SCRIPT], env))
        fulls.append(measure([sys.executable, "main.py"], env))
    floor = statistics.median(r.seconds for r in floors)
    full = statistics.median(r.seconds for r in fulls)
    print(f"  floor (jsii + cdktf + provider assemblies): {floor:5.2f} s")
    print(f"  full synth (python main.py, all stacks):    {full:5.2f} s")
    print(f"  ratio full / floor:                          {full / floor:5.2f}x")
    print(
        f"  peak memory, synth process tree (python + node): "
        f"{statistics.median(r.peak_rss_mib for r in fulls):.0f} MiB median, "
        f"floor {statistics.median(r.peak_rss_mib for r in floors):.0f} MiB"
    )

    if not args.skip_tests:
        pytest = [sys.executable, "-m", "pytest", "-m", "not slow", "-q", "-p", "no:cacheprovider"]
        tests = measure(pytest, env)
        print(
            f'fast tier (pytest -m "not slow"): {tests.seconds:.1f} s wall, '
            f"peak {tests.peak_rss_mib:.0f} MiB"
        )

    print()
    timeline = subprocess.run(
        [sys.executable, "-m", "tools.timeline"], cwd=ROOT, env=env, check=False
    )
    return timeline.returncode


if __name__ == "__main__":
    sys.exit(main())
