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
