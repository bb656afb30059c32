"""The package's layers, read from the source: who may import whom.

nnlib is built in layers, each importing only the ones below it (DESIGN.md,
README "Layout"):

    core         nnlib/*.py            numpy and the standard library only
    experiments  nnlib/experiments/    + the core
    plots        nnlib/plots/          + matplotlib; figures only (they never train)
    widgets      nnlib/widgets/        + ipywidgets; apps over all of the above
    grading      nnlib/grading/        exercise checks, quizzes, the batch grader

Every ``import`` statement of every module is read with ``ast`` (function-level
imports too), so the rules hold for the code as written, not only for what
one test run happens to import.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "nnlib"
LAYERS = ("core", "experiments", "plots", "widgets", "grading")
#: Third-party packages each layer may use (the standard library is always allowed).
THIRD_PARTY = {
    "core": {"numpy"},
    "experiments": {"numpy"},
    "plots": {"numpy", "matplotlib"},
    "widgets": {"numpy", "matplotlib", "ipywidgets", "IPython", "threadpoolctl"}
    | {"anywidget", "traitlets"},  # the accessible controls (nnlib.widgets.controls)
}  # grading, the top layer, brings its own (nbformat, nbclient, ...)
#: What "plots never train a network" means in imports.
TRAINING_NAMES = {
    "nnlib.training": {"fit", "train_step"},
    "nnlib": {"fit", "train_step", "optim"},
}
TRAINING_MODULES = {"nnlib.optim", "nnlib.callbacks", "nnlib.schedules", "nnlib.clip"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in LAYERS[1:]:
        return parts[1]
    return "core"


def is_package(module: str) -> bool:
    return (ROOT.parent / module.replace(".", "/") / "__init__.py").exists()


def resolve(module: str, node: ast.ImportFrom) -> str:
    """The absolute name ``from ...x import y`` refers to, seen from ``module``."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package(module):
        base = base[:-1]  # a module's relative imports start at its package
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


class Import:
    """One import statement's target module, the names it takes, and its line."""

    def __init__(self, target: str, names: tuple[str, ...], line: int) -> None:
        self.target, self.names, self.line = target, names, line


PATHS = {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def read_imports(path: Path) -> list[Import]:
    module = module_name(path)
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [Import(alias.name, (), node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = resolve(module, node)
            names = tuple(alias.name for alias in node.names)
            out.append(Import(target, names, node.lineno))
            # ``from nnlib import plots`` imports the module nnlib.plots too
            out += [
                Import(f"{target}.{n}", (), node.lineno) for n in names if f"{target}.{n}" in PATHS
            ]
    return out


MODULES = PATHS
IMPORTS = {name: read_imports(path) for name, path in MODULES.items()}


def nnlib_target(target: str) -> str | None:
    """The nnlib module an import refers to (its longest existing prefix), or None."""
    if target != "nnlib" and not target.startswith("nnlib."):
        return None
    parts = target.split(".")
    while parts and ".".join(parts) not in MODULES:
        parts.pop()
    return ".".join(parts) or None


def where(module: str, imp: Import) -> str:
    return f"{MODULES[module].relative_to(ROOT.parent)}:{imp.line}"


def test_the_layers_are_found():
    found = {layer_of(m) for m in MODULES}
    assert found == set(LAYERS)
    assert {"nnlib.module", "nnlib.layers", "nnlib.training"} <= set(MODULES)


@pytest.mark.parametrize("layer", LAYERS)
def test_no_layer_imports_a_layer_above_it(layer):
    rank = LAYERS.index(layer)
    wrong = []
    for module, imports in IMPORTS.items():
        if layer_of(module) != layer:
            continue
        for imp in imports:
            target = nnlib_target(imp.target)
            if target and LAYERS.index(layer_of(target)) > rank:
                wrong.append(f"{where(module, imp)} imports {target} ({layer_of(target)})")
    assert not wrong, f"the {layer} layer may only import layers below it:\n" + "\n".join(wrong)


@pytest.mark.parametrize("layer", list(THIRD_PARTY))
def test_third_party_imports_stay_within_what_the_layer_may_use(layer):
    allowed = THIRD_PARTY[layer]
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    wrong = []
    for module, imports in IMPORTS.items():
        if layer_of(module) != layer:
            continue
        for imp in imports:
            top = imp.target.split(".")[0]
            if top and top != "nnlib" and top not in stdlib and top not in allowed:
                wrong.append(f"{where(module, imp)} imports {imp.target}")
    assert not wrong, f"the {layer} layer may use {sorted(allowed)}:\n" + "\n".join(wrong)


def test_import_nnlib_loads_neither_matplotlib_nor_ipywidgets():
    import subprocess

    code = "import sys, nnlib; print([m for m in ('matplotlib', 'ipywidgets') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_plots_never_train_a_network():
    wrong = []
    for module, imports in IMPORTS.items():
        if layer_of(module) != "plots":
            continue
        for imp in imports:
            target = nnlib_target(imp.target)
            taken = set(imp.names) & TRAINING_NAMES.get(imp.target, set())
            if target in TRAINING_MODULES or taken:
                wrong.append(f"{where(module, imp)} imports {imp.target} {sorted(taken) or ''}")
    assert not wrong, (
        "figures take results and draw; training belongs in experiments:\n" + "\n".join(wrong)
    )


#: Private names imported across modules today, each pair to be removed by a named
#: change (the files belong to work in progress elsewhere). The list only shrinks:
#: a pair that no longer imports a private name makes the test fail.
KNOWN_PRIVATE_IMPORTS = {
    # issue 13, item 3: fit becomes a short loop with callbacks
    ("nnlib.training", "nnlib.metrics"),
    # grading internals, with the mutation-testing work on checks and diagnose
    ("nnlib.grading.checks", "nnlib.grading.diagnose"),
    ("nnlib.grading.checks", "nnlib.grading.feedback"),
    ("nnlib.grading.exercises.ch02", "nnlib.grading.feedback"),
    ("nnlib.grading.exercises.ch03", "nnlib.grading.feedback"),
}


def private_imports() -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], list[str]] = {}
    for module, imports in IMPORTS.items():
        for imp in imports:
            target = nnlib_target(imp.target)
            if target is None or target == module:
                continue
            private = [n for n in imp.names if n.startswith("_") and not n.startswith("__")]
            if private:
                found.setdefault((module, target), []).extend(private)
    return found


def test_no_private_name_is_imported_from_another_module():
    found = private_imports()
    new = [f"{m} imports {names} from {t}" for (m, t), names in found.items()
           if (m, t) not in KNOWN_PRIVATE_IMPORTS]  # fmt: skip
    assert not new, "a name starting with _ stays in its module:\n" + "\n".join(new)
    stale = sorted(KNOWN_PRIVATE_IMPORTS - set(found))
    assert not stale, f"no private import left here: remove from KNOWN_PRIVATE_IMPORTS: {stale}"


def test_private_modules_are_imported_only_from_their_own_layer():
    """``nnlib._utils`` serves the core, ``plots._style`` the figures; others use public names."""
    wrong = []
    for module, imports in IMPORTS.items():
        for imp in imports:
            target = nnlib_target(imp.target)
            if target is None:
                continue
            private = any(part.startswith("_") for part in target.split(".")[1:])
            if private and layer_of(target) != layer_of(module):
                wrong.append(f"{where(module, imp)} imports the private module {target}")
    assert not wrong, "\n".join(wrong)


#: Cycles known today, each to be removed by a named change. An entry whose
#: modules no longer form a cycle makes the test fail, so the list only shrinks.
KNOWN_CYCLES: set[frozenset[str]] = set()


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module, imports in IMPORTS.items():
        for imp in imports:
            target = nnlib_target(imp.target)
            if target and target != module and not module.startswith(target + "."):
                graph[module].add(target)  # a package's own __init__ is not a cycle
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm: the groups of modules that import each other (size > 1)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return groups


def test_no_import_cycles():
    groups = [frozenset(g) for g in strongly_connected(import_graph())]
    new = [sorted(g) for g in groups if g not in KNOWN_CYCLES]
    assert not new, f"modules importing each other: {new}"
    stale = [sorted(c) for c in KNOWN_CYCLES if c not in groups]
    assert not stale, f"these cycles are gone: remove them from KNOWN_CYCLES: {stale}"


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert strongly_connected(graph) == [{"a", "b", "c"}]
    assert strongly_connected({"a": {"b"}, "b": set()}) == []


def test_relative_imports_resolve_like_python():
    node = ast.parse("from ..plots import new_figure").body[0]
    assert resolve("nnlib.widgets.ch01_forward", node) == "nnlib.plots"
    node = ast.parse("from . import activations").body[0]
    assert resolve("nnlib", node) == "nnlib"
    assert resolve("nnlib.models", node) == "nnlib"
