"""The shape of the code that the redesign (issue 15) set, kept by tests.

Imports point inward and never back (no cycle, type-only imports included); the back office
has one base; no function outside tests/ grows past 60 lines; every command route is an
explicit function whose command class is named in its body.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from application.backoffice import Backoffice

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("domain", "application", "projections", "interfaces")


def _sources(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str] | None:
        for imported in sorted(graph[module]):
            if imported in path:
                return [*path[path.index(imported) :], imported]
            if imported not in done:
                done.add(imported)
                found = visit(imported, [*path, imported])
                if found:
                    return found
        return None

    for module in sorted(graph):
        if module not in done:
            done.add(module)
            found = visit(module, [module])
            if found:
                return found
    return None


def test_no_module_imports_one_that_imports_it_back():
    modules = {_module(path): path for path in _sources(*LAYERS)}
    graph = {
        name: {imported for imported in _imports(path) if imported in modules} - {name}
        for name, path in modules.items()
    }
    assert _cycle(graph) is None


def test_the_domain_imports_nothing_but_the_standard_library_and_the_library_base():
    for path in _sources("domain"):
        for imported in _imports(path):
            top = imported.split(".")[0]
            assert (
                top in ("domain", "__future__")
                or top in sys.stdlib_module_names
                or imported.startswith("eventsourcing.domain")
            ), f"{path.name} imports {imported}"


def test_the_back_office_has_one_base():
    assert len(Backoffice.__bases__) == 1


def test_no_function_outside_tests_is_longer_than_60_lines():
    long = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"
        for path in _sources(*LAYERS, "bench")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > 60
    ]
    assert long == []


def test_every_command_route_names_its_command_class():
    """A grep for a command's class finds its route: each POST route reads and answers one."""
    for path in _sources("interfaces/http/routers"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.AsyncFunctionDef):
                continue
            posts = [
                d
                for d in node.decorator_list
                if isinstance(d, ast.Call) and getattr(d.func, "attr", "") == "post"
            ]
            if posts:
                body = ast.unparse(node)
                assert "call.read(" in body and "call.answer(" in body, f"{path.name}: {node.name}"
