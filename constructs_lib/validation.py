"""Input checks shared by the construct props and the environment settings.

Every check raises :class:`ValidationError` naming the offending field, so a bad value is
reported in one line before Terraform ever sees it. Construct props call these with the prop
name; the settings loader calls them with the TOML key path.
"""

from __future__ import annotations

import ipaddress
import itertools
import re
from collections.abc import Iterable, Sequence

__all__ = [
    "FARGATE_MEMORY_BY_CPU",
    "LOG_RETENTION_DAYS",
    "ValidationError",
    "check_cidr",
    "check_disjoint_cidrs",
    "check_fargate_size",
    "check_int_range",
    "check_log_retention",
    "check_port",
    "check_resource_prefix",
]


class ValidationError(ValueError):
    """A setting or prop holds a value AWS (or this library) would reject."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def _gib(n: int) -> int:
    return n * 1024


# Valid Fargate task sizes (Linux): cpu units -> allowed memory MiB.
FARGATE_MEMORY_BY_CPU: dict[int, frozenset[int]] = {
    256: frozenset({512, 1024, 2048}),
    512: frozenset(range(_gib(1), _gib(4) + 1, 1024)),
    1024: frozenset(range(_gib(2), _gib(8) + 1, 1024)),
    2048: frozenset(range(_gib(4), _gib(16) + 1, 1024)),
    4096: frozenset(range(_gib(8), _gib(30) + 1, 1024)),
    8192: frozenset(range(_gib(16), _gib(60) + 1, 4096)),
    16384: frozenset(range(_gib(32), _gib(120) + 1, 8192)),
}

# The retention periods CloudWatch Logs accepts (PutRetentionPolicy). 0 ("never expire") is
# deliberately absent: unbounded log storage was one of the seed's defects.
LOG_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

# Lowercase letters, digits and single hyphens: valid in every AWS name we derive (ALB,
# target group, ECR, IAM, log group), starting with a letter.
_PREFIX_RE = re.compile(r"^[a-z](?:[a-z0-9]|-(?=[a-z0-9]))*$")


def check_int_range(field: str, value: object, low: int, high: int) -> int:
    """An integer (not a bool) within [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, f"must be an integer, got {value!r}")
    if not low <= value <= high:
        raise ValidationError(field, f"must be between {low} and {high}, got {value}")
    return value


def check_port(field: str, value: object) -> int:
    return check_int_range(field, value, 1, 65535)


def check_cidr(
    field: str, value: object, *, min_prefix: int = 0, max_prefix: int = 32
) -> ipaddress.IPv4Network:
    """An IPv4 network in canonical form (no host bits set) with a bounded prefix length."""
    if not isinstance(value, str):
        raise ValidationError(field, f"must be an IPv4 CIDR string, got {value!r}")
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ipaddress.AddressValueError:
        raise ValidationError(field, f"{value!r} is not an IPv4 CIDR") from None
    except ipaddress.NetmaskValueError:
        raise ValidationError(field, f"{value!r} has an invalid prefix length") from None
    except ValueError:
        raise ValidationError(field, f"{value!r} has host bits set") from None
    if "/" not in value:
        raise ValidationError(field, f"{value!r} lacks a prefix length (e.g. /16)")
    if not min_prefix <= network.prefixlen <= max_prefix:
        raise ValidationError(
            field, f"{value!r}: prefix length must be /{min_prefix} to /{max_prefix}"
        )
    return network


def check_disjoint_cidrs(field: str, networks: Iterable[ipaddress.IPv4Network]) -> None:
    """No two networks overlap (subnets of one VPC must not)."""
    seen: list[ipaddress.IPv4Network] = []
    for network in networks:
        for other in seen:
            if network.overlaps(other):
                raise ValidationError(field, f"{network} overlaps {other}")
        seen.append(network)


def check_fargate_size(cpu_field: str, cpu: object, memory_field: str, memory: object) -> None:
    if isinstance(cpu, bool) or not isinstance(cpu, int) or cpu not in FARGATE_MEMORY_BY_CPU:
        allowed = ", ".join(map(str, FARGATE_MEMORY_BY_CPU))
        raise ValidationError(cpu_field, f"Fargate cpu must be one of {allowed}, got {cpu!r}")
    valid = FARGATE_MEMORY_BY_CPU[cpu]
    if isinstance(memory, bool) or not isinstance(memory, int) or memory not in valid:
        raise ValidationError(
            memory_field,
            f"Fargate cpu {cpu} allows memory {min(valid)}-{max(valid)} MiB "
            f"in steps of {_step(valid)}, got {memory!r}",
        )


def _step(values: frozenset[int]) -> int:
    return min(b - a for a, b in itertools.pairwise(sorted(values)))


def check_log_retention(field: str, value: object) -> int:
    if isinstance(value, bool) or value not in LOG_RETENTION_DAYS:
        raise ValidationError(
            field,
            f"CloudWatch accepts {', '.join(map(str, LOG_RETENTION_DAYS))} days, got {value!r}",
        )
    assert isinstance(value, int)
    return value


def check_resource_prefix(field: str, value: object, *, max_length: int) -> str:
    """A name fragment usable in every AWS resource name the constructs derive from it."""
    if not isinstance(value, str) or not _PREFIX_RE.match(value):
        raise ValidationError(
            field,
            f"{value!r} must start with a lowercase letter and hold only lowercase letters, "
            "digits and single inner hyphens",
        )
    if len(value) > max_length:
        raise ValidationError(field, f"{value!r} is longer than {max_length} characters")
    return value


def check_unique(field: str, values: Sequence[object]) -> None:
    duplicates = sorted({str(v) for v in values if values.count(v) > 1})
    if duplicates:
        raise ValidationError(field, f"must be distinct, {', '.join(duplicates)} repeated")
