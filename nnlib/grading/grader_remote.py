"""The grader's stand-ins for the learner's objects and exceptions, which live in a sandbox.

:class:`RemoteObject` (and :class:`RemoteCallable`, :class:`RemoteMethod`)
forward calls, methods and iteration to a :class:`~nnlib.grading.grader_sandbox.Session`;
:func:`learner_exception` rebuilds the exception the learner's code raised,
with its notebook lines, so a check reports it as it would in the notebook.
"""

from __future__ import annotations

import builtins
import contextlib
import inspect
import traceback
from typing import Any


def _identifier(text: Any, default: str) -> str:
    text = str(text)[:80]
    return text if text.isidentifier() else default


def _signature(sig: Any) -> inspect.Signature | None:
    if not isinstance(sig, list):
        return None
    try:
        params = []
        for name, kind, has_default in sig:
            default = None if has_default else inspect.Parameter.empty
            params.append(
                inspect.Parameter(str(name), inspect._ParameterKind(kind), default=default)
            )
        return inspect.Signature(params)
    except (TypeError, ValueError):
        return None


class RemoteObject:
    """The grader's stand-in for an object of the learner's (it lives in the sandbox)."""

    def __init__(self, session: Any, wid: str, info: dict) -> None:
        methods = info.get("methods")
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_wid", wid)
        object.__setattr__(self, "_methods", methods if isinstance(methods, dict) else {})
        object.__setattr__(self, "_iterable", info.get("iterable") is True)
        object.__setattr__(self, "__name__", _identifier(info.get("name"), "function"))
        object.__setattr__(self, "__signature__", _signature(info.get("sig")))

    def __getattr__(self, name: str) -> Any:
        methods = object.__getattribute__(self, "_methods")
        if name not in methods:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return RemoteMethod(
            object.__getattribute__(self, "_session"),
            object.__getattribute__(self, "_wid"),
            name,
            _signature(methods[name]),
        )

    def __iter__(self):  # noqa: ANN204
        if not object.__getattribute__(self, "_iterable"):
            raise TypeError(f"{type(self).__name__!r} object is not iterable")
        session = object.__getattribute__(self, "_session")
        return iter(session.iterate(object.__getattribute__(self, "_wid")))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object>"

    def __copy__(self) -> RemoteObject:  # the object lives in the sandbox: one of it
        return self

    def __deepcopy__(self, memo: dict) -> RemoteObject:
        return self


class RemoteCallable(RemoteObject):
    """A stand-in the check can call: a learner function or class."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        session = object.__getattribute__(self, "_session")
        wid = object.__getattribute__(self, "_wid")
        return session.call({"t": "ref", "id": wid}, args, kwargs)


class RemoteMethod:
    """A method of a learner object in the sandbox (``opt.step``)."""

    def __init__(self, session: Any, wid: str, name: str, sig: Any) -> None:
        self._session, self._wid = session, wid
        self.__name__ = name
        self.__signature__ = sig

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._session.call(
            {"t": "attr", "of": self._wid, "name": self.__name__}, args, kwargs
        )


_CLASSES: dict[tuple[str, bool], type] = {}


def remote_object(session: Any, wid: str, info: dict) -> RemoteObject:
    """A stand-in whose class carries the learner's type name (for messages)."""
    name = _identifier(info.get("type"), "object")
    callable_ = info.get("callable") is True
    key = (name, callable_)
    if key not in _CLASSES:
        base = RemoteCallable if callable_ else RemoteObject
        _CLASSES[key] = type(name, (base,), {"__module__": "notebook"})
    return _CLASSES[key](session, wid, info)


_ERRORS: dict[tuple[str, str], type] = {}


def learner_exception(info: Any) -> Exception:
    """A stand-in for the exception the learner's code raised in the sandbox.

    A built-in exception comes back as itself; another one as a class of the
    same name derived from its nearest built-in base (``KeyboardInterrupt``
    and ``SystemExit`` too, derived from ``Exception``, so a check reports
    them as the learner's failure).
    """
    if not isinstance(info, dict):
        info = {}
    name = _identifier(info.get("type"), "Exception")
    message = str(info.get("message", ""))[:2000]
    bases = info.get("bases") if isinstance(info.get("bases"), list) else []
    builtin = getattr(builtins, name, None)
    err: Exception | None = None
    if isinstance(builtin, type) and issubclass(builtin, Exception) and name in bases:
        with contextlib.suppress(TypeError):
            err = builtin(message)
    if err is None:
        base = next(
            (
                getattr(builtins, b)
                for b in bases
                if isinstance(getattr(builtins, str(b), None), type)
                and issubclass(getattr(builtins, str(b)), Exception)
                and getattr(builtins, str(b)).__init__ is Exception.__init__
            ),
            Exception,
        )
        key = (name, base.__name__)
        if key not in _ERRORS:
            _ERRORS[key] = type(name, (base,), {"__module__": "notebook"})
        err = _ERRORS[key](message)
    frames = []
    for item in info.get("frames", []) if isinstance(info.get("frames"), list) else []:
        with contextlib.suppress(TypeError, ValueError):
            filename, lineno, fname, line = item
            frames.append(
                traceback.FrameSummary(
                    str(filename)[:100], int(lineno), str(fname)[:100], line=str(line)[:300]
                )  # fmt: skip
            )
    err.remote_frames = frames  # type: ignore[attr-defined]
    return err
