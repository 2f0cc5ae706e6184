"""IAM policy documents as JSON strings (Terraform tokens may appear inside values)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any


def statement(
    sid: str,
    actions: Sequence[str],
    resources: Sequence[str],
    conditions: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """An Allow statement; callers keep ``*`` resources to the actions AWS cannot scope."""
    result: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Action": sorted(actions),
        "Resource": list(resources),
    }
    if conditions:
        result["Condition"] = {k: dict(v) for k, v in conditions.items()}
    return result


def policy_document(*statements: Mapping[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True)


def service_trust_policy(
    service: str, *, conditions: Mapping[str, Mapping[str, Any]] | None = None
) -> str:
    """Trust policy letting one AWS service principal assume the role."""
    service_name = service.split(".", maxsplit=1)[0]
    trust: dict[str, Any] = {
        "Sid": "AssumedBy" + "".join(p.capitalize() for p in service_name.split("-")),
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if conditions:
        trust["Condition"] = {k: dict(v) for k, v in conditions.items()}
    return policy_document(trust)
