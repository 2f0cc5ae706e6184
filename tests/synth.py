"""Helpers to read a synthesized stack (parsed ``cdk.tf.json``) in assertions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Synth:
    """A synthesized stack: the JSON text (for cdktf ``Testing`` matchers) and its parse."""

    text: str
    tf: dict[str, Any]

    @classmethod
    def of(cls, text: str) -> Synth:
        return cls(text, json.loads(text))

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        return self.tf.get("resource", {}).get(kind, {})

    def one(self, kind: str) -> tuple[str, dict[str, Any]]:
        found = self.resources(kind)
        assert len(found) == 1, f"expected one {kind}, found {sorted(found)}"
        return next(iter(found.items()))

    def body(self, kind: str) -> dict[str, Any]:
        return self.one(kind)[1]

    def data(self, kind: str) -> dict[str, dict[str, Any]]:
        return self.tf.get("data", {}).get(kind, {})

    def ref(self, kind: str, name: str, attribute: str) -> str:
        return f"${{{kind}.{name}.{attribute}}}"

    def named(self, kind: str, fragment: str) -> tuple[str, dict[str, Any]]:
        """The one resource of ``kind`` whose logical id contains ``fragment``."""
        matches = [(n, b) for n, b in self.resources(kind).items() if fragment in n]
        assert len(matches) == 1, f"{kind} *{fragment}*: {[n for n, _ in matches]}"
        return matches[0]

    def count(self) -> int:
        return sum(len(v) for v in self.tf.get("resource", {}).values())
