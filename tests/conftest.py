"""Session fixtures: the provider bindings take ~10 s to import, so every stack is built
and synthesized once per test session and shared by all tests."""

from __future__ import annotations

import os

os.environ.setdefault("CHECKPOINT_DISABLE", "1")

from pathlib import Path

import pytest

from stacks.settings import Settings, load_settings
from tests.synth import Synth

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = ROOT / "config"
ENVIRONMENTS = sorted(p.stem for p in CONFIG_DIR.glob("*.toml"))
DEV_ACCOUNT = "111111111111"
PROD_ACCOUNT = "222222222222"


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def settings_by_env() -> dict[str, Settings]:
    return {env: load_settings(CONFIG_DIR / f"{env}.toml") for env in ENVIRONMENTS}


@pytest.fixture(scope="session")
def cdktf_app(tmp_path_factory: pytest.TempPathFactory) -> object:
    from constructs_lib import bindings

    # Without the framework's "future" feature flags, as the real App (main.py) runs:
    # CDK Terrain's include canonical asset hashes, which would rename the hook's package.
    return bindings.Testing.app(
        outdir=str(tmp_path_factory.mktemp("cdktf-app")), enable_future_flags=False
    )


@pytest.fixture(scope="session")
def stacks(cdktf_app: object, settings_by_env: dict[str, Settings]) -> dict[str, object]:
    from stacks.blue_green_stack import BlueGreenStack
    from stacks.promotion import plan_promotions

    plan = plan_promotions(list(settings_by_env.values()))
    return {
        env: BlueGreenStack(cdktf_app, s, plan[s.environment])  # type: ignore[arg-type]
        for env, s in settings_by_env.items()
    }


@pytest.fixture(scope="session")
def synths(stacks: dict[str, object]) -> dict[str, Synth]:
    from constructs_lib import bindings

    return {env: Synth.of(bindings.Testing.synth(stack)) for env, stack in stacks.items()}


@pytest.fixture(scope="session")
def dev(synths: dict[str, Synth]) -> Synth:
    return synths["dev"]


@pytest.fixture(scope="session")
def prod(synths: dict[str, Synth]) -> Synth:
    return synths["prod"]


@pytest.fixture(scope="session")
def new_stack(cdktf_app: object) -> object:
    """Factory: an empty stack with an AWS provider, for testing one construct alone."""
    from constructs_lib.bindings import AwsProvider, TerraformStack

    def make(name: str, region: str = "eu-west-1") -> TerraformStack:
        stack = TerraformStack(cdktf_app, name)
        AwsProvider(stack, "aws", region=region)
        return stack

    return make


@pytest.fixture(scope="session")
def synth() -> object:
    """Synthesize a stack built by a test into a :class:`Synth`."""
    from constructs_lib import bindings

    def run(stack: object) -> Synth:
        return Synth.of(bindings.Testing.synth(stack))

    return run


@pytest.fixture(scope="session")
def reuse(new_stack: object, synth: object) -> Synth:
    """The constructs reused on an existing VPC and connection (tests/reuse_stack.py)."""
    from tests.reuse_stack import build_reuse_stack

    return synth(build_reuse_stack(new_stack))  # type: ignore[operator,no-any-return]


@pytest.fixture(scope="session")
def ecs_settings(settings_by_env: dict[str, Settings]) -> dict[str, Settings]:
    """Every environment's settings switched to the ECS-native engine (and named apart, so
    the stacks share one app with the CodeDeploy ones)."""
    from dataclasses import replace

    return {
        env: replace(
            s,
            environment=f"{s.environment}-ecs",
            deployment=replace(s.deployment, engine="ecs"),
        )
        for env, s in settings_by_env.items()
    }


def synthesize_variant(app: object, settings: Settings) -> Synth:
    """One more stack in the session's app, synthesized; a variant promoting from a
    shipped environment (``prod-ecs`` from ``dev``) is planned with the shipped ones."""
    from constructs_lib import bindings
    from stacks.blue_green_stack import BlueGreenStack
    from stacks.promotion import plan_promotions

    shipped = [load_settings(CONFIG_DIR / f"{env}.toml") for env in ENVIRONMENTS]
    pool = [settings, *(s for s in shipped if s.environment != settings.environment)]
    promotion = plan_promotions(pool)[settings.environment]
    return Synth.of(bindings.Testing.synth(BlueGreenStack(app, settings, promotion)))  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def synth_variant(cdktf_app: object) -> object:
    """Factory: a test's own variant of an environment, synthesized in the session's app
    (see :func:`synthesize_variant`)."""

    def run(settings: Settings) -> Synth:
        return synthesize_variant(cdktf_app, settings)

    return run


@pytest.fixture(scope="session")
def ecs_synths(cdktf_app: object, ecs_settings: dict[str, Settings]) -> dict[str, Synth]:
    return {env: synthesize_variant(cdktf_app, s) for env, s in ecs_settings.items()}


@pytest.fixture(scope="session")
def own_settings() -> dict[str, Settings]:
    """dev and prod as a team's own service: environment, secrets, a KMS key, a domain
    (tests/own_service.py)."""
    from tests.own_service import own_service_settings

    return {env: own_service_settings(env) for env in ENVIRONMENTS}


@pytest.fixture(scope="session")
def own_synths(cdktf_app: object, own_settings: dict[str, Settings]) -> dict[str, Synth]:
    return {env: synthesize_variant(cdktf_app, s) for env, s in own_settings.items()}


@pytest.fixture(scope="session")
def own_ecs_synth(cdktf_app: object, own_settings: dict[str, Settings]) -> Synth:
    """dev's own service released by the ECS-native engine."""
    from dataclasses import replace

    dev = own_settings["dev"]
    settings = replace(
        dev,
        environment=f"{dev.environment}-ecs",
        deployment=replace(dev.deployment, engine="ecs"),
    )
    return synthesize_variant(cdktf_app, settings)


@pytest.fixture(scope="session")
def cross_account_synths(
    cdktf_app: object, settings_by_env: dict[str, Settings]
) -> dict[str, Synth]:
    """dev and prod in two accounts (stacks ``devx`` and ``prodx``, prod promoting from dev):
    the cross-account grants, by key ``dev`` and ``prod``."""
    import dataclasses

    from constructs_lib import bindings
    from stacks.blue_green_stack import BlueGreenStack
    from stacks.promotion import plan_promotions

    dev = dataclasses.replace(settings_by_env["dev"], environment="devx", account_id=DEV_ACCOUNT)
    prod_settings = settings_by_env["prod"]
    prod = dataclasses.replace(
        prod_settings,
        environment="prodx",
        account_id=PROD_ACCOUNT,
        pipeline=dataclasses.replace(prod_settings.pipeline, promote_from="devx"),
    )
    plan = plan_promotions([dev, prod])
    return {
        key: Synth.of(
            bindings.Testing.synth(BlueGreenStack(cdktf_app, s, plan[s.environment]))  # type: ignore[arg-type]
        )
        for key, s in (("dev", dev), ("prod", prod))
    }
