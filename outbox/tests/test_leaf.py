"""The outbox is a leaf: it imports none of the apps whose emails it sends (they register
composers with it), and no function-local import dodges a cycle with them."""

from __future__ import annotations

import ast
from pathlib import Path

OUTBOX = Path(__file__).resolve().parents[1]
APPS = {"accounts", "api", "apikeys", "builds", "dashboard", "projects", "teams", "webhooks"}


def _imports(tree: ast.AST) -> list[tuple[ast.AST, str]]:
    found: list[tuple[ast.AST, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node, node.module))
    return found


def _function_imports(tree: ast.AST) -> set[ast.AST]:
    return {
        inner
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for inner in ast.walk(node)
        if isinstance(inner, ast.Import | ast.ImportFrom)
    }


def _sources() -> list[Path]:
    files = sorted(p for p in OUTBOX.rglob("*.py") if "tests" not in p.relative_to(OUTBOX).parts)
    assert OUTBOX / "services.py" in files
    return files


def test_the_outbox_imports_no_app():
    offending = [
        f"{path.relative_to(OUTBOX.parent)}:{node.lineno} imports {module}"
        for path in _sources()
        for node, module in _imports(ast.parse(path.read_text(), str(path)))
        if module.split(".")[0] in APPS
    ]
    assert offending == []


def test_function_local_imports_in_the_outbox_stay_inside_it():
    """The one left is the services ⇄ tasks pair inside the outbox (tasks imports services)."""
    found = []
    for path in _sources():
        if path.name == "apps.py":
            continue
        tree = ast.parse(path.read_text(), str(path))
        local = _function_imports(tree)
        found += [(path.name, module) for node, module in _imports(tree) if node in local]
    assert found == [("services.py", "outbox.tasks")]
