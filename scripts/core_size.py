"""How big nnlib is, layer by layer: the numbers behind the README's "read in an afternoon".

    python scripts/core_size.py

Counts, for every module, its lines and its *code* lines: lines that are not
blank, not comments and not docstrings (the docstrings are half of what a
learner reads, so both numbers are printed). The core is ``nnlib/*.py``; the
other layers are the subpackages ``experiments``, ``plots``, ``widgets`` and
``grading``.
"""

from __future__ import annotations

import ast
import io
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "nnlib"
LAYERS = ("core", "experiments", "plots", "widgets", "grading")


def docstring_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                if isinstance(body[0].value.value, str):
                    lines.update(range(body[0].lineno, body[0].end_lineno + 1))
    return lines


def count(path: Path) -> tuple[int, int]:
    """(all lines, code lines) of one Python file."""
    text = path.read_text(encoding="utf-8")
    docs = docstring_lines(ast.parse(text))
    code: set[int] = set()
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
                        tokenize.DEDENT, tokenize.ENDMARKER):  # fmt: skip
            continue
        code.update(range(tok.start[0], tok.end[0] + 1))
    return len(text.splitlines()), len(code - docs)


def layer_of(path: Path) -> str:
    rel = path.relative_to(ROOT).parts
    return rel[0] if len(rel) > 1 and rel[0] in LAYERS else "core"


def measure() -> dict[str, dict[str, tuple[int, int]]]:
    """``{layer: {module path: (lines, code lines)}}``."""
    out: dict[str, dict[str, tuple[int, int]]] = {layer: {} for layer in LAYERS}
    for path in sorted(ROOT.rglob("*.py")):
        out[layer_of(path)][str(path.relative_to(ROOT.parent))] = count(path)
    return out


def totals(sizes: dict[str, dict[str, tuple[int, int]]]) -> dict[str, tuple[int, int]]:
    return {
        layer: tuple(map(sum, zip(*files.values(), strict=True))) for layer, files in sizes.items()
    }


def main() -> int:
    sizes = measure()
    print(f"{'module':<44}{'lines':>8}{'code':>8}")
    for path, (lines, code) in sizes["core"].items():
        print(f"{path:<44}{lines:>8}{code:>8}")
    print()
    print(f"{'layer':<44}{'lines':>8}{'code':>8}")
    for layer, (lines, code) in totals(sizes).items():
        print(f"{layer:<44}{lines:>8}{code:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
