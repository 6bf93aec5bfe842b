"""The engine's modules import each other in one direction only.

Counted are all imports, also those under ``TYPE_CHECKING``: a module that
needs the ``Engine`` class to type its argument is a module that reaches
into the engine's state, which is what the owners (``JobQueue``, ``JobRun``,
``RunContext``) are there to prevent.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "idmd" / "engine"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def engine_imports(path: Path, known: set[str]) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:  # ``from idmd.engine import lifecycle`` names a module
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in known else node.module)
    return found & known


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)) is not None:
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)) is not None:
            return cycle
    return None


def engine_modules() -> list[Path]:
    """Every module of the engine but the package's lazy door to ``Engine``."""
    return [p for p in ENGINE.rglob("*.py") if p.name != "__init__.py" or p.parent != ENGINE]


def test_the_engine_modules_have_no_import_cycle() -> None:
    paths = engine_modules()
    known = {module_name(p) for p in paths}
    graph = {module_name(p): engine_imports(p, known) - {module_name(p)} for p in paths}
    assert graph.get("idmd.engine.manager")
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_no_module_but_the_engine_itself_names_the_engine_class() -> None:
    users = [
        module_name(p)
        for p in engine_modules()
        if "idmd.engine.manager" in engine_imports(p, {"idmd.engine.manager"})
    ]
    assert users == []
