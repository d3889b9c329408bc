"""The plan of the house (docs/architecture.md), checked from the source's imports.

Every `import` and `from … import` in an app's code counts — module level, inside functions
and under TYPE_CHECKING alike — except in its tests and migrations. An app may import only
the apps below it in LAYERS; that makes the app graph acyclic by construction, and the test
also looks for cycles directly so a wrong LAYERS table cannot hide one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Each app and the apps it may import (its own modules aside). Keep docs/architecture.md's
# table in step with this one.
LAYERS: dict[str, frozenset[str]] = {
    "core": frozenset(),
    "outbox": frozenset({"core"}),
    "accounts": frozenset({"core"}),
    "audit": frozenset({"accounts", "core"}),
    "lifecycle": frozenset({"accounts", "core"}),
    "projects": frozenset({"lifecycle", "accounts", "core"}),
    "teams": frozenset({"projects", "audit", "lifecycle", "accounts", "outbox", "core"}),
    "webhooks": frozenset({"projects", "audit", "lifecycle", "accounts", "core"}),
    "builds": frozenset({"webhooks", "projects", "accounts", "core"}),
    "apikeys": frozenset({"teams", "projects", "lifecycle", "accounts", "outbox", "core"}),
    "api": frozenset(
        {
            "apikeys",
            "builds",
            "webhooks",
            "teams",
            "projects",
            "audit",
            "lifecycle",
            "accounts",
            "outbox",
            "core",
        }
    ),
    "dashboard": frozenset(
        {
            "apikeys",
            "builds",
            "webhooks",
            "teams",
            "projects",
            "audit",
            "lifecycle",
            "accounts",
            "outbox",
            "core",
        }
    ),
}
PROJECT_PACKAGE = "keyservice"  # wiring: settings, URLs, Celery app, WSGI; imports any app
TOOLS = {"bench"}  # the benchmark harness: not part of the product, may import anything
# The development stack (private servers, `make run`): only the wiring and manage.py use it.
DEVSTACK = "devstack"


def _app_dirs() -> set[str]:
    # The project package has an apps.py too (the wiring fills the registries from its ready()),
    # but it is the wiring, not one of the layers: it may import any app.
    return {p.parent.name for p in ROOT.glob("*/apps.py")} - TOOLS - {PROJECT_PACKAGE}


def _modules(app: str) -> Iterator[Path]:
    for path in sorted((ROOT / app).rglob("*.py")):
        parts = path.relative_to(ROOT / app).parts
        if "tests" in parts or "migrations" in parts:
            continue
        yield path


@cache
def _imports(app: str) -> tuple[tuple[str, str, int, bool], ...]:
    """(imported top-level package, file, line, inside a function) for each import of `app`."""
    found = []
    for path in _modules(app):
        tree = ast.parse(path.read_text(), filename=str(path))
        local_lines = {
            node.lineno
            for fn in ast.walk(tree)
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
            for node in ast.walk(fn)
            if isinstance(node, ast.Import | ast.ImportFrom)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            rel = str(path.relative_to(ROOT))
            for name in names:
                found.append((name.split(".")[0], rel, node.lineno, node.lineno in local_lines))
    return tuple(found)


def _app_edges() -> dict[str, set[str]]:
    apps = _app_dirs()
    return {
        app: {target for target, *_ in _imports(app) if target in apps and target != app}
        for app in apps
    }


def test_every_app_has_a_place_in_the_layers():
    assert _app_dirs() == set(LAYERS), "add the new app to LAYERS and docs/architecture.md"


@pytest.mark.parametrize("app", sorted(LAYERS))
def test_an_app_imports_only_the_apps_below_it(app):
    apps = _app_dirs()
    wrong = [
        f"{rel}:{line} imports {target}"
        for target, rel, line, _ in _imports(app)
        if target in apps and target != app and target not in LAYERS[app]
    ]
    assert wrong == [], f"{app} may import only {sorted(LAYERS[app])}"


@pytest.mark.parametrize("app", sorted(LAYERS))
def test_no_app_imports_the_project_package(app):
    wrong = [f"{rel}:{line}" for target, rel, line, _ in _imports(app) if target == PROJECT_PACKAGE]
    assert wrong == []


@pytest.mark.parametrize("app", sorted(LAYERS))
def test_no_app_imports_the_development_stack(app):
    wrong = [f"{rel}:{line}" for target, rel, line, _ in _imports(app) if target == DEVSTACK]
    assert wrong == []


def test_the_development_stack_imports_no_app_and_not_the_wiring():
    wrong = [
        f"{rel}:{line} imports {target}"
        for target, rel, line, _ in _imports(DEVSTACK)
        if target in _app_dirs() | {PROJECT_PACKAGE}
    ]
    assert wrong == []


@pytest.mark.parametrize("app", sorted(LAYERS))
def test_no_app_reaches_another_app_through_a_function_local_import(app):
    """A function-local import of another app is how a cycle hides; there is no other need."""
    apps = _app_dirs() | {PROJECT_PACKAGE}
    wrong = [
        f"{rel}:{line} imports {target} inside a function"
        for target, rel, line, local in _imports(app)
        if local and target in apps and target != app
    ]
    assert wrong == []


def test_the_app_graph_has_no_cycle():
    edges = _app_edges()
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(app: str) -> list[str] | None:
        state[app] = 1
        path.append(app)
        for target in sorted(edges[app]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[app] = 2
        return None

    for app in sorted(edges):
        if app not in state and (cycle := visit(app)):
            pytest.fail("import cycle: " + " → ".join(cycle))


def test_the_layers_table_is_itself_acyclic():
    """LAYERS names only known apps and has no cycle, so obeying it rules cycles out."""
    order: list[str] = []
    remaining = dict(LAYERS)
    while remaining:
        ready = [app for app, below in remaining.items() if below <= set(order)]
        assert ready, f"LAYERS has a cycle among {sorted(remaining)}"
        order += sorted(ready)
        for app in ready:
            del remaining[app]


def test_the_outbox_is_a_leaf():
    """The outbox knows rows, states, dispatch, retries and sweeps — no app's emails."""
    assert _app_edges()["outbox"] <= {"core"}


def test_core_knows_no_app():
    assert _app_edges()["core"] == set()


# The mechanisms that are libraries of their own in core/: each imports no app, and is used
# through its package only (its __init__ is the public API; its modules are internals).
LIBRARIES = ("core.outbound", "core.delivery", "core.leasedcache")


def _library_modules(library: str) -> Iterator[Path]:
    for path in sorted((ROOT / library.replace(".", "/")).rglob("*.py")):
        if "tests" not in path.relative_to(ROOT).parts:
            yield path


def _full_imports(paths: Iterator[Path]) -> Iterator[tuple[str, str, int]]:
    """(imported module, file, line) for every absolute import in `paths`: `from a.b import c`
    counts as a.b.c too (c may be a module)."""
    for path in paths:
        tree = ast.parse(path.read_text(), filename=str(path))
        rel = str(path.relative_to(ROOT))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield alias.name, rel, node.lineno
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                yield node.module, rel, node.lineno
                for alias in node.names:
                    yield f"{node.module}.{alias.name}", rel, node.lineno


@pytest.mark.parametrize("library", LIBRARIES)
def test_a_library_imports_no_app(library):
    apps = _app_dirs() | {PROJECT_PACKAGE, DEVSTACK}
    wrong = [
        f"{rel}:{line} imports {module}"
        for module, rel, line in _full_imports(_library_modules(library))
        if module.split(".")[0] in apps - {"core"}
    ]
    assert wrong == []


@pytest.mark.parametrize("library", LIBRARIES)
def test_no_app_imports_a_librarys_internals(library):
    """Only `from core.outbound import post`, never `from core.outbound.transport import …`
    (the library's own modules and tests aside)."""
    inside = ROOT / library.replace(".", "/")
    paths = (
        path
        for app in sorted(_app_dirs() | {PROJECT_PACKAGE})
        for path in _modules(app)
        if inside not in path.parents
    )
    wrong = [
        f"{rel}:{line} imports {module}"
        for module, rel, line in _full_imports(paths)
        if module.startswith(f"{library}.")
        and module.removeprefix(f"{library}.") not in _public_names(library)
    ]
    assert wrong == []


@cache
def _public_names(library: str) -> frozenset[str]:
    """The names a library's __init__ exports (its __all__)."""
    init = ROOT / library.replace(".", "/") / "__init__.py"
    for node in ast.parse(init.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return frozenset(ast.literal_eval(node.value))
    return frozenset()


def test_accounts_holds_only_users_and_sign_in():
    assert _app_edges()["accounts"] <= {"core"}
    names = [p.name for p in _modules("accounts")]
    assert [n for n in names if "project" in n or "webhook" in n] == []
    models = (ROOT / "accounts" / "models.py").read_text()
    assert "class Project" not in models
    assert "webhook" not in models.lower()


def test_docs_architecture_states_the_same_layers():
    """docs/architecture.md's table of apps says what LAYERS enforces, word for word."""
    documented: dict[str, frozenset[str]] = {}
    for line in (ROOT / "docs" / "architecture.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`") and cells[0].endswith("/`"):
            app = cells[0].strip("`/")
            if app != PROJECT_PACKAGE:
                below = {a.strip() for a in cells[2].split(",")} - {"—"}
                documented[app] = frozenset(below)
    assert documented == LAYERS
