"""The explorer stands on core's probe types and the shared widgets, not on the training app:
nothing under ``senti_tui/apps/train`` nor the training side's ``senti_tui.run_state`` is imported
(model facts come from the torch-free registry of ``core/models``), and torch stays out of its
import path."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import senti_tui

ROOT = Path(senti_tui.__file__).parent.parent
EXPLORER = ROOT / "senti_tui" / "apps" / "explore"


def imports_of(path: Path) -> list[tuple[str, list[str]]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, [alias.name for alias in node.names]))
        elif isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
    return found


def test_no_explorer_module_imports_the_training_app_or_its_run_state():
    for path in sorted(EXPLORER.rglob("*.py")):
        for module, _names in imports_of(path):
            assert not module.startswith("senti_tui.apps.train"), f"{path.name} imports {module}"
            assert module != "senti_tui.run_state", f"{path.name} imports run_state"


@pytest.mark.slow
def test_opening_the_explorer_module_loads_neither_the_training_app_nor_torch():
    code = (
        "import sys, senti_tui.apps.explore.app\n"
        "print(sorted(m for m in sys.modules if m.startswith('senti_tui.apps.train') or m == 'torch'))"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT, env=env).stdout
    assert out.strip() == "[]"
