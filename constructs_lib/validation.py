"""Input checks shared by the construct props and the environment settings.

Every check raises :class:`ValidationError` naming the offending field, so a bad value is
reported in one line before Terraform ever sees it. Construct props call these with the prop
name; the settings loader calls them with the TOML key path.
"""

from __future__ import annotations

import ipaddress
import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from typing import ParamSpec, TypeVar

from constructs_lib.bindings import Token

__all__ = [
    "FARGATE_MEMORY_BY_CPU",
    "LOG_RETENTION_DAYS",
    "REGION_RE",
    "ValidationError",
    "build_under",
    "check_arn",
    "check_arn_home",
    "check_bool",
    "check_cidr",
    "check_cidr_text",
    "check_disjoint_cidrs",
    "check_domain_name",
    "check_fargate_size",
    "check_format",
    "check_health_check_path",
    "check_hosted_zone_id",
    "check_http_codes",
    "check_int_range",
    "check_load_balancer_suffix",
    "check_log_retention",
    "check_port",
    "check_region",
    "check_resource_id",
    "check_resource_ids",
    "check_resource_prefix",
    "check_target_group_suffixes",
    "check_template_free",
    "is_reference",
    "partition_of",
    "show",
]


P = ParamSpec("P")
T = TypeVar("T")


class ValidationError(ValueError):
    """A setting or prop holds a value AWS (or this library) would reject."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def build_under(prefix: str, build: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """``build(*args, **kwargs)`` (a props dataclass, which refuses a bad value as it is
    built), its fields named as the caller's user knows them: a :class:`ValidationError`
    leaves with ``prefix`` before its field, e.g. the table of settings the values come from
    (``load_balancer.health_check.``)."""
    try:
        return build(*args, **kwargs)
    except ValidationError as error:
        raise ValidationError(f"{prefix}{error.field}", error.reason) from None


_SHOW_MAX = 80


def show(value: object) -> str:
    """``repr(value)`` for an error message: one line, at most ``_SHOW_MAX`` characters, and
    never an exception (an int of thousands of digits or a deeply nested list has no repr)."""
    try:
        text = repr(value)
    except (ValueError, RecursionError):
        return f"a {type(value).__name__} too large to show"
    return text if len(text) <= _SHOW_MAX else f"{text[: _SHOW_MAX - 3]}..."


# What Terraform reads as a template in a JSON string: a user's text must not start one.
_TEMPLATE_RE = re.compile(r"[$%]\{")


def check_template_free(field: str, value: str) -> str:
    """Text that reaches the synthesized JSON verbatim: ``${`` or ``%{`` would make Terraform
    read it as an interpolation or directive."""
    if _TEMPLATE_RE.search(value):
        raise ValidationError(
            field, f"{show(value)}: '${{' and '%{{' would be read by Terraform as a template"
        )
    return value


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
_PREFIX_RE = re.compile(r"[a-z](?:[a-z0-9]|-(?=[a-z0-9]))*")


# Region name prefixes of the partitions other than "aws", longest first.
_PARTITION_PREFIXES = (
    ("us-isob-", "aws-iso-b"),
    ("us-isof-", "aws-iso-f"),
    ("eu-isoe-", "aws-iso-e"),
    ("us-iso-", "aws-iso"),
    ("us-gov-", "aws-us-gov"),
    ("cn-", "aws-cn"),
)


def partition_of(region: str) -> str:
    """The partition a region belongs to: an ARN of another partition can never name a
    resource of a stack in ``region``."""
    for prefix, partition in _PARTITION_PREFIXES:
        if region.startswith(prefix):
            return partition
    return "aws"


def check_arn_home(
    field: str, arn: str, region: str, *, regional: bool = True, what: str = "the ARN"
) -> None:
    """An ARN (already checked for shape) of the stack's partition and, for a ``regional``
    resource, of its region: an ACM certificate, a KMS key or a secret of another region can
    never serve a resource in ``region``. Global resources (CodeConnections connections) are
    checked for the partition only."""
    parts = arn.split(":", 5)
    partition, arn_region = (parts[1], parts[3]) if len(parts) == 6 else ("", "")
    expected = partition_of(region)
    if partition != expected:
        raise ValidationError(
            field,
            f"{what} is in partition {partition!r}; the stack's region {region} is in {expected!r}",
        )
    if regional and arn_region != region:
        raise ValidationError(
            field,
            f"{what} is in region {arn_region or '(none)'!r}; the stack's region is {region!r}",
        )


def check_int_range(field: str, value: object, low: int, high: int) -> int:
    """An integer (not a bool) within [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, f"must be an integer, got {show(value)}")
    if not low <= value <= high:
        raise ValidationError(field, f"must be between {low} and {high}, got {show(value)}")
    return value


def check_port(field: str, value: object) -> int:
    return check_int_range(field, value, 1, 65535)


def check_cidr(
    field: str, value: object, *, min_prefix: int = 0, max_prefix: int = 32
) -> ipaddress.IPv4Network:
    """An IPv4 network in canonical form (no host bits set) with a bounded prefix length."""
    if not isinstance(value, str):
        raise ValidationError(field, f"must be an IPv4 CIDR string, got {show(value)}")
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ipaddress.AddressValueError:
        raise ValidationError(field, f"{show(value)} is not an IPv4 CIDR") from None
    except ipaddress.NetmaskValueError:
        raise ValidationError(field, f"{show(value)} has an invalid prefix length") from None
    except ValueError:
        raise ValidationError(field, f"{show(value)} has host bits set") from None
    if "/" not in value:
        raise ValidationError(field, f"{show(value)} lacks a prefix length (e.g. /16)")
    if str(network) != value:
        # Python also reads netmasks (/255.255.0.0) and zero-padded prefixes (/016); AWS and
        # the provider's CIDR validation accept only the canonical spelling.
        raise ValidationError(field, f"{show(value)} is not in canonical form: write {network}")
    if not min_prefix <= network.prefixlen <= max_prefix:
        raise ValidationError(
            field, f"{show(value)}: prefix length must be /{min_prefix} to /{max_prefix}"
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
        raise ValidationError(cpu_field, f"Fargate cpu must be one of {allowed}, got {show(cpu)}")
    valid = FARGATE_MEMORY_BY_CPU[cpu]
    if isinstance(memory, bool) or not isinstance(memory, int) or memory not in valid:
        raise ValidationError(
            memory_field,
            f"Fargate cpu {cpu} allows memory {min(valid)}-{max(valid)} MiB "
            f"in steps of {_step(valid)}, got {show(memory)}",
        )


def _step(values: frozenset[int]) -> int:
    return min(b - a for a, b in itertools.pairwise(sorted(values)))


def check_log_retention(field: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in LOG_RETENTION_DAYS:
        raise ValidationError(
            field,
            f"CloudWatch accepts {', '.join(map(str, LOG_RETENTION_DAYS))} days, got {show(value)}",
        )
    return value


def check_resource_prefix(field: str, value: object, *, max_length: int) -> str:
    """A name fragment usable in every AWS resource name the constructs derive from it."""
    if not isinstance(value, str) or not _PREFIX_RE.fullmatch(value):
        raise ValidationError(
            field,
            f"{show(value)} must start with a lowercase letter and hold only lowercase letters, "
            "digits and single inner hyphens",
        )
    if len(value) > max_length:
        raise ValidationError(field, f"{show(value)} is longer than {max_length} characters")
    return value


# A URL path (and query): RFC 3986 characters only. No braces, so no Terraform template.
_URL_PATH_RE = re.compile(r"/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*")
_HTTP_CODES_RE = re.compile(r"[0-9]{3}(?:-[0-9]{3})?(?:,[0-9]{3}(?:-[0-9]{3})?)*")


def check_health_check_path(field: str, value: object) -> str:
    """The path a load balancer probes: starts with ``/``, URL characters, 1-1024 long."""
    if not isinstance(value, str) or not _URL_PATH_RE.fullmatch(value) or len(value) > 1024:
        raise ValidationError(
            field,
            f"must start with '/' and hold only URL characters (max 1024), got {show(value)}",
        )
    return value


def check_http_codes(field: str, value: object, *, low: int = 200, high: int = 499) -> str:
    """An ALB success matcher: codes in [low, high] as ``200``, ``200-299`` or ``200,202``."""
    if isinstance(value, str) and _HTTP_CODES_RE.fullmatch(value):
        ranges = [tuple(map(int, part.split("-"))) for part in value.split(",")]
        if all(low <= r[0] <= r[-1] <= high for r in ranges):
            return value
    raise ValidationError(
        field,
        f"must be HTTP codes {low}-{high}: one (200), a range (200-299) or a list (200,202), "
        f"got {show(value)}",
    )


def check_unique(field: str, values: Sequence[object]) -> None:
    duplicates = sorted({str(v) for v in values if values.count(v) > 1})
    if duplicates:
        raise ValidationError(field, f"must be distinct, {', '.join(duplicates)} repeated")


DOMAIN_NAME_MAX = 253
_DNS_LABEL_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# Route 53 hosted zone ids: "Z" and up to 31 upper-case letters or digits.
_HOSTED_ZONE_ID_RE = re.compile(r"Z[A-Z0-9]{1,31}")


def check_domain_name(field: str, value: object) -> str:
    """A fully qualified name ACM can issue a certificate for and Route 53 can hold: lowercase
    labels of letters, digits and inner hyphens (1-63 each, at least two), 253 in all, no
    trailing dot, no wildcard, not an IP address."""
    if not isinstance(value, str) or not value:
        raise ValidationError(field, f"must be a domain name, got {show(value)}")
    problem = _domain_name_problem(value)
    if problem:
        raise ValidationError(field, f"{show(value)}: {problem}")
    return value


def _domain_name_problem(name: str) -> str | None:
    whole = (
        (name.endswith("."), "write it without the trailing dot"),
        (len(name) > DOMAIN_NAME_MAX, f"longer than {DOMAIN_NAME_MAX} characters"),
        (name != name.lower(), "must be lowercase"),
    )
    for failed, problem in whole:
        if failed:
            return problem
    labels = name.split(".")
    if len(labels) < 2:
        return "needs at least two labels (e.g. app.example.com)"
    for label in labels:
        if not _DNS_LABEL_RE.fullmatch(label):
            return (
                f"label {show(label)}: 1-63 letters, digits and inner hyphens "
                "(no wildcard, no underscore)"
            )
    if labels[-1].isdigit():
        return "an IP address is not a domain name"
    return None


def check_hosted_zone_id(field: str, value: object) -> str:
    """A Route 53 hosted zone id, e.g. ``Z0123456789ABCDEFGHIJ`` (not ``/hostedzone/…``)."""
    if not isinstance(value, str) or not _HOSTED_ZONE_ID_RE.fullmatch(value):
        raise ValidationError(
            field,
            "must be a Route 53 hosted zone id (Z followed by letters and digits), "
            f"got {show(value)}",
        )
    return value


ACCOUNT_ID_LENGTH = 12
_ACCOUNT_ID_RE = re.compile(rf"[0-9]{{{ACCOUNT_ID_LENGTH}}}")


def check_account_id(field: str, value: object) -> str:
    """A 12-digit AWS account id, as a string (an integer loses leading zeros)."""
    if not isinstance(value, str) or not _ACCOUNT_ID_RE.fullmatch(value):
        raise ValidationError(field, f"{show(value)} is not a 12-digit AWS account id")
    return value


def is_reference(value: object) -> bool:
    """A string holding a Terraform reference (another construct's attribute, such as
    ``NetworkConstruct.vpc_cidr_block``): its value is known only at apply time, so the
    format checks let it through."""
    return isinstance(value, str) and bool(Token.is_unresolved(value))


def check_format(field: str, value: object, pattern: re.Pattern[str], what: str) -> str:
    """A string in ``pattern``'s format, or a reference (:func:`is_reference`)."""
    if not isinstance(value, str) or not (is_reference(value) or pattern.fullmatch(value)):
        raise ValidationError(field, f"must be {what}, got {show(value)}")
    return value


# An AWS region name (eu-west-1, us-gov-west-1). Used with fullmatch: ``$`` would also
# accept a trailing newline.
REGION_RE = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}")
_RESOURCE_ID_RE = re.compile(r"[a-z]+-[0-9a-f]+")
# Any ARN (the partition, service, region and account parts vary by resource); at most
# 2048 characters, IAM's limit for a resource ARN.
_ARN_RE = re.compile(r"arn:\S{1,2044}")


def check_region(field: str, value: object) -> str:
    return check_format(field, value, REGION_RE, "an AWS region name (e.g. eu-west-1)")


def check_cidr_text(field: str, value: object, *, min_prefix: int = 0, max_prefix: int = 32) -> str:
    """:func:`check_cidr` for a value that may be a reference (``vpc_cidr_block`` of a VPC
    made alongside)."""
    if not is_reference(value):
        check_cidr(field, value, min_prefix=min_prefix, max_prefix=max_prefix)
    return str(value)


# The ARN suffixes (``arn_suffix``) naming an ALB and its target groups in their metrics.
_LOAD_BALANCER_SUFFIX_RE = re.compile(r"app/[A-Za-z0-9-]+/[0-9a-f]+")
_TARGET_GROUP_SUFFIX_RE = re.compile(r"targetgroup/[A-Za-z0-9-]+/[0-9a-f]+")


def check_load_balancer_suffix(field: str, value: object) -> str:
    return check_format(field, value, _LOAD_BALANCER_SUFFIX_RE, "an ALB ARN suffix app/<name>/<id>")


def check_target_group_suffixes(field: str, value: object) -> tuple[str, str]:
    """Both target groups' ARN suffixes (blue, green)."""
    if isinstance(value, str) or not isinstance(value, Sequence) or len(value) != 2:
        raise ValidationError(field, f"must be (blue, green), got {show(value)}")
    blue, green = (
        check_format(
            f"{field}[{i}]",
            suffix,
            _TARGET_GROUP_SUFFIX_RE,
            "a target group ARN suffix targetgroup/<name>/<id>",
        )
        for i, suffix in enumerate(value)
    )
    return blue, green


def check_resource_id(field: str, value: object, what: str) -> str:
    """An EC2 resource id such as ``vpc-0123abcd`` or ``subnet-1``, or a reference."""
    return check_format(field, value, _RESOURCE_ID_RE, what)


def check_resource_ids(field: str, values: object, what: str) -> tuple[str, ...]:
    """Distinct resource ids (:func:`check_resource_id`), in a list or tuple."""
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise ValidationError(field, f"must be a list of {what}s, got {show(values)}")
    ids = tuple(check_resource_id(f"{field}[{i}]", v, what) for i, v in enumerate(values))
    check_unique(field, ids)
    return ids


def check_arn(field: str, value: object, *, account_id: str | None = None) -> str:
    """An ARN (``arn:…``) or a reference; given an ``account_id``, a literal ARN must name a
    resource of that account."""
    arn = check_format(field, value, _ARN_RE, "an ARN (arn:...)")
    if account_id is not None and not is_reference(arn):
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[4] != account_id:
            raise ValidationError(field, f"{show(arn)} is not of account {account_id}")
    return arn


def check_bool(field: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(field, f"must be True or False, got {show(value)}")
    return value
