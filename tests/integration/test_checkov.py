"""checkov (an offline IaC scanner) finds nothing in the Terraform JSON the stacks synthesize,
except the checks `.checkov.yaml` skips, each for a reason given on its line.

checkov runs twice, side by side, over one folder holding every stack as
``<stack>/cdk.tf.json``: once with the skip list (the gate: no failed check) and once without
it, which shows what each skip suppresses (a skip that suppresses nothing must go). It runs
offline: ``--skip-download`` and ``BC_SKIP_MAPPING`` keep it from fetching policy metadata
and guidelines, and ``HOME`` and the working directory point at the scan folder so no other
``.checkov.yaml`` is picked up."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.synth import Synth

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".checkov.yaml"
CHECKOV = Path(sys.executable).with_name("checkov")
STACKS = ("dev", "prod", "dev-ecs", "prod-ecs", "dev-own", "prod-own", "devx", "prodx", "reuse")
# Checks checkov passes per stack (see the test output for today's figures). A floor well under
# those, so the gate cannot pass by evaluating nothing (an unparsed file reports 0 of each).
MIN_PASSED = 60
TIMEOUT_SECONDS = 300

CHECK_ID = re.compile(r"CKV2?_[A-Z0-9]+_\d+")
SKIP_LINE = re.compile(r"^\s*-\s*(?P<id>\S+)\s*(?:#\s*(?P<reason>.*?))?\s*$")
LOCAL_REFERENCE = re.compile(r"\$\{local\.([A-Za-z0-9_-]+)\}")


@dataclass(frozen=True)
class Finding:
    stack: str
    outcome: str  # passed | failed | skipped
    check_id: str
    check_name: str
    resource: str


def _skip_reasons() -> dict[str, str]:
    """Each skipped check id and the reason on its line, as the file's text has them."""
    reasons: dict[str, str] = {}
    in_list = False
    for line in CONFIG.read_text().splitlines():
        if line.startswith("skip-check:"):
            in_list = True
        elif in_list and (match := SKIP_LINE.match(line)):
            check_id = match["id"]
            assert check_id not in reasons, f"{check_id} is skipped twice"
            reasons[check_id] = match["reason"] or ""
        elif line.strip() and not line.lstrip().startswith("#"):
            in_list = False
    return reasons


def _inline_locals(tf: dict[str, Any]) -> dict[str, Any]:
    """The stack without its ``locals`` block, each ``${local.x}`` replaced by x's value.

    checkov 3.1.47's Terraform JSON parser raises on a ``locals`` block ("this method
    receives only dicts"; later versions read it). cdktf's locals here are string
    expressions (ARNs in IAM policies), so inlining them keeps the configuration's meaning.
    The one object local (the ECS engine's release template) is only ever hashed inside
    another local's expression, which no check reads: it is dropped with the block.
    """
    values = {k: v for k, v in tf.get("locals", {}).items() if isinstance(v, str)}
    objects = {k for k, v in tf.get("locals", {}).items() if not isinstance(v, str)}
    assert all(f"local.{k})" in json.dumps(values) for k in objects), "objects are hashed only"

    def inline(node: Any) -> Any:
        if isinstance(node, str):
            for _ in range(len(values) + 1):  # locals may refer to locals
                node = LOCAL_REFERENCE.sub(lambda m: values[m[1]], node)
            return node
        if isinstance(node, dict):
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    return inline({k: v for k, v in tf.items() if k != "locals"})


def _run_checkov(scan_dir: Path, *extra: str) -> list[Finding]:
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "HOME": str(scan_dir.parent)}
    command = [
        str(CHECKOV),
        "--directory",
        str(scan_dir),
        "--framework",
        "terraform_json",
        "--skip-download",
        "--output",
        "json",
        *extra,
    ]
    done = subprocess.run(
        command,
        cwd=scan_dir.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    # checkov exits 1 when a check fails; anything else is checkov itself failing.
    assert done.returncode in (0, 1), done.stderr[-3000:]
    reports = json.loads(done.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    assert [r.get("check_type") for r in reports] == ["terraform_json"], done.stdout[:500]
    report = reports[0]
    assert report["summary"]["parsing_errors"] == 0, report["results"].get("parsing_errors")
    return [
        Finding(
            stack=result["file_path"].strip("/").split("/")[0],
            outcome=outcome,
            check_id=result["check_id"],
            check_name=result["check_name"],
            resource=result["resource"],
        )
        for outcome in ("passed", "failed", "skipped")
        for result in report["results"][f"{outcome}_checks"]
    ]


@pytest.fixture(scope="module")
def scans(
    *,
    synths: dict[str, Synth],
    ecs_synths: dict[str, Synth],
    own_synths: dict[str, Synth],
    cross_account_synths: dict[str, Synth],
    reuse: Synth,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[list[Finding], list[Finding]]:
    """(with the skip list, without it) over every stack."""
    if not CHECKOV.exists():
        pytest.fail(f"{CHECKOV} is missing: run `make test` (pipenv sync --dev) first")
    scan_dir = tmp_path_factory.mktemp("checkov") / "stacks"
    stacks = {
        "dev": synths["dev"],
        "prod": synths["prod"],
        "dev-ecs": ecs_synths["dev"],
        "prod-ecs": ecs_synths["prod"],
        "dev-own": own_synths["dev"],
        "prod-own": own_synths["prod"],
        "devx": cross_account_synths["dev"],
        "prodx": cross_account_synths["prod"],
        "reuse": reuse,
    }
    for name, s in stacks.items():
        (scan_dir / name).mkdir(parents=True)
        (scan_dir / name / "cdk.tf.json").write_text(json.dumps(_inline_locals(s.tf), indent=2))
    with ThreadPoolExecutor(max_workers=2) as pool:
        gated = pool.submit(_run_checkov, scan_dir, "--config-file", str(CONFIG))
        unfiltered = pool.submit(_run_checkov, scan_dir)
        return gated.result(), unfiltered.result()


def test_every_skip_has_a_reason() -> None:
    # checkov reads the list through YAML; the reasons are the comments on its lines.
    loaded = yaml.safe_load(CONFIG.read_text())
    assert set(loaded) == {"skip-check"}, "the file holds the skip list only"
    reasons = _skip_reasons()
    assert list(reasons) == loaded["skip-check"], "one `- CHECK_ID  # reason` per line"
    for check_id, reason in reasons.items():
        assert CHECK_ID.fullmatch(check_id), check_id
        assert len(reason.split()) >= 3, f"{check_id} needs a reason after `#`"


def test_checkov_evaluates_every_stack(scans: tuple[list[Finding], list[Finding]]) -> None:
    gated, unfiltered = scans
    skipped = set(_skip_reasons())
    print()
    for stack in STACKS:
        outcomes = Counter(f.outcome for f in gated if f.stack == stack)
        suppressed = sum(
            f.stack == stack and f.outcome == "failed" and f.check_id in skipped for f in unfiltered
        )
        print(
            f"checkov {stack}: {outcomes['passed']} passed, {outcomes['failed']} failed, "
            f"{suppressed} skipped by .checkov.yaml, {outcomes['skipped']} skipped inline"
        )
        assert outcomes["passed"] >= MIN_PASSED, (stack, outcomes)


def test_checkov_finds_nothing(scans: tuple[list[Finding], list[Finding]]) -> None:
    gated, _ = scans
    failed = sorted(
        f"{f.stack}: {f.check_id} {f.resource} ({f.check_name})"
        for f in gated
        if f.outcome == "failed"
    )
    assert not failed, f"{len(failed)} failed checks:\n" + "\n".join(failed)


def test_every_skip_suppresses_a_failure(scans: tuple[list[Finding], list[Finding]]) -> None:
    gated, unfiltered = scans
    skipped = list(_skip_reasons())
    # checkov honoured the file: a skipped check is not even run.
    assert {f.check_id for f in gated} & set(skipped) == set()
    counts = {
        check_id: Counter(
            f.stack for f in unfiltered if f.outcome == "failed" and f.check_id == check_id
        )
        for check_id in skipped
    }
    print()
    for check_id, per_stack in counts.items():
        print(f"skip {check_id}: " + ", ".join(f"{s} {per_stack[s]}" for s in STACKS))
    # A skip that suppresses nothing (the check passes, or matches no resource) must go.
    assert [check_id for check_id, per_stack in counts.items() if not per_stack] == []


def test_locals_are_inlined() -> None:
    tf = {
        "locals": {"a": "${x.arn}:a", "b": "${local.a}/b"},
        "resource": {"t": {"n": {"policy": '["${local.b}"]', "other": ["${local.a}", 1]}}},
    }
    assert _inline_locals(tf) == {
        "resource": {"t": {"n": {"policy": '["${x.arn}:a/b"]', "other": ["${x.arn}:a", 1]}}}
    }


def test_with_a_certificate_only_the_test_listener_speaks_http(
    scans: tuple[list[Finding], list[Finding]],
) -> None:
    """The HTTPS skips are true: the reuse stack sets a certificate, and then production and
    the redirect pass the protocol and TLS checks; what fails is the VPC-only test listener
    (and the per-ALB redirect check, which wants that listener to redirect too)."""
    _, unfiltered = scans
    https_checks = ("CKV_AWS_2", "CKV_AWS_103", "CKV2_AWS_20")
    reuse = [f for f in unfiltered if f.stack == "reuse" and f.check_id in https_checks]
    failed = {(f.check_id, f.resource.rsplit(".", 1)[-1]) for f in reuse if f.outcome == "failed"}
    assert failed == {
        ("CKV_AWS_2", "edge_test-listener_2A16568B"),
        ("CKV_AWS_103", "edge_test-listener_2A16568B"),
        ("CKV2_AWS_20", "edge_alb_C6312A24"),
    }
    passed = {(f.check_id, f.resource.rsplit(".", 1)[-1]) for f in reuse if f.outcome == "passed"}
    for listener in ("edge_production-listener_2590B6A5", "edge_redirect-listener_A7B3AB82"):
        assert {("CKV_AWS_2", listener), ("CKV_AWS_103", listener)} <= passed, listener
