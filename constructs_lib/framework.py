"""Which framework line synthesizes: cdktf (the default) or CDK Terrain (``cdktn``).

cdktf was archived on 2025-12-10 and its AWS bindings are frozen at hashicorp/aws 6.25.0;
CDK Terrain is its maintained fork, with the same API under other package names and newer
provider bindings. The constructs are written once; ``constructs_lib.bindings`` imports the
framework this module names, and nothing else imports either.

The choice is one environment variable, :data:`VARIABLE` (``make … FRAMEWORK=cdktn`` sets
it), read once per process: a process holds one framework's classes, and a resource of one
inside a stack of the other is accepted silently by jsii, so the two must never mix.

This module loads no jsii assembly: settings validation asks it what the chosen provider can
express (:attr:`Framework.ecs_pause_hooks`) without paying for the bindings.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

VARIABLE = "ECS_BLUE_GREEN_FRAMEWORK"
DEFAULT = "cdktf"
PAUSE_HOOKS_PROVIDER_VERSION = "6.66.0"
"""The first hashicorp/aws release whose ``aws_ecs_service`` lifecycle hooks take
``target_type`` (``PAUSE``) and ``timeout_configuration`` (pull request #48128, issue
#48075): the cdktn-provider-aws bindings generated from 6.65.0 (25.6.0) lack both, those
from 6.66.0 (25.7.0) have them."""


@dataclass(frozen=True, kw_only=True)
class Framework:
    """One framework line: its packages, its CLI and what its provider bindings can say."""

    name: str
    """The value of :data:`VARIABLE` (and of ``make … FRAMEWORK=``)."""
    core_module: str
    """The Python module with ``App``, ``TerraformStack``, ``Testing``, …"""
    provider_package: str
    """The Python package of the prebuilt hashicorp/aws bindings."""
    provider_version: str
    """The hashicorp/aws release the bindings were generated from (and pin)."""
    cli: str
    """The command-line tool (npm) that runs ``synth``/``diff``/``deploy``/``destroy``."""
    ecs_pause_hooks: bool
    """``aws_ecs_service`` lifecycle hooks take ``target_type = "PAUSE"`` and a
    ``timeout_configuration`` (since hashicorp/aws 6.66.0, :data:`PAUSE_HOOKS_PROVIDER_VERSION`;
    not in 6.25.0): ECS-native blue/green can wait for a go-ahead
    (``deployment.ready_wait_minutes`` with engine ``ecs``)."""


FRAMEWORKS: dict[str, Framework] = {
    "cdktf": Framework(
        name="cdktf",
        core_module="cdktf",
        provider_package="cdktf_cdktf_provider_aws",
        provider_version="6.25.0",
        cli="cdktf",
        ecs_pause_hooks=False,
    ),
    "cdktn": Framework(
        name="cdktn",
        core_module="cdktn",
        provider_package="cdktn_provider_aws",
        provider_version="6.69.1",
        cli="cdktn",
        ecs_pause_hooks=True,
    ),
}


class UnknownFrameworkError(ValueError):
    """:data:`VARIABLE` names no framework line."""


def current() -> Framework:
    """The framework this process synthesizes with (:data:`VARIABLE`, default cdktf)."""
    name = os.environ.get(VARIABLE, "").strip() or DEFAULT
    framework = FRAMEWORKS.get(name)
    if framework is None:
        raise UnknownFrameworkError(
            f"{VARIABLE}={name!r} is not a framework: use one of {', '.join(FRAMEWORKS)}"
        )
    return framework
