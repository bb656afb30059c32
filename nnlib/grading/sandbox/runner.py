"""The batch grader's process inside a submission's sandbox: runs cells, calls functions.

Standard library and NumPy only, started as ``python -I -S runner.py`` with
``wire`` and ``helpers`` next to it. It reads requests from its standard
input and answers on its standard output (learner code gets ``/dev/null``
for both), one :mod:`wire` message each:

``{"op": "exec", "cell": n, "source": s}``
    run a code cell of the notebook -> ``{"ok": true}`` or ``{"ok": false, "error": E}``
``{"op": "lookup", "names": [...]}``
    the notebook's values of these names -> ``{"values": {name: value or null}}``
``{"op": "call", "fn": F, "args": [...], "kwargs": {...}}``
    call a learner callable (``F`` is ``{"t": "ref", "id": ...}`` or
    ``{"t": "attr", "of": id, "name": method}``) ->
    ``{"ok": ..., "result": value, "error": E, "after": [...], "kwafter": {...},
    "warnings": [...], "seconds": s}``; ``after`` is every argument as it is after the call
``{"op": "iter", "of": id, "limit": n}``
    the first items of an iterable the learner returned (a generator), as a call
``{"op": "script", "calls": [call or iter request, ...]}``
    run every call in order, whatever the earlier ones returned ->
    ``{"replies": [the reply of each call]}`` (how checks travel: one script,
    fixed before any of its results is seen, per round trip)

``E`` is ``{"type", "bases", "message", "frames"}``: the exception's class name,
the names of its built-in base classes, its message (cut to 2,000
characters) and the notebook lines it went through. Nothing here judges
anything: it only reports what the learner's code did.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import inspect
import itertools
import linecache
import os
import sys
import time
import traceback
import types
import warnings

_HERE = os.path.dirname(os.path.abspath(__file__))
for _path in ("/sandbox/site", _HERE):  # python -I leaves both out of sys.path
    if os.path.isdir(_path) and _path not in sys.path:
        sys.path.insert(0, _path)

import helpers  # noqa: E402
import numpy as np  # noqa: E402
import wire  # noqa: E402

MAX_MESSAGE_TEXT = 2000

_STUB_DOC = "nnlib as a graded notebook sees it: only quiz, show_progress and no-op checks."


class _StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``nnlib``, ``nnlib.grading`` and its check modules as no-op stubs; nothing else of nnlib."""

    packages = ("nnlib", "nnlib.grading", "nnlib.grading.exercises")

    def find_spec(self, name, path=None, target=None):
        if name != "nnlib" and not name.startswith("nnlib."):
            return None
        if name in self.packages:
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        if name.startswith("nnlib.grading.exercises.") and name.count(".") == 3:
            return importlib.machinery.ModuleSpec(name, self)
        raise ModuleNotFoundError(
            f"No module named {name!r}: while a notebook is graded, nnlib's own code is not "
            "available (write the exercise with NumPy and the standard library)",
            name=name,
        )

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        module.__doc__ = _STUB_DOC
        if module.__name__ == "nnlib.grading":
            module.quiz = lambda *args, **kwargs: None
            module.show_progress = lambda *args, **kwargs: None
        elif module.__name__.startswith("nnlib.grading.exercises."):

            def __getattr__(name):
                if name.startswith("check_"):
                    return lambda *args, **kwargs: None
                raise AttributeError(name)

            module.__getattr__ = __getattr__


def _strip_magics(source: str) -> str:
    """IPython magics and shell lines become ``pass`` (line numbers kept)."""
    lines = source.split("\n")
    out = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            out.append(line[: len(line) - len(stripped)] + "pass")
        else:
            out.append(line)
    return "\n".join(out)


class _Quiet:
    """What ``get_ipython()`` returns in the sandbox: every method is a no-op."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def describe_error(err: BaseException) -> dict:
    try:
        text = str(err)
    except BaseException:
        text = ""
    bases = [c.__name__ for c in type(err).__mro__ if c.__module__ == "builtins"]
    frames = []
    try:
        for f in traceback.extract_tb(err.__traceback__):
            if f.filename.startswith("<cell "):
                frames.append([f.filename, f.lineno or 0, f.name, (f.line or "")[:300]])
    except BaseException:
        frames = []
    return {
        "type": str(type(err).__name__)[:100],
        "bases": bases[:10],
        "message": text[:MAX_MESSAGE_TEXT],
        "frames": frames[-20:],
    }


def _signature(fn) -> list | None:
    try:
        params = inspect.signature(fn).parameters.values()
    except Exception:
        return None
    return [[str(p.name)[:100], int(p.kind), p.default is not p.empty] for p in params][:64]


class Runner:
    def __init__(self, inp, out) -> None:
        self.inp, self.out = inp, out
        self.table = wire.Table("s")
        self.origins: dict = {}  # object id -> the arguments of the call that returned it
        self.ns = types.ModuleType("__main__")
        self.ns.__dict__["get_ipython"] = _Quiet
        self.ns.__dict__["display"] = lambda *args, **kwargs: None
        sys.modules["__main__"] = self.ns

    # -- values ---------------------------------------------------------------
    def encode_extra(self, v, table, enc):
        w = table.wid(v)
        kind = type(v).__name__
        if isinstance(v, helpers.Helper) and type(v).__name__ in helpers.NAMES:
            state = {k: enc(getattr(v, k, None)) for k in type(v).synced}
            return {"t": "helper", "id": w, "cls": kind, "state": state}
        if isinstance(v, np.ufunc):
            return {"t": "ufunc", "name": v.__name__}
        methods = {}
        if not isinstance(v, type | types.FunctionType | types.GeneratorType):
            for name in dir(v)[:500]:
                if name.startswith("_") or len(methods) >= 200:
                    continue
                try:
                    method = getattr(v, name)
                    if callable(method):
                        methods[name] = _signature(method)
                except Exception:
                    pass
        return {
            "t": "obj",
            "id": w,
            "type": kind[:100],
            "name": str(getattr(v, "__name__", kind))[:100],
            "callable": callable(v),
            "iterable": hasattr(type(v), "__iter__") or hasattr(type(v), "__next__"),
            "sig": _signature(v) if callable(v) else None,
            "methods": methods,
        }

    def decode_extra(self, m, table, dec):
        tag = m.get("t")
        if tag == "helper":
            cls = helpers.NAMES.get(m.get("cls"))
            state = m.get("state")
            if not isinstance(cls, type) or not isinstance(state, dict):
                raise wire.WireError("bad helper")
            obj = cls.__new__(cls)
            table.bind(m.get("id"), obj)
            obj.__dict__.update({str(k): dec(v) for k, v in state.items()})
            return obj
        if tag == "fn":
            fn = helpers.NAMES.get(m.get("name"))
            if fn is None or isinstance(fn, type):
                raise wire.WireError("bad helper function")
            return fn
        if tag == "ufunc":
            fn = getattr(np, str(m.get("name")), None)
            if not isinstance(fn, np.ufunc):
                raise wire.WireError("bad ufunc")
            return fn
        raise wire.WireError(f"unknown value type {str(tag)[:20]!r}")

    def encode(self, value, views=None):
        return wire.encode(value, self.table, self.encode_extra, views=views)

    def decode(self, msg):
        return wire.decode(msg, self.table, self.decode_extra)

    # -- requests ---------------------------------------------------------------
    def op_exec(self, msg):
        source, number = msg.get("source"), msg.get("cell")
        filename = f"<cell {int(number)}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        try:
            try:
                code = compile(source, filename, "exec")
            except SyntaxError:
                code = compile(_strip_magics(source), filename, "exec")
            exec(code, self.ns.__dict__)
        except BaseException as err:
            return {"ok": False, "error": describe_error(err)}
        return {"ok": True}

    def op_lookup(self, msg):
        values = {}
        for name in msg.get("names", [])[:100]:
            if not isinstance(name, str) or name not in self.ns.__dict__:
                continue
            try:
                values[name] = self.encode(self.ns.__dict__[name])
            except Exception as err:
                values[name] = {"t": "unsendable", "why": f"{type(err).__name__}: {err}"[:300]}
        return {"values": values}

    def op_call(self, msg, iterate=False):
        if iterate:
            target = self.table.get(msg.get("of"))
            limit = int(msg.get("limit", 100000))
            # a generator consumes its arguments (an rng) only now: report them after this
            args, kwargs = self.origins.get(msg.get("of"), ([], {}))

            def run():
                items = list(itertools.islice(iter(target), limit + 1))
                if len(items) > limit:
                    raise RuntimeError(f"more than {limit} items")
                return items

        else:
            fn = msg.get("fn")
            if isinstance(fn, dict) and fn.get("t") == "attr":
                target = getattr(self.table.get(fn.get("of")), str(fn.get("name")))
            else:
                target = self.decode(fn)
            args = [self.decode(a) for a in msg.get("args", [])]
            kwargs = {str(k): self.decode(v) for k, v in msg.get("kwargs", {}).items()}

            def run():
                return target(*args, **kwargs)

        sent = [a for a in [*args, *kwargs.values()] if isinstance(a, np.ndarray)]
        sent += [
            x
            for a in [*args, *kwargs.values()]
            if isinstance(a, list | tuple | dict)
            for x in (a.values() if isinstance(a, dict) else a)
            if isinstance(x, np.ndarray)
        ]

        def views(a):
            a = np.asarray(a)  # a subclass's own __array_function__ has no say here
            shared = []
            for s in sent:
                if s is a:
                    continue
                try:
                    hit = np.shares_memory(a, s, max_work=10**5)
                except Exception:
                    hit = np.may_share_memory(a, s)
                if hit:
                    shared.append(self.table.wid(s))
            return shared

        reply = {"ok": True}
        started = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with np.errstate(all="warn", under="ignore"):
                try:
                    out = run()
                except BaseException as err:
                    reply = {"ok": False, "error": describe_error(err)}
        reply["seconds"] = time.perf_counter() - started
        reply["warnings"] = [str(w.message)[:300] for w in caught[:20]]
        try:
            if reply["ok"]:
                reply["result"] = self.encode(out, views=views)
                if isinstance(reply["result"], dict) and reply["result"].get("t") == "obj":
                    self.origins[reply["result"]["id"]] = (args, kwargs)
            reply["after"] = [self.encode(a) for a in args]
            reply["kwafter"] = {k: self.encode(v) for k, v in kwargs.items()}
        except Exception as err:
            why = f"the result could not be sent to the grader: {type(err).__name__}: {err}"
            reply = {"ok": False, "error": describe_error(TypeError(why))}
            reply.update(after=[], kwafter={}, warnings=[])
        return reply

    def op_script(self, msg):
        replies = []
        calls = msg.get("calls")
        for call in calls[:100_000] if isinstance(calls, list) else []:
            try:
                if not isinstance(call, dict) or call.get("op") not in ("call", "iter"):
                    raise wire.WireError("bad call in a script")
                replies.append(self.op_call(call, iterate=call.get("op") == "iter"))
            except Exception as err:
                replies.append({"ok": False, "error": describe_error(err)})
        return {"replies": replies}

    def serve(self) -> None:
        while True:
            header = self.inp.read(4)
            if len(header) < 4:
                return
            msg = wire.loads(self.inp.read(wire.unpack_header(header)))
            op = msg.get("op")
            try:
                if op == "exec":
                    reply = self.op_exec(msg)
                elif op == "lookup":
                    reply = self.op_lookup(msg)
                elif op == "call":
                    reply = self.op_call(msg)
                elif op == "iter":
                    reply = self.op_call(msg, iterate=True)
                elif op == "script":
                    reply = self.op_script(msg)
                elif op == "bye":
                    return
                else:
                    reply = {"ok": False, "error": describe_error(ValueError(f"bad op {op!r}"))}
            except wire.WireError as err:
                reply = {"ok": False, "error": describe_error(err)}
            self.out.write(wire.pack(reply))
            self.out.flush()


def main() -> None:
    inp = os.fdopen(os.dup(0), "rb", buffering=0)
    out = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    sys.meta_path.insert(0, _StubFinder())
    sys.dont_write_bytecode = True
    os.chdir(os.environ.get("HOME", "/"))
    _read = inp.read

    def read_exact(n: int) -> bytes:
        chunks, left = [], n
        while left:
            chunk = _read(left)
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    Runner(types.SimpleNamespace(read=read_exact), out).serve()


if __name__ == "__main__":
    main()
