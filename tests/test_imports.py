"""Imports inside ``xlkpss/`` flow one way: no circle, no private name taken from another module.

Read from the source with ``ast`` (nothing is imported): every ``import`` / ``from … import``
anywhere in a module counts — at the top, inside a function, under ``TYPE_CHECKING``. An
attribute ``module._name`` of an imported xlkpss module counts as importing ``_name``.
(A module named ``_x`` — ``commands/_common.py``, shared by ``cli.py`` and the commands — is
not checked: its public names are the point of it.)
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "xlkpss"

# Import edges allowed to close a circle: none (the merge circle consolidate ↔ tables ↔ workbook
# went with the split of merge/consolidate.py, issue 12). An entry that no longer occurs fails
# the test, so the list can only shrink. Do not add to it.
ALLOWED_BACK_EDGES: set[tuple[str, str]] = set()
# (importing module, module imported from, name) — empty: keep it so
ALLOWED_PRIVATE: set[tuple[str, str, str]] = set()


def _modules() -> dict[str, Path]:
    mods = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        mods[".".join(parts)] = path
    return mods


MODULES = _modules()


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    is_pkg = MODULES[module].name == "__init__.py"
    base = module.split(".")
    base = base if is_pkg else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: str) -> list[tuple[str, str | None, int]]:
    """(target module, name imported from it or None, line) for every import in ``module``."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found: list[tuple[str, str | None, int]] = []
    aliases: dict[str, str] = {}  # local name bound to an xlkpss module → that module
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name in MODULES:
                    found.append((a.name, None, node.lineno))
                    if a.asname:
                        aliases[a.asname] = a.name
        elif isinstance(node, ast.ImportFrom):
            src = _resolve(module, node)
            if src not in MODULES:
                continue
            for a in node.names:
                sub = f"{src}.{a.name}"
                if sub in MODULES:  # from package import module
                    found.append((sub, None, node.lineno))
                    aliases[a.asname or a.name] = sub
                else:
                    found.append((src, a.name, node.lineno))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            found.append((aliases[node.value.id], node.attr, node.lineno))
    return found


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for mod in MODULES:
        for target, _name, _line in _imports(mod):
            if target != mod:
                graph[mod].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(set(graph) | {w for ws in graph.values() for w in ws}):
        if v not in index:
            visit(v)
    return out


def _private_imports() -> set[tuple[str, str, str, int]]:
    bad = set()
    for mod in MODULES:
        for target, name, line in _imports(mod):
            if target == mod:
                continue
            if name and name.startswith("_") and not name.startswith("__"):
                bad.add((mod, target, name, line))
    return bad


def test_walk_sees_the_package():
    assert "xlkpss.read.recognise" in MODULES and "xlkpss.merge.consolidate" in MODULES
    assert "xlkpss.read.model" in _graph()["xlkpss.read.recognise"]


def test_no_import_circle():
    graph = _graph()
    for a, b in ALLOWED_BACK_EDGES:
        assert b in graph.get(a, set()), f"allowlisted import {a} → {b} is gone: remove it from ALLOWED_BACK_EDGES"
        graph[a].discard(b)
    cycles = _cycles(graph)
    assert not cycles, "import circles in xlkpss/:\n" + "\n".join(" ↔ ".join(c) for c in cycles)


def test_no_private_name_imported_from_another_module():
    bad = _private_imports()
    seen = {(m, t, n) for m, t, n, _ in bad}
    stale = ALLOWED_PRIVATE - seen
    assert not stale, f"allowlisted private imports no longer occur, remove them: {sorted(stale)}"
    new = sorted(b for b in bad if b[:3] not in ALLOWED_PRIVATE)
    assert not new, "private names imported across modules:\n" + "\n".join(
        f"{m}:{line} imports {n} from {t}" for m, t, n, line in new
    )


def test_checker_catches_a_circle_and_a_private_import():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
    tree = ast.parse("from .files import _probe\n")
    node = tree.body[0]
    assert isinstance(node, ast.ImportFrom) and _resolve("xlkpss.read.recognise", node) == "xlkpss.read.files"
