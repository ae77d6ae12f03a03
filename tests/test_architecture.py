"""The layers of ``docs/architecture.md`` hold: no module imports from a layer above its own,
the imports between modules form no cycle, and every module of capsim has a layer.

The table of layers is read from ``docs/architecture.md`` itself, so the page and the test
cannot disagree. Every import counts: ``import capsim.x``, ``from capsim.x import y``,
``from capsim import x``, at the top of a module or inside a function.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "capsim"
DOC = ROOT / "docs" / "architecture.md"

def module_files() -> dict[str, Path]:
    """Dotted name -> file, of every module under capsim/ (a package is its __init__.py)."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def layers() -> dict[str, tuple[int, str]]:
    """Dotted module name -> (layer number, layer name), from the table of docs/architecture.md."""
    out = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        head = re.fullmatch(r"(\d+)\.\s+(\w+)", cells[0]) if len(cells) == 2 else None
        if head is None:
            continue
        for name in re.findall(r"`([\w.]+)`", cells[1]):
            module = "capsim" if name == "__init__" else f"capsim.{name}"
            assert module not in out, f"docs/architecture.md places {name} in two layers"
            out[module] = (int(head.group(1)), head.group(2))
    assert out, "docs/architecture.md has no table of layers (rows '| 1. name | `module`, ... |')"
    return out


def _resolve(name: str, modules) -> str | None:
    """The module of capsim that ``name`` (a module, or a name inside one) comes from."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def imports(modules=None) -> list[tuple[str, int, str]]:
    """(importing module, line, imported module) for every import between modules of capsim."""
    modules = modules or module_files()
    out = []
    for module, path in modules.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:                        # relative: from . import x, from ..y import z
                    up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join(up + ([node.module] if node.module else []))
                # from capsim.x import y: the module capsim.x.y if there is one, else capsim.x
                names = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            else:
                continue
            for name in dict.fromkeys(names):
                if name == "capsim" or name.startswith("capsim."):
                    target = _resolve(name, modules)
                    if target and target != module:
                        out.append((module, node.lineno, target))
    return out


def _where(module: str, line: int, modules) -> str:
    return f"{modules[module].relative_to(ROOT)}:{line}"


def test_every_module_has_a_layer():
    modules, placed = module_files(), layers()
    missing = [f"{path.relative_to(ROOT)} ({name})" for name, path in modules.items() if name not in placed]
    assert not missing, ("modules with no layer; add each to the table in docs/architecture.md:\n  "
                         + "\n  ".join(missing))
    gone = sorted(set(placed) - set(modules))
    assert not gone, f"docs/architecture.md places modules that do not exist: {', '.join(gone)}"


def test_no_module_imports_from_a_layer_above_its_own():
    modules, placed = module_files(), layers()
    bad = []
    for module, line, target in imports(modules):
        if module not in placed or target not in placed:
            continue                                  # unplaced modules: test_every_module_has_a_layer
        (low, low_name), (high, high_name) = placed[module], placed[target]
        if high > low:
            bad.append(f"{_where(module, line, modules)}: {module} ({low}. {low_name}) imports {target} "
                       f"({high}. {high_name}), a layer above")
    assert not bad, ("a module may import only from its own layer or below (docs/architecture.md):\n  "
                     + "\n  ".join(bad))


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def _shortest_cycle(component: list[str], edges: dict[str, set[str]]) -> list[str]:
    """The modules of a shortest cycle within ``component``, the first one repeated at the end."""
    inside, best = set(component), None
    for start in component:                     # breadth first from each module back to itself
        paths, frontier, found = {start: [start]}, [start], None
        while frontier and found is None:
            nxt = []
            for v in frontier:
                for w in sorted(edges.get(v, set()) & inside):
                    if w == start:
                        found = found or paths[v] + [start]
                    elif w not in paths:
                        paths[w] = paths[v] + [w]
                        nxt.append(w)
            frontier = nxt
        if found and (best is None or len(found) < len(best)):
            best = found
    return best


def test_no_import_cycle_between_modules():
    modules, placed = module_files(), layers()
    edges, first = {}, {}
    for module, line, target in imports(modules):
        edges.setdefault(module, set()).add(target)
        first.setdefault((module, target), line)

    def layer(m):
        return f"{placed[m][0]}. {placed[m][1]}" if m in placed else "no layer"

    text = []
    for component in _cycles(edges):
        cycle = _shortest_cycle(component, edges)
        text.append(f"{len(component)} modules import each other ({', '.join(component)}), e.g.:")
        text += [f"    {_where(m, first[m, t], modules)}: {m} ({layer(m)}) imports {t} ({layer(t)})"
                 for m, t in zip(cycle, cycle[1:])]
    assert not text, ("modules must not import each other, directly or through others "
                      "(docs/architecture.md); move what both need into a module below them:\n  "
                      + "\n  ".join(text))


def test_the_cycle_finder_finds_a_cycle_and_its_shortest_loop():
    edges = {"a": {"b"}, "b": {"c", "a"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(edges) == [["a", "b", "c"]]
    assert _shortest_cycle(["a", "b", "c"], edges) == ["a", "b", "a"]
    assert _cycles({"a": {"b"}, "b": {"c"}}) == []
