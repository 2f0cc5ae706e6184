"""The provider bindings load lazily: only the submodules the stacks use are imported."""

from __future__ import annotations

import sys

import pytest

from constructs_lib import bindings


def test_only_the_used_provider_submodules_are_imported(synths) -> None:
    # After every stack of the session is built, the shim has loaded the submodules listed
    # in PROVIDER_CLASSES (at most), not the package's 2,216.
    prefix = f"{bindings.PROVIDER_PACKAGE}."
    loaded = {
        name[len(prefix) :].split(".")[0]
        for name in sys.modules
        if name.startswith(prefix) and not name.endswith("._jsii")
    }
    assert loaded - {"_jsii"} <= set(bindings.PROVIDER_CLASSES)
    assert len(loaded) <= len(bindings.PROVIDER_CLASSES) + 1


def test_every_listed_class_exists_in_its_submodule() -> None:
    for module, names in bindings.PROVIDER_CLASSES.items():
        for name in names:
            assert getattr(bindings, name).__module__.endswith(f".{module}"), (module, name)


def test_unknown_names_are_attribute_errors() -> None:
    with pytest.raises(AttributeError, match="NoSuchResource"):
        bindings.NoSuchResource  # noqa: B018


def test_a_reuser_gets_the_framework_and_provider_from_constructs_lib() -> None:
    import constructs_lib

    assert constructs_lib.App is bindings.App
    assert constructs_lib.TerraformStack is bindings.TerraformStack
    assert constructs_lib.AwsProvider is bindings.AwsProvider
    assert bindings.App.__module__.split(".")[0] == bindings.FRAMEWORK.core_module
    assert bindings.AwsProvider.__module__.startswith(bindings.FRAMEWORK.provider_package)
    with pytest.raises(AttributeError, match="NoSuchThing"):
        constructs_lib.NoSuchThing  # noqa: B018
