"""The package's import graph: no cycle between modules, no layer importing a higher one,
no private name imported across subpackages. Module-level and function-level imports
both count (read from the source, nothing is imported)."""
import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "dualad"

#: Lowest first; a module may import its own layer and the ones before it. Anything not
#: in a listed subpackage (the public namespace, optim, the demo, scipy, sparse, ...) is
#: the top layer.
LAYERS = ("core", "rules", "accel", "modes", "numpy", "cost", "transforms", "auto")
TOP = len(LAYERS)


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def layer(module):
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else TOP


def subpackage(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and (PACKAGE / parts[1]).is_dir() else module


def imports(module):
    """[(imported module, names taken from it, line)] of every import statement."""
    path = MODULES[module]
    is_package = path.name == "__init__.py"
    base = module.split(".") if is_package else module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(a.name, (), node.lineno) for a in node.names if a.name.startswith("dualad")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                target = ".".join(base[:len(base) - node.level + 1] + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("dualad"):
                continue
            names = [a.name for a in node.names]
            submodules = [n for n in names if f"{target}.{n}" in MODULES]
            if submodules:
                found += [(f"{target}.{n}", (), node.lineno) for n in submodules]
            rest = [n for n in names if n not in submodules]
            if rest or not submodules:
                found.append((target, tuple(rest), node.lineno))
    return found


GRAPH = {m: {t for t, _, _ in imports(m) if t in MODULES and t != m} for m in MODULES}


def test_every_module_is_read():
    assert "dualad.core.box" in MODULES and "dualad.transforms.reverse" in MODULES
    assert len(GRAPH) == len(MODULES) and sum(map(len, GRAPH.values())) > 50


def test_no_import_cycle():
    # Tarjan's strongly connected components; a package's __init__ importing its own
    # submodules is the package's face, not a cycle, so edges into a package's own
    # __init__ from inside it are left out.
    def edges(m):
        return [t for t in GRAPH[m] if not (m.startswith(t + ".") and MODULES[t].name == "__init__.py")]

    index, low, stack, on, cycles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges(v):
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
                cycles.append(sorted(comp))

    for m in sorted(GRAPH):
        if m not in index:
            visit(m)
    assert cycles == []


def test_layers_import_downward_only():
    upward = [f"{m} imports {t} (line {line})"
              for m in sorted(MODULES) for t, _, line in imports(m)
              if t in MODULES and layer(t) > layer(m)]
    assert upward == []


def test_no_private_name_crosses_subpackages():
    leaks = [f"{m} imports {t}.{n} (line {line})"
             for m in sorted(MODULES) for t, names, line in imports(m)
             for n in names if n.startswith("_") and subpackage(t) != subpackage(m)]
    assert leaks == []


@pytest.mark.parametrize("name", LAYERS)
def test_each_layer_is_a_subpackage(name):
    assert (PACKAGE / name / "__init__.py").is_file()
