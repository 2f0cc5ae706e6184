"""NetworkConstruct's zones on the local AWS emulator, with real Terraform.

Subnets name their zone by id (``availability_zone_id``). A subnet's zone is ForceNew, so
the first test proves on a real plan that a network the previous release created (zone by
name, ``availability_zone = element(names, i)``) is left alone by the current one: it
applies the previous form, then plans the current configuration against that state, which
must show no change at all. That the plan would see a move is shown too: taking the zones
in another order (the ids sorted) replaces subnets. The emulator's ap-northeast-1 lists
``1a, 1c, 1d`` as ``apne1-az4, az1, az2``, so name order and id order differ in every place.

Pinning the zones such a network already uses (``zone_ids``, in its order) changes nothing
either. Then ``zone_ids`` on a new network: subnets in exactly those zones in the given
order, no change on a re-plan, and an id the region does not have fails the plan by name.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from constructs_lib.network import NetworkConstruct, NetworkProps

pytestmark = pytest.mark.slow

REGION = "ap-northeast-1"
# The emulator's ap-northeast-1, as DescribeAvailabilityZones lists it (by name).
NAME_ORDER = {
    "apne1-az4": "ap-northeast-1a",
    "apne1-az1": "ap-northeast-1c",
    "apne1-az2": "ap-northeast-1d",
}
TERRAFORM_TIMEOUT = 300
BY_ID = re.compile(r"^\$\{element\((data\.aws_availability_zones\.[^.]+)\.zone_ids, (\d+)\)\}$")


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    from tests.integration.test_emulator_deploy import skip_without_terraform
    from tools.emulator import Emulator

    skip_without_terraform()
    with Emulator() as emulator:
        yield emulator.endpoint


def _network(
    new_stack: Any, synth: Any, name: str, stack_name: str = "", **props: Any
) -> dict[str, Any]:
    from constructs_lib.bindings import TerraformOutput

    stack = new_stack(stack_name or f"emulator-network-{name}", region=REGION)
    network = NetworkConstruct(
        stack, "net", NetworkProps(name_prefix=name, flow_log_retention_days=None, **props)
    )
    TerraformOutput(stack, "zone_names", value=network.availability_zones)
    tf: dict[str, Any] = synth(stack).tf
    return tf


def _workspace(tf: dict[str, Any], work: Path, endpoint: str, label: str) -> Any:
    """A working copy of ``tf`` in ``work/terraform`` (its state kept across calls)."""
    from tools.emulator import Workspace

    stack_dir = work / label
    stack_dir.mkdir(parents=True)
    (stack_dir / "cdk.tf.json").write_text(json.dumps(tf, indent=2))
    return Workspace.create(stack_dir, work / "terraform", endpoint)


def _run(workspace: Any, *args: str) -> Any:
    return workspace.run(*args, "-input=false", timeout=TERRAFORM_TIMEOUT)


def _apply(workspace: Any) -> None:
    init = _run(workspace, "init")
    assert init.returncode == 0, init.stdout[-3000:] + init.stderr
    done = _run(workspace, "apply", "-auto-approve", "-parallelism=20")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr


def _plan(workspace: Any) -> tuple[int, dict[str, list[str]], str]:
    """Exit code of ``plan -detailed-exitcode``, each resource's actions, the output."""
    plan = _run(workspace, "plan", "-detailed-exitcode", "-out=zones.plan")
    assert plan.returncode in (0, 2), plan.stdout[-3000:] + plan.stderr
    shown = json.loads(workspace.run("show", "-json", "zones.plan").stdout)
    actions = {c["address"]: c["change"]["actions"] for c in shown.get("resource_changes", [])}
    return plan.returncode, actions, plan.stdout[-4000:]


def _subnet_zones(endpoint: str, prefix: str) -> dict[str, tuple[str, str]]:
    """Each subnet of ``prefix`` by its Name tag: (zone name, zone id), through the API."""
    from tools.emulator import client

    found = client(endpoint, REGION, "ec2").describe_subnets(
        Filters=[{"Name": "tag:Name", "Values": [f"{prefix}-*"]}]
    )["Subnets"]
    return {
        next(t["Value"] for t in s["Tags"] if t["Key"] == "Name"): (
            s["AvailabilityZone"],
            s["AvailabilityZoneId"],
        )
        for s in found
    }


def _with_subnet_zones(tf: dict[str, Any], zone: Any) -> dict[str, Any]:
    """``tf`` with each subnet's ``availability_zone_id = element(<zones>.zone_ids, i)``
    replaced by ``zone(<zones>, i)``: a dict of the arguments to set instead."""
    changed = copy.deepcopy(tf)
    subnets = changed["resource"]["aws_subnet"]
    for body in subnets.values():
        match = BY_ID.match(body.pop("availability_zone_id"))
        assert match, "the subnets take element(<zones>.zone_ids, i)"
        body.update(zone(match[1], int(match[2])))
    return changed


def test_subnets_by_zone_id_keep_the_previous_releases_subnets(
    endpoint: str, new_stack: Any, synth: Any, tmp_path: Path
) -> None:
    current = _network(new_stack, synth, "upgrade", az_count=3, vpc_cidr="10.40.0.0/16")
    previous = _with_subnet_zones(
        current, lambda zones, i: {"availability_zone": f"${{element({zones}.names, {i})}}"}
    )
    _apply(_workspace(previous, tmp_path, endpoint, "previous"))
    before = _subnet_zones(endpoint, "upgrade")
    # Subnet i of each tier in the i-th zone by name, as the previous release placed it.
    assert before == {
        f"upgrade-{tier}-{i}": (name, zone_id)
        for tier in ("public", "private")
        for i, (zone_id, name) in enumerate(NAME_ORDER.items())
    }

    code, actions, output = _plan(_workspace(current, tmp_path, endpoint, "current"))
    assert code == 0, output
    assert set(map(tuple, actions.values())) == {("no-op",)}, actions

    # The plan sees a zone that moves: the same ids sorted are another order here.
    sorted_ids = _with_subnet_zones(
        current,
        lambda zones, i: {"availability_zone_id": f"${{element(sort({zones}.zone_ids), {i})}}"},
    )
    code, actions, _ = _plan(_workspace(sorted_ids, tmp_path, endpoint, "sorted"))
    assert code == 2
    replaced = {a for a, act in actions.items() if act == ["delete", "create"]}
    subnets = {a for a in actions if a.startswith("aws_subnet.")}
    assert len(subnets) == 6
    assert subnets <= replaced, actions  # (and what hangs on them: the route associations)
    assert _subnet_zones(endpoint, "upgrade") == before  # planned only

    # Pinning the zones the stack already uses, in its order, changes nothing either.
    pinned = _network(
        new_stack, synth, "upgrade", "emulator-network-upgrade-pinned", az_count=3,
        vpc_cidr="10.40.0.0/16", zone_ids=tuple(NAME_ORDER),
    )  # fmt: skip
    code, actions, output = _plan(_workspace(pinned, tmp_path, endpoint, "pinned"))
    assert code == 0, output
    assert set(map(tuple, actions.values())) == {("no-op",)}, actions


def test_pinned_zone_ids_place_the_subnets_in_that_order(
    endpoint: str, new_stack: Any, synth: Any, tmp_path: Path
) -> None:
    pinned = ("apne1-az2", "apne1-az4")  # not the name order (1a = az4 comes first there)
    tf = _network(new_stack, synth, "pinned", zone_ids=pinned, vpc_cidr="10.41.0.0/16")
    workspace = _workspace(tf, tmp_path, endpoint, "pinned")
    _apply(workspace)
    assert _subnet_zones(endpoint, "pinned") == {
        f"pinned-{tier}-{i}": (NAME_ORDER[zone_id], zone_id)
        for tier in ("public", "private")
        for i, zone_id in enumerate(pinned)
    }
    outputs = json.loads(workspace.run("output", "-json").stdout)
    assert outputs["zone_names"]["value"] == [NAME_ORDER[z] for z in pinned]
    code, _, output = _plan(workspace)
    assert code == 0, output


def test_a_pinned_zone_the_region_lacks_fails_the_plan(
    endpoint: str, new_stack: Any, synth: Any, tmp_path: Path
) -> None:
    tf = _network(
        new_stack, synth, "missing", zone_ids=("apne1-az4", "apne1-az9"), vpc_cidr="10.42.0.0/16"
    )
    workspace = _workspace(tf, tmp_path, endpoint, "missing")
    init = _run(workspace, "init")
    assert init.returncode == 0, init.stderr
    plan = _run(workspace, "plan")
    assert plan.returncode == 1
    assert "zone_ids not in this region: apne1-az9" in plan.stderr, plan.stderr[-3000:]
    assert workspace.managed_resources() == []
