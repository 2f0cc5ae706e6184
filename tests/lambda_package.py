"""The verification hook's Lambda code, loaded by path as Lambda loads it (``index``), for the
handler's own tests and the construct's contract tests."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from constructs_lib.verification_hook import PACKAGE_DIR

_MODULE_NAME = "verify_test_traffic_index"


def load_verify_test_traffic() -> ModuleType:
    """``index.py``, once per session, without writing ``__pycache__`` into the package
    directory (the directory is zipped as it stands)."""
    if _MODULE_NAME in sys.modules:
        return sys.modules[_MODULE_NAME]
    spec = importlib.util.spec_from_file_location(_MODULE_NAME, PACKAGE_DIR / "index.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being created
    writes_bytecode = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = writes_bytecode
    return module
