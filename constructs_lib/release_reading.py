"""Reading a release back from a synthesized stack: the vocabulary the engines share.

``make timeline`` times the release Terraform will apply, read from ``cdk.tf.json``. What
a release is made of (where its traffic shift, waits and rollback alarms live) differs by
engine, so each engine module reads its own (``ENGINE.reader``) into the
:class:`ReleaseReading` defined here; the timeline reads what every engine shares (target
groups' health, containers, the hook). It reads JSON only and imports no bindings.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

ShiftKind = Literal["all-at-once", "canary", "linear"]

_REF = re.compile(r"\$\{(?P<kind>[\w-]+)\.(?P<id>[\w-]+)\.(?P<attribute>[\w-]+)\}")


class StackReadError(ValueError):
    """The stack lacks a value the reader needs, or holds one only known at apply time."""


@dataclass(frozen=True)
class Shift:
    """A release's traffic routing."""

    name: str
    kind: ShiftKind
    percentage: int = 100
    interval_minutes: int = 0


@dataclass(frozen=True)
class Alarm:
    """A rollback alarm: it fires after ``breaching_periods`` bad periods in a row."""

    name: str
    period: int
    breaching_periods: int


@dataclass(frozen=True)
class ReleaseTerms:
    """How an engine's release phases are called, for people reading a timeline."""

    termination_wait: str
    """The wait while the old revision stays up after traffic moved."""
    termination_wait_note: str
    switch_back: str
    """The one update that puts traffic back on blue during that wait."""
    no_ready_wait: str
    """Why traffic moves without waiting for anyone (no ready wait configured)."""
    ready_wait: str
    """What holds a release for a go-ahead, and the command that gives it."""


@dataclass(frozen=True, kw_only=True)
class ReleaseReading:
    """What an engine's release is made of, as the stack configures it."""

    target_groups: Sequence[Mapping[str, Any]]
    """The blue and green target groups the release moves traffic between."""
    ready_wait_minutes: int | None
    """None: traffic moves as soon as green is ready. N: it waits up to N minutes for a
    go-ahead, then the release stops and rolls back."""
    shift: Shift
    termination_wait_minutes: int
    alarms: tuple[Alarm, ...]
    """Alarms that stop and roll back a release (empty when none do)."""


class ReleaseReader(Protocol):
    """An engine's way to find and read its release in a parsed ``cdk.tf.json``."""

    terms: ReleaseTerms

    def read(self, tf: Mapping[str, Any]) -> ReleaseReading | None:
        """The release, or None when this engine does not release the stack."""
        ...


# --- Reading the JSON cdktf writes ----------------------------------------------------------


def resources(tf: Mapping[str, Any], kind: str) -> Mapping[str, Mapping[str, Any]]:
    """The stack's resources of one type, by id."""
    found: Mapping[str, Mapping[str, Any]] = tf.get("resource", {}).get(kind, {})
    return found


def block(body: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """A nested block: cdktf writes single blocks as objects, Terraform also takes lists."""
    value = body.get(key)
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, Mapping) else {}


def referenced(value: object, kind: str) -> str | None:
    """The resource id in a ``${kind.id.attribute}`` reference, else None."""
    match = _REF.fullmatch(value) if isinstance(value, str) else None
    return match["id"] if match and match["kind"] == kind else None


def resource_named(
    tf: Mapping[str, Any], kind: str, value: object, name_key: str
) -> Mapping[str, Any] | None:
    """The stack's resource of ``kind`` that ``value`` names: by a ``${kind.id...}``
    reference, else by its literal name (``name_key``); None when it is not in the stack."""
    found = resources(tf, kind)
    resource_id = referenced(value, kind)
    body = found.get(resource_id) if resource_id is not None else None
    return body or next((r for r in found.values() if r.get(name_key) == value), None)


def number(value: object, what: str, default: float | None = None) -> float:
    """A literal number, also one written as a string (as the provider schema often does)."""
    if value is None and default is not None:
        return default
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            parsed = float(value.strip())
        except ValueError:
            pass
        else:
            if math.isfinite(parsed):
                return parsed
    raise StackReadError(
        f"{what}: {value!r} is not a literal number (a Terraform expression is only known "
        "at apply time)"
    )


def whole(value: object, what: str, default: int | None = None) -> int:
    """A literal whole number (see :func:`number`)."""
    parsed = number(value, what, None if default is None else float(default))
    if not parsed.is_integer():
        raise StackReadError(f"{what}: {value!r} is not a whole number")
    return int(parsed)


def target_groups_referenced(
    tf: Mapping[str, Any], references: Iterable[object]
) -> list[Mapping[str, Any]]:
    """The stack's target groups that ``references`` point at, in their order."""
    all_groups = resources(tf, "aws_lb_target_group")
    ids = [referenced(r, "aws_lb_target_group") for r in references]
    return [all_groups[i] for i in ids if i is not None and i in all_groups]


def alarms_named(tf: Mapping[str, Any], names: Iterable[object]) -> tuple[Alarm, ...]:
    """The stack's alarms by reference or by name; an alarm outside the stack is an error
    (its timing is unknown)."""
    found = []
    for name in names:
        body = resource_named(tf, "aws_cloudwatch_metric_alarm", name, "alarm_name")
        if body is None:
            raise StackReadError(f"rollback alarm {name!r} is not an alarm of this stack")
        found.append(read_alarm(str(body.get("alarm_name", name)), body))
    return tuple(found)


def read_alarm(name: str, body: Mapping[str, Any]) -> Alarm:
    """An alarm's period (its own, or the longest of its metric queries) and how many
    breaching periods fire it (``datapoints_to_alarm``, else ``evaluation_periods``)."""
    periods = [body.get("period")] + [
        query.get("period") or block(query, "metric").get("period")
        for query in body.get("metric_query") or ()
    ]
    values = [whole(p, f"{name}.period") for p in periods if p is not None]
    if not values:
        raise StackReadError(f"alarm {name}: no period")
    evaluation = whole(body.get("evaluation_periods"), f"{name}.evaluation_periods")
    datapoints = whole(body.get("datapoints_to_alarm"), f"{name}.datapoints_to_alarm", evaluation)
    return Alarm(name=name, period=max(values), breaching_periods=datapoints)
