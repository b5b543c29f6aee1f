"""The app layers, checked on every run of the suite (CI also runs lint-imports on its own).

``core`` < ``accounts`` < ``therapists`` | ``clients`` < ``booking`` <
``aftercare`` | ``payments`` < ``portal`` | ``backoffice``: an app imports only apps below it
(pyproject.toml, [tool.importlinter]), and no function hides an import of another app in its
body to dodge that check.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = (
    "core",
    "accounts",
    "therapists",
    "clients",
    "booking",
    "aftercare",
    "payments",
    "portal",
    "backoffice",
    "config",
)


def test_the_layers_contract_is_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_no_function_imports_another_app():
    found = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                for inner in ast.walk(node):
                    if isinstance(inner, ast.ImportFrom) and inner.level == 0 and inner.module:
                        target = inner.module.split(".")[0]
                    elif isinstance(inner, ast.Import):
                        target = inner.names[0].name.split(".")[0]
                    else:
                        continue
                    if target in APPS and target != app:
                        found.append(f"{path.relative_to(ROOT)}:{inner.lineno} imports {target}")
    assert not found, "function-level imports of another app:\n" + "\n".join(found)
