"""Every regular expression the project compiles, and hostile inputs for each.

`project_patterns()` finds them from the source and from the running project:

- the AST of every module of the apps, `keyservice/` and `devstack/` (tests, migrations and
  `bench/` aside) gives each `re.compile(...)` call: a module-level or class-level
  assignment is read from the imported module; one inside a function is built by calling
  that function (it must say it returns a `re.Pattern`) with each of SAMPLE_ARGUMENTS;
- every compiled pattern or RegexValidator in those modules' namespaces and classes (also
  the ones they import, e.g. core.outbound.url_policy' urllib3 `_URI_RE`);
- every URL pattern Django resolves a request path with (ours and the installed apps').

`source_violations()` lists what would let a pattern escape that collection: `re.match`,
`re.search`… called with a pattern string, `from re import …`, an aliased `re`, a
`re.compile` that is neither assigned at module or class level nor in a builder function.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.core.validators import RegexValidator
from django.urls import URLResolver, get_resolver

ROOT = Path(__file__).resolve().parents[2]
SIZE = 8192  # characters in each hostile input
EXTRA_PACKAGES = ("keyservice", "devstack")
SKIPPED_DIRS = {"tests", "migrations", "bench", ".venv"}
# What a pattern-building function is called with, by parameter type: key prefixes (the
# default, an earlier one, one of regex metacharacters, the longest allowed).
SAMPLE_ARGUMENTS: dict[object, tuple[object, ...]] = {
    "str": ("spx_", "old-", "a.b+(", "p" * 32),
}
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.Module)
_RE_FUNCTIONS = {"match", "search", "sub", "subn", "fullmatch", "findall", "finditer", "split"}


def _packages() -> list[str]:
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")} - SKIPPED_DIRS
    return sorted(apps | set(EXTRA_PACKAGES))


def source_files() -> Iterator[tuple[str, Path]]:
    """(dotted module name, path) of every module the collection walks."""
    for package in _packages():
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if SKIPPED_DIRS & set(parts) or parts[-1] == "__main__":
                continue
            yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def _is_re_call(node: ast.AST, names: set[str]) -> bool:
    func = node.func if isinstance(node, ast.Call) else None
    return (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id == "re"
        and func.attr in names
    )


@dataclass(frozen=True)
class Site:
    """Where a `re.compile(...)` call is: `kind` "module" or "class" (assigned to `name` there;
    `owner` the class), "function" (in the module-level function `owner`, which says it
    returns a Pattern), "unannotated function", or "elsewhere" (a method, a nested function,
    a lambda, an unnamed expression: nothing this collection can reach)."""

    kind: str
    line: int
    owner: str = ""
    name: str = ""


def _compile_sites(tree: ast.Module) -> Iterator[Site]:
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and _is_re_call(node, {"compile"})):
            continue
        chain, current = [], parents.get(node)
        while current is not None:
            chain.append(current)
            current = parents.get(current)
        scopes = [n for n in chain if isinstance(n, _SCOPES)]
        target = None
        if isinstance(chain[0], ast.Assign) and len(chain[0].targets) == 1:
            target = chain[0].targets[0]
        elif isinstance(chain[0], ast.AnnAssign):
            target = chain[0].target
        inner, outer = scopes[0], scopes[1] if len(scopes) > 1 else None
        if isinstance(inner, ast.FunctionDef) and isinstance(outer, ast.Module):
            returns = ast.unparse(inner.returns) if inner.returns else ""
            kind = "function" if "Pattern" in returns else "unannotated function"
            yield Site(kind, node.lineno, inner.name)
        elif isinstance(target, ast.Name) and isinstance(inner, ast.Module):
            yield Site("module", node.lineno, name=target.id)
        elif isinstance(target, ast.Name) and isinstance(inner, ast.ClassDef) and outer is tree:
            yield Site("class", node.lineno, inner.name, target.id)
        else:
            yield Site("elsewhere", node.lineno)


def violations_in(source: str, where: str) -> list[str]:
    """What in `source` compiles or runs a pattern out of this collection's reach."""
    tree = ast.parse(source)
    wrong = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in ("re", "regex"):
            wrong.append(f"{where}:{node.lineno}: from {node.module} import (use re.compile)")
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "regex" or (alias.name == "re" and alias.asname):
                    wrong.append(f"{where}:{node.lineno}: import {alias.name} as {alias.asname}")
        if isinstance(node, ast.Call) and _is_re_call(node, _RE_FUNCTIONS):
            wrong.append(f"{where}:{node.lineno}: re.<function>(pattern, …): compile it")
    for site in _compile_sites(tree):
        if site.kind == "elsewhere":
            wrong.append(f"{where}:{site.line}: re.compile out of this collection's reach")
        elif site.kind == "unannotated function":
            wrong.append(f"{where}:{site.line}: {site.owner} compiles: annotate it -> re.Pattern")
    return wrong


def source_violations() -> list[str]:
    wrong = []
    for _, path in source_files():
        wrong += violations_in(path.read_text(), str(path.relative_to(ROOT)))
    return wrong


def _builder_calls(function: Callable[..., object]) -> Iterator[tuple[str, tuple[object, ...]]]:
    params = list(inspect.signature(function).parameters.values())
    kinds = [
        p.annotation if isinstance(p.annotation, str) else getattr(p.annotation, "__name__", "")
        for p in params
    ]
    missing = [kind for kind in kinds if kind not in SAMPLE_ARGUMENTS]
    assert not missing, f"{function.__qualname__}: add sample arguments of type {missing}"
    for index in range(max(len(SAMPLE_ARGUMENTS[kind]) for kind in kinds) if kinds else 1):
        args = tuple(SAMPLE_ARGUMENTS[k][index % len(SAMPLE_ARGUMENTS[k])] for k in kinds)
        yield f"{function.__qualname__}{args!r}", args


def _from_namespace(prefix: str, namespace: dict[str, object]) -> Iterator[tuple[str, re.Pattern]]:
    for name, value in namespace.items():
        if isinstance(value, re.Pattern):
            yield f"{prefix}.{name}", value
        elif isinstance(value, RegexValidator):  # its regex is lazy: the same pattern, compiled
            lazy: re.Pattern = value.regex  # type: ignore[assignment]
            yield f"{prefix}.{name}.regex", re.compile(lazy.pattern, lazy.flags)


def _url_patterns(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, re.Pattern]]:
    for entry in resolver.url_patterns:
        yield f"url {prefix}{entry.pattern}", entry.pattern.regex
        if isinstance(entry, URLResolver):
            yield from _url_patterns(entry, f"{prefix}{entry.pattern}")


def _compiled_at_sites(dotted: str, path: Path) -> Iterator[tuple[str, object]]:
    module = importlib.import_module(dotted)
    for site in _compile_sites(ast.parse(path.read_text(), filename=str(path))):
        if site.kind == "function":
            function = getattr(module, site.owner)
            for label, args in _builder_calls(function):
                yield f"{dotted}.{label}", function(*args)
        elif site.kind in ("module", "class"):
            scope = getattr(module, site.owner) if site.owner else module
            qualified = f"{site.owner}.{site.name}" if site.owner else site.name
            yield f"{dotted}.{qualified}", getattr(scope, site.name)


def _in_namespaces(dotted: str) -> Iterator[tuple[str, re.Pattern]]:
    module = importlib.import_module(dotted)
    yield from _from_namespace(dotted, vars(module))
    for cls in vars(module).values():
        if inspect.isclass(cls) and cls.__module__ == dotted:
            yield from _from_namespace(f"{dotted}.{cls.__name__}", vars(cls))


def project_patterns() -> dict[str, re.Pattern]:
    """Every pattern, each under one name: where it is compiled if it is ours, else where it
    is found (an import, a validator, a URL pattern)."""
    modules = list(source_files())
    found: list[tuple[str, object]] = []
    for dotted, path in modules:
        found += _compiled_at_sites(dotted, path)
    for dotted, _ in modules:
        found += _in_namespaces(dotted)
    found += _url_patterns(get_resolver())
    unique: dict[tuple[str, int], tuple[str, re.Pattern]] = {}
    for name, pattern in found:
        assert isinstance(pattern, re.Pattern), f"{name} is not a compiled pattern"
        unique.setdefault((pattern.pattern, pattern.flags), (name, pattern))
    return dict(unique.values())


_METACHARACTERS = set("()|*+?^${}[]")
_CLASS_ESCAPES = {"s": " \t\n\u3000", "d": "09", "w": "a_Z9é", "S": "a", "D": "a", "W": "!"}
_NAMED_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}
_ANCHORS = set("AZbB")
_GROUP_NAME = re.compile(r"\(\?P[<=][A-Za-z_0-9]*>?")
# Long runs of these too, and runs ended by one of ENDINGS, whatever the pattern says.
RUNS = set("aA0 \t=&\"'%/")
ENDINGS = set("\x00\n!")
WORDS = ("%25", "apikey=", "Bearer ", "spx_", "kst_", "&a=", "'a'", "a=b&")


def alphabet(source: str) -> set[str]:
    """The characters a pattern's source names (escapes resolved, metacharacters left out)."""
    chars, index = set(), 0
    while index < len(source):
        char = source[index]
        if char == "\\" and index + 1 < len(source):
            escaped = source[index + 1]
            width = {"x": 2, "u": 4}.get(escaped, 0)
            if width:
                chars.add(chr(int(source[index + 2 : index + 2 + width], 16)))
            elif escaped not in _ANCHORS:
                chars.update(_CLASS_ESCAPES.get(escaped, _NAMED_ESCAPES.get(escaped, escaped)))
            index += 2 + width
            continue
        if char not in _METACHARACTERS:
            chars.add(char)
        index += 1
    return chars


def _fill(unit: str, tail: str = "") -> str:
    return (unit * (SIZE // max(1, len(unit)) + 1))[: SIZE - len(tail)] + tail


def hostile_inputs(pattern: re.Pattern) -> dict[str, str]:
    """Inputs of SIZE characters that make a backtracking pattern show it: long runs of each
    of its characters (and of RUNS), alone and ended by each of its characters (and of
    ENDINGS); its words (and WORDS) repeated, or followed by a run; its characters cycled and
    mixed; nested percent-encoding. A pattern without a quantifier (each attempt bounded by
    its own length) gets the runs and repeated words only."""
    source = _GROUP_NAME.sub("", pattern.pattern)
    own = alphabet(source)
    quantified = bool(set("*+{") & set(source))
    words = sorted(set(re.findall(r"[A-Za-z_]{2,}", source)))[:8] + list(WORDS)
    inputs = {}
    for char in sorted(own | RUNS):
        inputs[f"{char!r}*"] = _fill(char)
        for end in sorted(own | ENDINGS) if quantified else ():
            inputs[f"{char!r}*+{end!r}"] = _fill(char, end)
    for word in words:
        inputs[f"{word!r}*"] = _fill(word)
        for char in (" ", "a", "0", "%", "=", "\t") if quantified else ():
            inputs[f"{word!r}+{char!r}*+NUL"] = word + _fill(char, "\x00")[len(word) :]
            inputs[f"({word!r}+{char!r})*"] = _fill(word + char)
    mixer = random.Random(repr(source))  # reproducible test data
    chars = sorted(own | RUNS | ENDINGS)
    inputs["cycled"] = _fill("".join(chars))
    for number in range(3):
        inputs[f"mixed {number}"] = "".join(mixer.choice(chars) for _ in range(SIZE))
    inputs["%25 nest"] = _fill("%25")
    inputs["% run, & and a deep escape"] = _fill("%", "&%2525252525252541")
    inputs["a run, space and a deep escape"] = _fill("a", " %2525252525252541")
    inputs["deep escapes"] = _fill("%2525252525252541/")
    return inputs
