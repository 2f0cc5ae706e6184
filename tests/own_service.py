"""A team's own service on the stack: a shipped environment file plus the settings a real
service adds (its environment, two secrets of either kind, a customer managed key, a domain).

Built from the TOML data, through the settings parser, so every variant is validated as a
user's file would be. The unit tests use stand-in ARNs; the emulator test passes the ARNs of
the secret, parameter and zone its fixture created.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stacks.settings import Settings, parse_settings

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
ACCOUNT = "123456789012"
ZONE_ID = "Z0123456789ABCDEFGHIJ"
DOMAIN = "orders.example.test"
KMS_KEY_ID = "0123abcd-4567-89ab-cdef-0123456789ab"
ENVIRONMENT = {"LOG_LEVEL": "info", "FEATURE_FLAGS": "checkout-v2,search"}


@dataclass(frozen=True, kw_only=True)
class OwnService:
    """Where the service's secrets and name live."""

    region: str
    secret_arn: str
    """A Secrets Manager secret, one JSON key of it (``DATABASE_PASSWORD``)."""
    parameter_arn: str
    """An SSM parameter (``API_KEY``)."""
    zone_id: str = ZONE_ID
    domain: str = DOMAIN
    kms_key_arns: tuple[str, ...] = ()

    @classmethod
    def stand_in(cls, region: str) -> OwnService:
        return cls(
            region=region,
            secret_arn=(
                f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:orders/db-AbCdEf:password::"
            ),
            parameter_arn=f"arn:aws:ssm:{region}:{ACCOUNT}:parameter/orders/api-key",
            kms_key_arns=(f"arn:aws:kms:{region}:{ACCOUNT}:key/{KMS_KEY_ID}",),
        )

    @property
    def secrets(self) -> dict[str, str]:
        return {"DATABASE_PASSWORD": self.secret_arn, "API_KEY": self.parameter_arn}


def environment_data(environment: str) -> dict[str, Any]:
    with (CONFIG_DIR / f"{environment}.toml").open("rb") as handle:
        return tomllib.load(handle)


def own_service_data(data: Mapping[str, Any], own: OwnService) -> dict[str, Any]:
    """``data`` (an environment file's content) with the service's settings added."""
    result = copy.deepcopy(dict(data))
    service = result.setdefault("service", {})
    service["environment"] = dict(ENVIRONMENT)
    service["secrets"] = own.secrets
    if own.kms_key_arns:
        service["secrets_kms_key_arns"] = list(own.kms_key_arns)
    lb = result.setdefault("load_balancer", {})
    lb.update(production_port=443, domain_name=own.domain, hosted_zone_id=own.zone_id)
    return result


def own_service_settings(environment: str, own: OwnService | None = None) -> Settings:
    """A shipped environment as a team's own service, named ``<env>-own`` apart from it."""
    data = environment_data(environment)
    own = own or OwnService.stand_in(data["region"])
    return parse_settings(own_service_data(data, own), environment=f"{environment}-own")
