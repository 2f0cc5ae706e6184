"""Fixtures shared by the integration tests."""

from __future__ import annotations

import pytest

from tools import tf_validate


@pytest.fixture(scope="session")
def toolchain() -> tuple[tf_validate.Mirror, str]:
    """Terraform and the provider mirror for offline ``terraform validate``, else a skip
    naming what is missing."""
    try:
        return tf_validate.find_mirror(), tf_validate.find_terraform()
    except tf_validate.ValidationUnavailableError as error:
        pytest.skip(f"offline terraform validate unavailable: {error}")
