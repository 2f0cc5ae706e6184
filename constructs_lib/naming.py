"""Short, stable AWS resource names.

AWS caps many names (ALB and target group 32, IAM role 64, S3 bucket 63). Rather than reject
a long project name, a too-long name keeps its readable suffix and trades the tail of the
prefix for a hash of the full name: the result is deterministic (same input, same name on
every synth) and distinct for distinct inputs.
"""

from __future__ import annotations

import hashlib

ALB_NAME_MAX = 32
TARGET_GROUP_NAME_MAX = 32
IAM_ROLE_NAME_MAX = 64
_HASH_LENGTH = 6


def aws_name(prefix: str, suffix: str = "", *, max_length: int) -> str:
    """``prefix-suffix`` if it fits in ``max_length``, else ``prefix[:n]-<hash>-suffix``."""
    full = f"{prefix}-{suffix}" if suffix else prefix
    if len(full) <= max_length:
        return full
    digest = hashlib.sha256(full.encode()).hexdigest()[:_HASH_LENGTH]
    tail = f"-{digest}-{suffix}" if suffix else f"-{digest}"
    room = max_length - len(tail)
    if room < 1:
        raise ValueError(f"suffix {suffix!r} leaves no room in a {max_length}-character name")
    return prefix[:room].rstrip("-") + tail
