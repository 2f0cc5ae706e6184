"""``benchmarks.bench``: the parts that compute and print, not the figures.

No test here asserts a duration: figures come from ``make bench`` only. Memory is asserted
where the test controls it (a process that holds a known buffer, a fake /proc).
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import bench
from benchmarks.bench import Figures, Package, Run
from constructs_lib.framework import FRAMEWORKS

ROOT = Path(__file__).resolve().parents[3]


# --- medians ----------------------------------------------------------------------------------


def test_medians_of_an_odd_number_of_runs_are_the_middle_values() -> None:
    runs = [Run(3.0, 700.0), Run(1.0, 900.0), Run(2.0, 800.0)]
    assert bench.medians(runs) == Run(2.0, 800.0)


def test_medians_of_an_even_number_of_runs_average_the_middle_two() -> None:
    runs = [Run(1.0, 100.0), Run(4.0, 400.0), Run(2.0, 200.0), Run(3.0, 300.0)]
    assert bench.medians(runs) == Run(2.5, 250.0)


def test_time_and_memory_medians_are_taken_independently() -> None:
    # The slowest run has the least memory: each median is of its own column.
    runs = [Run(5.0, 100.0), Run(1.0, 500.0), Run(2.0, 300.0), Run(3.0, 200.0), Run(4.0, 400.0)]
    assert bench.medians(runs) == Run(3.0, 300.0)


def test_no_runs_have_no_median() -> None:
    with pytest.raises(ValueError, match="no runs"):
        bench.medians([])


# --- the table --------------------------------------------------------------------------------


def _figures(name: str, *, floor: float, synth: float, install: float = 235.4) -> Figures:
    packages = (
        Package("core", "core-dist", "1.2.3", ()),
        Package("provider", "provider-dist", "4.5.6", ()),
    )
    return Figures(FRAMEWORKS[name], packages, install, Run(floor, 680.4), Run(synth, 751.6))


def test_a_row_holds_versions_sizes_medians_ratio_and_memory() -> None:
    row = bench.table_row(_figures("cdktn", floor=2.5, synth=3.75))
    assert row == (
        "cdktn",
        "core-dist 1.2.3 + provider-dist 4.5.6",
        FRAMEWORKS["cdktn"].provider_version,
        "235",
        "2.50",
        "3.75",
        "1.50x",
        "752",
        "680",
    )
    assert len(row) == len(bench.TABLE_HEADER)


def test_the_table_is_markdown_with_figures_right_aligned() -> None:
    table = bench.format_table(
        ("name", "version", "size", "ratio"),
        [("cdktf", "6.25.0", "235", "1.29x"), ("cdktn-longer", "6.69.1", "1269", "12.00x")],
    )
    assert table.splitlines() == [
        "| name         | version | size |  ratio |",
        "|--------------|---------|-----:|-------:|",
        "| cdktf        | 6.25.0  |  235 |  1.29x |",
        "| cdktn-longer | 6.69.1  | 1269 | 12.00x |",
    ]


def test_a_column_with_any_text_is_left_aligned() -> None:
    table = bench.format_table(("a", "b"), [("1", "2"), ("3", "n/a")])
    assert table.splitlines()[1] == "|--:|-----|"


def test_a_table_without_rows_is_its_header() -> None:
    assert bench.format_table(("a", "bb"), []).splitlines() == ["| a | bb |", "|---|----|"]


def test_a_row_of_the_wrong_width_is_refused() -> None:
    with pytest.raises(ValueError, match="2 cells, the header 3"):
        bench.format_table(("a", "b", "c"), [("1", "2")])


def test_the_printed_table_has_one_row_per_framework() -> None:
    figures = [_figures(name, floor=2.0, synth=3.0) for name in FRAMEWORKS]
    lines = bench.format_table(bench.TABLE_HEADER, map(bench.table_row, figures)).splitlines()
    assert len(lines) == 2 + len(FRAMEWORKS)
    assert [line.split("|")[1].strip() for line in lines[2:]] == list(FRAMEWORKS)
    assert len({len(line) for line in lines}) == 1


# --- install size -----------------------------------------------------------------------------


def _write(path: Path, size: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(size))


def test_the_size_walk_leaves_out_pycache(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    _write(package / "module.py", 100_000)
    _write(package / "sub" / "other.py", 50_000)
    before = bench.disk_bytes([package])
    _write(package / "__pycache__" / "module.cpython-311.pyc", 2_000_000)
    _write(package / "sub" / "__pycache__" / "other.cpython-311.pyc", 2_000_000)
    assert bench.disk_bytes([package]) == before
    assert bench.disk_bytes([package / "__pycache__"]) == 0


def test_the_size_walk_counts_files_and_folders_by_their_blocks(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    _write(package / "module.py", 100_000)
    before = bench.disk_bytes([package])
    assert before >= 100_000
    _write(package / "deep" / "data.bin", 1_000_000)
    grown = bench.disk_bytes([package]) - before
    assert 1_000_000 <= grown < 1_000_000 + 64 * 1024


def test_the_size_walk_sums_several_trees_and_counts_a_linked_file_once(tmp_path: Path) -> None:
    _write(tmp_path / "a" / "big.bin", 500_000)
    _write(tmp_path / "b" / "small.bin", 10_000)
    a, b = bench.disk_bytes([tmp_path / "a"]), bench.disk_bytes([tmp_path / "b"])
    assert bench.disk_bytes([tmp_path / "a", tmp_path / "b"]) == a + b
    os.link(tmp_path / "a" / "big.bin", tmp_path / "b" / "same.bin")
    assert bench.disk_bytes([tmp_path / "a", tmp_path / "b"]) == a + bench.disk_bytes(
        [tmp_path / "b"]
    ) - bench.disk_bytes([tmp_path / "a" / "big.bin"])


def test_an_installed_package_is_its_folder_and_its_dist_info() -> None:
    package = bench.installed("constructs")
    assert package is not None
    assert package.distribution == "constructs"
    assert package.version == importlib.metadata.version("constructs")
    names = sorted(path.name for path in package.paths)
    assert names == ["constructs", f"constructs-{package.version}.dist-info"]
    assert all(path.is_dir() for path in package.paths)


@pytest.mark.parametrize("name", sorted(FRAMEWORKS))
def test_each_framework_line_is_found_without_loading_it(name: str) -> None:
    line = FRAMEWORKS[name]
    for module in (line.core_module, line.provider_package):
        package = bench.installed(module)
        assert package is not None, module
        assert package.paths[0].name == module
        assert package.paths[1].name.endswith(".dist-info")
    assert bench.installed("no_such_package_here") is None


# --- memory of a process tree -----------------------------------------------------------------


def test_stat_fields_are_counted_from_the_last_parenthesis() -> None:
    # The command name may hold spaces and parentheses: pid 42, parent 7, 1234 resident pages.
    fields = ["S", "7", *["0"] * 18, "999999", "1234", "18446744073709551615"]
    assert bench.parse_stat(f"42 (a) b (c) {' '.join(fields)}\n") == (7, 1234)


def _fake_proc(root: Path, processes: dict[int, tuple[int, int]]) -> Path:
    """A /proc holding ``pid: (parent, resident pages)``, plus what a real one holds too."""
    for pid, (parent, pages) in processes.items():
        fields = ["S", str(parent), *["0"] * 18, "4096", str(pages)]
        _write(root / str(pid) / "stat", 0)
        (root / str(pid) / "stat").write_text(f"{pid} (proc {pid}) {' '.join(fields)}\n")
    (root / "meminfo").write_text("MemTotal: 1 kB\n")
    (root / "999").mkdir()  # ended while being read: no stat
    (root / "998").mkdir()
    (root / "998" / "stat").write_text("garbage")
    return root


def test_the_tree_sums_a_process_and_all_its_descendants(tmp_path: Path) -> None:
    proc = _fake_proc(
        tmp_path,
        {
            1: (0, 1000),  # init: not in the tree
            10: (1, 100),  # python
            11: (10, 200),  # node, its child
            12: (11, 30),  # node's own child
            13: (10, 4),  # another child of python
            20: (1, 5000),  # unrelated
        },
    )
    assert bench.tree_rss_kib(10, proc, page_kib=4) == (100 + 200 + 30 + 4) * 4
    assert bench.tree_rss_kib(11, proc, page_kib=4) == (200 + 30) * 4
    assert bench.tree_rss_kib(20, proc, page_kib=1) == 5000
    assert bench.tree_rss_kib(4242, proc, page_kib=4) == 0


def _vmrss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="Linux /proc only")
def test_the_tree_of_real_processes_is_the_sum_of_their_vmrss() -> None:
    # A parent holding 20 MiB and its child holding 60 MiB, both waiting on their stdin.
    child = "import sys; b = b'x' * (60 << 20); print('ready', flush=True); sys.stdin.read()"
    parent = (
        "import subprocess, sys\n"
        "b = b'y' * (20 << 20)\n"
        f"c = subprocess.Popen([sys.executable, '-c', {child!r}], stdin=subprocess.PIPE,"
        " stdout=subprocess.PIPE, text=True)\n"
        "c.stdout.readline()\n"
        "print(c.pid, flush=True)\n"
        "sys.stdin.read(); c.stdin.close(); c.wait()\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", parent], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        grandchild = int(process.stdout.readline())
        expected = _vmrss_kib(process.pid) + _vmrss_kib(grandchild)
        measured = bench.tree_rss_kib(process.pid)
        assert abs(measured - expected) <= 0.02 * expected
        assert measured >= 80 * 1024
    finally:
        process.communicate("")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="Linux /proc only")
def test_measure_reports_the_peak_of_a_descendant() -> None:
    # The direct child is small; its child holds 150 MiB for half a second.
    grandchild = "import time; b = b'x' * (150 << 20); time.sleep(0.5)"
    script = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {grandchild!r}])"
    run = bench.measure([sys.executable, "-c", script])
    assert run.peak_rss_mib >= 150


def test_measure_fails_on_a_failing_command_with_its_output() -> None:
    script = "print('said on stdout'); raise SystemExit('boom')"
    with pytest.raises(SystemExit, match=r"(?s)said on stdout.*boom"):
        bench.measure([sys.executable, "-c", script])


# --- the runs ---------------------------------------------------------------------------------


def test_floor_script_loads_the_named_assemblies_only() -> None:
    script = bench.floor_script("somecore", "some_provider")
    compile(script, "<floor>", "exec")
    assert "import_module('somecore')" in script
    assert "find_spec('some_provider')" in script
    assert "import_module('some_provider' + \"._jsii\")" in script
    assert "cdktf" not in script


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(FRAMEWORKS))
def test_the_floor_of_each_line_loads_its_provider_bare(name: str) -> None:
    line = FRAMEWORKS[name]
    script = bench.floor_script(line.core_module, line.provider_package) + (
        f"print(sorted(m for m in sys.modules if m.startswith({line.provider_package!r})))\n"
        "print(sorted(m for m in ('cdktf', 'cdktn') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    )
    provider, core = result.stdout.splitlines()
    # The package and its _jsii module (with what that imports), none of its ~2,200 others.
    loaded = ast.literal_eval(provider)
    assert line.provider_package in loaded
    assert f"{line.provider_package}._jsii" in loaded
    assert {name.split(".")[1] for name in loaded if "." in name} == {"_jsii"}
    assert core == repr([line.core_module])


def test_synth_writes_into_a_temporary_outdir_it_removes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, object] = {}

    def fake_measure(command: list[str], env: dict[str, str]) -> Run:
        outdir = Path(env["CDKTF_OUTDIR"])
        seen.update(command=command, env=env, outdir=outdir)
        _write(outdir / "stacks" / "ecs-blue-green-dev" / "cdk.tf.json", 10)
        return Run(1.0, 2.0)

    monkeypatch.setattr(bench, "measure", fake_measure)
    assert bench.synth_once({"ECS_BLUE_GREEN_FRAMEWORK": "cdktn"}) == Run(1.0, 2.0)
    outdir = seen["outdir"]
    assert isinstance(outdir, Path)
    assert not outdir.exists()
    assert outdir.resolve() != (ROOT / "cdktf.out").resolve()
    assert seen["command"] == [sys.executable, "main.py"]
    assert seen["env"] == {"ECS_BLUE_GREEN_FRAMEWORK": "cdktn", "CDKTF_OUTDIR": str(outdir)}


def test_a_synth_that_writes_no_stack_there_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench, "measure", lambda command, env: Run(1.0, 2.0))
    with pytest.raises(SystemExit, match="wrote no stack"):
        bench.synth_once({})


def test_the_lines_run_interleaved_each_in_its_own_processes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[str, str]] = []
    times = {"cdktf": 2.0, "cdktn": 3.0}

    def fake_measure(command: list[str], env: dict[str, str]) -> Run:
        name = env["ECS_BLUE_GREEN_FRAMEWORK"]
        assert command[:2] == [sys.executable, "-c"]
        assert f"import_module({FRAMEWORKS[name].core_module!r})" in command[2]
        calls.append(("floor", name))
        return Run(times[name] + len(calls) / 100, 100.0 * len(calls))

    def fake_synth(env: dict[str, str]) -> Run:
        name = env["ECS_BLUE_GREEN_FRAMEWORK"]
        calls.append(("synth", name))
        return Run(2 * times[name], 1000.0)

    monkeypatch.setattr(bench, "measure", fake_measure)
    monkeypatch.setattr(bench, "synth_once", fake_synth)
    lines = [FRAMEWORKS["cdktf"], FRAMEWORKS["cdktn"]]
    figures = bench.compare(lines, 3, {"OTHER": "kept"})
    assert calls == [
        (kind, name) for _ in range(3) for name in ("cdktf", "cdktn") for kind in ("floor", "synth")
    ]
    assert [f.framework.name for f in figures] == ["cdktf", "cdktn"]
    cdktf, cdktn = figures
    # cdktf's floors were calls 1, 5, 9; cdktn's 3, 7, 11.
    assert (cdktf.floor.seconds, cdktf.floor.peak_rss_mib) == (pytest.approx(2.05), 500.0)
    assert (cdktn.floor.seconds, cdktn.floor.peak_rss_mib) == (pytest.approx(3.07), 700.0)
    assert (cdktf.synth, cdktn.synth) == (Run(4.0, 1000.0), Run(6.0, 1000.0))
    assert cdktf.ratio == pytest.approx(4.0 / 2.05)
    assert [p.module for p in cdktn.packages] == ["cdktn", "cdktn_provider_aws"]
    assert cdktn.install_mib > cdktf.install_mib > 100


def test_the_bench_reads_the_lines_without_loading_a_framework() -> None:
    script = (
        "import sys, dataclasses\n"
        "from benchmarks import bench\n"
        "lines = bench.frameworks(); env = bench._env()\n"
        "print(sorted((n, dataclasses.astuple(f)) for n, f in lines.items()))\n"
        "print(sorted(m for m in ('constructs_lib', 'jsii', 'cdktf', 'cdktn') if m in sys.modules))\n"
        "print(bool(env.get('JSII_NODE')))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "JSII_NODE"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=env,
    )
    lines, loaded, node = result.stdout.splitlines()
    assert lines == repr(sorted((n, dataclasses.astuple(f)) for n, f in FRAMEWORKS.items()))
    assert loaded == "[]"
    assert node == "True"


def test_main_prints_the_table_and_a_failed_fast_tier_without_stopping(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JSII_NODE", "/the/callers/node")
    monkeypatch.setattr(
        bench,
        "compare",
        lambda lines, runs, env: [
            _figures(line.name, floor=2.0, synth=3.0 * runs) for line in lines
        ],
    )

    def failing_tests(command: list[str], env: dict[str, str]) -> Run:
        raise SystemExit("pytest failed:\n1 failed")

    timeline: list[list[str]] = []

    def fake_run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        timeline.append(command)
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(bench, "measure", failing_tests)
    monkeypatch.setattr(bench.subprocess, "run", fake_run)
    assert bench.main(["--runs", "1", "--framework", "cdktn"]) == 1
    out = capsys.readouterr().out
    assert "| cdktn " in out
    assert "| cdktf " not in out
    assert "shared by every line" in out
    assert "FAILED, no figure" in out
    assert "1 failed" in out
    assert timeline == [[sys.executable, "-m", "tools.timeline"]]
