"""Imports flow one way: corpus -> index -> reader -> service -> eval -> citeqa_cli. A lower layer never imports a higher one.

The walk reads every module's source with ast (nothing is imported), so an import inside a function counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["corpus", "index", "reader", "service", "eval", "citeqa_cli"]


def _imported_packages(path: Path) -> set[str]:
    """The top-level packages a module imports (relative imports stay inside its own package)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def _violations(layer: str) -> list[str]:
    above = set(LAYERS[LAYERS.index(layer) + 1 :])
    return [
        f"{path.relative_to(ROOT)} imports {package}"
        for path in sorted((ROOT / layer).rglob("*.py"))
        for package in sorted(_imported_packages(path) & above)
    ]


@pytest.mark.parametrize("layer", LAYERS[:-1])
def test_a_layer_imports_nothing_above_it(layer: str) -> None:
    assert _violations(layer) == []


def test_the_walk_sees_imports_inside_functions(tmp_path: Path) -> None:
    # The check must catch a lazy import, the usual way a cycle hides.
    module = tmp_path / "m.py"
    module.write_text(
        "def f():\n    from service.app import create_app\n    import eval.runner\n", encoding="utf-8"
    )
    assert _imported_packages(module) == {"service", "eval"}
