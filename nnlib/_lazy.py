"""Lazy re-export of the public names of a package's chapter modules."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable


def chapter_exports(
    package: str, path: Iterable[str], own: Iterable[str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for a package whose submodules hold its names.

    A name not defined in the package itself is looked up in the ``__all__`` of
    each public submodule, importing them only on first use (so importing the
    package stays cheap).
    """

    def modules():
        for info in pkgutil.iter_modules(list(path)):
            if not info.name.startswith("_"):
                yield importlib.import_module(f"{package}.{info.name}")

    def __getattr__(name: str) -> object:
        for module in modules():
            if name in getattr(module, "__all__", ()):
                return getattr(module, name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        names = set(own)
        for module in modules():
            names.update(getattr(module, "__all__", ()))
        return sorted(names)

    return __getattr__, __dir__
