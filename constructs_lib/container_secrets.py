"""Secrets a container reads at start: where ECS fetches them, and what that costs in IAM.

A container's ``secrets`` name a Secrets Manager secret or an SSM parameter by ARN (ECS's
``valueFrom``); the ECS agent resolves them with the task *execution* role before the
container starts, so the value never passes through Terraform, the task definition or the
release files. This module parses those ARNs (pure Python, no cdktf) and derives the
execution role's least-privilege statements from them.

Accepted ``valueFrom`` shapes, as ECS documents them:

* ``arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<6 chars>``: the whole
  secret. Without the six-character suffix AWS appends to every secret name, the ARN is a
  *partial* one: ECS resolves it, and IAM must then match the suffix with ``-??????``.
* the same followed by ``:<json-key>:<version-stage>:<version-id>`` (each part may be empty,
  the colons may not be left out): one key of a JSON secret, or another version.
* ``arn:<partition>:ssm:<region>:<account>:parameter/<name>``: an SSM parameter (a
  ``SecureString`` one is decrypted with its KMS key). Parameters take no suffix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from constructs_lib.iam import statement
from constructs_lib.validation import ValidationError, check_arn_home, show

SecretStore = Literal["secretsmanager", "ssm"]
SECRET_STORES: tuple[SecretStore, ...] = ("secretsmanager", "ssm")
"""Services a secret may come from; also the VPC interface endpoints a task without internet
access needs to read them."""

_ARN_RE = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9-]*):"
    r"(?P<account>[0-9]{12}):(?P<resource>.+)"
)
# Secrets Manager: names of 1-512 characters from this set; the full ARN adds "-" and six
# random letters or digits.
_SECRET_NAME_RE = re.compile(r"[A-Za-z0-9/_+=.@-]{1,512}")
_SECRET_SUFFIX_RE = re.compile(r".+-[A-Za-z0-9]{6}")
# What may follow the name (json-key:version-stage:version-id): no colon, no whitespace, and
# nothing Terraform would read as a template.
_SELECTOR_RE = re.compile(r"[^:\s${}%]{0,256}")
_VERSION_ID_RE = re.compile(r"[A-Za-z0-9-]{0,64}")
# SSM: names of letters, digits and . _ - /, at most 1011 characters with the ARN before
# them; no part of a hierarchy may start with "aws" or "ssm" (reserved by AWS).
_PARAMETER_NAME_RE = re.compile(r"[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+){0,14}")
_PARAMETER_ARN_MAX = 1011
_RESERVED_PARAMETER_PREFIXES = ("aws", "ssm")
_KMS_KEY_RE = re.compile(
    r"key/(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})"
)


@dataclass(frozen=True, kw_only=True)
class SecretSource:
    """One ``valueFrom`` ARN, understood."""

    value_from: str
    """The ARN as given: what ECS reads (with its JSON-key selector, if any)."""
    store: SecretStore
    resource_arn: str
    """What IAM must allow: the secret (``-??????`` for a partial ARN, never the selector)
    or the parameter."""
    region: str
    partition: str
    name: str
    """The secret's name without AWS's random suffix, or the parameter's name as SSM knows
    it (a leading ``/`` for a hierarchy)."""
    selector: str = ""
    """What follows the secret's name: ``:<json-key>:<version-stage>:<version-id>`` or
    nothing."""


def parse_secret_arn(field: str, value: object, *, region: str | None = None) -> SecretSource:
    """``value`` as a :class:`SecretSource`, or a one-line error naming ``field``. Given a
    ``region``, the ARN must be of that region and of its partition."""
    if not isinstance(value, str):
        raise ValidationError(field, f"must be a secret or parameter ARN string, got {show(value)}")
    match = _ARN_RE.fullmatch(value)
    if match is None:
        raise ValidationError(
            field,
            f"{show(value)} is not an ARN (arn:<partition>:secretsmanager|ssm:<region>:"
            "<account>:...)",
        )
    service, arn_region = match["service"], match["region"]
    if region is not None:
        check_arn_home(field, value, region)
    if service == "secretsmanager":
        resource_arn, name, selector = _secret_parts(field, value, match["resource"])
    elif service == "ssm":
        resource_arn, name = _parameter_parts(field, value, match["resource"])
        selector = ""
    else:
        raise ValidationError(
            field,
            f"names a {service} resource: give a Secrets Manager secret or an SSM parameter ARN",
        )
    return SecretSource(
        value_from=value,
        store="secretsmanager" if service == "secretsmanager" else "ssm",
        resource_arn=resource_arn,
        region=arn_region,
        partition=match["partition"],
        name=name,
        selector=selector,
    )


def _secret_parts(field: str, arn: str, resource: str) -> tuple[str, str, str]:
    """The secret's ARN for IAM (the selector cut off, the random suffix wildcarded when the
    ARN leaves it out), its name without that suffix, and the selector."""
    kind, _, rest = resource.partition(":")
    if kind != "secret" or not rest:
        raise ValidationError(
            field, f"{show(arn)} is not a Secrets Manager secret ARN (…:secret:<name>)"
        )
    name, *selector = rest.split(":")
    if not _SECRET_NAME_RE.fullmatch(name):
        raise ValidationError(
            field, f"{show(name)} is not a secret name (1-512 of A-Z a-z 0-9 / _ + = . @ -)"
        )
    if selector:
        _check_selector(field, selector)
    base = arn[: len(arn) - len(rest)] + name
    selected = f":{':'.join(selector)}" if selector else ""
    if _SECRET_SUFFIX_RE.fullmatch(name):
        return base, name.rsplit("-", 1)[0], selected
    return f"{base}-??????", name, selected


def _check_selector(field: str, selector: list[str]) -> None:
    if len(selector) != 3:
        raise ValidationError(
            field,
            "after the secret name ECS takes exactly ':<json-key>:<version-stage>:<version-id>' "
            "(parts may be empty, e.g. ':password::')",
        )
    json_key, stage, version_id = selector
    if not (_SELECTOR_RE.fullmatch(json_key) and _SELECTOR_RE.fullmatch(stage)):
        raise ValidationError(field, "json-key and version-stage hold no spaces, ':' or '${'")
    if not _VERSION_ID_RE.fullmatch(version_id):
        raise ValidationError(field, f"{show(version_id)} is not a secret version id")
    if not any(selector):
        raise ValidationError(field, "an empty ':::' selector: leave it out for the whole secret")


def _parameter_parts(field: str, arn: str, resource: str) -> tuple[str, str]:
    """The parameter's ARN (what IAM names) and its name as SSM knows it (a leading ``/``
    for a hierarchy)."""
    kind, _, name = resource.partition("/")
    if kind != "parameter":
        raise ValidationError(
            field, f"names an SSM {kind.split(':')[0]!r}, not a parameter (…:parameter/<name>)"
        )
    if ":" in name:
        raise ValidationError(
            field,
            "an SSM parameter takes no JSON-key or version suffix (only Secrets Manager "
            "secrets do)",
        )
    if not _PARAMETER_NAME_RE.fullmatch(name):
        raise ValidationError(
            field, f"{show(name)} is not a parameter name (A-Z a-z 0-9 _ . - and / between parts)"
        )
    if name.split("/", 1)[0].lower().startswith(_RESERVED_PARAMETER_PREFIXES):
        raise ValidationError(field, "parameter names starting with 'aws' or 'ssm' are AWS's")
    if len(arn) > _PARAMETER_ARN_MAX:
        raise ValidationError(
            field, f"is {len(arn)} characters; SSM allows {_PARAMETER_ARN_MAX} with the ARN"
        )
    return arn, (f"/{name}" if "/" in name else name)


def check_kms_key_arn(field: str, value: object, *, region: str | None = None) -> str:
    """A KMS key ARN (``…:key/<id>``, not an alias: IAM matches keys, not their aliases)."""
    if not isinstance(value, str):
        raise ValidationError(field, f"must be a KMS key ARN string, got {show(value)}")
    match = _ARN_RE.fullmatch(value)
    if match is None or match["service"] != "kms" or not _KMS_KEY_RE.fullmatch(match["resource"]):
        raise ValidationError(
            field,
            f"{show(value)} is not a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)",
        )
    if region is not None:
        check_arn_home(field, value, region)
    return value


def execution_role_statements(
    sources: Iterable[SecretSource], kms_key_arns: Sequence[str], *, region: str, dns_suffix: str
) -> list[dict[str, Any]]:
    """What the execution role needs to hand ``sources`` to the containers: read exactly
    those secrets and parameters, and decrypt with exactly the listed customer keys, only
    when Secrets Manager or SSM asks on the role's behalf (``kms:ViaService``). Secrets under
    the AWS managed keys need no KMS grant. Nothing when there are no secrets."""
    by_store: dict[SecretStore, set[str]] = {store: set() for store in SECRET_STORES}
    for source in sources:
        by_store[source.store].add(source.resource_arn)
    statements: list[dict[str, Any]] = []
    if by_store["secretsmanager"]:
        statements.append(
            statement(
                "ReadOwnSecrets",
                ["secretsmanager:GetSecretValue"],
                sorted(by_store["secretsmanager"]),
            )
        )
    if by_store["ssm"]:
        statements.append(
            statement("ReadOwnParameters", ["ssm:GetParameters"], sorted(by_store["ssm"]))
        )
    used = [store for store in SECRET_STORES if by_store[store]]
    if kms_key_arns and used:
        statements.append(
            statement(
                "DecryptSecretsWithListedKeys",
                ["kms:Decrypt"],
                sorted(set(kms_key_arns)),
                conditions={
                    "StringEquals": {
                        "kms:ViaService": [f"{store}.{region}.{dns_suffix}" for store in used]
                    }
                },
            )
        )
    return statements
