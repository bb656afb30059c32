"""Talking to one submission's runner: requests with a deadline, answers as plain data.

A :class:`Session` sends the runner (:mod:`nnlib.grading.sandbox.runner`)
one request at a time over a pipe and reads its answer before the deadline
(else the sandbox is killed: :class:`SandboxStopped`). Calling learner code
is :meth:`Session.call`: during a check it goes through the check's script
(:mod:`nnlib.grading.grader_script`: recorded, sent with the script's other
calls in one request, answered from the script's replies); the arguments go as plain data
(:mod:`nnlib.grading.sandbox.wire`), the arguments' states after the call
are applied to the grader's own objects (an in-place change shows here too),
warnings are re-issued, and the result comes back decoded, or the learner's
exception is raised as a stand-in (:mod:`nnlib.grading.grader_remote`).
Anything else the runner sends is a :class:`ProtocolError` of that
submission.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import subprocess
import time
import warnings
from typing import Any

import numpy as np

from .feedback import note_views
from .grader_remote import RemoteObject, learner_exception, remote_object
from .sandbox import helpers, wire

#: The largest answer the grader reads (bytes); a larger one stops the submission.
MAX_ANSWER = 64 * 2**20


class SandboxStopped(BaseException):
    """The sandbox stopped answering: ``status`` is "timed out" or "kernel died".

    A ``BaseException``, so that no check's ``except Exception`` turns it into
    a verdict on the learner's code.
    """

    def __init__(self, status: str, why: str) -> None:
        super().__init__(why)
        self.status, self.why = status, why


class ProtocolError(Exception):
    """The notebook's process answered something that is not a valid reply."""


class Session:
    """Requests to one runner, each answered before ``deadline`` (monotonic seconds)."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc = proc
        self.table = wire.Table("g")
        self.deadline: float = time.monotonic() + 60.0
        self.limit_text = "a cell ran longer than the time limit"
        self.stopped: SandboxStopped | None = None
        self.script: Any = None  # the round of a check in progress (grader_script.Round)
        self.requests = 0
        self._buffer = b""

    # -- transport -------------------------------------------------------------
    def _left(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            self._stop("timed out", self.limit_text)
        return left

    def _stop(self, status: str, why: str) -> None:
        self.stopped = SandboxStopped(status, why)
        self.close()
        raise self.stopped

    def _write(self, data: bytes) -> None:
        fd = self.proc.stdin.fileno()
        view = memoryview(data)
        while view:
            _, ready, _ = select.select([], [fd], [], self._left())
            if not ready:
                continue
            try:
                n = os.write(fd, view[:65536])
            except (BrokenPipeError, OSError):
                self._stop("kernel died", "the notebook's process died")
            view = view[n:]

    def _read(self, n: int) -> bytes:
        fd = self.proc.stdout.fileno()
        while len(self._buffer) < n:
            ready, _, _ = select.select([fd], [], [], self._left())
            if not ready:
                continue
            chunk = os.read(fd, max(65536, n - len(self._buffer)))
            if not chunk:
                self._stop("kernel died", "the notebook's process died")
            self._buffer += chunk
        data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data

    def request(self, message: dict) -> dict:
        if self.stopped is not None:
            raise self.stopped
        self.requests += 1
        self._write(wire.pack(message))
        try:
            size = wire.unpack_header(self._read(4), limit=MAX_ANSWER)
            reply = wire.loads(self._read(size))
        except wire.WireError as err:
            self._stop("kernel died", f"the notebook's process sent an unreadable answer ({err})")
        if not isinstance(reply, dict):
            self._stop("kernel died", "the notebook's process sent an unreadable answer")
        return reply

    def close(self) -> None:
        """Kill the sandbox (and everything in it) and wait for it."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        for f in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                f.close()
        home = getattr(self.proc, "home", None)
        if home:
            shutil.rmtree(home, ignore_errors=True)

    # -- requests --------------------------------------------------------------
    def run_cell(self, number: int, source: str) -> dict | None:
        """Run a code cell; the learner's error (type, message) or None."""
        reply = self.request({"op": "exec", "cell": number, "source": source})
        if reply.get("ok") is True:
            return None
        err = reply.get("error")
        return err if isinstance(err, dict) else {"type": "?", "message": ""}

    def values(self, names: list[str]) -> dict[str, Any]:
        """The notebook's values of ``names`` (functions as stand-ins); missing ones left out."""
        reply = self.request({"op": "lookup", "names": names})
        found = reply.get("values")
        if not isinstance(found, dict):
            raise ProtocolError("the notebook's process sent an unreadable answer")
        out = {}
        try:
            for name in names:
                if name in found:
                    out[name] = self.decode(found[name])
        except wire.WireError as err:
            raise ProtocolError(
                f"the notebook's process sent an unreadable answer ({err})"
            ) from None
        return out

    def call(self, target: dict, args: tuple, kwargs: dict) -> Any:
        """Call learner code: in a check, through its script (:mod:`.grader_script`)."""
        rnd = self.script
        same = rnd.same if rnd is not None else None
        message = {
            "op": "call",
            "fn": target,
            "args": [self.encode(a, same) for a in args],
            "kwargs": {str(k): self.encode(v, same) for k, v in kwargs.items()},
        }
        if rnd is None:
            return self._answer(self.request(message), len(args), list(kwargs))
        reply, placeholder = rnd.request(message, args, kwargs)
        if reply is None:
            return placeholder
        return self._answer(reply, len(args), list(kwargs))

    def iterate(self, wid: str, limit: int = 100_000) -> list:
        message = {"op": "iter", "of": wid, "limit": limit}
        if self.script is None:
            reply = self.request(message)
        else:
            reply, placeholder = self.script.request(message, (), {})
            if reply is None:
                return placeholder
        after, kwafter = reply.get("after"), reply.get("kwafter")
        nargs = len(after) if isinstance(after, list) else 0
        return self._answer(
            reply, min(nargs, 64), list(kwafter)[:64] if isinstance(kwafter, dict) else []
        )

    def _answer(self, reply: dict, nargs: int, keys: list[str]) -> Any:
        try:
            after, kwafter = reply.get("after", []), reply.get("kwafter", {})
            if not isinstance(after, list) or not isinstance(kwafter, dict):
                raise wire.WireError("bad after")
            states = [self.decode(state) for state in after[:nargs]]
            for key in keys:
                if key in kwafter:
                    states.append(self.decode(kwafter[key]))
            notes = reply.get("warnings", [])
            for text in notes[:20] if isinstance(notes, list) else []:
                warnings.warn(str(text)[:300], RuntimeWarning, stacklevel=3)
            if self.script is not None:
                self.script.sync(states)
            if reply.get("ok") is not True:
                raise learner_exception(reply.get("error"))
            result = reply.get("result")
            value = self.decode(result)
            _register_views(result, self.table)
            if self.script is not None:  # what the sandbox now holds, as it holds it
                self.script.sync(value)
            return value
        except wire.WireError as err:
            raise ProtocolError(
                f"the notebook's process sent an unreadable answer ({err})"
            ) from None

    # -- values ------------------------------------------------------------------
    def encode(self, value: Any, same: Any = None) -> Any:
        return wire.encode(value, self.table, self._encode_extra, same=same)

    def decode(self, message: Any) -> Any:
        try:
            return wire.decode(message, self.table, self._decode_extra)
        except wire.WireError:
            raise
        except Exception as err:  # whatever odd data does to NumPy: still only bad data
            raise wire.WireError(f"{type(err).__name__}: {str(err)[:100]}") from None

    def _encode_extra(self, v: Any, table: wire.Table, enc: Any) -> dict:
        if isinstance(v, RemoteObject):
            return {"t": "ref", "id": object.__getattribute__(v, "_wid")}
        if isinstance(v, helpers.Helper) and helpers.NAMES.get(type(v).__name__) is type(v):
            state = {k: enc(x) for k, x in v.state().items()}
            return {"t": "helper", "id": table.wid(v), "cls": type(v).__name__, "state": state}
        if callable(v) and helpers.NAMES.get(getattr(v, "__name__", None)) is v:
            return {"t": "fn", "name": v.__name__}
        if isinstance(v, np.ufunc) and getattr(np, v.__name__, None) is v:
            return {"t": "ufunc", "name": v.__name__}
        raise wire.WireError(
            f"a check passed a {type(v).__name__} to learner code; only plain data and "
            "nnlib.grading.sandbox.helpers can cross into the sandbox"
        )

    def _decode_extra(self, m: dict, table: wire.Table, dec: Any) -> Any:
        tag, wid = m.get("t"), m.get("id")
        if tag == "helper":  # the state of one of our helpers after a call
            obj = table.get(wid)
            state = m.get("state")
            if not isinstance(obj, helpers.Helper) or not isinstance(state, dict):
                raise wire.WireError("bad helper state")
            for key in type(obj).synced:
                if key in state:
                    setattr(obj, key, dec(state[key]))
            return obj
        if tag == "ufunc":
            fn = getattr(np, str(m.get("name")), None)
            if not isinstance(fn, np.ufunc):
                raise wire.WireError("bad ufunc")
            return fn
        if tag == "fn":
            fn = helpers.NAMES.get(m.get("name"))
            if fn is None or isinstance(fn, type):
                raise wire.WireError("bad helper function")
            return fn
        if tag == "obj":
            if not isinstance(wid, str) or not wid.startswith("s"):
                raise wire.WireError("bad object id")
            known = table.by_wid.get(wid)
            if isinstance(known, RemoteObject):
                return known
            obj = remote_object(self, wid, m)
            table.bind(wid, obj)
            return obj
        if tag == "unsendable":
            raise wire.WireError(str(m.get("why", ""))[:300])
        raise wire.WireError(f"unknown value type {str(tag)[:20]!r}")


def _register_views(message: Any, table: wire.Table) -> None:
    """Arrays of a result that are views of inputs: tell :func:`feedback.shares_memory`."""
    stack, seen = [message], 0
    while stack and seen < 100_000:
        m = stack.pop()
        seen += 1
        if isinstance(m, dict):
            if m.get("t") == "nd" and isinstance(m.get("views"), list):
                arr = table.by_wid.get(m.get("id"))
                bases = [table.by_wid.get(w) for w in m["views"] if isinstance(w, str)]
                bases = [b for b in bases if isinstance(b, np.ndarray)]
                if isinstance(arr, np.ndarray) and bases:
                    note_views(arr, bases)
            stack += [x for x in m.values() if isinstance(x, dict | list)]
        elif isinstance(m, list):
            stack += [x for x in m if isinstance(x, dict | list)]
