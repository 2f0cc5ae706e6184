"""The cdktf App holding every environment's stack."""

from __future__ import annotations

from collections.abc import Sequence

from constructs_lib.bindings import App
from stacks.blue_green_stack import BlueGreenStack
from stacks.promotion import plan_promotions
from stacks.settings import Settings


def build_app(environments: Sequence[Settings], **app_options: object) -> App:
    plan = plan_promotions(environments)
    app = App(**app_options)  # type: ignore[arg-type]
    for settings in environments:
        BlueGreenStack(app, settings, plan[settings.environment])
    return app


def synth_app(environments: Sequence[Settings]) -> None:
    build_app(environments).synth()
