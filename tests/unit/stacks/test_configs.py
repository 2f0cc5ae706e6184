"""The shipped environment files: each documents every setting, set or commented out, and
each environment makes the trade-offs it promises."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from constructs_lib.alb_blue_green import TargetHealthCheck
from constructs_lib.release_alarms import AlarmThresholds
from constructs_lib.service_autoscaling import ScalingRules
from stacks import settings as s

CONFIG_DIR = Path(__file__).resolve().parents[3] / "config"
# TOML table -> the dataclasses whose fields are its keys (nested tables listed apart).
TABLES: dict[str, tuple[type, ...]] = {
    "backend": (s.BackendSettings,),
    "network": (s.NetworkSettings,),
    "load_balancer": (s.LoadBalancerSettings,),
    "load_balancer.health_check": (TargetHealthCheck,),
    "service": (s.ServiceSettings,),
    "pipeline": (s.PipelineSettings,),
    "deployment": (s.DeploymentSettings,),
    "alarms": (s.AlarmSettings, AlarmThresholds),
    "verification": (s.VerificationSettings,),
    "autoscaling": (s.AutoscalingSettings, ScalingRules),
}
NOT_KEYS = {"health_check", "thresholds", "rules", "probes", "environment", "secrets"}
# Tables of names the user chooses (no fixed keys): documented by a commented example.
FREE_TABLES = ("service.environment", "service.secrets")


def documented_keys() -> list[tuple[str, str]]:
    return [
        (table, f.name)
        for table, classes in TABLES.items()
        for cls in classes
        for f in dataclasses.fields(cls)
        if f.name not in NOT_KEYS
    ]


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_every_setting_is_documented(env: str) -> None:
    text = (CONFIG_DIR / f"{env}.toml").read_text()
    missing = [
        f"{table}.{key}"
        for table, key in documented_keys()
        if not re.search(rf"^#?\s*{re.escape(key)}\s*=", text, re.MULTILINE)
    ]
    assert missing == [], f"config/{env}.toml does not mention {missing}"
    for table in (*TABLES, *FREE_TABLES):
        assert re.search(rf"^#?\s*\[{re.escape(table)}\]", text, re.MULTILINE), table


def test_dev_is_fast_and_cheap_prod_is_safe(settings_by_env: dict[str, s.Settings]) -> None:
    dev, prod = settings_by_env["dev"], settings_by_env["prod"]
    assert dev.deployment.config == "CodeDeployDefault.ECSAllAtOnce"
    assert dev.deployment.termination_wait_minutes <= 2
    assert dev.network.task_placement in ("private-nat", "public")
    assert dev.service.log_retention_days <= 30
    assert not dev.load_balancer.deletion_protection

    assert "Canary" in str(prod.deployment.config)
    assert 5 <= prod.deployment.termination_wait_minutes <= 15
    assert prod.network.task_placement == "private-endpoints"
    assert prod.load_balancer.deletion_protection
    assert prod.alarms.enabled and prod.verification.enabled
    assert prod.autoscaling.enabled
