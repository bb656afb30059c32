"""Mutation testing of the exercise checks: wrong versions of each solution must fail.

For every exercise, the solution cell of its source notebook is parsed, and
small AST edits inside its ``### BEGIN SOLUTION`` / ``### END SOLUTION``
region make *mutants*: an operator swapped (``+``/``-``, ``*``/``/``), a term
dropped, ``axis`` changed or dropped, ``keepdims`` dropped, a reduction
swapped (``max``/``min``, ``sum``/``mean``), a comparison loosened, an
off-by-one in a range or a slice, a transpose added or removed, an operand
turned into a column (``(N,)`` against ``(N, 1)``), an in-place update
turned into a rebinding (and back), a constant changed, an argument replaced
by its default value, a copy or a cast dropped, a statement deleted, a
variable swapped for another.

Each mutant is then judged twice, each time with a time limit of 2 s
(``mutation_judge.py``; an endless loop counts as a failure):

* on the exercise's *battery* (``mutation_batteries.py``): inputs of its own,
  never the check's cases, compared with the solution by the rule the check
  uses (shapes, float dtypes, ``np.allclose`` with the check's tolerances, a
  Python float or a 0-d array for a number; statistics for random output,
  whole trajectories for optimizers). A mutant that agrees everywhere is
  *equivalent*;
* by the exercise's check. A non-equivalent mutant that passes it *survived*:
  the check let a wrong answer through.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import json
from dataclasses import dataclass
from typing import Any

MAX_MUTANTS = 70  # per exercise, spread over the operator kinds


# ---------------------------------------------------------------- the solution cell


@dataclass(frozen=True)
class SolutionCell:
    """An exercise's solution cell: its source and the lines inside the solution markers."""

    exercise: str
    source: str
    lines: frozenset[int]  # 1-based line numbers strictly between BEGIN and END


def solution_cell(notebook: dict, exercise_id: str) -> SolutionCell:
    for cell in notebook["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and meta.get("grade_id") == exercise_id:
            source = "".join(cell["source"])
            lines, inside = set(), False
            for number, text in enumerate(source.splitlines(), 1):
                if "### BEGIN SOLUTION" in text:
                    inside = True
                elif "### END SOLUTION" in text:
                    inside = False
                elif inside:
                    lines.add(number)
            return SolutionCell(exercise_id, source, frozenset(lines))
    raise LookupError(f"no solution cell with grade_id {exercise_id!r}")


def load_notebook(path: Any) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


# ---------------------------------------------------------------- mutation operators

SWAPPED_OPS = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.Pow: ast.Mult,
    ast.MatMult: ast.Mult,
}
SWAPPED_CMP = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
}
SWAPPED_NAMES = {  # reductions and elementwise pairs, as np.f or as methods
    "max": "min",
    "min": "max",
    "sum": "mean",
    "mean": "sum",
    "prod": "sum",
    "maximum": "minimum",
    "minimum": "maximum",
    "all": "any",
    "any": "all",
    "std": "var",
    "zeros": "ones",
    "zeros_like": "ones_like",
    "normal": "uniform",
    "uniform": "normal",
}
UNWRAPPED_CALLS = {
    *("float", "int", "abs", "list", "tuple", "sqrt", "asarray", "array", "copy"),
    *("zeros_like", "ones_like"),  # a new array replaced by the one it takes the shape of
}
UNWRAPPED_METHODS = {"copy", "astype", "item", "ravel"}


def _const(value: Any) -> ast.expr:
    return ast.parse(repr(value), mode="eval").body


def _plus(node: ast.expr, k: int) -> ast.expr:
    return ast.BinOp(copy.deepcopy(node), ast.Add() if k > 0 else ast.Sub(), ast.Constant(abs(k)))


def _with_op(node: Any, op: type) -> ast.AST:
    node = copy.deepcopy(node)
    node.op = op()
    return node


def _without_keyword(node: ast.Call, name: str) -> ast.Call:
    node = copy.deepcopy(node)
    node.keywords = [k for k in node.keywords if k.arg != name]
    return node


def _with_keyword(node: ast.Call, name: str, value: Any) -> ast.Call:
    node = copy.deepcopy(node)
    for k in node.keywords:
        if k.arg == name:
            k.value = _const(value)
    return node


def _renamed(node: ast.Call, name: str) -> ast.Call:
    node = copy.deepcopy(node)
    if isinstance(node.func, ast.Attribute):
        node.func.attr = name
    else:
        node.func.id = name
    return node


def _call_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    if isinstance(node.func, ast.Name):
        return node.func.id
    return None


def _self_attr(node: ast.AST) -> str | None:
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
        and isinstance(node.ctx, ast.Load)
    ):
        return node.attr
    return None


def _edits(
    node: ast.AST, defaults: dict[str, Any], parent: ast.AST | None, local: list[str]
) -> list[tuple]:
    """``(kind, description, edit)`` for every mutation of ``node`` itself."""
    out: list[tuple] = []
    add = out.append
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in local:
        others = [v for v in local if v != node.id and v != "self"]
        for other in others[:2]:
            add(("variable swapped", f"{node.id} -> {other}", ast.Name(other, ast.Load())))
    if isinstance(node, ast.BinOp):
        swap = SWAPPED_OPS.get(type(node.op))
        if swap:
            add(("operator", f"{type(node.op).__name__} -> {swap.__name__}", _with_op(node, swap)))
        if isinstance(node.op, ast.Add | ast.Sub | ast.Mult | ast.Div | ast.MatMult):
            add(("term dropped", "keep the left operand", copy.deepcopy(node.left)))
            add(("term dropped", "keep the right operand", copy.deepcopy(node.right)))
        if isinstance(node.op, ast.Add | ast.Sub | ast.Mult | ast.Div):
            for side in ("left", "right"):  # (N,) and (N, 1) mixed: a broadcasting bug
                if isinstance(getattr(node, side), ast.Name):
                    new = copy.deepcopy(node)
                    column = ast.parse(f"{getattr(node, side).id}[..., None]", mode="eval").body
                    setattr(new, side, column)
                    add(("broadcasting", f"the {side} operand made a column", new))
        if isinstance(node.op, ast.MatMult):
            for side in ("left", "right"):
                new = copy.deepcopy(node)
                operand = getattr(new, side)
                setattr(new, side, ast.Attribute(operand, "T", ast.Load()))
                add(("transpose", f"transpose added to the {side} operand of @", new))
    elif isinstance(node, ast.AugAssign):
        swap = SWAPPED_OPS.get(type(node.op))
        if swap:
            add(
                ("operator", f"{type(node.op).__name__}= -> {swap.__name__}=", _with_op(node, swap))
            )
        load = copy.deepcopy(node.target)
        load.ctx = ast.Load()
        rebound = ast.Assign(
            [copy.deepcopy(node.target)],
            ast.BinOp(load, copy.deepcopy(node.op), copy.deepcopy(node.value)),
        )
        if isinstance(node.target, ast.Name):
            add(("in place / rebinding", "x op= e -> x = x op e", rebound))
    elif isinstance(node, ast.Assign) and len(node.targets) == 1:
        target, value = node.targets[0], node.value
        if (
            isinstance(target, ast.Name)
            and isinstance(value, ast.BinOp)
            and isinstance(value.left, ast.Name)
            and value.left.id == target.id
        ):
            new = ast.AugAssign(
                copy.deepcopy(target), copy.deepcopy(value.op), copy.deepcopy(value.right)
            )
            add(("in place / rebinding", "x = x op e -> x op= e", new))
        if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
            name = ast.Name(target.value.id, ast.Store())
            add(
                (
                    "in place / rebinding",
                    "x[...] = e -> x = e",
                    ast.Assign([name], copy.deepcopy(value)),
                )
            )
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.Not):
        add(("operator", "unary operator dropped", copy.deepcopy(node.operand)))
    elif isinstance(node, ast.Compare) and len(node.ops) == 1:
        swap = SWAPPED_CMP.get(type(node.ops[0]))
        if swap:
            new = copy.deepcopy(node)
            new.ops = [swap()]
            add(("comparison", f"{type(node.ops[0]).__name__} -> {swap.__name__}", new))
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
        v = node.value
        if isinstance(v, int):
            for k in (1, -1):
                add(("off by one", f"constant {v} -> {v + k}", ast.Constant(v + k)))
        else:
            for new in [1.0] if v == 0 else [v * 2, v + 1.0, 0.0]:
                add(("constant", f"constant {v!r} -> {new!r}", ast.Constant(new)))
    elif isinstance(node, ast.Call):
        name = _call_name(node)
        if name in SWAPPED_NAMES:
            add(
                (
                    "reduction swap",
                    f"{name} -> {SWAPPED_NAMES[name]}",
                    _renamed(node, SWAPPED_NAMES[name]),
                )
            )
        for kw in node.keywords:
            if kw.arg == "axis" and isinstance(kw.value, ast.Constant):
                other = 0 if kw.value.value != 0 else 1
                add(
                    (
                        "axis",
                        f"axis={kw.value.value} -> axis={other}",
                        _with_keyword(node, "axis", other),
                    )
                )
                add(("axis", "axis dropped (the whole array)", _without_keyword(node, "axis")))
            elif kw.arg == "keepdims":
                add(("keepdims", "keepdims dropped", _without_keyword(node, "keepdims")))
            elif kw.arg == "dtype":
                add(("cast dropped", "dtype= dropped", _without_keyword(node, "dtype")))
            elif kw.arg is not None:
                add(("default", f"{kw.arg}= left at its default", _without_keyword(node, kw.arg)))
        on_np = (
            isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "np"
        )
        if name in UNWRAPPED_CALLS and node.args and (on_np or isinstance(node.func, ast.Name)):
            kind = {
                "array": "copy dropped",
                "copy": "copy dropped",
                "asarray": "copy dropped",
                "zeros_like": "copy dropped",
                "ones_like": "copy dropped",
                "sqrt": "call dropped",
                "abs": "call dropped",
            }.get(name, "cast dropped")
            add((kind, f"{name}(...) dropped", copy.deepcopy(node.args[0])))
        if name in UNWRAPPED_METHODS and isinstance(node.func, ast.Attribute) and not on_np:
            kind = "copy dropped" if name == "copy" else "cast dropped"
            add((kind, f".{name}() dropped", copy.deepcopy(node.func.value)))
        if name in ("matmul", "dot") and len(node.args) == 2:
            for i in (0, 1):
                new = copy.deepcopy(node)
                new.args[i] = ast.Attribute(new.args[i], "T", ast.Load())
                add(("transpose", f"transpose added to argument {i} of {name}", new))
        if name == "range" and node.args:
            stop = 1 if len(node.args) > 1 else 0
            for k in (1, -1):
                new = copy.deepcopy(node)
                new.args[stop] = _plus(node.args[stop], k)
                add(("off by one", f"range stop {k:+d}", new))
    elif isinstance(node, ast.Attribute) and node.attr == "T":
        add(("transpose", ".T removed", copy.deepcopy(node.value)))
    elif isinstance(node, ast.Slice):
        for bound in ("lower", "upper"):
            if getattr(node, bound) is not None:
                for k in (1, -1):
                    new = copy.deepcopy(node)
                    setattr(new, bound, _plus(getattr(node, bound), k))
                    add(("off by one", f"slice {bound} {k:+d}", new))
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in defaults:
        add(("default", f"{node.id} replaced by its default", _const(defaults[node.id])))
    attr = _self_attr(node)
    if attr is not None and attr in defaults and not isinstance(parent, ast.Attribute):
        add(("default", f"self.{attr} replaced by its default", _const(defaults[attr])))
    if isinstance(node, ast.stmt) and not isinstance(node, ast.FunctionDef | ast.ClassDef):
        add(("statement dropped", f"{type(node).__name__} deleted", ast.Pass()))
    return out


def _defaults(tree: ast.Module) -> dict[str, Any]:
    """Parameters with a default value, in every function of the cell (methods too)."""
    out: dict[str, Any] = {}
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef):
            args = fn.args.args[len(fn.args.args) - len(fn.args.defaults) :]
            for a, d in zip(args, fn.args.defaults, strict=True):
                with contextlib.suppress(ValueError):
                    out[a.arg] = ast.literal_eval(d)
    return out


def _locals(tree: ast.Module) -> dict[int, list[str]]:
    """For every node inside a function: the function's parameters and assigned names."""
    out: dict[int, list[str]] = {}
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef):
            names = [a.arg for a in fn.args.args]
            for n in ast.walk(fn):
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.id not in names:
                    names.append(n.id)
            for n in ast.walk(fn):
                out[id(n)] = names
    return out


def _parents(tree: ast.AST) -> dict[int, tuple[ast.AST, str, int | None]]:
    out = {}
    for parent in ast.walk(tree):
        for name, value in ast.iter_fields(parent):
            if isinstance(value, list):
                for i, child in enumerate(value):
                    if isinstance(child, ast.AST):
                        out[id(child)] = (parent, name, i)
            elif isinstance(value, ast.AST):
                out[id(value)] = (parent, name, None)
    return out


@dataclass(frozen=True)
class Mutant:
    kind: str
    description: str
    line: int
    source: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.description} ({self.kind})"


def mutants(cell: SolutionCell, limit: int = MAX_MUTANTS) -> list[Mutant]:
    """The distinct mutants of the solution region, at most ``limit``, mixing operator kinds."""
    tree = ast.parse(cell.source)
    original = ast.unparse(tree)
    defaults = _defaults(tree)
    found: dict[str, list[Mutant]] = {}
    seen = {original}
    nodes = list(ast.walk(tree))
    parents = _parents(tree)
    local = _locals(tree)
    for index, node in enumerate(nodes):
        line = getattr(node, "lineno", None)
        if isinstance(node, ast.Slice):  # slices carry their own line numbers since 3.9
            line = line or getattr(parents.get(id(node), (None,))[0], "lineno", None)
        if line not in cell.lines:
            continue
        parent = parents.get(id(node), (None,))[0]
        for kind, description, replacement in _edits(
            node, defaults, parent, local.get(id(node), [])
        ):
            copied = copy.deepcopy(tree)
            target = list(ast.walk(copied))[index]
            holder, name, i = _parents(copied)[id(target)]
            if i is None:
                setattr(holder, name, replacement)
            else:
                getattr(holder, name)[i] = replacement
            try:
                source = ast.unparse(ast.fix_missing_locations(copied))
                compile(source, "<mutant>", "exec")
            except (SyntaxError, ValueError, TypeError):
                continue
            if source not in seen:
                seen.add(source)
                found.setdefault(kind, []).append(Mutant(kind, description, line, source))
    # round-robin over the kinds, so a cap keeps every kind represented
    ordered: list[Mutant] = []
    queues = [list(v) for _, v in sorted(found.items())]
    while queues and len(ordered) < limit:
        for q in queues:
            if q and len(ordered) < limit:
                ordered.append(q.pop(0))
        queues = [q for q in queues if q]
    return ordered
