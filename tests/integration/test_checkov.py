"""checkov (an offline IaC scanner) finds nothing in the Terraform JSON the stacks synthesize,
except the checks `.checkov.yaml` skips, each for a reason given on its line.

checkov is the release ``tools/scanners/Pipfile.lock`` pins, from its own environment
(``.tools/scanners``, which ``make test`` installs): its pins (boto3, packaging) conflict
with the product's, so it is not in the product's Pipfile. Without that environment the
module is skipped, naming the command that installs it; a checkov of another release fails.

checkov runs twice, side by side, over one folder holding every stack as
``<stack>/cdk.tf.json``: once with the skip list (the gate: no failed check) and once without
it, which shows what each skip suppresses (a skip that suppresses nothing must go). It runs
offline: ``--skip-download`` and ``BC_SKIP_MAPPING`` keep it from fetching policy metadata
and guidelines, and ``HOME`` and the working directory point at the scan folder so no other
``.checkov.yaml`` is picked up. Beside the product's stacks it scans ``pinned``, a network
whose zones are pinned by id (``NetworkProps.zone_ids``), to show what a skip leaves out."""

from __future__ import annotations

import json
import os
import re
import subprocess
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
SCANNERS_LOCK = ROOT / "tools" / "scanners" / "Pipfile.lock"
CHECKOV = ROOT / ".tools" / "scanners" / "bin" / "checkov"
STACKS = ("dev", "prod", "dev-ecs", "prod-ecs", "dev-own", "prod-own", "devx", "prodx", "reuse")
PINNED = "pinned"
# Checks checkov passes per stack (see the test output for today's figures). A floor well under
# those, so the gate cannot pass by evaluating nothing (an unparsed file reports 0 of each).
MIN_PASSED = 60
TIMEOUT_SECONDS = 300

CHECK_ID = re.compile(r"CKV2?_[A-Z0-9]+_\d+")
SKIP_LINE = re.compile(r"^\s*-\s*(?P<id>\S+)\s*(?:#\s*(?P<reason>.*?))?\s*$")


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


def _locked_version() -> str:
    pin: str = json.loads(SCANNERS_LOCK.read_text())["default"]["checkov"]["version"]
    return pin.removeprefix("==")


def _checkov() -> Path:
    """The scanner environment's checkov, at the locked release."""
    if not CHECKOV.exists():
        pytest.skip(f"{CHECKOV} is missing: `make test` installs it (from {SCANNERS_LOCK})")
    done = subprocess.run(
        [str(CHECKOV), "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    locked = _locked_version()
    assert done.stdout.strip() == locked, (
        f"{CHECKOV} is checkov {done.stdout.strip() or done.stderr[-500:]}, the lock pins "
        f"{locked}: run `make test` (it re-installs the scanners when their lock changes)"
    )
    return CHECKOV


def _pinned_network(new_stack: Any, synth: Any) -> Synth:
    """A network whose zones are pinned by id, as a caller of the construct may pin them."""
    from constructs_lib.network import NetworkConstruct, NetworkProps

    stack = new_stack("checkov-pinned-zones", region="ap-northeast-1")
    NetworkConstruct(
        stack, "network", NetworkProps(name_prefix="pinned", zone_ids=("apne1-az4", "apne1-az1"))
    )
    pinned: Synth = synth(stack)
    return pinned


def _run_checkov(checkov: Path, scan_dir: Path, *extra: str) -> list[Finding]:
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "HOME": str(scan_dir.parent)}
    command = [
        str(checkov),
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
    new_stack: Any,
    synth: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[list[Finding], list[Finding]]:
    """(with the skip list, without it) over every stack."""
    checkov = _checkov()
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
        PINNED: _pinned_network(new_stack, synth),
    }
    for name, s in stacks.items():
        (scan_dir / name).mkdir(parents=True)
        # As synthesized: checkov reads the stacks' `locals` since 3.1.48 (before, its JSON
        # parser raised on the block and the test inlined them).
        (scan_dir / name / "cdk.tf.json").write_text(s.text)
    with ThreadPoolExecutor(max_workers=2) as pool:
        gated = pool.submit(_run_checkov, checkov, scan_dir, "--config-file", str(CONFIG))
        unfiltered = pool.submit(_run_checkov, checkov, scan_dir)
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


def test_with_a_certificate_only_the_test_listener_speaks_http(
    scans: tuple[list[Finding], list[Finding]],
) -> None:
    """The HTTPS skips are true: the reuse stack sets a certificate, and then production and
    the redirect pass the protocol and TLS checks; what fails is the VPC-only test listener
    (and the per-ALB redirect check, which wants that listener to redirect too), and the
    target group behind it (CKV_AWS_378: targets get HTTP, TLS ends at the ALB)."""
    _, unfiltered = scans
    https_checks = ("CKV_AWS_2", "CKV_AWS_103", "CKV2_AWS_20", "CKV_AWS_378")
    reuse = [f for f in unfiltered if f.stack == "reuse" and f.check_id in https_checks]
    failed = {(f.check_id, f.resource.rsplit(".", 1)[-1]) for f in reuse if f.outcome == "failed"}
    assert failed == {
        ("CKV_AWS_2", "edge_test-listener_2A16568B"),
        ("CKV_AWS_103", "edge_test-listener_2A16568B"),
        ("CKV2_AWS_20", "edge_alb_C6312A24"),
        ("CKV_AWS_378", "edge_green_9A7DBF72"),
    }
    passed = {(f.check_id, f.resource.rsplit(".", 1)[-1]) for f in reuse if f.outcome == "passed"}
    for listener in ("edge_production-listener_2590B6A5", "edge_redirect-listener_A7B3AB82"):
        assert {("CKV_AWS_2", listener), ("CKV_AWS_103", listener)} <= passed, listener
    assert ("CKV_AWS_378", "edge_blue_3DACF74D") in passed


def test_target_groups_on_http_fail_only_behind_http_listeners(
    scans: tuple[list[Finding], list[Finding]],
) -> None:
    """CKV_AWS_378's skip is TLS ending at the ALB: with a domain (the own-service stacks:
    both listeners HTTPS) every target group passes; without one, each fails."""
    _, unfiltered = scans
    outcomes = {
        (f.stack, f.resource.split(".")[0], f.outcome)
        for f in unfiltered
        if f.check_id == "CKV_AWS_378"
    }
    for stack in ("dev-own", "prod-own"):
        assert {o for s, _, o in outcomes if s == stack} == {"passed"}, stack
    for stack in ("dev", "prod", "dev-ecs", "prod-ecs", "devx", "prodx"):
        assert {o for s, _, o in outcomes if s == stack} == {"failed"}, stack
    assert all(kind == "aws_lb_target_group" for _, kind, _ in outcomes)


def test_every_network_pins_its_zones_by_id(
    scans: tuple[list[Finding], list[Finding]],
) -> None:
    """CKV_AWS_394 wants the zone set pinned by identity: the shipped settings name their
    zones by id (``network.zone_ids``), and so may a caller of the construct."""
    _, unfiltered = scans
    zones = {(f.stack, f.outcome) for f in unfiltered if f.check_id == "CKV_AWS_394"}
    networked = [s for s in STACKS if s != "reuse"]  # reuse brings its own VPC
    assert zones == {(s, "passed") for s in (*networked, PINNED)}
